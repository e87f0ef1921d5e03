"""The engagements' list tables: the index, an engagement's findings and participants, trusted partners.

Each sorts, filters and pages in its query (page 2 shows rows 51 and on, with the count), survives
bad parameters, and never widens what the reader sees: a rival developer's engagements and findings
never appear, even when a filter or the search names them; a TLP:RED finding is neither listed nor
counted for whoever it does not name; a revoked participant sees nothing. The SQL form of
``ENGAGEMENT_READ`` is pinned equal to the rule itself, and the audit browser names engagements
and findings only for their readers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
from sqlalchemy import select

from frontier_review import engagements as service
from frontier_review.audit.targets import name_targets
from frontier_review.bootstrap import Container
from frontier_review.engagements.lifecycle import browse, partners
from frontier_review.engagements.lifecycle import participants as participants_api
from frontier_review.engagements.lifecycle.domain import Materials, Quotas, Recipients, Window
from frontier_review.engagements.lifecycle.orm import Engagement
from frontier_review.engagements.lifecycle.summary import load_refs
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.clock import FrozenClock
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide
from tests.api.helpers import web_login
from tests.api.tables import column, count, pager_links, table
from tests.factories.engagements import Setup, make_engagement, protections
from tests.factories.identity import SYSTEM, Person, make_org, make_user

TABLE = "engagements-table"


@contextmanager
def _as(base_url: str, person: Person) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        assert web_login(client, person.email, person.password).status_code == 303
        yield client


def _more_engagements(container: Container, s: Setup, n: int) -> None:
    """``n`` more engagements of the same developer and version, "Review 001" on, offered to the agency."""
    now = container.clock.now()
    with container.uow() as uow:
        for i in range(1, n + 1):
            view = service.open_engagement(
                uow,
                s.developer.principal,
                version_id=s.engagement.version_id,
                title=f"Review {i:03d}",
                window=Window(now - timedelta(hours=1), now + timedelta(days=i % 20 + 1)),
                recipients=Recipients.FEDERAL_ONLY,
                materials=Materials(),
                protections=protections(),
                quotas=Quotas(),
            )
            service.invite(uow, s.developer.principal, view.id, organization_id=s.agency.id)
            service.offer(uow, s.developer.principal, view.id)


def _file(container: Container, person: Person, s: Setup, title: str, **fields: object) -> None:
    values: dict[str, object] = {"category": "other", "severity": "medium", "tlp": "TLP:AMBER"} | fields
    with container.uow() as uow:
        service.file_finding(
            uow,
            person.principal,
            s.engagement.id,
            title=title,
            description="Steps to reproduce, in detail, for the developer.",
            **values,  # type: ignore[arg-type]
        )


def test_engagements_table(container: Container, base_url: str) -> None:
    s = make_engagement(container)
    rival = make_engagement(container)
    _more_engagements(container, s, 52)
    with container.uow() as uow:
        last = next(e for e in service.list_engagements(uow, s.developer.principal) if e.title == "Review 052")
        service.close(uow, s.developer.principal, last.id)

    with _as(base_url, s.developer) as dev:
        first = dev.get("/engagements")
        assert first.status_code == 200
        assert count(first.text, TABLE) == "1–50 of 53 engagements"
        assert rival.engagement.title not in first.text
        second = dev.get(pager_links(first.text)["2"])
        assert count(second.text, TABLE) == "51–53 of 53 engagements"
        assert set(column(first.text, TABLE, 0)).isdisjoint(column(second.text, TABLE, 0))
        by_title = dev.get("/engagements", params={"sort": "title"})
        assert column(by_title.text, TABLE, 0)[:3] == ["Review 001", "Review 002", "Review 003"]
        assert table(by_title.text, TABLE).sorted_header == ("Engagement", "ascending")
        ends = column(dev.get("/engagements", params={"sort": "title", "dir": "desc"}).text, TABLE, 0)
        assert ends[0] == s.engagement.title
        closed = dev.get("/engagements", params={"state": "closed"})
        assert column(closed.text, TABLE, 0) == ["Review 052"]
        assert count(dev.get("/engagements", params={"q": "review 05"}).text, TABLE) == "3 engagements"
        # The rival's engagement by its title, or its developer named in a filter: nothing more.
        named = dev.get("/engagements", params={"q": rival.engagement.title})
        assert count(named.text, TABLE) == "No engagements match the filters"
        assert table(named.text, TABLE).rows == [["No engagements match the filters."]]
        other = dev.get("/engagements", params={"developer": str(rival.engagement.developer_org_id)})
        assert 'id="engagements-table-developer"' not in other.text and count(other.text, TABLE) == "1–50 of 53 engagements"
        assert rival.engagement.title not in other.text
        bad = dev.get("/engagements", params={"sort": "nope", "dir": "sideways", "page": "x", "state": "open"})
        assert bad.status_code == 200 and count(bad.text, TABLE) == "1–50 of 53 engagements"
        assert dev.get("/engagements", params={"page": "999"}).status_code == 200

    with _as(base_url, s.program_office) as po:
        everything = po.get("/engagements", params={"sort": "developer"})
        assert count(everything.text, TABLE) == "1–50 of 54 engagements"
        only = po.get("/engagements", params={"developer": str(rival.engagement.developer_org_id)})
        assert column(only.text, TABLE, 0) == [rival.engagement.title]

    with _as(base_url, s.reviewer) as reviewer:
        assert count(reviewer.get("/engagements").text, TABLE) == "1–50 of 53 engagements"
    with container.uow() as uow:
        part = next(p for p in s.engagement.participants if p.organization_id == s.agency.id)
        participants_api.revoke_participant(uow, s.developer.principal, s.engagement.id, part.id)
    with _as(base_url, s.reviewer) as reviewer:
        page = reviewer.get("/engagements", params={"q": s.engagement.title})
        assert count(page.text, TABLE) == "No engagements match the filters"
        assert count(reviewer.get("/engagements").text, TABLE) == "1–50 of 52 engagements"


def test_severity_counts_follow_the_tlp_audience(container: Container, base_url: str) -> None:
    s = make_engagement(container)
    _file(container, s.reviewer, s, "Red one", severity="critical", tlp="TLP:RED", recipients=[s.developer.principal.user_id])
    _file(container, s.reviewer, s, "Amber one", severity="high")

    def counts(person: Person) -> str:
        with _as(base_url, person) as client:
            text = client.get("/engagements").text
        row = next(r for r in table(text, TABLE).rows if r[0] == s.engagement.title)
        return row[-1]

    assert counts(s.developer) == "1 critical 1 high"  # named on the TLP:RED finding
    assert counts(s.program_office) == "1 high"  # not named: not counted
    with _as(base_url, s.reviewer) as reviewer:
        assert "Findings by severity" not in reviewer.get("/engagements").text


def test_findings_tab(container: Container, base_url: str) -> None:
    s = make_engagement(container)
    rival = make_engagement(container)
    for i in range(1, 53):
        _file(container, s.reviewer, s, f"Finding {i:03d}", severity="low" if i % 2 else "high")
    _file(container, s.reviewer, s, "Secret red", severity="critical", tlp="TLP:RED", recipients=[s.developer.principal.user_id])
    _file(container, s.partner_reviewer, s, "Partner green", tlp="TLP:GREEN")
    path = f"/engagements/{s.engagement.id}"

    with _as(base_url, s.developer) as dev:
        first = dev.get(path, params={"f_sort": "title"})
        assert count(first.text, "findings-table") == "1–50 of 54 findings"
        assert column(first.text, "findings-table", 0)[:2] == ["Finding 001", "Finding 002"]
        link = pager_links(first.text)["2"]
        assert link.endswith("#findings") and "f_sort=title" in link
        second = dev.get(link.split("#")[0])
        assert column(second.text, "findings-table", 0) == ["Finding 051", "Finding 052", "Partner green", "Secret red"]
        assert count(second.text, "findings-table") == "51–54 of 54 findings"
        severe = dev.get(path, params={"f_severity": "critical"})
        assert column(severe.text, "findings-table", 0) == ["Secret red"]
        bad = dev.get(path, params={"f_sort": "nope", "f_page": "-3", "f_tlp": "purple", "p_sort": "x"})
        assert bad.status_code == 200 and count(bad.text, "findings-table") == "1–50 of 54 findings"
        rival_search = dev.get(path, params={"f_q": rival.engagement.title})
        assert count(rival_search.text, "findings-table") == "No findings match the filters"

    with _as(base_url, s.program_office) as po:
        page = po.get(path, params={"f_q": "Secret red"})
        assert count(page.text, "findings-table") == "No findings match the filters"
        assert "1 critical" not in po.get(path).text
        assert count(po.get(path).text, "findings-table") == "1–50 of 53 findings"
    with _as(base_url, s.partner_reviewer) as partner:
        # TLP:AMBER is for the organizations with a need to know; the partner sees only its own.
        assert column(partner.get(path).text, "findings-table", 0) == ["Partner green"]
    with _as(base_url, rival.developer) as other:
        assert other.get(path, params={"f_q": "Finding"}).status_code == 404


def test_participants_table(container: Container, base_url: str) -> None:
    s = make_engagement(container)
    path = f"/engagements/{s.engagement.id}"
    with _as(base_url, s.developer) as dev:
        page = dev.get(path)
        assert count(page.text, "participants-table") == "2 participants"
        assert column(page.text, "participants-table", 0) == sorted([s.agency.name, s.partner.name], key=str.lower)
        partner_only = dev.get(path, params={"p_cohort": "partner"})
        assert column(partner_only.text, "participants-table", 0) == [s.partner.name]
        assert dev.get(path, params={"p_sort": "cohort", "p_dir": "desc"}).status_code == 200
        assert count(dev.get(path, params={"p_terms": "pending"}).text, "participants-table") == (
            "No participants match the filters"
        )
    with _as(base_url, s.reviewer) as reviewer:
        own = reviewer.get(path, params={"p_q": s.partner.name})
        assert count(own.text, "participants-table") == "No participants match the filters"
        assert column(reviewer.get(path).text, "participants-table", 0) == [s.agency.name]
    with container.uow() as uow:
        part = next(p for p in s.engagement.participants if p.organization_id == s.partner.id)
        participants_api.revoke_participant(uow, s.developer.principal, s.engagement.id, part.id)
    with _as(base_url, s.partner_reviewer) as partner:
        assert partner.get(path, params={"p_status": "revoked"}).status_code == 404
        listed = partner.get("/engagements", params={"q": s.engagement.title})
        assert count(listed.text, TABLE) == "No engagements match the filters"


def test_partners_table(container: Container, base_url: str) -> None:
    s = make_engagement(container)
    rival = make_engagement(container)
    with container.uow() as uow:
        service.invite(uow, rival.developer.principal, rival.engagement.id, organization_id=s.partner.id)
    now = container.clock.now()
    orgs = [make_org(container, OrgKind.PARTNER, name=f"Partner {i:03d}") for i in range(1, 50)]
    with container.uow() as uow:
        for i, org in enumerate(orgs, start=1):
            partners.designate(
                uow,
                SYSTEM,
                organization_id=org.id,
                sector="water",
                basis="Runs a water utility.",
                expires_at=now + timedelta(days=i),
            )
    with _as(base_url, s.program_office) as po:
        first = po.get("/partners")
        assert count(first.text, "designations-table") == "1–50 of 51 designations"
        assert count(po.get(pager_links(first.text)["2"]).text, "designations-table") == "51–51 of 51 designations"
        energy = po.get("/partners", params={"sector": "energy"})
        assert count(energy.text, "designations-table") == "2 designations"
        by_name = po.get("/partners", params={"sort": "organization", "q": "partner 00"})
        assert column(by_name.text, "designations-table", 0)[:2] == ["Partner 001", "Partner 002"]
        assert po.get("/partners", params={"sort": "?", "status": "?", "page": "0"}).status_code == 200
    with _as(base_url, s.developer) as dev:
        mine = dev.get("/partners", params={"q": s.partner.name})
        row = next(r for r in table(mine.text, "designations-table").rows if r[0] == s.partner.name)
        assert s.engagement.title in row[-1] and rival.engagement.title not in mine.text


def _sql_ids(container: Container, reader: Principal) -> set[object]:
    with container.uow() as uow:
        return set(uow.session.scalars(select(Engagement.id).where(browse.readable(reader, uow.clock.now()))))


def _rule_ids(container: Container, reader: Principal) -> set[object]:
    with container.uow() as uow:
        rows = list(uow.session.scalars(select(Engagement)))
        refs = load_refs(uow, rows).refs
        now = uow.clock.now()
        return {r.id for r in rows if decide(uow, reader, Permission.ENGAGEMENT_READ, refs[r.id], now).allowed}


def test_sql_visibility_equals_the_rule(container: Container, clock: FrozenClock) -> None:
    a = make_engagement(container)
    b = make_engagement(container, offer=False)  # a draft
    c = make_engagement(container)
    with container.uow() as uow:
        part = next(p for p in a.engagement.participants if p.organization_id == a.agency.id)
        participants_api.revoke_participant(uow, a.developer.principal, a.engagement.id, part.id)
        participants_api.revoke_user(uow, c.developer.principal, c.engagement.id, c.reviewer.principal.user_id)
        service.invite(uow, c.developer.principal, c.engagement.id, organization_id=a.partner.id)
    outsider = make_user(container, make_org(container, OrgKind.CLEARINGHOUSE), role=Role.ADMIN)
    readers = [
        getattr(s, name).principal
        for s in (a, b, c)
        for name in ("developer", "agency_admin", "reviewer", "partner_admin", "partner_reviewer", "program_office")
    ]
    readers += [outsider.principal, SYSTEM]
    for moment in (timedelta(0), timedelta(days=400)):  # the partners' designations lapse after a year
        clock.advance(moment)
        for reader in readers:
            assert _sql_ids(container, reader) == _rule_ids(container, reader), reader.label


def test_audit_names_engagements_and_findings_only_for_readers(container: Container) -> None:
    s = make_engagement(container)
    rival = make_engagement(container)
    _file(container, s.reviewer, s, "Named red", severity="critical", tlp="TLP:RED", recipients=[s.developer.principal.user_id])
    with container.uow() as uow:
        finding = service.list_findings(uow, s.developer.principal, s.engagement.id)[0]
    wanted = [("engagement", str(s.engagement.id)), ("finding", str(finding.id)), ("engagement", "not-a-uuid")]

    def names(person: Person) -> dict[tuple[str, str], str]:
        with container.uow() as uow:
            return {k: v.name for k, v in name_targets(uow, person.principal, wanted).items()}

    assert names(s.developer) == {
        ("engagement", str(s.engagement.id)): s.engagement.title,
        ("finding", str(finding.id)): "Named red",
    }
    assert names(s.program_office) == {("engagement", str(s.engagement.id)): s.engagement.title}  # RED, not named
    assert names(rival.developer) == {}
    with container.uow() as uow:
        part = next(p for p in s.engagement.participants if p.organization_id == s.agency.id)
        participants_api.revoke_participant(uow, s.developer.principal, s.engagement.id, part.id)
    assert names(s.reviewer) == {}  # the finder, revoked: nothing of the engagement
