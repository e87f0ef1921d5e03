"""The failure modes a prompt's trigger words ask for.

Hostile or broken upstreams, so the gateway's defences can be tested against a real server.

- ``PLEASE-FAIL``: HTTP 500;
- ``PLEASE-REJECT``: HTTP 400 carrying the upstream's own validation text (``UPSTREAM_SECRET_TEXT``);
- ``PLEASE-BUSY``: HTTP 429 with ``retry-after: 7``;
- ``PLEASE-BOMB``: a gzip bomb (48 MiB of spaces, compressed);
- ``PLEASE-ENDLESS`` (streams only): an event line that never ends (10 MiB without a line end);
- ``PLEASE-STREAM-ERROR`` (streams only): an error event carrying ``UPSTREAM_SECRET_TEXT`` mid-stream.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from frontier_review.mockllm.answers import error_json
from frontier_review.mockllm.config import UPSTREAM_SECRET_TEXT

Headers = tuple[tuple[bytes, bytes], ...]
JSON: Headers = ((b"content-type", b"application/json"),)


@dataclass(frozen=True, slots=True)
class Canned:
    """A whole response, ready to send."""

    status: int
    body: bytes
    headers: Headers = JSON


HostileStream = Callable[[], AsyncIterator[bytes]]


@functools.cache
def _bomb() -> bytes:
    """Made once per process: compressing 48 MiB takes a while."""
    return gzip.compress(b" " * (48 * 1024 * 1024), compresslevel=9)


def failure_for(prompt: str, *, stream: bool) -> Canned | HostileStream | None:
    """The failure ``prompt`` asks for, or None for an ordinary answer."""
    if "PLEASE-" not in prompt:  # the common case, at the cost of one scan
        return None
    for word, make in _CANNED:
        if word in prompt:
            return make()
    for word, hostile in _HOSTILE_STREAMS if stream else ():
        if word in prompt:
            return hostile
    return None


def _first_chunk() -> bytes:
    chunk = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": int(time.time()), "model": "fake"}
    return b"data: " + json.dumps({**chunk, "choices": [{"index": 0, "delta": {"content": "Hel"}}]}).encode() + b"\n\n"


async def _endless() -> AsyncIterator[bytes]:
    yield _first_chunk()
    piece = b"x" * (256 * 1024)
    yield b"data: " + piece
    for _ in range(40):  # 10 MiB in all, never a line end
        yield piece
        await asyncio.sleep(0)


async def _error_midway() -> AsyncIterator[bytes]:
    yield _first_chunk()
    yield b"data: " + error_json(UPSTREAM_SECRET_TEXT, "server_error") + b"\n\n"


_CANNED: tuple[tuple[str, Callable[[], Canned]], ...] = (
    ("PLEASE-FAIL", lambda: Canned(500, error_json("upstream exploded", "server_error"))),
    ("PLEASE-REJECT", lambda: Canned(400, error_json(UPSTREAM_SECRET_TEXT, "invalid_request_error"))),
    (
        "PLEASE-BUSY",
        lambda: Canned(429, json.dumps({"error": {"message": "slow down"}}).encode(), (*JSON, (b"retry-after", b"7"))),
    ),
    ("PLEASE-BOMB", lambda: Canned(200, _bomb(), (*JSON, (b"content-encoding", b"gzip")))),
)
_HOSTILE_STREAMS: tuple[tuple[str, HostileStream], ...] = (("PLEASE-ENDLESS", _endless), ("PLEASE-STREAM-ERROR", _error_midway))
