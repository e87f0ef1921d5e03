"""Confidentiality by construction over HTTP, on SQLite and PostgreSQL (DESIGN §3.5a, V1, G6).

Engagements stay with their parties (nothing reaches another developer through the partners
list); revoking a designation, a participant or a person removes every kind of access at once;
TLP 2.0 gives each label its own audience (TLP:RED: named people only) in lists, detail, counts
and notices; only the finder relaxes a label and the program office may tighten it; artifact
downloads follow the kinds the current terms share. Each test goes through the real REST API
with real API tokens (and the web form with a real session) and would fail on the code before.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from frontier_review import engagements as service
from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.engagements.findings import service as findings
from frontier_review.engagements.findings.orm import Finding, FindingRecipient
from frontier_review.engagements.lifecycle.domain import Materials, Quotas, Recipients, Window
from frontier_review.engagements.materials import service as artifacts
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.notifications.orm import Notification
from frontier_review.security import passwords
from tests.api.helpers import assert_problem, bearer, csrf_from, web_login
from tests.factories.coverage import make_version
from tests.factories.engagements import CONFIDENTIALITY, Setup, make_engagement, protections
from tests.factories.identity import SYSTEM, Person, api_token, make_org, make_user


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many people sign up here; passwords are not under test."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)


@dataclass
class World:
    setup: Setup
    people: dict[str, Person]
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return bearer(self.tokens[who])


@pytest.fixture
def world(container: Container) -> World:
    """``make_engagement``'s engagement (offered, active, accepted by the agency and the partner),
    a second developer member, a program-office member, and an API token for everyone."""
    setup = make_engagement(container)
    assert setup.developer.user.organization_id is not None
    assert setup.program_office.user.organization_id is not None
    with container.uow() as uow:
        dev_org = identity.get_organization(uow, SYSTEM, setup.developer.user.organization_id)
        po_org = identity.get_organization(uow, SYSTEM, setup.program_office.user.organization_id)
    people = {
        "dev_admin": setup.developer,
        "dev_member": make_user(container, dev_org),
        "po_admin": setup.program_office,
        "po_member": make_user(container, po_org),
        "agency_admin": setup.agency_admin,
        "reviewer": setup.reviewer,
        "partner_admin": setup.partner_admin,
        "partner_reviewer": setup.partner_reviewer,
        "other_dev": make_user(container, make_org(container, OrgKind.DEVELOPER), role=Role.ADMIN),
    }
    return World(setup, people, {name: api_token(container, p) for name, p in people.items()})


def _file(http: httpx.Client, w: World, who: str, tlp: str, recipients: list[str] | None = None) -> httpx.Response:
    body: dict[str, object] = {
        "title": f"Safeguard bypass under {tlp}",
        "category": "safeguard_bypass",
        "severity": "high",
        "description": "Steps to reproduce.",
        "tlp": tlp,
    }
    if recipients is not None:
        body["recipients"] = recipients
    return http.post(f"/api/v1/engagements/{w.setup.engagement.id}/findings", json=body, headers=w.auth(who))


def _filed(http: httpx.Client, w: World, who: str, tlp: str, recipients: list[str] | None = None) -> str:
    response = _file(http, w, who, tlp, recipients)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _uid(w: World, who: str) -> str:
    return str(w.people[who].user.id)


def _listed(http: httpx.Client, w: World, who: str) -> set[str] | int:
    response = http.get(f"/api/v1/engagements/{w.setup.engagement.id}/findings", headers=w.auth(who))
    return {f["id"] for f in response.json()} if response.status_code == 200 else response.status_code


def _evidence(container: Container, w: World, who: str, finding_id: str) -> str:
    with container.uow() as uow:
        view = findings.attach_evidence(
            uow, w.people[who].principal, uuid.UUID(finding_id), filename="log.txt", content_type="text/plain", stream=[b"x"]
        )
    return str(view.id)


# --- item 5: nothing about an engagement reaches another developer -------------------------------


def test_partners_list_names_only_the_readers_own_engagements(
    container: Container, world: World, http: httpx.Client, base_url: str
) -> None:
    """Another developer lists the designations but reads no title of this developer's engagements
    (drafts included); the developer sees its own; the program office sees them but not drafts."""
    setup = world.setup
    version = make_version(container, setup.developer, label="rc-secret-draft")
    now = container.clock.now()
    with container.uow() as uow:
        draft = service.open_engagement(
            uow,
            setup.developer.principal,
            version_id=version.id,
            title="Codename Nightjar draft review",
            window=Window(now, now + timedelta(days=5)),
            recipients=Recipients.FEDERAL_AND_PARTNERS,
            materials=Materials(),
            protections=protections(),
            quotas=Quotas(),
        )
        service.invite(uow, setup.developer.principal, draft.id, organization_id=setup.partner.id)

    def titles(who: str) -> list[str]:
        response = http.get("/api/v1/partners", headers=world.auth(who))
        assert response.status_code == 200, response.text
        row = next(d for d in response.json() if d["organization_id"] == str(setup.partner.id))
        assert setup.engagement.title not in response.text or who != "other_dev"
        return sorted(row["engagements"])

    assert titles("other_dev") == []
    assert titles("dev_member") == sorted([setup.engagement.title, "Codename Nightjar draft review"])
    assert titles("po_admin") == [setup.engagement.title]
    page = http.get("/api/v1/partners", headers=world.auth("other_dev")).text
    assert "Nightjar" not in page
    assert setup.engagement.title not in page
    # The web page is the same service: another developer's session sees no title either.
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        other = world.people["other_dev"]
        assert web_login(client, other.email, other.password).status_code == 303
        html = client.get("/partners")
        assert html.status_code == 200
        assert setup.partner.name in html.text
        assert "Nightjar" not in html.text
        assert setup.engagement.title not in html.text


# --- item 6: revocation removes every kind of access at once ------------------------------------


def test_a_revoked_designation_ends_every_access_of_the_partner(container: Container, world: World, http: httpx.Client) -> None:
    """Before: the partner reads a TLP:GREEN finding, lists, files and downloads. After the program
    office ends its designation: the engagement, the list, the finding, its evidence, filing,
    comments and downloads are all refused (findings do not exist for it any more)."""
    eng = world.setup.engagement.id
    green = _filed(http, world, "reviewer", "TLP:GREEN")
    own = _filed(http, world, "partner_reviewer", "TLP:GREEN")
    evidence = _evidence(container, world, "reviewer", green)
    with container.uow() as uow:
        artifact = artifacts.upload(
            uow, world.setup.developer.principal, eng, kind="other", filename="guide.pdf", content_type=None, stream=[b"g"]
        )
    download = f"/api/v1/engagements/{eng}/artifacts/{artifact.id}/download"
    for who in ("partner_admin", "partner_reviewer"):
        assert http.get(f"/api/v1/findings/{green}", headers=world.auth(who)).status_code == 200
        assert http.get(download, headers=world.auth(who)).status_code == 200
    assert _listed(http, world, "partner_reviewer") == {green, own}

    designations = http.get("/api/v1/partners", headers=world.auth("po_admin")).json()
    designation = next(d["id"] for d in designations if d["organization_id"] == str(world.setup.partner.id))
    ended = http.post(f"/api/v1/partners/{designation}/revoke", headers=world.auth("po_admin"))
    assert ended.status_code == 200, ended.text

    for who in ("partner_admin", "partner_reviewer"):
        assert http.get(f"/api/v1/engagements/{eng}", headers=world.auth(who)).status_code == 404
        assert _listed(http, world, who) == 404
        for finding in (green, own):
            assert http.get(f"/api/v1/findings/{finding}", headers=world.auth(who)).status_code == 404
            comment = http.post(f"/api/v1/findings/{finding}/comments", json={"body": "still here"}, headers=world.auth(who))
            assert comment.status_code == 404
        assert http.get(f"/api/v1/findings/{green}/evidence/{evidence}", headers=world.auth(who)).status_code == 404
        assert_problem(_file(http, world, who, "TLP:GREEN"), 404)
        assert http.get(download, headers=world.auth(who)).status_code == 404
    # The others are unaffected, and the partner's finding stays with its audience.
    assert http.get(f"/api/v1/findings/{own}", headers=world.auth("dev_admin")).status_code == 200
    assert http.get(f"/api/v1/findings/{green}", headers=world.auth("reviewer")).status_code == 200


def test_a_revoked_person_loses_findings_and_downloads(container: Container, world: World, http: httpx.Client) -> None:
    """The developer revokes one reviewer: that person no longer lists, reads, comments on, adds
    evidence to or files findings, nor downloads; the colleague next to them still does."""
    eng = world.setup.engagement.id
    mine = _filed(http, world, "reviewer", "TLP:AMBER")
    evidence = _evidence(container, world, "reviewer", mine)
    with container.uow() as uow:
        artifact = artifacts.upload(
            uow, world.setup.developer.principal, eng, kind="other", filename="guide.pdf", content_type=None, stream=[b"g"]
        )
    revoked = http.post(
        f"/api/v1/engagements/{eng}/revoke-user", json={"user_id": _uid(world, "reviewer")}, headers=world.auth("dev_admin")
    )
    assert revoked.status_code == 200, revoked.text

    auth = world.auth("reviewer")
    assert _listed(http, world, "reviewer") == 404
    assert http.get(f"/api/v1/engagements/{eng}", headers=auth).status_code == 404
    assert http.get(f"/api/v1/findings/{mine}", headers=auth).status_code == 404
    assert http.post(f"/api/v1/findings/{mine}/comments", json={"body": "hello"}, headers=auth).status_code == 404
    assert http.get(f"/api/v1/findings/{mine}/evidence/{evidence}", headers=auth).status_code == 404
    upload = http.post(f"/api/v1/findings/{mine}/evidence", files={"file": ("more.txt", b"more", "text/plain")}, headers=auth)
    assert upload.status_code == 404
    assert_problem(_file(http, world, "reviewer", "TLP:GREEN"), 404)
    assert http.get(f"/api/v1/engagements/{eng}/artifacts/{artifact.id}/download", headers=auth).status_code == 404
    assert http.get(f"/api/v1/findings/{mine}", headers=world.auth("agency_admin")).status_code == 200
    assert mine in (_listed(http, world, "agency_admin") or set())  # type: ignore[operator]


def test_a_revoked_participant_loses_its_findings(world: World, http: httpx.Client) -> None:
    eng = world.setup.engagement.id
    mine = _filed(http, world, "reviewer", "TLP:GREEN")
    participant = next(p.id for p in world.setup.engagement.participants if p.organization_id == world.setup.agency.id)
    revoked = http.post(f"/api/v1/engagements/{eng}/participants/{participant}/revoke", headers=world.auth("dev_admin"))
    assert revoked.status_code == 200, revoked.text
    for who in ("reviewer", "agency_admin"):
        assert _listed(http, world, who) == 404
        assert http.get(f"/api/v1/findings/{mine}", headers=world.auth(who)).status_code == 404
        assert http.post(f"/api/v1/findings/{mine}/comments", json={"body": "x"}, headers=world.auth(who)).status_code == 404
    assert http.get(f"/api/v1/findings/{mine}", headers=world.auth("partner_admin")).status_code == 200


# --- item 14: TLP 2.0 audiences, recipients and relabelling -------------------------------------


def test_red_reaches_named_people_only_in_lists_detail_counts_and_notices(
    container: Container, world: World, http: httpx.Client
) -> None:
    """A TLP:RED finding naming a developer member and a program-office member: they and the filer
    see it; the developer's admin, the program office's admin and the filer's own admin do not —
    not in the list (nor its count), not by id, not by notice. AMBER+STRICT and AMBER reach the
    three organizations, not the other participant."""
    red = _filed(http, world, "reviewer", "TLP:RED", [_uid(world, "dev_member"), _uid(world, "po_member")])
    strict = _filed(http, world, "reviewer", "TLP:AMBER+STRICT")
    body = http.get(f"/api/v1/findings/{red}", headers=world.auth("dev_member")).json()
    assert {r["user_id"] for r in body["recipients"]} == {_uid(world, "dev_member"), _uid(world, "po_member")}
    audience = {"reviewer", "dev_member", "po_member"}
    for who in world.people:
        expected = who in audience
        got = http.get(f"/api/v1/findings/{red}", headers=world.auth(who))
        assert got.status_code == (200 if expected else 404), (who, got.text)
        listed = _listed(http, world, who)
        assert (isinstance(listed, set) and red in listed) is expected, who
        sees_strict = who in {"reviewer", "agency_admin", "dev_admin", "dev_member", "po_admin", "po_member"}
        assert (http.get(f"/api/v1/findings/{strict}", headers=world.auth(who)).status_code == 200) is sees_strict, who
    # Notices reveal existence: only the audience's people get one about the RED finding.
    with container.sessions() as session:
        notified = set(session.scalars(sa.select(Notification.user_id).where(Notification.link.like(f"%/findings/{red}"))))
    assert notified
    assert notified <= {world.people[w].user.id for w in audience}
    assert world.people["dev_admin"].user.id not in notified
    # Comments notify the audience only, too.
    http.post(f"/api/v1/findings/{red}/comments", json={"body": "Looking."}, headers=world.auth("dev_member"))
    with container.sessions() as session:
        notified = set(session.scalars(sa.select(Notification.user_id).where(Notification.link.like(f"%/findings/{red}"))))
    assert world.people["agency_admin"].user.id not in notified


def test_bad_recipients_are_refused_with_a_clear_problem(container: Container, world: World, http: httpx.Client) -> None:
    """TLP:RED without recipients, a recipient in another participant or another developer, an
    unknown id, or a malformed one: 422 naming ``recipients``, nothing stored."""
    cases = [
        ("TLP:RED", None),
        ("TLP:RED", []),
        ("TLP:RED", [_uid(world, "partner_admin")]),
        ("TLP:RED", [_uid(world, "other_dev")]),
        ("TLP:AMBER", [str(uuid.uuid4())]),
    ]
    for tlp, recipients in cases:
        problem = assert_problem(_file(http, world, "reviewer", tlp, recipients), 422, field="recipients")
        assert "recipient" in str(problem["detail"])
    malformed = _file(http, world, "reviewer", "TLP:RED", ["not-a-uuid"])
    assert_problem(malformed, 422)
    with container.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Finding)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(FindingRecipient)) == 0


def test_only_the_finder_relaxes_and_the_program_office_tightens(container: Container, world: World, http: httpx.Client) -> None:
    finding = _filed(http, world, "reviewer", "TLP:AMBER")

    def relabel(who: str, tlp: str, recipients: list[str] | None = None) -> httpx.Response:
        body: dict[str, object] = {"tlp": tlp} if recipients is None else {"tlp": tlp, "recipients": recipients}
        return http.post(f"/api/v1/findings/{finding}/tlp", json=body, headers=world.auth(who))

    assert_problem(relabel("dev_admin", "TLP:RED", [_uid(world, "dev_admin")]), 403)
    assert_problem(relabel("po_admin", "TLP:GREEN"), 403)  # the program office never relaxes
    assert relabel("partner_admin", "TLP:GREEN").status_code == 404  # outside the AMBER audience
    assert_problem(relabel("po_admin", "TLP:RED"), 422, field="recipients")  # RED names someone
    assert_problem(relabel("po_admin", "TLP:RED", [_uid(world, "dev_member")]), 422, field="recipients")  # not itself
    tightened = relabel("po_admin", "TLP:RED", [_uid(world, "po_admin"), _uid(world, "dev_member")])
    assert tightened.status_code == 200, tightened.text
    assert tightened.json()["tlp"] == "TLP:RED"
    assert http.get(f"/api/v1/findings/{finding}", headers=world.auth("agency_admin")).status_code == 404
    assert http.get(f"/api/v1/findings/{finding}", headers=world.auth("dev_member")).status_code == 200
    with container.sessions() as session:
        named = set(session.scalars(sa.select(Notification.user_id).where(Notification.kind == "finding_named")))
    assert named == {world.people["dev_member"].user.id}  # the newly named person, not the one who named
    assert_problem(relabel("po_admin", "TLP:AMBER"), 403)
    assert_problem(relabel("reviewer", "TLP:PURPLE"), 422, field="tlp")
    relaxed = relabel("reviewer", "TLP:GREEN")
    assert relaxed.status_code == 200, relaxed.text
    assert http.get(f"/api/v1/findings/{finding}", headers=world.auth("partner_admin")).status_code == 200
    with container.sessions() as session:
        entries = list(
            session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == "engagements:finding:relabelled").order_by(AuditEntry.seq)
            )
        )
    assert [(e.details["from"], e.details["to"]) for e in entries] == [("TLP:AMBER", "TLP:RED"), ("TLP:RED", "TLP:GREEN")]


@pytest.fixture
def session_client(base_url: str, world: World) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        assert web_login(client, world.setup.reviewer.email, world.setup.reviewer.password).status_code == 303
        yield client


def test_the_web_form_names_recipients(container: Container, world: World, session_client: httpx.Client) -> None:
    """The file-finding form lists who may be named; a RED finding without them is refused (the
    form comes back with the reason) and nothing stored; with them it is filed and shows its recipients."""
    eng = world.setup.engagement.id
    page = session_client.get(f"/engagements/{eng}/findings/new")
    assert page.status_code == 200
    assert world.people["dev_member"].email in page.text
    form = {
        "csrf_token": csrf_from(page.text),
        "title": "Web red finding",
        "category": "safeguard_bypass",
        "severity": "low",
        "tlp": "TLP:RED",
        "description": "Steps.",
    }
    refused = session_client.post(f"/engagements/{eng}/findings/new", data=form)
    assert refused.status_code == 422
    assert "names at least one recipient" in refused.text
    with container.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Finding)) == 0
    form["recipients"] = _uid(world, "dev_member")
    filed = session_client.post(f"/engagements/{eng}/findings/new", data=form)
    assert filed.status_code == 303, filed.text
    shown = session_client.get(filed.headers["location"])
    assert shown.status_code == 200
    assert "Named recipients" in shown.text
    assert world.people["dev_member"].email in shown.text


def test_the_finder_relabels_on_the_web(
    container: Container, world: World, session_client: httpx.Client, http: httpx.Client
) -> None:
    """The finder tightens its finding to TLP:RED on the finding page; the developer's admin, not
    named, no longer finds it; a RED label without recipients is refused, the form shown again with the reason."""
    eng = world.setup.engagement.id
    finding = _filed(http, world, "reviewer", "TLP:AMBER")
    link = f"/engagements/{eng}/findings/{finding}"
    page = session_client.get(link)
    assert "Change the TLP label" in page.text
    refused = session_client.post(f"{link}/tlp", data={"csrf_token": csrf_from(page.text), "tlp": "TLP:RED"})
    assert refused.status_code == 422
    assert "names at least one recipient" in refused.text
    assert re.search(r'<option value="TLP:RED" selected>', refused.text)
    assert http.get(f"/api/v1/findings/{finding}", headers=world.auth("dev_admin")).status_code == 200
    changed = session_client.post(
        f"{link}/tlp", data={"csrf_token": csrf_from(page.text), "tlp": "TLP:RED", "recipients": _uid(world, "dev_member")}
    )
    assert changed.status_code == 303
    assert "TLP:RED" in session_client.get(link).text
    assert http.get(f"/api/v1/findings/{finding}", headers=world.auth("dev_admin")).status_code == 404
    assert http.get(f"/api/v1/findings/{finding}", headers=world.auth("dev_member")).status_code == 200


# --- item 8c: artifact downloads follow the kinds the current terms share -----------------------


def test_downloads_follow_the_kinds_the_current_terms_share(container: Container, world: World, http: httpx.Client) -> None:
    """The system card downloads while the terms share it; once new terms stop sharing it (and are
    accepted again), it is refused while an ``other`` file still downloads."""
    setup = world.setup
    eng = setup.engagement.id
    with container.uow() as uow:
        card = artifacts.upload(
            uow, setup.developer.principal, eng, kind="system_card", filename="card.pdf", content_type=None, stream=[b"c"]
        )
        guide = artifacts.upload(
            uow, setup.developer.principal, eng, kind="other", filename="guide.pdf", content_type=None, stream=io.BytesIO(b"g")
        )
    url = f"/api/v1/engagements/{eng}/artifacts/{{}}/download"
    assert http.get(url.format(card.id), headers=world.auth("reviewer")).status_code == 200
    terms = {"materials": {"api_access": True, "system_card": False}, "protections": {"confidentiality_text": CONFIDENTIALITY}}
    changed = http.post(f"/api/v1/engagements/{eng}/terms", json=terms, headers=world.auth("dev_admin"))
    assert changed.status_code == 200, changed.text
    accepted = http.post(f"/api/v1/engagements/{eng}/accept", json={"terms_number": 2}, headers=world.auth("agency_admin"))
    assert accepted.status_code == 200, accepted.text
    refused = http.get(url.format(card.id), headers=world.auth("reviewer"))
    problem = assert_problem(refused, 403)
    assert "no longer share the system card" in str(problem["detail"])
    assert http.get(url.format(guide.id), headers=world.auth("reviewer")).status_code == 200
    # Weights are a kind of their own: refused on upload unless the terms share them.
    weights = http.post(
        f"/api/v1/engagements/{eng}/artifacts",
        data={"kind": "weights"},
        files={"file": ("w.bin", b"w", "application/octet-stream")},
        headers=world.auth("dev_admin"),
    )
    assert_problem(weights, 422, field="kind")
