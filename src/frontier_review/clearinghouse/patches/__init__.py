"""Patch distribution: a report's fixes, and each affected operator's record (issue 14 item 5).

The slice has the shape of ``clearinghouse.reports``: ``domain`` and ``policy`` (pure),
``service`` (use cases), ``views``, ``browse`` (the exposure board, paged in SQL; the priority
board's counts and the report page's section, which the reports slice's routes call),
``on_reports`` (records created when a report is disseminated), ``schemas``, ``api``, ``web``,
``tags``. Other slices use only the names below.
"""

from __future__ import annotations

from frontier_review.clearinghouse.patches.browse import page_exposure, section, still_exposed
from frontier_review.clearinghouse.patches.domain import DistributionState, FixInput
from frontier_review.clearinghouse.patches.service import (
    add_fix,
    distribute,
    edit_fix,
    get_distribution,
    list_fixes,
    update_own,
)
from frontier_review.clearinghouse.patches.views import DistributionView, ExposureBoard, ExposureRow, FixView, RecordView

__all__ = [
    "DistributionState",
    "DistributionView",
    "ExposureBoard",
    "ExposureRow",
    "FixInput",
    "FixView",
    "RecordView",
    "add_fix",
    "distribute",
    "edit_fix",
    "get_distribution",
    "list_fixes",
    "page_exposure",
    "section",
    "still_exposed",
    "update_own",
]
