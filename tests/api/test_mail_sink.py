"""The local mail sink at /mail shows each person, operators included, only the mail addressed to them."""

from __future__ import annotations

import httpx

from frontier_review.bootstrap import Container
from frontier_review.identity.domain import OrgKind
from frontier_review.notifications import email
from tests.api.helpers import web_login
from tests.factories.identity import make_org, make_superuser, make_user


def test_the_sink_shows_an_operator_only_their_own_mail(container: Container, http: httpx.Client) -> None:
    member = make_user(container, make_org(container, OrgKind.AGENCY))
    root = make_superuser(container)
    with container.uow() as uow:
        email.queue_email(uow, to=member.email, subject="Finding filed on Atlas rc-7", body="b", dedupe_key="k1")
        email.queue_email(uow, to=root.email, subject="Operator notice", body="b", dedupe_key="k2")
    assert email.deliver_pending(container.sessions, container.clock, smtp_url=None, sender="fr@example.org") == 2
    assert web_login(http, root.email, root.password).status_code == 303
    page = http.get("/mail")
    assert page.status_code == 200
    assert "Operator notice" in page.text
    assert "Atlas rc-7" not in page.text and member.email not in page.text
    with httpx.Client(base_url=str(http.base_url)) as other:
        assert web_login(other, member.email, member.password).status_code == 303
        mine = other.get("/mail").text
    assert "Finding filed on Atlas rc-7" in mine and "Operator notice" not in mine
