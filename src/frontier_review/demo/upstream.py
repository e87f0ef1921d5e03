"""A stand-in model for the demo when the ``local-model`` extra is not installed.

It speaks just enough of the OpenAI API (``/v1/models``, ``/v1/chat/completions`` with and
without streaming, ``/v1/completions``) for the demo engagement's gateway to have something to
forward to, and says plainly that it is a stand-in. Run: ``python -m frontier_review.demo.upstream PORT``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

REPLY = (
    "This is the demo's stand-in model (install the local-model extra for SmolLM2). "
    "Your request reached it through the Frontier Review gateway, which checked your token, "
    "the engagement window, the terms and your quota, and recorded the call."
)


def _usage(prompt: str) -> dict[str, int]:
    prompt_tokens = max(1, len(prompt) // 4)
    completion_tokens = len(REPLY) // 4
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


async def models(_request: Request) -> Response:
    """``GET /v1/models``: the one model served."""
    return JSONResponse({"object": "list", "data": [{"id": "smollm2", "object": "model", "owned_by": "demo"}]})


async def _stream(body: dict[str, Any], usage: dict[str, int]) -> AsyncIterator[bytes]:
    base = {"id": "chatcmpl-demo", "object": "chat.completion.chunk", "created": int(time.time()), "model": body.get("model")}
    for i, word in enumerate(REPLY.split(" ")):
        delta = {"role": "assistant", "content": word} if i == 0 else {"content": " " + word}
        yield f"data: {json.dumps({**base, 'choices': [{'index': 0, 'delta': delta, 'finish_reason': None}]})}\n\n".encode()
    yield f"data: {json.dumps({**base, 'choices': [{'index': 0, 'delta': {}, 'finish_reason': 'stop'}]})}\n\n".encode()
    if (body.get("stream_options") or {}).get("include_usage"):
        yield f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n".encode()
    yield b"data: [DONE]\n\n"


async def chat(request: Request) -> Response:
    """``POST /v1/chat/completions``: the canned reply with usage, streamed when asked (usage then only on request)."""
    body = await request.json()
    prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []) if isinstance(m, dict))
    usage = _usage(prompt)
    if body.get("stream"):
        return StreamingResponse(_stream(body, usage), media_type="text/event-stream")
    message = {"role": "assistant", "content": REPLY}
    choice = {"index": 0, "message": message, "finish_reason": "stop"}
    created = int(time.time())
    return JSONResponse(
        {
            "id": "chatcmpl-demo",
            "object": "chat.completion",
            "created": created,
            "model": body.get("model"),
            "choices": [choice],
            "usage": usage,
        }
    )


async def completions(request: Request) -> Response:
    """``POST /v1/completions``: the canned reply, with usage."""
    body = await request.json()
    choice = {"index": 0, "text": REPLY, "finish_reason": "stop", "logprobs": None}
    created = int(time.time())
    usage = _usage(str(body.get("prompt", "")))
    return JSONResponse(
        {
            "id": "cmpl-demo",
            "object": "text_completion",
            "created": created,
            "model": body.get("model"),
            "choices": [choice],
            "usage": usage,
        }
    )


app = Starlette(
    routes=[
        Route("/v1/models", models),
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/v1/completions", completions, methods=["POST"]),
    ]
)


def main() -> None:
    """Serve on 127.0.0.1, on the port given as the first argument (default 8081)."""
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]) if len(sys.argv) > 1 else 8081, log_level="warning")


if __name__ == "__main__":
    main()
