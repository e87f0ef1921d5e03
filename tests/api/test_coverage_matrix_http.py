"""The registry and coverage authorization matrix over HTTP: every route × actor × owner × classification.

The expected sets come from the product rules: R1 (only the owning developer organization edits
its models and versions; operators do not speak for a developer), C2 (developers see only their
own coverage matters, never classified thresholds or scores), and classified policies, benchmarks
and determinations are worked and seen in full by cleared program-office staff only.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.coverage import determinations, inquiries, results
from frontier_review.identity.domain import OrgKind, Role
from tests.api.helpers import bearer
from tests.factories.coverage import make_version, publish_reference, register_sample_benchmark
from tests.factories.identity import Person, api_token, make_org, make_superuser, make_user

ACTORS = ["root", "po_admin", "po_uncleared", "po_member", "dev_admin", "dev_member", "other_admin", "agency_admin"]
EVERYONE = frozenset(ACTORS)
PROGRAM_OFFICE = frozenset({"po_admin", "po_uncleared", "po_member"})
CLEARED = frozenset({"po_admin"})
PO_ADMINS = frozenset({"po_admin", "po_uncleared"})
OWN_DEVELOPER = frozenset({"dev_admin", "dev_member"})
OTHER_DEVELOPER = frozenset({"other_admin"})
DEVELOPERS = OWN_DEVELOPER | OTHER_DEVELOPER
READS_OWN = frozenset({"root"}) | PROGRAM_OFFICE | OWN_DEVELOPER
READS_OTHER = frozenset({"root"}) | PROGRAM_OFFICE | OTHER_DEVELOPER

OPEN = "ca-sb53-frontier-model@1"
OPEN_2 = "eu-ai-act-art51-2@1"
SECRET = "eo14409-covered-cyber-example@1"
SECRET_BENCH = ("cyber-offense-sample", "1")
OPEN_BENCH = ("open-bench", "1")

OPEN_TOML = """
id = "matrix-{actor}"
version = "1"
title = "Matrix policy"
effective_from = 2026-06-02

[criteria]
all = [{ fact = "training_compute_flop", op = ">", value = 1e26 }]
"""
MIXED_TOML = """
id = "matrix-mixed-{actor}"
version = "1"
effective_from = 2026-06-02

[criteria]
all = [{ benchmark = "cyber-offense-sample", benchmark_version = "1", op = ">=", score = 0.5 }]
"""
SECRET_TOML = """
id = "matrix-secret-{actor}"
version = "1"
title = "Matrix classified policy"
effective_from = 2026-06-02
classified = true

[[criteria.all]]
name = "Cyber score above the line"
benchmark = "cyber-offense-sample"
benchmark_version = "1"
op = ">="
score = 0.6
"""


@dataclass
class World:
    people: dict[str, Person]
    tokens: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)


def _file(container: Container, who: Person, version_id: uuid.UUID) -> str:
    with container.uow() as uow:
        return str(inquiries.file_inquiry(uow, who.principal, version_id, question="Is this version covered?").id)


@pytest.fixture
def world(container: Container) -> World:
    """Eight actors; a developer and another developer, each with a model, a version, results,
    determinations under an open and a classified policy, and inquiries (fresh ones per actor
    where a step is final)."""
    po = make_org(container, OrgKind.PROGRAM_OFFICE, name="Program Office")
    dev = make_org(container, OrgKind.DEVELOPER, name="Dev A")
    other = make_org(container, OrgKind.DEVELOPER, name="Dev B")
    agency = make_org(container, OrgKind.AGENCY, name="Agency")
    people = {
        "root": make_superuser(container),
        "po_admin": make_user(container, po, role=Role.ADMIN, cleared=True),
        "po_uncleared": make_user(container, po, role=Role.ADMIN),
        "po_member": make_user(container, po),
        "dev_admin": make_user(container, dev, role=Role.ADMIN),
        "dev_member": make_user(container, dev),
        "other_admin": make_user(container, other, role=Role.ADMIN),
        "agency_admin": make_user(container, agency, role=Role.ADMIN),
    }
    w = World(people, {name: api_token(container, p) for name, p in people.items()})
    cleared, owner, rival = people["po_admin"], people["dev_admin"], people["other_admin"]
    register_sample_benchmark(container, cleared)
    for filename in ("ca-sb53-frontier-model.toml", "eu-ai-act-art51-2.toml", "example-classified-cyber.toml"):
        publish_reference(container, cleared, filename)
    version = make_version(container, owner, model="Atlas", label="rc1", training_compute_flop=3e26)
    other_version = make_version(container, rival, model="Helix", label="rc1", training_compute_flop=3e24)
    with container.uow() as uow:
        results.register_benchmark(
            uow, cleared.principal, name=OPEN_BENCH[0], version=OPEN_BENCH[1], title="Open", domain="general", classified=False
        )
        open_result = results.record_result(
            uow, cleared.principal, benchmark=OPEN_BENCH[0], benchmark_version="1", score=0.41, model_version_id=version.id
        )
        results.record_result(
            uow, cleared.principal, benchmark=SECRET_BENCH[0], benchmark_version="1", score=0.77, model_version_id=version.id
        )
        open_det = determinations.record_determination(uow, cleared.principal, version.id, policy_ref=OPEN)
        secret_det = determinations.record_determination(uow, cleared.principal, version.id, policy_ref=SECRET)
        other_det = determinations.record_determination(uow, cleared.principal, other_version.id, policy_ref=OPEN)
    w.ids |= {
        "model": str(version.model_id),
        "other_model": str(other_version.model_id),
        "version": str(version.id),
        "other_version": str(other_version.id),
        "release_version": str(make_version(container, owner, model="Atlas", label="rc-release").id),
        "other_release_version": str(make_version(container, rival, model="Helix", label="rc-release").id),
        "other_file_version": str(make_version(container, rival, model="Helix", label="rc-file").id),
        "open_result": str(open_result.id),
        "open_det": str(open_det.id),
        "secret_det": str(secret_det.id),
        "other_det": str(other_det.id),
        "inquiry": _file(container, owner, version.id),
        "other_inquiry": _file(container, rival, other_version.id),
        "other_withdraw": _file(container, rival, make_version(container, rival, model="Helix", label="rc-withdraw").id),
    }
    for actor in ACTORS:
        w.ids[f"file_{actor}"] = str(make_version(container, owner, model="Atlas", label=f"file-{actor}").id)
        for step in ("decide", "decide_secret", "withdraw"):
            fresh = make_version(container, owner, model="Atlas", label=f"{step}-{actor}", training_compute_flop=3e26)
            w.ids[f"{step}_{actor}"] = _file(container, owner, fresh.id)
    return w


@dataclass(frozen=True)
class Case:
    """One route: who may call it. ``{actor}`` in the route or body becomes the caller's name first."""

    method: str
    route: str
    allowed: frozenset[str]
    json: dict[str, object] | None = None
    toml: str | None = None
    ok_status: int | None = None  # what an allowed caller gets when it is not a 2xx (bad input)


R, W = "GET", "POST"
MATRIX: list[Case] = [
    # Registry (R1): owners edit; the owner, the program office and operators read.
    Case(R, "/api/v1/models", EVERYONE),
    Case(W, "/api/v1/models", DEVELOPERS, json={"name": "Model {actor}"}),
    Case(R, "/api/v1/models/{model}", READS_OWN),
    Case(R, "/api/v1/models/{other_model}", READS_OTHER),
    Case(W, "/api/v1/models/{model}/versions", OWN_DEVELOPER, json={"label": "rc-{actor}"}),
    Case(W, "/api/v1/models/{other_model}/versions", OTHER_DEVELOPER, json={"label": "rc-{actor}"}),
    Case(R, "/api/v1/versions/{version}", READS_OWN),
    Case(R, "/api/v1/versions/{other_version}", READS_OTHER),
    Case(W, "/api/v1/versions/{version}/facts", OWN_DEVELOPER, json={"facts": [{"name": "parameter_count", "value": 7}]}),
    Case(W, "/api/v1/versions/{other_version}/facts", OTHER_DEVELOPER, json={"facts": [{"name": "parameter_count", "value": 7}]}),
    Case(W, "/api/v1/versions/{release_version}/status", OWN_DEVELOPER, json={"status": "released"}),
    Case(W, "/api/v1/versions/{other_release_version}/status", OTHER_DEVELOPER, json={"status": "released"}),
    # Policies: anyone reads (content per clearance, see the visibility test); program-office admins publish.
    Case(R, "/api/v1/policies", EVERYONE),
    Case(W, "/api/v1/policies", PO_ADMINS, toml=OPEN_TOML),
    Case(W, "/api/v1/policies", CLEARED, toml=SECRET_TOML),
    Case(W, "/api/v1/policies/validate", EVERYONE, toml=OPEN_TOML),
    Case(W, "/api/v1/policies/validate", EVERYONE, toml=SECRET_TOML),
    # A policy not marked classified that reads a classified benchmark: bad input for whoever may try.
    Case(W, "/api/v1/policies", PO_ADMINS, toml=MIXED_TOML, ok_status=422),
    Case(W, "/api/v1/policies/validate", EVERYONE, toml=MIXED_TOML, ok_status=422),
    Case(R, f"/api/v1/policies/diff?a={OPEN}&b={OPEN_2}", EVERYONE),
    Case(R, f"/api/v1/policies/diff?a={SECRET}&b={OPEN}", CLEARED),
    Case(R, f"/api/v1/policies/{OPEN}", EVERYONE),
    Case(R, f"/api/v1/policies/{SECRET}", EVERYONE),
    # Benchmarks and results: program-office work; classified ones need a clearance.
    Case(R, "/api/v1/benchmarks", EVERYONE),
    Case(W, "/api/v1/benchmarks", PROGRAM_OFFICE, json={"name": "bench-{actor}", "version": "1", "classified": False}),
    Case(W, "/api/v1/benchmarks", CLEARED, json={"name": "secret-{actor}", "version": "1", "classified": True}),
    Case(
        W,
        "/api/v1/results",
        PROGRAM_OFFICE,
        json={"benchmark": OPEN_BENCH[0], "benchmark_version": "1", "score": 0.5, "model_version_id": "{version}"},
    ),
    Case(
        W,
        "/api/v1/results",
        CLEARED,
        json={"benchmark": SECRET_BENCH[0], "benchmark_version": "1", "score": 0.5, "model_version_id": "{version}"},
    ),
    Case(R, "/api/v1/versions/{version}/results", READS_OWN),
    Case(R, "/api/v1/versions/{other_version}/results", READS_OTHER),
    # Determinations (C2: a developer sees its own only).
    Case(R, "/api/v1/versions/{version}/determinations", READS_OWN),
    Case(R, "/api/v1/versions/{other_version}/determinations", READS_OTHER),
    Case(W, "/api/v1/determinations", PROGRAM_OFFICE, json={"model_version_id": "{version}", "policy": OPEN}),
    Case(W, "/api/v1/determinations", CLEARED, json={"model_version_id": "{version}", "policy": SECRET}),
    Case(W, "/api/v1/determinations", PROGRAM_OFFICE, json={"model_version_id": "{other_version}", "policy": OPEN}),
    Case(R, "/api/v1/determinations/recheck?model_version_id={version}&policy=" + OPEN, PROGRAM_OFFICE),
    Case(R, "/api/v1/determinations/recheck?model_version_id={version}&policy=" + SECRET, CLEARED),
    Case(R, "/api/v1/determinations/{open_det}", READS_OWN),
    Case(R, "/api/v1/determinations/{secret_det}", READS_OWN),
    Case(R, "/api/v1/determinations/{other_det}", READS_OTHER),
    Case(R, "/api/v1/coverage/reassess?policy=" + OPEN, PROGRAM_OFFICE),
    Case(R, "/api/v1/coverage/reassess?policy=" + SECRET, CLEARED),
    # Inquiries: the owning developer files, answers and withdraws; the program office works them.
    Case(R, "/api/v1/inquiries", EVERYONE),
    Case(W, "/api/v1/inquiries", OWN_DEVELOPER, json={"model_version_id": "{file_{actor}}", "question": "Covered?"}),
    Case(W, "/api/v1/inquiries", OTHER_DEVELOPER, json={"model_version_id": "{other_file_version}", "question": "Covered?"}),
    Case(R, "/api/v1/inquiries/{inquiry}", READS_OWN),
    Case(R, "/api/v1/inquiries/{other_inquiry}", READS_OTHER),
    Case(W, "/api/v1/inquiries/{inquiry}/assign", PROGRAM_OFFICE, json={}),
    Case(W, "/api/v1/inquiries/{other_inquiry}/assign", PROGRAM_OFFICE, json={}),
    Case(W, "/api/v1/inquiries/{inquiry}/request-information", PROGRAM_OFFICE, json={"message": "More, please."}),
    Case(W, "/api/v1/inquiries/{inquiry}/respond", OWN_DEVELOPER, json={"message": "Here it is."}),
    Case(W, "/api/v1/inquiries/{other_inquiry}/respond", OTHER_DEVELOPER, json={"message": "Here it is."}),
    Case(W, "/api/v1/inquiries/{inquiry}/attach-results", PROGRAM_OFFICE, json={"result_ids": ["{open_result}"]}),
    Case(W, "/api/v1/inquiries/{decide_{actor}}/decide", PROGRAM_OFFICE, json={"policy": OPEN, "rationale": "Why."}),
    Case(W, "/api/v1/inquiries/{decide_secret_{actor}}/decide", CLEARED, json={"policy": SECRET, "rationale": "Why."}),
    Case(W, "/api/v1/inquiries/{withdraw_{actor}}/withdraw", OWN_DEVELOPER),
    Case(W, "/api/v1/inquiries/{other_withdraw}/withdraw", OTHER_DEVELOPER),
]


def _fill(template: str, actor: str, ids: dict[str, str]) -> str:
    return template.replace("{actor}", actor).format_map(ids)


def _fill_json(value: object, actor: str, ids: dict[str, str]) -> object:
    if isinstance(value, str):
        return _fill(value, actor, ids)
    if isinstance(value, list):
        return [_fill_json(v, actor, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill_json(v, actor, ids) for k, v in value.items()}
    return value


def _call(http: httpx.Client, world: World, case: Case, actor: str) -> httpx.Response:
    headers = bearer(world.tokens[actor])
    url = _fill(case.route, actor, world.ids)
    if case.toml is not None:
        body = case.toml.replace("{actor}", actor.replace("_", "-")).encode()
        return http.request(case.method, url, content=body, headers={**headers, "content-type": "application/toml"})
    payload = None if case.json is None else _fill_json(case.json, actor, world.ids)
    return http.request(case.method, url, json=payload, headers=headers)


def _denials(container: Container) -> int:
    with container.sessions() as session:
        query = sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied")
        return int(session.scalar(query) or 0)


_BY_ID = re.compile(r"/(models|versions|determinations|inquiries)/\{")


def _sees(case: Case) -> frozenset[str]:
    """Who may see the model, version, determination or inquiry a route names; for everyone else
    it does not exist (404, like a random id), though the refusal is audited all the same."""
    if not _BY_ID.search(case.route) and (case.method, case.route) != (W, "/api/v1/inquiries"):
        return EVERYONE
    return READS_OTHER if "{other_" in case.route + str(case.json) else READS_OWN


def test_route_matrix(container: Container, world: World, http: httpx.Client) -> None:
    """Allowed → 2xx; refused → exactly 403, or 404 where the caller may not see the resource at
    all; each refusal audited with its reason."""
    failures = []
    refused = 0
    before = _denials(container)
    for case in MATRIX:
        for actor in ACTORS:
            response = _call(http, world, case, actor)
            if actor in case.allowed:
                good = response.status_code == case.ok_status if case.ok_status else 200 <= response.status_code < 300
            else:
                good = response.status_code == (403 if actor in _sees(case) else 404)
                refused += 1
            if not good:
                failures.append(f"{actor} {case.method} {case.route}: {response.status_code} {response.text[:160]}")
    assert not failures, "\n".join(failures)
    assert _denials(container) - before == refused


def test_every_registry_and_coverage_route_is_in_the_matrix(http: httpx.Client) -> None:
    """A new route cannot slip in without its row."""
    spec = http.get("/api/v1/openapi.json")
    assert spec.status_code == 200, spec.text
    routes = {
        (method.upper(), path)
        for path, operations in spec.json()["paths"].items()
        for method in operations
        if any(tag in ("registry", "coverage") for tag in operations[method].get("tags", []))
    }
    covered = {(case.method, case.route.split("?")[0]) for case in MATRIX}

    def shape(path: str) -> str:
        return "/".join("{}" if part.startswith("{") or "@" in part else part for part in path.split("/"))

    missing = {(m, p) for m, p in routes if (m, shape(p)) not in {(cm, shape(cp)) for cm, cp in covered}}
    assert len(routes) >= 28
    assert not missing, sorted(missing)


SEES_CLASSIFIED = CLEARED  # root is an operator, not cleared program-office staff
SECRET_MET = ["Offensive-cyber benchmark at or above the covered threshold"]


def _policy_problems(http: httpx.Client, actor: str, auth: dict[str, str]) -> list[str]:
    problems = []
    secret = http.get(f"/api/v1/policies/{SECRET}", headers=auth).json()
    shown = (secret["content"] is not None, secret["source"] is not None)
    if shown != (actor in SEES_CLASSIFIED,) * 2:
        problems.append(f"{actor}: classified policy content/source shown {shown}")
    if len(secret["criterion_names"]) != 2:
        problems.append(f"{actor}: criterion names {secret['criterion_names']}")
    if http.get(f"/api/v1/policies/{OPEN}", headers=auth).json()["content"] is None:
        problems.append(f"{actor}: open policy content withheld")
    return problems


def _version_problems(http: httpx.Client, world: World, actor: str, auth: dict[str, str]) -> list[str]:
    problems = []
    cleared = actor in SEES_CLASSIFIED
    secret_det = http.get(f"/api/v1/determinations/{world.ids['secret_det']}", headers=auth).json()
    if (secret_det["trace"] is not None, secret_det["evidence"] is not None) != (cleared, cleared):
        problems.append(f"{actor}: classified trace {secret_det['trace']!r}")
    if (secret_det["outcome"], secret_det["met_criteria"]) != ("covered", SECRET_MET):
        problems.append(f"{actor}: classified outcome {secret_det['outcome']} {secret_det['met_criteria']}")
    if http.get(f"/api/v1/determinations/{world.ids['open_det']}", headers=auth).json()["trace"] is None:
        problems.append(f"{actor}: open trace withheld")
    scores = sorted(r["score"] for r in http.get(f"/api/v1/versions/{world.ids['version']}/results", headers=auth).json())
    # Scores are program-office material: developers (and web operators) see none, even unclassified.
    expected_scores = [0.41, 0.77] if cleared else [0.41] if actor in PROGRAM_OFFICE else []
    if scores != expected_scores:
        problems.append(f"{actor}: results {scores}")
    history = http.get(f"/api/v1/versions/{world.ids['version']}/determinations", headers=auth).json()
    traced = {d["policy_ref"] for d in history if d["trace"] is not None}
    if traced != ({OPEN, SECRET} if cleared else {OPEN}):
        problems.append(f"{actor}: traces for {traced}")
    return problems


def test_classified_detail_reaches_cleared_program_office_staff_only(world: World, http: httpx.Client) -> None:
    """Every reader gets the outcome and criterion names; thresholds, scores and traces only where allowed."""
    failures = []
    for actor in ACTORS:
        auth = bearer(world.tokens[actor])
        failures += _policy_problems(http, actor, auth)
        if actor in READS_OWN:
            failures += _version_problems(http, world, actor, auth)
        if actor in SEES_CLASSIFIED:
            continue
        for path in (
            "/api/v1/policies",
            f"/api/v1/policies/{SECRET}",
            f"/api/v1/determinations/{world.ids['secret_det']}",
            f"/api/v1/versions/{world.ids['version']}/determinations",
            f"/api/v1/versions/{world.ids['version']}/results",
        ):
            text = http.get(path, headers=auth).text
            if "0.6" in text or "0.77" in text:
                failures.append(f"{actor}: {path} shows a classified number")
    assert not failures, "\n".join(failures)


def test_listings_are_scoped_to_what_each_actor_may_see(world: World, http: httpx.Client) -> None:
    """C2 for lists: developers list only their own models and inquiries; oversight lists everything."""
    own_models, other_models = {world.ids["model"]}, {world.ids["other_model"]}
    own_inquiries = {world.ids["inquiry"]} | {
        world.ids[f"{s}_{a}"] for s in ("decide", "decide_secret", "withdraw") for a in ACTORS
    }
    other_inquiries = {world.ids["other_inquiry"], world.ids["other_withdraw"]}
    expected: dict[str, tuple[set[str], set[str]]] = {
        **dict.fromkeys(("root", *PROGRAM_OFFICE), (own_models | other_models, own_inquiries | other_inquiries)),
        **dict.fromkeys(OWN_DEVELOPER, (own_models, own_inquiries)),
        "other_admin": (other_models, other_inquiries),
        "agency_admin": (set(), set()),
    }
    for actor, (models, inquiry_ids) in expected.items():
        auth = bearer(world.tokens[actor])
        assert {m["id"] for m in http.get("/api/v1/models", headers=auth).json()} == models, actor
        assert {i["id"] for i in http.get("/api/v1/inquiries", headers=auth).json()} == inquiry_ids, actor
        assert len(http.get("/api/v1/policies", headers=auth).json()) == 3, actor
