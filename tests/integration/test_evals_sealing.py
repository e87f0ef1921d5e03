"""Sealing benchmark suites: round trip, immutability, item secrecy (E1), audited reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.evals import service
from frontier_review.evals.orm import SealedSuite
from frontier_review.evals.package import load_package
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.errors import Conflict, PermissionDenied
from tests.factories.identity import make_org, make_user
from tests.unit.test_benchmark_package import GOOD, MANIFEST

SECRET = "The exploitable call is memcpy(dst, src, n) on line 3"


def _package_dir(tmp_path: Path, extra: str = SECRET) -> Path:
    folder = tmp_path / "suite"
    folder.mkdir(exist_ok=True)
    (folder / "manifest.toml").write_text(MANIFEST)
    items = [*GOOD, {"id": "em-2", "input": extra, "target": "3"}]
    (folder / "samples.jsonl").write_text("\n".join(json.dumps(x) for x in items) + "\n")
    return folder


def test_seal_round_trip_and_secrecy(container: Container, tmp_path: Path) -> None:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    cleared = make_user(container, po, role=Role.ADMIN, cleared=True)
    uncleared = make_user(container, po, role=Role.ADMIN)
    package = load_package(_package_dir(tmp_path))
    with container.uow() as uow:
        view, created = service.seal_package(uow, cleared.principal, package)
    assert created
    assert (view.ref, view.sample_count, view.classified) == ("tiny-suite@1", 3, True)
    with container.uow() as uow:
        again, created_again = service.seal_package(uow, cleared.principal, package)
    assert not created_again
    assert again.sample_count == 3
    with container.uow() as uow, pytest.raises(Conflict):
        service.seal_package(uow, cleared.principal, load_package(_package_dir(tmp_path, extra="a different item")))
    with container.sessions() as session:
        sealed = session.scalars(sa.select(SealedSuite.samples_sealed)).one()
        audit_text = json.dumps([e.details for e in session.scalars(sa.select(AuditEntry))])
    assert SECRET.encode() not in sealed
    assert SECRET not in audit_text
    with container.uow() as uow:
        listed = service.list_suites(uow, uncleared.principal)
    assert [s.ref for s in listed] == ["tiny-suite@1"]
    with container.uow() as uow, pytest.raises(PermissionDenied):
        service.read_items(uow, uncleared.principal, "tiny-suite@1")
    with container.uow() as uow:
        _view, samples = service.read_items(uow, cleared.principal, "tiny-suite@1")
    assert SECRET in [s.input for s in samples]
    with container.sessions() as session:
        actions = list(
            session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.startswith("evals:")).order_by(AuditEntry.seq))
        )
        denied = session.scalars(sa.select(AuditEntry.outcome).where(AuditEntry.action == "evals:items:read")).all()
    assert actions == ["evals:benchmark:sealed", "evals:items:read", "evals:benchmark:items_viewed"]
    assert denied == ["denied"]


def test_only_cleared_program_office_staff_seal_classified_suites(container: Container, tmp_path: Path) -> None:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    dev = make_org(container, OrgKind.DEVELOPER)
    package = load_package(_package_dir(tmp_path))
    for person in (make_user(container, po), make_user(container, dev, role=Role.ADMIN)):
        with container.uow() as uow, pytest.raises(PermissionDenied):
            service.seal_package(uow, person.principal, package)


def test_seal_legacy_seals_plaintext_classified_scores_and_target_urls(container: Container, tmp_path: Path) -> None:
    """Rows an earlier version stored in plaintext (a classified result and run score, a target
    URL) are sealed by the operator's `benchmark seal-legacy`, still read back by those who may,
    and the command is idempotent and audited with ids only."""
    from frontier_review.coverage import results
    from frontier_review.coverage.orm import BenchmarkResult
    from frontier_review.evals import runs, targets
    from frontier_review.evals.orm import BenchmarkRun, ModelTarget
    from tests.cli import run_cli
    from tests.factories.coverage import make_version
    from tests.factories.evals import OPERATOR, allow_classified

    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    cleared = make_user(container, po, role=Role.ADMIN, cleared=True)
    developer = make_user(container, make_org(container, OrgKind.DEVELOPER), role=Role.ADMIN)
    version = make_version(container, developer)
    secret_url = "http://127.0.0.1:9/legacy-key-in-path-4411/v1"
    with container.uow() as uow:
        service.seal_package(uow, cleared.principal, load_package(_package_dir(tmp_path)))
        targets.create_target(uow, cleared.principal, name="old", model="mockllm/model", reference_model="ref")
        allow_classified(uow, "old")
        run = runs.start_run(uow, cleared.principal, benchmark="tiny-suite@1", target="old", dispatch=lambda _rid: None)
        result = results.record_result(
            uow, cleared.principal, benchmark="tiny-suite", benchmark_version="1", score=0.5, model_version_id=version.id
        )
    # As an earlier version stored them: plaintext.
    with container.sessions() as session, session.begin():
        session.execute(sa.update(BenchmarkRun).where(BenchmarkRun.id == run.id).values(score=0.6182937, stderr=0.0517733))
        session.execute(
            sa.update(BenchmarkResult)
            .where(BenchmarkResult.id == result.id)
            .values(score=0.6182937, stderr=0.0517733, scores_sealed=None)
        )
        session.execute(sa.update(ModelTarget).where(ModelTarget.name == "old").values(base_url=secret_url))

    def stored() -> str:
        with container.sessions() as session:
            rows = [
                *session.execute(sa.select(BenchmarkRun.score, BenchmarkRun.stderr)),
                *session.execute(sa.select(BenchmarkResult.score, BenchmarkResult.stderr)),
                *session.execute(sa.select(ModelTarget.base_url)),
                *session.execute(sa.select(AuditEntry.details)),
            ]
        return repr(rows)

    assert "0.6182937" in stored() and secret_url in stored()  # the control: the search finds plaintext
    done = run_cli(container, "benchmark", "seal-legacy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 classified result(s), 1 classified run score(s), 1 target URL(s)" in done.stdout
    text = stored()
    assert "0.6182937" not in text and "0.0517733" not in text and secret_url not in text
    with container.uow() as uow:
        assert runs.get_run(uow, OPERATOR, run.id).score == 0.6182937
        assert [r.score for r in results.list_results_for_version(uow, cleared.principal, version.id)] == [0.6182937]
        row = uow.session.scalar(sa.select(ModelTarget).where(ModelTarget.name == "old"))
        assert row is not None and targets.target_base_url(uow, row) == secret_url
    again = run_cli(container, "benchmark", "seal-legacy")
    assert "sealed: 0 classified result(s), 0 classified run score(s), 0 target URL(s)" in again.stdout
    with container.uow() as uow, pytest.raises(PermissionDenied):
        runs.seal_legacy(uow, cleared.principal)
