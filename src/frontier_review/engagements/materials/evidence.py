"""Finding evidence files in the sealed-file store.

Findings decide who may attach or download evidence (the finding's audience); this module only
stores and reads the files, exactly as artifacts are stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import func, select

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.materials import store
from frontier_review.engagements.materials.orm import FindingEvidence
from frontier_review.kernel.errors import NotFound
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.principal import Principal

__all__ = ["EvidenceView", "count_evidence", "get_evidence", "list_evidence", "open_evidence", "store_evidence"]


@dataclass(frozen=True)
class EvidenceView:
    """An evidence file's metadata; its content comes only through :func:`open_evidence`."""

    id: uuid.UUID
    finding_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    chunks: int
    uploaded_by: str
    uploaded_at: datetime


def _view(e: FindingEvidence) -> EvidenceView:
    return EvidenceView(e.id, e.finding_id, e.filename, e.content_type, e.size, e.sha256, e.chunks, e.uploaded_by, e.uploaded_at)


def store_evidence(
    uow: UnitOfWork,
    principal: Principal,
    finding_id: uuid.UUID,
    *,
    filename: str,
    content_type: str | None,
    stream: BinaryIO | Iterable[bytes],
) -> EvidenceView:
    """Seal an evidence file for a finding (the caller has authorized the principal).

    Raises:
        ValidationFailed: A bad name or type, an empty file, or one over ``artifact_max_bytes``.
    """
    evidence_id = new_id()
    stored = store.store_file(uow, principal, evidence_id, filename=filename, content_type=content_type, stream=stream)
    evidence = FindingEvidence(id=evidence_id, finding_id=finding_id, **stored.columns(), uploaded_at=uow.clock.now())
    uow.session.add(evidence)
    return _view(evidence)


def list_evidence(uow: UnitOfWork, finding_id: uuid.UUID) -> list[EvidenceView]:
    """A finding's evidence files, oldest first."""
    rows = uow.session.scalars(
        select(FindingEvidence).where(FindingEvidence.finding_id == finding_id).order_by(FindingEvidence.uploaded_at)
    )
    return [_view(e) for e in rows]


def count_evidence(uow: UnitOfWork, finding_id: uuid.UUID) -> int:
    """How many evidence files a finding has."""
    count = uow.session.scalar(select(func.count()).select_from(FindingEvidence).where(FindingEvidence.finding_id == finding_id))
    return int(count or 0)


def get_evidence(uow: UnitOfWork, finding_id: uuid.UUID, evidence_id: uuid.UUID) -> EvidenceView:
    """One evidence file of this finding.

    Raises:
        NotFound: No such file on this finding.
    """
    evidence = uow.session.get(FindingEvidence, evidence_id)
    if evidence is None or evidence.finding_id != finding_id:
        raise NotFound(f"evidence {evidence_id} not found on this finding")
    return _view(evidence)


def open_evidence(uow: UnitOfWork, evidence: EvidenceView) -> Iterator[bytes]:
    """The file's plaintext, read lazily chunk by chunk (commit the audit entry before streaming)."""
    return store.iter_chunks(uow, evidence.id, evidence.chunks)
