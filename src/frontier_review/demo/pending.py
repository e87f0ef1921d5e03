"""Work in progress for the demo, so every role's home page has something to act on after ``make run``.

On top of the scenario in :mod:`.data`: a coverage inquiry the program office sent back for more
information (the developer must answer; an analyst has it), an engagement offered by Helix Labs
that opens in a few days and that nobody has accepted yet, and an account locked by failed
sign-ins (the operator's list; the lock lapses by itself after the configured lockout).
Everything goes through the services, so it is audited like the rest.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from frontier_review import engagements
from frontier_review.coverage import inquiries
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.lifecycle.domain import Materials, Protections, Quotas, Recipients, Window
from frontier_review.identity import directory
from frontier_review.identity import service as identity
from frontier_review.identity.domain import Role
from frontier_review.kernel.principal import Principal
from frontier_review.registry import service as registry

__all__ = ["LOCKED_USER", "pending_work"]

LOCKED_USER = "ops@helix.demo"  # not a printed login: it exists to be locked out


def pending_work(uow: UnitOfWork, person: Callable[[str], Principal], password: str) -> None:
    """Add the in-progress items (``person`` finds a demo principal by address)."""
    _inquiry_waiting_for_the_developer(uow, person)
    _offered_engagement(uow, person)
    _locked_account(uow, password)


def _version(uow: UnitOfWork, model: str, label: str) -> uuid.UUID:
    found = registry.list_versions_named(uow, model, label)
    assert len(found) == 1
    return found[0].id


def _org(uow: UnitOfWork, name: str) -> uuid.UUID:
    found = [o.id for o in directory.list_organizations(uow) if o.name == name]
    assert len(found) == 1
    return found[0]


def _inquiry_waiting_for_the_developer(uow: UnitOfWork, person: Callable[[str], Principal]) -> None:
    analyst = person("analyst@program.demo")
    asked = inquiries.file_inquiry(
        uow,
        person("policy@northwind.demo"),
        _version(uow, "Atlas", "3.0-rc2"),
        question="Atlas 3.0-rc2 adds RL post-training on top of rc1. Is it covered, and under which policy?",
    )
    inquiries.assign(uow, analyst, asked.id)
    inquiries.request_information(
        uow,
        analyst,
        asked.id,
        message="Please declare the RL post-training compute separately and upload the page of the system card that states it.",
    )


def _offered_engagement(uow: UnitOfWork, person: Callable[[str], Principal]) -> None:
    helix = person("admin@helix.demo")
    now = uow.clock.now()
    view = engagements.open_engagement(
        uow,
        helix,
        version_id=_version(uow, "Helix-Chat", "2.0-rc1"),
        title="Helix-Chat 2.0-rc1 prerelease review",
        window=Window(now + timedelta(days=4), now + timedelta(days=18)),
        recipients=Recipients.FEDERAL_AND_PARTNERS,
        materials=Materials(api_access=True, system_card=True),
        protections=Protections(
            confidentiality_text=(
                "Recipients keep all outputs and findings confidential, use them only for this review, "
                "and share nothing outside their organization without Helix Labs' consent."
            ),
            materials_retention_days=30,
        ),
        quotas=Quotas(requests_per_day=300, tokens_per_day=150_000, requests_per_minute=20),
    )
    for name in ("National Security Agency", "First Federal Bank"):
        engagements.invite(uow, helix, view.id, organization_id=_org(uow, name))
    engagements.offer(uow, helix, view.id)


def _locked_account(uow: UnitOfWork, password: str) -> None:
    identity.create_user(
        uow,
        Principal.system("demo"),
        org_id=_org(uow, "Helix Labs"),
        email=LOCKED_USER,
        full_name="Robin Okafor",
        password=password,
        role=Role.MEMBER,
    )
    for _ in range(uow.settings.login_max_failures):
        identity.login(uow, email=LOCKED_USER, password="not the demo password")  # noqa: S106 - a wrong guess, on purpose
