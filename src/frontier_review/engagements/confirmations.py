"""What each irreversible engagement action will do, in words, for its confirmation page.

The numbers come from :mod:`frontier_review.engagements.access.impact` (which authorizes like
the action itself); this module only phrases them as a :class:`~frontier_review.web.confirm.Consequences`.
The page's digest covers these sentences, so a change in any number between the page and the
confirmation (a token minted, a participant revoked by a colleague) makes the confirmation stale.
"""

from __future__ import annotations

import uuid

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.access import impact
from frontier_review.kernel.principal import Principal
from frontier_review.registry.domain import VersionStatus
from frontier_review.web.confirm import Consequences

__all__ = ["close", "revoke_designation", "revoke_participant", "revoke_user", "version_status"]

_REASON = "Reason (optional)"
_REASON_HINT = "Recorded in the audit log with this action; the people cut off are not shown it."
_STAY = "Findings and their threads stay readable to their parties; nothing is deleted."


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(f"“{n}”" for n in names)


def _tokens_stop(count: int) -> str:
    """``7 gateway tokens stop working`` (``1 gateway token stops working``)."""
    return f"{_n(count, 'gateway token')} stop{'s' if count == 1 else ''} working"


def _reach(reach: impact.Reach) -> str:
    """What a reach cuts off, as one sentence.

    ``Agency, Grid Co (5 people) lose access at this second; 7 gateway tokens stop working.``
    """
    who = ", ".join(reach.organizations)
    loses = "loses" if len(reach.organizations) == 1 else "lose"
    return f"{who} ({_n(reach.people, 'person', 'people')}) {loses} access at this second; {_tokens_stop(reach.tokens)}."


def version_status(
    uow: UnitOfWork, principal: Principal, version_id: uuid.UUID, status: VersionStatus, *, action: str, back: str
) -> Consequences:
    """Releasing (or withdrawing) a version: every engagement of it closes with every access (G2).

    ``action`` is the path that performs it (the version page's or the engagement page's).
    """
    ending = impact.version_ending(uow, principal, version_id, status)
    releasing = status is VersionStatus.RELEASED
    verb = "Releasing" if releasing else "Withdrawing"
    open_count = _n(len(ending.engagements), "open engagement")
    effects = [
        f"{verb} closes {open_count} and {_tokens_stop(ending.reach.tokens)}."
        if ending.engagements
        else f"{verb} closes no engagement: none of {ending.display} is open.",
        f"{ending.display} is {'released' if releasing else 'withdrawn'} now. No approval is needed and nobody is asked.",
    ]
    if ending.engagements:
        effects.append(f"Closed now: {_names(ending.engagements)}. Their participants are notified.")
    if ending.reach.organizations:
        effects.append(_reach(ending.reach))
    if ending.drafts:
        effects.append(
            f"{_n(ending.drafts, 'draft engagement')} never offered {'is' if ending.drafts == 1 else 'are'} closed too."
        )
    if ending.engagements:
        effects.append(_STAY)
    final = (
        "A released version cannot go back to prerelease or be withdrawn, and the closed engagements cannot be reopened."
        if releasing
        else "A withdrawn version cannot go back to prerelease or be released, and the closed engagements cannot be reopened."
    )
    return Consequences(
        title=f"{'Release' if releasing else 'Withdraw'} {ending.display}?",
        action=action,
        effects=tuple(effects),
        final=final,
        button="Release now" if releasing else "Withdraw now",
        back=back,
    )


def close(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> Consequences:
    """Ending an engagement now (recorded as withdrawn)."""
    ending = impact.engagement_ending(uow, principal, engagement_id)
    if ending.draft:
        effects = ["The draft is closed. It was never offered, so nobody had access."]
    else:
        effects = ["Every participant's access ends at this second; they are notified."]
        if ending.reach.organizations:
            effects.append(_reach(ending.reach))
        effects.append(_STAY)
    return Consequences(
        title=f"End “{ending.title}”?",
        action=f"/engagements/{engagement_id}/close",
        effects=tuple(effects),
        final="An ended engagement cannot be reopened: to give access again, open a new engagement (its terms accepted anew).",
        button="End the engagement",
        back=f"/engagements/{engagement_id}#overview",
        reason=_REASON,
        reason_hint=_REASON_HINT,
    )


def revoke_participant(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, participant_id: uuid.UUID
) -> Consequences:
    """Revoking a whole participating organization."""
    ending = impact.participant_ending(uow, principal, engagement_id, participant_id)
    org = ending.reach.organizations[0]
    return Consequences(
        title=f"Revoke {org} from “{ending.title}”?",
        action=f"/engagements/{engagement_id}/participants/{participant_id}/revoke",
        effects=(
            _reach(ending.reach),
            f"Nobody in {org} can open the engagement, its findings or its materials any more; {org} is notified.",
            "The other participants keep their access.",
        ),
        final=f"{org} cannot be invited to this engagement again.",
        button=f"Revoke {org}",
        back=f"/engagements/{engagement_id}#participants",
        reason=_REASON,
        reason_hint=_REASON_HINT,
    )


def revoke_user(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, user_id: uuid.UUID | None, *, email: str | None = None
) -> Consequences:
    """Revoking one person (picked from the participants' members, or named by address)."""
    ending = impact.person_ending(uow, principal, engagement_id, user_id, email=email)
    name = ending.full_name or ending.email
    return Consequences(
        title=f"Revoke {name} from “{ending.title}”?",
        action=f"/engagements/{engagement_id}/revoke-user",
        effects=(
            f"{name} <{ending.email}> ({ending.organization_name}) loses access at this second; {_tokens_stop(ending.tokens)}.",
            "They can no longer open the engagement, its findings or its materials, and they are notified.",
            f"The rest of {ending.organization_name} keeps its access.",
        ),
        final="There is no way to give this person access to this engagement again.",
        button=f"Revoke {name}",
        back=f"/engagements/{engagement_id}#participants",
        fields={"user_id": str(ending.user_id)},
        reason=_REASON,
        reason_hint=_REASON_HINT,
    )


def revoke_designation(uow: UnitOfWork, principal: Principal, designation_id: uuid.UUID) -> Consequences:
    """Ending a trusted-partner designation: the partner is outside every engagement at once."""
    ending = impact.partner_ending(uow, principal, designation_id)
    org = ending.organization_name
    effects = [f"{org} stops being a trusted partner ({ending.sector.replace('_', ' ')}) now."]
    if ending.engagements:
        effects.append(f"It loses access to {_n(len(ending.engagements), 'open engagement')}: {_names(ending.engagements)}.")
        effects.append(_reach(ending.reach))
    else:
        effects.append(f"{org} takes part in no open engagement: nobody loses access now.")
    effects.append(f"{org} can no longer be invited to engagements as a trusted partner.")
    return Consequences(
        title=f"End the trusted-partner designation of {org}?",
        action=f"/partners/{designation_id}/revoke",
        effects=tuple(effects),
        final=f"The designation stays ended. Designating {org} again later is a new designation, with its own basis and expiry.",
        button="End the designation",
        back="/partners",
        reason=_REASON,
        reason_hint="Recorded in the audit log with this action.",
    )
