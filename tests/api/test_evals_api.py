"""Benchmark suites, targets and runs over HTTP: the authorization matrix, bad input, secrecy."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest

from frontier_review.bootstrap import Container
from frontier_review.evals import runs, service, targets
from frontier_review.evals.package import load_package
from frontier_review.identity.domain import OrgKind, Role
from tests.api.helpers import assert_problem, bearer
from tests.factories.evals import allow_classified
from tests.factories.identity import api_token, make_org, make_superuser, make_user
from tests.unit.test_benchmark_package import GOOD, MANIFEST

ITEM = "secret item text evals-api-4417"


def _seal(container: Container, tmp_path: Path, principal: object, *, name: str, classified: bool) -> None:
    folder = tmp_path / name
    folder.mkdir()
    manifest = MANIFEST.replace('name = "tiny-suite"', f'name = "{name}"')
    if not classified:
        manifest = manifest.replace('classification = "classified"', 'classification = "unclassified"')
    (folder / "manifest.toml").write_text(manifest)
    (folder / "samples.jsonl").write_text(
        "\n".join(json.dumps(x) for x in [*GOOD, {"id": "x", "input": ITEM, "target": "1"}]) + "\n"
    )
    with container.uow() as uow:
        service.seal_package(uow, principal, load_package(folder))  # type: ignore[arg-type]


@pytest.fixture
def world(container: Container, tmp_path: Path) -> dict[str, object]:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    dev = make_org(container, OrgKind.DEVELOPER)
    agency = make_org(container, OrgKind.AGENCY)
    people = {
        "root": make_superuser(container),
        "po_cleared": make_user(container, po, role=Role.ADMIN, cleared=True),
        "po_uncleared": make_user(container, po, role=Role.ADMIN),
        "po_member": make_user(container, po),
        "dev_admin": make_user(container, dev, role=Role.ADMIN),
        "agency_admin": make_user(container, agency, role=Role.ADMIN),
    }
    cleared = people["po_cleared"].principal
    _seal(container, tmp_path, cleared, name="open-suite", classified=False)
    _seal(container, tmp_path, cleared, name="secret-suite", classified=True)
    with container.uow() as uow:
        targets.create_target(
            uow,
            cleared,
            name="t1",
            model="openai-api/local/fake",
            base_url="http://127.0.0.1:9/v1",
            api_key="sk-never-shown",
            reference_model="ref",
        )
        allow_classified(uow, "t1")
        targets.create_target(uow, cleared, name="t2", model="mockllm/model", reference_model="ref")  # developer-hosted
        open_run = runs.start_run(uow, cleared, benchmark="open-suite@1", target="t1", dispatch=lambda _rid: None)
        secret_run = runs.start_run(uow, cleared, benchmark="secret-suite@1", target="t1", dispatch=lambda _rid: None)
    return {
        "tokens": {name: api_token(container, p) for name, p in people.items()},
        "open_run": str(open_run.id),
        "secret_run": str(secret_run.id),
    }


PO = {"po_cleared", "po_uncleared", "po_member"}
ACTORS = ["root", "po_cleared", "po_uncleared", "po_member", "dev_admin", "agency_admin"]


def test_evals_route_matrix(world: dict[str, object], http: httpx.Client) -> None:
    tokens: dict[str, str] = world["tokens"]  # type: ignore[assignment]
    cases: list[tuple[str, str, dict[str, object] | None, set[str], int]] = [
        ("GET", "/api/v1/benchmark-suites", None, set(ACTORS), 200),
        ("GET", "/api/v1/targets", None, PO, 200),
        ("POST", "/api/v1/targets", {"name": "t-{actor}", "model": "mockllm/model", "reference_model": "ref"}, PO, 201),
        ("GET", "/api/v1/runs", None, PO, 200),
        ("POST", "/api/v1/runs", {"benchmark": "open-suite@1", "target": "t1"}, PO, 201),
        ("POST", "/api/v1/runs", {"benchmark": "secret-suite@1", "target": "t1"}, {"po_cleared"}, 201),
        # Not allowed for classified suites by the operator: refused even to cleared staff (item 3).
        ("POST", "/api/v1/runs", {"benchmark": "secret-suite@1", "target": "t2"}, {"po_cleared"}, 422),
        (
            "POST",
            "/api/v1/targets",
            {"name": "m-{actor}", "model": "a/b", "base_url": "http://[::ffff:a9fe:a9fe]/", "reference_model": "r"},
            PO,
            422,
        ),
        ("GET", "/api/v1/runs/{open_run}", None, PO, 200),
        ("GET", "/api/v1/runs/{secret_run}", None, {"po_cleared"}, 200),
        # Allowed callers get 404 here only because these runs never ran (no log yet).
        ("GET", "/api/v1/runs/{open_run}/transcripts", None, {"po_cleared"}, 404),
    ]
    failures = []
    for method, path, body, allowed, ok_status in cases:
        for actor in ACTORS:
            url = path.format(open_run=world["open_run"], secret_run=world["secret_run"])
            payload = None if body is None else {k: v.format(actor=actor) if isinstance(v, str) else v for k, v in body.items()}
            response = http.request(method, url, json=payload, headers=bearer(tokens[actor]))
            # A run is visible to whoever may see its scores; for anyone else it does not exist.
            sees = PO if "{open_run}" in path else {"po_cleared"} if "{secret_run}" in path else set(ACTORS)
            expected = ok_status if actor in allowed else 403 if actor in sees else 404
            if response.status_code != expected:
                failures.append(f"{actor} {method} {path}: {response.status_code} (expected {expected})")
    assert not failures, "\n".join(failures)


def test_items_keys_and_classified_runs_never_leak(world: dict[str, object], http: httpx.Client) -> None:
    tokens: dict[str, str] = world["tokens"]  # type: ignore[assignment]
    for actor in ACTORS:
        for path in ("/api/v1/benchmark-suites", "/api/v1/targets", "/api/v1/runs"):
            text = http.get(path, headers=bearer(tokens[actor])).text
            assert ITEM not in text
            assert "sk-never-shown" not in text
    uncleared = http.get("/api/v1/runs", headers=bearer(tokens["po_uncleared"])).json()
    assert [r["benchmark"] for r in uncleared] == ["open-suite@1"]
    cleared = http.get("/api/v1/runs", headers=bearer(tokens["po_cleared"])).json()
    assert sorted(r["benchmark"] for r in cleared) == ["open-suite@1", "secret-suite@1"]


def test_bad_run_and_target_input(world: dict[str, object], http: httpx.Client) -> None:
    auth = bearer(world["tokens"]["po_cleared"])  # type: ignore[index]
    assert_problem(
        http.post("/api/v1/targets", json={"name": "x1", "model": "openai/gpt", "reference_model": "r"}, headers=auth),
        422,
        field="model",
    )
    assert_problem(
        http.post("/api/v1/targets", json={"name": "x2", "model": "openai-api/a/b", "reference_model": "r"}, headers=auth),
        422,
        field="base_url",
    )
    assert_problem(
        http.post(
            "/api/v1/targets",
            json={"name": "x3", "model": "openai-api/a/b", "base_url": "ftp://h/v1", "reference_model": "r"},
            headers=auth,
        ),
        422,
        field="base_url",
    )
    assert_problem(
        http.post("/api/v1/runs", json={"benchmark": "open-suite@1", "target": "t1", "max_connections": "8"}, headers=auth),
        422,
        field="max_connections",
    )
    assert_problem(http.post("/api/v1/runs", json={"benchmark": "open-suite@1", "target": "nope"}, headers=auth), 404)
    assert_problem(http.post("/api/v1/runs", json={"benchmark": "missing@1", "target": "t1"}, headers=auth), 404)
    cancelled = http.post(f"/api/v1/runs/{world['open_run']}/cancel", headers=auth)
    assert cancelled.json()["status"] == "cancelled"
    assert_problem(http.post(f"/api/v1/runs/{world['open_run']}/cancel", headers=auth), 409)


def test_the_web_process_never_imports_inspect() -> None:
    """Inspect runs only in runner processes: building the whole web app must not load it."""
    import subprocess

    code = "import sys; from frontier_review.asgi import create_app; print('inspect_ai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
