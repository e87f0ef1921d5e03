"""Run pages (issue 12, item 7): a run's score against the reference models with the "within
noise" note for cleared program-office staff only, and elapsed time with an estimate of the time
left, on the run page, its polled status block and the runs list. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.coverage import results
from frontier_review.evals import runs, service, targets
from frontier_review.evals.domain import RunStatus
from frontier_review.evals.orm import BenchmarkRun
from frontier_review.evals.package import load_package
from frontier_review.identity.domain import OrgKind, Role
from tests.api.helpers import web_login
from tests.factories.coverage import make_version
from tests.factories.evals import allow_classified
from tests.factories.identity import Person, make_org, make_user
from tests.unit.test_benchmark_package import GOOD, MANIFEST

# Distinctive values, so that any copy of them in a page is found.
RUN_SCORE, RUN_STDERR = 0.7318264, 0.0419357
FAR_REF, FAR_REF_STDERR = 0.8271649, 0.0512347  # 0.095 apart > sqrt(.042² + .051²) = 0.066: outside noise
NEAR_REF, NEAR_REF_STDERR = 0.7113571, 0.0387113  # 0.020 apart <= 0.057: within noise
OPEN_SCORE, OPEN_REF = 0.6137219, 0.5829341
SECRET_FORMS = [
    f(v)
    for v in (RUN_SCORE, RUN_STDERR, FAR_REF, FAR_REF_STDERR, NEAR_REF, NEAR_REF_STDERR)
    for f in (repr, "{:.3f}".format, "{:g}".format)
]


def _forms(*values: float) -> list[str]:
    return [f(v) for v in values for f in (repr, "{:.3f}".format, "{:g}".format)]


@dataclass(frozen=True)
class World:
    cleared: Person
    po_admin: Person
    developer: Person
    classified_run: uuid.UUID
    open_run: uuid.UUID


def _seal(container: Container, tmp_path: Path, person: Person, name: str, *, classified: bool) -> None:
    folder = tmp_path / name
    folder.mkdir()
    manifest = MANIFEST.replace('name = "tiny-suite"', f'name = "{name}"')
    if not classified:
        manifest = manifest.replace('"classified"', '"unclassified"')
    (folder / "manifest.toml").write_text(manifest)
    (folder / "samples.jsonl").write_text("\n".join(json.dumps(s) for s in GOOD) + "\n")
    with container.uow() as uow:
        service.seal_package(uow, person.principal, load_package(folder))


def _queue(container: Container, person: Person, benchmark: str) -> uuid.UUID:
    with container.uow() as uow:
        return runs.start_run(uow, person.principal, benchmark=benchmark, target="atlas-rc1", dispatch=lambda _id: None).id


def _finish(container: Container, run_id: uuid.UUID, *, classified: bool, score: float, stderr: float) -> None:
    """The outcome the runner records: succeeded, with a score (sealed for a classified suite)."""
    now = container.clock.now()
    with container.uow() as uow:
        row = uow.session.get(BenchmarkRun, run_id)
        assert row is not None
        row.status = RunStatus.SUCCEEDED.value
        row.samples_done = row.samples_total
        row.started_at, row.finished_at, row.duration_seconds = now - timedelta(seconds=95), now, 95.0
        runs.record_scores(uow, row, classified=classified, score=score, stderr=stderr)


def _reference(
    container: Container, person: Person, run_id: uuid.UUID, bench: str, name: str, score: float, stderr: float
) -> None:
    with container.uow() as uow:
        scaffold = runs.get_run(uow, person.principal, run_id).scaffold_version
        results.record_result(
            uow,
            person.principal,
            benchmark=bench,
            benchmark_version="1",
            score=score,
            stderr=stderr,
            samples=60,
            reference_model=name,
            scaffold_version=scaffold,
        )


def make_world(container: Container, tmp_path: Path) -> World:
    """Two succeeded runs (a classified suite's and an open one's), each with reference results."""
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    dev = make_org(container, OrgKind.DEVELOPER)
    cleared = make_user(container, po, role=Role.ADMIN, cleared=True)
    po_admin = make_user(container, po, role=Role.ADMIN)
    developer = make_user(container, dev, role=Role.ADMIN)
    version = make_version(container, developer, label="rc1")
    _seal(container, tmp_path, cleared, "secret-suite", classified=True)
    _seal(container, tmp_path, cleared, "open-suite", classified=False)
    with container.uow() as uow:
        targets.create_target(
            uow,
            cleared.principal,
            name="atlas-rc1",
            model="openai-api/local/fake",
            base_url="http://127.0.0.1:9/v1",
            model_version_id=version.id,
        )
        allow_classified(uow, "atlas-rc1")
    classified_run = _queue(container, cleared, "secret-suite@1")
    open_run = _queue(container, cleared, "open-suite@1")
    _finish(container, classified_run, classified=True, score=RUN_SCORE, stderr=RUN_STDERR)
    _finish(container, open_run, classified=False, score=OPEN_SCORE, stderr=0.05)
    _reference(container, cleared, classified_run, "secret-suite", "reference-far", FAR_REF, FAR_REF_STDERR)
    _reference(container, cleared, classified_run, "secret-suite", "reference-near", NEAR_REF, NEAR_REF_STDERR)
    _reference(container, cleared, open_run, "open-suite", "reference-open", OPEN_REF, 0.05)
    return World(cleared, po_admin, developer, classified_run, open_run)


@pytest.fixture
def world(container: Container, tmp_path: Path) -> World:
    return make_world(container, tmp_path)


@pytest.fixture
def signed_in(base_url: str) -> Iterator[dict[str, httpx.Client]]:
    clients: dict[str, httpx.Client] = {}
    yield clients
    for client in clients.values():
        client.close()


def _client(base_url: str, clients: dict[str, httpx.Client], person: Person) -> httpx.Client:
    if person.email not in clients:
        client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
        assert web_login(client, person.email, person.password).status_code == 303
        clients[person.email] = client
    return clients[person.email]


def test_cleared_staff_see_the_score_against_each_reference_with_a_noise_note(
    container: Container, base_url: str, signed_in: dict[str, httpx.Client], world: World
) -> None:
    web = _client(base_url, signed_in, world.cleared)
    for path in (f"/evals/runs/{world.classified_run}", f"/evals/runs/{world.classified_run}/status"):
        page = web.get(path)
        assert page.status_code == 200, page.text
        chart = re.search(rf'<svg [^>]*id="run-{world.classified_run}-comparison".*?</svg>', page.text, re.S)
        assert chart, "no comparison chart"
        assert 'role="img"' in chart.group(0) and "<title" in chart.group(0) and "<desc" in chart.group(0)
        assert "<script" not in chart.group(0)
        text = re.sub(r"\s+", " ", page.text)
        assert "Outside noise</strong> against reference-far: the difference, -0.095" in text
        assert "Within noise</strong> against reference-near: the difference, +0.020" in text
        for value in (RUN_SCORE, FAR_REF, NEAR_REF):
            assert f"{value:.3f}" in page.text  # in the data table beside the chart
        assert "Within noise means |difference| ≤ √(SE" in text  # the rule, written out
    # The references' sealed scores were opened for this viewer, and that read is audited by id only.
    with container.sessions() as session:
        viewed = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "coverage:result:classified_viewed")).all()
    assert viewed and {e.actor_label for e in viewed} == {world.cleared.email}
    assert not [f for e in viewed for f in SECRET_FORMS if f in json.dumps(e.details)]


def test_uncleared_staff_and_developers_see_no_comparison_and_no_classified_score(
    base_url: str, signed_in: dict[str, httpx.Client], world: World
) -> None:
    for person in (world.po_admin, world.developer):
        web = _client(base_url, signed_in, person)
        for path in (
            f"/evals/runs/{world.classified_run}",
            f"/evals/runs/{world.classified_run}/status",
            "/evals",
            "/evals/runs-table",
        ):
            page = web.get(path)
            assert page.status_code in {200, 403, 404}, (path, page.status_code)
            assert "-comparison" not in page.text, (person.email, path)
            assert not [f for f in SECRET_FORMS if f in page.text], (person.email, path)
        assert web.get(f"/evals/runs/{world.classified_run}").status_code == 404
    # An unclassified run: the uncleared program office sees the run and its score, not the comparison.
    web = _client(base_url, signed_in, world.po_admin)
    page = web.get(f"/evals/runs/{world.open_run}")
    assert page.status_code == 200
    assert f"{OPEN_SCORE:.3f}" in page.text
    assert "-comparison" not in page.text and "Against the reference models" not in page.text
    assert not [f for f in _forms(OPEN_REF) if f in page.text]
    # … which cleared staff do see.
    cleared = _client(base_url, signed_in, world.cleared).get(f"/evals/runs/{world.open_run}")
    assert f'id="run-{world.open_run}-comparison"' in cleared.text and f"{OPEN_REF:.3f}" in cleared.text


def test_runs_show_elapsed_time_and_an_estimate_of_the_time_left(
    container: Container, base_url: str, signed_in: dict[str, httpx.Client], world: World
) -> None:
    now = container.clock.now()
    going, early, waiting = (_queue(container, world.cleared, "open-suite@1") for _ in range(3))
    with container.uow() as uow:
        for run_id, done in ((going, 12), (early, 2)):
            row = uow.session.get(BenchmarkRun, run_id)
            assert row is not None
            row.status, row.started_at = RunStatus.RUNNING.value, now - timedelta(minutes=2)
            row.samples_total, row.samples_done = 60, done
    web = _client(base_url, signed_in, world.po_admin)

    def status(run_id: uuid.UUID) -> str:
        page = web.get(f"/evals/runs/{run_id}/status")
        assert page.status_code == 200
        return re.sub(r"<[^>]+>|\s+", " ", page.text)

    # 12 of 60 samples in 2 minutes: 48 more at that pace take 8 minutes.
    assert re.search(r"Elapsed\s+2 min 00 s\s+Time left\s+about 8 min left", status(going))
    assert re.search(r"Elapsed\s+2 min 00 s\s+Time left\s+estimating…", status(early))
    assert "not started yet" in status(waiting)
    assert re.search(r"Duration\s+1 min 35 s", status(world.open_run))
    # The status block polls itself while the run is unfinished, and stops once it is.
    assert 'hx-get="/evals/runs/' in web.get(f"/evals/runs/{going}").text
    assert "hx-get" not in web.get(f"/evals/runs/{world.open_run}/status").text
    table = re.sub(r"<[^>]+>|\s+", " ", web.get("/evals/runs-table").text)
    assert re.search(r"2 min 00 s\s+about 8 min left", table)
    assert re.search(r"2 min 00 s\s+estimating…", table)
    assert "1 min 35 s" in table
