"""The demo's AI-enabled intrusion (EO §4): reported by the bank, referred to the FBI, acknowledged.

The lead calls :func:`load_incidents` from ``data.load_demo`` once the demo organizations exist
(First Federal Bank and the Treasury clearinghouse), in the same unit of work::

    clearinghouse_incidents.load_incidents(uow, lambda email: _person(uow, email), DEMO_PASSWORD)

It adds an FBI Cyber Division organization (an agency flagged as law enforcement, one user
``agent@fbi.demo``), and the incident, through the services, so every step is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from frontier_review.clearinghouse.incidents import service as incidents
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.principal import Principal

__all__ = ["AGENT", "FBI", "load_incidents"]

FBI = "FBI Cyber Division"
AGENT = "agent@fbi.demo"
BANK_USER = "secops@firstfederal.demo"
ANALYST = "analyst@treasury.demo"


def load_incidents(uow: UnitOfWork, person: Callable[[str], Principal], password: str) -> None:
    """Add the FBI and the bank's incident, referred and acknowledged (``person`` finds a demo principal by address)."""
    system = Principal.system("demo")
    fbi = identity.create_organization(uow, system, name=FBI, kind=OrgKind.AGENCY, law_enforcement=True)
    identity.create_user(
        uow, system, org_id=fbi.id, email=AGENT, full_name="Special Agent Robin Hale", password=password, role=Role.ADMIN
    )
    now = uow.clock.now()
    view = incidents.report_incident(
        uow,
        person(BANK_USER),
        title="Autonomous agent pivoted from the wire-transfer portal into the core ledger",
        systems="Wire-transfer web portal; core banking ledger (read access); internal ticketing",
        sectors=["financial_services"],
        started_at=now - timedelta(days=3, hours=6),
        detected_at=now - timedelta(days=2, hours=20),
        detection="endpoint_detection",
        detection_details="EDR flagged credential use across 40 hosts in under two minutes, faster than any operator.",
        model_text="LLM-driven intrusion agent, model unknown (fictional demo content)",
        narrative=(
            "An AI agent chained a session-fixation flaw in the wire-transfer portal with reused service "
            "credentials, enumerated internal APIs and read ledger balances. Tool calls show generated, "
            "self-correcting scripts. No transfers were made. (Fictional demo content.)"
        ),
        indicators=[
            ("ipv4-addr", "203.0.113.45"),
            ("ipv4-addr", "198.51.100.0/28"),
            ("domain-name", "update-cdn-sync.example"),
            ("url", "https://update-cdn-sync.example/agent/beacon"),
            ("file:SHA-256", "9f2b5c3e" * 8),
        ],
        tlp="TLP:AMBER",
    )
    analyst = person(ANALYST)
    incidents.triage(uow, analyst, view.id, status="under_review")
    incidents.refer(
        uow, analyst, view.id, organization_id=fbi.id, note="AI-enabled intrusion into a systemically important bank (EO §4)."
    )
    incidents.acknowledge(uow, person(AGENT), view.id)
