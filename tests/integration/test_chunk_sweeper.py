"""The sweeper of orphaned sealed chunks (issue 10, item 16), on SQLite and PostgreSQL: chunks
that no artifact or evidence file owns go with their data keys once older than the grace period;
owned chunks and recent orphans stay."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.engagements.materials import service as artifacts
from frontier_review.engagements.materials import store
from frontier_review.engagements.materials.orm import SealedChunk
from frontier_review.kernel.clock import FrozenClock
from frontier_review.kernel.ids import new_id
from frontier_review.security.orm import DataKey
from tests.factories.engagements import make_engagement

MiB = 1024 * 1024


def _chunks(container: Container, owner: uuid.UUID) -> tuple[int, int]:
    with container.sessions() as session:
        chunks = session.scalar(sa.select(sa.func.count()).where(SealedChunk.owner_id == owner))
        keys = session.scalar(
            sa.select(sa.func.count())
            .select_from(DataKey)
            .where(DataKey.owner_table == "sealed_chunks", DataKey.owner_id.startswith(f"{owner}:"))
        )
    return int(chunks or 0), int(keys or 0)


def _orphan(container: Container, size: int) -> uuid.UUID:
    """Chunks committed without an owning row, as a failed write used to leave them."""
    owner = new_id()
    with container.uow() as uow:
        store.store_chunks(uow, owner, io.BytesIO(b"o" * size), limit=10 * MiB)
    return owner


def test_orphans_older_than_the_grace_period_go_with_their_keys(container: Container, clock: FrozenClock) -> None:
    setup = make_engagement(container)
    with container.uow() as uow:
        kept = artifacts.upload(
            uow,
            setup.developer.principal,
            setup.engagement.id,
            kind="other",
            filename="notes.txt",
            content_type="text/plain",
            stream=io.BytesIO(b"k" * (MiB + 1)),
        )
    old = _orphan(container, 2 * MiB + 1)
    clock.advance(store.ORPHAN_GRACE - timedelta(minutes=1))
    recent = _orphan(container, 10)
    assert _chunks(container, old) == (3, 3)

    with container.uow() as uow:
        assert store.sweep_orphaned_chunks(uow) == 0  # nothing is old enough yet
    clock.advance(timedelta(minutes=2))
    with container.uow() as uow:
        assert store.sweep_orphaned_chunks(uow) == 1

    assert _chunks(container, old) == (0, 0)
    assert _chunks(container, recent) == (1, 1)  # still within its grace period
    assert _chunks(container, kept.id) == (2, 2)  # owned by an artifact
    with container.sessions() as session:
        entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "engagements:chunks:swept"))
        assert entry is not None
        assert str(old) in str(entry.details)
    clock.advance(store.ORPHAN_GRACE)
    with container.uow() as uow:
        assert store.sweep_orphaned_chunks(uow) == 1
    assert _chunks(container, recent) == (0, 0)
    assert _chunks(container, kept.id) == (2, 2)
