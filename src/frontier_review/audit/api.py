"""REST endpoints for the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from frontier_review.audit import service
from frontier_review.audit.schemas import AuditEntryOut, CheckpointOut, PublicKeyOut, VerifyOut
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(prefix="/audit", tags=["audit"])
# Outside /api/v1 and without authentication: verifiers fetch and keep copies (DESIGN A3).
public_router = APIRouter(tags=["audit"])
WELL_KNOWN_CHECKPOINTS = "/.well-known/frontier-review/audit-checkpoints"


@public_router.get(
    WELL_KNOWN_CHECKPOINTS,
    summary="Published audit checkpoints (public)",
    description=(
        "The newest signed checkpoints, newest first, for anyone to keep outside the instance: sequence number, "
        "entry hash, time, key id and Ed25519 signature only. Save the answer and check the log against it later "
        "with `frontier-review audit verify --anchor FILE`."
    ),
)
def published_checkpoints(uow: UoW, limit: int = Query(default=100, ge=1, le=service.PUBLISHED_LIMIT)) -> dict[str, Any]:
    return service.published_checkpoints(uow, limit=limit)


@router.get(
    "/entries",
    summary="Browse audit entries, newest first",
    description=(
        "Permission: `audit:log:read_all` (operators, program-office admins) or "
        "`audit:log:read_org` (an organization's admins, own organization only)."
    ),
)
def list_entries(
    uow: UoW,
    principal: ApiPrincipal,
    action: str | None = Query(default=None, max_length=100, description="Action prefix, e.g. `identity:login`."),
    actor: str | None = Query(default=None, max_length=320),
    outcome: str | None = Query(default=None, description="success | denied | failure"),
    since: datetime | None = None,
    until: datetime | None = None,
    before_seq: int | None = Query(default=None, ge=1, description="Page backwards: entries older than this sequence number."),
    limit: int = Query(default=50, ge=1, le=500),
) -> list[AuditEntryOut]:
    flt = service.EntryFilter(action=action, actor=actor, outcome=outcome, since=since, until=until, before_seq=before_seq)
    return [AuditEntryOut(**e) for e in service.list_entries(uow, principal, flt, limit=limit)]


@router.get("/verify", summary="Verify the hash chain and checkpoint signatures", description="Permission: `audit:log:verify`.")
def verify(
    uow: UoW,
    principal: ApiPrincipal,
    tail: bool = Query(default=False, description="Hash only the entries after the latest verified checkpoint."),
) -> VerifyOut:
    report = service.verify(uow, principal, tail_only=tail)
    return VerifyOut(
        ok=report.ok,
        entries=report.entries,
        from_seq=report.from_seq,
        last_seq=report.last_seq,
        last_hash=report.last_hash,
        checkpoints=report.checkpoints,
        first_bad_seq=report.first_bad_seq,
        problems=report.problems,
    )


@router.get("/checkpoints", summary="Recent signed checkpoints", description="Permission: `audit:log:verify`.")
def list_checkpoints(uow: UoW, principal: ApiPrincipal, limit: int = Query(default=50, ge=1, le=500)) -> list[CheckpointOut]:
    return [CheckpointOut(**vars(c)) for c in service.list_checkpoints(uow, principal, limit=limit)]


@router.post(
    "/checkpoints",
    summary="Sign a checkpoint now",
    description="Permission: `audit:checkpoint:create`. 204 when nothing new needs signing.",
    responses={204: {"description": "Nothing new since the last checkpoint."}},
)
def create_checkpoint(uow: UoW, principal: ApiPrincipal, response: Response) -> CheckpointOut | None:
    info = service.create_checkpoint(uow, principal)
    if info is None:
        response.status_code = status.HTTP_204_NO_CONTENT
        return None
    response.status_code = status.HTTP_201_CREATED
    return CheckpointOut(**vars(info))


@router.get("/public-keys", summary="The instance's audit signing public keys")
def public_keys(uow: UoW, principal: ApiPrincipal) -> list[PublicKeyOut]:
    return [PublicKeyOut(key_id=kid, public_key=raw) for kid, raw in service.signing_public_keys(uow, principal).items()]


@router.get(
    "/export",
    summary="Export entries as JSON Lines",
    description="Permission: `audit:log:export`. The export itself is audited. Times without an offset are UTC.",
    response_class=StreamingResponse,
)
def export(
    request: Request,
    uow: UoW,
    principal: ApiPrincipal,
    action: str | None = Query(default=None, max_length=100, description="Action prefix."),
    actor: str | None = Query(default=None, max_length=320),
    outcome: str | None = Query(default=None, description="success | denied | failure"),
    since: datetime | None = None,
    until: datetime | None = None,
) -> StreamingResponse:
    flt = service.EntryFilter(action=action, actor=actor, outcome=outcome, since=since, until=until)
    scope = service.start_export(uow, principal, flt)
    return jsonl_response(request, scope)


def jsonl_response(request: Request, scope: service.ExportScope) -> StreamingResponse:
    """Stream an export in its own read-only session, after the audited start has committed."""
    sessions = request.app.state.container.sessions

    def body() -> Iterator[str]:
        with sessions() as session:
            for entry in service.iter_export(session, scope):
                yield json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n"

    return StreamingResponse(
        body(), media_type="application/jsonl", headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'}
    )
