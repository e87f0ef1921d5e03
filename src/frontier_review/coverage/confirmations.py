"""What withdrawing a coverage inquiry will do, in words, for its confirmation page (web/confirm.py).

Authorized like the withdrawal itself (the developer that filed it), so the page is refused to
whoever could not withdraw: it never describes an inquiry to someone who may not act on it.
"""

from __future__ import annotations

import uuid

from frontier_review.coverage import inquiries
from frontier_review.coverage.inquiries import ACTIVE
from frontier_review.coverage.policy import VersionOwner
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.errors import InvalidTransition
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize
from frontier_review.web.confirm import Consequences

__all__ = ["withdraw"]


def withdraw(uow: UnitOfWork, principal: Principal, inquiry_id: uuid.UUID) -> Consequences:
    """Withdrawing an inquiry: the program office stops working it and is told.

    Raises:
        NotFound: No such inquiry, or one the caller may not see.
        PermissionDenied: The caller may see it but not withdraw it (the program office).
        InvalidTransition: It is already decided or withdrawn.
    """
    view = inquiries.get_inquiry(uow, principal, inquiry_id)
    authorize(
        uow, principal, Permission.COVERAGE_INQUIRY_RESPOND, VersionOwner(view.organization_id, str(view.id), "coverage_inquiry")
    )
    if view.status not in ACTIVE:
        raise InvalidTransition(f"the inquiry is {view.status.value}")
    messages = sum(1 for e in view.events if e.body)
    who = f"{view.assignee}, who is working it," if view.assignee else "The program office (nobody has taken it yet)"
    effects = (
        f"The inquiry whether {view.version_display} is covered is closed as withdrawn: no determination answers it.",
        f"{who} is notified and stops working it.",
        f"The thread ({messages} message{'' if messages == 1 else 's'}) stays readable to both sides; nothing is deleted.",
    )
    return Consequences(
        title=f"Withdraw the inquiry about {view.version_display}?",
        action=f"/coverage/inquiries/{inquiry_id}/withdraw",
        effects=effects,
        final="A withdrawn inquiry cannot be reopened: to ask again, file a new inquiry from the version page.",
        button="Withdraw the inquiry",
        back=f"/coverage/inquiries/{inquiry_id}",
    )
