"""Coverage tables: published policies, benchmarks and results, determinations, inquiries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


class PublishedPolicy(Base):
    """An immutable policy version. A classified one keeps its content sealed (envelope encryption)."""

    __tablename__ = "coverage_policies"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    classified: Mapped[bool] = mapped_column(Boolean)
    digest: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    criterion_names: Mapped[list[str]] = mapped_column(JSON)
    published_by: Mapped[str] = mapped_column(String(320))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("identifier", "version", name="uq_coverage_policies_identifier_version"),)


class Benchmark(Base):
    """A benchmark suite version known to the platform (its items are sealed by the evaluations area)."""

    __tablename__ = "benchmarks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(80))
    classified: Mapped[bool] = mapped_column(Boolean)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("name", "version", name="uq_benchmarks_name_version"),)


class BenchmarkResult(Base):
    """An aggregate score of a model version, or of a named reference model, on a benchmark version."""

    __tablename__ = "benchmark_results"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    benchmark_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("benchmarks.id", ondelete="RESTRICT"), index=True)
    model_version_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("model_versions.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    reference_model: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # Empty for a classified benchmark, whose score and stderr are in ``scores_sealed`` instead.
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    stderr: Mapped[float | None] = mapped_column(Float, nullable=True)
    scores_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    samples: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scaffold_version: Mapped[str] = mapped_column(String(80), default="")
    run_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(320))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Determination(Base):
    """An immutable coverage decision for a version under a policy version; a newer one supersedes it."""

    __tablename__ = "determinations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    model_version_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("model_versions.id", ondelete="RESTRICT"))
    policy_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("coverage_policies.id", ondelete="RESTRICT"))
    outcome: Mapped[str] = mapped_column(String(32))
    met_criteria: Mapped[list[str]] = mapped_column(JSON)
    trace: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    trace_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    rationale: Mapped[str] = mapped_column(Text, default="")
    inquiry_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    decided_by: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_determinations_version_policy", "model_version_id", "policy_id"),)


class Inquiry(Base):
    """A developer's question: is this version covered? Worked by the program office."""

    __tablename__ = "coverage_inquiries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    model_version_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("model_versions.id", ondelete="RESTRICT"), index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    question: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), index=True)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    assignee_label: Mapped[str | None] = mapped_column(String(320), nullable=True)
    determination_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    filed_by: Mapped[str] = mapped_column(String(320))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads this mapping once


class InquiryEvent(Base):
    """One step in an inquiry's thread."""

    __tablename__ = "coverage_inquiry_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    inquiry_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("coverage_inquiries.id", ondelete="CASCADE"), index=True)
    # Order within the thread; the inquiry's version column makes concurrent steps conflict.
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    actor_label: Mapped[str] = mapped_column(String(320))
    actor_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
