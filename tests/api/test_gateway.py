"""The gateway over real HTTP with the official openai SDK (G1, G2, G4, G5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import openai
import pytest

from frontier_review.bootstrap import Container
from frontier_review.kernel.clock import FrozenClock
from tests.factories.engagements import Setup, gateway_token, make_engagement
from tests.fakes.openai_server import serve_fake


@pytest.fixture
def upstream() -> Iterator[str]:
    with serve_fake(text="The vulnerable line is 7.") as url:
        yield url


@pytest.fixture
def setup(container: Container, upstream: str) -> Setup:
    return make_engagement(container, upstream_url=upstream)


def client(base_url: str, token: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/gateway/v1", api_key=token, max_retries=0, timeout=30)


def test_a_reviewer_chats_through_the_gateway(container: Container, base_url: str, setup: Setup) -> None:
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    models = [m.id for m in sdk.models.list()]
    assert models == [setup.engagement.model_id]
    reply = sdk.chat.completions.create(model=setup.engagement.model_id, messages=[{"role": "user", "content": "Which line?"}])
    assert reply.choices[0].message.content == "The vulnerable line is 7."
    assert reply.model == setup.engagement.model_id
    assert reply.usage is not None and reply.usage.completion_tokens == 3
    chunks = list(
        sdk.chat.completions.create(
            model=setup.engagement.model_id, messages=[{"role": "user", "content": "Which line?"}], stream=True
        )
    )
    assert chunks


def test_one_second_after_the_window_ends_is_refused(
    container: Container, clock: FrozenClock, base_url: str, setup: Setup
) -> None:
    sdk = client(base_url, gateway_token(container, setup.reviewer, setup))
    clock.set(setup.engagement.window.end - timedelta(seconds=1))
    sdk.chat.completions.create(model=setup.engagement.model_id, messages=[{"role": "user", "content": "hi"}])
    clock.set(setup.engagement.window.end + timedelta(seconds=1))
    with pytest.raises(openai.PermissionDeniedError, match="window ended"):
        sdk.chat.completions.create(model=setup.engagement.model_id, messages=[{"role": "user", "content": "hi"}])
