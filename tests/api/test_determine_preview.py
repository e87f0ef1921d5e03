"""The version page's direct determination over real HTTP (issue 12, item 5): the same two steps as an inquiry.

No policy pre-selected, a rationale required (both refused next to their fields, what was typed
kept), a preview of the outcome and trace that records nothing, Back to edit keeping what was
typed, and a confirmation bound to the previewed inputs (a new fact in between: 409 with what
changed, nothing recorded).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.coverage import determinations
from frontier_review.coverage.tags import CoverageTag
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.registry import service as registry
from frontier_review.registry.service import FactInput, VersionView
from tests.api.helpers import csrf_from, web_login
from tests.factories.coverage import make_version, publish_reference
from tests.factories.identity import Person, make_org, make_user

SB53 = "ca-sb53-frontier-model@1"
RATIONALE = "3.2e26 FLOP declared in the system card: above the SB 53 line."


@dataclass
class World:
    director: Person
    developer: Person
    version: VersionView

    @property
    def page(self) -> str:
        return f"/versions/{self.version.id}"


@pytest.fixture
def world(container: Container) -> World:
    director = make_user(container, make_org(container, OrgKind.PROGRAM_OFFICE), role=Role.ADMIN, cleared=True)
    developer = make_user(container, make_org(container, OrgKind.DEVELOPER, name="Northwind AI"), role=Role.ADMIN)
    publish_reference(container, director, "ca-sb53-frontier-model.toml")
    return World(director, developer, make_version(container, developer, label="3.0-rc1", training_compute_flop=3.2e26))


@contextmanager
def _signed_in(base_url: str, person: Person) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        assert web_login(client, person.email, person.password).status_code == 303
        yield client


def _determine(client: httpx.Client, world: World, **data: str) -> httpx.Response:
    form = {"model_version_id": str(world.version.id), "back": world.page, "csrf_token": csrf_from(client.get("/").text)}
    return client.post("/coverage/determinations", data={**form, **data})


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no hidden {name}"
    return found.group(1)


def _confirm(client: httpx.Client, world: World, preview: httpx.Response, rationale: str = RATIONALE) -> httpx.Response:
    html = preview.text
    return _determine(
        client, world, step="confirm", policy=_hidden(html, "policy"), inputs=_hidden(html, "inputs"), rationale=rationale
    )


def _recorded(container: Container, world: World) -> int:
    with container.uow() as uow:
        return len(determinations.list_determinations_for_version(uow, world.director.principal, world.version.id))


def test_no_policy_is_preselected_and_a_rationale_is_required(container: Container, world: World, base_url: str) -> None:
    with _signed_in(base_url, world.director) as client:
        page = client.get(world.page).text
        select = re.search(r'<select id="determination-policy"[^>]*>(.*?)</select>', page, re.S)
        assert select, "the version page offers a determination"
        assert " selected" not in select.group(1) and '<option value="">Choose a policy…</option>' in select.group(1)
        assert 'id="determination-rationale"' in page and "Preview the determination" in page
        refused = _determine(client, world, policy="", rationale="")
        assert refused.status_code == 422, refused.text
        assert 'id="determination-errors"' in refused.text and "choose the policy to decide under" in refused.text
        assert re.search(r'id="determination-rationale-error"[^>]*>.*write the rationale', refused.text)
        kept = _determine(client, world, policy=SB53, rationale="  ")
        assert kept.status_code == 422
        assert f'<option value="{SB53}" selected>' in kept.text, "the chosen policy is kept"
        no_policy = _determine(client, world, policy="", rationale=RATIONALE)
        assert RATIONALE in no_policy.text, "the rationale is kept"
    assert _recorded(container, world) == 0


def test_the_preview_records_nothing_back_to_edit_keeps_it_and_confirm_records_it(
    container: Container, world: World, base_url: str
) -> None:
    with _signed_in(base_url, world.director) as client:
        preview = _determine(client, world, policy=SB53, rationale=RATIONALE)
        assert preview.status_code == 200, preview.text
        assert "Check the decision before you record it" in preview.text and "Nothing is recorded yet" in preview.text
        assert "outcome-covered" in preview.text and "Training compute" in preview.text and RATIONALE in preview.text
        assert f'href="{world.page}"' in preview.text, "the way back is the version page"
        assert 'action="/coverage/determinations"' in preview.text
        assert _recorded(container, world) == 0
        # Confirm without the previewed inputs: only another preview.
        assert _determine(client, world, policy=SB53, rationale=RATIONALE, step="confirm").status_code == 200
        back = _determine(client, world, policy=SB53, rationale=RATIONALE, step="edit")
        assert back.status_code == 200
        assert f'<option value="{SB53}" selected>' in back.text and RATIONALE in back.text
        assert _recorded(container, world) == 0
        done = _confirm(client, world, preview)
        assert done.status_code == 303, done.text
        shown = client.get(done.headers["location"]).text
        assert "Determination recorded: covered." in shown and RATIONALE in shown
    assert _recorded(container, world) == 1
    with container.sessions() as session:
        details = session.scalars(
            sa.select(AuditEntry.details).where(AuditEntry.action == CoverageTag.DETERMINATION_RECORDED.value)
        ).one()
    assert details["rationale"] == RATIONALE


def test_a_new_fact_between_preview_and_confirmation_is_not_recorded(container: Container, world: World, base_url: str) -> None:
    with _signed_in(base_url, world.director) as client:
        preview = _determine(client, world, policy=SB53, rationale=RATIONALE)
        with container.uow() as uow:
            registry.declare_facts(
                uow, world.developer.principal, world.version.id, facts=[FactInput("training_compute_flop", 5e25)]
            )
        stale = _confirm(client, world, preview)
        assert stale.status_code == 409, stale.text
        assert "Nothing was recorded: this changed since your preview" in stale.text
        assert "facts were declared on the version" in stale.text and "outcome-not_covered" in stale.text
        assert _recorded(container, world) == 0
        assert _confirm(client, world, stale, "5e25 FLOP after the correction.").status_code == 303
    assert _recorded(container, world) == 1


def test_the_developer_cannot_determine(container: Container, world: World, base_url: str) -> None:
    with _signed_in(base_url, world.developer) as client:
        assert 'id="determination-policy"' not in client.get(world.page).text
        refused = _determine(client, world, policy=SB53, rationale=RATIONALE)
        assert refused.status_code in {303, 403}, refused.text
        assert "Check the decision" not in refused.text
    assert _recorded(container, world) == 0
