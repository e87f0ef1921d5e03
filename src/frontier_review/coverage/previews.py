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
from frontier_review.kernel.errors import FieldProblem, ValidationFailed
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide
from frontier_review.registry import service as registry

__all__ = ["MAX_RATIONALE", "DecisionPreview", "changed_inputs", "check_choice", "preview_determination"]

MAX_RATIONALE = 10_000
"""The longest rationale, in characters (the API's and the forms' limit too)."""

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


def check_choice(policy_ref: str, rationale: str) -> str:
    """The one rule of a deliberate decision: a policy chosen and a rationale written.

    Both problems are reported at once, each on its field, so a refused form shows both. Used by
    every preview (an inquiry's and the version page's) and by deciding an inquiry, from any
    interface: the developer is always told why.

    Returns:
        The rationale, stripped.

    Raises:
        ValidationFailed: No policy chosen, no rationale, or one too long (fields ``policy``
            and ``rationale``).
    """
    problems = []
    if not policy_ref.strip():
        problems.append(FieldProblem("policy", "choose the policy to decide under"))
    clean = rationale.strip()
    if not clean:
        problems.append(
            FieldProblem("rationale", "write the rationale: it is recorded with the determination and shown to the developer")
        )
    elif len(clean) > MAX_RATIONALE:
        problems.append(FieldProblem("rationale", f"the rationale must have at most {MAX_RATIONALE} characters"))
    elif not clean.isprintable() and not _is_text(clean):
        problems.append(FieldProblem("rationale", "the rationale contains characters that are not valid text"))
    if problems:
        raise ValidationFailed("; ".join(p.message for p in problems), problems=problems)
    return clean


def _is_text(value: str) -> bool:
    # Lone surrogates (from a bad client) cannot be stored; line breaks and tabs are fine.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def preview_determination(
    uow: UnitOfWork, principal: Principal, version_id: uuid.UUID, *, policy_ref: str, rationale: str
) -> DecisionPreview:
    """Evaluate ``version_id`` under ``policy_ref`` on current evidence; nothing is recorded.

    Authorized like recording the determination (program office; cleared staff for a classified
    policy), before the choice is checked (:func:`check_choice`). A preview that shows a
    classified policy's thresholds or scores is audited, like reading a classified determination.

    Raises:
        ValidationFailed: No policy chosen or no rationale (:func:`check_choice`).
        NotFound: No such version or policy.
        PermissionDenied: The caller may not decide under this policy.
    """
    authorize(uow, principal, Permission.COVERAGE_DETERMINE, Sensitivity(False))
    check_choice(policy_ref, rationale)
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
