"""API models for planned scans and their overlaps."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictStr

from frontier_review.clearinghouse.scans.views import OverlapView, ScanSummary, ScanView


class _In(BaseModel):
    """Inputs refuse unknown fields."""

    model_config = ConfigDict(extra="forbid")


class ScanIn(_In):
    """A planned vulnerability scan, registered for your organization (the scanner)."""

    target_org_id: uuid.UUID = Field(description="The organization whose assets are scanned.")
    ranges: list[StrictStr] = Field(
        default_factory=list,
        max_length=64,
        description=(
            "IPv4 or IPv6 CIDR ranges (`198.51.100.0/24`, `2001:db8::/32`; host bits must be clear). "
            "A bare address is a /32 or /128."
        ),
    )
    domains: list[StrictStr] = Field(
        default_factory=list,
        max_length=64,
        description=(
            "Host names; `*.example.com` covers what is under example.com. A name covers its subdomains. "
            "At least one range or domain."
        ),
    )
    starts_at: AwareDatetime = Field(description="Start of the window (RFC 3339 with a time zone).")
    ends_at: AwareDatetime = Field(description="End of the window: after the start, at most 31 days later, not in the past.")
    model_version_id: uuid.UUID | None = Field(
        default=None, description="A registered model version used: your own developer's, or a released one."
    )
    model_text: StrictStr = Field(default="", max_length=200, description="The AI model or agent used, in words.")
    purpose: StrictStr = Field(
        default="", max_length=5000, description="Purpose and notes, shown to the target and the clearinghouse."
    )


class ScanChangeIn(_In):
    """A change of a scan's window, ranges or domains; an omitted field is kept."""

    ranges: list[StrictStr] | None = Field(default=None, max_length=64, description="The ranges after the change.")
    domains: list[StrictStr] | None = Field(default=None, max_length=64, description="The domains after the change.")
    starts_at: AwareDatetime | None = Field(default=None, description="The new start of the window.")
    ends_at: AwareDatetime | None = Field(default=None, description="The new end of the window.")
    version: int | None = Field(default=None, description="The version you read; a different current version answers 409.")


class ObjectionIn(_In):
    """The target's objection to a scan of its assets."""

    reason: StrictStr = Field(max_length=2000, description="Why (1 to 2000 characters); the scanner reads it.")


class ResolveIn(_In):
    """The clearinghouse's note on how an overlap was resolved."""

    note: StrictStr = Field(default="", max_length=2000, description="What the scanners agreed (optional).")


class OverlapOut(BaseModel):
    """An overlap from one scan's side."""

    id: uuid.UUID = Field(description="The overlap's id.")
    scan_id: uuid.UUID = Field(description="The scan it is seen from.")
    other_scan_id: uuid.UUID = Field(description="The other scan (open to the target and the clearinghouse only).")
    other_scanner: str = Field(description="The other scanning organization's name.")
    other_contact: str = Field(description="Who registered the other scan: the person to talk to.")
    starts_at: datetime = Field(description="Start of the shared window.")
    ends_at: datetime = Field(description="End of the shared window.")
    ranges: list[tuple[str, str]] = Field(description="Pairs (this scan's range, the other's) that share addresses.")
    domains: list[tuple[str, str]] = Field(description="Pairs (this scan's domain, the other's) that share host names.")
    resolved_at: datetime | None = Field(description="When the clearinghouse marked it resolved, or null.")
    resolved_by: str | None = Field(description="Who marked it resolved.")
    resolution: str | None = Field(description="The clearinghouse's note.")

    @classmethod
    def of(cls, o: OverlapView) -> OverlapOut:
        return cls(
            id=o.id,
            scan_id=o.scan_id,
            other_scan_id=o.other_scan_id,
            other_scanner=o.other_scanner_name,
            other_contact=o.other_contact,
            starts_at=o.starts_at,
            ends_at=o.ends_at,
            ranges=list(o.ranges),
            domains=list(o.domains),
            resolved_at=o.resolved_at,
            resolved_by=o.resolved_by,
            resolution=o.resolution,
        )


class ScanSummaryOut(BaseModel):
    """A scan in a list."""

    id: uuid.UUID = Field(description="The scan's id.")
    scanner_org_id: uuid.UUID = Field(description="The scanning organization.")
    scanner: str = Field(description="Its name.")
    target_org_id: uuid.UUID = Field(description="The organization whose assets are scanned.")
    target: str = Field(description="Its name.")
    ranges: list[str] = Field(description="CIDR ranges, normalised.")
    domains: list[str] = Field(description="Host names, lowercased (`*.` for wildcards).")
    starts_at: datetime = Field(description="Start of the window.")
    ends_at: datetime = Field(description="End of the window.")
    status: str = Field(description="`planned` or `cancelled`.")
    registered_by: str = Field(description="Who registered it.")
    objected: bool = Field(description="Whether the target objects.")
    open_overlaps: int = Field(description="How many unresolved overlaps it has.")

    @classmethod
    def of(cls, s: ScanSummary) -> ScanSummaryOut:
        return cls(
            id=s.id,
            scanner_org_id=s.scanner_org_id,
            scanner=s.scanner_name,
            target_org_id=s.target_org_id,
            target=s.target_name,
            ranges=list(s.ranges),
            domains=list(s.domains),
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            status=s.status.value,
            registered_by=s.registered_by,
            objected=s.objected,
            open_overlaps=s.open_overlaps,
        )


class ScanOut(ScanSummaryOut):
    """A scan with its model, purpose, objection and overlaps."""

    model_version_id: uuid.UUID | None = Field(description="The registered model version used, if any.")
    model: str | None = Field(description="That version's name.")
    model_text: str = Field(description="The model or agent in words.")
    purpose: str = Field(description="Purpose and notes.")
    objection: str | None = Field(description="The target's objection, or null.")
    objected_by: str | None = Field(description="Who objected.")
    version: int = Field(description="The scan's version (send it back with a change).")
    overlaps: list[OverlapOut] = Field(description="Its overlaps, from its side.")

    @classmethod
    def full(cls, v: ScanView) -> ScanOut:
        return cls(
            **ScanSummaryOut.of(v).model_dump(),
            model_version_id=v.model_version_id,
            model=v.model_display,
            model_text=v.model_text,
            purpose=v.purpose,
            objection=v.objection,
            objected_by=v.objected_by,
            version=v.version,
            overlaps=[OverlapOut.of(o) for o in v.overlaps],
        )


class ScanPageOut(BaseModel):
    """A page of the scans you may see."""

    items: list[ScanSummaryOut] = Field(description="The scans of this page.")
    total: int = Field(description="How many scans match, on every page.")
    page: int = Field(description="This page's number (1-based).")
    per_page: int = Field(description="Scans per page.")
