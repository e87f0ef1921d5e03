"""The demo's scan deconfliction: two overlapping scans of First Federal Bank, and one that does not overlap.

The lead calls :func:`scan_scenario` from the demo loader, inside its unit of work, after the
organizations exist::

    clearinghouse_scans.scan_scenario(uow, lambda email: _person(uow, email))

DHS CISA and the NSA both plan to scan the bank's internet-facing range over the same days: the
overlap is flagged to both agencies and to the Treasury clearinghouse, and the bank sees both scans
(and who registered them) on its "scans of our assets" page. The clearinghouse's own scan of the
bank's IPv6 range, two weeks later, overlaps nothing. Addresses and names are documentation ones
(RFC 5737, RFC 3849, ``.example``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from frontier_review.clearinghouse.scans import service as scans
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.principal import Principal

__all__ = ["BANK", "scan_scenario"]

BANK = "First Federal Bank"


def scan_scenario(uow: UnitOfWork, person: Callable[[str], Principal]) -> None:
    """Register the three demo scans (``person`` finds a demo principal by e-mail address)."""
    bank = next(o.id for o in directory.list_organizations(uow) if o.name == BANK)
    start = uow.clock.now().replace(hour=13, minute=0, second=0, microsecond=0) + timedelta(days=2)
    scans.register_scan(
        uow,
        person("lead@cisa.demo"),
        target_org_id=bank,
        ranges=["198.51.100.0/24"],
        domains=["online.firstfederal.example"],
        starts_at=start,
        ends_at=start + timedelta(days=3),
        model_text="CISA's vulnerability-scanning agent on a released open-weights model",
        purpose="Cyber Hygiene external scan of internet-facing services (fictional demo content).",
    )
    scans.register_scan(
        uow,
        person("lead@nsa.demo"),
        target_org_id=bank,
        ranges=["198.51.100.128/25"],
        domains=["*.firstfederal.example"],
        starts_at=start + timedelta(days=1),
        ends_at=start + timedelta(days=2),
        model_text="an AI-assisted fuzzing agent",
        purpose="Validation of a reported TLS flaw on the bank's portal hosts (fictional demo content).",
    )
    later = start + timedelta(days=14)
    scans.register_scan(
        uow,
        person("analyst@treasury.demo"),
        target_org_id=bank,
        ranges=["2001:db8:ffb::/48"],
        starts_at=later,
        ends_at=later + timedelta(days=1),
        model_text="the clearinghouse's patch-verification agent",
        purpose="Confirm the fix for a disclosed report is applied (fictional demo content).",
    )
