"""Sealed benchmark suites: the samples of a benchmark version, encrypted at rest."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


class SealedSuite(Base):
    """One benchmark version's samples, sealed with envelope encryption (never stored in clear)."""

    __tablename__ = "sealed_suites"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    benchmark_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("benchmarks.id", ondelete="RESTRICT"), unique=True)
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    sample_count: Mapped[int] = mapped_column(Integer)
    samples_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_by: Mapped[str] = mapped_column(String(320))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ModelTarget(Base):
    """How to reach a model under evaluation; it stands for a registered version or a reference model.

    An Inspect model string and, for OpenAI-compatible servers, a sealed base URL and a sealed API key.

    Every target counts as hosted by the developer (its items would reach the developer's servers
    in clear) until the platform operator allows classified runs on it (``classified_allowed_*``).
    """

    __tablename__ = "model_targets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    model: Mapped[str] = mapped_column(String(200))
    # Plaintext base URLs of targets registered before URLs were sealed; new targets leave it empty.
    base_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    base_url_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    api_key_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    model_version_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("model_versions.id", ondelete="RESTRICT"), nullable=True
    )
    reference_model: Mapped[str | None] = mapped_column(String(120), nullable=True)
    classified_allowed_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    classified_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    classified_allowed_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BenchmarkRun(Base):
    """One benchmark × target evaluation, run as a job: queued → running → succeeded | failed | cancelled."""

    __tablename__ = "benchmark_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    benchmark_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("benchmarks.id", ondelete="RESTRICT"), index=True)
    target_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("model_targets.id", ondelete="RESTRICT"), index=True)
    # A model-graded suite's grader, pinned by id when the run is queued (never looked up by name later).
    grader_target_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("model_targets.id", ondelete="RESTRICT"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    max_connections: Mapped[int] = mapped_column(Integer)
    max_retries: Mapped[int] = mapped_column(Integer)
    timeout_seconds: Mapped[int] = mapped_column(Integer)
    scaffold_version: Mapped[str] = mapped_column(String(80))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    samples_total: Mapped[int] = mapped_column(Integer, default=0)
    samples_done: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    limits_hit: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    stderr: Mapped[float | None] = mapped_column(Float, nullable=True)
    # A classified suite's score and stderr, sealed; ``score`` and ``stderr`` then stay empty.
    scores_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    log_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    result_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
