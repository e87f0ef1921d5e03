"""The fake model as a bare ASGI application.

No framework on purpose: the gateway benchmark measures the gateway's overhead against calling
this server directly, so the server must cost as little CPU per request as the benchmark's
earlier hand-written one, and the package must import without the web platform.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from frontier_review.mockllm import answers
from frontier_review.mockllm.config import TESTS, MockLLMConfig
from frontier_review.mockllm.failures import Canned, failure_for

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SSE = ((b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"))
CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"
_CACHE_LIMIT = 1024


@dataclass
class MockLLMState:
    """What the fake has seen, for tests to assert on.

    Attributes:
        calls: chat and legacy completions answered (or refused) so far.
        bodies: the chat requests' bodies, newest last (``config.keep_bodies`` of them).
        cancelled: streams whose client went away before their end. Slow streams
            (``stream_delay``) and hostile ones listen for that; a stream without delay is
            written at once, and the server cannot tell whether it was read.
    """

    calls: int = 0
    bodies: deque[dict[str, Any]] = field(default_factory=deque)
    cancelled: int = 0


@dataclass(frozen=True, slots=True)
class Prepared:
    """A whole response as the ASGI messages that send it (built once, sent as often as needed)."""

    start: Message
    bodies: tuple[Message, ...]

    @classmethod
    def of(cls, response: Canned) -> Prepared:
        headers = [*response.headers, (b"content-length", str(len(response.body)).encode())]
        start = {"type": "http.response.start", "status": response.status, "headers": headers}
        return cls(start, ({"type": "http.response.body", "body": response.body},))

    @classmethod
    def stream(cls, events: list[bytes]) -> Prepared:
        more = tuple({"type": "http.response.body", "body": e, "more_body": True} for e in events[:-1])
        return cls(
            {"type": "http.response.start", "status": 200, "headers": SSE},
            (*more, {"type": "http.response.body", "body": events[-1]}),
        )

    async def send(self, send: Send) -> None:
        await send(self.start)
        for message in self.bodies:
            await send(message)


class MockLLM:
    """An OpenAI-compatible server, answering as ``config`` says.

    It serves ``GET /v1/models``, ``POST /v1/chat/completions`` (JSON or SSE) and
    ``POST /v1/completions``.
    """

    def __init__(self, config: MockLLMConfig = TESTS) -> None:
        self.config = config
        self.state = MockLLMState(bodies=deque(maxlen=config.keep_bodies))
        self._models = Prepared.of(Canned(200, answers.models_json(config)))
        self._created = int(time.time())
        # Without unique ids an ordinary answer depends on the request body alone, so the
        # benchmark's repeated requests are answered from here without parsing them again.
        self._answers: dict[bytes, Prepared] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        refusal = self._route(scope["method"], path)
        if refusal is not None:
            await refusal.send(send)
            return
        raw = await _read_body(receive)
        known = self._answers.get(raw) if path == CHAT else None
        if known is not None:
            await self._answer_again(raw, known, send)
            return
        try:
            body = _json_object(raw)
            if path == CHAT:
                await self._chat(raw, body, receive, send)
            else:
                await self._completion(body, send)
        except (TypeError, ValueError) as exc:  # not a JSON object; n or max_tokens not a number
            await Prepared.of(Canned(400, answers.error_json(f"invalid request: {exc}", "invalid_request_error"))).send(send)

    def _route(self, method: str, path: str) -> Prepared | None:
        """The whole answer to anything but a POST to a completions route (None for those)."""
        if path == "/v1/models":
            return self._models if method == "GET" else NOT_ALLOWED
        if path not in {CHAT, COMPLETIONS}:
            return Prepared.of(Canned(404, answers.error_json(f"no route {path}", "not_found")))
        return None if method == "POST" else NOT_ALLOWED

    # --- the endpoints ----------------------------------------------------------------------

    async def _chat(self, raw: bytes, body: dict[str, Any], receive: Receive, send: Send) -> None:
        config, state = self.config, self.state
        state.calls += 1
        call = state.calls
        state.bodies.append(body)
        if config.latency:
            await asyncio.sleep(config.latency)
        prompt = answers.chat_prompt(body)
        stream = bool(body.get("stream"))
        if config.failure_modes:
            failure = failure_for(prompt, stream=stream)
            if isinstance(failure, Canned):
                await Prepared.of(failure).send(send)
                return
            if failure is not None:
                await self._stream_slowly(receive, send, failure(), [], delay=0.0)
                return
        reply = answers.answer(config, prompt)
        usage = answers.usage(config, body, prompt, reply) if config.usage_in_json else None
        model = str(body.get("model") or config.models[0])
        id_, created = (f"chatcmpl-{call}", int(time.time())) if config.unique_ids else ("chatcmpl-mockllm", self._created)
        if stream:
            asked = bool((body.get("stream_options") or {}).get("include_usage"))
            sent = usage if asked and config.usage_in_stream else None
            content, closing = answers.chat_events(id_=id_, created=created, model=model, reply=reply, usage=sent)
            if config.stream_delay:
                await self._stream_slowly(receive, send, content, closing, delay=config.stream_delay)
                return
            prepared = Prepared.stream(content + closing)
        else:
            n = int(body.get("n") or 1)
            prepared = Prepared.of(
                Canned(200, answers.chat_json(id_=id_, created=created, model=model, reply=reply, n=n, usage=usage))
            )
        if not config.unique_ids:
            if len(self._answers) >= _CACHE_LIMIT:
                self._answers.clear()
            self._answers[raw] = prepared
        await prepared.send(send)

    async def _answer_again(self, raw: bytes, prepared: Prepared, send: Send) -> None:
        """The same request once more: the same answer, after the same latency."""
        state = self.state
        state.calls += 1
        if state.bodies.maxlen != 0:
            state.bodies.append(json.loads(raw))
        if self.config.latency:
            await asyncio.sleep(self.config.latency)
        await prepared.send(send)

    async def _completion(self, body: dict[str, Any], send: Send) -> None:
        config = self.config
        self.state.calls += 1
        reply = config.text
        usage = answers.usage(config, {**body, "n": 1}, str(body.get("prompt", "")), reply) if config.usage_in_json else None
        id_, created = (f"cmpl-{self.state.calls}", int(time.time())) if config.unique_ids else ("cmpl-mockllm", self._created)
        model = str(body.get("model") or config.models[0])
        completion = answers.completion_json(id_=id_, created=created, model=model, reply=reply, usage=usage)
        await Prepared.of(Canned(200, completion)).send(send)

    # --- slow and hostile streams -------------------------------------------------------------

    async def _stream_slowly(
        self,
        receive: Receive,
        send: Send,
        content: Iterable[bytes] | AsyncIterator[bytes],
        closing: list[bytes],
        *,
        delay: float,
    ) -> None:
        """Send ``content`` (waiting ``delay`` after each event), then ``closing``.

        It listens for the client's disconnection meanwhile: a stream its client leaves stops at
        once and counts in ``state.cancelled``.
        """
        await send({"type": "http.response.start", "status": 200, "headers": SSE})

        async def produce() -> None:
            if isinstance(content, AsyncIterator):
                async for event in content:
                    await send({"type": "http.response.body", "body": event, "more_body": True})
            else:
                for event in content:
                    await send({"type": "http.response.body", "body": event, "more_body": True})
                    if delay:
                        await asyncio.sleep(delay)
            for event in closing:
                await send({"type": "http.response.body", "body": event, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        producer = asyncio.ensure_future(produce())
        watcher = asyncio.ensure_future(_disconnected(receive))
        try:
            await asyncio.wait((producer, watcher), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (producer, watcher):
                task.cancel()
            await asyncio.gather(producer, watcher, return_exceptions=True)
        if producer.cancelled() or isinstance(producer.exception(), OSError):
            self.state.cancelled += 1
        elif (problem := producer.exception()) is not None:
            raise problem


# --- ASGI plumbing ---------------------------------------------------------------------------


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if not message.get("more_body"):
            return body


def _json_object(raw: bytes) -> dict[str, Any]:
    value = json.loads(raw)  # a ValueError when it is not JSON
    if not isinstance(value, dict):
        raise TypeError("the body is not a JSON object")
    return value


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


NOT_ALLOWED = Prepared.of(Canned(405, answers.error_json("method not allowed", "invalid_request_error")))
