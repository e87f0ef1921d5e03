"""Deciding a coverage inquiry over real HTTP (issue 12, item 5): a preview first, then a confirmation.

No policy is pre-selected; a missing policy or rationale is refused next to its field with what
was typed kept; the preview shows the outcome and trace and records nothing; only a confirmation
bound to what was previewed records it (a new fact, a new result, a newer policy version or a
changed thread in between shows the preview again); the rationale is stored, shown and audited;
uncleared staff never see thresholds or scores in a preview.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.coverage import inquiries, policies, results
from frontier_review.coverage.tags import CoverageTag
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.clock import FrozenClock
from frontier_review.registry import service as registry
from frontier_review.registry.service import FactInput, VersionView
from tests.api.helpers import csrf_from, web_login
from tests.factories.coverage import make_version, publish_reference, register_sample_benchmark
from tests.factories.identity import Person, make_org, make_user

SB53 = "ca-sb53-frontier-model@1"
RATIONALE = "3.2e26 FLOP is above the SB 53 threshold of 1e26."
# A policy that is not classified but has a benchmark threshold: only cleared staff see the figures.
OPEN_BENCH = """
id = "open-bench-policy"
version = "1"
title = "Open benchmark policy"
effective_from = 2026-01-01
classified = false
description = "A benchmark threshold on an unclassified suite."

[criteria]
all = [
  { name = "Open suite at or above the threshold", benchmark = "open-suite", benchmark_version = "1", op = ">=", score = 0.4321 },
]
"""


@dataclass
class World:
    director: Person  # cleared program-office admin
    officer: Person  # program-office member without clearance
    developer: Person
    version: VersionView
    inquiry_id: uuid.UUID

    @property
    def inquiry_url(self) -> str:
        return f"/coverage/inquiries/{self.inquiry_id}"


@pytest.fixture
def world(container: Container) -> World:
    po = make_org(container, OrgKind.PROGRAM_OFFICE, name="Program Office")
    director = make_user(container, po, role=Role.ADMIN, cleared=True)
    officer = make_user(container, po)
    developer = make_user(container, make_org(container, OrgKind.DEVELOPER, name="Northwind AI"), role=Role.ADMIN)
    publish_reference(container, director, "ca-sb53-frontier-model.toml")
    version = make_version(container, developer, label="3.0-rc1", training_compute_flop=3.2e26)
    with container.uow() as uow:
        inquiry = inquiries.file_inquiry(uow, developer.principal, version.id, question="Is it covered?")
    return World(director, officer, developer, version, inquiry.id)


@contextmanager
def _signed_in(base_url: str, person: Person) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        assert web_login(client, person.email, person.password).status_code == 303
        yield client


def _form(client: httpx.Client, url: str) -> dict[str, str]:
    page = client.get(url).text
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version is not None
    return {"version": version.group(1), "csrf_token": csrf_from(page)}


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no hidden {name}"
    return found.group(1)


def _confirm(client: httpx.Client, url: str, preview: httpx.Response, rationale: str = RATIONALE) -> httpx.Response:
    html = preview.text
    return client.post(
        f"{url}/decide",
        data={
            "step": "confirm",
            "policy": _hidden(html, "policy"),
            "version": _hidden(html, "version"),
            "inputs": _hidden(html, "inputs"),
            "rationale": rationale,
            "csrf_token": csrf_from(html),
        },
    )


def _decided(container: Container, world: World) -> bool:
    with container.uow() as uow:
        return inquiries.get_inquiry(uow, world.director.principal, world.inquiry_id).status.value == "decided"


def test_no_policy_is_preselected_and_a_missing_rationale_is_refused_next_to_its_field(
    container: Container, world: World, base_url: str
) -> None:
    with _signed_in(base_url, world.director) as client:
        page = client.get(world.inquiry_url).text
        select = re.search(r'<select id="decide-policy"[^>]*>(.*?)</select>', page, re.S)
        assert select, "the decide form has a policy picker"
        assert " selected" not in select.group(1), "no policy is pre-selected"
        assert '<option value="">Choose a policy…</option>' in select.group(1)
        refused = client.post(f"{world.inquiry_url}/decide", data={**_form(client, world.inquiry_url), "policy": ""})
        assert refused.status_code == 422, refused.text
        assert 'id="decide-errors"' in refused.text and 'role="alert"' in refused.text
        assert "choose the policy to decide under" in refused.text
        assert re.search(r'id="decide-rationale-error"[^>]*>.*write the rationale', refused.text)
        kept = client.post(
            f"{world.inquiry_url}/decide", data={**_form(client, world.inquiry_url), "policy": SB53, "rationale": "   "}
        )
        assert kept.status_code == 422
        assert f'<option value="{SB53}" selected>' in kept.text, "the chosen policy is kept"
        textarea = re.search(r'<textarea id="decide-rationale"[^>]*>', kept.text)
        assert textarea and 'aria-invalid="true"' in textarea.group(0)
    assert not _decided(container, world)


def test_the_preview_records_nothing_and_the_confirmation_records_the_rationale(
    container: Container, world: World, base_url: str
) -> None:
    with _signed_in(base_url, world.director) as client:
        data = {**_form(client, world.inquiry_url), "policy": SB53, "rationale": RATIONALE}
        preview = client.post(f"{world.inquiry_url}/decide", data=data)
        assert preview.status_code == 200, preview.text
        assert "Check the decision before you record it" in preview.text
        assert "outcome-covered" in preview.text and "Nothing is recorded yet" in preview.text
        assert 'id="trace-heading"' in preview.text and "Training compute" in preview.text
        assert RATIONALE in preview.text
        assert not _decided(container, world), "a preview records nothing"
        # A confirmation without the previewed inputs is just another preview.
        unbound = client.post(f"{world.inquiry_url}/decide", data={**data, "step": "confirm"})
        assert unbound.status_code == 200 and "Check the decision" in unbound.text
        assert not _decided(container, world)
        # Back to edit: the inquiry page with what was typed.
        back = client.post(f"{world.inquiry_url}/decide", data={**data, "step": "edit"})
        assert back.status_code == 200
        assert f'<option value="{SB53}" selected>' in back.text and RATIONALE in back.text
        done = _confirm(client, world.inquiry_url, preview)
        assert done.status_code == 303, done.text
        inquiry = client.get(world.inquiry_url).text
        assert "Decided. The developer has been notified." in inquiry and RATIONALE in inquiry
        detail = re.search(r'href="(/coverage/determinations/[0-9a-f-]+)"', inquiry)
        assert detail is not None
        assert RATIONALE in client.get(detail.group(1)).text
    with _signed_in(base_url, world.developer) as client:
        assert RATIONALE in client.get(world.inquiry_url).text
    with container.sessions() as session:
        details = session.scalars(
            sa.select(AuditEntry.details).where(AuditEntry.action == CoverageTag.DETERMINATION_RECORDED.value)
        ).one()
    assert details["rationale"] == RATIONALE and details["outcome"] == "covered"


def test_a_new_fact_between_preview_and_confirmation_is_not_recorded(container: Container, world: World, base_url: str) -> None:
    with _signed_in(base_url, world.director) as client:
        data = {**_form(client, world.inquiry_url), "policy": SB53, "rationale": RATIONALE}
        preview = client.post(f"{world.inquiry_url}/decide", data=data)
        assert "outcome-covered" in preview.text
        with container.uow() as uow:
            registry.declare_facts(
                uow, world.developer.principal, world.version.id, facts=[FactInput("training_compute_flop", 5e25)]
            )
        stale = _confirm(client, world.inquiry_url, preview)
        assert stale.status_code == 409, stale.text
        assert "Nothing was recorded: this changed since your preview" in stale.text
        assert "facts were declared on the version" in stale.text
        assert "outcome-not_covered" in stale.text, "the new preview is on what stands now"
        assert not _decided(container, world)
        done = _confirm(client, world.inquiry_url, stale, "5e25 FLOP after the correction.")
        assert done.status_code == 303, done.text
    assert _decided(container, world)


def test_a_newer_policy_version_or_a_changed_thread_shows_the_preview_again(
    container: Container, world: World, base_url: str, clock: FrozenClock
) -> None:
    with _signed_in(base_url, world.director) as client:
        data = {**_form(client, world.inquiry_url), "policy": SB53, "rationale": RATIONALE}
        preview = client.post(f"{world.inquiry_url}/decide", data=data)
        with container.uow() as uow:
            source = policies.policy_content(uow, policies.get_policy_row(uow, SB53))[1]
            policies.publish_policy(
                uow,
                world.director.principal,
                source.replace('version = "1"', 'version = "2"').replace("2026-01-01", "2026-02-01"),
            )
        stale = _confirm(client, world.inquiry_url, preview)
        assert stale.status_code == 409
        assert "a newer version of the policy was published" in stale.text
        assert "ca-sb53-frontier-model@2" in stale.text
        clock.advance(timedelta(minutes=5))  # the thread's time moves on
        with container.uow() as uow:
            inquiries.respond(uow, world.developer.principal, world.inquiry_id, message="One more fact: RL included.")
        again = _confirm(client, world.inquiry_url, stale)
        assert again.status_code == 409
        assert "the inquiry changed" in again.text
        assert not _decided(container, world)
        assert _confirm(client, world.inquiry_url, again).status_code == 303
    assert _decided(container, world)


def test_uncleared_staff_never_see_figures_in_a_preview(container: Container, world: World, base_url: str) -> None:
    with container.uow() as uow:
        results.register_benchmark(
            uow, world.director.principal, name="open-suite", version="1", title="Open suite", domain="cyber", classified=False
        )
        policies.publish_policy(uow, world.director.principal, OPEN_BENCH)
        results.record_result(
            uow,
            world.director.principal,
            benchmark="open-suite",
            benchmark_version="1",
            score=0.6789,
            model_version_id=world.version.id,
        )
    register_sample_benchmark(container, world.director)
    publish_reference(container, world.director, "example-classified-cyber.toml")
    with _signed_in(base_url, world.officer) as client:
        data = {**_form(client, world.inquiry_url), "policy": "open-bench-policy@1", "rationale": "Above the bar."}
        preview = client.post(f"{world.inquiry_url}/decide", data=data)
        assert preview.status_code == 200, preview.text
        assert "Open suite at or above the threshold" in preview.text and "criterion-met" in preview.text
        assert "0.6789" not in preview.text and "0.4321" not in preview.text
        refused = client.post(f"{world.inquiry_url}/decide", data={**data, "policy": "eo14409-covered-cyber-example@1"})
        assert refused.status_code == 403
        assert "needs a clearance" in refused.text
        assert "&gt;= 0.6" not in refused.text and "reference-frontier-2026" not in refused.text
    with _signed_in(base_url, world.director) as client:
        data = {**_form(client, world.inquiry_url), "policy": "open-bench-policy@1", "rationale": "Above the bar."}
        cleared = client.post(f"{world.inquiry_url}/decide", data=data)
        assert "0.6789" in cleared.text and "0.4321" in cleared.text
        secret = client.post(f"{world.inquiry_url}/decide", data={**data, "policy": "eo14409-covered-cyber-example@1"})
        assert secret.status_code == 200 and "CLASSIFIED" in secret.text and "&gt;= 0.6" in secret.text
        assert _confirm(client, world.inquiry_url, cleared, "Above the bar.").status_code == 303
    with container.sessions() as session:
        rows = session.scalars(sa.select(AuditEntry.details).where(AuditEntry.action.like("coverage:%"))).all()
    assert not any("0.6789" in str(d) or "0.4321" in str(d) or "0.6" in str(d) for d in rows), "no figures in audit"
    with container.sessions() as session:
        previewed = session.scalars(
            sa.select(AuditEntry.target_id).where(AuditEntry.action == CoverageTag.DETERMINATION_CLASSIFIED_PREVIEWED.value)
        ).all()
    assert previewed == [str(world.version.id)], "a classified preview is audited (the unclassified ones are not)"
