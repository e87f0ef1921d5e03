"""Subscriptions' pure rules: product prefixes, matching, the minimum priority, signing and the backoff."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.clearinghouse.priority.domain import Band
from frontier_review.clearinghouse.subscriptions import webhooks
from frontier_review.clearinghouse.subscriptions.domain import (
    Channel,
    ReportNotice,
    check_criteria,
    matches,
    parse_minimum,
    parse_product,
    product_matches,
)
from frontier_review.identity.domain import Sector
from frontier_review.kernel.errors import ValidationFailed


def notice(**changes: object) -> ReportNotice:
    values: dict[str, object] = {
        "report_id": uuid.UUID(int=1),
        "title": "Heap overflow",
        "label": "TLP:AMBER",
        "sectors": frozenset({Sector.ENERGY}),
        "purls": ("pkg:pypi/django@4.2.1",),
        "cpes": ("cpe:2.3:a:djangoproject:django:4.2.1:*:*:*:*:*:*:*",),
        "priority_score": 65.0,
        "priority_band": Band.HIGH,
        "url_path": "/clearinghouse/reports/1",
        "validated": True,
    }
    values.update(changes)
    return ReportNotice(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("prefix", "product", "expected"),
    [
        ("pkg:pypi/django", "pkg:pypi/django@4.2.1", True),
        ("pkg:pypi/django", "pkg:pypi/django", True),
        ("pkg:pypi/django", "pkg:pypi/django-extensions@3.0", False),
        ("pkg:pypi/django", "pkg:pypi/djangorestframework", False),
        ("pkg:pypi/django", "pkg:npm/django@1.0", False),
        ("pkg:pypi/django@4.2.1", "pkg:pypi/django@4.2.1", True),
        ("pkg:pypi/django@4.2.1", "pkg:pypi/django@4.2.10", False),
        ("pkg:maven/org.apache", "pkg:maven/org.apache/commons-text@1.9", True),
        ("pkg:maven/org.apache", "pkg:maven/org.apache.logging/log4j-core@2.14", False),
        ("pkg:maven/org.apache/commons-text", "pkg:maven/org.apache/commons-text@1.9?type=jar", True),
        ("pkg:npm/%40angular/core", "pkg:npm/%40angular/core@17.0.0", True),
        ("pkg:pypi/django", "not a purl", False),
        ("cpe:2.3:a:djangoproject:django", "cpe:2.3:a:djangoproject:django:4.2.1:*:*:*:*:*:*:*", True),
        ("cpe:2.3:a:djangoproject:django", "cpe:2.3:a:djangoproject:django_cms:3.0:*:*:*:*:*:*:*", False),
        ("cpe:2.3:a:djangoproject", "cpe:2.3:a:djangoproject:django:4.2.1:*:*:*:*:*:*:*", True),
        ("cpe:2.3:a:*:django", "cpe:2.3:a:djangoproject:django:4.2.1:*:*:*:*:*:*:*", True),
        ("cpe:2.3:a:djangoproject:django", "CPE:2.3:A:DjangoProject:Django:4.2.1:*:*:*:*:*:*:*", True),
        ("cpe:2.3:a:djangoproject:django", "pkg:pypi/django", False),
        ("cpe:2.3:o:djangoproject:django", "cpe:2.3:a:djangoproject:django:4.2.1:*:*:*:*:*:*:*", False),
    ],
    ids=str,
)
def test_products_match_at_component_boundaries(prefix: str, product: str, expected: bool) -> None:
    assert product_matches(parse_product(prefix) if not prefix.startswith("CPE") else prefix, product) is expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("django", "package URL"),
        ("pkg:pypi", "not a valid package URL"),
        ("pkg:pypi/django?os=linux", "qualifiers"),
        ("cpe:2.3:x:vendor:product", "part"),
        ("cpe:2.2:a:vendor", "cpe:2.3"),
        ("cpe:2.3:a", "cpe:2.3:<part>"),
        ("cpe:2.3:a:ven dor:product", "not a valid CPE 2.3 component"),
        ("cpe:2.3:a:v:p:1:*:*:*:*:*:*:*:extra", "at most"),
    ],
    ids=str,
)
def test_malformed_products_are_refused_with_a_reason(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_product(text)


def test_normalised_products() -> None:
    assert parse_product("  pkg:PyPI/Django_Rest ") == "pkg:pypi/django-rest"
    assert parse_product("cpe:2.3:A:Vendor:Product") == "cpe:2.3:a:vendor:product"


def test_a_notice_matches_by_sector_or_product_at_or_above_the_minimum() -> None:
    by_sector = check_criteria(
        name="s", sectors=["energy"], products=[], min_priority="high", channels=["in_app"], webhook_url=None
    )
    by_product = check_criteria(
        name="p", sectors=[], products=["pkg:pypi/django"], min_priority=None, channels=["in_app"], webhook_url=None
    )
    assert matches(by_sector, notice())
    assert not matches(by_sector, notice(sectors=frozenset({Sector.DAMS})))
    assert not matches(by_sector, notice(priority_score=59.9, priority_band=Band.MEDIUM))
    assert matches(by_sector, notice(priority_score=60.0))
    assert matches(by_product, notice(sectors=frozenset()))
    assert not matches(by_product, notice(purls=("pkg:pypi/django-extensions@1",), cpes=()))


def test_minimum_priority_is_a_score_or_a_band() -> None:
    assert parse_minimum("critical") == 80.0
    assert parse_minimum("Medium") == 40.0
    assert parse_minimum(" 72.25 ") == 72.2
    assert parse_minimum("") == 0.0
    assert parse_minimum(None) == 0.0
    for bad in ("101", "-1", "urgent"):
        with pytest.raises(ValueError, match="min_priority"):
            parse_minimum(bad)


def test_criteria_name_every_bad_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_criteria(
            name="",
            sectors=["banking"],
            products=["pkg:pypi"],
            min_priority="urgent",
            channels=["webhook", "pigeon"],
            webhook_url=None,
        )
    fields = {p.field for p in caught.value.problems}
    assert fields == {"name", "sectors", "products", "min_priority", "channels", "webhook_url"}


def test_criteria_need_a_sector_or_product_and_a_channel() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_criteria(name="x", sectors=[], products=[], min_priority=None, channels=[], webhook_url=None)
    assert {p.field for p in caught.value.problems} == {"sectors", "channels"}
    kept = check_criteria(
        name=" a  b ", sectors=["financial_services"], products=[], min_priority=None, channels=["email"], webhook_url="http://x"
    )
    assert kept.name == "a b"
    assert kept.webhook_url is None  # no webhook channel: the address is not kept
    assert kept.channels == frozenset({Channel.EMAIL})


# Signing, checked against an independent implementation written from the documented spec:
# hex(HMAC-SHA256(key=secret, msg=f"{t}.{body}")) in "t=<t>,v1=<hex>".
def _spec_header(secret: str, t: int, body: bytes) -> str:
    mac = hmac.HMAC(secret.encode("utf-8"), digestmod=hashlib.sha256)
    mac.update(f"{t}.".encode())
    mac.update(body)
    return f"t={t},v1={mac.hexdigest()}"


@given(secret=st.text(min_size=1, max_size=40), t=st.integers(0, 2**33), body=st.binary(max_size=200))
def test_signature_header_follows_the_documented_spec(secret: str, t: int, body: bytes) -> None:
    assert webhooks.signature_header(secret, t, body) == _spec_header(secret, t, body)


def test_known_signature_vector() -> None:
    # Computed once by hand with: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac frwhsec_test
    header = webhooks.signature_header("frwhsec_test", 1_700_000_000, b'{"a":1}')
    assert header == _spec_header("frwhsec_test", 1_700_000_000, b'{"a":1}')
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64


def test_verify_checks_secret_body_and_replay_window() -> None:
    body = b'{"x":1}'
    header = webhooks.signature_header("s3cret", 1000, body)
    assert webhooks.verify(header, body, "s3cret", now=1000 + webhooks.REPLAY_WINDOW_SECONDS)
    assert not webhooks.verify(header, body, "s3cret", now=1000 + webhooks.REPLAY_WINDOW_SECONDS + 1)
    assert not webhooks.verify(header, body + b" ", "s3cret", now=1000)
    assert not webhooks.verify(header, body, "other", now=1000)
    assert not webhooks.verify("t=abc,v1=00", body, "s3cret", now=1000)
    rotated = f"{header},v1={'0' * 64}"
    assert webhooks.verify(rotated, body, "s3cret", now=1000)


def test_backoff_schedule_without_jitter() -> None:
    waits = [webhooks.next_delay(n, jitter=0.5) for n in range(1, webhooks.MAX_ATTEMPTS + 1)]
    assert waits == [timedelta(seconds=s) for s in (30, 120, 480, 1920, 7200)] + [None]


@given(attempts=st.integers(1, webhooks.MAX_ATTEMPTS - 1), jitter=st.floats(0.0, 1.0, exclude_max=True))
def test_jitter_is_bounded(attempts: int, jitter: float) -> None:
    wait = webhooks.next_delay(attempts, jitter=jitter)
    assert wait is not None
    base = webhooks.BACKOFF_SECONDS[attempts - 1]
    assert base * 0.9 <= wait.total_seconds() <= base * 1.1


def test_backoff_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="attempts"):
        webhooks.next_delay(0, jitter=0.5)
    with pytest.raises(ValueError, match="jitter"):
        webhooks.next_delay(1, jitter=1.0)


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (None, webhooks.Verdict.RETRY),
        (200, webhooks.Verdict.DELIVERED),
        (204, webhooks.Verdict.DELIVERED),
        (301, webhooks.Verdict.FAILED),
        (400, webhooks.Verdict.FAILED),
        (404, webhooks.Verdict.FAILED),
        (410, webhooks.Verdict.FAILED),
        (429, webhooks.Verdict.RETRY),
        (500, webhooks.Verdict.RETRY),
        (503, webhooks.Verdict.RETRY),
    ],
    ids=str,
)
def test_what_an_answer_means(status: int | None, verdict: webhooks.Verdict) -> None:
    assert webhooks.verdict(status) is verdict
