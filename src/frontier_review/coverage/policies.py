"""Policy use cases: validate, publish (immutable), list, show, diff."""

from __future__ import annotations

import difflib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.coverage.criteria import Policy
from frontier_review.coverage.orm import Benchmark, PublishedPolicy
from frontier_review.coverage.policy import Sensitivity
from frontier_review.coverage.policy_file import parse_policy
from frontier_review.coverage.tags import CoverageTag
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.errors import Conflict, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide
from frontier_review.security import service as security

__all__ = [
    "PolicyView",
    "classified_benchmark",
    "classified_benchmarks",
    "diff_policies",
    "get_policy",
    "known_benchmark",
    "list_policies",
    "publish_policy",
    "split_ref",
    "summary_view",
    "validate_policy",
]

SEALED_FIELD = "content_sealed"


@dataclass(frozen=True)
class PolicyView:
    """A published policy as a given viewer may see it (``content`` is None when withheld)."""

    id: uuid.UUID
    identifier: str
    version: str
    title: str
    effective_from: datetime
    classified: bool
    digest: str | None  # withheld with the content: a classified policy's hash would confirm guessed thresholds
    criterion_names: tuple[str, ...]
    published_by: str
    published_at: datetime
    content: dict[str, Any] | None
    source: str | None

    @property
    def ref(self) -> str:
        return f"{self.identifier}@{self.version}"


def split_ref(ref: str) -> tuple[str, str | None]:
    """``id@version`` → (id, version); a bare id means its latest version."""
    identifier, _, version = ref.strip().partition("@")
    if not identifier:
        raise ValidationFailed("a policy is named as identifier@version", field="policy")
    return identifier, version or None


def known_benchmark(uow: UnitOfWork) -> Any:
    """A lookup telling the parser whether a benchmark version exists."""

    def check(name: str, version: str) -> bool:
        return uow.session.scalar(select(Benchmark.id).where(Benchmark.name == name, Benchmark.version == version)) is not None

    return check


def classified_benchmark(uow: UnitOfWork) -> Callable[[str, str], bool]:
    """A lookup telling the parser whether a benchmark version is classified."""

    def check(name: str, version: str) -> bool:
        return bool(uow.session.scalar(select(Benchmark.classified).where(Benchmark.name == name, Benchmark.version == version)))

    return check


def classified_benchmarks(uow: UnitOfWork, policy: Policy) -> list[str]:
    """The classified benchmarks ``policy`` reads (``name@version``)."""
    return policy.classified_benchmarks(classified_benchmark(uow))


def validate_policy(uow: UnitOfWork, source: str) -> Policy:
    """Parse and validate a file against this instance (its benchmarks).

    Raises ``PolicyInvalid``, also when a policy not marked classified reads a classified benchmark.
    """
    return parse_policy(source, known_benchmarks=known_benchmark(uow), classified_benchmarks=classified_benchmark(uow))


def _sealed_payload(uow: UnitOfWork, row: PublishedPolicy) -> dict[str, Any]:
    assert row.content_sealed is not None
    raw = security.open_field(
        uow.session, uow.keyring, row.content_sealed, table="coverage_policies", row_id=str(row.id), field=SEALED_FIELD
    )
    payload: dict[str, Any] = json.loads(raw)
    return payload


def policy_content(uow: UnitOfWork, row: PublishedPolicy) -> tuple[dict[str, Any], str]:
    """The full content and source of a policy (for evaluation; callers decide who sees it)."""
    if row.classified:
        payload = _sealed_payload(uow, row)
        return payload["content"], payload["source"]
    assert row.content is not None
    return row.content, row.source or ""


def load_policy(uow: UnitOfWork, row: PublishedPolicy) -> Policy:
    """Rebuild the evaluable policy from its stored source (parsed again: one code path)."""
    _content, source = policy_content(uow, row)
    return parse_policy(source)


def _view(uow: UnitOfWork, principal: Principal, row: PublishedPolicy) -> PolicyView:
    visible = decide(
        uow, principal, Permission.COVERAGE_THRESHOLDS_READ, Sensitivity(row.classified, str(row.id)), uow.clock.now()
    )
    content: dict[str, Any] | None = None
    source: str | None = None
    if visible.allowed:
        content, source = policy_content(uow, row)
        if row.classified:
            audit.record(uow, principal, CoverageTag.POLICY_CLASSIFIED_VIEWED, target_type="coverage_policy", target_id=row.id)
    return PolicyView(
        id=row.id,
        identifier=row.identifier,
        version=row.version,
        title=row.title,
        effective_from=row.effective_from,
        classified=row.classified,
        digest=row.digest if visible.allowed else None,
        criterion_names=tuple(row.criterion_names),
        published_by=row.published_by,
        published_at=row.published_at,
        content=content,
        source=source,
    )


def publish_policy(uow: UnitOfWork, principal: Principal, source: str) -> tuple[PolicyView, bool]:
    """Publish a policy file; returns (view, created).

    Republishing identical content is a no-op; different content under a published
    identifier+version is a Conflict.
    """
    # Whoever may not publish at all is refused before the file is even read (and the refusal audited).
    authorize(uow, principal, Permission.COVERAGE_POLICY_PUBLISH, Sensitivity(classified=False))
    policy = validate_policy(uow, source)
    authorize(uow, principal, Permission.COVERAGE_POLICY_PUBLISH, Sensitivity(policy.classified, policy.ref))
    existing = uow.session.scalar(
        select(PublishedPolicy).where(PublishedPolicy.identifier == policy.identifier, PublishedPolicy.version == policy.version)
    )
    if existing is not None:
        if existing.digest == policy.digest():
            return _view(uow, principal, existing), False
        raise Conflict(
            f"{policy.ref} is already published with different content; publish a new version instead", field="version"
        )
    row = PublishedPolicy(
        id=new_id(),
        identifier=policy.identifier,
        version=policy.version,
        title=policy.title,
        effective_from=policy.effective_from,
        classified=policy.classified,
        digest=policy.digest(),
        criterion_names=[c.name for c in policy.criteria()],
        published_by=principal.label,
        published_at=uow.clock.now(),
    )
    if policy.classified:
        payload = json.dumps({"content": policy.content(), "source": source}).encode()
        row.content_sealed = security.seal_field(uow, payload, table="coverage_policies", row_id=str(row.id), field=SEALED_FIELD)
    else:
        row.content, row.source = policy.content(), source
    uow.session.add(row)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        CoverageTag.POLICY_PUBLISHED,
        target_type="coverage_policy",
        target_id=row.id,
        details={"policy": policy.ref, "classified": policy.classified, **({} if policy.classified else {"digest": row.digest})},
    )
    return _view(uow, principal, row), True


def get_policy_row(uow: UnitOfWork, ref: str) -> PublishedPolicy:
    """The row for ``id@version`` (or the latest version of ``id``); NotFound otherwise."""
    identifier, version = split_ref(ref)
    stmt = select(PublishedPolicy).where(PublishedPolicy.identifier == identifier)
    if version is not None:
        stmt = stmt.where(PublishedPolicy.version == version)
    rows = list(uow.session.scalars(stmt))
    if not rows:
        raise NotFound(f"no published policy {ref}")
    return max(rows, key=lambda r: (r.effective_from, r.published_at))


def list_policies(uow: UnitOfWork, principal: Principal) -> list[PolicyView]:
    """Every published policy (thresholds only where the viewer may see them)."""
    authorize(uow, principal, Permission.COVERAGE_POLICY_READ, None)
    rows = uow.session.scalars(select(PublishedPolicy).order_by(PublishedPolicy.identifier, PublishedPolicy.effective_from))
    return [summary_view(r) for r in rows]


def summary_view(row: PublishedPolicy) -> PolicyView:
    """A listed policy version: never the digest of a classified policy, never content or source."""
    return PolicyView(
        id=row.id,
        identifier=row.identifier,
        version=row.version,
        title=row.title,
        effective_from=row.effective_from,
        classified=row.classified,
        digest=None if row.classified else row.digest,
        criterion_names=tuple(row.criterion_names),
        published_by=row.published_by,
        published_at=row.published_at,
        content=None,
        source=None,
    )


def get_policy(uow: UnitOfWork, principal: Principal, ref: str) -> PolicyView:
    """One policy; a classified policy's content only for cleared program-office staff (audited)."""
    authorize(uow, principal, Permission.COVERAGE_POLICY_READ, None)
    return _view(uow, principal, get_policy_row(uow, ref))


def previous_version(uow: UnitOfWork, row: PublishedPolicy) -> PublishedPolicy | None:
    """The version of the same policy published before ``row`` (by effective date)."""
    rows = [
        r
        for r in uow.session.scalars(select(PublishedPolicy).where(PublishedPolicy.identifier == row.identifier))
        if (r.effective_from, r.published_at) < (row.effective_from, row.published_at)
    ]
    return max(rows, key=lambda r: (r.effective_from, r.published_at)) if rows else None


def diff_policies(uow: UnitOfWork, principal: Principal, ref_a: str, ref_b: str) -> list[str]:
    """A unified diff between two policy versions' canonical content (both must be visible in full)."""
    authorize(uow, principal, Permission.COVERAGE_POLICY_READ, None)
    views = []
    for ref in (ref_a, ref_b):
        row = get_policy_row(uow, ref)
        authorize(uow, principal, Permission.COVERAGE_THRESHOLDS_READ, Sensitivity(row.classified, str(row.id)))
        views.append(_view(uow, principal, row))
    a, b = views
    text_a = json.dumps(a.content, indent=2, sort_keys=True).splitlines()
    text_b = json.dumps(b.content, indent=2, sort_keys=True).splitlines()
    return list(difflib.unified_diff(text_a, text_b, fromfile=a.ref, tofile=b.ref, lineterm=""))
