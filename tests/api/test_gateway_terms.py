"""The gateway enforces the developer's terms on every call (issue 10, items 8-13, 21 and 3b).

Everything here goes through the real interface: the official ``openai`` SDK (or raw HTTP
where the SDK hides what is checked) against a live loopback server, over SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import openai
import pytest
import sqlalchemy as sa
from openai.types.chat import ChatCompletionMessageParam

from frontier_review import engagements as service
from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.engagements.access import service as access
from frontier_review.engagements.access.orm import AccessLog
from frontier_review.engagements.access.recorder import chain_pending, in_flight_grace
from frontier_review.engagements.lifecycle.domain import Materials, Quotas
from frontier_review.gateway.validation import MAX_N, MAX_TOKENS
from frontier_review.kernel.clock import FrozenClock
from frontier_review.mockllm import UPSTREAM_SECRET_TEXT, MockLLM, make_app, serve_app, serve_fake
from frontier_review.registry import service as registry_service
from frontier_review.registry.domain import VersionStatus
from frontier_review.security.tokens import mint_token
from tests.api.helpers import assert_problem, bearer, csrf_from, web_login
from tests.factories.engagements import Setup, gateway_token, make_engagement, settled
from tests.factories.identity import api_token
from tests.live import serve

ANSWER = "The vulnerable line is 7."
HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Which line?"}]
SLOW_TEXT = " ".join(["word"] * 60)  # a stream of 60 pieces, a quarter second apart: 15 s in all


@pytest.fixture
def fake() -> MockLLM:
    return make_app(text=ANSWER)


@pytest.fixture
def upstream(fake: MockLLM) -> Iterator[str]:
    with serve_app(fake) as url:
        yield url


@pytest.fixture
def setup(container: Container, upstream: str) -> Setup:
    return make_engagement(container, upstream_url=upstream)


def client(base_url: str, token: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/gateway/v1", api_key=token, max_retries=0, timeout=30)


def ask(sdk: openai.OpenAI, model: str, content: str = "Which line?", **extra: Any) -> str:
    reply = sdk.chat.completions.create(model=model, messages=[{"role": "user", "content": content}], **extra)
    return reply.choices[0].message.content or ""


def rows(container: Container) -> list[AccessLog]:
    settled(container)
    with container.sessions() as session:
        return list(session.scalars(sa.select(AccessLog).order_by(AccessLog.id)))


def connect_reduced(container: Container, setup: Setup, url: str) -> None:
    with container.uow() as uow:
        access.set_upstream(
            uow,
            setup.developer.principal,
            setup.engagement.id,
            variant="reduced-safeguard",
            base_url=url,
            api_key=None,
            upstream_model="fake-reduced",
            require_https=False,
            allow_private=True,
        )


def accept_new_terms(container: Container, setup: Setup, materials: Materials) -> service.EngagementView:
    current = setup.engagement.current
    with container.uow() as uow:
        view = service.change_terms(
            uow,
            setup.developer.principal,
            setup.engagement.id,
            materials=materials,
            protections=current.protections,
            quotas=current.default_quotas,
            note="new materials",
        )
    with container.uow() as uow:
        return service.accept_terms(uow, setup.agency_admin.principal, setup.engagement.id, terms_number=view.current_terms)


# item 8: admission checks the current terms' materials ------------------------------------------


def test_terms_that_stop_sharing_the_reduced_variant_close_it_even_once_accepted(
    container: Container, base_url: str, upstream: str, setup: Setup
) -> None:
    connect_reduced(container, setup, upstream)
    model = setup.engagement.model_id
    reduced = model + ":reduced-safeguard"
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    assert sorted(m.id for m in sdk.models.list()) == [model, reduced]
    assert ask(sdk, reduced) == ANSWER
    view = accept_new_terms(container, setup, Materials(api_access=True, system_card=True))
    assert view.variants == ("standard",)  # the upstream the new terms do not cover is gone
    assert [m.id for m in sdk.models.list()] == [model]
    with pytest.raises(openai.NotFoundError, match="do not share the reduced-safeguard variant"):
        ask(sdk, reduced)
    assert ask(sdk, model) == ANSWER
    with container.sessions() as session:
        removed = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "engagements:upstream:removed")).one()
    assert removed.details["variant"] == "reduced-safeguard"


def test_terms_without_api_access_end_gateway_access(container: Container, base_url: str, setup: Setup) -> None:
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    assert ask(sdk, setup.engagement.model_id) == ANSWER
    view = accept_new_terms(container, setup, Materials(api_access=False, system_card=True))
    assert view.variants == ()
    with pytest.raises(openai.PermissionDeniedError, match="do not include API access"):
        ask(sdk, setup.engagement.model_id)
    with pytest.raises(openai.PermissionDeniedError, match="do not include API access"):
        sdk.models.list()


def test_the_developer_disconnects_upstreams_over_rest_and_the_web(
    container: Container, base_url: str, http: httpx.Client, upstream: str, setup: Setup
) -> None:
    connect_reduced(container, setup, upstream)
    model, eng = setup.engagement.model_id, setup.engagement.id
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    assert ask(sdk, model + ":reduced-safeguard") == ANSWER
    # REST: only the developer may; then the variant is gone for the very next call.
    reviewer_key = api_token(container, setup.reviewer)
    assert http.delete(f"/api/v1/engagements/{eng}/upstream/reduced-safeguard", headers=bearer(reviewer_key)).status_code in (
        403,
        404,
    )
    developer_key = api_token(container, setup.developer)
    done = http.delete(f"/api/v1/engagements/{eng}/upstream/reduced-safeguard", headers=bearer(developer_key))
    assert done.status_code == 200, done.text
    assert [u["variant"] for u in done.json()["upstreams"]] == ["standard"]
    again = http.delete(f"/api/v1/engagements/{eng}/upstream/reduced-safeguard", headers=bearer(developer_key))
    assert again.status_code == 200  # already gone: a repeated DELETE changes nothing
    assert_problem(http.delete(f"/api/v1/engagements/{eng}/upstream/turbo", headers=bearer(developer_key)), 422, field="variant")
    with pytest.raises(openai.APIStatusError, match="has not connected the reduced-safeguard variant") as caught:
        ask(sdk, model + ":reduced-safeguard")
    assert caught.value.status_code == 503
    # Web: the button on the engagement page.
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as browser:
        web_login(browser, setup.developer.email, setup.developer.password)
        page = browser.get(f"/engagements/{eng}")
        assert f"/engagements/{eng}/upstream/standard/remove" in page.text
        gone = browser.post(f"/engagements/{eng}/upstream/standard/remove", data={"csrf_token": csrf_from(page.text)})
        assert gone.status_code == 303
    with pytest.raises(openai.APIStatusError, match="has not connected the standard variant"):
        ask(sdk, model)
    assert sdk.models.list().data == []


# item 9: long calls do not outlive access ------------------------------------------------------


def _stream_then(
    container: Container, base_url: str, upstream: str, act: Any, before: Any = None
) -> tuple[list[str], BaseException | None, Setup]:
    """Start a slow stream (after ``before(setup)``), do ``act(setup)`` once its first piece
    arrived, read on; return what arrived and the error that ended the stream (None when it ran
    to its end)."""
    setup = make_engagement(container, upstream_url=upstream)
    if before is not None:
        before(setup)
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    stream = sdk.chat.completions.create(model=setup.engagement.model_id, messages=HI, stream=True)
    pieces = iter(stream)
    received = [next(pieces).choices[0].delta.content or ""]
    act(setup)
    try:
        received.extend(c.choices[0].delta.content or "" for c in pieces if c.choices)
    except openai.APIError as exc:
        return received, exc, setup
    return received, None, setup


@pytest.fixture
def slow_upstream() -> Iterator[str]:
    with serve_fake(text=SLOW_TEXT, stream_delay=0.25) as url:
        yield url


def test_a_stream_is_cut_with_a_final_error_event_when_the_developer_releases(
    container: Container, base_url: str, slow_upstream: str
) -> None:
    def release(setup: Setup) -> None:
        with container.uow() as uow:
            registry_service.set_status(
                uow, setup.developer.principal, setup.engagement.version_id, status=VersionStatus.RELEASED
            )

    received, error, _ = _stream_then(container, base_url, slow_upstream, release)
    assert error is not None
    assert "released" in str(error)
    assert "".join(received) != SLOW_TEXT
    (row,) = rows(container)
    assert (row.status, row.outcome) == (200, "engagement_closed")


def test_a_stream_is_cut_when_the_user_is_revoked_elsewhere(container: Container, base_url: str, slow_upstream: str) -> None:
    """The revocation is made outside the gateway (as by another process): the stream still ends."""

    def revoke(setup: Setup) -> None:
        with container.uow() as uow:
            service.revoke_user(uow, setup.developer.principal, setup.engagement.id, setup.reviewer.user.id)

    received, error, _ = _stream_then(container, base_url, slow_upstream, revoke)
    assert error is not None
    assert "revoked your access" in str(error)
    assert "".join(received) != SLOW_TEXT
    assert rows(container)[0].outcome == "user_revoked"


def test_a_stream_is_cut_at_the_end_of_the_window(
    container: Container, clock: FrozenClock, base_url: str, slow_upstream: str
) -> None:
    """The stream starts one second before the window ends; the end is timed, not polled for."""

    def one_second_before_the_end(setup: Setup) -> None:
        clock.set(setup.engagement.window.end - timedelta(seconds=1))

    received, error, _ = _stream_then(container, base_url, slow_upstream, lambda setup: None, one_second_before_the_end)
    assert error is not None
    assert "window ended" in str(error)
    assert "".join(received) != SLOW_TEXT
    assert rows(container)[0].outcome == "engagement_closed"


def test_a_client_that_goes_away_cancels_the_upstream_request(container: Container, base_url: str) -> None:
    slow = make_app(text=SLOW_TEXT, stream_delay=0.25)
    with serve_app(slow) as url:
        setup = make_engagement(container, upstream_url=url)
        token = gateway_token(container, setup.reviewer, setup)
        body = {"model": setup.engagement.model_id, "messages": HI, "stream": True}
        with (
            httpx.Client(timeout=30) as http,
            http.stream("POST", f"{base_url}/gateway/v1/chat/completions", json=body, headers=bearer(token)) as response,
        ):
            assert response.status_code == 200
            next(response.iter_bytes())
        # The client hung up after the first bytes; the upstream must see its request cancelled
        # well before the stream's 15 seconds are over.
        deadline = time.monotonic() + 8
        while slow.state.cancelled == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert slow.state.cancelled == 1
    assert rows(container)[0].outcome == "client_disconnected"


# item 10: quotas cannot be overshot ---------------------------------------------------------------


def test_n_and_max_tokens_have_platform_limits(container: Container, base_url: str, fake: MockLLM, setup: Setup) -> None:
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    with pytest.raises(openai.BadRequestError, match=f"n must be a whole number from 1 to {MAX_N}") as many:
        ask(sdk, setup.engagement.model_id, n=MAX_N + 1)
    assert many.value.param == "n"
    with pytest.raises(openai.BadRequestError, match=f"max_tokens must be a whole number from 1 to {MAX_TOKENS}") as long:
        ask(sdk, setup.engagement.model_id, max_tokens=MAX_TOKENS + 1)
    assert long.value.param == "max_tokens"
    assert fake.state.calls == 0  # nothing was forwarded


def test_one_large_call_cannot_overshoot_the_daily_tokens(container: Container, base_url: str) -> None:
    greedy = make_app(text=ANSWER, to_limit=True)  # always writes up to max_tokens, for every choice
    with serve_app(greedy) as url:
        setup = make_engagement(
            container, upstream_url=url, quotas=Quotas(requests_per_day=100, tokens_per_day=1000, requests_per_minute=100)
        )
        sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
        reply = sdk.chat.completions.create(model=setup.engagement.model_id, messages=HI, n=MAX_N, max_tokens=MAX_TOKENS)
        assert len(reply.choices) == MAX_N
        forwarded = greedy.state.bodies[-1]["max_tokens"]
        assert forwarded * MAX_N <= 1000  # the upstream was told to stay within the reservation
        with pytest.raises(openai.RateLimitError, match="tokens for today") as caught:
            ask(sdk, setup.engagement.model_id)
        assert caught.value.response.headers["retry-after"].isdigit()
    used = sum(r.prompt_tokens + r.completion_tokens for r in rows(container) if r.status == 200)
    assert 0 < used <= 1000


def test_a_burst_of_concurrent_calls_cannot_overshoot_the_daily_tokens(container: Container, base_url: str) -> None:
    greedy = make_app(text=ANSWER, to_limit=True, latency=0.5)
    with serve_app(greedy) as url:
        setup = make_engagement(
            container, upstream_url=url, quotas=Quotas(requests_per_day=100, tokens_per_day=1000, requests_per_minute=100)
        )
        sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
        outcomes: list[str] = []

        def one() -> None:
            try:
                ask(sdk, setup.engagement.model_id, max_tokens=100)
                outcomes.append("ok")
            except openai.RateLimitError:
                outcomes.append("429")

        threads = [threading.Thread(target=one) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert "429" in outcomes
    assert "ok" in outcomes
    used = sum(r.prompt_tokens + r.completion_tokens for r in rows(container) if r.status == 200)
    assert 0 < used <= 1000


# item 11: streamed calls are metered like the others ------------------------------------------------


def test_streamed_calls_are_metered_like_the_others_when_the_upstream_reports_no_usage(
    container: Container, base_url: str
) -> None:
    with serve_fake(text=ANSWER, usage_in_json=False) as url:  # like llama.cpp's streams: never any usage
        setup = make_engagement(container, upstream_url=url)
        sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
        model = setup.engagement.model_id
        chunks = list(sdk.chat.completions.create(model=model, messages=HI, stream=True, stream_options={"include_usage": True}))
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ANSWER
        streamed = chunks[-1].usage
        assert streamed is not None  # the usage chunk the client asked for
        plain = sdk.chat.completions.create(model=model, messages=HI).usage
        assert plain is not None
        assert (streamed.prompt_tokens, streamed.completion_tokens) == (plain.prompt_tokens, plain.completion_tokens)
        assert streamed.prompt_tokens > 0
        assert streamed.completion_tokens > 0
        list(sdk.chat.completions.create(model=model, messages=HI, stream=True))  # no usage asked: still metered
    logged = [(r.prompt_tokens, r.completion_tokens) for r in rows(container)]
    assert logged == [(streamed.prompt_tokens, streamed.completion_tokens)] * 3


def test_a_stream_without_usage_counts_against_the_token_quota(container: Container, base_url: str) -> None:
    with serve_fake(text=ANSWER, usage_in_stream=False) as url:
        setup = make_engagement(
            container, upstream_url=url, quotas=Quotas(requests_per_day=100, tokens_per_day=30, requests_per_minute=100)
        )
        sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
        model = setup.engagement.model_id
        list(sdk.chat.completions.create(model=model, messages=HI, stream=True))  # 14 tokens by the gateway's count
        list(sdk.chat.completions.create(model=model, messages=HI, stream=True))  # 28
        with pytest.raises(openai.RateLimitError, match="tokens for today"):
            list(sdk.chat.completions.create(model=model, messages=HI, stream=True))


# item 12: the gateway validates requests; upstream failures never reach the client verbatim ------------


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": [{"type": "video", "video": {}}]}]}, "messages[0].content[0].type"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id"),
        ({"messages": [{"role": "user"}]}, "messages[0].content"),
        ({"temperature": 3}, "temperature"),
        ({"top_p": -0.5}, "top_p"),
        ({"presence_penalty": "high"}, "presence_penalty"),
        ({"n": 0}, "n"),
        ({"max_tokens": 10**9}, "max_tokens"),
        ({"max_completion_tokens": 0}, "max_completion_tokens"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"stream_options": {"include_usage": "yes"}}, "stream_options.include_usage"),
        ({"logprobs": 3}, "logprobs"),
    ],
)
def test_bad_requests_are_answered_by_the_gateway_naming_the_field(
    container: Container, base_url: str, fake: MockLLM, setup: Setup, change: dict[str, Any], param: str
) -> None:
    body = {"model": setup.engagement.model_id, "messages": [{"role": "user", "content": "hi"}], **change}
    token = gateway_token(container, setup.reviewer, setup)
    response = httpx.post(f"{base_url}/gateway/v1/chat/completions", json=body, headers=bearer(token), timeout=30)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert param in error["message"]
    assert fake.state.calls == 0  # never forwarded


def test_an_upstream_error_reaches_the_client_as_a_generic_error_with_a_request_id(
    container: Container, base_url: str, setup: Setup
) -> None:
    token = gateway_token(container, setup.reviewer, setup)
    body = {"model": setup.engagement.model_id, "messages": [{"role": "user", "content": "PLEASE-REJECT"}]}
    response = httpx.post(f"{base_url}/gateway/v1/chat/completions", json=body, headers=bearer(token), timeout=30)
    assert response.status_code == 502
    request_id = response.headers["x-request-id"]
    assert request_id in response.json()["error"]["message"]
    assert "upstream-internal-detail" not in response.text
    (row,) = rows(container)
    assert f"req_{row.ref.hex}" == request_id
    assert UPSTREAM_SECRET_TEXT in row.detail["upstream_error"]  # kept for the developer's own investigation
    chain_pending(container.uow, grace=in_flight_grace(container.settings))
    with container.sessions() as session:
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "gateway:call")).one()
    assert "upstream-internal-detail" not in str(entry.details)  # the audit chain names ids, not texts


def test_429s_carry_retry_after(container: Container, base_url: str, upstream: str) -> None:
    setup = make_engagement(
        container, upstream_url=upstream, quotas=Quotas(requests_per_day=100, tokens_per_day=10**6, requests_per_minute=1)
    )
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    with pytest.raises(openai.RateLimitError) as busy:
        ask(sdk, setup.engagement.model_id, "PLEASE-BUSY")
    assert busy.value.response.headers["retry-after"] == "7"
    assert "slow down" not in busy.value.message
    with pytest.raises(openai.RateLimitError, match="requests per minute") as ours:
        ask(sdk, setup.engagement.model_id)
    assert 1 <= int(ours.value.response.headers["retry-after"]) <= 60


# item 13: every request is recorded, without an unbounded audit chain ------------------------------


def test_refusals_nobody_can_be_named_for_are_recorded_as_one_tally(container: Container, setup: Setup) -> None:
    revoked = gateway_token(container, setup.reviewer, setup)
    with container.uow() as uow:
        mine = access.list_my_tokens(uow, setup.reviewer.principal)[0]
        access.revoke_token(uow, setup.reviewer.principal, mine.id)
    body = {"model": setup.engagement.model_id, "messages": HI}
    with serve(container) as url, httpx.Client(base_url=f"{url}/gateway/v1", timeout=30) as http:
        statuses = [
            http.post("/chat/completions", json=body, headers=bearer(mint_token("frg").plaintext)).status_code for _ in range(40)
        ]
        statuses += [http.post("/chat/completions", json=body).status_code for _ in range(10)]
        statuses += [http.get("/models", headers=bearer(revoked)).status_code for _ in range(5)]
        statuses += [http.get("/embeddings").status_code]
    # The server has stopped: its chainer wrote what it tallied.
    assert statuses == [401] * 55 + [404]
    with container.sessions() as session:
        tallies = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "gateway:refusals")).all()
        assert session.scalar(sa.select(sa.func.count()).select_from(AccessLog)) == 0
    assert len(tallies) == 1  # 56 refusals, one audit entry
    details = tallies[0].details
    assert details["total"] == 56
    counts = {(r["outcome"], r["route"], r.get("token")): r["count"] for r in details["refusals"]}
    assert counts[("invalid_api_key", "/chat/completions", None)] == 50
    assert counts[("token_revoked", "/models", str(mine.id))] == 5
    assert counts[("invalid_request_error", "/embeddings", None)] == 1


# 3b: program-office benchmark calls never keep transcripts ---------------------------------------------


def test_program_office_calls_never_keep_transcripts(container: Container, base_url: str, upstream: str) -> None:
    setup = make_engagement(container, upstream_url=upstream, transcripts=True)
    office = setup.program_office
    assert office.principal.org_id is not None
    with container.uow() as uow:
        service.invite(uow, setup.developer.principal, setup.engagement.id, organization_id=office.principal.org_id)
    with container.uow() as uow:
        service.accept_terms(uow, office.principal, setup.engagement.id, terms_number=1)
    office_sdk = client(base_url, gateway_token(container, office, setup))
    assert ask(office_sdk, setup.engagement.model_id) == ANSWER
    assert ask(client(base_url, gateway_token(container, setup.reviewer, setup)), setup.engagement.model_id) == ANSWER
    with pytest.raises(openai.APIStatusError):  # an upstream error may quote the item: not kept either
        ask(office_sdk, setup.engagement.model_id, "PLEASE-REJECT")
    logged = rows(container)
    kept = {r.actor_label: r.transcript_sealed is not None for r in logged if r.status == 200}
    assert kept == {office.email: False, setup.reviewer.email: True}
    assert "upstream_error" not in logged[-1].detail


# item 21 through the gateway: hostile upstreams get a generic error, the gateway stays up ------------------


def test_hostile_upstream_answers_end_in_generic_errors(container: Container, base_url: str, setup: Setup) -> None:
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    model = setup.engagement.model_id
    with pytest.raises(openai.APIStatusError) as bomb:
        ask(sdk, model, "PLEASE-BOMB")
    assert bomb.value.status_code == 502
    with pytest.raises(openai.APIError, match="broke off"):
        list(sdk.chat.completions.create(model=model, messages=[{"role": "user", "content": "PLEASE-ENDLESS"}], stream=True))
    with pytest.raises(openai.APIError, match="broke off") as mid:
        list(sdk.chat.completions.create(model=model, messages=[{"role": "user", "content": "PLEASE-STREAM-ERROR"}], stream=True))
    assert "upstream-internal-detail" not in str(mid.value)
    assert ask(sdk, model) == ANSWER  # the gateway is still serving
    outcomes = [r.outcome for r in rows(container)]
    assert outcomes == ["upstream_error", "upstream_interrupted", "upstream_error", "ok"]
