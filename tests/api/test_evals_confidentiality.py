"""Confidentiality by construction (issue 10, items 1, 2, 3, 19 and 20a) over real HTTP, the web
forms and the CLI, on SQLite and PostgreSQL.

1. A classified benchmark's scores are sealed at rest, never in audit details, and reach only
   cleared program-office staff and the operator, each read audited.
2. A policy that reads a classified benchmark must be classified; traces shown to anyone but
   cleared staff say met / not met / unknown, never the score or the threshold.
3. A classified suite runs only on a target the operator allowed (every target counts as
   developer-hosted until then).
19. One address policy for upstreams and targets: metadata addresses refused in every form and mode.
20a. Target base URLs sealed at rest.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.composition import Base
from frontier_review.coverage.orm import BenchmarkResult, PublishedPolicy
from frontier_review.evals import service, targets
from frontier_review.evals.orm import ModelTarget
from frontier_review.evals.package import load_package
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.errors import PermissionDenied
from tests.api.helpers import assert_problem, bearer, csrf_from, web_login
from tests.cli import run_cli
from tests.factories.coverage import make_version
from tests.factories.engagements import make_engagement
from tests.factories.identity import Person, api_token, make_org, make_superuser, make_user
from tests.unit.test_benchmark_package import MANIFEST

SCORE, STDERR = 0.7318264, 0.0419357  # a classified result: distinctive, so any copy is found
OPEN_SCORE, OPEN_THRESHOLD = 0.8311927, 0.5527113  # an unclassified benchmark's, under an unclassified policy


def _mixed_policy(bench: str = "secret-bench") -> str:
    return f"""id = "mixed-policy"
version = "1"
effective_from = 2026-06-02
[criteria]
any = [
  {{ benchmark = "{bench}", benchmark_version = "1", op = ">=", score = 0.7 }},
  {{ fact = "training_compute_flop", op = ">", value = 1e26 }},
]
"""


OPEN_POLICY = f"""id = "open-policy"
version = "1"
effective_from = 2026-06-02
[criteria]
all = [
  {{ benchmark = "open-bench", benchmark_version = "1", op = ">=", score = {OPEN_THRESHOLD}, name = "Open bench high" }},
  {{ fact = "training_compute_flop", op = ">", value = 1e20, name = "Some compute" }},
]
"""


@dataclass(frozen=True)
class World:
    people: dict[str, Person]
    auth: dict[str, dict[str, str]]
    version_id: uuid.UUID


@pytest.fixture
def world(container: Container) -> World:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    dev = make_org(container, OrgKind.DEVELOPER)
    people = {
        "cleared": make_user(container, po, role=Role.ADMIN, cleared=True),
        "po_admin": make_user(container, po, role=Role.ADMIN),
        "po_member": make_user(container, po),
        "dev": make_user(container, dev, role=Role.ADMIN),
        "root": make_superuser(container),
    }
    version = make_version(container, people["dev"], label="rc1", training_compute_flop=3e25)
    auth = {name: bearer(api_token(container, p)) for name, p in people.items()}
    return World(people, auth, version.id)


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _benchmark(http: httpx.Client, world: World, name: str, *, classified: bool) -> None:
    body = {"name": name, "version": "1", "title": name, "domain": "cyber-offense", "classified": classified}
    _ok(http.post("/api/v1/benchmarks", json=body, headers=world.auth["cleared"]), 201)


def _database_text(container: Container) -> str:
    """Every row of every table as text (the audit log among them)."""
    with container.sessions() as session:
        return "\n".join(
            f"{table.name}: {tuple(row)!r}" for table in Base.metadata.sorted_tables for row in session.execute(sa.select(table))
        )


def _forms(value: float) -> list[str]:
    return [repr(value), f"{value:.3f}", f"{value:g}"]


# Item 1 -------------------------------------------------------------------------------------


def test_a_classified_score_is_sealed_at_rest_and_shown_only_to_cleared_staff_with_an_audit_entry(
    container: Container, http: httpx.Client, world: World
) -> None:
    _benchmark(http, world, "secret-bench", classified=True)
    result = {"benchmark": "secret-bench", "benchmark_version": "1", "model_version_id": str(world.version_id)}
    recorded = _ok(
        http.post("/api/v1/results", json={**result, "score": SCORE, "stderr": STDERR}, headers=world.auth["cleared"]), 201
    )

    with container.sessions() as session:
        row = session.get(BenchmarkResult, uuid.UUID(recorded["id"]))
        assert row is not None
        assert (row.score, row.stderr) == (None, None)
        assert row.scores_sealed is not None
    stored = _database_text(container)
    for value in (SCORE, STDERR):
        assert repr(value) not in stored, "a classified score is stored in plaintext"

    url = f"/api/v1/versions/{world.version_id}/results"
    shown = _ok(http.get(url, headers=world.auth["cleared"]))
    assert [(r["score"], r["stderr"]) for r in shown] == [(SCORE, STDERR)]
    for who in ("po_admin", "po_member", "root", "dev"):
        response = http.get(url, headers=world.auth[who])
        assert response.status_code == 200, response.text
        assert response.json() == []
    with container.sessions() as session:
        viewed = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "coverage:result:classified_viewed")).all()
        assert [e.actor_label for e in viewed] == [world.people["cleared"].email]
        assert viewed[0].details["results"] == [recorded["id"]]
    # The audit log as an uncleared admin and the operator read it, and its export.
    for path in ("/api/v1/audit/entries?limit=500", "/api/v1/audit/export"):
        response = http.get(path, headers=world.auth["root"])
        assert response.status_code == 200, response.text
        assert not [f for f in _forms(SCORE) + _forms(STDERR) if f in response.text]


# Item 2 -------------------------------------------------------------------------------------


def test_a_policy_not_marked_classified_may_not_read_a_classified_benchmark_rest_web_cli(
    container: Container, http: httpx.Client, world: World, tmp_path: Path
) -> None:
    _benchmark(http, world, "secret-bench", classified=True)
    field = "criteria.any[0].benchmark"
    for who in ("cleared", "po_admin"):
        for path in ("/api/v1/policies", "/api/v1/policies/validate"):
            response = http.post(
                path, content=_mixed_policy().encode(), headers={**world.auth[who], "content-type": "application/toml"}
            )
            body = assert_problem(response, 422, field=field)
            assert "line 6" in json.dumps(body) and "must be marked classified = true" in json.dumps(body)
    # The web form: the same message, with its line, on the page.
    web = httpx.Client(base_url=str(http.base_url), follow_redirects=False)
    assert web_login(web, world.people["cleared"].email, world.people["cleared"].password).status_code == 303
    page = web.get("/coverage/policies")
    refused = web.post(
        "/coverage/policies", data={"source": _mixed_policy(), "action": "publish", "csrf_token": csrf_from(page.text)}
    )
    assert refused.status_code == 422
    assert f"line 6: {field}: secret-bench@1 is a classified benchmark" in refused.text
    # The CLI (the operator): a message naming the line and a non-zero exit.
    source = tmp_path / "mixed.toml"
    source.write_text(_mixed_policy())
    done = run_cli(container, "policy", "publish", str(source))
    assert done.returncode != 0
    assert f"line 6: {field}: secret-bench@1 is a classified benchmark" in done.stdout + done.stderr
    with container.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(PublishedPolicy)) == 0
    # Marked classified (with names), it publishes.
    classified = (
        _mixed_policy()
        .replace('version = "1"\neffective', 'version = "1"\nclassified = true\neffective')
        .replace("score = 0.7 }", 'score = 0.7, name = "Secret bench" }')
        .replace("value = 1e26 }", 'value = 1e26, name = "Compute" }')
    )
    _ok(
        http.post(
            "/api/v1/policies", content=classified.encode(), headers={**world.auth["cleared"], "content-type": "application/toml"}
        ),
        201,
    )


def test_traces_show_scores_and_thresholds_to_cleared_staff_only(container: Container, http: httpx.Client, world: World) -> None:
    _benchmark(http, world, "open-bench", classified=False)
    _ok(
        http.post(
            "/api/v1/policies",
            content=OPEN_POLICY.encode(),
            headers={**world.auth["cleared"], "content-type": "application/toml"},
        ),
        201,
    )
    result = {"benchmark": "open-bench", "benchmark_version": "1", "model_version_id": str(world.version_id), "score": OPEN_SCORE}
    _ok(http.post("/api/v1/results", json=result, headers=world.auth["cleared"]), 201)
    body = {"model_version_id": str(world.version_id), "policy": "open-policy@1"}
    det = _ok(http.post("/api/v1/determinations", json=body, headers=world.auth["po_admin"]), 201)
    assert det["outcome"] == "covered"

    def bench_node(view: dict[str, Any]) -> dict[str, Any]:
        nodes: list[dict[str, Any]] = [c for c in view["trace"]["children"] if c["kind"] == "benchmark"]
        assert len(nodes) == 1
        return nodes[0]

    full = _ok(http.get(f"/api/v1/determinations/{det['id']}", headers=world.auth["cleared"]))
    assert bench_node(full)["observed"] == OPEN_SCORE
    assert f"{OPEN_THRESHOLD:g}" in bench_node(full)["expected"]
    for who in ("dev", "po_admin", "po_member", "root"):
        for path in (f"/api/v1/determinations/{det['id']}", f"/api/v1/versions/{world.version_id}/determinations"):
            response = http.get(path, headers=world.auth[who])
            assert response.status_code == 200, (who, response.text)
            views = response.json() if isinstance(response.json(), list) else [response.json()]
            for view in views:
                node = bench_node(view)
                assert (node["status"], node["observed"], node["expected"]) == ("met", None, "score threshold withheld")
            assert not [f for f in _forms(OPEN_SCORE) + _forms(OPEN_THRESHOLD) if f in response.text], (who, path)
    # The developer's determination page says met, never the score.
    web = httpx.Client(base_url=str(http.base_url), follow_redirects=False)
    assert web_login(web, world.people["dev"].email, world.people["dev"].password).status_code == 303
    page = web.get(f"/coverage/determinations/{det['id']}")
    assert page.status_code == 200
    assert "Open bench high" in page.text
    assert not [f for f in _forms(OPEN_SCORE) if f in page.text]


# Item 3 -------------------------------------------------------------------------------------


def _seal(container: Container, tmp_path: Path, person: Person, name: str, *, classified: bool) -> None:
    folder = tmp_path / name
    folder.mkdir()
    manifest = MANIFEST.replace('name = "tiny-suite"', f'name = "{name}"')
    if not classified:
        manifest = manifest.replace('"classified"', '"unclassified"')
    (folder / "manifest.toml").write_text(manifest)
    (folder / "samples.jsonl").write_text(json.dumps({"id": "q1", "input": "Which CWE?", "target": "B"}) + "\n")
    with container.uow() as uow:
        service.seal_package(uow, person.principal, load_package(folder))


def test_a_classified_suite_runs_only_on_a_target_the_operator_allowed(
    container: Container, http: httpx.Client, world: World, tmp_path: Path
) -> None:
    _seal(container, tmp_path, world.people["cleared"], "secret-suite", classified=True)
    _seal(container, tmp_path, world.people["cleared"], "open-suite", classified=False)
    target = {"name": "dev-hosted", "model": "openai-api/dev/m", "base_url": "http://127.0.0.1:9/v1", "reference_model": "r"}
    created = _ok(http.post("/api/v1/targets", json=target, headers=world.auth["cleared"]), 201)
    assert created["classified_allowed"] is False
    run = {"benchmark": "secret-suite@1", "target": "dev-hosted"}
    body = assert_problem(http.post("/api/v1/runs", json=run, headers=world.auth["cleared"]), 422, field="target")
    assert "developer-hosted" in str(body["detail"]) and "allow-classified" in str(body["detail"])
    _ok(http.post("/api/v1/runs", json={**run, "benchmark": "open-suite@1"}, headers=world.auth["po_admin"]), 201)
    # The web form says why, and queues nothing.
    web = httpx.Client(base_url=str(http.base_url), follow_redirects=True)
    assert web_login(web, world.people["cleared"].email, world.people["cleared"].password).status_code == 200
    page = web.get("/evals")
    shown = web.post("/evals/runs", data={**run, "csrf_token": csrf_from(page.text)})
    assert "counts as developer-hosted" in shown.text
    # Nobody but the operator on the server may override it, not even a cleared admin.
    with container.uow() as uow, pytest.raises(PermissionDenied):
        targets.allow_classified(uow, world.people["cleared"].principal, target="dev-hosted", reason="hosted by us")
    # The operator's override, with its reason, through the CLI: audited, and the run queues.
    done = run_cli(container, "benchmark", "target", "allow-classified", "dev-hosted", "--reason", "PO enclave server")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _ok(http.get("/api/v1/targets", headers=world.auth["cleared"]))[0]["classified_allowed"] is True
    _ok(http.post("/api/v1/runs", json=run, headers=world.auth["cleared"]), 201)
    done = run_cli(container, "benchmark", "target", "allow-classified", "dev-hosted", "--revoke")
    assert done.returncode == 0, done.stdout + done.stderr
    assert_problem(http.post("/api/v1/runs", json=run, headers=world.auth["cleared"]), 422, field="target")
    with container.sessions() as session:
        entries = session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("evals:target:classified_%"))).all()
    assert [(e.action, e.reason) for e in entries] == [
        ("evals:target:classified_allowed", "PO enclave server"),
        ("evals:target:classified_revoked", None),
    ]


def test_the_program_offices_own_engagement_grant_counts_as_developer_hosted(
    container: Container, http: httpx.Client, base_url: str, tmp_path: Path
) -> None:
    setup = make_engagement(container, upstream_url="http://127.0.0.1:9/v1")
    po_org_id = setup.program_office.user.organization_id
    assert po_org_id is not None
    from frontier_review import engagements
    from frontier_review.identity import service as identity
    from tests.factories.identity import SYSTEM

    with container.uow() as uow:
        org = next(o for o in identity.list_organizations(uow, SYSTEM) if o.id == po_org_id)
    director = make_user(container, org, role=Role.ADMIN, cleared=True)
    with container.uow() as uow:
        engagements.invite(uow, setup.developer.principal, setup.engagement.id, organization_id=po_org_id)
    with container.uow() as uow:
        engagements.accept_terms(uow, director.principal, setup.engagement.id, terms_number=1)
    _seal(container, tmp_path, director, "secret-suite", classified=True)
    with container.uow() as uow:
        targets.create_gateway_target(
            uow, director.principal, name="via-grant", engagement_id=setup.engagement.id, gateway_url=f"{base_url}/gateway/v1"
        )
    auth = bearer(api_token(container, director))
    response = http.post("/api/v1/runs", json={"benchmark": "secret-suite@1", "target": "via-grant"}, headers=auth)
    assert "developer-hosted" in str(assert_problem(response, 422, field="target")["detail"])


# Items 19 and 20a ---------------------------------------------------------------------------

METADATA_URLS = [
    "http://169.254.169.254/latest",
    "http://[::ffff:169.254.169.254]/v1",
    "http://[::ffff:a9fe:a9fe]/v1",
    "http://[64:ff9b::a9fe:a9fe]/v1",
    "http://[2002:a9fe:a9fe::1]/v1",
    "http://[fd00:ec2::254]/v1",
    "http://100.100.100.200/v1",
]


@pytest.mark.parametrize("url", METADATA_URLS)
def test_metadata_addresses_are_refused_for_targets_and_upstreams_even_with_private_allowed(
    container: Container, http: httpx.Client, world: World, url: str
) -> None:
    assert container.settings.gateway_allow_private_upstreams  # the most permissive mode
    target = {"name": "meta", "model": "openai-api/x/m", "base_url": url, "reference_model": "r"}
    body = assert_problem(http.post("/api/v1/targets", json=target, headers=world.auth["cleared"]), 422, field="base_url")
    assert "metadata" in str(body["detail"])
    setup = make_engagement(container, offer=False)
    upstream = {"base_url": url, "upstream_model": "m"}
    response = http.put(
        f"/api/v1/engagements/{setup.engagement.id}/upstream",
        json=upstream,
        headers=bearer(api_token(container, setup.developer)),
    )
    assert "metadata" in str(assert_problem(response, 422, field="base_url")["detail"])
    with container.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ModelTarget)) == 0


def test_a_target_base_url_is_sealed_at_rest_and_shown_as_its_origin(
    container: Container, http: httpx.Client, world: World
) -> None:
    secret = f"key-in-path-{uuid.uuid4().hex}"
    target = {"name": "keyed", "model": "openai-api/x/m", "base_url": f"http://127.0.0.1:9/{secret}/v1", "reference_model": "r"}
    created = _ok(http.post("/api/v1/targets", json=target, headers=world.auth["cleared"]), 201)
    assert created["endpoint"] == "http://127.0.0.1:9"
    assert secret not in _database_text(container)
    for who in ("cleared", "po_admin", "root"):
        assert secret not in http.get("/api/v1/targets", headers=world.auth[who]).text
        assert secret not in http.get("/api/v1/audit/entries?limit=500", headers=world.auth[who]).text
    with container.uow() as uow:
        row = uow.session.scalar(sa.select(ModelTarget).where(ModelTarget.name == "keyed"))
        assert row is not None and row.base_url is None
        assert targets.target_base_url(uow, row) == f"http://127.0.0.1:9/{secret}/v1"
