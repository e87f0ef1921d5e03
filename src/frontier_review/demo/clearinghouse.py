"""The demo's clearinghouse reports (issue 14 item 11): every TLP level, several sources, the workflow's stages.

Two calls from ``data.load_demo``. In its unit of work, once the engagement's findings exist,
:func:`refer_demo_finding` refers the path-traversal finding (TLP:GREEN, third-party software) as
its finder would. After First Federal Bank's webhook subscription exists (``serve --demo``),
:func:`load_reports` adds, through the services so every step is audited:

- a tiny KEV catalogue listing the CLEAR report's CVE (so one priority shows known exploitation);
- TLP:CLEAR from DHS CISA — validated, then disclosed;
- TLP:GREEN from Mercy Health System — validated; and a duplicate from the NSA merged into it;
- TLP:AMBER from DHS CISA addressed to First Federal Bank only — validated, so the bank's
  subscription is told (in-app, e-mail, webhook) and Second National Bank learns nothing of it;
- TLP:AMBER+STRICT from First Federal Bank — received, unvalidated;
- TLP:RED from Mercy Health System naming the clearinghouse analyst — received, unvalidated;
- patch distribution at every stage: the AMBER report's fix applied by First Federal Bank; a
  TLP:GREEN payment-library report (both banks subscribe to financial services) whose fix First
  Federal acknowledged and Second National has not yet (still exposed).

All content is fictional; CVE ids are in a range no real CVE uses here (``CVE-2026-9xxxx``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from frontier_review.clearinghouse import patches, reports
from frontier_review.clearinghouse.subscriptions import service as subscriptions
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.findings import referral
from frontier_review.identity import directory
from frontier_review.identity import service as identity
from frontier_review.kernel.principal import Principal

if TYPE_CHECKING:
    import uuid

    from frontier_review.bootstrap import Container

__all__ = ["AMBER_TITLE", "KEV_CVE", "SECOND_BANK", "SECOND_BANK_ADMIN", "load_reports", "refer_demo_finding"]

ANALYST = "analyst@treasury.demo"
CISA = "lead@cisa.demo"
NSA = "lead@nsa.demo"
MERCY = "secops@mercyhealth.demo"
BANK = "secops@firstfederal.demo"
SECOND_BANK = "Second National Bank"
SECOND_BANK_ADMIN = "secops@secondnational.demo"
KEV_CVE = "CVE-2026-90001"
AMBER_TITLE = "Session fixation in a wire-transfer portal framework (demo)"
V31_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
V31_HIGH = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N"
V31_MEDIUM = "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N"


def refer_demo_finding(uow: UnitOfWork, finder: Principal, finding_id: uuid.UUID) -> None:
    """Refer the demo engagement's path-traversal finding, as its finder would."""
    referral.refer_finding(
        uow,
        finder,
        finding_id,
        referral.ReferralInput(
            products=[reports.ProductInput("Example", "example-archive", "pkg:pypi/example-archive", "", "vers:pypi/<2.4.1")],
            cve_id="CVE-2026-90005",
            cwe_ids=["CWE-22"],
            cvss31=V31_HIGH,
            sectors=["information_technology"],
        ),
    )


def _person(uow: UnitOfWork, email: str) -> Principal:
    found = directory.find_person_by_email(uow, email)
    assert found is not None, email
    principal = identity.principal_for_user(uow, user_id=found.id)
    assert principal is not None, email
    return principal


def _validate(uow: UnitOfWork, analyst: Principal, report_id: uuid.UUID) -> None:
    reports.validate(
        uow,
        analyst,
        report_id,
        reproduced=True,
        versions_confirmed=True,
        notes="Reproduced on the affected versions in the clearinghouse lab (fictional demo content).",
    )


def load_reports(container: Container) -> None:
    """Add the demo's reports in one unit of work (after the bank's subscription, so its webhook fires)."""
    with container.uow() as uow:
        analyst = _person(uow, ANALYST)
        cisa, nsa, mercy, bank = (_person(uow, e) for e in (CISA, NSA, MERCY, BANK))
        reports.import_kev(
            uow,
            analyst,
            {
                "title": "CISA Catalog of Known Exploited Vulnerabilities (demo extract)",
                "catalogVersion": "2026.06.01",
                "vulnerabilities": [
                    {"cveID": KEV_CVE, "vendorProject": "Example", "product": "example-gateway", "dateAdded": "2026-05-28"}
                ],
            },
        )
        clear = reports.submit(
            uow,
            cisa,
            reports.ReportInput(
                title="Authentication bypass in an open-source VPN gateway (demo)",
                description="A crafted handshake skips the second factor. Exploited in the wild (fictional demo content).",
                tlp="TLP:CLEAR",
                products=[reports.ProductInput("Example", "example-gateway", "pkg:github/example/example-gateway", "", "")],
                cve_id=KEV_CVE,
                cwe_ids=["CWE-287"],
                cvss31=V31_CRITICAL,
                sectors=["energy", "communications"],
            ),
        )
        _validate(uow, analyst, clear.id)
        for status in ("triaged", "coordinating"):
            reports.advance(uow, analyst, clear.id, to=status)
        reports.disclose(uow, analyst, clear.id)
        green = reports.submit(
            uow,
            mercy,
            reports.ReportInput(
                title="Unsigned firmware accepted by an infusion-pump update service (demo)",
                description="The update service installs firmware without checking its signature (fictional demo content).",
                tlp="TLP:GREEN",
                cve_id="CVE-2026-90002",
                cwe_ids=["CWE-347"],
                cvss31=V31_HIGH,
                sectors=["healthcare_and_public_health"],
                ai_notes="Found by an AI-assisted firmware review.",
                ai_assisted_exploitability=True,
            ),
        )
        _validate(uow, analyst, green.id)
        duplicate = reports.submit(
            uow,
            nsa,
            reports.ReportInput(
                title="Infusion-pump update service skips signature checks (demo)",
                description="Same flaw, found independently (fictional demo content).",
                tlp="TLP:GREEN",
                cve_id="CVE-2026-90002",
                cvss31=V31_HIGH,
                sectors=["healthcare_and_public_health"],
            ),
        )
        reports.merge(uow, analyst, duplicate.id, into=green.id)
        first_federal = next(o.id for o in directory.list_organizations(uow) if o.name == "First Federal Bank")
        amber = reports.submit(
            uow,
            cisa,
            reports.ReportInput(
                title=AMBER_TITLE,
                description="The portal's Django session middleware accepts attacker-chosen ids (fictional demo content).",
                tlp="TLP:AMBER",
                products=[reports.ProductInput("Django", "django", "pkg:pypi/django", "", "vers:pypi/<4.2.99")],
                cve_id="CVE-2026-90003",
                cwe_ids=["CWE-384"],
                cvss31=V31_HIGH,
                sectors=["financial_services"],
            ),
            recipient_orgs=[first_federal],
        )
        _validate(uow, analyst, amber.id)
        reports.submit(
            uow,
            bank,
            reports.ReportInput(
                title="Core-ledger API leaks balances to read-only tokens (demo)",
                description="Read-only service tokens can list every account's balance (fictional demo content).",
                tlp="TLP:AMBER+STRICT",
                cvss31=V31_MEDIUM,
                sectors=["financial_services"],
            ),
        )
        reports.submit(
            uow,
            mercy,
            reports.ReportInput(
                title="Remote command execution in a radiology archive (demo)",
                description="An unauthenticated endpoint runs shell commands (fictional demo content).",
                tlp="TLP:RED",
                cvss31=V31_CRITICAL,
                sectors=["healthcare_and_public_health"],
            ),
            recipient_people=[analyst.user_id] if analyst.user_id else [],
        )
        _patches(uow, analyst, cisa, bank, amber.id)


def _patches(uow: UnitOfWork, analyst: Principal, cisa: Principal, bank: Principal, amber_id: uuid.UUID) -> None:
    """Fixes and their distribution at different stages: applied, acknowledged, still exposed."""
    second = _person(uow, SECOND_BANK_ADMIN)
    # Both banks follow financial services; First Federal's webhook subscription exists only where
    # webhooks to loopback are allowed (serve --demo), so elsewhere it follows in the app only.
    for admin in (second, bank) if not subscriptions.list_subscriptions(uow, bank) else (second,):
        subscriptions.create_subscription(
            uow, admin, name="Financial services", sectors=["financial_services"], channels=["in_app"]
        )
    patches.add_fix(
        uow,
        analyst,
        amber_id,
        patches.FixInput(
            "4.2.99", "2026-11-20", "https://example.org/django/security/2026-90003", "Rotate session ids at login."
        ),
    )
    patches.update_own(uow, bank, amber_id, state="applied", note="Rolled out to every portal node.")
    library = reports.submit(
        uow,
        cisa,
        reports.ReportInput(
            title="Deserialization flaw in a payment-card HSM client library (demo)",
            description="A crafted key-exchange message runs code in the client (fictional demo content).",
            tlp="TLP:GREEN",
            products=[reports.ProductInput("Example", "hsm-client", "pkg:pypi/example-hsm-client", "", "vers:pypi/<2.8.1")],
            cve_id="CVE-2026-90004",
            cwe_ids=["CWE-502"],
            cvss31=V31_HIGH,
            sectors=["financial_services"],
        ),
    )
    _validate(uow, analyst, library.id)
    patches.add_fix(uow, cisa, library.id, patches.FixInput("2.8.1", "2026-11-28", "https://example.org/hsm-client/2.8.1"))
    patches.update_own(uow, bank, library.id, state="acknowledged", note="Scheduled for the next change window.")
