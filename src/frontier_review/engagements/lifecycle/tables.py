"""The engagement pages' list tables, declared once: engagements, participants, trusted partners.

Each is read from the query string (``web.tables``) and filled by the area's list reads
(``lifecycle.browse``), which sort, filter and page in their queries. The engagement page has
two tables, so their parameters carry a prefix (``p_`` here; ``f_`` for the findings, declared in
``web.py``, the one lifecycle module that may name the findings slice).
"""

from __future__ import annotations

import dataclasses

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.lifecycle import browse, partners
from frontier_review.engagements.lifecycle.domain import Cohort
from frontier_review.identity import directory
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.web.tables import Column, Filter, Sort, Table

__all__ = ["DESIGNATIONS", "ENGAGEMENTS", "PARTICIPANTS", "SEVERITY_COLUMN", "engagements_table"]

SEVERITY_COLUMN = "Findings by severity"

_STATES = [(s.value, s.value) for s in browse.STATE_ORDER]
ENGAGEMENTS = Table(
    id="engagements-table",
    caption="Engagements",
    columns=[
        Column("Engagement", "title"),
        Column("Model", "model"),
        Column("Developer", "developer"),
        Column("State", "state"),
        Column("Window", "window", descending_first=True),
        Column("Time left", "ends"),
        Column("Participants", "participants", descending_first=True, numeric=True),
        Column(SEVERITY_COLUMN),
    ],
    default_sort=Sort("window", descending=True),
    noun=("engagement", "engagements"),
    search_label="Search title, model or developer",
    filters=[Filter("state", "State", choices=_STATES), Filter("developer", "Developer")],
)
PARTICIPANTS = Table(
    id="participants-table",
    caption="Participants and their acceptance of the terms",
    columns=[
        Column("Organization", "organization"),
        Column("Cohort", "cohort"),
        Column("Terms", "terms", descending_first=True),
        Column("Quotas"),
        Column("Status", "status"),
    ],
    default_sort=Sort("organization"),
    noun=("participant", "participants"),
    search_label="Search organizations",
    filters=[
        Filter("cohort", "Cohort", choices=[(c.value, c.value) for c in Cohort]),
        Filter("terms", "Terms", choices=[("accepted", "current version accepted"), ("pending", "not accepted yet")]),
        Filter("status", "Status", choices=[("active", "active"), ("revoked", "revoked")]),
    ],
    prefix="p_",
)
DESIGNATIONS = Table(
    id="designations-table",
    caption="Trusted partner designations",
    columns=[
        Column("Organization", "organization"),
        Column("Sector", "sector"),
        Column("Basis"),
        Column("Designated", "designated", descending_first=True),
        Column("Expires", "expires"),
        Column("Status"),
        Column("Engagements"),
    ],
    default_sort=Sort("designated", descending=True),
    noun=("designation", "designations"),
    search_label="Search organizations",
    filters=[
        Filter("status", "Status", choices=[("active", "active"), ("expired", "expired"), ("ended", "ended")]),
        Filter("sector", "Sector", choices=[(s, s.replace("_", " ")) for s in partners.SECTORS]),
    ],
)


def engagements_table(uow: UnitOfWork, principal: Principal) -> Table:
    """The engagements table for this reader: what it would not understand, or may not use, left out."""
    table = ENGAGEMENTS
    if principal.org_kind is OrgKind.PROGRAM_OFFICE:
        developers = directory.list_organizations(uow, kinds=[OrgKind.DEVELOPER])
        return table.with_choices("developer", [(str(o.id), o.name) for o in developers])
    table = table.without_filter("developer")
    columns = [c for c in table.columns if c.label != SEVERITY_COLUMN or principal.org_kind is OrgKind.DEVELOPER]
    if principal.org_kind is not OrgKind.DEVELOPER:
        # A participant sees only its own participation: no ordering by how many others there are.
        columns = [Column(c.label, None) if c.sort == "participants" else c for c in columns]
    return dataclasses.replace(table, columns=tuple(columns))
