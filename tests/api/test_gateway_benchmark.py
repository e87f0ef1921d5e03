"""The program office benchmarks a candidate through its own engagement grant on the gateway:
every sample is a gateway call (admitted, metered, recorded), and release ends it."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from frontier_review import engagements
from frontier_review.bootstrap import Container
from frontier_review.engagements.access.orm import AccessLog
from frontier_review.evals import runs, service, targets
from frontier_review.evals.domain import RunStatus
from frontier_review.evals.orm import BenchmarkRun
from frontier_review.evals.package import load_package
from frontier_review.evals.tasks import RUN_TASK
from frontier_review.identity.domain import Role
from frontier_review.identity.service import OrganizationView
from frontier_review.jobs.queue import start_embedded_consumer
from frontier_review.kernel.principal import Principal
from frontier_review.mockllm import serve_fake
from frontier_review.registry import service as registry_service
from frontier_review.registry.domain import VersionStatus
from tests.factories.engagements import make_engagement
from tests.factories.identity import make_user
from tests.unit.test_benchmark_package import MANIFEST


def _run(container: Container, principal: Principal) -> BenchmarkRun:
    queue = container.jobs
    with container.uow() as uow:
        run = runs.start_run(
            uow,
            principal,
            benchmark="gateway-suite@1",
            target="atlas-via-gateway",
            dispatch=lambda rid: queue.enqueue(RUN_TASK, str(rid)) and None,
            max_retries=0,
            timeout_seconds=20,
        )
    consumer = start_embedded_consumer(queue.huey)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with container.sessions() as session:
                row = session.get(BenchmarkRun, run.id)
                assert row is not None
                if RunStatus(row.status).finished:
                    return row
            time.sleep(0.5)
        raise AssertionError("the run did not finish")
    finally:
        consumer.stop(graceful=True)


def test_a_benchmark_runs_through_the_program_offices_grant(container: Container, base_url: str, tmp_path: Path) -> None:
    with serve_fake(letter="B", text="7") as upstream:
        setup = make_engagement(container, upstream_url=upstream)
        po_org_id = setup.program_office.user.organization_id
        assert po_org_id is not None
        director = make_user(container, _org(container, po_org_id), role=Role.ADMIN, cleared=True)
        with container.uow() as uow:
            engagements.invite(uow, setup.developer.principal, setup.engagement.id, organization_id=po_org_id)
        with container.uow() as uow:
            engagements.accept_terms(uow, director.principal, setup.engagement.id, terms_number=1)
        folder = tmp_path / "suite"
        folder.mkdir()
        # Unclassified: a classified suite may not run on a developer-hosted target (the grant is one).
        (folder / "manifest.toml").write_text(
            MANIFEST.replace('name = "tiny-suite"', 'name = "gateway-suite"').replace('"classified"', '"unclassified"')
        )
        items = [{"id": f"q{i}", "input": f"Which line is exploitable in snippet {i}?", "target": "7"} for i in range(5)]
        (folder / "samples.jsonl").write_text("\n".join(json.dumps(x) for x in items) + "\n")
        with container.uow() as uow:
            service.seal_package(uow, director.principal, load_package(folder))
            target = targets.create_gateway_target(
                uow,
                director.principal,
                name="atlas-via-gateway",
                engagement_id=setup.engagement.id,
                gateway_url=f"{base_url}/gateway/v1",
            )
        assert target.model == f"openai-api/gateway/{setup.engagement.model_id}"
        finished = _run(container, director.principal)
        assert finished.status == RunStatus.SUCCEEDED.value, finished.failure_reason
        assert finished.score == 1.0
        with container.sessions() as session:
            calls = session.scalars(sa.select(AccessLog).where(AccessLog.actor_label == director.email)).all()
        assert len([c for c in calls if c.status == 200]) == 5  # one gateway call per sample, each recorded
        with container.uow() as uow:
            registry_service.set_status(
                uow, setup.developer.principal, setup.engagement.version_id, status=VersionStatus.RELEASED
            )
        after = _run(container, director.principal)
    assert after.status == RunStatus.FAILED.value
    assert after.failure_reason is not None
    assert "HTTP 403" in after.failure_reason


def _org(container: Container, org_id: uuid.UUID) -> OrganizationView:
    from frontier_review.identity import service as identity
    from tests.factories.identity import SYSTEM

    with container.uow() as uow:
        return next(o for o in identity.list_organizations(uow, SYSTEM) if o.id == org_id)
