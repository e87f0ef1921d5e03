"""Confirmation steps: an irreversible web action is done only once its consequences were shown.

Releasing a version, ending an engagement, revoking a participant or a person, ending a partner
designation: each says, on a page of its own (``confirm.html``, no JavaScript needed), what will
happen and what cannot be undone, and offers one Confirm button. The action's route answers
a POST with that page, and performs the action only when the POST carries ``confirm``, the
digest of exactly what the page said::

    @router.post("/engagements/{engagement_id}/close", dependencies=[back_to(PAGE)])
    def close(..., confirm: Annotated[str, Form(max_length=80)] = "") -> Response:
        asked = ask(request, principal, consequences.close(uow, principal, engagement_id), confirm)
        if asked is not None:
            return asked
        ...do it, flash, redirect...

A button on another page (or a script) posting without ``confirm`` gets the page (200) and
nothing happens. A confirmation whose page no longer matches (a participant accepted the terms,
a token was minted, since the page was shown) gets the page again with a note (409), and nothing
happens either: the person confirms what they read, or nothing. The digest guards against
accidents and stale pages, not against the person (who is authorized by the service anyway).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import Response

from frontier_review.kernel.principal import Principal
from frontier_review.web.templating import render

__all__ = ["CONFIRM_FIELD", "Consequences", "ask", "confirmation_page"]

CONFIRM_FIELD = "confirm"
"""The form field that carries the digest of the confirmation page's text."""


@dataclass(frozen=True)
class Consequences:
    """What an irreversible action will do, in the words its confirmation page shows.

    Attributes:
        title: The question the page asks (``Release Atlas 3.0-rc2?``).
        action: The path the confirmed form posts to (the same path answers with this page).
        effects: What will happen, one sentence each (``Closes 2 open engagements: …``).
        final: What cannot be undone, and what remains possible.
        button: The Confirm button's text (``Release now``).
        back: Where Cancel goes: the page the action was started from.
        fields: Hidden values the action needs again (the person picked, say).
        reason: The label of an optional reason field, when the action records one.
        reason_hint: Who reads the reason.
        as_of: Figures that move on their own while the page is read (a running benchmark's
            progress, a token's last use): shown under the effects as of the page, and left out
            of the digest, so the page does not go stale every few seconds.
    """

    title: str
    action: str
    effects: tuple[str, ...]
    final: str
    button: str
    back: str
    fields: Mapping[str, str] = field(default_factory=dict)
    reason: str | None = None
    reason_hint: str | None = None
    as_of: tuple[str, ...] = ()

    @property
    def digest(self) -> str:
        """A digest of everything the page says: any change in it makes a confirmation stale."""
        said = [self.action, self.title, list(self.effects), self.final, sorted(self.fields.items())]
        return hashlib.sha256(json.dumps(said, ensure_ascii=False).encode()).hexdigest()[:32]


def ask(request: Request, principal: Principal, consequences: Consequences, given: str) -> Response | None:
    """None when this request confirms exactly ``consequences``; otherwise the page to answer with.

    ``given`` is the ``confirm`` field the POST carried ("" when none).
    """
    if given and hmac.compare_digest(given, consequences.digest):
        return None
    return confirmation_page(request, principal, consequences, changed=bool(given))


def confirmation_page(request: Request, principal: Principal, consequences: Consequences, *, changed: bool = False) -> Response:
    """The confirmation page; ``changed`` says the confirmed page was stale (answered with 409)."""
    return render(
        request,
        "confirm.html",
        principal,
        c=consequences,
        changed=changed,
        confirm_field=CONFIRM_FIELD,
        status_code=409 if changed else 200,
    )
