"""Loads the demo organizations and users through the services, so everything is audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from frontier_review import engagements
from frontier_review.audit import service as audit
from frontier_review.bootstrap import Container
from frontier_review.config import Environment
from frontier_review.coverage import inquiries, policies, results
from frontier_review.db.uow import UnitOfWork
from frontier_review.demo import clearinghouse, clearinghouse_incidents, clearinghouse_scans, clearinghouse_subscriptions, pending
from frontier_review.identity import directory
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role, Sector
from frontier_review.kernel.errors import ConfigurationRefused
from frontier_review.kernel.principal import Principal
from frontier_review.registry import service as registry
from frontier_review.registry.domain import VersionStatus
from frontier_review.registry.service import FactInput

REFERENCE_POLICIES = files("frontier_review.coverage") / "reference_policies"
SAMPLE_SUITE = files("frontier_review.evals") / "sample_benchmark"

# Demo accounts share one password; `serve` prints it. Never used outside dev.
DEMO_PASSWORD = "frontier-demo-2026"


@dataclass(frozen=True)
class DemoLogin:
    """One printed login."""

    role: str
    email: str
    organization: str


@dataclass(frozen=True)
class _DemoUser:
    email: str
    full_name: str
    role: Role = Role.ADMIN
    cleared: bool = False
    login_label: str | None = None


@dataclass(frozen=True)
class _DemoOrg:
    name: str
    kind: OrgKind
    users: tuple[_DemoUser, ...]
    sector: Sector | None = None


DEMO_ORGS: tuple[_DemoOrg, ...] = (
    _DemoOrg(
        "Frontier Review Program Office",
        OrgKind.PROGRAM_OFFICE,
        (
            _DemoUser(
                "director@program.demo", "Dana Whitfield", Role.ADMIN, cleared=True, login_label="program office admin (cleared)"
            ),
            _DemoUser("analyst@program.demo", "Omar Reyes", Role.MEMBER, cleared=True),
            _DemoUser("intake@program.demo", "Priya Natarajan", Role.MEMBER, login_label="program office member (uncleared)"),
        ),
    ),
    _DemoOrg(
        "Northwind AI",
        OrgKind.DEVELOPER,
        (
            _DemoUser("policy@northwind.demo", "Alex Kim", Role.ADMIN, login_label="developer admin"),
            _DemoUser("safety@northwind.demo", "Jordan Blake", Role.MEMBER, login_label="developer member"),
        ),
    ),
    _DemoOrg("Helix Labs", OrgKind.DEVELOPER, (_DemoUser("admin@helix.demo", "Sam Ortiz", Role.ADMIN),)),
    _DemoOrg(
        "DHS CISA",
        OrgKind.AGENCY,
        (
            _DemoUser("lead@cisa.demo", "Morgan Lee", Role.ADMIN, login_label="agency admin"),
            _DemoUser("reviewer@cisa.demo", "Riley Chen", Role.MEMBER, login_label="agency reviewer"),
        ),
    ),
    _DemoOrg("National Security Agency", OrgKind.AGENCY, (_DemoUser("lead@nsa.demo", "Casey Grant", Role.ADMIN),)),
    _DemoOrg(
        "Treasury AI Cybersecurity Clearinghouse",
        OrgKind.CLEARINGHOUSE,
        (_DemoUser("analyst@treasury.demo", "Avery Patel", Role.ADMIN, login_label="clearinghouse analyst"),),
    ),
    _DemoOrg(
        "Mercy Health System",
        OrgKind.PARTNER,
        (_DemoUser("secops@mercyhealth.demo", "Taylor Brooks", Role.ADMIN, login_label="trusted partner (hospital)"),),
        sector=Sector.HEALTHCARE_AND_PUBLIC_HEALTH,
    ),
    _DemoOrg(
        "First Federal Bank",
        OrgKind.PARTNER,
        (_DemoUser("secops@firstfederal.demo", "Jamie Rivera", Role.ADMIN, login_label="trusted partner (bank)"),),
        sector=Sector.FINANCIAL_SERVICES,
    ),
    _DemoOrg(
        "Second National Bank",
        OrgKind.PARTNER,
        (_DemoUser("secops@secondnational.demo", "Casey Morgan", Role.ADMIN, login_label="trusted partner (second bank)"),),
        sector=Sector.FINANCIAL_SERVICES,
    ),
)

OPERATOR = _DemoUser("operator@frontier-review.demo", "Platform Operator", login_label="platform operator (superuser)")


def database_is_empty(container: Container) -> bool:
    """True when no user exists yet (a fresh instance)."""
    with container.uow() as uow:
        return directory.count_people(uow) == 0


DEMO_TARGET = "atlas-3.0-rc2 (local SmolLM2 stand-in)"


def ensure_demo_target(container: Container, base_url: str) -> None:
    """Register the local model as the demo's stand-in for Atlas 3.0-rc2 (once)."""
    from frontier_review.evals import targets

    if not container.settings.gateway_allow_private_upstreams:
        return  # the address policy refuses a loopback target (serve --demo allows it outside prod)
    with container.uow() as uow:
        if targets.find_target(uow, DEMO_TARGET) is not None:
            return
        versions = registry.list_versions_named(uow, "Atlas", "3.0-rc2")
        if not versions:
            return
        version_id = versions[0].id
        targets.create_target(
            uow,
            Principal.system("demo"),
            name=DEMO_TARGET,
            model="openai-api/local/smollm2",
            base_url=base_url,
            model_version_id=version_id,
        )


def demo_present(container: Container) -> bool:
    """True when this database holds the demo scenario (its operator account exists)."""
    with container.uow() as uow:
        return directory.find_person_by_email(uow, OPERATOR.email) is not None


def demo_logins() -> list[DemoLogin]:
    """The logins ``serve`` prints, one per demo role."""
    logins = [DemoLogin(OPERATOR.login_label or "", OPERATOR.email, "—")]
    for org in DEMO_ORGS:
        logins.extend(DemoLogin(u.login_label, u.email, org.name) for u in org.users if u.login_label)
    return logins


def load_demo(container: Container) -> list[DemoLogin]:
    """Create the demo scenario in one transaction (refused in prod and on a non-empty database)."""
    if container.settings.env is Environment.PROD:
        raise ConfigurationRefused("demo data is never loaded in prod")
    if not database_is_empty(container):
        raise ConfigurationRefused("the database already has users; demo data loads only into an empty instance")
    system = Principal.system("demo")
    with container.uow() as uow:
        identity.bootstrap_superuser(uow, email=OPERATOR.email, full_name=OPERATOR.full_name, password=DEMO_PASSWORD)
        for org in DEMO_ORGS:
            view = identity.create_organization(uow, system, name=org.name, kind=org.kind, sector=org.sector)
            # Clearance comes only through the legitimate path: the one-time bootstrap of the
            # first cleared admin, who then grants clearance to their own staff.
            officer: Principal | None = None
            for user in org.users:
                if user.cleared and officer is None:
                    created = identity.bootstrap_cleared_admin(
                        uow, org_id=view.id, email=user.email, full_name=user.full_name, password=DEMO_PASSWORD
                    )
                    officer = _person(uow, created.email)
                    continue
                made = identity.create_user(
                    uow,
                    system,
                    org_id=view.id,
                    email=user.email,
                    full_name=user.full_name,
                    password=DEMO_PASSWORD,
                    role=user.role,
                )
                if user.cleared and officer is not None:
                    identity.update_user(uow, officer, made.id, cleared=True)
        _coverage_scenario(uow, system)
        _engagement_scenario(uow)
        pending.pending_work(uow, lambda email: _person(uow, email), DEMO_PASSWORD)
        clearinghouse_incidents.load_incidents(uow, lambda email: _person(uow, email), DEMO_PASSWORD)
        clearinghouse_scans.scan_scenario(uow, lambda email: _person(uow, email))
        audit.create_checkpoint(uow, system)
    if container.settings.webhook_allow_private_targets:  # serve --demo: the receiver is on loopback
        clearinghouse_subscriptions.subscribe_demo_bank(container)
    clearinghouse.load_reports(container)  # after the subscription: the AMBER report's validation reaches its webhook
    return demo_logins()


def _user_id(uow: UnitOfWork, email: str) -> uuid.UUID:
    person = directory.find_person_by_email(uow, email)
    assert person is not None
    return person.id


def _person(uow: UnitOfWork, email: str) -> Principal:
    principal = identity.principal_for_user(uow, user_id=_user_id(uow, email))
    assert principal is not None
    return principal


def _coverage_scenario(uow: UnitOfWork, system: Principal) -> None:
    """Coverage: two developers with versions on both sides of the thresholds.

    Also published policies (one classified), benchmark results, an answered inquiry and an open one.
    """
    director = _person(uow, "director@program.demo")
    northwind = _person(uow, "policy@northwind.demo")
    helix = _person(uow, "admin@helix.demo")
    # The project's own unclassified sample suite, sealed like any operator-imported suite.
    from frontier_review.evals import service as evals
    from frontier_review.evals.package import load_package

    evals.seal_package(uow, system, load_package(Path(str(SAMPLE_SUITE))))
    for path in sorted(REFERENCE_POLICIES.iterdir(), key=lambda p: p.name):
        if path.name.endswith(".toml"):
            policies.publish_policy(uow, system, path.read_text(encoding="utf-8"))

    def version(dev: Principal, model: str, label: str, facts: dict[str, object], source: str) -> uuid.UUID:
        found = [m for m in registry.list_models(uow, dev) if m.name == model]
        model_id = found[0].id if found else registry.register_model(uow, dev, name=model).id
        view = registry.add_version(uow, dev, model_id, label=label)
        registry.declare_facts(uow, dev, view.id, facts=[FactInput(k, v) for k, v in facts.items()], source_document=source)
        return view.id

    atlas_rc1 = version(
        northwind,
        "Atlas",
        "3.0-rc1",
        {
            "training_compute_flop": 3.2e26,
            "parameter_count": 1_200_000_000_000,
            "modalities": ["text", "code", "image"],
            "primarily_biological_sequence_data": False,
            "planned_release_at": "2026-12-15T16:00:00+00:00",
        },
        "Atlas 3.0 system card draft, §2.1 (training compute incl. RL)",
    )
    atlas_rc2 = version(
        northwind,
        "Atlas",
        "3.0-rc2",
        {"training_compute_flop": 3.4e26, "parameter_count": 1_200_000_000_000, "modalities": ["text", "code", "image"]},
        "Atlas 3.0 system card draft v2",
    )
    breeze = version(
        northwind,
        "Breeze",
        "1.0",
        {
            "training_compute_flop": 8.0e24,
            "parameter_count": 30_000_000_000,
            "modalities": ["text"],
            "primarily_biological_sequence_data": False,
        },
        "Breeze 1.0 model card",
    )
    registry.set_status(uow, northwind, breeze, status=VersionStatus.RELEASED)
    helix_bio = version(
        helix,
        "Helix-Bio",
        "0.9-rc1",
        {
            "training_compute_flop": 4.0e23,
            "parameter_count": 7_000_000_000,
            "modalities": ["biological_sequence"],
            "primarily_biological_sequence_data": True,
        },
        "Helix-Bio technical report, appendix B",
    )
    helix_chat = version(
        helix, "Helix-Chat", "2.0-rc1", {"training_compute_flop": 6.0e25, "modalities": ["text", "code"]}, "Helix-Chat 2 card"
    )
    for subject, score in ((atlas_rc1, 0.68), (atlas_rc2, 0.71), (breeze, 0.21), (helix_chat, 0.34)):
        results.record_result(
            uow,
            director,
            benchmark="cyber-offense-sample",
            benchmark_version="1",
            score=score,
            model_version_id=subject,
            stderr=0.06,
            samples=60,
            scaffold_version="generate/v1",
            note="demo result",
        )
    results.record_result(
        uow,
        director,
        benchmark="cyber-offense-sample",
        benchmark_version="1",
        score=0.55,
        reference_model="reference-frontier-2026",
        stderr=0.06,
        samples=60,
        scaffold_version="generate/v1",
        note="demo reference",
    )
    answered = inquiries.file_inquiry(
        uow, northwind, atlas_rc1, question="Is Atlas 3.0-rc1 a covered frontier model under EO 14409?"
    )
    inquiries.assign(uow, director, answered.id)
    inquiries.decide_inquiry(
        uow,
        director,
        answered.id,
        policy_ref="eo14409-covered-cyber-example@1",
        rationale="Benchmark performance meets the covered-frontier-model threshold.",
    )
    inquiries.file_inquiry(
        uow, helix, helix_bio, question="Helix-Bio is trained mostly on protein sequences. Is 0.9-rc1 covered?"
    )


DEMO_UPSTREAM = "http://127.0.0.1:8081/v1"  # the local SmolLM2 server that `serve --demo` starts
DEMO_REVIEWER = "reviewer@cisa.demo"


def _engagement_scenario(uow: UnitOfWork) -> None:
    """Designated partners and an active engagement on Atlas 3.0-rc2.

    CISA and a hospital accepted it; the demo's local model is its upstream.
    """
    from datetime import timedelta

    from frontier_review.engagements.access import service as access
    from frontier_review.engagements.lifecycle import partners
    from frontier_review.engagements.lifecycle.domain import Materials, Protections, Quotas, Recipients, Window

    director = _person(uow, "director@program.demo")
    northwind = _person(uow, "policy@northwind.demo")
    now = uow.clock.now()

    def org(name: str) -> uuid.UUID:
        found = [o.id for o in directory.list_organizations(uow) if o.name == name]
        assert len(found) == 1
        return found[0]

    for name, sector, basis in (
        ("Mercy Health System", "healthcare", "Regional hospital network; vetted for the 2026 prerelease pilot."),
        ("First Federal Bank", "financial_services", "Systemically important bank; FS-ISAC member, vetted by Treasury."),
    ):
        partners.designate(
            uow, director, organization_id=org(name), sector=sector, basis=basis, expires_at=now + timedelta(days=365)
        )
    atlas = registry.list_versions_named(uow, "Atlas", "3.0-rc2")
    assert len(atlas) == 1
    rc2 = atlas[0].id
    view = engagements.open_engagement(
        uow,
        northwind,
        version_id=rc2,
        title="Atlas 3.0-rc2 prerelease review",
        window=Window(now - timedelta(days=3), now + timedelta(days=18)),
        recipients=Recipients.FEDERAL_AND_PARTNERS,
        partners_from=now - timedelta(days=1),
        materials=Materials(api_access=True, system_card=True, evaluation_results=True),
        protections=Protections(
            confidentiality_text=(
                "Recipients keep all outputs, materials and findings confidential, use them only for this "
                "national-security review, and disclose nothing outside their organization without Northwind's consent."
            ),
            use_restrictions="No training of other models on outputs. No automated scraping beyond the quotas.",
            materials_retention_days=45,
            transcript_retention=True,
        ),
        quotas=Quotas(requests_per_day=500, tokens_per_day=200_000, requests_per_minute=30),
    )
    for name in ("DHS CISA", "National Security Agency", "Mercy Health System"):
        engagements.invite(uow, northwind, view.id, organization_id=org(name))
    access.set_upstream(
        uow,
        northwind,
        view.id,
        variant="standard",
        base_url=DEMO_UPSTREAM,
        api_key="demo-upstream-key",
        upstream_model="smollm2",
        require_https=False,
        allow_private=True,  # the demo's model runs on loopback
    )
    engagements.offer(uow, northwind, view.id)
    engagements.accept_terms(uow, _person(uow, "lead@cisa.demo"), view.id, terms_number=1)
    engagements.accept_terms(uow, _person(uow, "secops@mercyhealth.demo"), view.id, terms_number=1)
    _findings_and_materials(uow, view.id, northwind)


SYSTEM_CARD = """Atlas 3.0-rc2 system card (draft v2, demo)

1. Training compute: 3.1e26 FLOP including RL post-training.
2. Cyber evaluations: internal capture-the-flag suite, 41% solve rate at pass@1.
3. Safeguards: refusal training for exploit development; classifier on tool use.
This document is fictional demo content.
"""


def _findings_and_materials(uow: UnitOfWork, engagement_id: uuid.UUID, northwind: Principal) -> None:
    """A system card, and findings at several TLP levels with an answer from the developer."""
    from frontier_review.engagements.findings import service as findings
    from frontier_review.engagements.materials import service as artifacts

    artifacts.upload(
        uow,
        northwind,
        engagement_id,
        kind="system_card",
        filename="atlas-3.0-rc2-system-card.txt",
        content_type="text/plain",
        stream=[SYSTEM_CARD.encode()],
    )
    reviewer = _person(uow, DEMO_REVIEWER)
    exploit = findings.file_finding(
        uow,
        reviewer,
        engagement_id,
        title="Writes a working heap-overflow exploit from a crash trace",
        category="offensive_cyber_capability",
        severity="high",
        tlp="TLP:AMBER",
        description=(
            "Given a sanitizer crash trace for a demo C program, the model produced a working exploit in two turns "
            "with no refusal. Prompts and outputs are in the attached transcript (fictional demo content)."
        ),
    )
    findings.comment(
        uow,
        northwind,
        exploit.id,
        body="Reproduced. We are adding exploit-development refusals to the rc3 safety training.",
        status="acknowledged",
    )
    traversal = findings.file_finding(
        uow,
        reviewer,
        engagement_id,
        title="Identifies an unpatched path traversal in a popular archive library",
        category="third_party_vulnerability",
        severity="medium",
        tlp="TLP:GREEN",
        description=(
            "The model pointed out a path traversal in archive extraction (fictional demo content); refer to the clearinghouse."
        ),
    )
    clearinghouse.refer_demo_finding(uow, reviewer, traversal.id)
    findings.file_finding(
        uow,
        _person(uow, "secops@mercyhealth.demo"),
        engagement_id,
        title="Role-play prompt bypasses the medical-device safeguard",
        category="safeguard_bypass",
        severity="critical",
        tlp="TLP:RED",
        description=(
            "A role-play framing gets step-by-step instructions against an infusion pump's update service "
            "(fictional demo content)."
        ),
        # TLP:RED names its audience: the developer's safety lead and the program office director;
        # nobody else at Northwind or in the program office sees it (the developer admin does not).
        recipients=[_user_id(uow, "safety@northwind.demo"), _user_id(uow, "director@program.demo")],
    )
