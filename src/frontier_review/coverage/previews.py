"""Previewing a decision: the outcome and trace a determination would record, with nothing recorded.

The program office sees what it is about to decide before it decides (issue 12): the same
evaluator on the same current evidence as :func:`~frontier_review.coverage.determinations.record_determination`,
shown at the detail the determination page would show this viewer (thresholds and scores only to
cleared program-office staff). A preview carries the digest of its inputs
(:func:`~frontier_review.coverage.determinations.inputs_digest`); the decision is recorded only with
the digest of what was previewed, so a change in between (a new fact, a new result, a newer policy
version) shows the preview again instead of recording something the decider did not see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from frontier_review.audit import service as audit
from frontier_review.coverage import determinations, policies
from frontier_review.coverage.criteria import Outcome, evaluate
from frontier_review.coverage.policy import Sensitivity
from frontier_review.coverage.tags import CoverageTag
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide
from frontier_review.registry import service as registry

__all__ = ["DecisionPreview", "changed_inputs", "preview_determination"]

_PARTS = (
    "a newer version of the policy was published",
    "facts were declared on the version",
    "benchmark results of the version (or of a reference model) were recorded",
)


@dataclass(frozen=True)
class DecisionPreview:
    """What recording a determination now would record, as the viewer may see it.

    Attributes:
        version_id: The model version decided on.
        version_display: ``Atlas 3.0-rc1``.
        policy_ref: The policy version, ``identifier@version`` (a bare identifier resolved).
        policy_title: The policy's title.
        classified: Whether the policy is classified.
        outcome: The outcome the determination would record.
        met_criteria: The names of the criteria met.
        criterion_names: Every criterion's name, for viewers who may not see the trace.
        trace: The trace at the viewer's detail (None when classified for them).
        inputs: The digest of the inputs, to send back with the confirmation.
        newer_policy: The newest version of the policy when it is not the one previewed.
    """

    version_id: uuid.UUID
    version_display: str
    policy_ref: str
    policy_title: str
    classified: bool
    outcome: Outcome
    met_criteria: tuple[str, ...]
    criterion_names: tuple[str, ...]
    trace: dict[str, Any] | None
    inputs: str
    newer_policy: str | None


def preview_determination(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID, *, policy_ref: str) -> DecisionPreview:
    """Evaluate ``version_id`` under ``policy_ref`` on current evidence; nothing is recorded.

    Authorized like recording the determination (program office; cleared staff for a classified
    policy). A preview that shows a classified policy's thresholds or scores is audited, like
    reading a classified determination.

    Raises:
        NotFound: No such version or policy.
        PermissionDenied: The caller may not decide under this policy.
    """
    version = registry.get_version_ref(uow, version_id)
    row = policies.get_policy_row(uow, policy_ref)
    sensitivity = Sensitivity(row.classified, str(row.id))
    authorize(uow, principal, Permission.COVERAGE_DETERMINE, sensitivity)
    policy = policies.load_policy(uow, row)
    evidence, pinned = determinations.current_evidence(uow, version.id, policy)
    evaluation = evaluate(policy, evidence)
    trace = determinations.trace_as_seen(uow, principal, row, evaluation.trace.to_json)
    holds_classified = row.classified or bool(policies.classified_benchmarks(uow, policy))
    cleared = decide(uow, principal, Permission.COVERAGE_THRESHOLDS_READ, Sensitivity(True), uow.clock.now()).allowed
    if holds_classified and trace is not None and cleared:
        audit.record(
            uow,
            principal,
            CoverageTag.DETERMINATION_CLASSIFIED_PREVIEWED,
            target_type="model_version",
            target_id=version.id,
            details={"policy": f"{row.identifier}@{row.version}"},
        )
    latest = policies.get_policy_row(uow, row.identifier)
    return DecisionPreview(
        version_id=version.id,
        version_display=version.display,
        policy_ref=f"{row.identifier}@{row.version}",
        policy_title=row.title,
        classified=row.classified,
        outcome=evaluation.outcome,
        met_criteria=tuple(determinations.met_criteria(evaluation)),
        criterion_names=tuple(row.criterion_names),
        trace=trace,
        inputs=determinations.inputs_digest(uow, row, pinned),
        newer_policy=None if latest.id == row.id else f"{latest.identifier}@{latest.version}",
    )


def changed_inputs(previewed: str, current: str) -> list[str]:
    """What changed between two input digests, in words (empty when they are the same)."""
    before, after = previewed.split("-"), current.split("-")
    if len(before) != len(_PARTS):
        return ["what the decision depends on changed"] if previewed != current else []
    return [text for text, a, b in zip(_PARTS, before, after, strict=True) if a != b]
