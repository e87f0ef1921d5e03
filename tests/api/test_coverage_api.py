"""Registry and coverage over real HTTP, on SQLite and PostgreSQL.

Developers register models, versions and facts and release whenever they want (R1, R2);
the program office publishes policies, works inquiries and records determinations that
can be re-checked (C1); classified thresholds and scores reach cleared program-office
staff only (C2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.bootstrap import Container
from frontier_review.coverage.orm import Benchmark, Determination, Inquiry, PublishedPolicy
from frontier_review.coverage.policy_file import PolicyInvalid, parse_policy
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.clock import FrozenClock
from frontier_review.registry.orm import FactDeclaration, Model, ModelVersion
from tests.api.helpers import assert_problem, bearer
from tests.factories.coverage import REFERENCE
from tests.factories.identity import Person, api_token, make_org, make_user

SB53 = "ca-sb53-frontier-model@1"
SB53_CRITERION = "Training compute (incl. fine-tuning and RL) above 1e26 operations"
SECRET = "eo14409-covered-cyber-example@1"
SECRET_NAMES = [
    "Offensive-cyber benchmark at or above the covered threshold",
    "Offensive-cyber benchmark at or above the reference frontier model",
]
THRESHOLD = "0.6"  # the classified example's threshold, as it would appear in any leak
SAMPLE_BENCHMARK = {
    "name": "cyber-offense-sample",
    "version": "1",
    "title": "Sample offensive-cyber suite",
    "domain": "cyber-offense",
    "classified": True,
}


@dataclass(frozen=True)
class World:
    """The people of one test and their API credentials."""

    people: dict[str, Person]
    auth: dict[str, dict[str, str]]

    def email(self, who: str) -> str:
        return self.people[who].email


@pytest.fixture
def world(container: Container) -> World:
    po = make_org(container, OrgKind.PROGRAM_OFFICE, name="Program Office")
    dev = make_org(container, OrgKind.DEVELOPER, name="Northwind AI")
    other = make_org(container, OrgKind.DEVELOPER, name="Helix Labs")
    people = {
        "po_admin": make_user(container, po, role=Role.ADMIN, cleared=True),
        "po_member": make_user(container, po),
        "dev": make_user(container, dev, role=Role.ADMIN),
        "dev_member": make_user(container, dev),
        "other": make_user(container, other, role=Role.ADMIN),
    }
    return World(people, {name: bearer(api_token(container, p)) for name, p in people.items()})


def _reference(filename: str) -> str:
    return (REFERENCE / filename).read_text()


def _publish(http: httpx.Client, auth: dict[str, str], text: str | bytes, *, validate: bool = False) -> httpx.Response:
    body = text.encode() if isinstance(text, str) else text
    path = "/api/v1/policies/validate" if validate else "/api/v1/policies"
    return http.post(path, content=body, headers={**auth, "content-type": "application/toml"})


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _version(
    http: httpx.Client, auth: dict[str, str], *, model: str = "Atlas", label: str = "rc1", facts: dict[str, Any] | None = None
) -> str:
    """A version (its model registered on first use), with ``facts`` declared; returns its id."""
    mine = [m for m in _ok(http.get("/api/v1/models", headers=auth)) if m["name"] == model]
    model_id = mine[0]["id"] if mine else _ok(http.post("/api/v1/models", json={"name": model}, headers=auth), 201)["id"]
    version_id: str = _ok(http.post(f"/api/v1/models/{model_id}/versions", json={"label": label}, headers=auth), 201)["id"]
    if facts:
        declared = [{"name": k, "value": v} for k, v in facts.items()]
        _ok(http.post(f"/api/v1/versions/{version_id}/facts", json={"facts": declared}, headers=auth))
    return version_id


def _count(container: Container, model: type[object]) -> int:
    with container.sessions() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- registry -------------------------------------------------------------------------------


def test_developer_registers_a_model_with_versions_and_facts_with_provenance(
    container: Container, http: httpx.Client, world: World, clock: FrozenClock
) -> None:
    dev = world.auth["dev"]
    created = http.post("/api/v1/models", json={"name": "  Atlas   Large ", "description": "Flagship family"}, headers=dev)
    model = _ok(created, 201)
    assert (model["name"], model["description"], model["organization_name"]) == ("Atlas Large", "Flagship family", "Northwind AI")
    assert model["versions"] == []
    rc1 = _ok(http.post(f"/api/v1/models/{model['id']}/versions", json={"label": "2.0-rc1"}, headers=dev), 201)
    rc2 = _ok(http.post(f"/api/v1/models/{model['id']}/versions", json={"label": "2.0-rc2"}, headers=dev), 201)
    assert (rc1["status"], rc1["released_at"], rc1["facts"], rc1["model_name"]) == ("prerelease", None, [], "Atlas Large")

    declared = http.post(
        f"/api/v1/versions/{rc1['id']}/facts",
        json={
            "facts": [
                {"name": "training_compute_flop", "value": 3e25, "unit": "FLOP"},
                {"name": "parameter_count", "value": 70_000_000_000},
                {"name": "modalities", "value": ["text", "code", "text"]},
                {"name": "planned_release_at", "value": "2026-09-01T02:00:00+02:00"},
                {"name": "primarily_biological_sequence_data", "value": False},
            ],
            "source_document": "model card §3",
        },
        headers=dev,
    )
    facts = {f["name"]: f for f in _ok(declared)["facts"]}
    assert {name: (f["value"], f["unit"]) for name, f in facts.items()} == {
        "training_compute_flop": (3e25, "FLOP"),
        "parameter_count": (70_000_000_000, "parameters"),
        "modalities": (["code", "text"], None),
        "planned_release_at": ("2026-09-01T00:00:00+00:00", None),
        "primarily_biological_sequence_data": (False, None),
    }
    first_declared_at = clock.now()
    for fact in facts.values():
        assert fact["source_document"] == "model card §3"
        assert fact["declared_by"] == world.email("dev")
        assert _at(fact["declared_at"]) == first_declared_at

    clock.advance(timedelta(hours=1))
    # A JSON integer is a number too; the new declaration supersedes the old one, provenance and all.
    update = {"facts": [{"name": "training_compute_flop", "value": 120_000_000_000_000_000_000_000_000}]}
    member = world.auth["dev_member"]
    _ok(http.post(f"/api/v1/versions/{rc1['id']}/facts", json={**update, "source_document": "tech report v2"}, headers=member))
    shown = _ok(http.get(f"/api/v1/versions/{rc1['id']}", headers=dev))
    now_facts = {f["name"]: f for f in shown["facts"]}
    assert len(shown["facts"]) == 5
    compute = now_facts["training_compute_flop"]
    assert (compute["value"], compute["source_document"], compute["declared_by"]) == (
        1.2e26,
        "tech report v2",
        world.email("dev_member"),
    )
    assert _at(compute["declared_at"]) == clock.now()
    assert now_facts["parameter_count"]["declared_by"] == world.email("dev")
    assert _at(now_facts["parameter_count"]["declared_at"]) == first_declared_at
    assert _count(container, FactDeclaration) == 6  # the superseded declaration is kept

    fetched = _ok(http.get(f"/api/v1/models/{model['id']}", headers=dev))
    assert [(v["label"], len(v["facts"])) for v in fetched["versions"]] == [("2.0-rc1", 5), ("2.0-rc2", 0)]
    assert [m["name"] for m in _ok(http.get("/api/v1/models", headers=dev))] == ["Atlas Large"]
    assert _ok(http.get("/api/v1/models", headers=world.auth["other"])) == []
    oversight = _ok(http.get(f"/api/v1/versions/{rc1['id']}", headers=world.auth["po_member"]))
    assert oversight["facts"] == shown["facts"]
    # Another developer's model does not exist for it (404, exactly like a random id).
    assert_problem(http.get(f"/api/v1/models/{model['id']}", headers=world.auth["other"]), 404)
    assert_problem(http.get(f"/api/v1/versions/{rc2['id']}", headers=world.auth["other"]), 404)


def test_bad_registry_input_is_a_problem_naming_the_field_and_writes_nothing(
    container: Container, http: httpx.Client, world: World
) -> None:
    dev = world.auth["dev"]
    model = _ok(http.post("/api/v1/models", json={"name": "Atlas"}, headers=dev), 201)
    version = _ok(http.post(f"/api/v1/models/{model['id']}/versions", json={"label": "rc1"}, headers=dev), 201)
    before = [_count(container, t) for t in (Model, ModelVersion, FactDeclaration)]
    url = f"/api/v1/versions/{version['id']}/facts"
    compute = {"name": "training_compute_flop", "value": 1e26}
    cases: list[tuple[object, str]] = [
        ({"facts": [{"name": "compute", "value": 1e26}]}, "facts[0].name"),
        ({"facts": [{**compute, "value": "1e26"}]}, "facts[0].value"),
        ({"facts": [{**compute, "value": -1.0}]}, "facts[0].value"),
        ({"facts": [{**compute, "value": True}]}, "facts[0].value"),
        ({"facts": [{**compute, "unit": "PFLOP"}]}, "facts[0].unit"),
        # One bad fact leaves the version untouched, even after a good one.
        ({"facts": [{"name": "parameter_count", "value": 7e9}, {**compute, "value": "1e26"}]}, "facts[1].value"),
        ({"facts": [{"name": "parameter_count", "value": 1}, {"name": "parameter_count", "value": 2}]}, "facts[1].name"),
        ({"facts": [{"name": "parameter_count", "value": 7.5}]}, "facts[0].value"),
        ({"facts": [{"name": "modalities", "value": ["text", "telepathy"]}]}, "facts[0].value"),
        ({"facts": [{"name": "planned_release_at", "value": "2026-09-01T00:00:00"}]}, "facts[0].value"),
        ({"facts": [{"name": "notes", "value": "fine", "unit": "words"}]}, "facts[0].unit"),
        ({"facts": [compute], "approved": True}, "approved"),
        ({"facts": []}, "facts"),
        ({"facts": [compute], "source_document": 42}, "source_document"),
        ({"source_document": "card"}, "facts"),
    ]
    for payload, field in cases:
        assert_problem(http.post(url, json=payload, headers=dev), 422, field=field)
    malformed = http.post(url, content=b'{"facts": [{"name": ', headers={**dev, "content-type": "application/json"})
    assert "malformed JSON" in str(assert_problem(malformed, 422, field="body")["detail"])
    assert_problem(http.post(url, json=[compute], headers=dev), 422)
    assert_problem(
        http.post("/api/v1/versions/not-a-uuid/facts", json={"facts": [compute]}, headers=dev), 422, field="version_id"
    )
    missing = "/api/v1/versions/00000000-0000-0000-0000-000000000000/facts"
    assert_problem(http.post(missing, json={"facts": [compute]}, headers=dev), 404)

    assert_problem(http.post("/api/v1/models", json={"name": "ATLAS"}, headers=dev), 409, field="name")
    assert_problem(http.post("/api/v1/models", json={"name": 123}, headers=dev), 422, field="name")
    assert_problem(http.post("/api/v1/models", json={"name": "X"}, headers=dev), 422, field="name")
    assert_problem(
        http.post("/api/v1/models", json={"name": "Zephyr", "organization_id": model["organization_id"]}, headers=dev),
        422,
        field="organization_id",
    )
    bad_json = http.post("/api/v1/models", content=b'{"name": "Zephyr",}', headers={**dev, "content-type": "application/json"})
    assert_problem(bad_json, 422, field="body")
    versions_url = f"/api/v1/models/{model['id']}/versions"
    assert_problem(http.post(versions_url, json={"label": "RC1"}, headers=dev), 409, field="label")
    assert_problem(http.post(versions_url, json={"label": 2}, headers=dev), 422, field="label")
    assert_problem(
        http.post(f"/api/v1/versions/{version['id']}/status", json={"status": "approved"}, headers=dev), 422, field="status"
    )

    assert [_count(container, t) for t in (Model, ModelVersion, FactDeclaration)] == before
    assert _ok(http.get(f"/api/v1/versions/{version['id']}", headers=dev))["facts"] == []
    # Another developer with the same model name is no clash: names are unique per organization.
    assert http.post("/api/v1/models", json={"name": "Atlas"}, headers=world.auth["other"]).status_code == 201


def test_error_fields_are_the_paths_of_the_inputs(http: httpx.Client, world: World) -> None:
    """A client maps ``errors[].field`` to its inputs: one notation (the service's ``facts[0].name``), no type tags."""
    dev, admin = world.auth["dev"], world.auth["po_admin"]
    version_id = _version(http, dev)
    _ok(http.post("/api/v1/benchmarks", json={**SAMPLE_BENCHMARK, "classified": False}, headers=admin), 201)
    result = {"benchmark": "cyber-offense-sample", "benchmark_version": "1", "model_version_id": version_id}
    facts_url = f"/api/v1/versions/{version_id}/facts"
    cases: list[tuple[str, dict[str, object], str]] = [
        (facts_url, {"facts": [{"name": "training_compute_flop", "value": 1e26}]}, ""),
        (facts_url, {"facts": [{"name": "training_compute_flop", "value": "1e26"}]}, "facts[0].value"),
        (facts_url, {"facts": [{"name": "training_compute_flop", "value": 1e26, "confidence": "high"}]}, "facts[0].confidence"),
        (facts_url, {"facts": [{"name": 7, "value": 1}]}, "facts[0].name"),
        ("/api/v1/results", {**result, "score": "0.5"}, "score"),
        ("/api/v1/results", {**result, "score": 0.5, "stderr": "0.1"}, "stderr"),
    ]
    wrong = []
    for url, payload, field in cases:
        response = http.post(url, json=payload, headers=admin if url.endswith("results") else dev)
        if not field:
            assert response.status_code == 200, response.text
            continue
        assert response.status_code == 422, response.text
        fields = [e["field"] for e in response.json()["errors"]]
        if fields != [field]:
            wrong.append(f"{field!r} reported as {fields}")
    assert not wrong, "; ".join(wrong)


def test_release_always_succeeds_for_the_owner_and_for_nobody_else(http: httpx.Client, world: World, clock: FrozenClock) -> None:
    dev = world.auth["dev"]
    rc1 = _version(http, dev, label="rc1", facts={"training_compute_flop": 3e26})
    rc2 = _version(http, dev, label="rc2")
    # An open, assigned inquiry blocks nothing: there is no approval step anywhere (R2).
    inquiry = _ok(http.post("/api/v1/inquiries", json={"model_version_id": rc1, "question": "Covered?"}, headers=dev), 201)
    _ok(http.post(f"/api/v1/inquiries/{inquiry['id']}/assign", json={}, headers=world.auth["po_admin"]))
    release = {"status": "released"}
    for outsider, status in (("other", 404), ("po_admin", 403), ("po_member", 403)):
        assert_problem(http.post(f"/api/v1/versions/{rc1}/status", json=release, headers=world.auth[outsider]), status)
    assert _ok(http.get(f"/api/v1/versions/{rc1}", headers=dev))["status"] == "prerelease"

    released = _ok(http.post(f"/api/v1/versions/{rc1}/status", json=release, headers=dev))
    assert released["status"] == "released"
    assert _at(released["released_at"]) == clock.now()
    clock.advance(timedelta(minutes=5))
    again = _ok(http.post(f"/api/v1/versions/{rc1}/status", json=release, headers=dev))
    assert (again["status"], again["released_at"]) == ("released", released["released_at"])
    assert_problem(http.post(f"/api/v1/versions/{rc1}/status", json={"status": "withdrawn"}, headers=dev), 409)

    by_member = _ok(http.post(f"/api/v1/versions/{rc2}/status", json=release, headers=world.auth["dev_member"]))
    assert (by_member["status"], _at(by_member["released_at"])) == ("released", clock.now())
    assert _ok(http.get(f"/api/v1/inquiries/{inquiry['id']}", headers=dev))["status"] == "assigned"


# --- policies -------------------------------------------------------------------------------


def test_policy_publishing_is_idempotent_immutable_and_validated(container: Container, http: httpx.Client, world: World) -> None:
    admin = world.auth["po_admin"]
    text = _reference("ca-sb53-frontier-model.toml")
    first = _ok(_publish(http, admin, text), 201)
    assert (first["ref"], first["classified"], first["published_by"]) == (SB53, False, world.email("po_admin"))
    assert first["criterion_names"] == [SB53_CRITERION]
    assert first["source"] == text
    assert first["content"]["criteria"]["all"][0]["value"] == 1e26
    again = _ok(_publish(http, admin, text))
    assert (again["id"], again["digest"]) == (first["id"], first["digest"])
    # Comments are not content: the same policy, still a no-op.
    assert _ok(_publish(http, admin, text.replace("# California", "# The state of California")))["id"] == first["id"]

    changed = text.replace("value = 1e26", "value = 2e26")
    assert_problem(_publish(http, admin, changed), 409, field="version")
    broken = _publish(http, admin, text.replace('version = "1"', 'version = "1'))
    errors = assert_problem(broken, 422)["errors"]
    assert isinstance(errors, list)
    assert "line" in errors[0]["message"], errors

    bad_fact = text.replace('fact = "training_compute_flop"', 'fact = "flops"').replace('version = "1"', 'version = "2"')
    line = next(i for i, row in enumerate(bad_fact.splitlines(), 1) if '"flops"' in row)
    problem = assert_problem(_publish(http, admin, bad_fact), 422, field="criteria.all[0].fact")
    assert isinstance(problem["errors"], list)
    assert f"line {line}" in problem["errors"][0]["message"]

    secret = _reference("example-classified-cyber.toml")  # its benchmark is not registered yet
    unknown = assert_problem(_publish(http, admin, secret), 422, field="criteria.any[0].benchmark")
    assert "cyber-offense-sample@1" in str(unknown["errors"])
    assert_problem(_publish(http, admin, secret, validate=True), 422, field="criteria.any[1].benchmark")
    assert_problem(_publish(http, admin, b"id = \xff\xfe"), 422, field="body")
    assert_problem(_publish(http, admin, ""), 422)

    checked = _ok(_publish(http, world.auth["dev"], text.replace('version = "1"', 'version = "2"'), validate=True))
    assert checked == {"valid": True, "ref": "ca-sb53-frontier-model@2", "classified": False, "criteria": [SB53_CRITERION]}
    assert_problem(_publish(http, world.auth["dev"], text.replace('version = "1"', 'version = "2"')), 403)
    assert_problem(_publish(http, world.auth["po_member"], text.replace('version = "1"', 'version = "2"')), 403)

    listed = _ok(http.get("/api/v1/policies", headers=world.auth["dev"]))
    assert [p["ref"] for p in listed] == [SB53]
    assert _count(container, PublishedPolicy) == 1
    assert _ok(http.get(f"/api/v1/policies/{SB53}", headers=admin))["digest"] == first["digest"]
    assert _ok(http.get("/api/v1/policies/ca-sb53-frontier-model", headers=admin))["ref"] == SB53
    assert_problem(http.get("/api/v1/policies/ca-sb53-frontier-model@9", headers=admin), 404)


def test_classified_thresholds_and_scores_reach_only_cleared_program_office_staff(
    container: Container, http: httpx.Client, world: World
) -> None:
    admin, dev, uncleared = world.auth["po_admin"], world.auth["dev"], world.auth["po_member"]
    assert_problem(http.post("/api/v1/benchmarks", json=SAMPLE_BENCHMARK, headers=uncleared), 403)
    bench = _ok(http.post("/api/v1/benchmarks", json=SAMPLE_BENCHMARK, headers=admin), 201)
    assert (bench["name"], bench["version"], bench["classified"]) == ("cyber-offense-sample", "1", True)
    assert_problem(http.post("/api/v1/benchmarks", json=SAMPLE_BENCHMARK, headers=admin), 409, field="version")
    source = _reference("example-classified-cyber.toml")
    assert_problem(_publish(http, uncleared, source), 403)
    published = _ok(_publish(http, admin, source), 201)
    assert published["classified"] is True
    assert published["content"] is not None  # the cleared publisher sees what was published
    assert THRESHOLD in published["source"]

    version = _version(http, dev, label="rc1")
    result = {"benchmark": "cyber-offense-sample", "benchmark_version": "1", "stderr": 0.04, "samples": 60}
    own = _ok(http.post("/api/v1/results", json={**result, "score": 0.72, "model_version_id": version}, headers=admin), 201)
    assert_problem(
        http.post("/api/v1/results", json={**result, "score": 0.5, "model_version_id": version}, headers=uncleared), 403
    )
    reference = {**result, "score": 0.9, "reference_model": "reference-frontier-2026"}
    _ok(http.post("/api/v1/results", json=reference, headers=admin), 201)

    inquiry = _ok(http.post("/api/v1/inquiries", json={"model_version_id": version, "question": "Covered?"}, headers=dev), 201)
    _ok(http.post(f"/api/v1/inquiries/{inquiry['id']}/assign", json={}, headers=admin))
    _ok(http.post(f"/api/v1/inquiries/{inquiry['id']}/attach-results", json={"result_ids": [own["id"]]}, headers=admin))
    secret_decision = {"policy": SECRET, "rationale": "Scores above the line."}
    assert_problem(http.post(f"/api/v1/inquiries/{inquiry['id']}/decide", json=secret_decision, headers=uncleared), 403)
    assert _ok(http.get(f"/api/v1/inquiries/{inquiry['id']}", headers=dev))["status"] == "assigned"
    assert _count(container, Determination) == 0
    decided = _ok(http.post(f"/api/v1/inquiries/{inquiry['id']}/decide", json=secret_decision, headers=admin))
    assert decided["status"] == "decided"
    det_id = decided["determination_id"]

    full = _ok(http.get(f"/api/v1/determinations/{det_id}", headers=admin))
    assert full["trace"] is not None
    assert full["evidence"] is not None
    seen_by_dev = _ok(http.get(f"/api/v1/determinations/{det_id}", headers=dev))
    assert (seen_by_dev["outcome"], seen_by_dev["classified"], seen_by_dev["policy_ref"]) == ("covered", True, SECRET)
    assert seen_by_dev["met_criteria"] == [SECRET_NAMES[0]]
    assert seen_by_dev["criterion_names"] == SECRET_NAMES
    assert (seen_by_dev["trace"], seen_by_dev["evidence"]) == (None, None)

    for who in ("dev", "po_member"):
        auth = world.auth[who]
        shown = _ok(http.get(f"/api/v1/policies/{SECRET}", headers=auth))
        assert (shown["content"], shown["source"]) == (None, None), who
        assert shown["criterion_names"] == SECRET_NAMES
        assert _ok(http.get(f"/api/v1/versions/{version}/results", headers=auth)) == [], who
        history = _ok(http.get(f"/api/v1/versions/{version}/determinations", headers=auth))
        assert [(d["outcome"], d["trace"]) for d in history] == [("covered", None)], who
        for path in (
            "/api/v1/policies",
            f"/api/v1/policies/{SECRET}",
            f"/api/v1/determinations/{det_id}",
            f"/api/v1/versions/{version}/determinations",
            f"/api/v1/versions/{version}/results",
            f"/api/v1/inquiries/{inquiry['id']}",
            "/api/v1/benchmarks",
        ):
            response = http.get(path, headers=auth)
            assert response.status_code == 200, (who, path, response.text)
            for secret_text in (THRESHOLD, "0.72", "0.9"):
                assert secret_text not in response.text, (who, path, secret_text)
        assert_problem(http.get("/api/v1/policies/diff", params={"a": SECRET, "b": SECRET}, headers=auth), 403)

    cleared_view = _ok(http.get(f"/api/v1/policies/{SECRET}", headers=admin))
    assert cleared_view["content"]["criteria"]["any"][0]["score"] == 0.6
    assert [r["score"] for r in _ok(http.get(f"/api/v1/versions/{version}/results", headers=admin))] == [0.72]
    assert _ok(http.get("/api/v1/policies/diff", params={"a": SECRET, "b": SECRET}, headers=admin))["diff"] == []


def test_a_classified_policy_digest_does_not_confirm_a_guessed_threshold(http: httpx.Client, world: World) -> None:
    """What a developer sees of a classified policy must not let them test guesses of its threshold offline.

    The developer knows the file format (docs), the benchmark list (GET /benchmarks) and every field of
    the policy shown to them; only the threshold is secret, and a score has about a hundred likely values.
    """
    admin, dev = world.auth["po_admin"], world.auth["dev"]
    _ok(http.post("/api/v1/benchmarks", json=SAMPLE_BENCHMARK, headers=admin), 201)
    secret = """
id = "covered-cyber"
version = "1"
title = "Covered cyber capability"
effective_from = 2026-06-02
classified = true

[[criteria.all]]
name = "Offensive-cyber score at or above the covered threshold"
benchmark = "cyber-offense-sample"
benchmark_version = "1"
op = ">="
score = 0.55
"""
    _ok(_publish(http, admin, secret), 201)
    seen = _ok(http.get("/api/v1/policies/covered-cyber@1", headers=dev))
    assert seen["content"] is None
    benchmarks = [b for b in _ok(http.get("/api/v1/benchmarks", headers=dev)) if b["classified"]]
    effective = _at(seen["effective_from"]).isoformat()
    recovered = None
    for bench in benchmarks:
        for mode in ("all", "any"):
            for op in (">=", ">", "<=", "<"):
                for hundredths in range(1, 100):
                    guess = f"{hundredths / 100:g}"
                    attempt = (
                        f'id = "{seen["identifier"]}"\nversion = "{seen["version"]}"\ntitle = "{seen["title"]}"\n'
                        f"effective_from = {effective}\nclassified = true\n[criteria]\n{mode} = [\n"
                        f'  {{ name = "{seen["criterion_names"][0]}", benchmark = "{bench["name"]}", '
                        f'benchmark_version = "{bench["version"]}", op = "{op}", score = {guess} }},\n]\n'
                    )
                    try:
                        digest = parse_policy(attempt).digest()
                    except PolicyInvalid:
                        continue
                    if digest == seen["digest"]:
                        recovered = f"{op} {guess}"
    assert recovered is None, f"a developer recovers the classified threshold ({recovered}) from the policy digest"


# --- inquiries, determinations, reassessment ------------------------------------------------


def test_inquiry_from_filing_to_determination(container: Container, http: httpx.Client, world: World) -> None:
    _ok(_publish(http, world.auth["po_admin"], _reference("ca-sb53-frontier-model.toml")), 201)
    dev, po, other = world.auth["dev"], world.auth["po_member"], world.auth["other"]
    version = _version(http, dev, label="2.0-rc1")
    question = {"model_version_id": version, "question": "Is Atlas 2.0-rc1 a covered frontier model?"}
    assert_problem(http.post("/api/v1/inquiries", json=question, headers=other), 404)
    assert_problem(http.post("/api/v1/inquiries", json={**question, "question": ""}, headers=dev), 422, field="question")
    filed = _ok(http.post("/api/v1/inquiries", json=question, headers=dev), 201)
    assert (filed["status"], filed["version_display"], filed["filed_by"]) == ("open", "Atlas 2.0-rc1", world.email("dev"))
    assert_problem(http.post("/api/v1/inquiries", json=question, headers=world.auth["dev_member"]), 409, field="model_version_id")
    url = f"/api/v1/inquiries/{filed['id']}"
    assert [i["id"] for i in _ok(http.get("/api/v1/inquiries", headers=po))] == [filed["id"]]
    assert _ok(http.get("/api/v1/inquiries", headers=other)) == []
    assert_problem(http.get(url, headers=other), 404)

    developer_id = str(world.people["dev"].user.id)
    assert_problem(http.post(f"{url}/assign", json={"assignee_id": developer_id}, headers=po), 422, field="assignee_id")
    assigned = _ok(http.post(f"{url}/assign", json={"version": filed["version"]}, headers=po))
    assert (assigned["status"], assigned["assignee"]) == ("assigned", world.email("po_member"))
    ask = {"message": "Please declare total training compute, fine-tuning and RL included."}
    asked = _ok(http.post(f"{url}/request-information", json={**ask, "version": assigned["version"]}, headers=po))
    assert asked["status"] == "needs_information"
    assert_problem(
        http.post(f"{url}/request-information", json={**ask, "version": filed["version"]}, headers=po), 409, field="version"
    )
    assert_problem(http.post(f"{url}/respond", json={"message": "Not yours."}, headers=other), 404)

    facts = {"facts": [{"name": "training_compute_flop", "value": 4e26, "unit": "FLOP"}], "source_document": "tech report"}
    _ok(http.post(f"/api/v1/versions/{version}/facts", json=facts, headers=dev))
    answer = {"message": "Declared: 4e26 FLOP including RL.", "version": asked["version"]}
    responded = _ok(http.post(f"{url}/respond", json=answer, headers=dev))
    assert responded["status"] == "assigned"
    decision = {"policy": SB53, "rationale": "Above the SB 53 threshold.", "version": responded["version"]}
    assert_problem(http.post(f"{url}/decide", json=decision, headers=dev), 403)
    assert_problem(http.post(f"{url}/decide", json={**decision, "policy": "no-such-policy@1"}, headers=po), 404)
    # The developer is owed the why: an answer without a rationale is refused, from the API too.
    assert_problem(http.post(f"{url}/decide", json={**decision, "rationale": "  "}, headers=po), 422, field="rationale")
    assert_problem(http.post(f"{url}/decide", json={"policy": SB53, "version": decision["version"]}, headers=po), 422)
    decided = _ok(http.post(f"{url}/decide", json=decision, headers=po))
    assert decided["status"] == "decided"
    assert [e["kind"] for e in decided["events"]] == ["filed", "assigned", "information_requested", "responded", "decided"]

    answer_seen = _ok(http.get(f"/api/v1/determinations/{decided['determination_id']}", headers=dev))
    assert (answer_seen["outcome"], answer_seen["policy_ref"], answer_seen["inquiry_id"]) == ("covered", SB53, filed["id"])
    assert answer_seen["met_criteria"] == [SB53_CRITERION]
    assert answer_seen["rationale"] == "Above the SB 53 threshold."
    assert answer_seen["trace"] is not None  # an unclassified policy hides nothing
    assert [i["id"] for i in _ok(http.get("/api/v1/inquiries", params={"status": "decided"}, headers=dev))] == [filed["id"]]
    assert _ok(http.get("/api/v1/inquiries", params={"status": "open"}, headers=dev)) == []
    assert_problem(http.get("/api/v1/inquiries", params={"status": "closed"}, headers=dev), 422, field="status")
    assert_problem(http.post(f"{url}/withdraw", headers=dev), 409)
    assert _count(container, Inquiry) == 1


def test_reassessment_lists_the_versions_whose_outcome_changes(http: httpx.Client, world: World) -> None:
    admin, po, dev, other = world.auth["po_admin"], world.auth["po_member"], world.auth["dev"], world.auth["other"]
    text = _reference("ca-sb53-frontier-model.toml")
    _ok(_publish(http, admin, text), 201)
    looser = (
        text.replace('version = "1"', 'version = "2"')
        .replace("value = 1e26", "value = 1e25")
        .replace("above 1e26", "above 1e25")
        .replace("2026-01-01", "2026-07-01")
    )
    _ok(_publish(http, admin, looser), 201)
    _version(http, dev, label="big", facts={"training_compute_flop": 2e26})
    middle = _version(http, dev, label="middle", facts={"training_compute_flop": 5e25})
    _version(http, dev, label="unknown")
    helix = _version(http, other, model="Helix", label="v1", facts={"training_compute_flop": 3e25})

    report = _ok(http.get("/api/v1/coverage/reassess", params={"policy": "ca-sb53-frontier-model@2"}, headers=po))
    assert report["against"] == SB53
    changes = {(c["version_id"], c["version"], c["organization"], c["before"], c["after"]) for c in report["changes"]}
    assert changes == {
        (middle, "Atlas middle", "Northwind AI", "not_covered", "covered"),
        (helix, "Helix v1", "Helix Labs", "not_covered", "covered"),
    }
    latest = _ok(http.get("/api/v1/coverage/reassess", params={"policy": "ca-sb53-frontier-model"}, headers=po))
    assert latest["changes"] == report["changes"]
    backwards = _ok(
        http.get("/api/v1/coverage/reassess", params={"policy": SB53, "against": "ca-sb53-frontier-model@2"}, headers=po)
    )
    assert {(c["version_id"], c["before"], c["after"]) for c in backwards["changes"]} == {
        (middle, "covered", "not_covered"),
        (helix, "covered", "not_covered"),
    }
    first_alone = _ok(http.get("/api/v1/coverage/reassess", params={"policy": SB53}, headers=po))
    assert first_alone["against"] is None
    assert len(first_alone["changes"]) == 4  # no earlier version: every version is listed
    for outsider in (dev, other):
        assert_problem(
            http.get("/api/v1/coverage/reassess", params={"policy": "ca-sb53-frontier-model@2"}, headers=outsider), 403
        )
    assert_problem(http.get("/api/v1/coverage/reassess", params={"policy": "nope@1"}, headers=po), 404)
    assert_problem(http.get("/api/v1/coverage/reassess", headers=po), 422, field="policy")
    diff = _ok(http.get("/api/v1/policies/diff", params={"a": SB53, "b": "ca-sb53-frontier-model@2"}, headers=dev))["diff"]
    assert any(line.startswith("-") and "1e+26" in line for line in diff)
    assert any(line.startswith("+") and "1e+25" in line for line in diff)


def test_recheck_reproduces_the_stored_determination(http: httpx.Client, world: World, clock: FrozenClock) -> None:
    po, dev = world.auth["po_member"], world.auth["dev"]
    _ok(_publish(http, world.auth["po_admin"], _reference("eu-ai-act-art51-2.toml")), 201)
    policy = "eu-ai-act-art51-2@1"
    version = _version(http, dev, facts={"training_compute_flop": 3e25})
    recheck = {"model_version_id": version, "policy": policy}

    nothing_yet = _ok(http.get("/api/v1/determinations/recheck", params=recheck, headers=po))
    assert nothing_yet == {
        "determination_id": None,
        "stored": None,
        "on_stored_evidence": None,
        "on_current_evidence": "covered",
        "reproducible": None,
    }
    first = _ok(http.post("/api/v1/determinations", json={"model_version_id": version, "policy": policy}, headers=po), 201)
    assert (first["outcome"], first["met_criteria"]) == ("covered", ["Cumulative training compute above 1e25 FLOP"])
    same = _ok(http.get("/api/v1/determinations/recheck", params=recheck, headers=po))
    assert same == {
        "determination_id": first["id"],
        "stored": "covered",
        "on_stored_evidence": "covered",
        "on_current_evidence": "covered",
        "reproducible": True,
    }

    clock.advance(timedelta(days=1))
    lower = {"facts": [{"name": "training_compute_flop", "value": 5e24}], "source_document": "corrected card"}
    _ok(http.post(f"/api/v1/versions/{version}/facts", json=lower, headers=dev))
    later = _ok(http.get("/api/v1/determinations/recheck", params=recheck, headers=po))
    # C1: the stored evidence still gives the stored outcome; today's evidence gives another.
    assert (later["stored"], later["on_stored_evidence"], later["on_current_evidence"]) == ("covered", "covered", "not_covered")
    assert later["reproducible"] is True

    second = _ok(http.post("/api/v1/determinations", json={"model_version_id": version, "policy": policy}, headers=po), 201)
    assert (second["outcome"], second["supersedes_id"]) == ("not_covered", first["id"])
    history = _ok(http.get(f"/api/v1/versions/{version}/determinations", headers=dev))
    assert [(d["id"], d["outcome"], d["superseded"]) for d in history] == [
        (second["id"], "not_covered", False),
        (first["id"], "covered", True),
    ]
    assert _ok(http.get("/api/v1/determinations/recheck", params=recheck, headers=po))["determination_id"] == second["id"]
    assert_problem(http.get("/api/v1/determinations/recheck", params=recheck, headers=dev), 403)
    assert_problem(http.get("/api/v1/determinations/recheck", params={**recheck, "policy": "nope@1"}, headers=po), 404)
    assert_problem(
        http.get("/api/v1/determinations/recheck", params={"policy": policy}, headers=po), 422, field="model_version_id"
    )
    bad_body = {"model_version_id": version, "policy": policy, "outcome": "not_covered"}
    assert_problem(http.post("/api/v1/determinations", json=bad_body, headers=po), 422, field="outcome")
    assert_problem(http.post("/api/v1/determinations", json={"model_version_id": version, "policy": policy}, headers=dev), 403)
    assert len(_ok(http.get(f"/api/v1/versions/{version}/determinations", headers=po))) == 2


def test_benchmark_and_result_input_is_checked(container: Container, http: httpx.Client, world: World) -> None:
    admin = world.auth["po_admin"]
    open_bench = {**SAMPLE_BENCHMARK, "name": "open-bench", "classified": False}
    assert_problem(http.post("/api/v1/benchmarks", json={**open_bench, "name": "Open Bench!"}, headers=admin), 422, field="name")
    assert_problem(
        http.post("/api/v1/benchmarks", json={**open_bench, "classified": "no"}, headers=admin), 422, field="classified"
    )
    _ok(http.post("/api/v1/benchmarks", json=open_bench, headers=world.auth["po_member"]), 201)
    version = _version(http, world.auth["dev"])
    result = {"benchmark": "open-bench", "benchmark_version": "1", "model_version_id": version}
    for payload, field in (
        ({**result, "score": 1.5}, "score"),
        ({**result, "score": 0.5, "reference_model": "ref"}, "model_version_id"),
        ({**result, "score": 0.5, "stderr": -0.1}, "stderr"),
        ({**result, "score": 0.5, "samples": 0}, "samples"),
    ):
        assert_problem(http.post("/api/v1/results", json=payload, headers=admin), 422, field=field)
    assert_problem(http.post("/api/v1/results", json={**result, "benchmark": "missing", "score": 0.5}, headers=admin), 404)
    recorded = _ok(http.post("/api/v1/results", json={**result, "score": 0.5, "run_ref": "run-1"}, headers=admin), 201)
    assert (recorded["subject"], recorded["score"], recorded["recorded_by"]) == ("Atlas rc1", 0.5, world.email("po_admin"))
    # An unclassified benchmark's score is evidence the developer may see.
    # Developers never see scores, not even their own on an unclassified suite.
    assert _ok(http.get(f"/api/v1/versions/{version}/results", headers=world.auth["dev"])) == []
    assert [r["id"] for r in _ok(http.get(f"/api/v1/versions/{version}/results", headers=admin))] == [recorded["id"]]
    assert _count(container, Benchmark) == 1
