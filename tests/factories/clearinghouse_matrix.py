"""A clearinghouse world with every principal shape and one record of each kind, for route matrices.

Used by ``tests/api/test_clearinghouse_matrix_http.py`` (every REST route × actor) and
``tests/api/test_clearinghouse_bad_input.py``. Everything is made through the services, as the
product would: reports submitted, addressed, validated; scans registered (two overlap); an incident
reported, triaged and referred to a law-enforcement agency; a webhook subscription.

Routes that change a record get a fresh record per actor allowed to make the change
(``{key}_{actor}``), and a shared one for every other actor: a refusal must find the record in the
same state whoever asked before.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from frontier_review.bootstrap import Container
from frontier_review.clearinghouse import patches, reports
from frontier_review.clearinghouse.incidents import service as incidents
from frontier_review.clearinghouse.scans import service as scans
from frontier_review.clearinghouse.subscriptions import service as subscriptions
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role, Sector
from tests.factories.clearinghouse import submit
from tests.factories.identity import SYSTEM, Person, api_token, make_org, make_superuser, make_user
from tests.factories.incidents import make_law_enforcement, report

ANONYMOUS = "anonymous"
DEACTIVATED = "deactivated"  # a bank member's API token, issued before the account was deactivated
ACTORS = [
    "operator",  # platform operator: a superuser without an organization
    "analyst",  # the clearinghouse's member
    "ch_admin",  # the clearinghouse's admin
    "source",  # the reports' source (a hospital system), who submitted them
    "bank",  # admin of the recipient bank: addressed, named under RED, reports the incident, subscribes
    "bank_staff",  # a member (not an admin) of the recipient bank
    "bank2",  # admin of a second bank: a member organization, never a recipient
    "validator",  # member of the agency named validator; also registers scan A
    "le",  # member of the law-enforcement agency the incident is referred to; registers scan B
    "po",  # program office
    "dev",  # a developer
    DEACTIVATED,
    ANONYMOUS,
]
WEBHOOK = "http://127.0.0.1:9/hooks/frontier-review"  # loopback: the matrix's container allows private targets
_ranges = itertools.count(1)


@dataclass
class World:
    """The people (with API tokens) and the ids the matrix's routes name (``{key}`` in a route)."""

    people: dict[str, Person]
    tokens: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)


def _people(container: Container) -> tuple[dict[str, Person], dict[str, uuid.UUID]]:
    treasury = make_org(container, OrgKind.CLEARINGHOUSE, name="Treasury Clearinghouse")
    hospital = make_org(container, OrgKind.PARTNER, name="Mercy Health", sector=Sector.HEALTHCARE_AND_PUBLIC_HEALTH)
    bank = make_org(container, OrgKind.PARTNER, name="First Federal", sector=Sector.FINANCIAL_SERVICES)
    bank2 = make_org(container, OrgKind.PARTNER, name="Second National", sector=Sector.FINANCIAL_SERVICES)
    agency = make_org(container, OrgKind.AGENCY, name="DHS CISA")
    fbi = make_law_enforcement(container, "FBI Cyber Division")
    people = {
        "operator": make_superuser(container),
        "analyst": make_user(container, treasury),
        "ch_admin": make_user(container, treasury, role=Role.ADMIN),
        "source": make_user(container, hospital),
        "bank": make_user(container, bank, role=Role.ADMIN),
        "bank_staff": make_user(container, bank),
        "bank2": make_user(container, bank2, role=Role.ADMIN),
        "validator": make_user(container, agency),
        "le": make_user(container, fbi),
        "po": make_user(container, make_org(container, OrgKind.PROGRAM_OFFICE, name="Program office")),
        "dev": make_user(container, make_org(container, OrgKind.DEVELOPER, name="Model developer")),
        DEACTIVATED: make_user(container, bank),
    }
    orgs = {"treasury": treasury.id, "hospital": hospital.id, "bank": bank.id, "bank2": bank2.id, "agency": agency.id}
    return people, orgs | {"fbi": fbi.id}


def _per_actor(ids: dict[str, str], key: str, actors: Iterable[str], shared: str, make: Callable[[str], str]) -> None:
    """``{key}_{actor}``: a fresh record for each actor that may change it, the shared one for the rest."""
    own = {actor: make(actor) for actor in actors}
    for actor in ACTORS:
        ids[f"{key}_{actor}"] = own.get(actor, shared)


class _Reports:
    """Reports of the hospital (the source), addressed to the bank; the agency is named validator."""

    def __init__(self, container: Container, people: dict[str, Person], orgs: dict[str, uuid.UUID]) -> None:
        self.c, self.p, self.orgs = container, people, orgs

    def make(
        self, tlp: str = "TLP:AMBER", *, validator: bool = True, validated: bool = True, people: tuple[str, ...] = ()
    ) -> str:
        orgs = [self.orgs["bank"]] if tlp.startswith("TLP:AMBER") else []
        named = [self.p[a].user.id for a in people]
        view = submit(self.c, self.p["source"], tlp=tlp, title=f"Parser overflow ({tlp})", orgs=orgs, people=named)
        analyst = self.p["analyst"].principal
        with self.c.uow() as uow:
            if validator:
                reports.name_validator(uow, analyst, view.id, organization_id=self.orgs["agency"])
            if validated:
                reports.validate(uow, analyst, view.id, reproduced=True, versions_confirmed=True, notes="reproduced")
        return str(view.id)

    def coordinating(self) -> str:
        report_id = self.make()
        with self.c.uow() as uow:
            reports.advance(uow, self.p["analyst"].principal, uuid.UUID(report_id), to="triaged")
        with self.c.uow() as uow:
            reports.advance(uow, self.p["analyst"].principal, uuid.UUID(report_id), to="coordinating")
        return report_id


def _fix(container: Container, person: Person, report_id: str) -> str:
    with container.uow() as uow:
        fix = patches.add_fix(
            uow, person.principal, uuid.UUID(report_id), patches.FixInput("2.3.2", "2026-06-01", "https://example.org/fix")
        )
    return str(fix.id)


def _with_fix(container: Container, person: Person, report_id: str) -> str:
    _fix(container, person, report_id)
    return report_id


def _cidr() -> str:
    return f"10.{next(_ranges) % 250}.0.0/16"


def _scan(container: Container, person: Person, target: uuid.UUID, cidr: str) -> str:
    start = container.clock.now() + timedelta(days=2)
    with container.uow() as uow:
        view = scans.register_scan(
            uow,
            person.principal,
            target_org_id=target,
            ranges=[cidr],
            starts_at=start,
            ends_at=start + timedelta(days=3),
            model_text="scanning agent",
            purpose="external surface",
        )
    return str(view.id)


def _overlap(container: Container, people: dict[str, Person], bank: uuid.UUID) -> tuple[str, str, str]:
    """Scan A (the agency's) and scan B (law enforcement's) of the bank's same range: (A, B, overlap)."""
    cidr = _cidr()
    first = _scan(container, people["validator"], bank, cidr)
    second = _scan(container, people["le"], bank, cidr)
    with container.uow() as uow:
        [overlap] = scans.list_overlaps(uow, people["validator"].principal, uuid.UUID(first))
    return first, second, str(overlap.id)


def _objected(container: Container, people: dict[str, Person], bank: uuid.UUID, actor: str) -> str:
    scan_id = _scan(container, people["validator"], bank, _cidr())
    with container.uow() as uow:
        scans.object_to_scan(uow, people[actor].principal, uuid.UUID(scan_id), reason="quarter close")
    return scan_id


def _incident(container: Container, people: dict[str, Person], fbi: uuid.UUID, *, to: str = "") -> str:
    """The bank's TLP:AMBER incident; ``to``: ``under_review``, or ``referred`` to the FBI."""
    view = report(container, people["bank"])
    analyst = people["analyst"].principal
    if to:
        with container.uow() as uow:
            incidents.triage(uow, analyst, view.id, status="under_review")
    if to == "referred":
        with container.uow() as uow:
            incidents.refer(uow, analyst, view.id, organization_id=fbi)
    return str(view.id)


def _subscription(container: Container, person: Person, *, webhook: bool) -> str:
    with container.uow() as uow:
        made = subscriptions.create_subscription(
            uow,
            person.principal,
            name="Banking",
            sectors=["financial_services"],
            channels=["in_app", "webhook"] if webhook else ["in_app"],
            webhook_url=WEBHOOK if webhook else None,
        )
    return str(made.subscription.id)


def make_world(container: Container, *, webhook: bool = True) -> World:
    """Every principal shape and every kind of record; see the module's docstring.

    ``webhook``: the subscriptions send webhooks to loopback (the container must allow private
    targets); without it they notify in the app only."""
    people, orgs = _people(container)
    tokens = {name: api_token(container, p) for name, p in people.items()}
    with container.uow() as uow:
        identity.update_user(uow, SYSTEM, people[DEACTIVATED].user.id, is_active=False)
    w = World(people, tokens, {k: str(v) for k, v in orgs.items()} | {"deactivated_user": str(people[DEACTIVATED].user.id)})
    del people[DEACTIVATED]
    r = _Reports(container, people, orgs)
    amber = r.make()
    w.ids |= {
        "clear": r.make("TLP:CLEAR"),
        "clear_unvalidated": r.make("TLP:CLEAR", validated=False),
        "green": r.make("TLP:GREEN"),
        "amber": amber,
        "strict": r.make("TLP:AMBER+STRICT"),
        "amber_unvalidated": r.make(validated=False),
        "red": r.make("TLP:RED", people=("bank", "analyst")),
        "bank_user": str(people["bank"].user.id),
    }
    clearinghouse = ("analyst", "ch_admin")
    _per_actor(w.ids, "triage", clearinghouse, amber, lambda _a: r.make())
    _per_actor(w.ids, "relabel", ("source", *clearinghouse), amber, lambda _a: r.make())
    _per_actor(w.ids, "name", clearinghouse, w.ids["amber_unvalidated"], lambda _a: r.make(validator=False, validated=False))
    _per_actor(w.ids, "validate", ("validator", *clearinghouse), w.ids["amber_unvalidated"], lambda _a: r.make(validated=False))
    _per_actor(w.ids, "merge", clearinghouse, amber, lambda _a: r.make())
    _per_actor(w.ids, "disclose", clearinghouse, amber, lambda _a: r.coordinating())
    _per_actor(w.ids, "reject", clearinghouse, amber, lambda _a: r.make())

    scan_a, scan_b, overlap = _overlap(container, people, orgs["bank"])
    w.ids |= {"scan_a": scan_a, "scan_b": scan_b, "overlap": overlap}
    _per_actor(w.ids, "cancel", ("validator",), scan_a, lambda _a: _scan(container, people["validator"], orgs["bank"], _cidr()))
    _per_actor(w.ids, "overlap", clearinghouse, overlap, lambda _a: _overlap(container, people, orgs["bank"])[2])
    _per_actor(w.ids, "objected", ("bank", "bank_staff"), scan_a, lambda a: _objected(container, people, orgs["bank"], a))

    w.ids["incident"] = _incident(container, people, orgs["fbi"], to="referred")
    shared = w.ids["incident"]
    _per_actor(w.ids, "inc_triage", clearinghouse, shared, lambda _a: _incident(container, people, orgs["fbi"]))
    _per_actor(w.ids, "inc_refer", clearinghouse, shared, lambda _a: _incident(container, people, orgs["fbi"], to="under_review"))
    reporters = ("bank", "bank_staff", *clearinghouse)
    _per_actor(w.ids, "inc_relabel", reporters, shared, lambda _a: _incident(container, people, orgs["fbi"], to="referred"))

    # Patches: a fix of the AMBER report (so the bank, to which it is addressed, has a record);
    # a fix for each actor that may correct one; a record for each bank member that may move one.
    w.ids["fix"] = _fix(container, people["analyst"], amber)
    _per_actor(w.ids, "fix", ("source", *clearinghouse), w.ids["fix"], lambda a: _fix(container, people[a], amber))
    _per_actor(w.ids, "mine", ("bank", "bank_staff"), amber, lambda _a: _with_fix(container, people["analyst"], r.make()))

    w.ids["subscription"] = _subscription(container, people["bank"], webhook=webhook)
    _per_actor(
        w.ids,
        "unsubscribe",
        ("bank",),
        w.ids["subscription"],
        lambda _a: _subscription(container, people["bank"], webhook=webhook),
    )
    now = container.clock.now()
    w.ids |= {"start": (now + timedelta(days=40)).isoformat(), "end": (now + timedelta(days=41)).isoformat()}
    return w
