"""A local OpenAI-compatible chat server for tests: deterministic answers with real usage numbers.

It answers multiple-choice prompts with ``ANSWER: <letter>``, grading prompts (Inspect's
``model_graded_fact``) with ``GRADE: C`` when the submission contains the expert answer and
``GRADE: I`` otherwise, and other prompts with a fixed text. It streams (SSE) when asked, fails
(HTTP 500) on prompts containing ``PLEASE-FAIL``, and can add latency.
"""

from __future__ import annotations

import asyncio
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


async def _sse(call: int, body: dict[str, Any], answer: str, usage: dict[str, int], delay: float) -> AsyncIterator[bytes]:
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
    if (body.get("stream_options") or {}).get("include_usage"):
        yield f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n".encode()
    yield b"data: [DONE]\n\n"


def make_app(*, letter: str = "B", text: str = "7", latency: float = 0.0, stream_delay: float = 0.0) -> FastAPI:
    app = FastAPI()
    app.state.calls = 0

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
        if latency:
            await asyncio.sleep(latency)
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        if "PLEASE-FAIL" in prompt:
            return JSONResponse({"error": {"message": "upstream exploded", "type": "server_error"}}, status_code=500)
        expert = re.search(r"^\[Expert\]: (.*)$", prompt, re.MULTILINE)
        submission = re.search(r"^\[Submission\]: (.*)$", prompt, re.MULTILINE)
        if expert and submission:
            answer = "GRADE: C" if expert.group(1).strip() in submission.group(1) else "GRADE: I"
        elif re.search(r"^[A-D]\)", prompt, re.MULTILINE):
            answer = f"ANSWER: {letter}"
        else:
            answer = text
        usage = {"prompt_tokens": max(1, len(prompt) // 4), "completion_tokens": 3, "total_tokens": max(1, len(prompt) // 4) + 3}
        if body.get("stream"):
            return StreamingResponse(_sse(app.state.calls, body, answer, usage, stream_delay), media_type="text/event-stream")
        return JSONResponse(
            {
                "id": f"chatcmpl-{app.state.calls}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
                "usage": usage,
            }
        )

    return app


@contextmanager
def serve_fake(**kwargs: Any) -> Iterator[str]:
    """Run the fake on loopback; yields its base URL (ending in /v1)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(make_app(**kwargs), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
