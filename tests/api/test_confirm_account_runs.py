"""The last irreversible web actions confirmed on a page of their own (issue 12, item 5), over real HTTP.

Withdrawing a coverage inquiry, cancelling a benchmark run, revoking an API token and signing out
every other browser used a JavaScript ``confirm()``; each now answers a plain POST with a page
that says what will happen in numbers (and does nothing), refuses a stale confirmation with the
page again (409, nothing done), and acts only on the digest of exactly what its page said.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.bootstrap import Container
from frontier_review.coverage import inquiries
from frontier_review.evals import package, runs, service, targets
from frontier_review.evals.orm import BenchmarkRun
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.identity.orm import ApiToken
from frontier_review.kernel.clock import FrozenClock
from tests.api.confirming import confirm_from
from tests.api.helpers import bearer, csrf_from, web_login
from tests.factories.coverage import make_version
from tests.factories.identity import Person, api_token, make_org, make_user
from tests.unit.test_benchmark_package import GOOD, MANIFEST

STALE = "0" * 32  # a digest no page ever said


@contextmanager
def _signed_in(base_url: str, person: Person) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        assert web_login(client, person.email, person.password).status_code == 303
        yield client


def _post(client: httpx.Client, path: str, **data: str) -> httpx.Response:
    """What a button (or a script) sends: no confirmation unless given."""
    return client.post(path, data={**data, "csrf_token": csrf_from(client.get("/").text)})


# Withdrawing a coverage inquiry ------------------------------------------------------------


@pytest.fixture
def inquiry(container: Container) -> tuple[Person, Person, uuid.UUID]:
    developer = make_user(container, make_org(container, OrgKind.DEVELOPER, name="Northwind AI"), role=Role.ADMIN)
    officer = make_user(container, make_org(container, OrgKind.PROGRAM_OFFICE), role=Role.ADMIN)
    version = make_version(container, developer, label="3.0-rc1", training_compute_flop=3.2e26)
    with container.uow() as uow:
        filed = inquiries.file_inquiry(uow, developer.principal, version.id, question="Is it covered?")
    return developer, officer, filed.id


def _inquiry_status(container: Container, person: Person, inquiry_id: uuid.UUID) -> str:
    with container.uow() as uow:
        return inquiries.get_inquiry(uow, person.principal, inquiry_id).status.value


def test_withdrawing_an_inquiry_says_who_is_told_and_waits_for_the_confirmation(
    container: Container, inquiry: tuple[Person, Person, uuid.UUID], base_url: str
) -> None:
    developer, officer, inquiry_id = inquiry
    path = f"/coverage/inquiries/{inquiry_id}/withdraw"
    with _signed_in(base_url, developer) as client:
        assert "data-confirm" not in client.get(f"/coverage/inquiries/{inquiry_id}").text
        page = _post(client, path)
        assert page.status_code == 200, page.text
        assert "Withdraw the inquiry about" in page.text and "3.0-rc1" in page.text
        assert "The program office (nobody has taken it yet) is notified and stops working it." in page.text
        assert "The thread (1 message) stays readable" in page.text
        assert "cannot be reopened" in page.text
        assert _inquiry_status(container, developer, inquiry_id) == "open"
        assert _post(client, path, confirm=STALE).status_code == 409
        # Taken by the program office since the page was shown: the page no longer says so.
        with container.uow() as uow:
            inquiries.assign(uow, officer.principal, inquiry_id)
        stale = _post(client, path, confirm=confirm_from(page.text))
        assert stale.status_code == 409, stale.text
        assert "Nothing was done: this changed" in stale.text and f"{officer.email}, who is working it," in stale.text
        assert _inquiry_status(container, developer, inquiry_id) == "assigned"
        done = _post(client, path, confirm=confirm_from(stale.text))
        assert done.status_code == 303, done.text
    assert _inquiry_status(container, developer, inquiry_id) == "withdrawn"


def test_only_the_developer_gets_the_withdrawal_page(
    container: Container, inquiry: tuple[Person, Person, uuid.UUID], base_url: str
) -> None:
    _developer, officer, inquiry_id = inquiry
    # Refused like the withdrawal itself: back to the inquiry with the reason, no confirmation page.
    with _signed_in(base_url, officer) as client:
        refused = _post(client, f"/coverage/inquiries/{inquiry_id}/withdraw")
        assert refused.status_code == 303 and refused.headers["location"] == f"/coverage/inquiries/{inquiry_id}"
        assert 'id="confirm-form"' not in refused.text
    outsider = make_user(container, make_org(container, OrgKind.DEVELOPER, name="Other AI"), role=Role.ADMIN)
    with _signed_in(base_url, outsider) as client:
        hidden = _post(client, f"/coverage/inquiries/{inquiry_id}/withdraw")
        assert 'id="confirm-form"' not in hidden.text
        assert client.get(hidden.headers["location"]).status_code == 404, "as if there were no such inquiry"
    assert _inquiry_status(container, officer, inquiry_id) == "open"


# Cancelling a benchmark run ----------------------------------------------------------------


@pytest.fixture
def run(container: Container, tmp_path: Path) -> tuple[Person, uuid.UUID]:
    officer = make_user(container, make_org(container, OrgKind.PROGRAM_OFFICE), role=Role.ADMIN, cleared=True)
    manifest = MANIFEST.replace('name = "tiny-suite"', 'name = "open-suite"')
    (tmp_path / "manifest.toml").write_text(manifest.replace('classification = "classified"', 'classification = "unclassified"'))
    (tmp_path / "samples.jsonl").write_text("\n".join(json.dumps(x) for x in GOOD) + "\n")
    with container.uow() as uow:
        service.seal_package(uow, officer.principal, package.load_package(tmp_path))
        targets.create_target(uow, officer.principal, name="t1", model="mockllm/model", reference_model="ref")
        queued = runs.start_run(uow, officer.principal, benchmark="open-suite@1", target="t1", dispatch=lambda _rid: None)
    return officer, queued.id


def _run_status(container: Container, run_id: uuid.UUID) -> str:
    with container.sessions() as session:
        return str(session.scalar(sa.select(BenchmarkRun.status).where(BenchmarkRun.id == run_id)))


def test_cancelling_a_queued_run_says_nothing_has_run(container: Container, run: tuple[Person, uuid.UUID], base_url: str) -> None:
    officer, run_id = run
    path = f"/evals/runs/{run_id}/cancel"
    with _signed_in(base_url, officer) as client:
        assert "data-confirm" not in client.get(f"/evals/runs/{run_id}").text
        page = _post(client, path)
        assert page.status_code == 200, page.text
        assert "Cancel the run of open-suite@1 on t1?" in page.text
        assert "has not started: it is cancelled at once and never runs" in page.text
        assert _run_status(container, run_id) == "queued"
        assert _post(client, path, confirm=STALE).status_code == 409
        assert _run_status(container, run_id) == "queued"
        assert _post(client, path, confirm=confirm_from(page.text)).status_code == 303
    assert _run_status(container, run_id) == "cancelled"


def test_cancelling_a_running_run_counts_the_samples_it_discards(
    container: Container, run: tuple[Person, uuid.UUID], base_url: str, clock: FrozenClock
) -> None:
    officer, run_id = run
    path = f"/evals/runs/{run_id}/cancel"
    with _signed_in(base_url, officer) as client:
        queued_page = _post(client, path)
        with container.uow() as uow:
            assert runs.claim(uow, run_id, "worker-1")  # a worker takes it meanwhile
        stale = _post(client, path, confirm=confirm_from(queued_page.text))
        assert stale.status_code == 409, "queued, then running: what the page said no longer holds"
        assert _run_status(container, run_id) == "running"
        with container.sessions() as session, session.begin():  # the worker's progress, as its hook writes it
            session.execute(sa.update(BenchmarkRun).where(BenchmarkRun.id == run_id).values(samples_done=2, errors=1))
        clock.advance(timedelta(minutes=3, seconds=5))
        page = _post(client, path)
        total = len(GOOD)
        assert f"So far 2 of {total} samples are scored (1 with errors), after 3 min 05 s." in page.text
        assert "The samples scored so far are discarded: no score, no benchmark result" in page.text
        # Progress moves while the page is read; that alone does not make the page stale.
        with container.sessions() as session, session.begin():
            session.execute(sa.update(BenchmarkRun).where(BenchmarkRun.id == run_id).values(samples_done=3))
        assert _post(client, path, confirm=confirm_from(page.text)).status_code == 303
    with container.sessions() as session:
        cancelling = session.get(BenchmarkRun, run_id)
        assert cancelling is not None and cancelling.cancel_requested and cancelling.result_id is None


def test_a_finished_run_has_no_cancel_page(container: Container, run: tuple[Person, uuid.UUID], base_url: str) -> None:
    officer, run_id = run
    with container.uow() as uow:
        runs.cancel_run(uow, officer.principal, run_id)
    with _signed_in(base_url, officer) as client:
        answer = _post(client, f"/evals/runs/{run_id}/cancel")
        assert answer.status_code == 303 and answer.headers["location"] == f"/evals/runs/{run_id}"
        assert "the run already cancelled" in client.get(f"/evals/runs/{run_id}").text


# Revoking an API token ---------------------------------------------------------------------


def test_revoking_a_token_names_it_and_its_last_use(container: Container, base_url: str, clock: FrozenClock) -> None:
    person = make_user(container, make_org(container, OrgKind.PARTNER))
    secret = api_token(container, person, name="ci-export")
    with container.sessions() as session:
        token_id = session.scalars(sa.select(ApiToken.id)).one()
    with _signed_in(base_url, person) as client:
        assert client.get("/api/v1/users/me", headers=bearer(secret)).status_code == 200
        clock.advance(timedelta(hours=3, minutes=10))
        path = f"/account/tokens/{token_id}/revoke"
        assert "data-confirm" not in client.get("/account").text
        page = _post(client, path)
        assert page.status_code == 200, page.text
        assert "Revoke the token “ci-export”?" in page.text
        assert "Scripts using the token “ci-export”" in page.text and "stop working at once" in page.text
        assert "was last used 3 h ago" in page.text
        assert "cannot be restored" in page.text
        assert client.get("/api/v1/users/me", headers=bearer(secret)).status_code == 200, "nothing was revoked"
        # Its use just now changes what the page would say about it, not what revoking does.
        page_now = _post(client, path)
        assert "was last used just now" in page_now.text
        assert _post(client, path, confirm=STALE).status_code == 409
        assert client.get("/api/v1/users/me", headers=bearer(secret)).status_code == 200
        assert _post(client, path, confirm=confirm_from(page.text)).status_code == 303
        assert client.get("/api/v1/users/me", headers=bearer(secret)).status_code == 401


def test_someone_elses_token_has_no_revoke_page(container: Container, base_url: str) -> None:
    org = make_org(container, OrgKind.PARTNER)
    owner, other = make_user(container, org), make_user(container, org)
    secret = api_token(container, owner, name="owner-script")
    with container.sessions() as session:
        token_id = session.scalars(sa.select(ApiToken.id)).one()
    with _signed_in(base_url, other) as client:
        refused = _post(client, f"/account/tokens/{token_id}/revoke")
        assert refused.status_code == 303 and refused.headers["location"] == "/account"
        assert "owner-script" not in client.get("/account").text
    with httpx.Client(base_url=base_url) as script:
        assert script.get("/api/v1/users/me", headers=bearer(secret)).status_code == 200


# Signing out every other browser -----------------------------------------------------------


def test_signing_out_everywhere_counts_the_other_browsers(container: Container, base_url: str) -> None:
    person = make_user(container, make_org(container, OrgKind.AGENCY))
    with (
        _signed_in(base_url, person) as laptop,
        _signed_in(base_url, person) as phone,
        _signed_in(base_url, person) as tablet,
    ):
        page = _post(laptop, "/account/sessions/end")
        assert page.status_code == 200, page.text
        assert "2 other browsers are signed out at once" in page.text
        assert "You stay signed in here" in page.text
        assert phone.get("/account").status_code == 200 and tablet.get("/account").status_code == 200
        with _signed_in(base_url, person) as desktop:  # one more signs in meanwhile
            stale = _post(laptop, "/account/sessions/end", confirm=confirm_from(page.text))
            assert stale.status_code == 409, stale.text
            assert "3 other browsers are signed out at once" in stale.text
            assert desktop.get("/account").status_code == 200, "nothing was done"
            done = _post(laptop, "/account/sessions/end", confirm=confirm_from(stale.text))
            assert done.status_code == 303, done.text
            for other in (phone, tablet, desktop):
                assert other.get("/account").status_code == 303, "signed out"
        assert laptop.get("/account").status_code == 200, "this browser stays signed in"
        alone = _post(laptop, "/account/sessions/end")
        assert "No other browser is signed in as you now" in alone.text
