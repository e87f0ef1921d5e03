"""Engagement artifacts: the developer's confidential files (DESIGN §3.4, G1, G5).

The developer uploads files the terms share (system card, evaluation results, weights, other
documents) within ``artifact_max_bytes``, into the one sealed-file store (:mod:`.store`).
Participants download them only while admitted exactly as on the gateway (window, cohort,
terms accepted, not revoked, not released: the same access context, ``access.context``) and
while the current terms share the file's kind; every download writes an access-log row, which
the background chainer turns into an audit entry, and carries a per-recipient fingerprint.
A job purges the chunks once the terms' retention period has passed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, NamedTuple

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.access import recorder
from frontier_review.engagements.access.context import get_access_context
from frontier_review.engagements.access.domain import admission
from frontier_review.engagements.lifecycle import notices
from frontier_review.engagements.lifecycle.domain import EngagementState
from frontier_review.engagements.lifecycle.views import current_state, get_current_terms, get_row, get_row_for
from frontier_review.engagements.materials import store
from frontier_review.engagements.materials.domain import KIND_NAMES, ArtifactKind, fingerprint, shared_by
from frontier_review.engagements.materials.orm import Artifact
from frontier_review.engagements.tags import EngagementTag
from frontier_review.kernel.errors import NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import refuse

_PURGER = Principal.system("artifact-purge")


@dataclass(frozen=True)
class ArtifactView:
    """An artifact's metadata; its content comes only through :func:`download`."""

    id: uuid.UUID
    engagement_id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    chunks: int
    uploaded_by: str
    uploaded_at: datetime
    purge_after: datetime
    purged_at: datetime | None

    def available(self, now: datetime) -> bool:
        """Still retained: not purged and its retention not yet over."""
        return self.purged_at is None and now < self.purge_after


class ArtifactDownload(NamedTuple):
    """One recorded download: unpacks as ``(artifact, chunks, fingerprint)``.

    ``chunks`` is lazy: each chunk is read and decrypted in its own short session when the
    consumer asks for it, so the stream may (and should) be sent after the request's unit of
    work has committed the access-log row.
    """

    artifact: ArtifactView
    chunks: Iterator[bytes]
    fingerprint: str


def _view(a: Artifact) -> ArtifactView:
    return ArtifactView(
        id=a.id,
        engagement_id=a.engagement_id,
        kind=a.kind,
        filename=a.filename,
        content_type=a.content_type,
        size=a.size,
        sha256=a.sha256,
        chunks=a.chunks,
        uploaded_by=a.uploaded_by,
        uploaded_at=a.uploaded_at,
        purge_after=a.purge_after,
        purged_at=a.purged_at,
    )


def upload(
    uow: UnitOfWork,
    principal: Principal,
    engagement_id: uuid.UUID,
    *,
    kind: ArtifactKind | str,
    filename: str,
    content_type: str | None,
    stream: BinaryIO | Iterable[bytes],
) -> ArtifactView:
    """Store a confidential file for the engagement's participants (the developer only).

    ``kind`` must be a material the current terms share (a system card, evaluation results),
    or ``other``. The file is retained for the terms' ``materials_retention_days`` from now,
    then purged by :func:`purge_expired`. Uploads are allowed from the draft on, until the
    engagement closes. Participants are notified once the engagement has been offered.
    """
    row = get_row_for(uow, principal, engagement_id, Permission.ARTIFACT_UPLOAD)
    state, _ = current_state(uow, row)
    if state is EngagementState.CLOSED:
        raise ValidationFailed("the engagement is closed; files can no longer be shared", field="engagement")
    try:
        chosen = ArtifactKind(kind)
    except ValueError:
        raise ValidationFailed(f"kind must be one of: {', '.join(k.value for k in ArtifactKind)}", field="kind") from None
    terms = get_current_terms(uow, row)
    if not shared_by(chosen, terms.materials):
        raise ValidationFailed(f"terms v{terms.number} do not share {KIND_NAMES[chosen]}", field="kind")
    artifact_id = new_id()
    stored = store.store_file(uow, principal, artifact_id, filename=filename, content_type=content_type, stream=stream)
    now = uow.clock.now()
    retention = terms.protections.materials_retention_days
    artifact = Artifact(
        id=artifact_id,
        engagement_id=row.id,
        kind=chosen.value,
        **stored.columns(),
        uploaded_at=now,
        purge_after=now + timedelta(days=retention),
    )
    uow.session.add(artifact)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        EngagementTag.ARTIFACT_UPLOADED,
        target_type="engagement",
        target_id=row.id,
        details={
            "artifact": str(artifact.id),
            "kind": chosen.value,
            "filename": stored.filename,
            "size": stored.size,
            "sha256": stored.sha256,
            "purge_after": artifact.purge_after.isoformat(),
        },
    )
    if row.state != EngagementState.DRAFT.value:
        notices.to_participants(
            uow, row, "artifact_shared", f"{row.title}: the developer shared a new file", key=f"artifact:{artifact.id}"
        )
    return _view(artifact)


def list_artifacts(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> list[ArtifactView]:
    """Every artifact of the engagement, purged ones included, newest first.

    For whoever may read the engagement: the developer, the program office, participants.
    """
    row = get_row_for(uow, principal, engagement_id, Permission.ENGAGEMENT_READ)
    rows = uow.session.scalars(select(Artifact).where(Artifact.engagement_id == row.id).order_by(Artifact.uploaded_at.desc()))
    return [_view(a) for a in rows]


def find_download_refusal(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> str | None:
    """Why ``principal`` could not download now (None when it could).

    For showing or hiding a download button. Not an access attempt, so not audited.
    """
    row = get_row(uow, engagement_id)
    refusal = admission(get_access_context(uow, principal, row.id), uow.clock.now())
    return refusal.message if refusal is not None else None


def download_artifact(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, artifact_id: uuid.UUID
) -> ArtifactDownload:
    """One participant's download (G1, G5).

    Allowed only for a member of a participating organization who is admitted right now by
    the gateway's own rule (window and cohort, terms accepted, neither organization nor person
    revoked, designation running, not released or closed), and only while the current terms
    share the artifact's kind (:func:`shared_by`); a refusal raises ``PermissionDenied`` with the
    reason and is audited. A purged artifact, or one whose retention has ended, is ``NotFound``.

    The download is recorded as an access-log row (kind ``artifact_download``) in this
    transaction, with the fingerprint; commit before streaming ``chunks``.
    """
    row = get_row_for(uow, principal, engagement_id, Permission.ARTIFACT_DOWNLOAD)
    artifact = uow.session.get(Artifact, artifact_id)
    if artifact is None or artifact.engagement_id != row.id:
        raise NotFound(f"artifact {artifact_id} not found in this engagement")
    now = uow.clock.now()
    ctx = get_access_context(uow, principal, row.id)
    refusal = admission(ctx, now)
    if refusal is not None:
        refuse(uow, principal, Permission.ARTIFACT_DOWNLOAD, refusal.message, ("artifact", str(artifact.id)))
    if not shared_by(artifact.kind, ctx.materials):
        # The terms in force decide, not those of the upload: a developer that stops sharing the
        # system card stops its download at once.
        name = KIND_NAMES.get(ArtifactKind(artifact.kind), artifact.kind) if artifact.kind in set(ArtifactKind) else "this kind"
        refuse(
            uow,
            principal,
            Permission.ARTIFACT_DOWNLOAD,
            f"the current terms (v{ctx.current_terms}) no longer share {name}",
            ("artifact", str(artifact.id)),
        )
    if artifact.purged_at is not None or now >= artifact.purge_after:
        raise NotFound(
            f"{artifact.filename} is no longer available: its retention ended at {artifact.purge_after:%Y-%m-%d %H:%M} UTC"
        )
    assert principal.user_id is not None  # the rule admits people only
    access_ref = uuid.uuid4()
    mark = fingerprint(artifact.sha256, principal.user_id, access_ref)
    recorder.write(
        uow,
        [
            recorder.AccessRecord(
                kind=recorder.DOWNLOAD_KIND,
                at=now,
                engagement_id=row.id,
                actor_label=principal.label,
                status=200,
                outcome="ok",
                participant_id=ctx.participant_id,
                organization_id=principal.org_id,
                user_id=principal.user_id,
                detail={
                    "artifact": str(artifact.id),
                    "filename": artifact.filename,
                    "size": artifact.size,
                    "sha256": artifact.sha256,
                    "fingerprint": mark,
                },
                ref=access_ref,
            )
        ],
    )
    return ArtifactDownload(_view(artifact), store.open_file(uow, artifact, artifact.id), mark)


def purge_expired(uow: UnitOfWork) -> int:
    """Delete the chunks of every artifact whose retention has ended; returns how many.

    The metadata row stays (with ``purged_at``), so the record of what was shared and who
    downloaded it outlives the content. Run periodically by a job.
    """
    now = uow.clock.now()
    rows = list(
        uow.session.scalars(
            select(Artifact).where(Artifact.purged_at.is_(None), Artifact.purge_after <= now).order_by(Artifact.purge_after)
        )
    )
    for artifact in rows:
        store.delete_chunks(uow, artifact.id)
        artifact.purged_at = now
        audit.record(
            uow,
            _PURGER,
            EngagementTag.ARTIFACT_PURGED,
            target_type="engagement",
            target_id=artifact.engagement_id,
            details={"artifact": str(artifact.id), "sha256": artifact.sha256, "chunks": artifact.chunks},
        )
    uow.session.flush()
    return len(rows)
