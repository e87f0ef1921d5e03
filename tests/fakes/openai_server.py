"""A local OpenAI-compatible chat server for tests: deterministic answers with real usage numbers.

It answers multiple-choice prompts with ``ANSWER: <letter>``, grading prompts (Inspect's
``model_graded_fact``) with ``GRADE: C`` when the submission contains the expert answer and
``GRADE: I`` otherwise, and other prompts with a fixed text. It streams (SSE) when asked, fails
(HTTP 500) on prompts containing ``PLEASE-FAIL``, and can add latency.

Hostile or unusual upstreams, for the gateway's defences: ``usage_in_stream=False`` sends no
usage in streams even when asked (as llama.cpp's server does), ``usage_in_json=False`` none at
all; ``to_limit=True`` reports ``n × max_tokens`` completion tokens (a model that always writes
to the limit). Prompts containing ``PLEASE-REJECT`` get a 400 with the upstream's own
validation text, ``PLEASE-BUSY`` a 429 with ``retry-after: 7``, ``PLEASE-BOMB`` a gzip bomb,
``PLEASE-ENDLESS`` a stream whose event line never ends, ``PLEASE-STREAM-ERROR`` an error event
mid-stream. Every request body is kept in ``app.state.bodies``.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.live import free_port

UPSTREAM_SECRET_TEXT = "Invalid 'messages[0].role': upstream-internal-detail-4711"


async def _sse(state: Any, body: dict[str, Any], answer: str, usage: dict[str, int] | None, delay: float) -> AsyncIterator[bytes]:
    """A stream (see :func:`_events`); one its client abandons counts in ``state.cancelled``."""
    finished = False
    try:
        async for event in _events(state.calls, body, answer, usage, delay):
            yield event
        finished = True
    finally:
        if not finished:
            state.cancelled += 1


async def _events(
    call: int, body: dict[str, Any], answer: str, usage: dict[str, int] | None, delay: float
) -> AsyncIterator[bytes]:
    """OpenAI's streaming shape: a role chunk, one chunk per word, a finish chunk, usage if asked."""
    base = {"id": f"chatcmpl-{call}", "object": "chat.completion.chunk", "created": int(time.time()), "model": body.get("model")}
    words = answer.split(" ")
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": (" " if i else "") + w} for i, w in enumerate(words)]
    for delta in deltas:
        chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        yield f"data: {json.dumps(chunk)}\n\n".encode()
        if delay:
            await asyncio.sleep(delay)
    yield f"data: {json.dumps({**base, 'choices': [{'index': 0, 'delta': {}, 'finish_reason': 'stop'}]})}\n\n".encode()
    if usage is not None and (body.get("stream_options") or {}).get("include_usage"):
        yield f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n".encode()
    yield b"data: [DONE]\n\n"


async def _hostile_stream(kind: str) -> AsyncIterator[bytes]:
    base = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": int(time.time()), "model": "fake"}
    yield f"data: {json.dumps({**base, 'choices': [{'index': 0, 'delta': {'content': 'Hel'}}]})}\n\n".encode()
    if kind == "endless":
        yield b"data: " + b"x" * (256 * 1024)
        for _ in range(40):  # 10 MiB in all, never a line end
            yield b"x" * (256 * 1024)
            await asyncio.sleep(0)
    else:
        yield f"data: {json.dumps({'error': {'message': UPSTREAM_SECRET_TEXT, 'type': 'server_error'}})}\n\n".encode()


def _hostile(prompt: str, stream: bool) -> Response | None:
    if "PLEASE-REJECT" in prompt:
        return JSONResponse({"error": {"message": UPSTREAM_SECRET_TEXT, "type": "invalid_request_error"}}, status_code=400)
    if "PLEASE-BUSY" in prompt:
        return JSONResponse({"error": {"message": "slow down"}}, status_code=429, headers={"retry-after": "7"})
    if "PLEASE-BOMB" in prompt:
        bomb = gzip.compress(b" " * (48 * 1024 * 1024), compresslevel=9)
        return Response(bomb, media_type="application/json", headers={"content-encoding": "gzip"})
    if stream and "PLEASE-ENDLESS" in prompt:
        return StreamingResponse(_hostile_stream("endless"), media_type="text/event-stream")
    if stream and "PLEASE-STREAM-ERROR" in prompt:
        return StreamingResponse(_hostile_stream("error"), media_type="text/event-stream")
    return None


def make_app(
    *,
    letter: str = "B",
    text: str = "7",
    latency: float = 0.0,
    stream_delay: float = 0.0,
    usage_in_stream: bool = True,
    usage_in_json: bool = True,
    to_limit: bool = False,
) -> FastAPI:
    app = FastAPI()
    app.state.calls = 0
    app.state.bodies = []
    app.state.cancelled = 0

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": "fake", "object": "model", "owned_by": "tests"}]}

    @app.post("/v1/completions")
    async def completions(request: Request) -> JSONResponse:
        body = await request.json()
        app.state.calls += 1
        usage = {"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7}
        choice = {"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}
        payload = {"id": f"cmpl-{app.state.calls}", "object": "text_completion", "created": int(time.time())}
        return JSONResponse({**payload, "model": body.get("model", "fake"), "choices": [choice], "usage": usage})

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = await request.json()
        app.state.calls += 1
        app.state.bodies.append(body)
        if latency:
            await asyncio.sleep(latency)
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        if "PLEASE-FAIL" in prompt:
            return JSONResponse({"error": {"message": "upstream exploded", "type": "server_error"}}, status_code=500)
        hostile = _hostile(prompt, bool(body.get("stream")))
        if hostile is not None:
            return hostile
        expert = re.search(r"^\[Expert\]: (.*)$", prompt, re.MULTILINE)
        submission = re.search(r"^\[Submission\]: (.*)$", prompt, re.MULTILINE)
        if expert and submission:
            answer = "GRADE: C" if expert.group(1).strip() in submission.group(1) else "GRADE: I"
        elif re.search(r"^[A-D]\)", prompt, re.MULTILINE):
            answer = f"ANSWER: {letter}"
        else:
            answer = text
        n = int(body.get("n") or 1)
        completion = n * int(body["max_tokens"]) if to_limit and body.get("max_tokens") else 3
        prompt_tokens = max(1, len(prompt) // 4)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion, "total_tokens": prompt_tokens + completion}
        if body.get("stream"):
            sent = usage if usage_in_stream and usage_in_json else None
            return StreamingResponse(_sse(app.state, body, answer, sent, stream_delay), media_type="text/event-stream")
        choices = [{"index": i, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"} for i in range(n)]
        payload = {
            "id": f"chatcmpl-{app.state.calls}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": choices,
        }
        return JSONResponse({**payload, "usage": usage} if usage_in_json else payload)

    return app


@contextmanager
def serve_fake(**kwargs: Any) -> Iterator[str]:
    """Run the fake on loopback; yields its base URL (ending in /v1)."""
    with serve_app(make_app(**kwargs)) as url:
        yield url


@contextmanager
def serve_app(app: FastAPI) -> Iterator[str]:
    """Run ``app`` (from :func:`make_app`, to read ``app.state`` afterwards) on loopback; yields its base URL."""
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
