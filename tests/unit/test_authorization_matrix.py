"""The full authorization decision matrix, pinned as data (STYLE.md, Authorization).

Each ``GRID`` row is one (permission, resource) pair and each column one principal shape:
``Y`` allowed, ``.`` denied. The expectations are written by hand from the product rules,
not derived from the policy code, so changing any rule breaks exactly the cells it changes.
``MATRIX`` spells the grid out as (principal, permission, resource, expected) rows.

Principal shapes (columns):

    su    platform operator (superuser, no organization)
    sys   the system itself (``Principal.system``)
    devA  admin of developer org DEV          devM  member of DEV
    devT  devM acting through an API token
    poAc  cleared admin of the program office  poAu  uncleared admin of the program office
    poM   member of the program office
    agA   agency admin     agM  agency member
    paA   partner admin    paM  partner member
    chA   clearinghouse admin  chM  clearinghouse member

Resources: ``org:*`` are ``OrgRef``; ``user:*`` are ``UserRef`` of the principal of the same
name (``user:su`` is the operator's account); ``token:*`` are ``TokenRef`` owned by that
principal; ``org_id:*`` are bare organization ids (``org_id:none`` is None); ``none`` is None.
``dev2`` is a second developer organization that no column belongs to.

Engagements (``eng:*``, ``EngagementRef``) have the agency (government cohort) and the partner
(partner cohort) as participants: ``eng:offered`` is DEV's, offered, terms including partners;
``eng:federal_only`` the same with partners excluded; ``eng:draft`` a draft; ``eng:agency_revoked``
one where the agency's participation is revoked; ``eng:dev2`` one of DEV2's. Findings
(``finding:*``, ``FindingRef``) were filed by the agency on ``eng:offered`` with the TLP label
named (``finding:green_federal_only``: TLP:GREEN on ``eng:federal_only``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from frontier_review import composition
from frontier_review.audit.policy import RULES as AUDIT_RULES
from frontier_review.clearinghouse.incidents.policy import IncidentRef, Referral
from frontier_review.clearinghouse.incidents.policy import Relabel as IncidentRelabel
from frontier_review.clearinghouse.patches.policy import RecordRef
from frontier_review.clearinghouse.reports.policy import Relabel as ReportRelabel
from frontier_review.clearinghouse.reports.policy import ReportRef
from frontier_review.clearinghouse.scans.policy import OverlapRef, ScanRef
from frontier_review.clearinghouse.subscriptions.policy import RULES as SUBSCRIPTION_RULES
from frontier_review.clearinghouse.subscriptions.policy import SubscriberRef, SubscriptionRef
from frontier_review.coverage.policy import RULES as COVERAGE_RULES
from frontier_review.coverage.policy import Sensitivity, VersionOwner
from frontier_review.engagements.findings.policy import FindingRef, Relabel
from frontier_review.engagements.lifecycle.domain import Cohort
from frontier_review.engagements.lifecycle.policy import EngagementRef, Party
from frontier_review.engagements.policy import RULES as ENGAGEMENT_RULES
from frontier_review.evals.policy import RULES as EVALS_RULES
from frontier_review.identity.domain import InvitationRef, OrgRef, TokenRef, UserRef
from frontier_review.identity.policy import RULES as IDENTITY_RULES
from frontier_review.kernel import authz
from frontier_review.kernel.decision import Allowed, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import AuthMethod, OrgKind, Principal, Role
from frontier_review.registry.domain import ModelRef
from frontier_review.registry.policy import RULES as REGISTRY_RULES
from frontier_review.security.policy import RULES as SECURITY_RULES

P = Permission  # keeps the grid rows short
NOW = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)

ORGS: dict[str, tuple[uuid.UUID, OrgKind]] = {
    "dev": (uuid.UUID(int=0xD0), OrgKind.DEVELOPER),
    "dev2": (uuid.UUID(int=0xD2), OrgKind.DEVELOPER),
    "po": (uuid.UUID(int=0x50), OrgKind.PROGRAM_OFFICE),
    "agency": (uuid.UUID(int=0xA0), OrgKind.AGENCY),
    "partner": (uuid.UUID(int=0xB0), OrgKind.PARTNER),
    "ch": (uuid.UUID(int=0xC0), OrgKind.CLEARINGHOUSE),
}

# name -> (user id, org name or None, role, cleared)
USERS: dict[str, tuple[uuid.UUID, str | None, Role, bool]] = {
    "su": (uuid.UUID(int=0x1), None, Role.ADMIN, False),
    "devA": (uuid.UUID(int=0x11), "dev", Role.ADMIN, False),
    "devM": (uuid.UUID(int=0x12), "dev", Role.MEMBER, False),
    "poAc": (uuid.UUID(int=0x21), "po", Role.ADMIN, True),
    "poAu": (uuid.UUID(int=0x22), "po", Role.ADMIN, False),
    "poM": (uuid.UUID(int=0x23), "po", Role.MEMBER, False),
    "agA": (uuid.UUID(int=0x31), "agency", Role.ADMIN, False),
    "agM": (uuid.UUID(int=0x32), "agency", Role.MEMBER, False),
    "paA": (uuid.UUID(int=0x41), "partner", Role.ADMIN, False),
    "paM": (uuid.UUID(int=0x42), "partner", Role.MEMBER, False),
    "chA": (uuid.UUID(int=0x51), "ch", Role.ADMIN, False),
    "chM": (uuid.UUID(int=0x52), "ch", Role.MEMBER, False),
}


def _user_principal(name: str, *, method: AuthMethod = AuthMethod.SESSION) -> Principal:
    user_id, org, role, cleared = USERS[name]
    org_id, kind = ORGS[org] if org else (None, None)
    return Principal(
        user_id=user_id,
        org_id=org_id,
        org_kind=kind,
        role=role,
        cleared=cleared,
        is_superuser=name == "su",
        label=f"{name}@example.org",
        method=method,
        token_id=uuid.UUID(int=0x7012) if method is AuthMethod.TOKEN else None,
    )


PRINCIPALS: dict[str, Principal] = {
    "su": _user_principal("su"),
    "sys": Principal.system("tests"),
    "devA": _user_principal("devA"),
    "devM": _user_principal("devM"),
    "devT": _user_principal("devM", method=AuthMethod.TOKEN),
    "poAc": _user_principal("poAc"),
    "poAu": _user_principal("poAu"),
    "poM": _user_principal("poM"),
    "agA": _user_principal("agA"),
    "agM": _user_principal("agM"),
    "paA": _user_principal("paA"),
    "paM": _user_principal("paM"),
    "chA": _user_principal("chA"),
    "chM": _user_principal("chM"),
}
COLUMNS = tuple(PRINCIPALS)


def _user_ref(name: str) -> UserRef:
    user_id, org, _role, cleared = USERS[name]
    return UserRef(user_id, ORGS[org][0] if org else None, is_superuser=name == "su", cleared=cleared)


def _token_ref(name: str, token_int: int) -> TokenRef:
    user = _user_ref(name)
    return TokenRef(uuid.UUID(int=token_int), user.id, user.org_id)


def _engagement(
    number: int,
    org: str = "dev",
    *,
    draft: bool = False,
    partners: bool = True,
    agency_revoked: bool = False,
    revoked_users: frozenset[uuid.UUID] = frozenset(),
    designated_until: datetime = NOW + timedelta(days=30),
    partner_accepted: bool = True,
) -> EngagementRef:
    return EngagementRef(
        id=uuid.UUID(int=0xE600 + number),
        developer_org_id=ORGS[org][0],
        draft=draft,
        partners_included=partners,
        participants={
            ORGS["agency"][0]: Party(Cohort.GOVERNMENT.value, revoked=agency_revoked, accepted_current_terms=True),
            ORGS["partner"][0]: Party(
                Cohort.PARTNER.value, accepted_current_terms=partner_accepted, designated_until=designated_until
            ),
        },
        revoked_users=revoked_users,
    )


ENGAGEMENTS: dict[str, EngagementRef] = {
    "eng:offered": _engagement(1),
    "eng:federal_only": _engagement(2, partners=False),
    "eng:draft": _engagement(3, draft=True),
    "eng:agency_revoked": _engagement(4, agency_revoked=True),
    "eng:dev2": _engagement(5, "dev2"),
    "eng:agM_revoked": _engagement(6, revoked_users=frozenset({USERS["agM"][0]})),
    "eng:partner_lapsed": _engagement(7, designated_until=NOW),
    "eng:partner_unaccepted": _engagement(8, partner_accepted=False),
}


def _finding(number: int, tlp: str, engagement: str = "eng:offered", finder: str = "agency") -> FindingRef:
    # Filed by the agency member; under TLP:RED it names devA and poM.
    named = frozenset({USERS["devA"][0], USERS["poM"][0]}) if tlp == "TLP:RED" else frozenset()
    filer = USERS["agM" if finder == "agency" else "paM"][0]
    return FindingRef(ENGAGEMENTS[engagement], uuid.UUID(int=0xF100 + number), ORGS[finder][0], tlp, named, filer)


_INCIDENT = IncidentRef(uuid.UUID(int=0x1D), ORGS["partner"][0], USERS["paM"][0], "TLP:AMBER")
_INCIDENT_REFERRED = IncidentRef(
    uuid.UUID(int=0x1E), ORGS["partner"][0], USERS["paM"][0], "TLP:AMBER", referred_to=frozenset({ORGS["agency"][0]})
)

RESOURCES: dict[str, object] = {
    "none": None,
    **{f"org:{name}": OrgRef(org_id, kind) for name, (org_id, kind) in ORGS.items()},
    **{
        f"invitation:{name}": InvitationRef(uuid.UUID(int=0x1A00 + n), org_id, kind)
        for n, (name, (org_id, kind)) in enumerate(ORGS.items())
    },
    **{f"user:{name}": _user_ref(name) for name in ("devA", "devM", "poAc", "poM", "agM", "su")},
    "token:devA": _token_ref("devA", 0x7011),
    "token:devM": _token_ref("devM", 0x7012),
    "token:poM": _token_ref("poM", 0x7023),
    "token:agM": _token_ref("agM", 0x7032),
    "token:su": _token_ref("su", 0x7001),
    **{f"org_id:{name}": org_id for name, (org_id, _kind) in ORGS.items()},
    "org_id:none": None,
    "model:dev": ModelRef(uuid.UUID(int=0xE0), ORGS["dev"][0]),
    "model:dev2": ModelRef(uuid.UUID(int=0xE2), ORGS["dev2"][0]),
    "owner:dev": VersionOwner(ORGS["dev"][0], "v1"),
    "owner:dev2": VersionOwner(ORGS["dev2"][0], "v2"),
    "public": Sensitivity(classified=False, id="p"),
    "secret": Sensitivity(classified=True, id="s"),
    **ENGAGEMENTS,
    "finding:clear": _finding(1, "TLP:CLEAR"),
    "finding:green": _finding(2, "TLP:GREEN"),
    "finding:amber": _finding(3, "TLP:AMBER"),
    "finding:red": _finding(4, "TLP:RED"),
    "finding:green_federal_only": _finding(5, "TLP:GREEN", "eng:federal_only"),
    "finding:amber_strict": _finding(6, "TLP:AMBER+STRICT"),
    "finding:green_agM_revoked": _finding(7, "TLP:GREEN", "eng:agM_revoked"),
    "finding:green_partner_lapsed": _finding(8, "TLP:GREEN", "eng:partner_lapsed"),
    "finding:partner_green_lapsed": _finding(9, "TLP:GREEN", "eng:partner_lapsed", finder="partner"),
    "finding:clear_partner_unaccepted": _finding(10, "TLP:CLEAR", "eng:partner_unaccepted"),
    "relabel:amber>red": Relabel(_finding(3, "TLP:AMBER"), "TLP:RED"),
    "relabel:amber>green": Relabel(_finding(3, "TLP:AMBER"), "TLP:GREEN"),
    "relabel:red>amber": Relabel(_finding(4, "TLP:RED"), "TLP:AMBER"),
    # clearinghouse — subscriptions
    "subscriber:partner": SubscriberRef(ORGS["partner"][0]),
    "subscription:partner": SubscriptionRef(uuid.UUID(int=0x5B0), ORGS["partner"][0]),
    # clearinghouse: incidents (reported by the partner under TLP:AMBER; ``incident:referred`` was
    # referred to the agency as law enforcement)
    "incident:amber": _INCIDENT,
    "incident:referred": _INCIDENT_REFERRED,
    "incident:relabel_amber>red": IncidentRelabel(_INCIDENT, "TLP:RED"),
    "incident:refer_agency": Referral(_INCIDENT, ORGS["agency"][0], law_enforcement=True),
    # clearinghouse: reports (submitted by paM for the partner; the agency is the named validator)
    **{
        f"report:{name}": ReportRef(
            uuid.UUID(int=0xC100 + n),
            ORGS["partner"][0],
            tlp,
            validated=validated,
            validator_org_id=ORGS["agency"][0],
            recipient_orgs=frozenset({ORGS["dev"][0]}) if "AMBER" in tlp else frozenset(),
            named=frozenset({USERS["chM"][0]}) if tlp == "TLP:RED" else frozenset(),
            submitter_user_id=USERS["paM"][0],
        )
        for n, (name, tlp, validated) in enumerate(
            [
                ("clear", "TLP:CLEAR", True),
                ("green", "TLP:GREEN", True),
                ("amber", "TLP:AMBER", True),
                ("amber_unvalidated", "TLP:AMBER", False),
                ("red", "TLP:RED", True),
            ]
        )
    },
}
RESOURCES["report_relabel:amber>red"] = ReportRelabel(RESOURCES["report:amber"], "TLP:RED")  # type: ignore[arg-type]
RESOURCES["report_relabel:amber>green"] = ReportRelabel(RESOURCES["report:amber"], "TLP:GREEN")  # type: ignore[arg-type]

# fmt: off
GRID: list[tuple[str, Permission, str]] = [
    # su   sys  devA devM devT poAc poAu poM  agA  agM  paA  paM  chA  chM
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.ORGANIZATION_CREATE, "none"),

    ("Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .    .    .", P.ORGANIZATION_READ, "org:dev"),
    ("Y    Y    .    .    .    Y    Y    Y    .    .    .    .    .    .", P.ORGANIZATION_READ, "org:dev2"),
    ("Y    Y    .    .    .    Y    Y    Y    .    .    .    .    .    .", P.ORGANIZATION_READ, "org:po"),
    ("Y    Y    .    .    .    Y    Y    Y    Y    Y    .    .    .    .", P.ORGANIZATION_READ, "org:agency"),
    ("Y    Y    .    .    .    Y    Y    Y    .    .    Y    Y    .    .", P.ORGANIZATION_READ, "org:partner"),
    ("Y    Y    .    .    .    Y    Y    Y    .    .    .    .    Y    Y", P.ORGANIZATION_READ, "org:ch"),

    ("Y    Y    .    .    .    Y    Y    Y    .    .    .    .    .    .", P.ORGANIZATION_LIST_ALL, "none"),

    # Creating an account directly tells whether an address is registered: operators only.
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_CREATE, "org:dev"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_CREATE, "org:dev2"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_CREATE, "org:po"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_CREATE, "org:agency"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_CREATE, "org:partner"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_CREATE, "org:ch"),

    # Everyone else invites: the organization's admins and operators.
    ("Y    Y    Y    .    .    .    .    .    .    .    .    .    .    .", P.INVITATION_CREATE, "org:dev"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.INVITATION_CREATE, "org:dev2"),
    ("Y    Y    .    .    .    Y    Y    .    .    .    .    .    .    .", P.INVITATION_CREATE, "org:po"),
    ("Y    Y    .    .    .    .    .    .    Y    .    .    .    .    .", P.INVITATION_CREATE, "org:agency"),
    ("Y    Y    .    .    .    .    .    .    .    .    Y    .    .    .", P.INVITATION_CREATE, "org:partner"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    Y    .", P.INVITATION_CREATE, "org:ch"),

    ("Y    Y    Y    .    .    .    .    .    .    .    .    .    .    .", P.INVITATION_LIST, "org:dev"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.INVITATION_LIST, "org:dev2"),
    ("Y    Y    .    .    .    Y    Y    .    .    .    .    .    .    .", P.INVITATION_LIST, "org:po"),
    ("Y    Y    .    .    .    .    .    .    Y    .    .    .    .    .", P.INVITATION_LIST, "org:agency"),

    ("Y    Y    Y    .    .    .    .    .    .    .    .    .    .    .", P.INVITATION_REVOKE, "invitation:dev"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.INVITATION_REVOKE, "invitation:dev2"),
    ("Y    Y    .    .    .    Y    Y    .    .    .    .    .    .    .", P.INVITATION_REVOKE, "invitation:po"),
    ("Y    Y    .    .    .    .    .    .    .    .    Y    .    .    .", P.INVITATION_REVOKE, "invitation:partner"),

    ("Y    Y    Y    Y    Y    Y    Y    .    .    .    .    .    .    .", P.USER_READ, "user:devA"),
    ("Y    Y    Y    Y    Y    Y    Y    .    .    .    .    .    .    .", P.USER_READ, "user:devM"),
    ("Y    Y    .    .    .    Y    Y    Y    .    .    .    .    .    .", P.USER_READ, "user:poAc"),
    ("Y    Y    .    .    .    Y    Y    Y    .    .    .    .    .    .", P.USER_READ, "user:poM"),
    ("Y    Y    .    .    .    Y    Y    .    Y    Y    .    .    .    .", P.USER_READ, "user:agM"),
    ("Y    Y    .    .    .    Y    Y    .    .    .    .    .    .    .", P.USER_READ, "user:su"),

    ("Y    Y    Y    Y    Y    Y    Y    .    .    .    .    .    .    .", P.USER_LIST, "org:dev"),
    ("Y    Y    .    .    .    Y    Y    .    .    .    .    .    .    .", P.USER_LIST, "org:dev2"),
    ("Y    Y    .    .    .    Y    Y    Y    .    .    .    .    .    .", P.USER_LIST, "org:po"),
    ("Y    Y    .    .    .    Y    Y    .    Y    Y    .    .    .    .", P.USER_LIST, "org:agency"),
    ("Y    Y    .    .    .    Y    Y    .    .    .    Y    Y    .    .", P.USER_LIST, "org:partner"),
    ("Y    Y    .    .    .    Y    Y    .    .    .    .    .    Y    Y", P.USER_LIST, "org:ch"),

    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_LOOKUP, "none"),

    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_UPDATE, "user:devA"),
    ("Y    Y    Y    .    .    .    .    .    .    .    .    .    .    .", P.USER_UPDATE, "user:devM"),
    # A cleared account: only another cleared program-office admin (none here but poAc itself).
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_UPDATE, "user:poAc"),
    ("Y    Y    .    .    .    Y    Y    .    .    .    .    .    .    .", P.USER_UPDATE, "user:poM"),
    ("Y    Y    .    .    .    .    .    .    Y    .    .    .    .    .", P.USER_UPDATE, "user:agM"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_UPDATE, "user:su"),

    # Clearance: only a cleared program-office admin, for their own staff; never an operator.
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_SET_CLEARED, "user:devA"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_SET_CLEARED, "user:devM"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_SET_CLEARED, "user:poAc"),
    (".    .    .    .    .    Y    .    .    .    .    .    .    .    .", P.USER_SET_CLEARED, "user:poM"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_SET_CLEARED, "user:agM"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.USER_SET_CLEARED, "user:su"),

    ("Y    Y    Y    .    .    .    .    .    .    .    .    .    .    .", P.TOKEN_ISSUE, "user:devA"),
    ("Y    Y    .    Y    .    .    .    .    .    .    .    .    .    .", P.TOKEN_ISSUE, "user:devM"),
    # Nobody mints a token for someone else's cleared account, not even an operator.
    (".    .    .    .    .    Y    .    .    .    .    .    .    .    .", P.TOKEN_ISSUE, "user:poAc"),
    ("Y    Y    .    .    .    .    .    Y    .    .    .    .    .    .", P.TOKEN_ISSUE, "user:poM"),
    ("Y    Y    .    .    .    .    .    .    .    Y    .    .    .    .", P.TOKEN_ISSUE, "user:agM"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.TOKEN_ISSUE, "user:su"),

    ("Y    Y    Y    .    .    .    .    .    .    .    .    .    .    .", P.TOKEN_READ, "user:devA"),
    ("Y    Y    .    Y    Y    .    .    .    .    .    .    .    .    .", P.TOKEN_READ, "user:devM"),
    ("Y    Y    .    .    .    Y    .    .    .    .    .    .    .    .", P.TOKEN_READ, "user:poAc"),
    ("Y    Y    .    .    .    .    .    Y    .    .    .    .    .    .", P.TOKEN_READ, "user:poM"),
    ("Y    Y    .    .    .    .    .    .    .    Y    .    .    .    .", P.TOKEN_READ, "user:agM"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.TOKEN_READ, "user:su"),

    ("Y    Y    Y    .    .    .    .    .    .    .    .    .    .    .", P.TOKEN_REVOKE, "token:devA"),
    ("Y    Y    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.TOKEN_REVOKE, "token:devM"),
    ("Y    Y    .    .    .    Y    Y    Y    .    .    .    .    .    .", P.TOKEN_REVOKE, "token:poM"),
    ("Y    Y    .    .    .    .    .    .    Y    Y    .    .    .    .", P.TOKEN_REVOKE, "token:agM"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.TOKEN_REVOKE, "token:su"),

    ("Y    Y    .    .    .    Y    Y    .    .    .    .    .    .    .", P.AUDIT_READ_ALL, "none"),
    ("Y    Y    .    .    .    Y    Y    .    .    .    .    .    .    .", P.AUDIT_VERIFY, "none"),
    ("Y    Y    .    .    .    Y    Y    .    .    .    .    .    .    .", P.AUDIT_CHECKPOINT, "none"),
    ("Y    Y    .    .    .    Y    Y    .    .    .    .    .    .    .", P.AUDIT_EXPORT, "none"),

    ("Y    Y    Y    .    .    .    .    .    .    .    .    .    .    .", P.AUDIT_READ_ORG, "org_id:dev"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.AUDIT_READ_ORG, "org_id:dev2"),
    ("Y    Y    .    .    .    Y    Y    .    .    .    .    .    .    .", P.AUDIT_READ_ORG, "org_id:po"),
    ("Y    Y    .    .    .    .    .    .    Y    .    .    .    .    .", P.AUDIT_READ_ORG, "org_id:agency"),
    ("Y    Y    .    .    .    .    .    .    .    .    Y    .    .    .", P.AUDIT_READ_ORG, "org_id:partner"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    Y    .", P.AUDIT_READ_ORG, "org_id:ch"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.AUDIT_READ_ORG, "org_id:none"),

    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.KEYS_ROTATE, "none"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    .    .", P.BACKUP, "none"),

    # registry and coverage
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.REGISTRY_MODEL_CREATE, "org_id:dev"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.REGISTRY_MODEL_CREATE, "org_id:dev2"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.REGISTRY_MODEL_CREATE, "org_id:po"),
    ("Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .    .    .", P.REGISTRY_MODEL_READ, "model:dev"),
    ("Y    Y    .    .    .    Y    Y    Y    .    .    .    .    .    .", P.REGISTRY_MODEL_READ, "model:dev2"),
    ("Y    Y    .    .    .    Y    Y    Y    .    .    .    .    .    .", P.REGISTRY_MODEL_LIST_ALL, "none"),
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.REGISTRY_VERSION_EDIT, "model:dev"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.REGISTRY_VERSION_EDIT, "model:dev2"),
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.REGISTRY_VERSION_RELEASE, "model:dev"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.REGISTRY_VERSION_RELEASE, "model:dev2"),

    (".    Y    .    .    .    Y    Y    .    .    .    .    .    .    .", P.COVERAGE_POLICY_PUBLISH, "public"),
    (".    Y    .    .    .    Y    .    .    .    .    .    .    .    .", P.COVERAGE_POLICY_PUBLISH, "secret"),
    ("Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y", P.COVERAGE_POLICY_READ, "none"),
    ("Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y", P.COVERAGE_THRESHOLDS_READ, "public"),
    (".    Y    .    .    .    Y    .    .    .    .    .    .    .    .", P.COVERAGE_THRESHOLDS_READ, "secret"),
    (".    Y    .    .    .    Y    Y    Y    .    .    .    .    .    .", P.COVERAGE_BENCHMARK_MANAGE, "public"),
    (".    Y    .    .    .    Y    .    .    .    .    .    .    .    .", P.COVERAGE_BENCHMARK_MANAGE, "secret"),
    (".    Y    .    .    .    Y    Y    Y    .    .    .    .    .    .", P.COVERAGE_DETERMINE, "public"),
    (".    Y    .    .    .    Y    .    .    .    .    .    .    .    .", P.COVERAGE_DETERMINE, "secret"),
    (".    Y    .    .    .    Y    Y    Y    .    .    .    .    .    .", P.COVERAGE_REASSESS, "none"),
    ("Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .    .    .", P.COVERAGE_READ, "owner:dev"),
    ("Y    Y    .    .    .    Y    Y    Y    .    .    .    .    .    .", P.COVERAGE_READ, "owner:dev2"),
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.COVERAGE_INQUIRY_FILE, "owner:dev"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.COVERAGE_INQUIRY_FILE, "owner:dev2"),
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.COVERAGE_INQUIRY_RESPOND, "owner:dev"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.COVERAGE_INQUIRY_RESPOND, "owner:dev2"),
    (".    Y    .    .    .    Y    Y    Y    .    .    .    .    .    .", P.COVERAGE_INQUIRY_WORK, "none"),

    # evals
    (".    Y    .    .    .    Y    .    .    .    .    .    .    .    .", P.EVALS_ITEMS_READ, "secret"),
    (".    Y    .    .    .    Y    .    .    .    .    .    .    .    .", P.EVALS_ITEMS_READ, "public"),

    # engagements: the developer opens and manages its own; the program office sees every
    # non-draft one but manages none; operators list but never act for a developer; the system
    # reads. Participants see only engagements they take part in: no drafts, not once revoked,
    # partners only where the terms include partners (G6). Participant admins accept the terms.
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.ENGAGEMENT_OPEN, "org_id:dev"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.ENGAGEMENT_OPEN, "org_id:dev2"),

    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.ENGAGEMENT_MANAGE, "eng:offered"),
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.ENGAGEMENT_MANAGE, "eng:federal_only"),
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.ENGAGEMENT_MANAGE, "eng:draft"),
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.ENGAGEMENT_MANAGE, "eng:agency_revoked"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.ENGAGEMENT_MANAGE, "eng:dev2"),

    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    .    .", P.ENGAGEMENT_READ, "eng:offered"),
    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .", P.ENGAGEMENT_READ, "eng:federal_only"),
    (".    Y    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.ENGAGEMENT_READ, "eng:draft"),
    (".    Y    Y    Y    Y    Y    Y    Y    .    .    Y    Y    .    .", P.ENGAGEMENT_READ, "eng:agency_revoked"),
    (".    Y    .    .    .    Y    Y    Y    Y    Y    Y    Y    .    .", P.ENGAGEMENT_READ, "eng:dev2"),


    (".    .    .    .    .    .    .    .    Y    .    Y    .    .    .", P.ENGAGEMENT_ACCEPT_TERMS, "eng:offered"),
    (".    .    .    .    .    .    .    .    Y    .    .    .    .    .", P.ENGAGEMENT_ACCEPT_TERMS, "eng:federal_only"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.ENGAGEMENT_ACCEPT_TERMS, "eng:draft"),
    (".    .    .    .    .    .    .    .    .    .    Y    .    .    .", P.ENGAGEMENT_ACCEPT_TERMS, "eng:agency_revoked"),
    (".    .    .    .    .    .    .    .    Y    .    Y    .    .    .", P.ENGAGEMENT_ACCEPT_TERMS, "eng:dev2"),

    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    .    .", P.ENGAGEMENT_USAGE_READ, "eng:offered"),
    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .", P.ENGAGEMENT_USAGE_READ, "eng:federal_only"),
    (".    Y    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.ENGAGEMENT_USAGE_READ, "eng:draft"),
    (".    Y    Y    Y    Y    Y    Y    Y    .    .    Y    Y    .    .", P.ENGAGEMENT_USAGE_READ, "eng:agency_revoked"),
    (".    Y    .    .    .    Y    Y    Y    Y    Y    Y    Y    .    .", P.ENGAGEMENT_USAGE_READ, "eng:dev2"),

    # participant members (not revoked) use the engagement; the window is checked elsewhere (G1)
    (".    .    .    .    .    .    .    .    Y    Y    Y    Y    .    .", P.GATEWAY_TOKEN_ISSUE, "eng:offered"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.GATEWAY_TOKEN_ISSUE, "eng:federal_only"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.GATEWAY_TOKEN_ISSUE, "eng:draft"),
    (".    .    .    .    .    .    .    .    .    .    Y    Y    .    .", P.GATEWAY_TOKEN_ISSUE, "eng:agency_revoked"),
    (".    .    .    .    .    .    .    .    Y    Y    Y    Y    .    .", P.GATEWAY_TOKEN_ISSUE, "eng:dev2"),

    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.ARTIFACT_UPLOAD, "eng:offered"),
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.ARTIFACT_UPLOAD, "eng:federal_only"),
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.ARTIFACT_UPLOAD, "eng:draft"),
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.ARTIFACT_UPLOAD, "eng:agency_revoked"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.ARTIFACT_UPLOAD, "eng:dev2"),

    (".    .    .    .    .    .    .    .    Y    Y    Y    Y    .    .", P.ARTIFACT_DOWNLOAD, "eng:offered"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.ARTIFACT_DOWNLOAD, "eng:federal_only"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.ARTIFACT_DOWNLOAD, "eng:draft"),
    (".    .    .    .    .    .    .    .    .    .    Y    Y    .    .", P.ARTIFACT_DOWNLOAD, "eng:agency_revoked"),
    (".    .    .    .    .    .    .    .    Y    Y    Y    Y    .    .", P.ARTIFACT_DOWNLOAD, "eng:dev2"),

    (".    .    .    .    .    .    .    .    Y    Y    Y    Y    .    .", P.FINDING_FILE, "eng:offered"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.FINDING_FILE, "eng:federal_only"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.FINDING_FILE, "eng:draft"),
    (".    .    .    .    .    .    .    .    .    .    Y    Y    .    .", P.FINDING_FILE, "eng:agency_revoked"),
    (".    .    .    .    .    .    .    .    Y    Y    Y    Y    .    .", P.FINDING_FILE, "eng:dev2"),

    # revocation everywhere (DESIGN §3.5a): a revoked person (agM) or a lapsed designation (the
    # partner) is no longer a party: no engagement read, no download, no filing, no gateway token.
    (".    Y    Y    Y    Y    Y    Y    Y    Y    .    Y    Y    .    .", P.ENGAGEMENT_READ, "eng:agM_revoked"),
    (".    .    .    .    .    .    .    .    Y    .    Y    Y    .    .", P.ARTIFACT_DOWNLOAD, "eng:agM_revoked"),
    (".    .    .    .    .    .    .    .    Y    .    Y    Y    .    .", P.FINDING_FILE, "eng:agM_revoked"),
    (".    .    .    .    .    .    .    .    Y    .    Y    Y    .    .", P.GATEWAY_TOKEN_ISSUE, "eng:agM_revoked"),
    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .", P.ENGAGEMENT_READ, "eng:partner_lapsed"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.ARTIFACT_DOWNLOAD, "eng:partner_lapsed"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.FINDING_FILE, "eng:partner_lapsed"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.GATEWAY_TOKEN_ISSUE, "eng:partner_lapsed"),
    (".    Y    Y    Y    Y    Y    Y    Y    Y    .    Y    Y    .    .", P.FINDING_READ, "finding:green_agM_revoked"),
    (".    .    Y    Y    Y    Y    Y    Y    Y    .    .    .    .    .", P.FINDING_COMMENT, "finding:green_agM_revoked"),
    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .", P.FINDING_READ, "finding:green_partner_lapsed"),
    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .", P.FINDING_READ, "finding:partner_green_lapsed"),
    (".    .    Y    Y    Y    Y    Y    Y    .    .    .    .    .    .", P.FINDING_COMMENT, "finding:partner_green_lapsed"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.FINDING_ATTACH_EVIDENCE, "finding:partner_green_lapsed"),  # noqa: E501 - one grid row per line

    # findings (filed by the agency): the developer, the finder and the program office read up to
    # TLP:AMBER+STRICT; other participants only TLP:CLEAR and TLP:GREEN; TLP:RED only the named
    # people (devA, poM) and the filer (agM). The developer alone sets the status.
    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    .    .", P.FINDING_READ, "finding:clear"),
    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    .    .", P.FINDING_READ, "finding:green"),
    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .", P.FINDING_READ, "finding:amber"),
    (".    Y    Y    .    .    .    .    Y    .    Y    .    .    .    .", P.FINDING_READ, "finding:red"),
    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .", P.FINDING_READ, "finding:green_federal_only"),

    (".    .    Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .", P.FINDING_COMMENT, "finding:clear"),
    (".    .    Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .", P.FINDING_COMMENT, "finding:green"),
    (".    .    Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .", P.FINDING_COMMENT, "finding:amber"),
    (".    .    Y    .    .    .    .    Y    .    Y    .    .    .    .", P.FINDING_COMMENT, "finding:red"),
    (".    .    Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .", P.FINDING_COMMENT, "finding:green_federal_only"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.FINDING_ATTACH_EVIDENCE, "finding:clear"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.FINDING_ATTACH_EVIDENCE, "finding:green"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.FINDING_ATTACH_EVIDENCE, "finding:amber"),
    (".    .    .    .    .    .    .    .    .    Y    .    .    .    .", P.FINDING_ATTACH_EVIDENCE, "finding:red"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.FINDING_ATTACH_EVIDENCE, "finding:green_federal_only"),  # noqa: E501 - one grid row per line

    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.FINDING_SET_STATUS, "finding:clear"),
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.FINDING_SET_STATUS, "finding:green"),
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.FINDING_SET_STATUS, "finding:amber"),
    (".    .    Y    .    .    .    .    .    .    .    .    .    .    .", P.FINDING_SET_STATUS, "finding:red"),
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.FINDING_SET_STATUS, "finding:green_federal_only"),
    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .", P.FINDING_READ, "finding:amber_strict"),
    # the terms' confidentiality covers findings: not even TLP:CLEAR before the partner accepts them
    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    .    .", P.ENGAGEMENT_READ, "eng:partner_unaccepted"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.FINDING_FILE, "eng:partner_unaccepted"),
    # Gateway tokens wait for the terms too: before acceptance every call they made would be refused.
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.GATEWAY_TOKEN_ISSUE, "eng:partner_unaccepted"),
    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .", P.FINDING_READ, "finding:clear_partner_unaccepted"),

    # relabelling (TLP:RED names devA and poM; agM filed): the finder's organization relaxes and
    # tightens; the program office only tightens; the developer never relabels.
    (".    .    .    .    .    Y    Y    Y    Y    Y    .    .    .    .", P.FINDING_RELABEL, "relabel:amber>red"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.FINDING_RELABEL, "relabel:amber>green"),
    (".    .    .    .    .    .    .    .    .    Y    .    .    .    .", P.FINDING_RELABEL, "relabel:red>amber"),

    # trusted partners: program-office admins (and the system) designate; oversight and developers list
    (".    Y    .    .    .    Y    Y    .    .    .    .    .    .    .", P.PARTNER_DESIGNATE, "none"),
    ("Y    Y    Y    Y    Y    Y    Y    Y    .    .    .    .    .    .", P.PARTNER_LIST, "none"),
    # clearinghouse — subscriptions: the subscriber's admins manage, its members read, the clearinghouse follows deliveries.
    # su   sys  devA devM devT poAc poAu poM  agA  agM  paA  paM  chA  chM
    (".    Y    .    .    .    .    .    .    .    .    Y    .    .    .", P.SUBSCRIPTION_CREATE, "subscriber:partner"),
    (".    Y    .    .    .    .    .    .    .    .    Y    .    .    .", P.SUBSCRIPTION_MANAGE, "subscription:partner"),
    (".    Y    .    .    .    .    .    .    .    .    Y    Y    .    .", P.SUBSCRIPTION_READ, "subscription:partner"),
    (".    Y    .    .    .    .    .    .    .    .    Y    Y    Y    Y", P.SUBSCRIPTION_STATUS_READ, "subscription:partner"),
    (".    Y    .    .    .    .    .    .    .    .    .    .    Y    Y", P.SUBSCRIPTION_LIST_ALL, "none"),

    # clearinghouse: incidents — every member reports; TLP:AMBER reaches the reporting partner and
    # the clearinghouse (and the agency once referred); the clearinghouse triages, refers and
    # tightens; the reporter relaxes; the agency it was referred to acknowledges.
    (".    .    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y", P.INCIDENT_REPORT, "none"),
    (".    Y    .    .    .    .    .    .    .    .    Y    Y    Y    Y", P.INCIDENT_READ, "incident:amber"),
    (".    Y    .    .    .    .    .    .    Y    Y    Y    Y    Y    Y", P.INCIDENT_READ, "incident:referred"),
    (".    .    .    .    .    .    .    .    .    .    .    .    Y    Y", P.INCIDENT_TRIAGE, "incident:amber"),
    (".    .    .    .    .    .    .    .    .    .    Y    Y    Y    Y", P.INCIDENT_RELABEL, "incident:relabel_amber>red"),
    (".    .    .    .    .    .    .    .    .    .    .    .    Y    Y", P.INCIDENT_REFER, "incident:refer_agency"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.INCIDENT_ACKNOWLEDGE, "incident:referred"),

    # clearinghouse: reports. Validated CLEAR reaches everyone, the operator's org-less account
    # and the public included; GREEN every member organization; AMBER the source, the recipient
    # (dev), the clearinghouse and the validator (agency); before validation only the source, the
    # clearinghouse and the validator; RED the named (chM) and the submitter (paM).
    ("Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y", P.REPORT_READ, "report:clear"),
    (".    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y", P.REPORT_READ, "report:green"),
    (".    Y    Y    Y    Y    .    .    .    Y    Y    Y    Y    Y    Y", P.REPORT_READ, "report:amber"),
    (".    Y    .    .    .    .    .    .    Y    Y    Y    Y    Y    Y", P.REPORT_READ, "report:amber_unvalidated"),
    (".    Y    .    .    .    .    .    .    .    .    .    Y    .    Y", P.REPORT_READ, "report:red"),
    (".    .    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y", P.REPORT_SUBMIT, "none"),
    (".    .    .    .    .    .    .    .    .    .    Y    Y    Y    Y", P.REPORT_EDIT, "report:green"),
    (".    .    .    .    .    .    .    .    .    .    Y    Y    Y    Y", P.REPORT_ADDRESS, "report:amber"),
    (".    .    .    .    .    .    .    .    .    .    .    .    Y    Y", P.REPORT_TRIAGE, "report:amber"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    Y", P.REPORT_TRIAGE, "report:red"),
    (".    .    .    .    .    .    .    .    .    .    .    .    Y    Y", P.REPORT_NAME_VALIDATOR, "report:amber_unvalidated"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    Y    Y", P.REPORT_VALIDATE, "report:amber_unvalidated"),
    (".    .    .    .    .    .    .    .    .    .    .    .    Y    Y", P.REPORT_MERGE, "report:green"),
    (".    .    .    .    .    .    .    .    .    .    .    .    Y    Y", P.REPORT_DISCLOSE, "report:green"),
    (".    .    .    .    .    .    .    .    .    .    .    .    Y    Y", P.REPORT_REJECT, "report:amber_unvalidated"),
    (".    .    .    .    .    .    .    .    .    .    Y    Y    Y    Y", P.REPORT_RELABEL, "report_relabel:amber>red"),
    (".    .    .    .    .    .    .    .    .    .    Y    Y    .    .", P.REPORT_RELABEL, "report_relabel:amber>green"),
    (".    Y    .    .    .    .    .    .    .    .    .    .    Y    Y", P.REPORT_QUEUE, "none"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    Y    .", P.KEV_IMPORT, "none"),
    ("Y    Y    .    .    .    .    .    .    .    .    .    .    Y    .", P.PRIORITY_RECOMPUTE, "none"),
    # a finding is referred to the clearinghouse by its finder's organization (the agency here)
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.FINDING_REFER, "finding:amber"),
    (".    .    .    .    .    .    .    .    .    Y    .    .    .    .", P.FINDING_REFER, "finding:red"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.FINDING_REFER, "finding:clear"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.FINDING_REFER, "finding:green"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.FINDING_REFER, "finding:partner_green_lapsed"),
]
# fmt: on

# clearinghouse: scans — the agency scans the partner's assets (the developer too, for the overlap);
# seen by the scanner, the target and the clearinghouse only; the scanner changes, the target objects.
_SCAN = ScanRef(uuid.UUID(int=0x5C0), ORGS["agency"][0], ORGS["partner"][0])
RESOURCES.update(
    {
        "scan:ag>pa": _SCAN,
        "scan:ag>pa_cancelled": ScanRef(uuid.UUID(int=0x5C1), ORGS["agency"][0], ORGS["partner"][0], cancelled=True),
        "overlap:ag,dev>pa": OverlapRef(
            uuid.UUID(int=0x5C2), (_SCAN, ScanRef(uuid.UUID(int=0x5C3), ORGS["dev"][0], ORGS["partner"][0]))
        ),
    }
)
# fmt: off
GRID += [
    # su   sys  devA devM devT poAc poAu poM  agA  agM  paA  paM  chA  chM
    (".    Y    .    .    .    .    .    .    Y    Y    Y    Y    Y    Y", P.SCAN_READ, "scan:ag>pa"),
    (".    Y    .    .    .    .    .    .    Y    Y    Y    Y    Y    Y", P.SCAN_READ, "scan:ag>pa_cancelled"),
    (".    Y    .    .    .    .    .    .    .    .    .    .    Y    Y", P.SCAN_LIST_ALL, "none"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.SCAN_REGISTER, "org_id:agency"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.SCAN_CHANGE, "scan:ag>pa"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.SCAN_CHANGE, "scan:ag>pa_cancelled"),
    (".    .    .    .    .    .    .    .    Y    Y    .    .    .    .", P.SCAN_CANCEL, "scan:ag>pa"),
    (".    .    .    .    .    .    .    .    .    .    Y    Y    .    .", P.SCAN_OBJECT, "scan:ag>pa"),
    (".    .    .    .    .    .    .    .    .    .    .    .    Y    Y", P.SCAN_RESOLVE_OVERLAP, "overlap:ag,dev>pa"),
]
# fmt: on

# clearinghouse — patches: fixes by the source (the partner) and the clearinghouse; every record for
# the clearinghouse, counts for the source, its own record for the operator (the developer, a
# recipient of the AMBER report); a record of an organization outside the audience is nobody's.
RESOURCES.update(
    {
        "record:amber>dev": RecordRef(RESOURCES["report:amber"], ORGS["dev"][0], uuid.UUID(int=0xF1)),  # type: ignore[arg-type]
        "record:amber>po": RecordRef(RESOURCES["report:amber"], ORGS["po"][0], uuid.UUID(int=0xF2)),  # type: ignore[arg-type]
    }
)
# fmt: off
GRID += [
    # su   sys  devA devM devT poAc poAu poM  agA  agM  paA  paM  chA  chM
    (".    Y    .    .    .    .    .    .    .    .    Y    Y    Y    Y", P.FIX_MANAGE, "report:amber"),
    (".    Y    .    .    .    .    .    .    .    .    .    Y    .    Y", P.FIX_MANAGE, "report:red"),
    (".    Y    .    .    .    .    .    .    .    .    .    .    Y    Y", P.DISTRIBUTION_READ_ALL, "report:amber"),
    (".    Y    .    .    .    .    .    .    .    .    Y    Y    Y    Y", P.DISTRIBUTION_READ_COUNTS, "report:amber"),
    (".    .    Y    Y    Y    .    .    .    .    .    .    .    .    .", P.DISTRIBUTION_UPDATE, "record:amber>dev"),
    (".    .    .    .    .    .    .    .    .    .    .    .    .    .", P.DISTRIBUTION_UPDATE, "record:amber>po"),
    (".    .    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y", P.EXPOSURE_READ, "none"),
]
# fmt: on


def _cells(row: str) -> list[bool]:
    cells = row.split()
    assert len(cells) == len(COLUMNS), row
    assert set(cells) <= {"Y", "."}, row
    return [cell == "Y" for cell in cells]


MATRIX: list[tuple[str, Permission, str, bool]] = [
    (principal, permission, resource, expected)
    for row, permission, resource in GRID
    for principal, expected in zip(COLUMNS, _cells(row), strict=True)
]


@pytest.mark.parametrize(
    ("principal", "permission", "resource", "expected"),
    MATRIX,
    ids=[f"{p}|{perm.value}|{res}" for p, perm, res, _ in MATRIX],
)
def test_decision_matrix(principal: str, permission: Permission, resource: str, expected: bool) -> None:
    decision = authz.decide(composition.RULES, PRINCIPALS[principal], permission, RESOURCES[resource], NOW)
    assert decision.allowed is expected, decision
    if expected:
        assert isinstance(decision, Allowed)
        assert decision.basis.strip()
    else:
        assert isinstance(decision, Denied)
        assert decision.reason.strip()


def test_grid_covers_every_permission_once_per_resource() -> None:
    pairs = [(permission, resource) for _row, permission, resource in GRID]
    assert len(pairs) == len(set(pairs)), "a (permission, resource) row is repeated"
    assert {permission for permission, _ in pairs} == set(Permission)
    assert {resource for _, resource in pairs} <= set(RESOURCES)


def test_every_permission_has_a_rule() -> None:
    assert set(composition.RULES) == set(Permission)


def test_area_rule_sets_do_not_overlap() -> None:
    # The composition merges dicts; an overlap would let one area silently replace another's rule.
    areas = [
        set(IDENTITY_RULES),
        set(AUDIT_RULES),
        set(SECURITY_RULES),
        set(REGISTRY_RULES),
        set(COVERAGE_RULES),
        set(EVALS_RULES),
        set(ENGAGEMENT_RULES),
        set(SUBSCRIPTION_RULES),
    ]
    assert sum(len(a) for a in areas) == len(set().union(*areas))


@pytest.mark.parametrize("permission", list(Permission), ids=str)
def test_permission_without_rule_is_denied_even_to_the_operator(permission: Permission) -> None:
    rules = {p: rule for p, rule in composition.RULES.items() if p is not permission}
    for principal in (PRINCIPALS["su"], PRINCIPALS["sys"]):
        decision = authz.decide(rules, principal, permission, None, NOW)
        assert isinstance(decision, Denied)
        assert decision.allowed is False
        assert str(permission) in decision.reason
