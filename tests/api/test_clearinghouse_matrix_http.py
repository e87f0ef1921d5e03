"""The clearinghouse's authorization matrix over HTTP: every REST route × every principal shape.

The expected statuses come from the product rules (docs/clearinghouse*.md, DESIGN §3.5):

* Reports — TLP 2.0 through ``reports.policy.reads_report``. Before validation a report reaches
  its source, the clearinghouse and the named validator only; then CLEAR reaches everyone (the
  unauthenticated public included), GREEN every member organization, AMBER and AMBER+STRICT the
  source, the recipient bank, the clearinghouse and the validator, RED the named people and the
  submitter. The source and the clearinghouse edit and address; the source relaxes a label, the
  clearinghouse tightens it; only the clearinghouse triages, names a validator, merges,
  discloses and rejects; the clearinghouse or the named validator validates; clearinghouse admins
  and platform operators import the KEV catalogue.
* Scans — seen by the scanner, the target and the clearinghouse; the scanner changes and
  cancels, the target objects, the clearinghouse resolves overlaps (each scanner sees its side of
  an overlap: 403, not 404).
* Incidents — TLP through ``incidents.policy.reads_incident``; the clearinghouse triages and
  refers, the reporting organization relaxes, the law-enforcement agency it was referred to
  acknowledges.
* Subscriptions — an organization's admins manage, its members read, the clearinghouse reads
  delivery logs; nobody else learns one exists.

Who may not see a record gets 404 exactly like a missing id; who sees it but may not act gets
403. Anonymous callers get 401, except the public reads of validated TLP:CLEAR reports (the list
answers 200, a report outside the public feed 404). A deactivated person's API token is 401.

Every 403 and every 404 of a hidden record is an audited refusal in all four slices (reports and
incidents refuse the read through ``authorize`` then answer 404; scans and subscriptions use
``authorize_visible``). The anonymous 404 on a non-public report is not a refusal of anyone: the
public feed answers it without a principal and audits nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.config import Settings
from frontier_review.kernel.clock import FrozenClock
from tests.api.helpers import bearer
from tests.factories.clearinghouse import V31
from tests.factories.clearinghouse_matrix import ACTORS, ANONYMOUS, DEACTIVATED, WEBHOOK, World, make_world

SIGNED_IN = frozenset(ACTORS) - {ANONYMOUS, DEACTIVATED}
MEMBERS = SIGNED_IN - {"operator"}  # everyone with an organization
CH = frozenset({"analyst", "ch_admin"})
BANK = frozenset({"bank", "bank_staff"})
NOBODY: frozenset[str] = frozenset()
# Who reads each report (the TLP audience).
AMBER = CH | BANK | {"source", "validator"}
UNVALIDATED = CH | {"source", "validator"}
RED = frozenset({"source", "bank", "analyst"})  # the submitter and the two people named
# Who sees each scan, overlap, incident and subscription.
SCAN_A = CH | BANK | {"validator"}
SCAN_B = CH | BANK | {"le"}
OVERLAP = SCAN_A | SCAN_B
INCIDENT = CH | BANK | {"le"}  # the bank's TLP:AMBER incident, referred to law enforcement
SUBSCRIPTION = BANK


@dataclass(frozen=True)
class Case:
    """One route: who may call it (2xx) and who may see what it names (``sees``). Other actors in
    ``sees`` get 403, the rest 404; anonymous gets ``anonymous`` (401 unless public).
    ``{actor}`` in the route or body becomes the caller's name first."""

    method: str
    route: str
    allowed: frozenset[str]
    json: object = None
    sees: frozenset[str] = SIGNED_IN
    anonymous: int = 401
    no_record: frozenset[str] = frozenset()  # 404 because they have nothing there: not a refusal, not audited


R, W, PUT, PATCH, DELETE = "GET", "POST", "PUT", "PATCH", "DELETE"
API = "/api/v1/clearinghouse"
REPORT = {"title": "Parser overflow", "description": "Steps to reproduce.", "tlp": "TLP:AMBER", "cvss31": V31}
SUBMIT = {"title": "Report by {actor}", "description": "Steps.", "tlp": "TLP:GREEN", "sectors": ["energy"]}
INCIDENT_IN = {
    "title": "Intrusion seen by {actor}",
    "systems": "VPN concentrator",
    "sectors": ["energy"],
    "started_at": "{past}",
    "detected_at": "{past}",
    "detection": "log_review",
    "model_text": "an agent",
    "narrative": "It scanned and logged in.",
    "tlp": "TLP:GREEN",
}
SCAN_IN = {"target_org_id": "{bank2}", "ranges": ["192.0.2.0/24"], "starts_at": "{start}", "ends_at": "{end}"}
SUBSCRIPTION_IN = {
    "name": "Banking",
    "sectors": ["financial_services"],
    "channels": ["in_app", "webhook"],
    "webhook_url": WEBHOOK,
}
FIX = {"fixed_version": "2.3.3", "released_on": "2026-06-02", "link": "https://example.org/fix-2"}
KEV = {"catalogVersion": "2026.06.01", "vulnerabilities": [{"cveID": "CVE-2026-10001"}]}

# Ordered: reads first, then changes that leave later rows valid; cancelling and deleting last.
MATRIX: list[Case] = [
    # --- reports: reads, by label (anonymous: the public feed) ---
    Case(R, f"{API}/reports", SIGNED_IN, anonymous=200),
    Case(R, f"{API}/reports/{{clear}}", SIGNED_IN, anonymous=200),
    Case(R, f"{API}/reports/{{clear_unvalidated}}", UNVALIDATED, sees=UNVALIDATED, anonymous=404),
    Case(R, f"{API}/reports/{{green}}", MEMBERS, sees=MEMBERS, anonymous=404),
    Case(R, f"{API}/reports/{{amber}}", AMBER, sees=AMBER, anonymous=404),
    Case(R, f"{API}/reports/{{strict}}", AMBER, sees=AMBER, anonymous=404),
    Case(R, f"{API}/reports/{{amber_unvalidated}}", UNVALIDATED, sees=UNVALIDATED, anonymous=404),
    Case(R, f"{API}/reports/{{red}}", RED, sees=RED, anonymous=404),
    # --- reports: changes ---
    Case(W, f"{API}/reports", MEMBERS, json=SUBMIT),
    Case(PUT, f"{API}/reports/{{amber}}", CH | {"source"}, json=REPORT, sees=AMBER),
    Case(PUT, f"{API}/reports/{{red}}", frozenset({"source", "analyst"}), json={**REPORT, "tlp": "TLP:RED"}, sees=RED),
    Case(W, f"{API}/reports/{{amber}}/recipients", CH | {"source"}, json={"recipient_orgs": ["{bank}"]}, sees=AMBER),
    Case(W, f"{API}/reports/{{triage_{{actor}}}}/status", CH, json={"status": "triaged"}, sees=AMBER),
    Case(
        W,
        f"{API}/reports/{{relabel_{{actor}}}}/tlp",
        CH | {"source"},
        json={"tlp": "TLP:AMBER+STRICT", "recipient_orgs": ["{bank}"]},
        sees=AMBER,
    ),
    Case(W, f"{API}/reports/{{name_{{actor}}}}/validator", CH, json={"organization_id": "{agency}"}, sees=UNVALIDATED),
    Case(
        W,
        f"{API}/reports/{{validate_{{actor}}}}/validation",
        CH | {"validator"},
        json={"reproduced": True, "versions_confirmed": True, "notes": "reproduced"},
        sees=UNVALIDATED,
    ),
    Case(W, f"{API}/reports/{{merge_{{actor}}}}/merge", CH, json={"into": "{green}"}, sees=AMBER),
    Case(W, f"{API}/reports/{{disclose_{{actor}}}}/disclose", CH, sees=AMBER),
    Case(W, f"{API}/reports/{{reject_{{actor}}}}/reject", CH, json={"reason": "not reproducible"}, sees=AMBER),
    Case(W, f"{API}/kev", frozenset({"ch_admin", "operator"}), json=KEV),
    # --- scans ---
    Case(R, f"{API}/scans", SIGNED_IN),
    Case(R, f"{API}/scans/{{scan_a}}", SCAN_A, sees=SCAN_A),
    Case(R, f"{API}/scans/{{scan_b}}", SCAN_B, sees=SCAN_B),
    Case(R, f"{API}/scans/{{scan_a}}/overlaps", SCAN_A, sees=SCAN_A),
    Case(W, f"{API}/scans", MEMBERS, json=SCAN_IN),
    Case(W, f"{API}/scan-overlaps/{{overlap_{{actor}}}}/resolve", CH, json={"note": "agreed"}, sees=OVERLAP),
    Case(PUT, f"{API}/scans/{{scan_a}}/objection", BANK, json={"reason": "quarter close"}, sees=SCAN_A),
    Case(DELETE, f"{API}/scans/{{objected_{{actor}}}}/objection", BANK, sees=SCAN_A),
    Case(PATCH, f"{API}/scans/{{scan_a}}", frozenset({"validator"}), json={"domains": ["portal.example"]}, sees=SCAN_A),
    # --- incidents ---
    Case(R, f"{API}/incidents", SIGNED_IN),
    Case(R, f"{API}/incidents/{{incident}}", INCIDENT, sees=INCIDENT),
    Case(W, f"{API}/incidents", MEMBERS, json=INCIDENT_IN),
    Case(W, f"{API}/incidents/{{inc_triage_{{actor}}}}/triage", CH, json={"status": "under_review"}, sees=INCIDENT),
    Case(W, f"{API}/incidents/{{inc_refer_{{actor}}}}/referrals", CH, json={"organization_id": "{fbi}"}, sees=INCIDENT),
    Case(W, f"{API}/incidents/{{inc_relabel_{{actor}}}}/tlp", CH | BANK, json={"tlp": "TLP:AMBER+STRICT"}, sees=INCIDENT),
    Case(W, f"{API}/incidents/{{incident}}/acknowledgement", frozenset({"le"}), sees=INCIDENT),
    # --- subscriptions (the bank's, with a webhook) ---
    Case(R, f"{API}/subscriptions", SIGNED_IN),
    Case(R, f"{API}/subscriptions/{{subscription}}", SUBSCRIPTION, sees=SUBSCRIPTION),
    Case(R, f"{API}/subscriptions/{{subscription}}/deliveries", SUBSCRIPTION | CH, sees=SUBSCRIPTION | CH),
    Case(W, f"{API}/subscriptions", frozenset({"bank", "bank2", "ch_admin"}), json={"name": "By {actor}", "sectors": ["energy"]}),
    Case(PUT, f"{API}/subscriptions/{{subscription}}", frozenset({"bank"}), json=SUBSCRIPTION_IN, sees=SUBSCRIPTION),
    Case(W, f"{API}/subscriptions/{{subscription}}/secret", frozenset({"bank"}), sees=SUBSCRIPTION),
    Case(W, f"{API}/subscriptions/{{subscription}}/test", frozenset({"bank"}), sees=SUBSCRIPTION),
    # --- last: what ends a record ---
    Case(W, f"{API}/scans/{{cancel_{{actor}}}}/cancel", frozenset({"validator"}), sees=SCAN_A),
    Case(DELETE, f"{API}/subscriptions/{{unsubscribe_{{actor}}}}", frozenset({"bank"}), sees=SUBSCRIPTION),
    # --- patches: fixes (every reader sees them; the clearinghouse and the source record them) ---
    Case(R, f"{API}/reports/{{amber}}/fixes", AMBER, sees=AMBER),
    Case(W, f"{API}/reports/{{amber}}/fixes", CH | {"source"}, json=FIX, sees=AMBER),
    Case(PUT, f"{API}/reports/{{amber}}/fixes/{{fix_{{actor}}}}", CH | {"source"}, json=FIX, sees=AMBER),
    # ... the distribution: every reader gets what it may see of it (all records, counts or its own)
    Case(R, f"{API}/reports/{{amber}}/distribution", AMBER, sees=AMBER),
    # ... an operator moves its own record; a reader whose organization has none is told so (404, not a refusal)
    Case(
        W,
        f"{API}/reports/{{mine_{{actor}}}}/distribution/mine",
        BANK,
        json={"state": "applied"},
        sees=BANK,
        no_record=AMBER - BANK,
    ),
    Case(R, f"{API}/exposure", MEMBERS),
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The subscription's webhook points at loopback (nothing listens): private targets allowed."""
    return settings.model_copy(update={"webhook_allow_private_targets": True})


@pytest.fixture
def world(container: Container, clock: FrozenClock) -> World:
    w = make_world(container)
    w.ids["past"] = (clock.now() - timedelta(hours=3)).isoformat()
    return w


def _fill(value: object, actor: str, ids: dict[str, str]) -> object:
    if isinstance(value, str):
        return value.replace("{actor}", actor).format_map(ids)
    if isinstance(value, dict):
        return {k: _fill(v, actor, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, actor, ids) for v in value]
    return value


def _auth(world: World, actor: str) -> dict[str, str]:
    return {} if actor == ANONYMOUS else bearer(world.tokens[actor])


def _denials(container: Container) -> int:
    with container.sessions() as session:
        query = sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied")
        return int(session.scalar(query) or 0)


def _expected(case: Case, actor: str) -> int | None:
    """The status ``actor`` gets, or None for 2xx."""
    if actor == DEACTIVATED:
        return 401
    if actor == ANONYMOUS:
        return None if case.anonymous == 200 else case.anonymous
    if actor in case.allowed:
        return None
    return 403 if actor in case.sees else 404


def test_route_matrix(container: Container, world: World, http: httpx.Client) -> None:
    """Allowed → 2xx; seen but refused → 403; hidden → 404 like a missing id; every 403 and every
    404 of a hidden record audited as a refusal; anonymous → 401 but for the public reads."""
    failures = []
    refused = 0
    before = _denials(container)
    for case in MATRIX:
        for actor in ACTORS:
            url = _fill(case.route, actor, world.ids)
            assert isinstance(url, str)
            body = _fill(case.json, actor, world.ids)
            response = http.request(case.method, url, json=body, headers=_auth(world, actor))
            expected = _expected(case, actor)
            got = response.status_code
            ok = 200 <= got < 300 if expected is None else got == expected
            if not ok:
                failures.append(f"{actor} {case.method} {case.route}: {got} (expected {expected or '2xx'}) {response.text[:200]}")
            if got >= 400:
                assert response.headers["content-type"].startswith("application/problem+json"), (actor, case.route)
            refused += actor not in {ANONYMOUS, DEACTIVATED} | case.no_record and got in {403, 404}
    assert not failures, "\n".join(failures)
    assert _denials(container) - before == refused


def test_hidden_answers_like_missing(world: World, http: httpx.Client) -> None:
    """A record outside the caller's sight answers with the same words as a random id (no oracle)."""
    missing = str(uuid.uuid4())
    pairs = [
        ("bank2", "reports/{amber}", "reports/{missing}"),
        ("bank", "reports/{amber_unvalidated}", "reports/{missing}"),
        ("ch_admin", "reports/{red}", "reports/{missing}"),
        ("bank2", "scans/{scan_a}", "scans/{missing}"),
        ("bank2", "incidents/{incident}", "incidents/{missing}"),
        ("analyst", "subscriptions/{subscription}", "subscriptions/{missing}"),
    ]
    ids = {**world.ids, "missing": missing}
    for actor, hidden, absent in pairs:
        got = http.get(f"{API}/{hidden.format_map(ids)}", headers=_auth(world, actor)).json()
        want = http.get(f"{API}/{absent.format_map(ids)}", headers=_auth(world, actor)).json()
        per_request = {"instance", "request_id"}  # the path asked and the request's id differ by design
        strip = {k: v for k, v in got.items() if k not in per_request}
        assert strip == {k: v for k, v in want.items() if k not in per_request} | {
            "detail": str(want["detail"]).replace(missing, hidden.format_map(ids).split("/")[1])
        }, (actor, hidden)


def test_every_clearinghouse_route_is_in_the_matrix(http: httpx.Client) -> None:
    """A new clearinghouse route (the patches slice's, for one) cannot slip in without its row."""
    spec = http.get("/api/v1/openapi.json")
    assert spec.status_code == 200, spec.text
    routes = {
        (method.upper(), path)
        for path, operations in spec.json()["paths"].items()
        for method in operations
        if "clearinghouse" in operations[method].get("tags", [])
    }

    def shape(path: str) -> str:
        return "/".join("{}" if part.startswith("{") else part for part in path.split("/"))

    covered = {(case.method, shape(case.route)) for case in MATRIX}
    missing = {(m, p) for m, p in routes if (m, shape(p)) not in covered}
    assert len(routes) >= 37
    assert not missing, sorted(missing)
