"""REST endpoints for the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from frontier_review.audit import browse as audit_log
from frontier_review.audit import service
from frontier_review.audit.schemas import AuditEntryOut, CheckpointOut, PublicKeyOut, VerifyOut
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(prefix="/audit", tags=["audit"])
# Outside /api/v1 and without authentication: verifiers fetch and keep copies (DESIGN A3).
public_router = APIRouter(tags=["audit"])
WELL_KNOWN_CHECKPOINTS = "/.well-known/frontier-review/audit-checkpoints"


@public_router.get(WELL_KNOWN_CHECKPOINTS, summary="Fetch the published audit checkpoints (public)")
def published_checkpoints(
    uow: UoW,
    limit: int = Query(default=100, ge=1, le=service.PUBLISHED_LIMIT, description="How many checkpoints, newest first."),
) -> dict[str, Any]:
    """The newest signed checkpoints, newest first, for anyone to keep outside the instance.

    **Who may call:** anyone; no authentication. A checkpoint says nothing about any entry's
    content: only a sequence number, the entry hash at that point, the time, the signing key id
    and the Ed25519 signature.

    **Returns** `{"type": "frontier-review/audit-checkpoints/v1", "checkpoints": [...]}`. Save the
    answer and check the log against it later with `frontier-review audit verify --anchor FILE`.

    **Errors:** 422 when `limit` is out of range.
    """
    return service.published_checkpoints(uow, limit=limit)


@router.get("/entries", summary="Browse audit entries, newest first")
def list_entries(
    uow: UoW,
    principal: ApiPrincipal,
    action: str | None = Query(default=None, max_length=100, description="Action prefix, e.g. `identity:login`."),
    actor: str | None = Query(default=None, max_length=320, description="Part of the actor's label (an e-mail address)."),
    outcome: str | None = Query(default=None, description="success | denied | failure"),
    since: datetime | None = Query(default=None, description="Entries at or after this time (UTC when no offset is given)."),
    until: datetime | None = Query(default=None, description="Entries before this time (UTC when no offset is given)."),
    before_seq: int | None = Query(default=None, ge=1, description="Page backwards: entries older than this sequence number."),
    limit: int = Query(default=50, ge=1, le=500, description="At most this many entries."),
) -> list[AuditEntryOut]:
    """Audit entries matching the filters, newest first, each exactly as the export writes it.

    **Who may call:** operators and program-office admins see the whole log
    (`audit:log:read_all`); an organization's admins see the entries made by their own
    organization's people (`audit:log:read_org`).

    **Returns** up to `limit` entries; to page, pass the smallest `seq` you received as `before_seq`.

    **Errors:** 403 for anyone else; 422 for an unknown `outcome` or an out-of-range `limit`.
    """
    flt = audit_log.EntryFilter(action=action, actor=actor, outcome=outcome, since=since, until=until, before_seq=before_seq)
    return [AuditEntryOut(**e) for e in audit_log.list_entries(uow, principal, flt, limit=limit)]


@router.get("/verify", summary="Verify the hash chain and checkpoint signatures")
def verify(
    uow: UoW,
    principal: ApiPrincipal,
    tail: bool = Query(default=False, description="Hash only the entries after the latest verified checkpoint."),
) -> VerifyOut:
    """Recompute the entries' hashes and check the checkpoints' signatures.

    **Who may call:** operators and program-office admins (`audit:log:verify`).

    **Returns** the report: `ok` is false, with `first_bad_seq` and `problems`, when an entry was
    changed, removed or reordered, or a checkpoint does not verify. A broken chain is still a
    200 answer: the report is the result.

    **Errors:** 403 for anyone else.
    """
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


@router.get("/checkpoints", summary="List recent signed checkpoints")
def list_checkpoints(
    uow: UoW, principal: ApiPrincipal, limit: int = Query(default=50, ge=1, le=500, description="At most this many checkpoints.")
) -> list[CheckpointOut]:
    """The most recent signed checkpoints, newest first.

    **Who may call:** operators and program-office admins (`audit:log:verify`).

    **Errors:** 403 for anyone else; 422 for an out-of-range `limit`.
    """
    return [CheckpointOut(**vars(c)) for c in service.list_checkpoints(uow, principal, limit=limit)]


@router.post(
    "/checkpoints",
    status_code=status.HTTP_201_CREATED,
    summary="Sign a checkpoint now",
    responses={204: {"description": "Nothing new since the last checkpoint."}},
)
def create_checkpoint(uow: UoW, principal: ApiPrincipal, response: Response) -> CheckpointOut | None:
    """Sign the chain's current tip with the instance's Ed25519 key, without waiting for the scheduled job.

    **Who may call:** operators and program-office admins (`audit:checkpoint:create`).

    **Returns** 201 with the new checkpoint, or 204 with no body when nothing was appended since
    the last one.

    **Errors:** 403 for anyone else.
    """
    info = service.create_checkpoint(uow, principal)
    if info is None:
        response.status_code = status.HTTP_204_NO_CONTENT
        return None
    response.status_code = status.HTTP_201_CREATED
    return CheckpointOut(**vars(info))


@router.get("/public-keys", summary="Get the instance's audit signing public keys")
def public_keys(uow: UoW, principal: ApiPrincipal) -> list[PublicKeyOut]:
    """The public keys that checkpoints and exports can be checked with outside the platform.

    **Who may call:** any signed-in user or API token.

    **Returns** each signing key of this instance with its key id (the `key_id` that checkpoints
    name). Keep a copy, to check exports and saved checkpoints against later.
    """
    return [PublicKeyOut(key_id=kid, public_key=raw) for kid, raw in service.signing_public_keys(uow, principal).items()]


@router.get(
    "/export",
    summary="Export entries as JSON Lines",
    response_class=StreamingResponse,
    responses={200: {"description": "One entry per line.", "content": {"application/jsonl": {"schema": {"type": "string"}}}}},
)
def export(
    request: Request,
    uow: UoW,
    principal: ApiPrincipal,
    action: str | None = Query(default=None, max_length=100, description="Action prefix."),
    actor: str | None = Query(default=None, max_length=320, description="Part of the actor's label (an e-mail address)."),
    outcome: str | None = Query(default=None, description="success | denied | failure"),
    since: datetime | None = Query(default=None, description="Entries at or after this time (UTC when no offset is given)."),
    until: datetime | None = Query(default=None, description="Entries before this time (UTC when no offset is given)."),
) -> StreamingResponse:
    """Download the matching entries as `audit.jsonl`, one entry per line, oldest first.

    **Who may call:** operators and program-office admins (`audit:log:export`). The export itself
    is recorded in the log before the download starts.

    **Returns** `application/jsonl`: each line is an entry with its canonical fields and hash, so
    the chain can be recomputed from the file (see the audit documentation).

    **Errors:** 403 for anyone else; 422 for an unknown `outcome`.
    """
    flt = audit_log.EntryFilter(action=action, actor=actor, outcome=outcome, since=since, until=until)
    scope = audit_log.start_export(uow, principal, flt)
    return jsonl_response(request, scope)


def jsonl_response(request: Request, scope: audit_log.ExportScope) -> StreamingResponse:
    """Stream an export in its own read-only session, after the audited start has committed."""
    sessions = request.app.state.container.sessions

    def body() -> Iterator[str]:
        with sessions() as session:
            for entry in audit_log.iter_export(session, scope):
                yield json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n"

    return StreamingResponse(
        body(), media_type="application/jsonl", headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'}
    )
