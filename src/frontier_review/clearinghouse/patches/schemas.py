"""API models of patch distribution; every field described (OpenAPI shows them at /api/v1/docs)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from frontier_review.clearinghouse.patches.domain import DistributionState, FixInput
from frontier_review.clearinghouse.patches.views import (
    DistributionView,
    ExposureBoard,
    ExposureRow,
    FixView,
    RecordView,
    StepView,
)

__all__ = ["DistributionOut", "ExposureOut", "ExposurePageOut", "FixIn", "FixOut", "OwnRecordIn", "RecordOut"]


class FixIn(BaseModel):
    """A fix of a report."""

    model_config = ConfigDict(extra="forbid")

    fixed_version: StrictStr = Field(max_length=200, description="The version that fixes the vulnerability (`2.3.2`).")
    released_on: date = Field(description="When the fixed version was released (YYYY-MM-DD).")
    link: StrictStr = Field(max_length=2000, description="Where to get it or read its advisory (http or https).")
    notes: StrictStr = Field(default="", max_length=4000, description="Optional notes for operators (up to 2000 characters).")
    version: int | None = Field(
        default=None, description="On a correction: the fix's version you loaded; a newer one answers 409."
    )

    def to_input(self) -> FixInput:
        return FixInput(self.fixed_version, self.released_on, self.link, self.notes)


class FixOut(BaseModel):
    """A fix, as every reader of the report sees it."""

    id: uuid.UUID = Field(description="The fix.")
    report_id: uuid.UUID = Field(description="Its report.")
    fixed_version: str = Field(description="The version that fixes it.")
    released_on: date = Field(description="Its release date.")
    link: str = Field(description="Where to get it (http or https).")
    notes: str = Field(description="Notes for operators.")
    added_by: str = Field(description="Who recorded it.")
    added_at: datetime = Field(description="When it was recorded (UTC).")
    updated_at: datetime = Field(description="When it was last corrected (UTC).")
    version: int = Field(description="Incremented on each correction.")

    @classmethod
    def of(cls, v: FixView) -> FixOut:
        return cls(**{name: getattr(v, name) for name in cls.model_fields})


class StepOut(BaseModel):
    """One transition of a distribution record."""

    from_state: DistributionState | None = Field(description="The state before (none when the record was created).")
    to_state: DistributionState = Field(description="The state after.")
    actor: str = Field(description="Who moved it.")
    note: str = Field(description="The operator's note, if any.")
    at: datetime = Field(description="When (UTC).")

    @classmethod
    def of(cls, s: StepView) -> StepOut:
        return cls(from_state=s.from_state, to_state=s.to_state, actor=s.actor, note=s.note, at=s.at)


class RecordOut(BaseModel):
    """One operator's distribution record: where it stands with the report's fix."""

    id: uuid.UUID = Field(description="The record.")
    report_id: uuid.UUID = Field(description="Its report.")
    organization_id: uuid.UUID = Field(description="The operator.")
    organization_name: str = Field(description="The operator's name.")
    state: DistributionState = Field(description="`notified`, `acknowledged`, `applied` or `not_affected`.")
    exposed: bool = Field(description="Still exposed: notified or acknowledged.")
    note: str = Field(description="The operator's latest note.")
    notified_at: datetime = Field(description="When the operator was notified (UTC).")
    acknowledged_at: datetime | None = Field(description="The latest acknowledgement, if any.")
    applied_at: datetime | None = Field(description="The latest time it was marked applied, if any.")
    not_affected_at: datetime | None = Field(description="The latest time it was marked not affected, if any.")
    updated_at: datetime = Field(description="The latest change (UTC).")
    updated_by: str = Field(description="Who made the latest change.")
    version: int = Field(description="Incremented on each change; send it back to detect a concurrent one.")
    next_states: list[DistributionState] = Field(description="Where the operator may move it next.")
    steps: list[StepOut] = Field(description="Every transition, oldest first.")

    @classmethod
    def of(cls, r: RecordView) -> RecordOut:
        return cls(
            **{name: getattr(r, name) for name in cls.model_fields if name not in {"steps", "next_states", "exposed"}},
            exposed=r.exposed,
            next_states=list(r.next_states),
            steps=[StepOut.of(s) for s in r.steps],
        )


class DistributionOut(BaseModel):
    """A report's patch distribution, as far as the caller may see it."""

    report_id: uuid.UUID = Field(description="The report.")
    fixes: list[FixOut] = Field(description="Its fixes, oldest release first.")
    records: list[RecordOut] | None = Field(
        description="Every operator's record, still exposed first (the clearinghouse only; otherwise null)."
    )
    counts: dict[DistributionState, int] | None = Field(
        description="How many operators are in each state (the clearinghouse and the source; otherwise null)."
    )
    exposed: int | None = Field(description="How many operators are still exposed (with `counts`).")
    own: RecordOut | None = Field(description="Your organization's own record, if it has one.")

    @classmethod
    def of(cls, v: DistributionView) -> DistributionOut:
        return cls(
            report_id=v.report_id,
            fixes=[FixOut.of(f) for f in v.fixes],
            records=None if v.records is None else [RecordOut.of(r) for r in v.records],
            counts=v.counts,
            exposed=v.exposed,
            own=RecordOut.of(v.own) if v.own else None,
        )


class OwnRecordIn(BaseModel):
    """An operator's update of its own record."""

    model_config = ConfigDict(extra="forbid")

    state: StrictStr = Field(max_length=20, description="`acknowledged`, `applied` or `not_affected`.")
    note: StrictStr = Field(default="", max_length=4000, description="An optional note (up to 2000 characters).")
    version: int | None = Field(default=None, description="The record's version you loaded; a newer one answers 409.")


class ExposureOut(BaseModel):
    """One operator's distribution record of one report on the exposure board, with the report."""

    report_id: uuid.UUID = Field(description="The report.")
    title: str = Field(description="Its title.")
    tlp: str = Field(description="Its TLP 2.0 label.")
    validated: bool = Field(description="Validated by the clearinghouse.")
    priority: float = Field(description="Its remediation priority, 0–100.")
    band: str = Field(description="The priority's band.")
    factors: dict[str, float] = Field(description="The priority's factors and their points.")
    operator_id: uuid.UUID = Field(description="The operator the record is for (yours, unless you are the clearinghouse).")
    operator: str = Field(description="The operator's name.")
    reasons: list[str] = Field(
        description="Why it affects your organization: `addressed to you`, `sector`, `product`, else `patch distribution`;"
        " empty on another operator's record."
    )
    fixes: int = Field(description="How many fixes are recorded.")
    exposed: bool = Field(description="Still exposed: the record is notified or acknowledged.")
    record: RecordOut = Field(description="The distribution record.")

    @classmethod
    def of(cls, row: ExposureRow) -> ExposureOut:
        r = row.report
        return cls(
            report_id=r.id,
            title=r.title,
            tlp=r.tlp.value,
            validated=r.validated,
            priority=r.priority,
            band=r.band.value,
            factors={f.name: f.points for f in r.factors},
            operator_id=row.record.organization_id,
            operator=row.record.organization_name,
            reasons=list(row.reasons),
            fixes=row.fixes,
            exposed=row.exposed,
            record=RecordOut.of(row.record),
        )


class ExposurePageOut(BaseModel):
    """A page of the exposure board."""

    items: list[ExposureOut] = Field(description="The records of this page.")
    total: int = Field(description="How many records match, on every page.")
    exposed: int = Field(description="How many of the records (the search applied, `exposed` not) are still exposed.")
    page: int = Field(description="This page's number (1-based).")
    per_page: int = Field(description="Records per page.")

    @classmethod
    def of(cls, board: ExposureBoard) -> ExposurePageOut:
        rows = board.rows
        return cls(
            items=[ExposureOut.of(r) for r in rows],
            total=rows.total,
            exposed=board.exposed,
            page=rows.page,
            per_page=rows.per_page,
        )
