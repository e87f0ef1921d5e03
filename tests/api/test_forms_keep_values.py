"""Forms that keep what was typed (issue 12, item 1), over real HTTP.

A refused form is shown again (status of the error, 422 for bad input) on its own page, in a
fresh unit of work, with the values typed, the error next to its field and a summary at the top
linking to it. Nothing of the refused change is stored, passwords and tokens are never sent back,
and nothing typed goes into the session cookie.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.asgi import SESSION_COOKIE
from frontier_review.bootstrap import Container
from frontier_review.engagements.findings.orm import Finding
from frontier_review.engagements.lifecycle.orm import Engagement
from frontier_review.engagements.materials.orm import FindingEvidence, SealedChunk
from frontier_review.identity.domain import OrgKind, Role
from tests.api.helpers import csrf_from, web_login
from tests.factories.coverage import REFERENCE, make_version
from tests.factories.engagements import Setup, make_engagement
from tests.factories.identity import Person, make_org, make_user


@pytest.fixture
def setup(container: Container) -> Setup:
    return make_engagement(container)


@contextmanager
def _client(base_url: str, person: Person) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        assert web_login(client, person.email, person.password).status_code == 303
        yield client


@pytest.fixture
def reviewer(base_url: str, setup: Setup) -> Iterator[httpx.Client]:
    with _client(base_url, setup.reviewer) as client:
        yield client


@pytest.fixture
def developer(base_url: str, setup: Setup) -> Iterator[httpx.Client]:
    with _client(base_url, setup.developer) as client:
        yield client


def _count(container: Container, table: type[object]) -> int:
    with container.sessions() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def _session(client: httpx.Client) -> str:
    """The session cookie's JSON (Starlette signs it but does not encrypt it)."""
    value = client.cookies.get(SESSION_COOKIE) or ""
    payload = value.split(".", 1)[0]
    return base64.b64decode(payload + "=" * (-len(payload) % 4)).decode()


def _field(html: str, field_id: str) -> str:
    """The opening tag of the control with ``field_id``."""
    match = re.search(rf"<(input|textarea|select)[^>]*\bid=\"{re.escape(field_id)}\"[^>]*>", html)
    assert match, f"no control #{field_id}"
    return match.group(0)


def test_a_refused_finding_comes_back_with_its_text_and_the_error_next_to_the_title(
    container: Container, setup: Setup, reviewer: httpx.Client
) -> None:
    new = f"/engagements/{setup.engagement.id}/findings/new"
    page = reviewer.get(new)
    assert page.status_code == 200
    description = "The model wrote <script>alert(1)</script> when asked twice."
    refused = reviewer.post(
        new,
        data={
            "csrf_token": csrf_from(page.text),
            "title": "ab",
            "category": "safeguard_bypass",
            "severity": "high",
            "tlp": "TLP:AMBER",
            "description": description,
        },
    )
    assert refused.status_code == 422, refused.text
    html = refused.text
    title = _field(html, "finding-title")
    assert 'value="ab"' in title
    assert 'aria-invalid="true"' in title
    assert "finding-title-error" in title
    assert re.search(r'id="finding-title-error"[^>]*>.*title must have 3 to', html)
    # Kept, escaped, and the choices as they were picked.
    assert "The model wrote &lt;script&gt;alert(1)&lt;/script&gt; when asked twice.</textarea>" in html
    assert re.search(r'<option value="high" selected>', html)
    assert re.search(r'<option value="safeguard_bypass" selected>', html)
    # The summary at the top of the form: announced, focusable, linking to the field.
    assert re.search(r'class="error-summary"[^>]*role="alert"[^>]*tabindex="-1"', html)
    assert 'href="#finding-title"' in html
    assert _count(container, Finding) == 0
    # Nothing typed went into the session cookie.
    session = _session(reviewer)
    assert "description" not in session and "alert(1)" not in session and "title" not in session


def test_filing_with_evidence_is_one_step_and_a_refused_file_leaves_no_finding(
    container: Container, setup: Setup, reviewer: httpx.Client
) -> None:
    new = f"/engagements/{setup.engagement.id}/findings/new"
    csrf = csrf_from(reviewer.get(new).text)
    form = {
        "csrf_token": csrf,
        "title": "Explains the overflow",
        "category": "safeguard_bypass",
        "severity": "medium",
        "tlp": "TLP:AMBER",
        "description": "Steps to reproduce.",
    }
    refused = reviewer.post(new, data=form, files=[("evidence", ("empty.txt", b"", "text/plain"))])
    assert refused.status_code == 422, refused.text
    assert "the file is empty" in refused.text
    assert 'value="Explains the overflow"' in _field(refused.text, "finding-title")
    assert "choose them again" in refused.text
    assert _count(container, Finding) == 0
    assert _count(container, FindingEvidence) == 0
    assert _count(container, SealedChunk) == 0

    filed = reviewer.post(
        new,
        data=form,
        files=[
            ("evidence", ("transcript.txt", b"user: hi\nassistant: ...", "text/plain")),
            ("evidence", ("shot.png", b"\x89PNG fake", "image/png")),
        ],
    )
    assert filed.status_code == 303, filed.text
    shown = reviewer.get(filed.headers["location"])
    assert "transcript.txt" in shown.text and "shot.png" in shown.text
    assert "2 evidence files sealed" in shown.text
    assert _count(container, Finding) == 1
    assert _count(container, FindingEvidence) == 2


def test_a_red_finding_without_recipients_keeps_the_form_and_names_the_field(setup: Setup, reviewer: httpx.Client) -> None:
    new = f"/engagements/{setup.engagement.id}/findings/new"
    refused = reviewer.post(
        new,
        data={
            "csrf_token": csrf_from(reviewer.get(new).text),
            "title": "Red one",
            "category": "safeguard_bypass",
            "severity": "low",
            "tlp": "TLP:RED",
            "description": "Only for named people.",
        },
    )
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in _field(refused.text, "finding-recipients")
    assert 'href="#finding-recipients"' in refused.text
    assert re.search(r'<option value="TLP:RED" selected>', refused.text)


def test_an_over_long_window_keeps_the_dates(container: Container, setup: Setup, developer: httpx.Client) -> None:
    page = f"/engagements/{setup.engagement.id}"
    refused = developer.post(
        f"{page}/window", data={"window_end": "2099-01-01T00:00", "csrf_token": csrf_from(developer.get(page).text)}
    )
    assert refused.status_code == 422, refused.text
    end = _field(refused.text, "window-window-end")
    assert 'value="2099-01-01T00:00"' in end
    assert 'aria-invalid="true"' in end
    assert "at most 30 days" in refused.text
    with container.sessions() as session:
        row = session.get(Engagement, setup.engagement.id)
        assert row is not None
        assert row.window_end == setup.engagement.window.end


def test_opening_an_engagement_over_30_days_keeps_every_value(container: Container, http: httpx.Client) -> None:
    dev = make_user(container, make_org(container, OrgKind.DEVELOPER), role=Role.ADMIN)
    version = make_version(container, dev, label="rc-long")
    web_login(http, dev.email, dev.password)
    page = http.get("/engagements")
    refused = http.post(
        "/engagements",
        data={
            "csrf_token": csrf_from(page.text),
            "version_id": str(version.id),
            "title": "Long review",
            "window_start": "2030-01-01T09:00",
            "window_end": "2030-03-01T09:00",
            "recipients": "federal_and_partners",
            "confidentiality_text": "Keep it all confidential, every output and material, always.",
            "use_restrictions": "",
            "system_card": "true",
            "materials_retention_days": "45",
            "requests_per_day": "10",
            "tokens_per_day": "5000",
            "requests_per_minute": "2",
        },
    )
    assert refused.status_code == 422, refused.text
    html = refused.text
    assert 'value="2030-01-01T09:00"' in _field(html, "open-window-start")
    assert 'value="2030-03-01T09:00"' in _field(html, "open-window-end")
    assert 'aria-invalid="true"' in _field(html, "open-window-end")
    assert 'value="Long review"' in _field(html, "open-title")
    assert 'value="45"' in _field(html, "open-materials-retention-days")
    assert "checked" in _field(html, "open-system-card")
    assert "checked" not in _field(html, "open-api-access")  # unticked by the user: stays unticked
    assert re.search(r'value="federal_and_partners" checked', html)
    assert _count(container, Engagement) == 0


def test_a_number_that_is_not_one_takes_the_same_path(container: Container, http: httpx.Client) -> None:
    """FastAPI's own validation (an ill-typed form field) shows the form again too."""
    dev = make_user(container, make_org(container, OrgKind.DEVELOPER), role=Role.ADMIN)
    version = make_version(container, dev, label="rc-num")
    web_login(http, dev.email, dev.password)
    refused = http.post(
        "/engagements",
        data={
            "csrf_token": csrf_from(http.get("/engagements").text),
            "version_id": str(version.id),
            "title": "Numbers",
            "window_start": "2030-01-01T09:00",
            "window_end": "2030-01-05T09:00",
            "recipients": "federal_only",
            "confidentiality_text": "Keep it all confidential, every output and material, always.",
            "requests_per_day": "lots",
        },
    )
    assert refused.status_code == 422
    assert "requests per day must be a whole number" in refused.text
    assert 'value="lots"' in _field(refused.text, "open-requests-per-day")
    assert 'value="Numbers"' in _field(refused.text, "open-title")


def test_a_bad_fact_value_keeps_the_value(container: Container, http: httpx.Client) -> None:
    dev = make_user(container, make_org(container, OrgKind.DEVELOPER), role=Role.ADMIN)
    version = make_version(container, dev, label="rc-fact")
    web_login(http, dev.email, dev.password)
    page = http.get(f"/versions/{version.id}")
    refused = http.post(
        f"/versions/{version.id}/facts",
        data={"name": "training_compute_flop", "value": "lots", "source_document": "card §2", "csrf_token": csrf_from(page.text)},
    )
    assert refused.status_code == 422, refused.text
    value = _field(refused.text, "fact-value")
    assert 'value="lots"' in value and 'aria-invalid="true"' in value
    assert 'value="card §2"' in _field(refused.text, "fact-source-document")
    assert "must be a number" in refused.text


def test_passwords_are_never_sent_back(container: Container, base_url: str) -> None:
    org = make_org(container, OrgKind.AGENCY)
    admin = make_user(container, org, role=Role.ADMIN)
    with _client(base_url, admin) as client:
        page = client.get("/account")
        refused = client.post("/account/tokens", data={"name": "", "expires_in_days": "7", "csrf_token": csrf_from(page.text)})
        assert refused.status_code == 422, refused.text
        assert 'value="7"' in _field(refused.text, "token-expires-in-days")


def test_a_button_with_nothing_to_keep_still_flashes_and_redirects(setup: Setup, base_url: str) -> None:
    """A refused button (an agency admin cannot revoke a participant) flashes the reason and goes back."""
    with _client(base_url, setup.agency_admin) as client:
        page = f"/engagements/{setup.engagement.id}"
        csrf = csrf_from(client.get(page).text)
        posted = client.post(f"{page}/participants/{setup.engagement.participants[0].id}/revoke", data={"csrf_token": csrf})
        assert posted.status_code == 303
        assert posted.headers["location"] == page
        assert "notice-error" in client.get(page).text


def test_a_refused_policy_file_comes_back_in_the_text_box_with_its_lines(container: Container, http: httpx.Client) -> None:
    """The model the other forms follow: every problem next to the source, with its line; an
    uploaded file comes back as text so the lines can be followed."""
    admin = make_user(container, make_org(container, OrgKind.PROGRAM_OFFICE), role=Role.ADMIN, cleared=True)
    web_login(http, admin.email, admin.password)
    page = http.get("/coverage/policies")
    broken = (REFERENCE / "eu-ai-act-art51-2.toml").read_text().replace("value = 1e25", 'value = "1e25"')
    refused = http.post(
        "/coverage/policies",
        files={"upload": ("policy.toml", broken.encode(), "application/toml")},
        data={"action": "publish", "csrf_token": csrf_from(page.text)},
    )
    assert refused.status_code == 422, refused.text
    source = _field(refused.text, "publish-source")
    assert 'aria-invalid="true"' in source and "publish-source-error" in source
    assert re.search(r'id="publish-source-error"[^>]*>.*line \d+: criteria\.all\[0\]\.value', refused.text, re.S)
    assert "value = &#34;1e25&#34;" in refused.text or "value = &quot;1e25&quot;" in refused.text


def test_terms_without_the_acknowledgment_come_back_with_the_box_marked(container: Container, base_url: str) -> None:
    setup = make_engagement(container, accept=False)
    page = f"/engagements/{setup.engagement.id}"
    with _client(base_url, setup.agency_admin) as client:
        refused = client.post(f"{page}/accept", data={"terms_number": "1", "csrf_token": csrf_from(client.get(page).text)})
        assert refused.status_code == 422, refused.text
        box = _field(refused.text, "accept-acknowledge")
        assert 'aria-invalid="true"' in box and "checked" not in box
        assert "tick the acknowledgment" in refused.text
        accepted = client.post(
            f"{page}/accept", data={"terms_number": "1", "acknowledge": "true", "csrf_token": csrf_from(refused.text)}
        )
        assert accepted.status_code == 303
