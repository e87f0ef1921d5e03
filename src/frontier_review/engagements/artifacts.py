"""Engagement artifacts: the developer's confidential files (DESIGN §3.4, G1, G5).

The developer uploads files the terms share (system card, evaluation results, weights, other
documents) within ``artifact_max_bytes``. Each file is sealed at rest in 1 MiB chunks, each
under its own data key, so neither upload nor download ever holds the whole file in memory.
Participants download them only while admitted exactly as on the gateway (window, cohort,
terms accepted, not revoked, not released) and while the current terms share the file's kind;
every download writes an access-log row, which the background chainer turns into an audit
entry, and carries a per-recipient fingerprint.
A job purges the chunks once the terms' retention period has passed.

The chunking helpers (:func:`store_chunks`, :func:`iter_chunks`, :func:`delete_chunks`) are
shared with findings' evidence files.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import BinaryIO, NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements import notices, partners, service
from frontier_review.engagements.domain import (
    AccessContext,
    ClosedReason,
    Cohort,
    EngagementState,
    Materials,
    Protections,
    Recipients,
    Window,
    admission,
    effective_state,
)
from frontier_review.engagements.orm import (
    Artifact,
    Engagement,
    FindingEvidence,
    Participant,
    RevokedUser,
    SealedChunk,
    TermsVersion,
)
from frontier_review.gateway import recorder
from frontier_review.identity.orm import User
from frontier_review.kernel.errors import NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import refuse
from frontier_review.security import service as security

CHUNK_BYTES = 1024 * 1024
MAX_FILENAME = 200
DOWNLOAD_KIND = "artifact_download"  # the access-log kind; chained as ``engagements:artifact_download``
_CHUNK_TABLE, _CHUNK_FIELD = "sealed_chunks", "data"
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")
_PURGER = Principal.system("artifact-purge")


class ArtifactKind(StrEnum):
    """What a file is, checked against the materials the current terms share."""

    SYSTEM_CARD = "system_card"
    EVALUATION_RESULTS = "evaluation_results"
    WEIGHTS = "weights"
    OTHER = "other"  # usage guides, API notes: not one of the negotiated materials, always allowed


_KIND_NAMES = {
    ArtifactKind.SYSTEM_CARD: "the system card",
    ArtifactKind.EVALUATION_RESULTS: "evaluation results",
    ArtifactKind.WEIGHTS: "weights",
}


def shared_by(kind: ArtifactKind | str, materials: Materials) -> bool:
    """Whether terms sharing ``materials`` cover a file of ``kind`` (``other`` always is; a kind
    unknown to this version is not)."""
    try:
        chosen = ArtifactKind(kind)
    except ValueError:
        return False
    return {
        ArtifactKind.SYSTEM_CARD: materials.system_card,
        ArtifactKind.EVALUATION_RESULTS: materials.evaluation_results,
        ArtifactKind.WEIGHTS: materials.weights,
        ArtifactKind.OTHER: True,
    }[chosen]


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


@dataclass(frozen=True)
class StoredFile:
    """What :func:`store_chunks` wrote."""

    size: int
    sha256: str
    chunks: int


# --- shared chunking helpers ------------------------------------------------------------


def human_bytes(n: int) -> str:
    """``104857600`` → ``"100 MiB"``, for messages."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


def clean_filename(raw: str) -> str:
    """The file's own name: no directories, no control characters, at most 200 characters
    (the extension is kept when a long name is shortened)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    name = name.strip().strip(".").strip()
    if not name:
        raise ValidationFailed("the file needs a name", field="filename")
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16 and stem:
            name = stem[: MAX_FILENAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_FILENAME].rstrip()
    return name


def clean_content_type(raw: str | None) -> str:
    """A bare ``type/subtype`` (parameters dropped); unknown means ``application/octet-stream``."""
    value = (raw or "").split(";", 1)[0].strip().lower()
    if not value:
        return "application/octet-stream"
    if not _CONTENT_TYPE.match(value):
        raise ValidationFailed("content_type must look like type/subtype, for example application/pdf", field="content_type")
    return value


def _pieces(stream: BinaryIO | Iterable[bytes]) -> Iterator[bytes]:
    read = getattr(stream, "read", None)
    if callable(read):
        while True:
            block = read(CHUNK_BYTES)
            if not block:
                return
            yield bytes(block)
    else:
        yield from stream


def _rechunk(stream: BinaryIO | Iterable[bytes]) -> Iterator[bytes]:
    """Exactly ``CHUNK_BYTES`` per chunk (the last one shorter), whatever sizes arrive."""
    buffer = bytearray()
    for piece in _pieces(stream):
        buffer += piece
        while len(buffer) >= CHUNK_BYTES:
            with memoryview(buffer) as view:
                chunk = bytes(view[:CHUNK_BYTES])  # one copy, not two
            del buffer[:CHUNK_BYTES]
            yield chunk
    if buffer:
        yield bytes(buffer)


def _chunk_row_id(owner_id: uuid.UUID, seq: int) -> str:
    return f"{owner_id}:{seq}"


def store_chunks(uow: UnitOfWork, owner_id: uuid.UUID, stream: BinaryIO | Iterable[bytes], *, limit: int) -> StoredFile:
    """Seal ``stream`` into ``sealed_chunks`` under ``owner_id``, one data key per chunk.

    The size limit is enforced while reading: past ``limit`` this raises ``ValidationFailed``
    (field ``file``) and the caller's transaction rolls back every chunk already written.
    Each chunk is flushed and dropped from the session at once, so memory stays flat.
    """
    digest = hashlib.sha256()
    size = 0
    seq = 0
    for chunk in _rechunk(stream):
        size += len(chunk)
        if size > limit:
            raise ValidationFailed(
                f"the file is larger than the limit of {human_bytes(limit)} ({limit} bytes); nothing was stored",
                field="file",
            )
        digest.update(chunk)
        sealed = security.seal_field(uow, chunk, table=_CHUNK_TABLE, row_id=_chunk_row_id(owner_id, seq), field=_CHUNK_FIELD)
        row = SealedChunk(id=new_id(), owner_id=owner_id, seq=seq, data=sealed)
        uow.session.add(row)
        uow.session.flush()
        uow.session.expunge(row)
        seq += 1
    if size == 0:
        raise ValidationFailed("the file is empty", field="file")
    return StoredFile(size=size, sha256=digest.hexdigest(), chunks=seq)


def iter_chunks(uow: UnitOfWork, owner_id: uuid.UUID, count: int) -> Iterator[bytes]:
    """The plaintext of ``owner_id``'s chunks in order, read lazily one chunk at a time.

    Each chunk is read in its own short session on the unit of work's engine, so the iterator
    outlives the unit of work (the adapter commits the access record before sending a byte).
    A chunk purged meanwhile ends the stream with ``NotFound``.
    """
    engine = uow.session.get_bind()
    keyring = uow.keyring

    def generate() -> Iterator[bytes]:
        for seq in range(count):
            with Session(engine) as session:
                data = session.scalar(select(SealedChunk.data).where(SealedChunk.owner_id == owner_id, SealedChunk.seq == seq))
                if data is None:
                    raise NotFound("the file is no longer stored (it was purged)")
                plain = security.open_field(
                    session, keyring, data, table=_CHUNK_TABLE, row_id=_chunk_row_id(owner_id, seq), field=_CHUNK_FIELD
                )
            yield plain

    return generate()


def delete_chunks(uow: UnitOfWork, owner_id: uuid.UUID) -> None:
    """Delete every sealed chunk of ``owner_id`` and the data keys that opened them, so no copy
    of the chunks (a backup) can be read any more."""
    uow.session.execute(delete(SealedChunk).where(SealedChunk.owner_id == owner_id))
    security.forget_data_keys(uow, table=_CHUNK_TABLE, owner_prefix=f"{owner_id}:")


ORPHAN_GRACE = timedelta(hours=1)
_SWEEPER = Principal.system("chunk-sweeper")


def sweep_orphaned_chunks(uow: UnitOfWork, *, grace: timedelta = ORPHAN_GRACE) -> int:
    """Delete sealed chunks that belong to no artifact and no evidence file, with their data keys.

    Chunks are written in the same transaction as the row that owns them, so an orphan is what
    a failed or interrupted write left committed (before the web layer's single error path, an
    oversized upload through the web form did). Only orphans whose newest data key is older
    than ``grace`` go, so a write still in flight elsewhere is never touched. Run periodically
    by a job; returns how many owners' chunks were deleted.
    """
    cutoff = uow.clock.now() - grace
    owners = (
        select(SealedChunk.owner_id)
        .where(SealedChunk.owner_id.not_in(select(Artifact.id)), SealedChunk.owner_id.not_in(select(FindingEvidence.id)))
        .distinct()
    )
    swept = []
    for owner_id in list(uow.session.scalars(owners)):
        newest = security.newest_data_key(uow, table=_CHUNK_TABLE, owner_prefix=f"{owner_id}:")
        if newest is not None and newest > cutoff:
            continue
        delete_chunks(uow, owner_id)
        swept.append(owner_id)
    if swept:
        # Ids only: what the chunks held is unknown to anyone now (their keys are gone).
        audit.record(
            uow,
            _SWEEPER,
            "engagements:chunks:swept",
            target_type="sealed_chunks",
            target_id=None,
            details={"owners": [str(o) for o in swept]},
        )
    uow.session.flush()
    return len(swept)


# --- artifacts ----------------------------------------------------------------------------


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


def _current_terms(uow: UnitOfWork, row: Engagement) -> TermsVersion:
    terms = uow.session.scalar(
        select(TermsVersion).where(TermsVersion.engagement_id == row.id, TermsVersion.number == row.current_terms)
    )
    assert terms is not None  # every engagement has its current terms version
    return terms


def _state(uow: UnitOfWork, row: Engagement) -> tuple[EngagementState, ClosedReason | None]:
    return effective_state(
        EngagementState(row.state),
        ClosedReason(row.closed_reason) if row.closed_reason else None,
        Window(row.window_start, row.window_end),
        service.version_status(uow, row),
        uow.clock.now(),
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
    row = service.load_for(uow, principal, engagement_id, Permission.ARTIFACT_UPLOAD)
    state, _ = _state(uow, row)
    if state is EngagementState.CLOSED:
        raise ValidationFailed("the engagement is closed; files can no longer be shared", field="engagement")
    try:
        chosen = ArtifactKind(kind)
    except ValueError:
        raise ValidationFailed(f"kind must be one of: {', '.join(k.value for k in ArtifactKind)}", field="kind") from None
    terms = _current_terms(uow, row)
    materials = Materials(**terms.materials)
    if not shared_by(chosen, materials):
        raise ValidationFailed(f"terms v{terms.number} do not share {_KIND_NAMES[chosen]}", field="kind")
    name = clean_filename(filename)
    ctype = clean_content_type(content_type)
    artifact_id = new_id()
    stored = store_chunks(uow, artifact_id, stream, limit=uow.settings.artifact_max_bytes)
    now = uow.clock.now()
    retention = Protections(**terms.protections).materials_retention_days
    artifact = Artifact(
        id=artifact_id,
        engagement_id=row.id,
        kind=chosen.value,
        filename=name,
        content_type=ctype,
        size=stored.size,
        sha256=stored.sha256,
        chunks=stored.chunks,
        uploaded_by=principal.label,
        uploaded_at=now,
        purge_after=now + timedelta(days=retention),
    )
    uow.session.add(artifact)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        "engagements:artifact:uploaded",
        target_type="engagement",
        target_id=row.id,
        details={
            "artifact": str(artifact.id),
            "kind": chosen.value,
            "filename": name,
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
    """Every artifact of the engagement, purged ones included (newest first), for whoever may
    read the engagement: the developer, the program office, participants."""
    row = service.load_for(uow, principal, engagement_id, Permission.ENGAGEMENT_READ)
    rows = uow.session.scalars(select(Artifact).where(Artifact.engagement_id == row.id).order_by(Artifact.uploaded_at.desc()))
    return [_view(a) for a in rows]


def access_context(uow: UnitOfWork, row: Engagement, principal: Principal) -> AccessContext:
    """The same facts the gateway loads for a call, for ``principal`` on ``row`` right now."""
    part = (
        uow.session.scalar(
            select(Participant).where(Participant.engagement_id == row.id, Participant.organization_id == principal.org_id)
        )
        if principal.org_id is not None
        else None
    )
    user = uow.session.get(User, principal.user_id) if principal.user_id is not None else None
    user_revoked = (
        principal.user_id is not None
        and uow.session.scalar(
            select(RevokedUser.id).where(RevokedUser.engagement_id == row.id, RevokedUser.user_id == principal.user_id)
        )
        is not None
    )
    until = None
    if part is not None and part.cohort == Cohort.PARTNER.value:
        designation = partners.current_designation(uow, part.organization_id)
        until = designation.expires_at if designation is not None else None
    return AccessContext(
        engagement_id=row.id,
        participant_id=part.id if part is not None else uuid.UUID(int=0),
        user_id=principal.user_id or uuid.UUID(int=0),
        state=EngagementState(row.state),
        closed_reason=ClosedReason(row.closed_reason) if row.closed_reason else None,
        version_status=service.version_status(uow, row),
        window=Window(row.window_start, row.window_end),
        cohort=Cohort(part.cohort) if part is not None else Cohort.GOVERNMENT,
        recipients=Recipients(row.recipients),
        partners_from=row.partners_from,
        current_terms=row.current_terms,
        accepted_terms=part.accepted_terms if part is not None else None,
        participant_revoked=part is None or part.revoked_at is not None,
        user_revoked=user_revoked,
        user_active=user is not None and user.is_active,
        partner_designation_until=until,
    )


def download_refusal(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> str | None:
    """Why ``principal`` could not download now (None when it could): for showing or hiding a
    download button. Not an access attempt, so not audited."""
    row = service.load(uow, engagement_id)
    refusal = admission(access_context(uow, row, principal), uow.clock.now())
    return refusal.message if refusal is not None else None


def fingerprint(sha256: str, user_id: uuid.UUID, access_ref: uuid.UUID) -> str:
    """The per-recipient fingerprint of one download: it names the file's content, the person
    and the access-log row, so a copy that turns up can be matched to the recorded download."""
    return hashlib.sha256(f"frontier-review artifact download\x00{sha256}\x00{user_id}\x00{access_ref}".encode()).hexdigest()


def download(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, artifact_id: uuid.UUID) -> ArtifactDownload:
    """One participant's download (G1, G5).

    Allowed only for a member of a participating organization who is admitted right now by
    the gateway's own rule (window and cohort, terms accepted, neither organization nor person
    revoked, designation running, not released or closed), and only while the current terms
    share the artifact's kind (:func:`shared_by`); a refusal raises ``PermissionDenied`` with the
    reason and is audited. A purged artifact, or one whose retention has ended, is ``NotFound``.

    The download is recorded as an access-log row (kind ``artifact_download``) in this
    transaction, with the fingerprint; commit before streaming ``chunks``.
    """
    row = service.load_for(uow, principal, engagement_id, Permission.ARTIFACT_DOWNLOAD)
    artifact = uow.session.get(Artifact, artifact_id)
    if artifact is None or artifact.engagement_id != row.id:
        raise NotFound(f"artifact {artifact_id} not found in this engagement")
    now = uow.clock.now()
    ctx = access_context(uow, row, principal)
    refusal = admission(ctx, now)
    if refusal is not None:
        refuse(uow, principal, Permission.ARTIFACT_DOWNLOAD, refusal.message, ("artifact", str(artifact.id)))
    terms = _current_terms(uow, row)
    if not shared_by(artifact.kind, Materials(**terms.materials)):
        # The terms in force decide, not those of the upload: a developer that stops sharing the
        # system card stops its download at once.
        name = _KIND_NAMES.get(ArtifactKind(artifact.kind), artifact.kind) if artifact.kind in set(ArtifactKind) else "this kind"
        refuse(
            uow,
            principal,
            Permission.ARTIFACT_DOWNLOAD,
            f"the current terms (v{terms.number}) no longer share {name}",
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
                kind=DOWNLOAD_KIND,
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
    return ArtifactDownload(_view(artifact), iter_chunks(uow, artifact.id, artifact.chunks), mark)


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
        delete_chunks(uow, artifact.id)
        artifact.purged_at = now
        audit.record(
            uow,
            _PURGER,
            "engagements:artifact:purged",
            target_type="engagement",
            target_id=artifact.engagement_id,
            details={"artifact": str(artifact.id), "sha256": artifact.sha256, "chunks": artifact.chunks},
        )
    uow.session.flush()
    return len(rows)
