"""The gateway over real HTTP with the official openai SDK: G1, G2, G4, G5 and bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import openai
import pytest
import sqlalchemy as sa
from openai.types.chat import ChatCompletionMessageParam

from frontier_review import engagements as service
from frontier_review.audit import service as audit
from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.composition import build_container
from frontier_review.engagements.access import service as access
from frontier_review.engagements.access.orm import AccessLog
from frontier_review.engagements.access.recorder import (
    IN_FLIGHT,
    UNFINISHED,
    AccessRecord,
    AccessRecorder,
    chain_pending,
    in_flight_grace,
)
from frontier_review.engagements.lifecycle.domain import Quotas
from frontier_review.kernel.clock import FrozenClock
from frontier_review.kernel.errors import PermissionDenied
from frontier_review.mockllm import serve_fake
from frontier_review.registry import service as registry_service
from frontier_review.registry.domain import VersionStatus
from frontier_review.security import service as security
from tests.factories.engagements import Setup, gateway_token, make_engagement, settled

ANSWER = "The vulnerable line is 7."
UPSTREAM_KEY = "sk-upstream-secret-123"
HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Which line?"}]


@pytest.fixture
def upstream() -> Iterator[str]:
    with serve_fake(text=ANSWER, stream_delay=0.05) as url:
        yield url


@pytest.fixture
def setup(container: Container, upstream: str) -> Setup:
    return make_engagement(container, upstream_url=upstream)


def client(base_url: str, token: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/gateway/v1", api_key=token, max_retries=0, timeout=30)


def ask(sdk: openai.OpenAI, setup: Setup) -> str:
    reply = sdk.chat.completions.create(model=setup.engagement.model_id, messages=HI)
    return reply.choices[0].message.content or ""


def test_a_reviewer_chats_through_the_gateway_streaming_and_not(container: Container, base_url: str, setup: Setup) -> None:
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    assert [m.id for m in sdk.models.list()] == [setup.engagement.model_id]
    reply = sdk.chat.completions.create(model=setup.engagement.model_id, messages=HI)
    assert reply.choices[0].message.content == ANSWER
    assert reply.model == setup.engagement.model_id
    assert reply.usage is not None
    assert reply.usage.completion_tokens == 3
    stream = sdk.chat.completions.create(
        model=setup.engagement.model_id,
        messages=HI,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ANSWER
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 3
    legacy = sdk.completions.create(model=setup.engagement.model_id, prompt="Say the line")
    assert legacy.choices
    # Metered per participant per day; every call is in the access log and then the audit chain (G5).
    settled(container)
    with container.uow() as uow:
        rows = service.list_usage(uow, setup.developer.principal, setup.engagement.id)
    assert len(rows) == 1
    assert rows[0].requests == 4
    assert rows[0].completion_tokens >= 6
    # The server chains in the background too; either way all four end up chained.
    chain_pending(container.uow, grace=in_flight_grace(container.settings))
    with container.sessions() as session:
        calls = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "gateway:call")).all()
    assert len(calls) == 4
    assert {c.actor_label for c in calls} == {setup.reviewer.email}
    assert {c.details["route"] for c in calls} == {"/models", "/chat/completions", "/completions"}
    with container.uow() as uow:  # the chained entries verify like any other
        assert audit.verify_log(uow.session, container.keyring).ok
        upstream_row = service.get_engagement(uow, setup.developer.principal, setup.engagement.id).upstreams[0]
    assert upstream_row.last_used_at is not None  # shown to the developer as "last used"


def test_responses_never_carry_the_upstream_url_key_or_headers(
    container: Container, base_url: str, upstream: str, setup: Setup
) -> None:
    """G4, in the raw HTTP exchange: success, upstream failure and streaming."""
    token = gateway_token(container, setup.reviewer, setup)
    headers = {"Authorization": f"Bearer {token}"}
    port = upstream.split(":")[2].split("/", maxsplit=1)[0]
    with httpx.Client(base_url=f"{base_url}/gateway/v1", headers=headers, timeout=30) as http:
        responses = [
            http.post("/chat/completions", json={"model": setup.engagement.model_id, "messages": HI}),
            http.post(
                "/chat/completions",
                json={"model": setup.engagement.model_id, "messages": [{"role": "user", "content": "PLEASE-FAIL"}]},
            ),
            http.post("/chat/completions", json={"model": setup.engagement.model_id, "messages": HI, "stream": True}),
            http.get("/models"),
        ]
    assert [r.status_code for r in responses] == [200, 502, 200, 200]
    assert responses[1].json()["error"]["type"] == "upstream_error"
    assert "upstream exploded" not in responses[1].text  # the upstream's own words stay in the access log
    for response in responses:
        blob = response.text + json.dumps(dict(response.headers))
        for secret in (upstream, f"127.0.0.1:{port}", UPSTREAM_KEY, '"fake"', "uvicorn"):
            assert secret not in blob
        assert "server" not in {k.lower() for k in response.headers if response.headers[k].startswith("uvicorn")}


def test_the_window_is_exact_to_the_second(container: Container, clock: FrozenClock, base_url: str, setup: Setup) -> None:
    """G1: refused one second before the start and from the end on; served inside."""
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    window = setup.engagement.window
    clock.set(window.start - timedelta(seconds=1))
    with pytest.raises(openai.PermissionDeniedError, match="window opens"):
        ask(sdk, setup)
    clock.set(window.start)
    assert ask(sdk, setup) == ANSWER
    clock.set(window.end - timedelta(seconds=1))
    assert ask(sdk, setup) == ANSWER
    clock.set(window.end)
    with pytest.raises(openai.PermissionDeniedError, match="window ended"):
        ask(sdk, setup)
    clock.set(window.end + timedelta(seconds=1))
    with pytest.raises(openai.PermissionDeniedError, match="window ended"):
        ask(sdk, setup)


def test_partners_wait_for_their_cohort(container: Container, clock: FrozenClock, base_url: str, upstream: str) -> None:
    setup = make_engagement(container, upstream_url=upstream, partners_after=timedelta(days=2))
    agency_sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    partner_sdk = client(base_url, gateway_token(container, setup.partner_reviewer, setup))
    assert ask(agency_sdk, setup) == ANSWER
    with pytest.raises(openai.PermissionDeniedError, match="trusted partners' access opens"):
        ask(partner_sdk, setup)
    clock.set(setup.engagement.window.start + timedelta(days=2))
    assert ask(partner_sdk, setup) == ANSWER


def test_terms_must_be_accepted_and_a_change_needs_acceptance_again(container: Container, base_url: str, upstream: str) -> None:
    setup = make_engagement(container, upstream_url=upstream, accept=False)
    with pytest.raises(PermissionDenied, match="not accepted the engagement's current terms"):
        gateway_token(container, setup.reviewer, setup)  # no token before acceptance: every call would be refused
    with container.uow() as uow:
        service.accept_terms(uow, setup.agency_admin.principal, setup.engagement.id, terms_number=1)
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    assert ask(sdk, setup) == ANSWER
    current = setup.engagement.current
    with container.uow() as uow:
        service.change_terms(
            uow,
            setup.developer.principal,
            setup.engagement.id,
            materials=current.materials,
            protections=current.protections,
            quotas=current.default_quotas,
            note="tighter use restrictions",
        )
    with pytest.raises(openai.PermissionDeniedError, match="not accepted version 2"):
        ask(sdk, setup)


def test_revoking_a_user_or_a_participant_holds_on_the_next_request(container: Container, base_url: str, setup: Setup) -> None:
    reviewer = client(base_url, gateway_token(container, setup.reviewer, setup))
    colleague = client(base_url, gateway_token(container, setup.agency_admin, setup))
    assert ask(reviewer, setup) == ANSWER
    with container.uow() as uow:
        service.revoke_user(uow, setup.developer.principal, setup.engagement.id, setup.reviewer.user.id)
    with pytest.raises(openai.PermissionDeniedError, match="revoked your access"):
        ask(reviewer, setup)
    assert ask(colleague, setup) == ANSWER
    participant = next(p for p in setup.engagement.participants if p.organization_id == setup.agency.id)
    with container.uow() as uow:
        service.revoke_participant(uow, setup.developer.principal, setup.engagement.id, participant.id)
    with pytest.raises(openai.PermissionDeniedError, match="revoked your organization's access"):
        ask(colleague, setup)


def test_release_always_succeeds_and_closes_every_access_at_once(container: Container, base_url: str, setup: Setup) -> None:
    """G2: release succeeds with findings open; no new request is admitted (a stream running
    at release is cut: tests/api/test_gateway_terms.py)."""
    agency = client(base_url, gateway_token(container, setup.reviewer, setup))
    partner = client(base_url, gateway_token(container, setup.partner_reviewer, setup))
    assert ask(agency, setup) == ANSWER
    assert ask(partner, setup) == ANSWER
    with container.uow() as uow:
        registry_service.set_status(uow, setup.developer.principal, setup.engagement.version_id, status=VersionStatus.RELEASED)
    for sdk in (agency, partner):
        with pytest.raises(openai.PermissionDeniedError, match="released"):
            ask(sdk, setup)
    with container.uow() as uow:
        view = service.get_engagement(uow, setup.developer.principal, setup.engagement.id)
    assert view.state.value == "closed"
    assert view.closed_reason is not None
    assert view.closed_reason.value == "released"


def test_refused_calls_are_recorded_and_chained(container: Container, clock: FrozenClock, base_url: str, setup: Setup) -> None:
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    clock.set(setup.engagement.window.end)
    with pytest.raises(openai.PermissionDeniedError):
        ask(sdk, setup)
    with container.sessions() as session:
        row = session.scalars(sa.select(AccessLog)).one()
    assert (row.status, row.outcome, row.audit_entry_id) == (403, "engagement_closed", None)
    chain_pending(container.uow, grace=in_flight_grace(container.settings))
    with container.sessions() as session:
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "gateway:call")).one()
    assert entry.outcome == "denied"
    assert entry.reason == "engagement_closed"


def test_quotas_refuse_with_429(container: Container, base_url: str, upstream: str) -> None:
    setup = make_engagement(
        container, upstream_url=upstream, quotas=Quotas(requests_per_day=100, tokens_per_day=1000, requests_per_minute=2)
    )
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    assert ask(sdk, setup) == ANSWER
    assert ask(sdk, setup) == ANSWER
    with pytest.raises(openai.RateLimitError, match="2 requests per minute"):
        ask(sdk, setup)


def test_transcripts_are_kept_sealed_only_where_the_terms_allow(container: Container, base_url: str, upstream: str) -> None:
    kept = make_engagement(container, upstream_url=upstream, transcripts=True)
    ask(client(base_url, gateway_token(container, kept.reviewer, kept)), kept)
    not_kept = make_engagement(container, upstream_url=upstream)
    ask(client(base_url, gateway_token(container, not_kept.reviewer, not_kept)), not_kept)
    settled(container)
    with container.uow() as uow:
        rows = {r.engagement_id: r for r in uow.session.scalars(sa.select(AccessLog))}
        sealed = rows[kept.engagement.id].transcript_sealed
        assert sealed is not None
        assert b"Which line" not in sealed
        opened = security.open_field(
            uow.session,
            uow.keyring,
            sealed,
            table="access_log",
            row_id=str(rows[kept.engagement.id].ref),
            field="transcript_sealed",
        )
        assert ANSWER in opened.decode()
        assert rows[not_kept.engagement.id].transcript_sealed is None


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"not json", 400, "not valid JSON"),
        (b"[]", 400, "JSON object"),
        (b'{"messages": []}', 400, "model is required"),
        (b'{"model": "MODEL", "messages": []}', 400, "messages must be"),
        (b'{"model": "MODEL", "messages": [{"content": "x"}]}', 400, "messages[0].role must be one of"),
        (b'{"model": "MODEL", "messages": [{"role": "user", "content": "x"}], "max_tokens": -1}', 400, "max_tokens"),
        (b'{"model": "MODEL", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}', 400, "stream must be"),
        (b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}', 404, "not offered here"),
        (b'{"model": "MODEL:reduced-safeguard", "messages": [{"role": "user", "content": "x"}]}', 503, "not connected"),
    ],
)
def test_malformed_requests_get_openai_style_errors(
    container: Container, base_url: str, setup: Setup, body: bytes, status: int, needle: str
) -> None:
    token = gateway_token(container, setup.reviewer, setup)
    response = httpx.post(
        f"{base_url}/gateway/v1/chat/completions",
        content=body.replace(b"MODEL", setup.engagement.model_id.encode()),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == status, response.text
    assert needle in response.json()["error"]["message"]


def test_authentication_and_size_errors(container: Container, base_url: str, setup: Setup) -> None:
    url = f"{base_url}/gateway/v1/chat/completions"
    assert httpx.post(url, json={}).status_code == 401
    assert httpx.post(url, json={}, headers={"Authorization": "Bearer frt_notagatewaytoken"}).status_code == 401
    token = gateway_token(container, setup.reviewer, setup)
    with container.uow() as uow:
        mine = access.list_my_tokens(uow, setup.reviewer.principal)[0]
        access.revoke_token(uow, setup.reviewer.principal, mine.id)
    refused = httpx.post(url, json={}, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"
    fresh = gateway_token(container, setup.reviewer, setup)
    huge = {"model": setup.engagement.model_id, "messages": [{"role": "user", "content": "x" * 1_100_000}]}
    too_big = httpx.post(url, json=huge, headers={"Authorization": f"Bearer {fresh}"}, timeout=30)
    assert too_big.status_code == 413
    assert httpx.get(f"{base_url}/gateway/v1/embeddings").status_code == 404


def test_quotas_are_shared_through_redis_by_every_gateway_process(
    container: Container, clock: FrozenClock, upstream: str, redis_url: str
) -> None:
    """With FR_REDIS_URL, two gateway processes count against the same quota."""
    from tests.live import serve

    setup = make_engagement(
        container, upstream_url=upstream, quotas=Quotas(requests_per_day=3, tokens_per_day=10**6, requests_per_minute=100)
    )
    token = gateway_token(container, setup.reviewer, setup)
    shared = container.settings.model_copy(update={"redis_url": redis_url})
    first, second = build_container(shared, clock=clock), build_container(shared, clock=clock)
    try:
        with serve(first) as url_a, serve(second) as url_b:
            a, b = client(url_a, token), client(url_b, token)
            assert ask(a, setup) == ANSWER
            assert ask(b, setup) == ANSWER
            assert ask(a, setup) == ANSWER
            with pytest.raises(openai.RateLimitError, match="3 requests per day"):
                ask(b, setup)
    finally:
        first.close()
        second.close()
        import redis

        with redis.Redis.from_url(redis_url) as r:  # the test's own key prefix, nothing else
            for key in r.scan_iter(f"{shared.queue_name}:gateway*"):
                r.delete(key)


def test_a_forwarded_call_is_recorded_before_the_model_answers(container: Container, base_url: str, setup: Setup) -> None:
    """Write-ahead: the row exists, in flight, while the upstream is still streaming; the
    outcome (status, tokens) lands once the response is complete."""
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    stream = sdk.chat.completions.create(model=setup.engagement.model_id, messages=HI, stream=True)
    first = next(iter(stream))
    assert first.choices
    with container.sessions() as session:
        row = session.scalars(sa.select(AccessLog)).one()
    assert (row.status, row.outcome, row.actor_label, row.variant) == (0, IN_FLIGHT, setup.reviewer.email, "standard")
    assert row.detail == {"route": "/chat/completions", "stream": True}
    rest = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert (first.choices[0].delta.content or "") + rest == ANSWER
    settled(container)
    with container.sessions() as session:
        done = session.scalars(sa.select(AccessLog)).one()
    assert (done.ref, done.status, done.outcome) == (row.ref, 200, "ok")
    assert done.completion_tokens == 3
    assert done.latency_ms > 0


def test_no_call_waits_for_the_access_log_writer_to_gather(
    container: Container, base_url: str, setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer holds a row for company until a call waits for it: with a gathering time far
    past the client's timeout, a JSON call, a stream, a refusal and ``/models`` are all answered."""
    from frontier_review.engagements.access import recorder as recorder_module

    monkeypatch.setattr(recorder_module, "GATHER", 600.0)
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    assert ask(sdk, setup) == ANSWER
    stream = sdk.chat.completions.create(model=setup.engagement.model_id, messages=HI, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == ANSWER
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="not-offered", messages=HI)
    assert [m.id for m in sdk.models.list()] == [setup.engagement.model_id]
    settled(container)
    with container.sessions() as session:
        rows = session.scalars(sa.select(AccessLog).order_by(AccessLog.id)).all()
    assert [(r.status, r.outcome) for r in rows] == [(200, "ok"), (200, "ok"), (404, "model_not_found"), (200, "ok")]


def in_flight(clock: FrozenClock, setup: Setup) -> AccessRecord:
    """A gateway call's row as it is written ahead, before its outcome."""
    return AccessRecord(
        kind="gateway",
        at=clock.now(),
        engagement_id=setup.engagement.id,
        actor_label=setup.reviewer.email,
        status=0,
        outcome=IN_FLIGHT,
        variant="standard",
        detail={"route": "/chat/completions"},
    )


def test_rows_written_ahead_share_a_transaction_and_a_waiting_call_hurries_them(
    container: Container, clock: FrozenClock, setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows begun together wait for each other and commit in one transaction; a call that waits
    for its row (or a refusal's ``record``) ends the wait, and closing the writer writes what it gathered."""
    import asyncio

    from frontier_review.engagements.access import recorder as recorder_module

    monkeypatch.setattr(recorder_module, "GATHER", 600.0)  # only a hurry or closing ends a gathering
    recorder = AccessRecorder(container.uow, container.engine)
    batches: list[int] = []
    write = recorder._write

    def counted(rows: list[AccessRecord], outcomes: list[AccessRecord]) -> None:
        batches.append(len(rows))
        write(rows, outcomes)

    monkeypatch.setattr(recorder, "_write", counted)

    async def calls() -> None:
        ahead = [recorder.begin(in_flight(clock, setup)) for _ in range(5)]
        recorder.hurry(ahead[-1])  # the last call's answer came first
        await asyncio.wait_for(asyncio.gather(*ahead), timeout=60)
        await asyncio.wait_for(recorder.record(in_flight(clock, setup)), timeout=60)  # a refusal's row: at once
        recorder.begin(in_flight(clock, setup))  # nobody waits for this one: closing writes it

    try:
        asyncio.run(calls())
        assert batches == [5, 1]
    finally:
        recorder.close()
    assert batches == [5, 1, 1]
    with container.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AccessLog)) == 7


def test_a_call_left_in_flight_is_chained_as_unfinished_after_the_longest_call(
    container: Container, clock: FrozenClock, setup: Setup
) -> None:
    """A process that died between a call's row and its outcome: the row is not chained while
    the call could still be running, then chained as unfinished; a late outcome changes nothing."""
    import asyncio

    grace = in_flight_grace(container.settings)
    recorder = AccessRecorder(container.uow, container.engine)
    row = in_flight(clock, setup)

    async def write_ahead() -> None:
        await recorder.begin(row)

    try:
        asyncio.run(write_ahead())
        assert chain_pending(container.uow, grace=grace) == 0
        clock.advance(grace + timedelta(seconds=1))
        assert chain_pending(container.uow, grace=grace) == 1
        late = AccessRecord(**{**row.__dict__, "status": 200, "outcome": "ok", "completion_tokens": 9})
        recorder.finish(late)
    finally:
        recorder.close()  # drains the queue: the late outcome has been tried
    with container.sessions() as session:
        stored = session.scalars(sa.select(AccessLog)).one()
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "gateway:call")).one()
    assert (stored.status, stored.outcome, stored.completion_tokens) == (0, UNFINISHED, 0)
    assert (entry.outcome, entry.reason) == ("failure", UNFINISHED)
    assert entry.details["access_log"] == str(row.ref)
