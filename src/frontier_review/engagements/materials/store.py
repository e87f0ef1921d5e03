"""The one sealed-file store: files sealed in 1 MiB chunks, each under its own data key.

Artifacts and finding evidence are stored alike (their rows share ``orm.SealedFileColumns``):
:func:`store_file` seals a stream while enforcing the size limit, :func:`open_file` reads it back
lazily, :func:`delete_chunks` forgets it with its data keys, and :func:`sweep_orphaned_chunks`
deletes what a failed write left behind. Memory stays flat whatever the file's size.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.materials.domain import clean_content_type, clean_filename, human_bytes
from frontier_review.engagements.materials.orm import Artifact, FindingEvidence, SealedChunk, SealedFileColumns
from frontier_review.engagements.tags import EngagementTag
from frontier_review.kernel.errors import NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.principal import Principal
from frontier_review.security import service as security

CHUNK_BYTES = 1024 * 1024
ORPHAN_GRACE = timedelta(hours=1)
_CHUNK_TABLE, _CHUNK_FIELD = "sealed_chunks", "data"
_SWEEPER = Principal.system("chunk-sweeper")
# Every table whose rows own sealed chunks (the sweeper keeps what any of them owns).
OWNERS: tuple[type[Artifact] | type[FindingEvidence], ...] = (Artifact, FindingEvidence)


@dataclass(frozen=True)
class StoredFile:
    """What :func:`store_chunks` wrote."""

    size: int
    sha256: str
    chunks: int


@dataclass(frozen=True)
class FileFields:
    """A sealed file's columns, ready for an owner row (``SealedFileColumns``)."""

    filename: str
    content_type: str
    size: int
    sha256: str
    chunks: int
    uploaded_by: str

    def columns(self) -> dict[str, object]:
        """The owner row's file columns (all but ``uploaded_at``), as keyword arguments."""
        return dataclasses.asdict(self)


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
    """Delete every sealed chunk of ``owner_id`` and the data keys that opened them.

    Without the keys no copy of the chunks (a backup) can be read any more.
    """
    uow.session.execute(delete(SealedChunk).where(SealedChunk.owner_id == owner_id))
    security.forget_data_keys(uow, table=_CHUNK_TABLE, owner_prefix=f"{owner_id}:")


def sweep_orphaned_chunks(uow: UnitOfWork, *, grace: timedelta = ORPHAN_GRACE) -> int:
    """Delete sealed chunks that belong to no artifact and no evidence file, with their data keys.

    Chunks are written in the same transaction as the row that owns them, so an orphan is what
    a failed or interrupted write left committed (before the web layer's single error path, an
    oversized upload through the web form did). Only orphans whose newest data key is older
    than ``grace`` go, so a write still in flight elsewhere is never touched. Run periodically
    by a job; returns how many owners' chunks were deleted.
    """
    cutoff = uow.clock.now() - grace
    owners = select(SealedChunk.owner_id).where(*(SealedChunk.owner_id.not_in(select(owner.id)) for owner in OWNERS)).distinct()
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
            EngagementTag.CHUNKS_SWEPT,
            target_type="sealed_chunks",
            target_id=None,
            details={"owners": [str(o) for o in swept]},
        )
    uow.session.flush()
    return len(swept)


def store_file(
    uow: UnitOfWork,
    principal: Principal,
    owner_id: uuid.UUID,
    *,
    filename: str,
    content_type: str | None,
    stream: BinaryIO | Iterable[bytes],
) -> FileFields:
    """Clean the name and type, then seal ``stream`` under ``owner_id`` within ``artifact_max_bytes``.

    Raises:
        ValidationFailed: A bad name or type, an empty file, or one over the limit (nothing stays stored).
    """
    name = clean_filename(filename)
    ctype = clean_content_type(content_type)
    stored = store_chunks(uow, owner_id, stream, limit=uow.settings.artifact_max_bytes)
    return FileFields(name, ctype, stored.size, stored.sha256, stored.chunks, principal.label)


def open_file(uow: UnitOfWork, row: SealedFileColumns, owner_id: uuid.UUID) -> Iterator[bytes]:
    """The plaintext of the file ``row`` describes, lazily (see :func:`iter_chunks`)."""
    return iter_chunks(uow, owner_id, row.chunks)
