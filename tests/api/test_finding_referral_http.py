"""Referring a finding over HTTP: the API (201, 403, 404, 409, 422) and the web form with its confirmation."""

from __future__ import annotations

import html as html_lib
import re

import httpx
import pytest

from frontier_review.bootstrap import Container
from frontier_review.engagements.findings import service as findings
from frontier_review.engagements.findings.views import FindingView
from tests.api.helpers import assert_problem, bearer, csrf_from, web_login
from tests.factories.engagements import Setup, make_engagement
from tests.factories.identity import api_token

BODY = {
    "products": [{"vendor": "Example", "product": "archive", "purl": "pkg:pypi/example-archive", "versions": "vers:pypi/<2.4.1"}],
    "cve_id": "CVE-2026-10001",
    "cwe_ids": ["CWE-22"],
    "cvss31": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:N",
    "sectors": ["information_technology"],
}


@pytest.fixture
def setup(container: Container) -> Setup:
    return make_engagement(container)


def _file(container: Container, setup: Setup, category: str = "third_party_vulnerability") -> FindingView:
    with container.uow() as uow:
        return findings.file_finding(
            uow,
            setup.reviewer.principal,
            setup.engagement.id,
            title="Path traversal in an archive library",
            category=category,
            severity="medium",
            description="Extraction writes outside the target directory.",
            tlp="TLP:GREEN",
        )


def test_the_api_refers_once_and_refuses_the_others(container: Container, setup: Setup, http: httpx.Client) -> None:
    f = _file(container, setup)
    url = f"/api/v1/engagements/{setup.engagement.id}/findings/{f.id}/referral"
    finder = bearer(api_token(container, setup.reviewer))
    assert_problem(http.post(url, json={**BODY, "cve_id": "CVE-1"}, headers=finder), 422, field="cve_id")
    assert_problem(http.post(url, json=BODY, headers=bearer(api_token(container, setup.developer))), 403)
    other = f"/api/v1/engagements/{setup.engagement.id}/findings/{_file(container, setup, 'safeguard_bypass').id}/referral"
    assert_problem(http.post(other, json=BODY, headers=finder), 403)
    created = http.post(url, json=BODY, headers=finder)
    assert created.status_code == 201, created.text
    assert created.json()["tlp"] == "TLP:GREEN" and created.json()["status"] == "received"
    report = http.get(f"/api/v1/clearinghouse/reports/{created.json()['report_id']}", headers=finder)
    assert report.status_code == 200 and report.json()["cve_id"] == "CVE-2026-10001"
    assert_problem(http.post(url, json=BODY, headers=finder), 409)
    wrong = f"/api/v1/engagements/{setup.engagement.id}/findings/{setup.engagement.id}/referral"
    assert_problem(http.post(wrong, json=BODY, headers=finder), 404)


def test_the_web_form_confirms_then_refers_and_the_finding_page_says_so(
    container: Container, setup: Setup, http: httpx.Client
) -> None:
    f = _file(container, setup)
    page = f"/engagements/{setup.engagement.id}/findings/{f.id}"
    assert web_login(http, setup.reviewer.email, setup.reviewer.password).status_code == 303
    assert f'href="{page}/referral"' in http.get(page).text
    form = http.get(page + "/referral")
    assert form.status_code == 200 and "Who will see the report" in form.text
    data = {"csrf_token": csrf_from(form.text), "cve_id": "CVE-2026-10001", "cwe_ids": "CWE-22", "sectors": "energy"}
    bad = http.post(page + "/referral", data={**data, "cvss31": "CVSS:3.1/AV:Q"})
    assert bad.status_code == 422 and "CVSS" in bad.text
    asked = http.post(page + "/referral", data=data)
    assert asked.status_code == 200 and "Refer this finding to the clearinghouse?" in asked.text
    digest = re.search(r'name="confirm" value="([^"]+)"', asked.text)
    draft = re.search(r'name="draft" value="([^"]+)"', asked.text)
    assert digest and draft
    done = http.post(
        page + "/referral",
        data={"csrf_token": csrf_from(asked.text), "confirm": digest.group(1), "draft": html_lib.unescape(draft.group(1))},
    )
    assert done.status_code == 303
    shown = http.get(page).text
    assert "Referred to the clearinghouse as report" in shown and f'href="{page}/referral"' not in shown
    # The developer reads the finding but not the unvalidated report: no line about it.
    http.post("/logout", data={"csrf_token": csrf_from(shown)})
    assert web_login(http, setup.developer.email, setup.developer.password).status_code == 303
    assert "Referred to the clearinghouse" not in http.get(page).text
