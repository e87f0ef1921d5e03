"""A person's own mailbox in the local mail sink (the ``/mail`` page).

Here, not in ``notifications``, because the address must come from the reader's account, which
identity owns; notifications only knows addresses.
"""

from __future__ import annotations

from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.principal import Principal
from frontier_review.notifications.email import MailView, list_mail_to

__all__ = ["my_mail"]


def my_mail(uow: UnitOfWork, principal: Principal, *, limit: int = 100) -> list[MailView]:
    """The sink's mail addressed to the principal's own account, newest first.

    Operators included: mail is a per-person channel (notices can name engagements and
    findings an operator has no business reading), so nobody sees another person's mail.
    The address is read from the account, never from the principal's display label.

    Args:
        uow: the unit of work.
        principal: the reader; the system (no user) has no mailbox.
        limit: at most this many messages.
    """
    if principal.user_id is None:
        return []
    person = directory.find_person(uow, principal.user_id)
    if person is None:
        return []
    return list_mail_to(uow, person.email, limit=limit)
