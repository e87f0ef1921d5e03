"""CISA's Known Exploited Vulnerabilities catalogue, imported as data, and priority recomputation.

The catalogue's JSON feed (``catalogVersion``, ``dateReleased``, ``vulnerabilities[]`` with
``cveID``, ``vendorProject``, ``product``, ``vulnerabilityName``, ``dateAdded``,
``knownRansomwareCampaignUse``, …) is read from a file the operator downloaded: nothing is
fetched at run time. Each import replaces the stored catalogue (the feed is a full snapshot),
and every report's priority is recomputed, since "known exploited" is one of its inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete as sa_delete
from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.clearinghouse.reports import fields, records
from frontier_review.clearinghouse.reports.orm import KevEntry, Report
from frontier_review.clearinghouse.reports.tags import ClearinghouseTag
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.errors import FieldProblem, ValidationFailed
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize

__all__ = ["KevImport", "import_kev", "recompute_priorities"]


@dataclass(frozen=True)
class KevImport:
    """What an import did: the catalogue's version, how many entries, how many priorities moved."""

    catalog_version: str
    entries: int
    skipped: int
    reports_changed: int


def _text(entry: Mapping[str, Any], key: str, limit: int) -> str:
    value = entry.get(key)
    return str(value)[:limit] if value is not None else ""


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def import_kev(uow: UnitOfWork, principal: Principal, document: Mapping[str, Any]) -> KevImport:
    """Replace the stored KEV catalogue with ``document`` (the feed's parsed JSON) and recompute priorities.

    Entries whose ``cveID`` is not a CVE id are skipped and counted.

    Raises:
        PermissionDenied: neither a platform operator nor a clearinghouse admin.
        ValidationFailed: not the feed's format (no ``catalogVersion`` or ``vulnerabilities`` list).
    """
    authorize(uow, principal, Permission.KEV_IMPORT, None)
    version = document.get("catalogVersion")
    items = document.get("vulnerabilities")
    problems = []
    if not isinstance(version, str) or not version.strip():
        problems.append(FieldProblem("catalogVersion", "not a KEV catalogue: catalogVersion is missing"))
    if not isinstance(items, list):
        problems.append(FieldProblem("vulnerabilities", "not a KEV catalogue: vulnerabilities is not a list"))
    if problems:
        raise ValidationFailed(problems[0].message, problems=problems)
    assert isinstance(version, str)
    assert isinstance(items, list)
    now = uow.clock.now()
    uow.session.execute(sa_delete(KevEntry))
    seen: set[str] = set()
    skipped = 0
    for entry in items:
        try:
            cve = fields.cve_id(str(entry.get("cveID", ""))) if isinstance(entry, Mapping) else None
        except ValueError:
            cve = None
        if cve is None or cve in seen or not isinstance(entry, Mapping):
            skipped += 1
            continue
        seen.add(cve)
        uow.session.add(
            KevEntry(
                cve_id=cve,
                vendor_project=_text(entry, "vendorProject", 200),
                product=_text(entry, "product", 200),
                name=_text(entry, "vulnerabilityName", 500),
                date_added=_date(entry.get("dateAdded")),
                ransomware=_text(entry, "knownRansomwareCampaignUse", 32),
                catalog_version=version.strip()[:40],
                imported_at=now,
            )
        )
    uow.session.flush()
    changed = _recompute_all(uow, principal)
    audit.record(
        uow,
        principal,
        ClearinghouseTag.KEV_IMPORTED,
        details={"catalog_version": version.strip()[:40], "entries": len(seen), "skipped": skipped, "reports_changed": changed},
    )
    return KevImport(version.strip()[:40], len(seen), skipped, changed)


def _recompute_all(uow: UnitOfWork, principal: Principal) -> int:
    changed = 0
    for row in uow.session.scalars(select(Report).order_by(Report.received_at)):
        before = row.priority_score
        priority = records.recompute(uow, row)
        if priority.score != before:
            changed += 1
            records.history(uow, principal, row, "priority recomputed", f"{before:.1f}", f"{priority.score:.1f}")
    uow.session.flush()
    return changed


def recompute_priorities(uow: UnitOfWork, principal: Principal) -> int:
    """Recompute every report's priority (after a formula change or a restore); returns how many moved."""
    authorize(uow, principal, Permission.PRIORITY_RECOMPUTE, None)
    changed = _recompute_all(uow, principal)
    audit.record(uow, principal, ClearinghouseTag.PRIORITIES_RECOMPUTED, details={"reports_changed": changed})
    return changed
