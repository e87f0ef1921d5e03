"""Prerelease review engagements: the developer's offer of access, its terms, its parties and what they do with it.

Other areas use only the names below (and the routers in ``engagements.api`` and
``engagements.web``, the rules in ``engagements.policy``, the jobs in ``engagements.tasks``).
Inside the area, each sub-package has the same slice: ``domain`` and ``policy`` (pure),
``service`` (use cases returning views), ``schemas``, ``api``, ``web`` and ``orm``:

- ``lifecycle``: engagements, terms, participants, windows, partners, notices, closing;
- ``access``: gateway tokens, upstreams, the one access-context loader, the access log;
- ``materials``: artifacts and finding evidence on one sealed-file store;
- ``findings``: findings and their TLP 2.0 audience.
"""

from __future__ import annotations

from frontier_review.engagements.access.recorder import ACCESS_ACTIONS, CHAIN_BATCH, chain_pending, in_flight_grace
from frontier_review.engagements.access.service import (
    GatewayTokenView,
    IssuedGatewayToken,
    UsageRow,
    issue_token,
    list_my_tokens,
    list_usage,
    remove_upstream,
    revoke_token,
    set_upstream,
)
from frontier_review.engagements.findings.domain import Category, FindingStatus, Severity, Tlp
from frontier_review.engagements.findings.service import (
    attach_evidence,
    comment,
    download_evidence,
    file_finding,
    get_finding,
    list_findings,
    list_recipient_choices,
    relabel,
)
from frontier_review.engagements.findings.summary import OpenFinding, OpenFindings, open_findings
from frontier_review.engagements.findings.views import FindingSummary, FindingView
from frontier_review.engagements.lifecycle.closing import on_version_status_changed
from frontier_review.engagements.lifecycle.domain import (
    Cohort,
    EngagementState,
    Materials,
    Protections,
    Quotas,
    Recipients,
    Window,
)
from frontier_review.engagements.lifecycle.participants import invite, list_invitable, revoke_participant, revoke_user, set_quotas
from frontier_review.engagements.lifecycle.partners import DesignationView, designate, list_designations, revoke_designation
from frontier_review.engagements.lifecycle.policy import EngagementRef
from frontier_review.engagements.lifecycle.service import (
    accept_terms,
    change_terms,
    close,
    get_engagement,
    list_engagements,
    offer,
    open_engagement,
    set_window,
)
from frontier_review.engagements.lifecycle.summary import EngagementCard, EngagementOverview
from frontier_review.engagements.lifecycle.summary import overview as engagement_overview
from frontier_review.engagements.lifecycle.views import EngagementView
from frontier_review.engagements.materials.service import ArtifactView, download_artifact, list_artifacts, upload

__all__ = [
    "ACCESS_ACTIONS",
    "CHAIN_BATCH",
    "ArtifactView",
    "Category",
    "Cohort",
    "DesignationView",
    "EngagementCard",
    "EngagementOverview",
    "EngagementRef",
    "EngagementState",
    "EngagementView",
    "FindingStatus",
    "FindingSummary",
    "FindingView",
    "GatewayTokenView",
    "IssuedGatewayToken",
    "Materials",
    "OpenFinding",
    "OpenFindings",
    "Protections",
    "Quotas",
    "Recipients",
    "Severity",
    "Tlp",
    "UsageRow",
    "Window",
    "accept_terms",
    "attach_evidence",
    "chain_pending",
    "change_terms",
    "close",
    "comment",
    "designate",
    "download_artifact",
    "download_evidence",
    "engagement_overview",
    "file_finding",
    "get_engagement",
    "get_finding",
    "in_flight_grace",
    "invite",
    "issue_token",
    "list_artifacts",
    "list_designations",
    "list_engagements",
    "list_findings",
    "list_invitable",
    "list_my_tokens",
    "list_recipient_choices",
    "list_usage",
    "offer",
    "on_version_status_changed",
    "open_engagement",
    "open_findings",
    "relabel",
    "remove_upstream",
    "revoke_designation",
    "revoke_participant",
    "revoke_token",
    "revoke_user",
    "set_quotas",
    "set_upstream",
    "set_window",
    "upload",
]
