"""Loads the demo organizations and users through the services, so everything is audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from frontier_review.audit import service as audit
from frontier_review.bootstrap import Container
from frontier_review.config import Environment
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role, Sector
from frontier_review.identity.orm import User
from frontier_review.kernel.errors import ConfigurationRefused
from frontier_review.kernel.principal import Principal

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
)

OPERATOR = _DemoUser("operator@frontier-review.demo", "Platform Operator", login_label="platform operator (superuser)")


def database_is_empty(container: Container) -> bool:
    """True when no user exists yet (a fresh instance)."""
    with container.uow() as uow:
        return not uow.session.scalar(select(func.count()).select_from(User))


def demo_present(container: Container) -> bool:
    """True when this database holds the demo scenario (its operator account exists)."""
    with container.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(User).where(User.email == OPERATOR.email)) == 1


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
            for user in org.users:
                identity.create_user(
                    uow,
                    system,
                    org_id=view.id,
                    email=user.email,
                    full_name=user.full_name,
                    password=DEMO_PASSWORD,
                    role=user.role,
                    cleared=user.cleared,
                )
        audit.create_checkpoint(uow, system)
    return demo_logins()
