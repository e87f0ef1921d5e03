"""Past saturation the gateway sheds new calls with 503 and retry-after; nothing it serves goes unrecorded.

A live loopback server whose shedding threshold is 5 ms of event-loop lag, driven by
fifty callers at once with long prompts (each one's parsing and checking hold the event loop
for milliseconds, so the loop falls behind on any machine), who wait as told when shed
(as the OpenAI SDK does): some calls are shed, and every call is accounted for — each 200 has its access-log row, each
503 is counted in the tally of refusals that name no caller. Once the load stops, a client that
waits as told is served again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import httpx
import openai
import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.config import Settings
from frontier_review.engagements.access.orm import AccessLog
from frontier_review.engagements.lifecycle.domain import Quotas
from frontier_review.mockllm import serve_fake
from tests.factories.engagements import gateway_token, make_engagement, settled
from tests.live import serve

CALLERS = 50
# About 600 kB in 2,000 messages (the most a call may have), well under the body limit: each one is parsed and checked by the
# gateway in Python, while the callers send the same bytes encoded once, so the gateway (not the
# load generator beside it on the same cores) is what saturates.
MESSAGES = [{"role": "user", "content": "word " * 55}] * 2000
LOAD_SECONDS = 2.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"gateway_shed_lag_ms": 5.0})


async def _load(url: str, token: str, model: str) -> tuple[Counter[int], list[httpx.Response]]:
    statuses: Counter[int] = Counter()
    shed: list[httpx.Response] = []
    body = json.dumps({"model": model, "messages": MESSAGES, "max_tokens": 8}).encode()
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    limits = httpx.Limits(max_connections=CALLERS, max_keepalive_connections=CALLERS)
    async with httpx.AsyncClient(base_url=f"{url}/gateway/v1", timeout=30, limits=limits) as http:
        stop = time.monotonic() + LOAD_SECONDS

        async def caller() -> None:
            made = 0
            # For the load time, and at least three calls each: on a busy machine the first fifty
            # calls, all arriving before the loop lags, can take the whole load time.
            while time.monotonic() < stop or made < 3:
                made += 1
                answer = await http.post("/chat/completions", content=body, headers=headers)
                statuses[answer.status_code] += 1
                if answer.status_code == 503:
                    shed.append(answer)
                    await asyncio.sleep(int(answer.headers["retry-after-ms"]) / 1000)

        await asyncio.gather(*(caller() for _ in range(CALLERS)))
    return statuses, shed


def test_an_overloaded_gateway_sheds_calls_and_records_every_one(container: Container) -> None:
    with serve_fake(latency=0.01) as upstream:
        plenty = Quotas(requests_per_day=10**6, tokens_per_day=10**9, requests_per_minute=10**6)
        setup = make_engagement(container, upstream_url=upstream, quotas=plenty)
        token = gateway_token(container, setup.reviewer, setup)
        with serve(container) as url:
            statuses, shed = asyncio.run(_load(url, token, setup.engagement.model_id))
            assert set(statuses) <= {200, 503}, statuses
            assert statuses[503] > 0 and statuses[200] > 0, statuses
            for answer in shed[:20]:
                error = answer.json()["error"]
                assert (error["type"], error["code"]) == ("service_unavailable", "overloaded")
                assert int(answer.headers["retry-after"]) >= 1
                assert int(answer.headers["retry-after-ms"]) >= 50
                assert answer.headers["x-request-id"].startswith("req_")
            time.sleep(1.0)  # the load is over: the loop catches up
            # The SDK waits as the 503 says (retry-after-ms) and tries again: it is served.
            sdk = openai.OpenAI(base_url=f"{url}/gateway/v1", api_key=token, max_retries=8, timeout=30)
            reply = sdk.chat.completions.create(model=setup.engagement.model_id, messages=[{"role": "user", "content": "hi"}])
            assert reply.choices[0].message.content
    # The server has stopped: the chainer wrote its tally, and every call served has its row.
    settled(container)
    with container.sessions() as session:
        served = session.scalar(sa.select(sa.func.count()).select_from(AccessLog).where(AccessLog.status == 200))
        tallies = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "gateway:refusals")).all()
    assert served == statuses[200] + 1
    counted = sum(r["count"] for t in tallies for r in t.details["refusals"] if r["outcome"] == "overloaded")
    assert counted >= statuses[503]  # and any the SDK's own retries met
    assert counted <= statuses[503] + 8
