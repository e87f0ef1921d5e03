"""Coverage and registry web forms over real HTTP: facts, release, policy upload, inquiry actions."""

from __future__ import annotations

import re

import httpx

from frontier_review.bootstrap import Container
from frontier_review.coverage import results
from frontier_review.identity.domain import OrgKind, Role
from tests.api.confirming import confirmed_post
from tests.api.helpers import csrf_from, web_login
from tests.factories.coverage import REFERENCE, make_version, publish_reference, register_sample_benchmark
from tests.factories.identity import make_org, make_user


def test_developer_declares_facts_through_the_form_and_releases(container: Container, http: httpx.Client) -> None:
    dev_org = make_org(container, OrgKind.DEVELOPER, name="Northwind AI")
    dev = make_user(container, dev_org, role=Role.ADMIN)
    web_login(http, dev.email, dev.password)
    page = http.get("/models")
    made = http.post("/models", data={"name": "Atlas", "description": "", "csrf_token": csrf_from(page.text)})
    model_url = made.headers["location"]
    page = http.get(model_url)
    added = http.post(f"{model_url}/versions", data={"label": "3.0-rc1", "csrf_token": csrf_from(page.text)})
    version_url = added.headers["location"]
    page = http.get(version_url)
    token = csrf_from(page.text)
    ok = http.post(
        f"{version_url}/facts",
        data={"name": "training_compute_flop", "value": "3.2e26", "source_document": "card §2", "csrf_token": token},
        follow_redirects=True,
    )
    assert "3.2e+26" in ok.text
    assert "card §2" in ok.text
    bad = http.post(
        f"{version_url}/facts",
        data={"name": "training_compute_flop", "value": "lots", "csrf_token": token},
        follow_redirects=True,
    )
    assert "must be a number" in bad.text
    # The old form target performs nothing: it leads to the confirmation page.
    old = http.post(f"{version_url}/status", data={"status": "released", "csrf_token": token})
    assert old.status_code == 307 and old.headers["location"] == f"{version_url}/release"
    assert "prerelease" in http.get(version_url).text
    released = confirmed_post(http, f"{version_url}/release")
    assert released.status_code == 303, released.text
    assert "is now released" in http.get(released.headers["location"]).text


def test_policy_upload_validates_publishes_and_reports_lines(container: Container, http: httpx.Client) -> None:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    admin = make_user(container, po, role=Role.ADMIN, cleared=True)
    web_login(http, admin.email, admin.password)
    page = http.get("/coverage/policies")
    source = (REFERENCE / "eu-ai-act-art51-2.toml").read_text()
    checked = http.post("/coverage/policies", data={"source": source, "action": "validate", "csrf_token": csrf_from(page.text)})
    assert "Valid: eu-ai-act-art51-2@1" in checked.text
    broken = http.post(
        "/coverage/policies",
        data={
            "source": source.replace("value = 1e25", 'value = "1e25"'),
            "action": "publish",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert broken.status_code == 422
    assert re.search(r"line \d+: criteria\.all\[0\]\.value", broken.text)
    published = http.post(
        "/coverage/policies",
        files={"upload": ("policy.toml", source.encode(), "application/toml")},
        data={"action": "publish", "csrf_token": csrf_from(page.text)},
    )
    assert published.status_code == 303
    assert published.headers["location"] == "/coverage/policies/eu-ai-act-art51-2@1"
    stricter = (
        source.replace('version = "1"', 'version = "2"')
        .replace("value = 1e25", "value = 1e26")
        .replace("2025-08-02", "2026-09-01")
    )
    http.post("/coverage/policies", data={"source": stricter, "action": "publish", "csrf_token": csrf_from(page.text)})
    dev_org = make_org(container, OrgKind.DEVELOPER)
    dev = make_user(container, dev_org, role=Role.ADMIN)
    make_version(container, dev, label="mid", training_compute_flop=5e25)
    detail = http.get("/coverage/policies/eu-ai-act-art51-2@2")
    assert "Versions decided differently than under eu-ai-act-art51-2@1" in detail.text
    assert "Atlas mid" in detail.text
    diff = http.get("/coverage/policy-diff", params={"a": "eu-ai-act-art51-2@1", "b": "eu-ai-act-art51-2@2"})
    assert 'class="add"' in diff.text and "1e+26" in diff.text


def test_program_office_attaches_results_and_decides_from_the_inquiry_page(container: Container, http: httpx.Client) -> None:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    admin = make_user(container, po, role=Role.ADMIN, cleared=True)
    dev_org = make_org(container, OrgKind.DEVELOPER)
    dev = make_user(container, dev_org, role=Role.ADMIN)
    register_sample_benchmark(container, admin)
    publish_reference(container, admin, "example-classified-cyber.toml")
    version = make_version(container, dev, label="rc3")
    with container.uow() as uow:
        result = results.record_result(
            uow, admin.principal, benchmark="cyber-offense-sample", benchmark_version="1", score=0.4, model_version_id=version.id
        )
    web_login(http, dev.email, dev.password)
    page = http.get(f"/versions/{version.id}")
    filed = http.post(
        "/coverage/inquiries",
        data={"model_version_id": str(version.id), "question": "Covered?", "csrf_token": csrf_from(page.text)},
    )
    inquiry_url = filed.headers["location"]
    http.cookies.clear()
    web_login(http, admin.email, admin.password)
    page = http.get(inquiry_url)
    assert "0.400" in page.text  # cleared staff see the score they weigh
    attached = http.post(
        f"{inquiry_url}/attach-results",
        data={"result_ids": str(result.id), "csrf_token": csrf_from(page.text)},
        follow_redirects=True,
    )
    assert "results attached" in attached.text
    version_no = re.search(r'name="version" value="(\d+)"', attached.text)
    assert version_no is not None
    decision = {
        "policy": "eo14409-covered-cyber-example@1",
        "rationale": "Below the threshold.",
        "version": version_no.group(1),
        "csrf_token": csrf_from(page.text),
    }
    preview = http.post(f"{inquiry_url}/decide", data=decision)
    assert preview.status_code == 200 and "Check the decision before you record it" in preview.text
    inputs = re.search(r'name="inputs" value="([^"]+)"', preview.text)
    assert inputs is not None
    decided = http.post(
        f"{inquiry_url}/decide",
        data={**decision, "step": "confirm", "inputs": inputs.group(1)},
        follow_redirects=True,
    )
    assert "insufficient evidence" in decided.text or "not covered" in decided.text
    stale = http.post(
        f"{inquiry_url}/request-information",
        data={"message": "more?", "version": "1", "csrf_token": csrf_from(page.text)},
        follow_redirects=True,
    )
    assert "changed since you loaded it" in stale.text or "the inquiry is decided" in stale.text
