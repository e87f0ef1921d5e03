"""The gateway's ASGI application: ``/gateway/v1/models``, ``/chat/completions``, ``/completions``.

A plain ASGI app (no framework routing on the hot path). Each call: token → one query for the
caller and the engagement → admission (G1, pure) → quotas → forward → meter → access-log row
committed → response. Responses are rebuilt from the upstream's JSON, so no upstream header,
URL or credential reaches the reviewer (G4).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from functools import partial
from typing import Any

from frontier_review.bootstrap import Container
from frontier_review.engagements.domain import admission
from frontier_review.gateway import context, errors
from frontier_review.gateway.proxy import Upstreams, error_message, sse_events
from frontier_review.gateway.quotas import QuotaCounter
from frontier_review.gateway.recorder import IN_FLIGHT, AccessRecord, AccessRecorder, Chainer, in_flight_grace
from frontier_review.security.tokens import digest_token, looks_like_token

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PREFIX = "/gateway/v1"
ROUTES = {("GET", "/models"), ("POST", "/chat/completions"), ("POST", "/completions")}
REDUCED = ":reduced-safeguard"
JSON_HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-store"), (b"x-accel-buffering", b"no")]
# Response fields passed through from the upstream; anything else (provider extras) is dropped.
KEEP = ("id", "object", "created", "choices", "usage")


class GatewayApp:
    def __init__(self, container: Container) -> None:
        self.container = container
        quiet_uvicorn_access_log()
        settings = container.settings
        self.max_body = settings.gateway_max_body_bytes
        self.inline_reads = settings.is_sqlite
        self.quotas = QuotaCounter(settings)
        self.upstreams = Upstreams(
            allow_private=settings.gateway_allow_private_upstreams, timeout_seconds=settings.gateway_upstream_timeout_seconds
        )
        self.cache = context.UpstreamCache()
        self.contexts = context.ContextLoader(container.engine)
        self._recorder: AccessRecorder | None = None
        self._chainer: Chainer | None = None

    @property
    def recorder(self) -> AccessRecorder:
        if self._recorder is None:
            self._recorder = AccessRecorder(self.container.uow, self.container.engine)
            self._chainer = Chainer(self.container.uow, in_flight_grace(self.container.settings))
        return self._recorder

    async def aclose(self) -> None:
        await self.upstreams.close()
        await self.quotas.close()
        self.contexts.close()
        if self._recorder is not None:
            self._recorder.close()
        if self._chainer is not None:
            self._chainer.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        path = scope["path"][len(PREFIX) :]
        if (scope["method"], path) not in ROUTES:
            status = 405 if path in {p for _, p in ROUTES} else 404
            await _send_error(send, errors.GatewayError(status, f"no such gateway route: {scope['method']} {scope['path']}"))
            return
        call = _Call(self, scope, started)
        try:
            await call.run(receive, send)
        except errors.GatewayError as exc:
            await call.refuse(send, exc)
        except Exception:
            log.exception("gateway call failed")
            await call.refuse(send, errors.GatewayError(500, "the gateway failed; the call was not served", "server_error"))


class _Call:
    """One gateway call, from token to recorded response."""

    def __init__(self, app: GatewayApp, scope: Scope, started: float) -> None:
        self.app = app
        self.scope = scope
        self.started = started
        self.path = scope["path"][len(PREFIX) :]
        self.ctx: context.CallContext | None = None
        self.variant: str | None = None
        self.responded = False
        self.now = app.container.clock.now()
        self.ahead: AccessRecord | None = None  # the row written ahead of a forwarded call
        self.written: asyncio.Future[None] | None = None

    def _record(self, status: int, outcome: str, **extra: Any) -> AccessRecord | None:
        if self.ctx is None:
            return None
        ctx = self.ctx
        return AccessRecord(
            kind="gateway",
            at=self.now,
            engagement_id=ctx.access.engagement_id,
            actor_label=ctx.user_label,
            status=status,
            outcome=outcome,
            participant_id=ctx.participant_id,
            organization_id=ctx.organization_id,
            user_id=ctx.access.user_id,
            token_id=ctx.token_id,
            variant=self.variant,
            latency_ms=(time.perf_counter() - self.started) * 1000,
            detail={"route": self.path},
            **extra,
        )

    def _begin(self, *, stream: bool) -> None:
        """Write the call's row ahead, while the upstream works (see ``recorder``)."""
        self.ahead = self._record(0, IN_FLIGHT)
        assert self.ahead is not None
        if stream:
            self.ahead.detail["stream"] = True
        self.written = self.app.recorder.begin(self.ahead)

    async def _await_written(self) -> None:
        """Nothing of the model's answer leaves before the call's row is durable."""
        assert self.written is not None
        try:
            await self.written
        except Exception:
            raise errors.GatewayError(
                503, "the call could not be recorded, so it was not served", "service_unavailable"
            ) from None

    def _finish(self, status: int, outcome: str, transcript: dict[str, Any] | None = None, **extra: Any) -> None:
        assert self.ahead is not None
        record = self._record(status, outcome, ref=self.ahead.ref, **extra)
        assert record is not None
        record.detail = {**self.ahead.detail, **record.detail}
        record.transcript = transcript
        self.app.recorder.finish(record)

    async def refuse(self, send: Send, exc: errors.GatewayError) -> None:
        if self.responded:
            return  # a stream already started; its end was recorded by the stream
        if self.written is not None:  # a forwarded call failed: its row exists, give it the outcome
            await asyncio.wait([self.written])
            if self.written.exception() is None:
                self._finish(exc.status, exc.outcome)
            await _send_error(send, exc)
            return
        record = self._record(exc.status, exc.outcome)
        if record is not None:
            try:
                await self.app.recorder.record(record)
            except Exception:
                exc = errors.GatewayError(503, "the call could not be recorded, so it was not served", "service_unavailable")
        await _send_error(send, exc)

    async def run(self, receive: Receive, send: Send) -> None:
        token = _bearer(self.scope)
        if token is None or not looks_like_token(token, "frg"):
            raise errors.unauthenticated()
        body = await _read_body(receive, self.app.max_body) if self.scope["method"] == "POST" else b""
        loop = asyncio.get_running_loop()
        digest = digest_token(token)
        if self.app.inline_reads:
            # SQLite answers from this process's memory in a fraction of a millisecond, holding the
            # GIL throughout: a thread hop would only add latency and queueing.
            self.ctx = self.app.contexts.load_inline(digest)
        else:
            self.ctx = await loop.run_in_executor(None, self.app.contexts.load, digest)
        if self.ctx is None:
            raise errors.unauthenticated("this gateway token is unknown or revoked")
        refusal = admission(self.ctx.access, self.now)
        if refusal is not None:
            raise errors.forbidden(refusal.message, refusal.code)
        assert self.ctx.quotas is not None
        assert self.ctx.participant_id is not None
        upstreams = self.app.cache.peek(self.ctx.access.engagement_id, self.ctx.access_epoch)
        if upstreams is None:  # decrypting needs the database: off the event loop
            upstreams = await loop.run_in_executor(
                None,
                self.app.cache.get,
                self.ctx.access.engagement_id,
                self.ctx.access_epoch,
                partial(context.load_upstreams, self.app.container.uow),
            )
        if self.path == "/models":
            await self.models(send, upstreams)
            return
        request = _parse(body, self.path)
        target = self._target(request, upstreams)
        await self.app.quotas.admit(self.ctx.participant_id, self.ctx.quotas, self.now)
        if request.get("stream"):
            await self.stream(send, request, target)
        else:
            await self.complete(send, request, target)

    def _target(self, request: dict[str, Any], upstreams: dict[str, context.UpstreamTarget]) -> context.UpstreamTarget:
        assert self.ctx is not None
        model = request.get("model")
        base = self.ctx.model_id
        variant = {base: "standard", base + REDUCED: "reduced-safeguard"}.get(str(model))
        if variant is None:
            raise errors.GatewayError(
                404,
                f"the model {model!r} is not offered here; this engagement offers {base!r}",
                "invalid_request_error",
                "model_not_found",
                "model",
            )
        self.variant = variant
        target = upstreams.get(variant)
        if target is None:
            raise errors.GatewayError(
                503, f"the developer has not connected the {variant} variant yet", "service_unavailable", "upstream_missing"
            )
        return target

    async def models(self, send: Send, upstreams: dict[str, context.UpstreamTarget]) -> None:
        assert self.ctx is not None
        ids = [self.ctx.model_id + ("" if v == "standard" else REDUCED) for v in sorted(upstreams)]
        created = int(self.now.timestamp())
        payload = {
            "object": "list",
            "data": [{"id": i, "object": "model", "created": created, "owned_by": "frontier-review"} for i in ids],
        }
        record = self._record(200, "ok")
        assert record is not None
        await self.app.recorder.record(record)
        await _send_json(send, 200, payload)

    async def complete(self, send: Send, request: dict[str, Any], target: context.UpstreamTarget) -> None:
        assert self.ctx is not None
        assert self.ctx.participant_id is not None
        self._begin(stream=False)
        upstream = await self.app.upstreams.open(target, self.path, {**request, "model": target.upstream_model})
        if upstream.status != 200:
            raise errors.upstream_failed(
                await error_message(upstream, target), 502 if upstream.status >= 500 else upstream.status
            )
        try:
            payload = await upstream.json()
        except ValueError:
            raise errors.upstream_failed("the model's server answered with something that is not JSON") from None
        except TimeoutError:
            raise errors.upstream_failed("the model's server did not finish its answer in time", 504) from None
        except OSError:
            raise errors.upstream_failed("the model's server broke off its answer") from None
        finally:
            upstream.release()
        if not isinstance(payload, dict) or "choices" not in payload:
            raise errors.upstream_failed("the model's server answered without choices")
        out = {k: payload[k] for k in KEEP if k in payload}
        out["model"] = request["model"]
        usage = payload.get("usage") or {}
        prompt, completion = _tokens(usage)
        await self._await_written()
        await _send_json(send, 200, out)
        transcript = {"request": request, "response": out} if self.ctx.transcripts else None
        self._finish(200, "ok", transcript, prompt_tokens=prompt, completion_tokens=completion)
        await self.app.quotas.charge_tokens(self.ctx.participant_id, prompt + completion, self.now)

    async def stream(self, send: Send, request: dict[str, Any], target: context.UpstreamTarget) -> None:
        assert self.ctx is not None
        assert self.ctx.participant_id is not None
        wants_usage = bool((request.get("stream_options") or {}).get("include_usage"))
        forwarded = {**request, "model": target.upstream_model, "stream_options": {"include_usage": True}}
        self._begin(stream=True)
        upstream = await self.app.upstreams.open(target, self.path, forwarded)
        if upstream.status != 200:
            raise errors.upstream_failed(
                await error_message(upstream, target), 502 if upstream.status >= 500 else upstream.status
            )
        try:
            await self._await_written()
        except errors.GatewayError:
            upstream.release()
            raise
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        self.responded = True
        events = _StreamEvents(request["model"], wants_usage, self.ctx.transcripts)
        outcome = "ok"
        last = b""  # the events that arrived with the upstream's [DONE] leave with ours
        try:
            async for received in upstream.chunks():
                outgoing = events.translate(received)
                if events.done:
                    last = outgoing
                    break
                if outgoing:  # every event that arrived together leaves in one write to the client
                    await send({"type": "http.response.body", "body": outgoing, "more_body": True})
        except (TimeoutError, OSError):
            outcome = "upstream_interrupted"
        finally:
            upstream.release()
        await send({"type": "http.response.body", "body": last + b"data: [DONE]\n\n", "more_body": False})
        transcript = {"request": request, "response": "".join(events.pieces)} if self.ctx.transcripts else None
        self._finish(200, outcome, transcript, prompt_tokens=events.prompt, completion_tokens=events.completion)
        await self.app.quotas.charge_tokens(self.ctx.participant_id, events.prompt + events.completion, self.now)


class _StreamEvents:
    """The upstream's server-sent events, rewritten for the reviewer as they arrive."""

    def __init__(self, model: str, wants_usage: bool, keep_text: bool) -> None:
        self.model = model
        self.wants_usage = wants_usage
        self.keep_text = keep_text
        self.prompt = self.completion = 0
        self.pieces: list[str] = []
        self.done = False
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
            if chunk.get("usage"):
                self.prompt, self.completion = _tokens(chunk["usage"])
            choices = chunk.get("choices") or []
            if not choices and not self.wants_usage:
                continue  # the usage-only chunk the gateway asked for itself
            if self.keep_text:
                self.pieces.extend(_delta_text(choices))
            out = {k: chunk[k] for k in KEEP if k in chunk}
            out["model"] = self.model
            if not self.wants_usage:
                out.pop("usage", None)
            outgoing.append(b"data: " + json.dumps(out).encode() + b"\n\n")
        return b"".join(outgoing)


def _tokens(usage: Any) -> tuple[int, int]:
    if not isinstance(usage, dict):
        return 0, 0
    prompt, completion = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
    return (prompt if isinstance(prompt, int) else 0), (completion if isinstance(completion, int) else 0)


def _delta_text(choices: list[Any]) -> list[str]:
    out = []
    for choice in choices:
        if isinstance(choice, dict):
            delta = choice.get("delta") or {}
            text = delta.get("content") if isinstance(delta, dict) else None
            text = text if text is not None else choice.get("text")
            if isinstance(text, str):
                out.append(text)
    return out


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise errors.bad_request("the client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise errors.GatewayError(
                413, f"the request is larger than {limit} bytes", "invalid_request_error", "request_too_large"
            )
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _parse(body: bytes, path: str) -> dict[str, Any]:
    """The request, checked for what the gateway relies on; the upstream checks the rest."""
    try:
        request = json.loads(body)
    except ValueError:
        raise errors.bad_request("the request body is not valid JSON") from None
    if not isinstance(request, dict):
        raise errors.bad_request("the request body must be a JSON object")
    if not isinstance(request.get("model"), str):
        raise errors.bad_request("model is required", "model")
    if path == "/chat/completions":
        messages = request.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) and "role" in m for m in messages):
            raise errors.bad_request("messages must be a non-empty list of {role, content} objects", "messages")
    else:
        prompt = request.get("prompt")
        if not isinstance(prompt, str | list) or not prompt:
            raise errors.bad_request("prompt must be a non-empty string or list", "prompt")
    if "stream" in request and not isinstance(request["stream"], bool):
        raise errors.bad_request("stream must be true or false", "stream")
    for name in ("max_tokens", "max_completion_tokens", "n"):
        value = request.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise errors.bad_request(f"{name} must be a positive whole number", name)
    return request


async def _send_json(send: Send, status: int, payload: Any) -> None:
    await _send_body(send, status, json.dumps(payload).encode())


async def _send_error(send: Send, exc: errors.GatewayError) -> None:
    await _send_body(send, exc.status, exc.body())


async def _send_body(send: Send, status: int, body: bytes) -> None:
    # With its length known the answer is not chunked: no terminating chunk to write after it.
    headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _SkipGatewayAccessLines(logging.Filter):
    """The gateway keeps its own durable access log; uvicorn's line per call would only cost CPU."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        return not (isinstance(args, tuple) and len(args) > 2 and str(args[2]).startswith(PREFIX + "/"))


_SKIP_ACCESS_LINES = _SkipGatewayAccessLines()


def quiet_uvicorn_access_log() -> None:
    """Drop uvicorn's access-log lines for gateway calls (idempotent)."""
    access = logging.getLogger("uvicorn.access")
    if _SKIP_ACCESS_LINES not in access.filters:
        access.addFilter(_SKIP_ACCESS_LINES)


class GatewayDispatch:
    """Outermost middleware: gateway paths go straight to the gateway, past the web stack."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], gateway: GatewayApp) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX + "/"):
            await self.gateway(scope, receive, send)
        else:
            await self.app(scope, receive, send)
