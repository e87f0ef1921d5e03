"""The demo's stand-in model answers through the gateway, streaming and not."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import openai
import pytest
import uvicorn

from frontier_review.bootstrap import Container
from frontier_review.demo.upstream import REPLY, app
from tests.factories.engagements import gateway_token, make_engagement
from tests.live import free_port


@pytest.fixture
def stand_in() -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_stand_in_answers_through_the_gateway(container: Container, base_url: str, stand_in: str) -> None:
    setup = make_engagement(container, upstream_url=stand_in)
    sdk = openai.OpenAI(base_url=f"{base_url}/gateway/v1", api_key=gateway_token(container, setup.reviewer, setup), max_retries=0)
    reply = sdk.chat.completions.create(model=setup.engagement.model_id, messages=[{"role": "user", "content": "hello"}])
    assert reply.choices[0].message.content == REPLY
    chunks = sdk.chat.completions.create(
        model=setup.engagement.model_id, messages=[{"role": "user", "content": "hello"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == REPLY
