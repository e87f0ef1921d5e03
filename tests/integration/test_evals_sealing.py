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
