"""Rebuilding the upstream's answers for the reviewer: fields kept, usage, streamed events.

Responses are rebuilt from the upstream's JSON, so no upstream header, URL, credential or
provider field reaches the reviewer (G4); the model is always the public id.
"""

from __future__ import annotations

import json
import time
from typing import Any

from frontier_review.gateway import errors, validation
from frontier_review.gateway.proxy import sse_events

# Response fields passed through from the upstream; anything else (provider extras) is dropped.
KEEP = ("id", "object", "created", "choices", "usage")


class UpstreamStreamError(Exception):
    """The upstream sent an error event mid-stream; ``detail`` is for the access log only."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def error_event(exc: errors.GatewayError, request_id: str | None) -> bytes:
    """A gateway error as a server-sent event, for a stream that has already begun."""
    return b"data: " + exc.body(request_id) + b"\n\n"


def capped(checked: validation.Checked, reserved: int, upstream_model: str) -> dict[str, Any]:
    """The request as forwarded: the upstream's model name, and a capped ``max_tokens``.

    No choice may use more tokens than the reservation covers (the client's own ``max_tokens``
    when lower).
    """
    per_choice = max(1, (reserved - checked.prompt_tokens) // checked.choices)
    cap = min(checked.max_tokens or validation.DEFAULT_MAX_TOKENS, per_choice)
    forwarded = {**checked.body, "model": upstream_model, "max_tokens": cap}
    if "max_completion_tokens" in forwarded:
        forwarded["max_completion_tokens"] = cap
    return forwarded


class StreamEvents:
    """The upstream's server-sent events, rewritten for the reviewer as they arrive."""

    def __init__(self, model: str, wants_usage: bool, keep_text: bool) -> None:
        self.model = model
        self.wants_usage = wants_usage
        self.keep_text = keep_text
        self.prompt: int | None = None
        self.completion: int | None = None
        self.text_bytes = 0
        self.pieces: list[str] = []
        self.done = False
        self.usage_sent = False
        self._head: dict[str, Any] = {}
        self._buffer = bytearray()

    def translate(self, received: bytes) -> bytes:
        outgoing: list[bytes] = []
        for data in sse_events(self._buffer, received):
            if data == b"[DONE]":
                self.done = True
                break
            try:
                chunk = json.loads(data)
            except ValueError:
                continue  # a keep-alive or a comment: nothing to forward
            if not isinstance(chunk, dict):
                continue
            if "error" in chunk:
                raise UpstreamStreamError(str(chunk["error"])[:2000])
            if chunk.get("usage"):
                self.prompt, self.completion = usage(chunk["usage"])
            choices = chunk.get("choices") or []
            self.text_bytes += validation.completion_text_bytes(choices, streamed=True)
            if not self._head:
                self._head = {k: chunk[k] for k in ("id", "object", "created") if k in chunk}
            if not choices and not self.wants_usage:
                continue  # the usage-only chunk the gateway asked for itself
            if self.keep_text:
                self.pieces.extend(delta_text(choices))
            out = {k: chunk[k] for k in KEEP if k in chunk}
            out["model"] = self.model
            if not self.wants_usage:
                out.pop("usage", None)
            elif out.get("usage"):
                self.usage_sent = True
            outgoing.append(b"data: " + json.dumps(out).encode() + b"\n\n")
        return b"".join(outgoing)

    def usage(self, prompt_tokens: int) -> tuple[int, int]:
        """The upstream's usage when it sent one, else the gateway's own count (item 11)."""
        if self.prompt is not None and self.completion is not None:
            return self.prompt, self.completion
        return prompt_tokens, validation.tokens_from_bytes(self.text_bytes)

    def usage_chunk(self, prompt: int, completion: int) -> bytes:
        """The usage chunk the client asked for, when the upstream sent none."""
        if not self.wants_usage or self.usage_sent:
            return b""
        chunk = {
            "id": self._head.get("id", "chatcmpl-gateway"),
            "object": self._head.get("object", "chat.completion.chunk"),
            "created": self._head.get("created", int(time.time())),
            "model": self.model,
            "choices": [],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        }
        return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def usage(usage: Any) -> tuple[int | None, int | None]:
    """The upstream's token counts; None where it reported none (or nonsense)."""
    if not isinstance(usage, dict):
        return None, None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    valid = all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (prompt, completion))
    return (prompt, completion) if valid else (None, None)


def delta_text(choices: list[Any]) -> list[str]:
    """The text each choice of a streamed chunk adds (chat ``delta.content`` or completion ``text``)."""
    out = []
    for choice in choices:
        if isinstance(choice, dict):
            delta = choice.get("delta") or {}
            text = delta.get("content") if isinstance(delta, dict) else None
            text = text if text is not None else choice.get("text")
            if isinstance(text, str):
                out.append(text)
    return out
