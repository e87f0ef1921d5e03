"""The demo's findings show every TLP level, including a TLP:RED finding that names its
recipients: only they and its filer see it, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from frontier_review.bootstrap import Container
from frontier_review.demo import data as demo
from frontier_review.engagements.findings import domain as findings_domain
from frontier_review.engagements.findings import service as findings
from frontier_review.engagements.lifecycle.orm import Engagement
from frontier_review.identity import service as identity
from frontier_review.identity.orm import User
from frontier_review.kernel.errors import NotFound, PermissionDenied
from frontier_review.kernel.principal import Principal
from frontier_review.security import passwords


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo signs up a dozen people; passwords are not under test."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)


def _principal(container: Container, email: str) -> Principal:
    with container.uow() as uow:
        user = uow.session.scalar(sa.select(User).where(User.email == email))
        assert user is not None
        principal = identity.principal_for_user(uow, user_id=user.id)
    assert principal is not None
    return principal


def test_the_demo_red_finding_reaches_its_named_recipients_only(container: Container) -> None:
    demo.load_demo(container)
    with container.sessions() as session:
        engagement_ids = list(session.scalars(sa.select(Engagement.id)))

    def red_titles(email: str) -> set[str]:
        principal = _principal(container, email)
        seen: set[str] = set()
        with container.uow() as uow:
            for engagement_id in engagement_ids:
                try:
                    listed = findings.list_findings(uow, principal, engagement_id)
                except (PermissionDenied, NotFound):  # an engagement the reader may not see is missing to it
                    continue
                seen |= {f.title for f in listed if f.tlp is findings_domain.Tlp.RED}
        return seen

    named = {"safety@northwind.demo", "director@program.demo", "secops@mercyhealth.demo"}
    others = {"policy@northwind.demo", "analyst@program.demo", "reviewer@cisa.demo", "lead@cisa.demo"}
    for email in named:
        assert red_titles(email), email
    for email in others:
        assert not red_titles(email), email
