"""Benchmark targets: how to reach a model (sealed URL and key), the address policy, classified permission."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlparse

from sqlalchemy import select

from frontier_review import engagements
from frontier_review.audit import service as audit
from frontier_review.coverage.policy import Sensitivity
from frontier_review.db.uow import UnitOfWork
from frontier_review.evals.orm import ModelTarget
from frontier_review.evals.policy import may_allow_classified
from frontier_review.evals.tags import EvalsTag
from frontier_review.kernel.errors import Conflict, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, refuse
from frontier_review.registry import service as registry
from frontier_review.security import addresses
from frontier_review.security import service as security

__all__ = [
    "URL_FIELD",
    "TargetView",
    "allow_classified",
    "check_base_url",
    "classified_refusal",
    "create_gateway_target",
    "create_target",
    "find_target",
    "get_target_row",
    "list_targets",
    "target_api_key",
    "target_base_url",
    "target_subject",
    "target_view",
]


@dataclass(frozen=True)
class TargetView:
    """A target as the program office sees it: never its key, and of its base URL only the origin.

    The URL is sealed at rest: a path or a host name may carry a key.
    """

    id: uuid.UUID
    name: str
    model: str
    endpoint: str | None
    has_key: bool
    subject: str
    classified_allowed: bool
    created_at: datetime


def check_manage(uow: UnitOfWork, principal: Principal, classified: bool, what: str) -> None:
    authorize(uow, principal, Permission.COVERAGE_BENCHMARK_MANAGE, Sensitivity(classified, what, "benchmark"))


def check_base_url(uow: UnitOfWork, url: str, *, resolve: addresses.Resolver = addresses.system_resolver) -> str:
    """A target's base URL under the platform's one address policy (the gateway's).

    http(s), no credentials, query or fragment, and a host that resolves to no metadata address
    (in any mode) and to no private address unless the operator allows private upstreams.
    """
    return addresses.check_url(
        url, require_https=False, allow_private=uow.settings.gateway_allow_private_upstreams, resolve=resolve
    )


URL_FIELD = "base_url_sealed"


def target_base_url(uow: UnitOfWork, row: ModelTarget) -> str | None:
    """The decrypted base URL, for the runner and for adapters that need the origin."""
    if row.base_url_sealed is None:
        return row.base_url  # a target registered before URLs were sealed
    return security.open_field(
        uow.session, uow.keyring, row.base_url_sealed, table="model_targets", row_id=str(row.id), field=URL_FIELD
    ).decode()


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parsed = urlparse(url)
    host = f"[{parsed.hostname}]" if parsed.hostname and ":" in parsed.hostname else parsed.hostname
    return f"{parsed.scheme}://{host}" + (f":{parsed.port}" if parsed.port else "")


def create_target(
    uow: UnitOfWork,
    principal: Principal,
    *,
    name: str,
    model: str,
    base_url: str | None = None,
    api_key: str | None = None,
    model_version_id: uuid.UUID | None = None,
    reference_model: str | None = None,
) -> TargetView:
    """Register a model target.

    ``openai-api/<service>/<model>`` needs a base URL (not ``openai/…``, whose Responses API most
    compatible servers lack).
    """
    check_manage(uow, principal, False, name)
    clean_name = name.strip()
    if not 2 <= len(clean_name) <= 120:
        raise ValidationFailed("name must have 2 to 120 characters", field="name")
    if not model or "/" not in model or model.startswith("openai/"):
        raise ValidationFailed(
            "model is an Inspect model string such as openai-api/local/smollm2 or mockllm/model", field="model"
        )
    if model.startswith("openai-api/") and (model.count("/") < 2 or not base_url):
        raise ValidationFailed("openai-api/<service>/<model> targets need a base_url", field="base_url")
    if (model_version_id is None) == (not reference_model):
        raise ValidationFailed(
            "a target stands for exactly one of a model version or a reference model", field="model_version_id"
        )
    if model_version_id is not None:
        registry.get_version_ref(uow, model_version_id)
    if uow.session.scalar(select(ModelTarget.id).where(ModelTarget.name == clean_name)):
        raise Conflict(f"a target named {clean_name!r} exists", field="name")
    clean_url = check_base_url(uow, base_url) if base_url else None
    row = ModelTarget(
        id=new_id(),
        name=clean_name,
        model=model,
        base_url=None,
        model_version_id=model_version_id,
        reference_model=reference_model.strip() if reference_model else None,
        created_by=principal.label,
        created_at=uow.clock.now(),
    )
    if clean_url:
        row.base_url_sealed = security.seal_field(
            uow, clean_url.encode(), table="model_targets", row_id=str(row.id), field=URL_FIELD
        )
    if api_key:
        row.api_key_sealed = security.seal_field(
            uow, api_key.encode(), table="model_targets", row_id=str(row.id), field="api_key_sealed"
        )
    uow.session.add(row)
    uow.flush_unique(f"a target named {clean_name!r} exists", "name")
    audit.record(
        uow,
        principal,
        EvalsTag.TARGET_CREATED,
        target_type="model_target",
        target_id=row.id,
        details={"name": clean_name, "model": model},
    )
    return target_view(uow, row)


def target_subject(uow: UnitOfWork, row: ModelTarget) -> str:
    """What a target reaches: a registered version's name, or the reference model's."""
    if row.model_version_id is not None:
        return registry.get_version_ref(uow, row.model_version_id).display
    return row.reference_model or "?"


def target_view(uow: UnitOfWork, row: ModelTarget) -> TargetView:
    """The view of a target (its address as an origin only, never its key)."""
    return TargetView(
        id=row.id,
        name=row.name,
        model=row.model,
        endpoint=_origin(target_base_url(uow, row)),
        has_key=row.api_key_sealed is not None,
        subject=target_subject(uow, row),
        classified_allowed=row.classified_allowed_at is not None,
        created_at=row.created_at,
    )


def get_target_row(uow: UnitOfWork, name: str) -> ModelTarget:
    """The target named ``name``; NotFound otherwise."""
    row = uow.session.scalar(select(ModelTarget).where(ModelTarget.name == name))
    if row is None:
        raise NotFound(f"no target named {name!r}")
    return row


def find_target(uow: UnitOfWork, name: str) -> TargetView | None:
    """The target named ``name``, or ``None`` (a system read: callers authorize)."""
    row = uow.session.scalar(select(ModelTarget).where(ModelTarget.name == name))
    return target_view(uow, row) if row is not None else None


def allow_classified(uow: UnitOfWork, principal: Principal, *, target: str, reason: str = "", allowed: bool = True) -> TargetView:
    """The platform operator's explicit override: classified suites may (or may no longer) run on ``target``.

    Every target counts as developer-hosted until then, because a classified suite's items reach
    the target's server in clear. Audited with the operator's reason.

    Raises:
        PermissionDenied: anyone but the operator on the server (CLI) asks.
        ValidationFailed: allowing without a reason.
    """
    row = get_target_row(uow, target)
    decision = may_allow_classified(principal)
    if not decision.allowed:
        refuse(uow, principal, Permission.COVERAGE_BENCHMARK_MANAGE, decision.reason, ("model_target", str(row.id)))
    clean_reason = reason.strip()
    if allowed and not 4 <= len(clean_reason) <= 2000:
        raise ValidationFailed(
            "say why this target may receive classified items (4 to 2000 characters), e.g. "
            "'hosted by the program office in its own enclave'",
            field="reason",
        )
    if allowed:
        row.classified_allowed_at, row.classified_allowed_by = uow.clock.now(), principal.label
        row.classified_allowed_reason = clean_reason
    else:
        row.classified_allowed_at = row.classified_allowed_by = row.classified_allowed_reason = None
    audit.record(
        uow,
        principal,
        EvalsTag.TARGET_CLASSIFIED_ALLOWED if allowed else EvalsTag.TARGET_CLASSIFIED_REVOKED,
        target_type="model_target",
        target_id=row.id,
        details={"name": row.name},
        reason=clean_reason or None,
    )
    return target_view(uow, row)


def classified_refusal(row: ModelTarget, role: str) -> str | None:
    """Why a classified suite may not run on ``row`` (None when the operator allowed it)."""
    if row.classified_allowed_at is not None:
        return None
    return (
        f"the {role} {row.name!r} counts as developer-hosted: a classified suite's items would reach its "
        "server in clear; the platform operator must allow classified runs on it first "
        f"(frontier-review benchmark allow-classified {row.name!r} --reason ...)"
    )


def create_gateway_target(
    uow: UnitOfWork, principal: Principal, *, name: str, engagement_id: uuid.UUID, gateway_url: str
) -> TargetView:
    """A target that reaches the candidate through the program office's own engagement grant on the gateway.

    Its key is a personal gateway token of ``principal`` (sealed), so every benchmark call is
    admitted, metered and audited like a reviewer's, and stops at release.
    """
    check_manage(uow, principal, False, name)
    engagement = engagements.get_engagement(uow, principal, engagement_id)
    issued = engagements.issue_token(uow, principal, engagement_id, name=f"benchmark target {name.strip()}"[:100])
    return create_target(
        uow,
        principal,
        name=name,
        model=f"openai-api/gateway/{engagement.model_id}",
        base_url=gateway_url.rstrip("/"),
        api_key=issued.plaintext,
        model_version_id=engagement.version_id,
    )


def list_targets(uow: UnitOfWork, principal: Principal) -> list[TargetView]:
    """Every target, by name (program office); never a key, and only the origin of a URL."""
    check_manage(uow, principal, False, "targets")
    return [target_view(uow, t) for t in uow.session.scalars(select(ModelTarget).order_by(ModelTarget.name))]


def target_api_key(uow: UnitOfWork, row: ModelTarget) -> str | None:
    """The decrypted key, for the runner only (never returned by any interface)."""
    if row.api_key_sealed is None:
        return None
    return security.open_field(
        uow.session, uow.keyring, row.api_key_sealed, table="model_targets", row_id=str(row.id), field="api_key_sealed"
    ).decode()
