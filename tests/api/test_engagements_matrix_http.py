"""The engagements authorization matrix over HTTP: every REST route × actor, and what each lists.

The expected sets come from the product rules (DESIGN §3.4, G6): the developer opens and
manages its own engagements; the program office sees every engagement that is not a draft
but manages none; operators list but never act for a developer; participants see only the
engagements they take part in (not drafts, not once revoked, partners only where the terms
include partners); only participant admins accept the terms; gateway tokens are minted by
signed-in participants, never with an API token; program-office admins designate trusted
partners, which the program office, developers and operators list.

Confidential materials (DESIGN §3.4, G1): whoever reads an engagement lists its artifacts and
findings; only the developer uploads artifacts, and only participants admitted right now (as on
the gateway: terms accepted, cohort included) download them. Participants' members file
findings; a finding is read by the developer, the finder's organization and the program office,
by other participants only under TLP:CLEAR or TLP:GREEN, and does not exist (404) for anyone
else; those three comment, only the developer sets the status, only the finder's organization
adds evidence or relaxes the label (the program office may tighten it), and whoever reads the
finding downloads its evidence.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from frontier_review import engagements as service
from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.engagements.access import service as access
from frontier_review.engagements.findings import domain as findings_domain
from frontier_review.engagements.findings import service as findings
from frontier_review.engagements.lifecycle import partners
from frontier_review.engagements.lifecycle.domain import Materials, Quotas, Recipients, Window
from frontier_review.engagements.materials import service as artifacts
from frontier_review.engagements.materials.orm import Artifact
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.mockllm import serve_fake
from frontier_review.security import passwords
from tests.api.helpers import bearer, csrf_from, web_login
from tests.factories.coverage import make_version
from tests.factories.engagements import CONFIDENTIALITY, Setup, make_engagement, protections
from tests.factories.identity import SYSTEM, Person, api_token, make_org, make_superuser, make_user

ANONYMOUS = "anonymous"
ACTORS = [
    "root",
    "dev_admin",
    "dev_member",
    "po_admin",
    "agency_admin",
    "agency_member",
    "partner_admin",
    "outsider_admin",  # an agency that takes part in nothing
    "other_dev_admin",  # a second developer
    ANONYMOUS,
]
SIGNED_IN = frozenset(ACTORS) - {ANONYMOUS}
DEVELOPER = frozenset({"dev_admin", "dev_member"})
PROGRAM_OFFICE = frozenset({"po_admin"})
AGENCY = frozenset({"agency_admin", "agency_member"})
PARTICIPANTS = AGENCY | {"partner_admin"}
READS = DEVELOPER | PROGRAM_OFFICE | PARTICIPANTS  # the offered engagement, terms including partners
READS_FEDERAL_ONLY = DEVELOPER | PROGRAM_OFFICE | AGENCY
LISTS_PARTNERS = DEVELOPER | PROGRAM_OFFICE | {"root", "other_dev_admin"}
# Findings of the offered engagement: the TLP:AMBER one the agency filed, the TLP:GREEN one the partner filed.
READS_AMBER = DEVELOPER | PROGRAM_OFFICE | AGENCY  # developer, program office, finder's organization
READS_GREEN = READS  # and every other participant (TLP:GREEN shares within the community)
HIDES_AMBER = SIGNED_IN - READS_AMBER  # for them the finding does not exist (404)
HIDES_GREEN = SIGNED_IN - READS_GREEN
# Routes that refuse API tokens by design; checked with signed-in sessions instead.
SESSION_ONLY = {
    ("POST", "/api/v1/engagements/{eng}/gateway-tokens"),
    ("POST", "/api/v1/engagements/{eng}/playground-session"),
}


@dataclass
class World:
    setup: Setup
    people: dict[str, Person]
    tokens: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dozen people sign up here: argon2id at minimum cost keeps the module fast (passwords are
    not under test; verification reads the cost from each hash)."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)


@pytest.fixture
def upstream() -> Iterator[str]:
    with serve_fake() as url:
        yield url


def _open(container: Container, setup: Setup, label: str, recipients: Recipients, invite: list[uuid.UUID], *, offer: bool) -> str:
    """Another engagement of the same developer, on a new version of its model."""
    version = make_version(container, setup.developer, label=label)
    now = container.clock.now()
    with container.uow() as uow:
        view = service.open_engagement(
            uow,
            setup.developer.principal,
            version_id=version.id,
            title=f"Review of Atlas {label}",
            window=Window(now, now + timedelta(days=10)),
            recipients=recipients,
            materials=Materials(),
            protections=protections(),
            quotas=Quotas(),
        )
        for org_id in invite:
            service.invite(uow, setup.developer.principal, view.id, organization_id=org_id)
        if offer:
            service.offer(uow, setup.developer.principal, view.id)
    return str(view.id)


def _participant_ids(container: Container, setup: Setup, engagement_id: str) -> dict[uuid.UUID, str]:
    with container.uow() as uow:
        view = service.get_engagement(uow, setup.developer.principal, uuid.UUID(engagement_id))
    return {p.organization_id: str(p.id) for p in view.participants}


def _per_actor(ids: dict[str, str], key: str, own: dict[str, str], shared: str) -> None:
    """``{key}_{actor}``: a fresh resource for each actor that may act on it, a shared one for the rest."""
    for actor in ACTORS:
        ids[f"{key}_{actor}"] = own.get(actor, shared)


def _upload(container: Container, setup: Setup, engagement_id: str, kind: str, filename: str) -> str:
    with container.uow() as uow:
        view = artifacts.upload(
            uow,
            setup.developer.principal,
            uuid.UUID(engagement_id),
            kind=kind,
            filename=filename,
            content_type="application/pdf",
            stream=io.BytesIO(b"confidential " + filename.encode()),
        )
    return str(view.id)


def _finding(container: Container, setup: Setup, finder: Person, tlp: str) -> tuple[str, str]:
    """A finding on the offered engagement, filed by ``finder``, with one evidence file: (finding, evidence)."""
    with container.uow() as uow:
        view = findings.file_finding(
            uow,
            finder.principal,
            setup.engagement.id,
            title=f"Safeguard bypass ({tlp})",
            category=findings_domain.Category.SAFEGUARD_BYPASS,
            severity=findings_domain.Severity.MEDIUM,
            description="Steps to reproduce.",
            tlp=tlp,
        )
        evidence = findings.attach_evidence(
            uow, finder.principal, view.id, filename="transcript.txt", content_type="text/plain", stream=io.BytesIO(b"log")
        )
    return str(view.id), str(evidence.id)


def _materials(container: Container, setup: Setup, *, fed_only: str, draft: str) -> dict[str, str]:
    """An artifact on each engagement (the developer's), and two findings with evidence on the offered one."""
    amber, amber_evidence = _finding(container, setup, setup.reviewer, "TLP:AMBER")  # the agency's
    green, green_evidence = _finding(container, setup, setup.partner_admin, "TLP:GREEN")  # the partner's
    return {
        "artifact": _upload(container, setup, str(setup.engagement.id), "system_card", "atlas-system-card.pdf"),
        "fed_artifact": _upload(container, setup, fed_only, "other", "usage-guide.pdf"),
        "draft_artifact": _upload(container, setup, draft, "other", "draft-notes.pdf"),
        "amber": amber,
        "amber_evidence": amber_evidence,
        "green": green,
        "green_evidence": green_evidence,
    }


@pytest.fixture
def world(container: Container, upstream: str) -> World:
    """The engagement of ``make_engagement`` (offered, active, accepted by the agency and the
    partner), a federal-only one (the agency only, terms not yet accepted), a draft (agency and
    partner invited), an artifact on each, a TLP:AMBER finding of the agency and a TLP:GREEN one
    of the partner (each with an evidence file) on the first, and the actors around them, each
    with an API token."""
    setup = make_engagement(container, upstream_url=upstream)
    assert setup.developer.user.organization_id is not None
    with container.uow() as uow:
        dev_org = identity.get_organization(uow, SYSTEM, setup.developer.user.organization_id)
    outsider = make_org(container, OrgKind.AGENCY, name="Outsider Agency")
    other_dev = make_org(container, OrgKind.DEVELOPER, name="Other Developer")
    people = {
        "root": make_superuser(container),
        "dev_admin": setup.developer,
        "dev_member": make_user(container, dev_org),
        "po_admin": setup.program_office,
        "agency_admin": setup.agency_admin,
        "agency_member": setup.reviewer,
        "partner_admin": setup.partner_admin,
        "outsider_admin": make_user(container, outsider, role=Role.ADMIN),
        "other_dev_admin": make_user(container, other_dev, role=Role.ADMIN),
    }
    w = World(setup, people, {name: api_token(container, p) for name, p in people.items()})
    eng = str(setup.engagement.id)
    agency, partner = setup.agency.id, setup.partner.id
    spare = make_org(container, OrgKind.AGENCY, name="Spare Agency")
    spare_user = make_user(container, spare)
    with container.uow() as uow:
        service.invite(uow, setup.developer.principal, setup.engagement.id, organization_id=spare.id)
        issued = access.issue_token(uow, setup.reviewer.principal, setup.engagement.id, name="laptop")
    spare_partner = make_org(container, OrgKind.PARTNER, name="Spare Partner")
    now = container.clock.now()
    with container.uow() as uow:
        designation = partners.designate(
            uow,
            SYSTEM,
            organization_id=spare_partner.id,
            sector="water",
            basis="Runs a water utility.",
            expires_at=now + timedelta(days=90),
        )
    fed_only = _open(container, setup, "rc-federal", Recipients.FEDERAL_ONLY, [agency], offer=True)
    draft = _open(container, setup, "rc-draft", Recipients.FEDERAL_AND_PARTNERS, [agency, partner], offer=False)
    w.ids |= {
        "eng": eng,
        "fed_only": fed_only,
        "draft": draft,
        "upstream": upstream,
        "variant": "standard",
        "agency": str(agency),
        "partner": str(partner),
        "spare": str(spare.id),
        "spare_user": str(spare_user.user.id),
        "spare_participant": _participant_ids(container, setup, eng)[spare.id],
        "agency_participant": _participant_ids(container, setup, eng)[agency],
        "gateway_token": str(issued.token.id),
        "designation": str(designation.id),
        "version": str(make_version(container, setup.developer, label="rc-open").id),
        "other_version": str(make_version(container, people["other_dev_admin"], model="Helix", label="rc1").id),
        "start": now.isoformat(),
        "end": (now + timedelta(days=10)).isoformat(),
        "later": (now + timedelta(days=12)).isoformat(),
        "next_year": (now + timedelta(days=365)).isoformat(),
    }
    w.ids |= _materials(container, setup, fed_only=fed_only, draft=draft)
    own_drafts = {a: _open(container, setup, f"rc-offer-{a}", Recipients.FEDERAL_ONLY, [agency], offer=False) for a in DEVELOPER}
    _per_actor(w.ids, "draft", own_drafts, draft)
    invitees = {a: str(make_org(container, OrgKind.AGENCY, name=f"Invitee {a}").id) for a in DEVELOPER}
    _per_actor(w.ids, "invitee", invitees, str(make_org(container, OrgKind.AGENCY, name="Invitee").id))
    designees = {a: str(make_org(container, OrgKind.PARTNER, name=f"Designee {a}").id) for a in PROGRAM_OFFICE}
    _per_actor(w.ids, "designee", designees, str(make_org(container, OrgKind.PARTNER, name="Designee").id))
    return w


@dataclass(frozen=True)
class Case:
    """One route: who may call it (2xx). Other signed-in actors get ``refusal``, except those the
    resource is ``hidden`` from: they get 404, and the refusal is audited all the same. Anonymous
    gets 401. ``{actor}`` in the route, body or file name becomes the caller's name first.
    ``data`` and ``files`` send a multipart form instead of ``json``."""

    method: str
    route: str
    allowed: frozenset[str]
    json: dict[str, object] | None = None
    refusal: int = 403
    hidden: frozenset[str] = frozenset()
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None


TERMS: dict[str, object] = {"protections": {"confidentiality_text": CONFIDENTIALITY}, "note": "clarified retention"}
QUOTAS: dict[str, object] = {"requests_per_day": 500, "tokens_per_day": 100_000, "requests_per_minute": 30}
FINDING: dict[str, object] = {
    "title": "Bypass found by {actor}",
    "category": "safeguard_bypass",
    "severity": "low",
    "description": "Steps to reproduce.",
    "tlp": "TLP:AMBER",
}
COMMENT: dict[str, object] = {"body": "A note from {actor}"}
SET_STATUS: dict[str, object] = {"body": "Mitigated, says {actor}", "status": "mitigated"}
UPLOAD = {"file": ("file-{actor}.pdf", b"confidential", "application/pdf")}
NOBODY: frozenset[str] = frozenset()
R, W, PUT = "GET", "POST", "PUT"
# Ordered: reads first, then changes that leave later rows valid; closing comes last.
MATRIX: list[Case] = [
    Case(R, "/api/v1/engagements", SIGNED_IN),
    Case(R, "/api/v1/engagements/{eng}", READS),
    Case(R, "/api/v1/engagements/{fed_only}", READS_FEDERAL_ONLY),
    Case(R, "/api/v1/engagements/{draft}", DEVELOPER),
    Case(R, "/api/v1/engagements/{eng}/usage", READS),
    Case(R, "/api/v1/engagements/{fed_only}/usage", READS_FEDERAL_ONLY),
    Case(R, "/api/v1/engagements/{draft}/usage", DEVELOPER),
    Case(R, "/api/v1/gateway-tokens", SIGNED_IN),
    # Whoever reads an engagement reads its own access to it (refused, for those who take no part).
    Case(R, "/api/v1/engagements/{eng}/my-access", READS),
    Case(R, "/api/v1/engagements/{fed_only}/my-access", READS_FEDERAL_ONLY),
    Case(R, "/api/v1/engagements/{draft}/my-access", DEVELOPER),
    Case(R, "/api/v1/partners", LISTS_PARTNERS),
    # Whoever reads an engagement lists its artifacts and findings (findings filtered by TLP).
    Case(R, "/api/v1/engagements/{eng}/artifacts", READS),
    Case(R, "/api/v1/engagements/{fed_only}/artifacts", READS_FEDERAL_ONLY),
    Case(R, "/api/v1/engagements/{draft}/artifacts", DEVELOPER),
    Case(R, "/api/v1/engagements/{eng}/findings", READS),
    Case(R, "/api/v1/engagements/{fed_only}/findings", READS_FEDERAL_ONLY),
    Case(R, "/api/v1/engagements/{draft}/findings", DEVELOPER),
    # Artifacts go only to participants admitted right now, as on the gateway (G1): never the
    # developer, the program office or an operator; not before the terms are accepted (the agency
    # accepts the federal-only terms below); never from a draft.
    Case(R, "/api/v1/engagements/{eng}/artifacts/{artifact}/download", PARTICIPANTS),
    Case(R, "/api/v1/engagements/{fed_only}/artifacts/{fed_artifact}/download", NOBODY),
    Case(R, "/api/v1/engagements/{draft}/artifacts/{draft_artifact}/download", NOBODY),
    # A finding and its evidence: TLP:AMBER stays with the developer, the finder and the program
    # office; TLP:GREEN reaches every participant. For everyone else it does not exist.
    Case(R, "/api/v1/findings/{amber}", READS_AMBER, hidden=HIDES_AMBER),
    Case(R, "/api/v1/findings/{green}", READS_GREEN, hidden=HIDES_GREEN),
    Case(R, "/api/v1/findings/{amber}/evidence/{amber_evidence}", READS_AMBER, hidden=HIDES_AMBER),
    Case(R, "/api/v1/findings/{green}/evidence/{green_evidence}", READS_GREEN, hidden=HIDES_GREEN),
    # The developer opens engagements for its own versions only.
    Case(
        W,
        "/api/v1/engagements",
        DEVELOPER,
        json={
            "version_id": "{version}",
            "title": "Review {actor}",
            "window_start": "{start}",
            "window_end": "{end}",
            "recipients": "federal_and_partners",
            "terms": TERMS,
        },
    ),
    Case(
        W,
        "/api/v1/engagements",
        frozenset({"other_dev_admin"}),
        json={
            "version_id": "{other_version}",
            "title": "Review {actor}",
            "window_start": "{start}",
            "window_end": "{end}",
            "recipients": "federal_only",
            "terms": TERMS,
        },
    ),
    # Only participant admins accept, and only where they take part (G6).
    Case(W, "/api/v1/engagements/{eng}/accept", frozenset({"agency_admin", "partner_admin"}), json={"terms_number": 1}),
    Case(W, "/api/v1/engagements/{fed_only}/accept", frozenset({"agency_admin"}), json={"terms_number": 1}),
    Case(W, "/api/v1/engagements/{draft}/accept", NOBODY, json={"terms_number": 1}),
    # Once its admin accepted, the agency downloads; the partner is not among the recipients (G6).
    Case(R, "/api/v1/engagements/{fed_only}/artifacts/{fed_artifact}/download", AGENCY),
    # Participants' members file findings where they take part (not on a draft).
    Case(W, "/api/v1/engagements/{eng}/findings", PARTICIPANTS, json=FINDING),
    Case(W, "/api/v1/engagements/{fed_only}/findings", AGENCY, json=FINDING),
    Case(W, "/api/v1/engagements/{draft}/findings", NOBODY, json=FINDING),
    # The thread: the developer, the finder's organization and the program office; another
    # participant reads a TLP:GREEN finding but does not join its thread (403).
    Case(W, "/api/v1/findings/{amber}/comments", READS_AMBER, json=COMMENT, hidden=HIDES_AMBER),
    Case(
        W, "/api/v1/findings/{green}/comments", DEVELOPER | PROGRAM_OFFICE | {"partner_admin"}, json=COMMENT, hidden=HIDES_GREEN
    ),
    # Only the developer sets the status; the finder and the program office are refused (403).
    Case(W, "/api/v1/findings/{amber}/comments", DEVELOPER, json=SET_STATUS, hidden=HIDES_AMBER),
    Case(W, "/api/v1/findings/{green}/comments", DEVELOPER, json=SET_STATUS, hidden=HIDES_GREEN),
    # Relabelling: the program office and the finder's organization tighten; the developer never
    # relabels; another participant that reads a TLP:GREEN finding does not relabel it.
    Case(W, "/api/v1/findings/{amber}/tlp", PROGRAM_OFFICE | AGENCY, json={"tlp": "TLP:AMBER+STRICT"}, hidden=HIDES_AMBER),
    # Only the finder's organization adds evidence.
    Case(W, "/api/v1/findings/{amber}/evidence", AGENCY, files=UPLOAD, hidden=HIDES_AMBER),
    Case(W, "/api/v1/findings/{green}/evidence", frozenset({"partner_admin"}), files=UPLOAD, hidden=HIDES_GREEN),
    # Only the finder's organization relaxes a label (the partner filed the TLP:GREEN finding).
    Case(W, "/api/v1/findings/{green}/tlp", frozenset({"partner_admin"}), json={"tlp": "TLP:CLEAR"}, hidden=HIDES_GREEN),
    # Referral to the clearinghouse: these findings are about the model (safeguard bypass), not third-party
    # software, so nobody refers them; readers are refused (audited), others do not learn they exist.
    Case(W, "/api/v1/engagements/{eng}/findings/{amber}/referral", NOBODY, json={}, hidden=HIDES_AMBER),
    # Whom a finding may name: only those who may file learn it.
    Case(R, "/api/v1/engagements/{eng}/finding-recipients", PARTICIPANTS),
    Case(R, "/api/v1/engagements/{fed_only}/finding-recipients", AGENCY),
    # The developer manages: never the program office, an operator or a participant.
    Case(W, "/api/v1/engagements/{draft_{actor}}/offer", DEVELOPER),
    # The developer uploads artifacts, from the draft on (any member, not only admins).
    Case(W, "/api/v1/engagements/{eng}/artifacts", DEVELOPER, data={"kind": "system_card"}, files=UPLOAD),
    Case(W, "/api/v1/engagements/{draft}/artifacts", DEVELOPER, data={"kind": "other"}, files=UPLOAD),
    Case(W, "/api/v1/engagements/{eng}/terms", DEVELOPER, json=TERMS),
    # New terms: nobody downloads until they are accepted again.
    Case(R, "/api/v1/engagements/{eng}/artifacts/{artifact}/download", NOBODY),
    Case(W, "/api/v1/engagements/{eng}/window", DEVELOPER, json={"window_end": "{later}"}),
    Case(W, "/api/v1/engagements/{eng}/participants", DEVELOPER, json={"organization_id": "{invitee_{actor}}"}),
    Case(W, "/api/v1/engagements/{eng}/participants/{agency_participant}/quotas", DEVELOPER, json=QUOTAS),
    Case(
        PUT,
        "/api/v1/engagements/{eng}/upstream",
        DEVELOPER,
        json={"variant": "standard", "base_url": "{upstream}", "api_key": "sk-rotated-456", "upstream_model": "fake"},
    ),
    Case("DELETE", "/api/v1/engagements/{eng}/upstream/{variant}", DEVELOPER),
    Case(W, "/api/v1/engagements/{eng}/revoke-user", DEVELOPER, json={"user_id": "{spare_user}"}),
    Case(W, "/api/v1/engagements/{eng}/participants/{spare_participant}/revoke", DEVELOPER),
    # Gateway tokens are personal: someone else's is not found.
    Case(W, "/api/v1/gateway-tokens/{gateway_token}/revoke", frozenset({"agency_member"}), refusal=404),
    # Trusted partners: program-office admins designate and end designations.
    Case(
        W,
        "/api/v1/partners",
        PROGRAM_OFFICE,
        json={
            "organization_id": "{designee_{actor}}",
            "sector": "energy",
            "basis": "Operates a grid.",
            "expires_at": "{next_year}",
        },
    ),
    Case(W, "/api/v1/partners/{designation}/revoke", PROGRAM_OFFICE),
    # Closing always succeeds for the developer (G2), and only for it.
    Case(W, "/api/v1/engagements/{eng}/close", DEVELOPER),
]


def _fill(template: str, actor: str, ids: dict[str, str]) -> str:
    return template.replace("{actor}", actor).format_map(ids)


def _fill_json(value: object, actor: str, ids: dict[str, str]) -> object:
    if isinstance(value, str):
        return _fill(value, actor, ids)
    if isinstance(value, dict):
        return {k: _fill_json(v, actor, ids) for k, v in value.items()}
    return value


def _files(case: Case, actor: str, ids: dict[str, str]) -> dict[str, tuple[str, bytes, str]] | None:
    if case.files is None:
        return None
    return {name: (_fill(filename, actor, ids), content, ctype) for name, (filename, content, ctype) in case.files.items()}


def _auth(world: World, actor: str) -> dict[str, str]:
    return {} if actor == ANONYMOUS else bearer(world.tokens[actor])


def _denials(container: Container) -> int:
    with container.sessions() as session:
        query = sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied")
        return int(session.scalar(query) or 0)


_READERS = {"{eng}": READS, "{fed_only}": READS_FEDERAL_ONLY, "{draft": DEVELOPER}


def _sees(case: Case) -> frozenset[str]:
    """Who may see the engagement (or, opening one, the model version) a route names. For everyone
    else it does not exist: 404 exactly like a random id, the refusal audited all the same."""
    if (case.method, case.route) == (W, "/api/v1/engagements"):
        owner = frozenset({"other_dev_admin"}) if "{other_version}" in str(case.json) else DEVELOPER
        return owner | PROGRAM_OFFICE | {"root"}
    for key, readers in _READERS.items():
        if case.route.startswith("/api/v1/engagements/" + key):
            return readers
    return SIGNED_IN


def _hidden(case: Case, actor: str) -> bool:
    return actor in case.hidden or actor not in _sees(case)


def _expected(case: Case, actor: str) -> int | None:
    """The status ``actor`` gets, or None for 2xx."""
    if actor == ANONYMOUS:
        return 401
    if actor in case.allowed:
        return None
    return 404 if _hidden(case, actor) else case.refusal


def test_route_matrix(container: Container, world: World, http: httpx.Client) -> None:
    """Allowed → 2xx; refused → exactly 403 (404 where named or hidden), audited; anonymous → 401.

    Every 403 is an audited refusal, and so is every 404 of a hidden finding (the service refuses,
    audits, then says "not found"); the gateway token's 404 is not a refusal and is not audited."""
    failures = []
    refused = 0
    before = _denials(container)
    for case in MATRIX:
        for actor in ACTORS:
            url = _fill(case.route, actor, world.ids)
            payload = None if case.json is None else _fill_json(case.json, actor, world.ids)
            response = http.request(
                case.method,
                url,
                json=payload,
                data=case.data,
                files=_files(case, actor, world.ids),
                headers=_auth(world, actor),
            )
            expected = _expected(case, actor)
            got = response.status_code
            ok = 200 <= got < 300 if expected is None else got == expected
            if not ok:
                failures.append(f"{actor} {case.method} {case.route}: {got} (expected {expected or '2xx'}) {response.text[:160]}")
            refused += got == 403 or (got == 404 and _hidden(case, actor))
    assert not failures, "\n".join(failures)
    assert _denials(container) - before == refused


def test_every_engagements_route_is_in_the_matrix(http: httpx.Client) -> None:
    """A new route cannot slip in without its row."""
    spec = http.get("/api/v1/openapi.json")
    assert spec.status_code == 200, spec.text
    routes = {
        (method.upper(), path)
        for path, operations in spec.json()["paths"].items()
        for method in operations
        if "engagements" in operations[method].get("tags", [])
    }

    def shape(path: str) -> str:
        return "/".join("{}" if part.startswith("{") else part for part in path.split("/"))

    covered = {(case.method, shape(case.route)) for case in MATRIX} | {(m, shape(r)) for m, r in SESSION_ONLY}
    missing = {(m, p) for m, p in routes if (m, shape(p)) not in covered}
    assert len(routes) >= 29
    assert not missing, sorted(missing)


def test_missing_materials_are_not_found(container: Container, world: World, http: httpx.Client) -> None:
    """Unknown ids, another engagement's artifact, another finding's evidence, and an artifact
    whose retention ended (purged or not yet) are 404 for whoever may otherwise fetch them; those
    are not refusals and are not audited. A non-participant is refused (403) before any lookup, so
    the answer tells it nothing about which artifacts exist."""
    ids, missing = world.ids, str(uuid.uuid4())
    eng, fed_only = ids["eng"], ids["fed_only"]
    expired = _upload(container, world.setup, eng, "other", "expired.pdf")
    purged = _upload(container, world.setup, eng, "other", "purged.pdf")
    with container.uow() as uow:
        for artifact_id in (expired, purged):
            row = uow.session.get(Artifact, uuid.UUID(artifact_id))
            assert row is not None
            row.purge_after = container.clock.now()
    with container.uow() as uow:
        assert artifacts.purge_expired(uow) == 2
    with container.uow() as uow:
        row = uow.session.get(Artifact, uuid.UUID(expired))
        assert row is not None
        row.purged_at = None  # retention over but the purge job has not run yet
    cases = [
        ("agency_member", f"/api/v1/engagements/{eng}/artifacts/{missing}/download", 404),
        ("agency_member", f"/api/v1/engagements/{eng}/artifacts/{ids['fed_artifact']}/download", 404),
        ("agency_admin", f"/api/v1/engagements/{fed_only}/artifacts/{ids['fed_artifact']}/download", 403),  # terms not accepted
        ("partner_admin", f"/api/v1/engagements/{eng}/artifacts/{expired}/download", 404),
        ("agency_member", f"/api/v1/engagements/{eng}/artifacts/{purged}/download", 404),
        ("outsider_admin", f"/api/v1/engagements/{eng}/artifacts/{missing}/download", 404),  # hidden engagement
        ("dev_admin", f"/api/v1/engagements/{eng}/artifacts/{missing}/download", 403),
        ("dev_admin", f"/api/v1/findings/{missing}", 404),
        ("dev_admin", f"/api/v1/findings/{missing}/evidence/{missing}", 404),
        ("dev_admin", f"/api/v1/findings/{ids['amber']}/evidence/{missing}", 404),
        ("agency_member", f"/api/v1/findings/{ids['amber']}/evidence/{ids['green_evidence']}", 404),
        ("agency_member", f"/api/v1/findings/{missing}/comments", 404),
    ]
    before = _denials(container)
    failures = []
    for actor, url, status in cases:
        method = "POST" if url.endswith("/comments") else "GET"
        response = http.request(method, url, json={"body": "hello"} if method == "POST" else None, headers=_auth(world, actor))
        if response.status_code != status:
            failures.append(f"{actor} {url}: {response.status_code} (expected {status}) {response.text[:160]}")
    assert not failures, "\n".join(failures)
    # Every 403 is an audited refusal, and so is the outsider's 404 (an engagement it may not see).
    assert _denials(container) - before == sum(status == 403 for _, _, status in cases) + 1
    # Purged artifacts stay listed: the record of what was shared outlives the content.
    listed = http.get(f"/api/v1/engagements/{eng}/artifacts", headers=_auth(world, "agency_member"))
    assert listed.status_code == 200, listed.text
    by_id = {a["id"]: a for a in listed.json()}
    assert by_id[purged]["purged_at"] is not None
    assert by_id[expired]["purged_at"] is None


@contextmanager
def _session(base_url: str, person: Person) -> Iterator[httpx.Client]:
    """A client signed in through the login form (session cookie, no Authorization header)."""
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        signed_in = web_login(client, person.email, person.password)
        assert signed_in.status_code == 303, signed_in.text[:200]
        yield client


MINTS = ("gateway-tokens", "playground-session")


def _mint(client: httpx.Client, engagement_id: str, csrf: dict[str, str], route: str = "gateway-tokens") -> httpx.Response:
    body = {"name": "laptop"} if route == "gateway-tokens" else None
    return client.post(f"/api/v1/engagements/{engagement_id}/{route}", json=body, headers=csrf)


@pytest.mark.parametrize("route", MINTS)
def test_gateway_tokens_need_a_signed_in_participant(world: World, base_url: str, http: httpx.Client, route: str) -> None:
    """A signed-in participant (with the CSRF header) mints a token where it takes part, once its
    organization accepted the current terms; an API token never mints one, not even a
    participant's; nobody else mints one by session either. The playground's session token
    follows the same rules."""
    eng, fed_only, draft = world.ids["eng"], world.ids["fed_only"], world.ids["draft"]
    for actor in ACTORS:
        response = http.post(f"/api/v1/engagements/{eng}/{route}", json={"name": "ci"}, headers=_auth(world, actor))
        refusal = 403 if actor in READS else 404  # whoever may not see the engagement: not found
        assert response.status_code == (401 if actor == ANONYMOUS else refusal), (actor, response.text)
    expected = {
        # An engagement the caller may not see at all does not exist for it (404); the agency has
        # not accepted the federal-only terms yet, so it gets no token there (403, naming the terms).
        "agency_member": {eng: 201, fed_only: 403, draft: 404},
        "agency_admin": {eng: 201, fed_only: 403, draft: 404},
        "partner_admin": {eng: 201, fed_only: 404, draft: 404},  # G6: federal-only terms
        "dev_admin": {eng: 403, fed_only: 403, draft: 403},
        "po_admin": {eng: 403, fed_only: 403, draft: 404},
        "outsider_admin": {eng: 404, fed_only: 404, draft: 404},
        "other_dev_admin": {eng: 404, fed_only: 404, draft: 404},
        "root": {eng: 404, fed_only: 404, draft: 404},
    }
    failures = []
    for actor, by_engagement in expected.items():
        with _session(base_url, world.people[actor]) as client:
            assert _mint(client, eng, {}, route).status_code == 403, f"{actor}: a session write without the CSRF header"
            csrf = {"X-CSRF-Token": csrf_from(client.get("/account").text)}
            for engagement_id, status in by_engagement.items():
                response = _mint(client, engagement_id, csrf, route)
                if response.status_code != status:
                    failures.append(
                        f"{actor} on {engagement_id}: {response.status_code} (expected {status}) {response.text[:120]}"
                    )
                elif status == 201:
                    assert response.json()["token"].startswith("frg_"), actor
                    assert response.json()["engagement_id"] == engagement_id
                elif engagement_id == fed_only and actor in AGENCY:
                    assert "not accepted the engagement's current terms" in response.json()["detail"], response.text
    assert not failures, "\n".join(failures)


def _listed(http: httpx.Client, world: World, actor: str) -> set[str]:
    response = http.get("/api/v1/engagements", headers=_auth(world, actor))
    assert response.status_code == 200, (actor, response.text)
    assert world.ids["upstream"] not in response.text, f"{actor}: the upstream URL is listed (G4)"
    assert "sk-upstream-secret-123" not in response.text, f"{actor}: the upstream key is listed (G4)"
    return {e["id"] for e in response.json()}


def test_listings_show_each_actor_only_what_it_may_see(world: World, http: httpx.Client) -> None:
    """G6 for lists: no drafts but to the developer, nothing to outsiders, partners only where the
    terms include partners, nothing once the participant is revoked."""
    ids = world.ids
    eng, fed_only, draft = ids["eng"], ids["fed_only"], ids["draft"]
    own = {eng, fed_only, draft, *(ids[f"draft_{a}"] for a in DEVELOPER)}
    expected: dict[str, set[str]] = {
        **dict.fromkeys(DEVELOPER, own),
        "po_admin": {eng, fed_only},
        **{actor: {eng, fed_only} for actor in AGENCY},
        "partner_admin": {eng},
        "outsider_admin": set(),
        "other_dev_admin": set(),
    }
    failures = [f"{a}: {sorted(_listed(http, world, a))}" for a, want in expected.items() if _listed(http, world, a) != want]
    assert not failures, "\n".join(failures)
    assert http.get("/api/v1/engagements").status_code == 401

    # A participant sees its own participation only; the developer and the program office see all.
    participants = {ids["agency"], ids["partner"], ids["spare"]}
    actors = ("dev_member", "po_admin", "agency_member", "partner_admin")
    seen = {actor: set(_participant_ids_http(http, world, eng, actor)) for actor in actors}
    assert seen == {
        "dev_member": participants,
        "po_admin": participants,
        "agency_member": {ids["agency"]},
        "partner_admin": {ids["partner"]},
    }

    # Revoking the agency from the federal-only engagement removes it from the agency's view.
    fed_participant = _participant_ids_http(http, world, fed_only, "dev_admin")[ids["agency"]]
    revoke = f"/api/v1/engagements/{fed_only}/participants/{fed_participant}/revoke"
    revoked = http.post(revoke, headers=_auth(world, "dev_admin"))
    assert revoked.status_code == 200, revoked.text
    for actor in AGENCY:
        assert _listed(http, world, actor) == {eng}, actor
        assert http.get(f"/api/v1/engagements/{fed_only}", headers=_auth(world, actor)).status_code == 404, actor
    assert _listed(http, world, "po_admin") == {eng, fed_only}
    assert _listed(http, world, "dev_admin") == own


def _participant_ids_http(http: httpx.Client, world: World, engagement_id: str, actor: str) -> dict[str, str]:
    """Organization id → participant id, as ``actor`` sees the engagement."""
    response = http.get(f"/api/v1/engagements/{engagement_id}", headers=_auth(world, actor))
    assert response.status_code == 200, (actor, response.text)
    body = response.json()
    return {p["organization_id"]: p["id"] for p in body["participants"]}


def test_operators_see_no_engagements(world: World, http: httpx.Client) -> None:
    """Engagements are the developer's confidential offer to its participants and the program
    office; platform operators run the servers but are not party to them."""
    assert _listed(http, world, "root") == set()


def test_api_token_refusal_for_gateway_tokens_is_audited(container: Container, world: World, http: httpx.Client) -> None:
    before = _denials(container)
    response = http.post(
        f"/api/v1/engagements/{world.ids['eng']}/gateway-tokens", json={"name": "ci"}, headers=_auth(world, "agency_member")
    )
    assert response.status_code == 403
    assert _denials(container) - before == 1
