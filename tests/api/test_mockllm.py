"""The package's fake model (``frontier_review.mockllm``): what the demo, the tests and the
benchmarks rely on, over real HTTP on loopback; and the demo's stand-in answering through the
gateway, streaming and not."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from frontier_review.bootstrap import Container
from frontier_review.demo.upstream import REPLY, app
from frontier_review.mockllm import (
    BENCHMARK,
    DEMO,
    DEMO_REPLY,
    UPSTREAM_SECRET_TEXT,
    MockLLMConfig,
    make_app,
    serve_app,
    serve_fake,
)
from tests.factories.engagements import gateway_token, make_engagement

HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello"}]
CHOICES = "Which port does SSH use?\n\nA) 21\nB) 22\nC) 80\nD) 443"
GRADING = "[BEGIN DATA]\n[Question]: 6 x 7?\n[Expert]: 42\n[Submission]: {submission}\n[END DATA]"


def sdk(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url, api_key="sk-anything", max_retries=0)


def events(url: str, body: dict[str, object]) -> list[str]:
    """The data lines of a streamed chat completion."""
    with httpx.stream("POST", f"{url}/chat/completions", json=body, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        return [line[len("data: ") :] for line in response.iter_lines() if line.startswith("data: ")]


# --- answers --------------------------------------------------------------------------------


def test_answers_are_deterministic_with_usage() -> None:
    with serve_fake(text="The answer is 7.", letter="C") as url:
        client = sdk(url)
        assert [m.id for m in client.models.list()] == ["fake"]
        plain = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "what is it?"}])
        assert plain.choices[0].message.content == "The answer is 7."
        assert plain.model == "m"
        assert plain.usage is not None
        assert (plain.usage.prompt_tokens, plain.usage.completion_tokens, plain.usage.total_tokens) == (2, 3, 5)
        choice = client.chat.completions.create(model="m", messages=[{"role": "user", "content": CHOICES}])
        assert choice.choices[0].message.content == "ANSWER: C"
        right = client.chat.completions.create(model="m", messages=[{"role": "user", "content": GRADING.format(submission="42")}])
        wrong = client.chat.completions.create(model="m", messages=[{"role": "user", "content": GRADING.format(submission="41")}])
        assert (right.choices[0].message.content, wrong.choices[0].message.content) == ("GRADE: C", "GRADE: I")
        several = client.chat.completions.create(model="m", messages=HI, n=3)
        assert [c.index for c in several.choices] == [0, 1, 2]
        legacy = client.completions.create(model="m", prompt="Say the line")
        assert legacy.choices[0].text == "The answer is 7."
        assert legacy.usage is not None and legacy.usage.completion_tokens == 3


def test_a_stream_sends_a_role_chunk_one_chunk_per_word_then_usage_when_asked() -> None:
    with serve_fake(text="The answer is 7.") as url:
        body: dict[str, object] = {"model": "m", "messages": HI, "stream": True}
        lines = events(url, body)
        assert lines[-1] == "[DONE]"
        chunks = [json.loads(line) for line in lines[:-1]]
        assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
        assert [c["choices"][0]["delta"].get("content") for c in chunks[1:5]] == ["The", " answer", " is", " 7."]
        assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
        assert not any("usage" in c for c in chunks)  # not asked for
        with_usage = [json.loads(line) for line in events(url, {**body, "stream_options": {"include_usage": True}})[:-1]]
        assert with_usage[-1]["choices"] == []
        assert with_usage[-1]["usage"]["completion_tokens"] == 3
        streamed = sdk(url).chat.completions.create(model="m", messages=HI, stream=True)
        assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == "The answer is 7."


def test_usage_can_be_left_out_of_streams_or_everywhere() -> None:
    asked: dict[str, object] = {"model": "m", "messages": HI, "stream": True, "stream_options": {"include_usage": True}}
    with serve_fake(usage_in_stream=False) as url:
        assert not any("usage" in line for line in events(url, asked))
        assert sdk(url).chat.completions.create(model="m", messages=HI).usage is not None
    with serve_fake(usage_in_json=False) as url:
        assert not any("usage" in line for line in events(url, asked))
        assert sdk(url).chat.completions.create(model="m", messages=HI).usage is None


def test_to_limit_reports_every_choice_written_up_to_max_tokens() -> None:
    with serve_fake(to_limit=True) as url:
        reply = sdk(url).chat.completions.create(model="m", messages=HI, n=3, max_tokens=50)
        assert reply.usage is not None and reply.usage.completion_tokens == 150


def test_latency_and_stream_delay() -> None:
    with serve_fake(latency=0.3, stream_delay=0.1, text="one two") as url:
        started = time.monotonic()
        sdk(url).chat.completions.create(model="m", messages=HI)
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        events(url, {"model": "m", "messages": HI, "stream": True})
        assert time.monotonic() - started >= 0.3 + 3 * 0.1  # the role chunk and two words


def test_the_state_counts_calls_and_keeps_bodies() -> None:
    fake = make_app(keep_bodies=2)
    with serve_app(fake) as url:
        client = sdk(url)
        for word in ("one", "two", "three"):
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": word}])
        client.completions.create(model="m", prompt="legacy")
    assert fake.state.calls == 4
    assert [b["messages"][0]["content"] for b in fake.state.bodies] == ["two", "three"]
    unbounded = make_app()
    with serve_app(unbounded) as url:
        for _ in range(3):
            sdk(url).chat.completions.create(model="m", messages=HI)
    assert len(unbounded.state.bodies) == 3


def test_unique_ids_off_sends_the_same_bytes_again() -> None:
    """The benchmark's fast path: equal answers are serialized once (one id, one time)."""
    body = {"model": "m", "messages": HI}
    with serve_fake(unique_ids=False) as url:
        first, second = (httpx.post(f"{url}/chat/completions", json=body, timeout=30) for _ in range(2))
        assert first.content == second.content
        assert first.json()["id"] == "chatcmpl-mockllm"
        streamed = events(url, {**body, "stream": True})
        assert streamed == events(url, {**body, "stream": True})
    with serve_fake() as url:
        ids = {httpx.post(f"{url}/chat/completions", json=body, timeout=30).json()["id"] for _ in range(2)}
        assert ids == {"chatcmpl-1", "chatcmpl-2"}


def test_routes_methods_and_bodies_it_does_not_take() -> None:
    with serve_fake() as url:
        assert httpx.get(f"{url}/embeddings", timeout=30).status_code == 404
        assert httpx.get(f"{url}/chat/completions", timeout=30).status_code == 405
        assert httpx.post(f"{url}/models", timeout=30).status_code == 405
        bad = httpx.post(f"{url}/chat/completions", content=b"{not json", timeout=30)
        assert bad.status_code == 400
        assert bad.json()["error"]["type"] == "invalid_request_error"
        assert httpx.post(f"{url}/chat/completions", json={"messages": HI, "n": "many"}, timeout=30).status_code == 400


# --- failure modes ------------------------------------------------------------------------------


def ask(url: str, content: str, **extra: object) -> httpx.Response:
    body = {"model": "m", "messages": [{"role": "user", "content": content}], **extra}
    return httpx.post(f"{url}/chat/completions", json=body, timeout=30)


def test_trigger_words_ask_for_failures() -> None:
    with serve_fake() as url:
        failed = ask(url, "PLEASE-FAIL now")
        assert failed.status_code == 500
        assert failed.json()["error"]["type"] == "server_error"
        rejected = ask(url, "PLEASE-REJECT")
        assert rejected.status_code == 400
        assert rejected.json()["error"]["message"] == UPSTREAM_SECRET_TEXT
        busy = ask(url, "PLEASE-BUSY")
        assert (busy.status_code, busy.headers["retry-after"]) == (429, "7")
        with httpx.stream(
            "POST", f"{url}/chat/completions", json={"model": "m", "messages": [{"role": "user", "content": "PLEASE-BOMB"}]}
        ) as bomb:
            assert bomb.headers["content-encoding"] == "gzip"
            compressed = b"".join(bomb.iter_raw())
        assert len(compressed) < 1024 * 1024
        assert len(gzip.decompress(compressed)) == 48 * 1024 * 1024
        # Streams only: without stream, these prompts are answered as any other.
        assert ask(url, "PLEASE-ENDLESS").json()["choices"][0]["message"]["content"] == "7"
        midway = events(url, {"model": "m", "messages": [{"role": "user", "content": "PLEASE-STREAM-ERROR"}], "stream": True})
        assert json.loads(midway[-1])["error"]["message"] == UPSTREAM_SECRET_TEXT
        with httpx.stream(
            "POST",
            f"{url}/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "PLEASE-ENDLESS"}], "stream": True},
            timeout=30,
        ) as endless:
            received = b"".join(endless.iter_bytes())
        last_line = received.split(b"\n")[-1]
        assert last_line.startswith(b"data: xxx")
        assert len(last_line) > 10 * 1024 * 1024


def test_a_stream_its_client_leaves_is_counted_as_cancelled() -> None:
    slow = make_app(text=" ".join(["word"] * 40), stream_delay=0.25)
    with serve_app(slow) as url:
        body = {"model": "m", "messages": HI, "stream": True}
        with httpx.stream("POST", f"{url}/chat/completions", json=body, timeout=30) as response:
            next(response.iter_bytes())
        deadline = time.monotonic() + 8
        while slow.state.cancelled == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert slow.state.cancelled == 1
    finished = make_app(stream_delay=0.01)
    with serve_app(finished) as url:
        events(url, {"model": "m", "messages": HI, "stream": True})
    assert finished.state.cancelled == 0


# --- presets --------------------------------------------------------------------------------


def test_the_demo_preset_says_what_it_is_whatever_the_prompt() -> None:
    with serve_app(app) as url:
        client = sdk(url)
        assert [m.id for m in client.models.list()] == ["smollm2"]
        for prompt in ("hello", CHOICES, "PLEASE-FAIL"):
            reply = client.chat.completions.create(model="smollm2", messages=[{"role": "user", "content": prompt}])
            assert reply.choices[0].message.content == REPLY == DEMO_REPLY
        assert reply.usage is not None and reply.usage.completion_tokens == len(DEMO_REPLY) // 4
        assert client.completions.create(model="smollm2", prompt="hi").choices[0].text == REPLY
    assert app.config == DEMO


def test_presets_and_validation() -> None:
    assert BENCHMARK.latency == 0.02 and not BENCHMARK.unique_ids and BENCHMARK.keep_bodies == 0
    with pytest.raises(ValueError, match="at least one model"):
        MockLLMConfig(models=())
    with pytest.raises(ValueError, match="never negative"):
        MockLLMConfig(latency=-1)


def test_it_imports_without_the_platform_or_the_tests() -> None:
    code = (
        "import sys, frontier_review.mockllm, frontier_review.demo.upstream\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in {'tests', 'fastapi', 'starlette', 'sqlalchemy'}"
        " or m.startswith(('frontier_review.web', 'frontier_review.db', 'frontier_review.gateway'))]\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- through the gateway ----------------------------------------------------------------------


def test_the_stand_in_answers_through_the_gateway(container: Container, base_url: str) -> None:
    with serve_app(app) as stand_in:
        setup = make_engagement(container, upstream_url=stand_in)
        client = openai.OpenAI(
            base_url=f"{base_url}/gateway/v1", api_key=gateway_token(container, setup.reviewer, setup), max_retries=0
        )
        reply = client.chat.completions.create(model=setup.engagement.model_id, messages=[{"role": "user", "content": "hello"}])
        assert reply.choices[0].message.content == REPLY
        chunks = client.chat.completions.create(
            model=setup.engagement.model_id, messages=[{"role": "user", "content": "hello"}], stream=True
        )
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == REPLY
