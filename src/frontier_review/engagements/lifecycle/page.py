"""The engagement page, organised by task (issue 12): which tabs a viewer gets, and in what order.

:func:`tabs_for` orders the tabs the way the viewer's role works: the developer watches
participants and findings, a reviewer goes to its own access (tokens, the playground) and to
findings, the program office reads findings first. Each tab is a template partial
(``engagements/_tab_<id>.html``); without JavaScript they are sections one after the other under
an in-page navigation, with it (``app.js``) one shows at a time. ``web.py`` gathers what the page
shows in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from frontier_review.engagements.lifecycle.domain import EngagementState
from frontier_review.engagements.lifecycle.views import EngagementView, ParticipantView
from frontier_review.kernel.principal import Principal

__all__ = ["Tab", "mine", "tabs_for", "token_refusal"]


@dataclass(frozen=True)
class Tab:
    """One tab of the engagement page: its anchor id and its label."""

    id: str
    label: str


OVERVIEW = Tab("overview", "Overview")
PARTICIPANTS = Tab("participants", "Participants & usage")
FINDINGS = Tab("findings", "Findings")
MATERIALS = Tab("materials", "Materials")
ACCESS = Tab("access", "My access")


def tabs_for(*, manages: bool, participant: bool, program_office: bool) -> list[Tab]:
    """The tabs in the order the viewer's role needs them (Overview always first).

    Args:
        manages: The viewer is the developer that owns the engagement.
        participant: The viewer's organization takes part (it may hold gateway tokens).
        program_office: The viewer works for the program office.

    Returns:
        The developer: participants and usage, findings, materials. A participant: its own
        access, findings, materials, then participants. The program office (not taking part):
        findings, participants and usage, materials.
    """
    if manages:
        return [OVERVIEW, PARTICIPANTS, FINDINGS, MATERIALS]
    if participant:
        return [OVERVIEW, ACCESS, FINDINGS, MATERIALS, PARTICIPANTS]
    if program_office:
        return [OVERVIEW, FINDINGS, PARTICIPANTS, MATERIALS]
    return [OVERVIEW, FINDINGS, MATERIALS, PARTICIPANTS]


def mine(view: EngagementView, principal: Principal) -> ParticipantView | None:
    """The viewer's own organization's participation, if it takes part."""
    return next((p for p in view.participants if p.organization_id == principal.org_id), None)


def token_refusal(view: EngagementView, mine: ParticipantView | None) -> str | None:
    """Why the viewer is not offered a new gateway token (display only; the service decides).

    None when the form may show: the engagement is not closed and the viewer's organization
    accepted the current terms.
    """
    if view.state is EngagementState.CLOSED:
        return "the engagement has ended; no new tokens can be created"
    if mine is None or mine.accepted_terms != view.current_terms:
        return (
            f"your organization has not accepted version {view.current_terms} of the terms yet; "
            "once an admin of your organization accepts them, you can create tokens here"
        )
    return None
