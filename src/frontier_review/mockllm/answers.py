"""What the fake says and how it is serialized: pure functions, no I/O.

The answer depends only on the prompt and the configuration, so tests can predict it: a
multiple-choice prompt gets ``ANSWER: <letter>``, Inspect's ``model_graded_fact`` grading prompt a
grade, anything else the configured text. Bodies follow OpenAI's shapes closely enough for the
``openai`` SDK, Inspect, LiteLLM and the gateway.
"""

from __future__ import annotations

import json
import re
from typing import Any

from frontier_review.mockllm.config import MockLLMConfig

_EXPERT = re.compile(r"^\[Expert\]: (.*)$", re.MULTILINE)
_SUBMISSION = re.compile(r"^\[Submission\]: (.*)$", re.MULTILINE)
_CHOICE = re.compile(r"^[A-D]\)", re.MULTILINE)

Usage = dict[str, int]


def chat_prompt(body: dict[str, Any]) -> str:
    """A chat request's messages' contents, one per line (the shape the answer rules read)."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return ""
    return "\n".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))


def answer(config: MockLLMConfig, prompt: str) -> str:
    """The reply to ``prompt``: a grade, a multiple-choice letter, or the configured text."""
    if not config.recognise_prompts:
        return config.text
    expert = _EXPERT.search(prompt)
    submission = _SUBMISSION.search(prompt) if expert else None
    if expert and submission:
        return "GRADE: C" if expert.group(1).strip() in submission.group(1) else "GRADE: I"
    if _CHOICE.search(prompt):
        return f"ANSWER: {config.letter}"
    return config.text


def usage(config: MockLLMConfig, body: dict[str, Any], prompt: str, reply: str) -> Usage:
    """Token counts: a quarter of the prompt's characters; completion tokens as configured."""
    n = int(body.get("n") or 1)
    max_tokens = body.get("max_tokens")
    if config.to_limit and max_tokens:
        completion = n * int(max_tokens)
    elif config.completion_tokens is not None:
        completion = config.completion_tokens
    else:
        completion = max(1, len(reply) // 4)
    prompt_tokens = max(1, len(prompt) // 4)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion, "total_tokens": prompt_tokens + completion}


def _dump(value: object) -> bytes:
    return json.dumps(value).encode()


def models_json(config: MockLLMConfig) -> bytes:
    """The ``GET /v1/models`` body."""
    data = [{"id": m, "object": "model", "owned_by": config.owned_by} for m in config.models]
    return _dump({"object": "list", "data": data})


def chat_json(*, id_: str, created: int, model: str, reply: str, n: int, usage: Usage | None) -> bytes:
    """A chat completion with ``n`` equal choices (and usage, unless None)."""
    choices = [{"index": i, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"} for i in range(n)]
    payload: dict[str, Any] = {"id": id_, "object": "chat.completion", "created": created, "model": model, "choices": choices}
    if usage is not None:
        payload["usage"] = usage
    return _dump(payload)


def chat_events(*, id_: str, created: int, model: str, reply: str, usage: Usage | None) -> tuple[list[bytes], list[bytes]]:
    """OpenAI's streaming shape, as server-sent events.

    Returns the content events (a role chunk, then one chunk per word) and the closing ones (a
    finish chunk, the usage chunk unless None, ``[DONE]``).
    """
    base = {"id": id_, "object": "chat.completion.chunk", "created": created, "model": model}
    deltas: list[dict[str, str]] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": (" " if i else "") + word} for i, word in enumerate(reply.split(" "))]
    content = [_event({**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]}) for d in deltas]
    closing = [_event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})]
    if usage is not None:
        closing.append(_event({**base, "choices": [], "usage": usage}))
    closing.append(b"data: [DONE]\n\n")
    return content, closing


def completion_json(*, id_: str, created: int, model: str, reply: str, usage: Usage | None) -> bytes:
    """A legacy ``/v1/completions`` answer."""
    choice = {"index": 0, "text": reply, "finish_reason": "stop", "logprobs": None}
    payload: dict[str, Any] = {"id": id_, "object": "text_completion", "created": created, "model": model, "choices": [choice]}
    if usage is not None:
        payload["usage"] = usage
    return _dump(payload)


def error_json(message: str, kind: str) -> bytes:
    """An OpenAI-style error body."""
    return _dump({"error": {"message": message, "type": kind}})


def _event(value: object) -> bytes:
    return b"data: " + _dump(value) + b"\n\n"
