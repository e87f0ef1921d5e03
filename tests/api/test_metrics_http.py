"""/metrics, request ids and the access log over real HTTP, on SQLite and PostgreSQL (issue 13 item 2).

The scrape is protected by ``FR_METRICS_TOKEN``; what it shows is checked against what was done:
web requests by route template (never an id), gateway calls by outcome with their tokens, the
job queue, the audit chain's lag and the database pool.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator

import httpx
import openai
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from frontier_review.audit.orm import AuditEntry
from frontier_review.audit.tasks import CHECKPOINT_TASK
from frontier_review.bootstrap import Container
from frontier_review.config import Settings
from frontier_review.mockllm import serve_fake
from frontier_review.telemetry.logs import ACCESS_LOGGER, JsonFormatter, RequestIdFilter
from tests.api.helpers import assert_problem, bearer
from tests.factories.engagements import gateway_token, make_engagement, settled
from tests.factories.identity import api_token, make_org, make_user
from tests.live import serve

TOKEN = "metrics-" + "k" * 40


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})


def scrape(base_url: str) -> dict[str, float]:
    """The exposition as {series with labels: value}."""
    response = httpx.get(f"{base_url}/metrics", headers=bearer(TOKEN), timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    series: dict[str, float] = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            series[name] = float(value)
    return series


def value(series: dict[str, float], name: str, **labels: str) -> float:
    """The sum of the series named ``name`` whose labels include ``labels``."""
    total = 0.0
    for key, v in series.items():
        metric, _, rest = key.partition("{")
        found = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if metric == name and all(found.get(k) == want for k, want in labels.items()):
            total += v
    return total


def test_metrics_need_the_token_and_every_refusal_looks_the_same(base_url: str) -> None:
    refusals = [
        httpx.get(f"{base_url}/metrics", timeout=30),
        httpx.get(f"{base_url}/metrics", headers=bearer("wrong"), timeout=30),
        httpx.get(f"{base_url}/metrics", headers=bearer(TOKEN + "x"), timeout=30),
        httpx.get(f"{base_url}/metrics", headers={"Authorization": f"Basic {TOKEN}"}, timeout=30),
        httpx.get(f"{base_url}/metrics", headers={"Authorization": TOKEN}, timeout=30),
    ]
    bodies = set()
    for response in refusals:
        body = assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
        bodies.add(json.dumps({k: v for k, v in body.items() if k != "request_id"}, sort_keys=True))
    assert len(bodies) == 1
    assert httpx.get(f"{base_url}/metrics", headers=bearer(TOKEN), timeout=30).status_code == 200


def test_without_a_configured_token_metrics_answer_401_as_for_a_wrong_one(container: Container) -> None:
    bare = container.settings.model_copy(update={"metrics_token": None})
    from frontier_review.composition import build_container

    other = build_container(bare, clock=container.clock)
    try:
        with serve(other) as url:
            for headers in ({}, bearer(TOKEN), {"Authorization": "Bearer"}):
                assert_problem(httpx.get(f"{url}/metrics", headers=headers, timeout=30), 401)
            # Not 404: a scanner cannot tell a server without metrics from one it lacks the token for.
            assert httpx.get(f"{url}/metrics-nope", timeout=30).status_code == 404
    finally:
        other.close()


def test_requests_are_counted_by_route_template_never_by_id(container: Container, base_url: str) -> None:
    person = make_user(container, make_org(container))
    token = api_token(container, person)
    missing = uuid.uuid4()
    with httpx.Client(base_url=base_url, headers=bearer(token), timeout=30) as api:
        assert api.get(f"/api/v1/engagements/{missing}").status_code == 404
        assert api.get(f"/api/v1/engagements/{missing}").status_code == 404
        assert api.get("/api/v1/users/me").status_code == 200
    assert httpx.get(f"{base_url}/invitations/{'s' * 43}", timeout=30).status_code in {404, 410}
    assert httpx.get(f"{base_url}/no/such/{missing}", timeout=30).status_code == 404
    text = httpx.get(f"{base_url}/metrics", headers=bearer(TOKEN), timeout=30).text
    assert str(missing) not in text and "s" * 43 not in text and token not in text
    series = scrape(base_url)
    route = "/api/v1/engagements/{engagement_id}"
    assert value(series, "fr_http_requests_total", route=route, status="404", method="GET") == 2
    assert value(series, "fr_http_requests_total", route="/api/v1/users/me", status="200") == 1
    assert value(series, "fr_http_requests_total", route="/invitations/{token}") == 1
    assert value(series, "fr_http_requests_total", route="unmatched", status="404") == 1
    assert value(series, "fr_http_request_duration_seconds_count", route=route) == 2
    assert value(series, "fr_http_request_duration_seconds_bucket", route=route, le="+Inf") == 2


@pytest.fixture
def upstream() -> Iterator[str]:
    with serve_fake(text="The vulnerable line is 7.") as url:
        yield url


def test_gateway_calls_by_outcome_with_tokens_and_the_audit_lag(container: Container, base_url: str, upstream: str) -> None:
    setup = make_engagement(container, upstream_url=upstream)
    sdk = openai.OpenAI(
        base_url=f"{base_url}/gateway/v1", api_key=gateway_token(container, setup.reviewer, setup), max_retries=0, timeout=30
    )
    before = scrape(base_url)
    reply = sdk.chat.completions.create(model=setup.engagement.model_id, messages=[{"role": "user", "content": "Which line?"}])
    assert reply.usage is not None
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="not-offered", messages=[{"role": "user", "content": "hi"}])
    refused = httpx.post(f"{base_url}/gateway/v1/chat/completions", headers=bearer("frg_" + "x" * 40), json={}, timeout=30)
    assert refused.status_code == 401
    settled(container)
    after = scrape(base_url)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("fr_gateway_calls_total", route="/chat/completions", outcome="ok", status="200") == 1
    assert delta("fr_gateway_calls_total", route="/chat/completions", outcome="model_not_found", status="404") == 1
    assert delta("fr_gateway_calls_total", route="/chat/completions", outcome="invalid_api_key", status="401") == 1
    assert delta("fr_gateway_added_latency_seconds_count", route="/chat/completions") == 3
    assert delta("fr_gateway_tokens_total", kind="prompt") == reply.usage.prompt_tokens
    assert delta("fr_gateway_tokens_total", kind="completion") == reply.usage.completion_tokens
    # The added latency is the gateway's own share: less than the whole call's.
    assert 0 < delta("fr_gateway_added_latency_seconds_sum") < 30
    # The audit chain's lag: rows the chainer has not folded in yet are counted, and the probes answered.
    assert value(after, "fr_probe_up", probe="audit") == 1
    assert "fr_audit_unchained_access_log_rows" in after
    assert value(after, "fr_db_pool_connections_open") >= 1
    assert value(after, "fr_db_pool_size") >= 1


def test_the_job_queue_depth_and_the_next_jobs_wait(container: Container, base_url: str) -> None:
    series = scrape(base_url)
    assert value(series, "fr_probe_up", probe="jobs") == 1
    assert value(series, "fr_jobs_queued") == 0
    assert "fr_jobs_oldest_age_seconds" not in series  # nothing waits
    container.jobs.enqueue(CHECKPOINT_TASK)  # no consumer runs in these tests: it waits
    container.jobs.enqueue(CHECKPOINT_TASK)
    series = scrape(base_url)
    assert value(series, "fr_jobs_queued") == 2
    assert value(series, "fr_jobs_oldest_age_seconds") >= 0
    container.jobs.huey.flush()


def test_the_request_id_is_echoed_in_problems_in_logs_and_in_audit_entries(
    container: Container, base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    person = make_user(container, make_org(container))
    token = api_token(container, person)
    with httpx.Client(base_url=base_url, headers=bearer(token), timeout=30) as api:
        refused = api.get(f"/api/v1/engagements/{uuid.uuid4()}", headers={"X-Request-ID": "proxy-req-42"})
        assert refused.headers["x-request-id"] == "proxy-req-42"
        assert assert_problem(refused, 404)["request_id"] == "proxy-req-42"
        # A request id that is not sane (too long, spaces, quotes) is replaced, not echoed.
        for bad in ("x" * 65, "a b", 'a"b', "{json}"):
            answered = api.get(f"/api/v1/engagements/{uuid.uuid4()}", headers={"X-Request-ID": bad})
            assert answered.headers["x-request-id"] != bad
            assert re.fullmatch(r"[0-9a-f]{32}", answered.headers["x-request-id"])
            assert answered.json()["request_id"] == answered.headers["x-request-id"]
        # A refusal is audited after the rollback, with the request's id as well.
        refused_write = api.post("/api/v1/tokens", json={"name": "ci"}, headers={"X-Request-ID": "proxy-req-43"})
        assert assert_problem(refused_write, 403)["request_id"] == "proxy-req-43"
    # The 413 written by the body-size middleware names it too.
    big = b"x" * (2 * 1024 * 1024)
    too_big = httpx.post(f"{base_url}/api/v1/tokens", content=big, headers={"X-Request-ID": "big-1"}, timeout=30)
    assert assert_problem(too_big, 413)["request_id"] == "big-1"

    with container.sessions() as session:
        entries = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(20)).all()
    stamped = [e for e in entries if (e.details or {}).get("request", {}).get("request_id") == "proxy-req-43"]
    assert [e.outcome for e in stamped] == ["denied"], [e.details for e in entries]

    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(r)) for r in caplog.records if r.name == ACCESS_LOGGER]
    line = next(entry for entry in lines if entry.get("request_id") == "proxy-req-42")
    assert line["route"] == "/api/v1/engagements/{engagement_id}"
    assert line["status"] == 404 and line["method"] == "GET" and line["duration_ms"] >= 0
    # Records of other loggers get the id from the request's context (the handler's filter).
    record = logging.LogRecord("frontier_review.x", logging.INFO, __file__, 1, "m", None, None)
    assert RequestIdFilter().filter(record)
    assert getattr(record, "request_id", None) == "-"  # outside a request
