"""Bad input to every clearinghouse API and web form: a clear 4xx naming the field, nothing written.

For each slice (reports, incidents, scans, subscriptions) and each interface: the API answers 422
problem+json whose ``errors[].field`` names the field; the web form comes back (422) with the
error next to the field (``aria-invalid`` and its ``…-error`` element) and every typed value kept.
Never a 500, and no row and no audit entry is added anywhere (every table is counted before and
after). Hypothesis sends random strings into each validated field: never a 500, never a write.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from frontier_review.bootstrap import Container
from frontier_review.composition import Base
from frontier_review.kernel.clock import FrozenClock
from tests.api.helpers import bearer, csrf_from, web_login
from tests.factories.clearinghouse import V31
from tests.factories.clearinghouse_matrix import DEACTIVATED, World, make_world

API = "/api/v1/clearinghouse"
# Rows a request may add whatever its input: sign-in sessions and rate-limit buckets.
_NOISE = ("session", "rate", "login")


@pytest.fixture
def world(container: Container) -> World:
    return make_world(container, webhook=False)  # private webhook targets stay refused here


def _counts(container: Container) -> dict[str, int]:
    """Rows in every table, audit log included (one statement: it runs around every request)."""
    tables = [t for t in Base.metadata.sorted_tables if not any(n in t.name for n in _NOISE)]
    query = sa.select(*(sa.select(sa.func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables))
    with container.sessions() as session:
        row = session.execute(query).one()
    return {t.name: int(n) for t, n in zip(tables, row, strict=True)}


def _changed(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {name: (before[name], after[name]) for name in before if before[name] != after[name]}


def _fields(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text[:300]
    body = response.json()
    return [str(e["field"]) for e in body.get("errors") or []] + ([str(body["field"])] if body.get("field") else [])


def _ids(world: World, clock: FrozenClock) -> dict[str, str]:
    return {
        **world.ids,
        "nobody": str(uuid.uuid4()),
        "past": (clock.now() - timedelta(hours=3)).isoformat(),
        "earlier": (clock.now() - timedelta(hours=5)).isoformat(),
        "start": (clock.now() + timedelta(days=3)).isoformat(),
        "before_start": (clock.now() + timedelta(days=2)).isoformat(),
        "end": (clock.now() + timedelta(days=4)).isoformat(),
    }


REPORT: dict[str, object] = {"title": "Parser overflow", "description": "Steps.", "tlp": "TLP:GREEN", "cvss31": V31}
INCIDENT: dict[str, object] = {
    "title": "VPN intrusion",
    "systems": "VPN",
    "started_at": "{earlier}",
    "detected_at": "{past}",
    "detection": "log_review",
    "model_text": "an agent",
    "narrative": "It logged in.",
    "tlp": "TLP:GREEN",
}
SCAN: dict[str, object] = {"target_org_id": "{bank2}", "ranges": ["192.0.2.0/24"], "starts_at": "{start}", "ends_at": "{end}"}
SUBSCRIPTION: dict[str, object] = {"name": "Banking", "sectors": ["financial_services"]}
HOOK: dict[str, object] = {"channels": ["webhook"]}
PRODUCT: dict[str, object] = {"vendor": "Acme", "product": "Parser"}

# (path, valid body, what is wrong, the field named)
CASES: list[tuple[str, dict[str, object], dict[str, object], str]] = [
    ("reports", REPORT, {"cvss31": "CVSS:3.1/AV:N/AC:L"}, "cvss31"),
    ("reports", REPORT, {"cvss31": "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}, "cvss31"),
    ("reports", REPORT, {"cvss40": "CVSS:4.0/AV:N/AC:L/AT:N"}, "cvss40"),
    ("reports", REPORT, {"cvss40": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}, "cvss40"),
    ("reports", REPORT, {"cwe_ids": ["CWE-99999999"]}, "cwe_ids"),
    ("reports", REPORT, {"cwe_ids": ["not a cwe"]}, "cwe_ids"),
    ("reports", REPORT, {"products": [{**PRODUCT, "purl": "pkg:"}]}, "products"),
    ("reports", REPORT, {"products": [{**PRODUCT, "purl": "django@4.2"}]}, "products"),
    ("reports", REPORT, {"products": [{**PRODUCT, "cpe": "cpe:2.3:a:acme"}]}, "products"),
    ("reports", REPORT, {"products": [{**PRODUCT, "purl": "pkg:pypi/acme", "versions": "vers:pypi/>=1.0|<"}]}, "products"),
    ("reports", REPORT, {"products": [{**PRODUCT, "purl": "pkg:pypi/acme", "versions": "not a range"}]}, "products"),
    ("reports", REPORT, {"tlp": "TLP:PURPLE"}, "tlp"),
    ("reports", REPORT, {"tlp": "TLP:RED"}, "recipient_people"),
    ("reports", REPORT, {"tlp": "TLP:AMBER", "recipient_orgs": ["{nobody}"]}, "recipient_orgs"),
    ("reports", REPORT, {"tlp": "TLP:RED", "recipient_people": ["{nobody}"]}, "recipient_people"),
    ("reports", REPORT, {"tlp": "TLP:RED", "recipient_people": ["{deactivated_user}"]}, "recipient_people"),
    ("reports", REPORT, {"cve_id": "CVE-26-1"}, "cve_id"),
    ("incidents", INCIDENT, {"detected_at": "{earlier}", "started_at": "{past}"}, "detected_at"),
    ("incidents", INCIDENT, {"tlp": "TLP:WHITE"}, "tlp"),
    ("incidents", INCIDENT, {"tlp": "TLP:RED"}, "recipient_people"),
    ("incidents", INCIDENT, {"tlp": "TLP:AMBER", "recipient_orgs": ["{nobody}"]}, "recipient_orgs"),
    ("incidents", INCIDENT, {"tlp": "TLP:RED", "recipient_people": ["{deactivated_user}"]}, "recipient_people"),
    ("incidents", INCIDENT, {"indicators": [{"type": "ipv4-addr", "value": "10.0.0.0/33"}]}, "indicators[0]"),
    ("incidents", INCIDENT, {"indicators": [{"type": "ipv6-addr", "value": "2001:db8::/129"}]}, "indicators[0]"),
    ("incidents", INCIDENT, {"indicators": [{"type": "ipv4-addr", "value": "2001:db8::1"}]}, "indicators[0]"),
    ("scans", SCAN, {"ranges": ["10.1.2.3/8"]}, "ranges"),
    ("scans", SCAN, {"ranges": ["300.1.1.0/24"]}, "ranges"),
    ("scans", SCAN, {"ranges": ["2001:db8::/129"]}, "ranges"),
    ("scans", SCAN, {"ranges": ["2001:db8::1/64"]}, "ranges"),
    ("scans", SCAN, {"ends_at": "{before_start}"}, "ends_at"),
    ("scans", SCAN, {"target_org_id": "{nobody}"}, "target_org_id"),
    ("subscriptions", SUBSCRIPTION, {**HOOK, "webhook_url": "http://127.0.0.1:8080/hook"}, "webhook_url"),
    ("subscriptions", SUBSCRIPTION, {**HOOK, "webhook_url": "http://169.254.169.254/latest/meta-data"}, "webhook_url"),
    ("subscriptions", SUBSCRIPTION, {**HOOK, "webhook_url": "http://10.1.2.3/hook"}, "webhook_url"),
    ("subscriptions", SUBSCRIPTION, {**HOOK, "webhook_url": "http://[::1]/hook"}, "webhook_url"),
    ("subscriptions", SUBSCRIPTION, {**HOOK, "webhook_url": "ftp://192.0.2.10/hook"}, "webhook_url"),
    ("subscriptions", SUBSCRIPTION, {**HOOK, "webhook_url": "file:///etc/passwd"}, "webhook_url"),
    ("subscriptions", SUBSCRIPTION, {"products": ["pkg:"]}, "products"),
    ("subscriptions", SUBSCRIPTION, {"products": ["cpe:2.3:q"]}, "products"),
    ("subscriptions", SUBSCRIPTION, {"sectors": ["lunar_mining"]}, "sectors"),
]
# The actor posting: subscriptions are created by admins (the bank's).
_POSTER = {"reports": "source", "incidents": "bank", "scans": "validator", "subscriptions": "bank"}


def _fill(value: object, ids: dict[str, str]) -> object:
    if isinstance(value, str):
        return value.format_map(ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def test_api_names_the_field_and_writes_nothing(
    container: Container, world: World, clock: FrozenClock, http: httpx.Client
) -> None:
    ids = _ids(world, clock)
    failures = []
    for path, valid, wrong, field in CASES:
        before = _counts(container)
        body = _fill({**valid, **wrong}, ids)
        response = http.post(f"{API}/{path}", json=body, headers=bearer(world.tokens[_POSTER[path]]))
        changed = _changed(before, _counts(container))
        if response.status_code != 422 or not any(f.startswith(field) for f in _fields(response)) or changed:
            failures.append(f"{path} {wrong}: {response.status_code} {changed} {response.text[:240]}")
    assert not failures, "\n".join(failures)
    # The valid bodies themselves are accepted (so each refusal above is the one field's).
    for path, valid in {"reports": REPORT, "incidents": INCIDENT, "scans": SCAN, "subscriptions": SUBSCRIPTION}.items():
        made = http.post(f"{API}/{path}", json=_fill(valid, ids), headers=bearer(world.tokens[_POSTER[path]]))
        assert made.status_code == 201, (path, made.text)


@contextmanager
def _browser(base_url: str, world: World, actor: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        person = world.people[actor]
        assert web_login(client, person.email, person.password).status_code == 303
        yield client


def _local(ids: dict[str, str], key: str) -> str:
    return ids[key][:16]  # the forms' datetime-local shape (UTC: the default zone)


# (form, actor, valid fields, what is wrong, the field named, values that must be kept)
FORMS: list[tuple[str, str, dict[str, str | list[str]], dict[str, str | list[str]], str, list[str]]] = [
    (
        "/clearinghouse/reports/new",
        "source",
        {"title": "Kept title", "description": "Kept description", "tlp": "TLP:GREEN"},
        {"cvss31": "CVSS:3.1/AV:N", "cwe_ids": "CWE-99999999", "purl": ["pkg:"], "vendor": ["Acme"], "product": ["P"]},
        "cvss31",
        ["Kept title", "Kept description", "CVSS:3.1/AV:N", "CWE-99999999"],
    ),
    (
        "/clearinghouse/reports/new",
        "source",
        {"title": "Kept title", "description": "Kept description", "cvss40": "CVSS:4.0/AV:N"},
        {"tlp": "TLP:RED"},
        "recipient_people",
        ["Kept title", "Kept description", "CVSS:4.0/AV:N"],
    ),
    (
        "/clearinghouse/incidents/new",
        "bank",
        {"title": "Kept incident", "systems": "Kept VPN", "detection": "log_review", "narrative": "Kept narrative"},
        {"started_at": "{local_past}", "detected_at": "{local_earlier}", "tlp": "TLP:PURPLE"},
        "detected_at",
        ["Kept incident", "Kept VPN", "Kept narrative"],
    ),
    (
        "/clearinghouse/scans/new",
        "validator",
        {"target_org_id": "{bank2}", "domains": "kept.example", "purpose": "Kept purpose"},
        {"ranges": "10.1.2.3/8", "starts_at": "{local_start}", "ends_at": "{local_before_start}"},
        "ranges",
        ["kept.example", "Kept purpose", "10.1.2.3/8"],
    ),
    (
        "/clearinghouse/subscriptions",
        "bank",
        {"name": "Kept name", "sectors": ["financial_services"], "channels": ["webhook"]},
        {"webhook_url": "http://169.254.169.254/latest", "products": "pkg:"},
        "webhook_url",
        ["Kept name", "http://169.254.169.254/latest"],
    ),
]


@pytest.mark.parametrize("index", range(len(FORMS)), ids=[f"form-{i}" for i in range(len(FORMS))])
def test_web_forms_come_back_with_the_error_and_what_was_typed(
    container: Container, world: World, clock: FrozenClock, base_url: str, index: int
) -> None:
    path, actor, valid, wrong, field, kept = FORMS[index]
    ids = _ids(world, clock)
    ids |= {f"local_{k}": _local(ids, k) for k in ("past", "earlier", "start", "before_start")}
    with _browser(base_url, world, actor) as browser:
        page = browser.get(path)
        assert page.status_code == 200, page.text[:200]
        before = _counts(container)
        data = _fill({**valid, **wrong, "csrf_token": csrf_from(page.text)}, ids)
        refused = browser.post(path, data=data)  # type: ignore[arg-type]
        assert refused.status_code == 422, refused.text[:400]
        assert refused.headers["content-type"].startswith("text/html")
        assert not _changed(before, _counts(container))
        html = refused.text
        fid = field.replace("_", "-")
        errors = re.findall(r'id="([^"]*-error)"', html)
        assert any(e.endswith(f"-{fid}-error") for e in errors), f"no error next to {field}: {errors}"
        for value in kept:
            assert value.replace("&", "&amp;") in html or value in html, f"{value!r} was not kept"


_VALIDATED = {
    "reports": ("cvss31", "cvss40", "cve_id", "tlp", "cwe_ids"),
    "incidents": ("tlp", "detection", "indicator"),
    "scans": ("ranges", "domains"),
    "subscriptions": ("products", "sectors", "min_priority", "webhook_url"),
}
_BASE = {"reports": REPORT, "incidents": INCIDENT, "scans": SCAN, "subscriptions": {**SUBSCRIPTION, **HOOK}}


def _randomised(path: str, field: str, text: str, ids: dict[str, str]) -> dict[str, object]:
    body = _fill(_BASE[path], ids)
    assert isinstance(body, dict)
    if field == "indicator":
        body["indicators"] = [{"type": "ipv4-addr", "value": text}]
    elif field in {"cwe_ids", "ranges", "domains", "products", "sectors"}:
        body[field] = [text]
    else:
        body[field] = text
    return body


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    choice=st.sampled_from([(p, f) for p, fs in _VALIDATED.items() for f in fs]),
    text=st.text(max_size=60)
    | st.from_regex(r"(CVSS:[34]\.[01]/|pkg:|cpe:2\.3:|CWE-|TLP:|http://)[\x20-\x7e]{0,30}", fullmatch=True),
)
def test_random_strings_never_give_a_500(
    container: Container, world: World, clock: FrozenClock, http: httpx.Client, choice: tuple[str, str], text: str
) -> None:
    """Whatever is typed into a validated field: 201 or a 4xx problem, and nothing written on a 4xx."""
    path, field = choice
    before = _counts(container)
    body = _randomised(path, field, text, _ids(world, clock))
    response = http.post(f"{API}/{path}", json=body, headers=bearer(world.tokens[_POSTER[path]]))
    assert response.status_code < 500, (path, field, text, response.text[:300])
    if response.status_code >= 400:
        assert response.status_code in {400, 403, 409, 422}, response.text[:300]
        assert not _changed(before, _counts(container)), (path, field, text)


def test_a_deactivated_token_writes_nothing(container: Container, world: World, clock: FrozenClock, http: httpx.Client) -> None:
    before = _counts(container)
    response = http.post(f"{API}/reports", json=REPORT, headers=bearer(world.tokens[DEACTIVATED]))
    assert response.status_code == 401
    assert not _changed(before, _counts(container))
