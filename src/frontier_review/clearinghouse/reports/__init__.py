"""Vulnerability reports under TLP 2.0: submission, triage, validation, priority, dissemination (issue 14).

Other areas and slices use only the names below (the routers are in ``api`` and ``web``, the
rules in ``policy.RULES``, the tables in ``orm`` for the composition root). The slice has the
shape of ``engagements.findings``: ``domain`` and ``fields`` and ``policy`` (pure), ``service``
and ``workflow`` (use cases returning views), ``views``, ``browse`` (lists and counts),
``kev`` (the KEV catalogue), ``notify``, ``schemas``, ``api``, ``web``, ``summary``.

``ReportDisseminated`` is published on the unit of work whenever a report reaches a wider
audience; ``reads_report`` is the one audience question any other slice must ask before it
tells anyone about a report.
"""

from __future__ import annotations

from frontier_review.clearinghouse.reports.browse import (
    name_reports,
    page_public,
    page_reports,
    queue_counts,
    referred_from,
    reports_for_ids,
)
from frontier_review.clearinghouse.reports.dissemination import Disseminated, disseminated
from frontier_review.clearinghouse.reports.domain import Product, ProductInput, ReportStatus, Tlp, affected
from frontier_review.clearinghouse.reports.events import ReportDisseminated
from frontier_review.clearinghouse.reports.kev import KevImport, import_kev, recompute_priorities
from frontier_review.clearinghouse.reports.patching import (  # clearinghouse — patches
    ReportFacts,
    facts_for,
    find_readable_ref,
    readable_ref,
    readable_refs,
    readable_reports,
    report_is_open,
    set_fix_available,
)
from frontier_review.clearinghouse.reports.policy import ReportRef, reads_report
from frontier_review.clearinghouse.reports.service import Referral, ReportInput, get_report, submit, update_report
from frontier_review.clearinghouse.reports.views import ReportSummary, ReportView
from frontier_review.clearinghouse.reports.workflow import (
    address,
    advance,
    disclose,
    merge,
    name_validator,
    reject,
    relabel,
    validate,
)

__all__ = [
    "Disseminated",
    "KevImport",
    "Product",
    "ProductInput",
    "Referral",
    "ReportDisseminated",
    "ReportFacts",
    "ReportInput",
    "ReportRef",
    "ReportStatus",
    "ReportSummary",
    "ReportView",
    "Tlp",
    "address",
    "advance",
    "affected",
    "disclose",
    "disseminated",
    "facts_for",
    "find_readable_ref",
    "get_report",
    "import_kev",
    "merge",
    "name_reports",
    "name_validator",
    "page_public",
    "page_reports",
    "queue_counts",
    "readable_ref",
    "readable_refs",
    "readable_reports",
    "reads_report",
    "recompute_priorities",
    "referred_from",
    "reject",
    "relabel",
    "report_is_open",
    "reports_for_ids",
    "set_fix_available",
    "submit",
    "update_report",
    "validate",
]
