"""One gateway call, from its token to its recorded response (the steps are in ``app``).

The context that decides the call is read for it, or reused from an earlier call of the same
token while nothing that decides access changed (``recent``); a refusal is always decided on
a fresh read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from frontier_review.engagements.access import upstreams as upstream_store
from frontier_review.engagements.access.domain import (
    VARIANT_REDUCED,
    VARIANT_STANDARD,
    CallContext,
    Refusal,
    UpstreamTarget,
    admission,
    api_refusal,
    shared_variants,
)
from frontier_review.engagements.access.recorder import (
    GATEWAY_KIND,
    IN_FLIGHT,
    AccessRecord,
)
from frontier_review.gateway import errors, plumbing, responses, validation
from frontier_review.gateway.plumbing import PREFIX, Receive, Scope, Send
from frontier_review.gateway.proxy import (
    StreamCut,
    UpstreamResponse,
    error_message,
    retry_after,
    scrub,
)
from frontier_review.gateway.quotas import Reservation, StaleContext
from frontier_review.kernel.ids import record_id
from frontier_review.security.tokens import digest_token, looks_like_token

if TYPE_CHECKING:
    from frontier_review.gateway.app import GatewayApp

log = logging.getLogger(__name__)

REDUCED = ":reduced-safeguard"
SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-store"), (b"x-accel-buffering", b"no")]
CLIENT_GONE = Refusal("client_disconnected", "the client went away")


class Call:
    """One gateway call, from token to recorded response."""

    def __init__(self, app: GatewayApp, scope: Scope, started: float) -> None:
        self.app = app
        self.scope = scope
        self.started = started
        self.path = scope["path"][len(PREFIX) :]
        self.ctx: CallContext | None = None
        self.variant: str | None = None
        self.responded = False
        self.now = app.container.clock.now()
        self.ref = record_id()  # the access-log row's ref, and the request id the client sees (no secret)
        self.request_id = f"req_{self.ref.hex}"
        self.ahead: AccessRecord | None = None  # the row written ahead of a forwarded call
        self.written: asyncio.Future[None] | None = None
        self.reservation: Reservation | None = None
        self.used = 0  # tokens the call used, once known
        self.upstream: UpstreamResponse | None = None
        self.cut_by: Refusal | None = None
        self.finished = False
        self._task: asyncio.Task[Any] | None = None
        self._watched = False
        self._disconnect: asyncio.Task[None] | None = None
        self.revoked_token = ""
        # For the metrics: the final status and outcome, the upstream's share of the time, the tokens.
        self.status, self.outcome, self.upstream_seconds, self.tokens = 0, "unknown", 0.0, (0, 0)

    # -- the access log -------------------------------------------------------------------

    def _record(self, status: int, outcome: str, **extra: Any) -> AccessRecord | None:
        if status:
            self.status, self.outcome = status, outcome
        if self.ctx is None:
            return None
        ctx = self.ctx
        return AccessRecord(
            kind=GATEWAY_KIND,
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
            ref=self.ref,
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
        self.app.recorder.hurry(self.written)
        try:
            await self.written
        except Exception:
            raise errors.GatewayError(
                503, "the call could not be recorded, so it was not served", "service_unavailable"
            ) from None

    def _finish(
        self,
        status: int,
        outcome: str,
        transcript: dict[str, Any] | None = None,
        detail: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        assert self.ahead is not None
        record = self._record(status, outcome, **extra)
        assert record is not None
        self.tokens = (record.prompt_tokens or 0, record.completion_tokens or 0)
        record.detail = {**self.ahead.detail, **record.detail, **(detail or {})}
        record.transcript = transcript
        self.app.recorder.finish(record)

    async def refuse(self, send: Send, exc: errors.GatewayError) -> None:
        if self.responded:
            return  # a stream already started; its end was recorded by the stream
        # An upstream's text may quote the prompt: never kept for program-office calls (classified items, E1).
        keep = exc.log_detail and not (self.ctx is not None and self.ctx.program_office)
        detail = {"upstream_error": exc.log_detail} if keep else None
        if self.written is not None:  # a forwarded call failed: its row exists, give it the outcome
            self.app.recorder.hurry(self.written)
            await asyncio.wait([self.written])
            if self.written.exception() is None:
                self._finish(exc.status, exc.outcome, detail=detail)
            await self._send_error(send, exc)
            return
        record = self._record(exc.status, exc.outcome)
        if record is None:  # nobody to name: tallied, chained as one entry per interval (item 13)
            outcome = "token_revoked" if self.revoked_token else exc.outcome
            self.status, self.outcome = exc.status, outcome
            self.app.refusals.add(self.now, outcome=outcome, status=exc.status, route=self.path, token=self.revoked_token)
            self.app.recorder  # noqa: B018 - starts the chainer that writes the tally
        else:
            if detail:
                record.detail.update(detail)
            try:
                await self.app.recorder.record(record)
            except Exception:
                exc = errors.GatewayError(503, "the call could not be recorded, so it was not served", "service_unavailable")
        await self._send_error(send, exc)

    async def _send_error(self, send: Send, exc: errors.GatewayError) -> None:
        if self.status != exc.status:  # the call could not be recorded: counted as what was sent
            self.status, self.outcome = exc.status, exc.outcome
        headers = [(b"x-request-id", self.request_id.encode())]
        if exc.retry_after is not None:
            headers.append((b"retry-after", str(exc.retry_after).encode()))
        if exc.retry_after_ms is not None:
            headers.append((b"retry-after-ms", str(exc.retry_after_ms).encode()))
        await plumbing.send_body(
            send, exc.status, exc.body(self.request_id if exc.status >= 500 or exc.log_detail else None), headers
        )

    # -- cutting a call in flight (item 9) -------------------------------------------------

    def cut(self, refusal: Refusal) -> None:
        """End the call now: access ended, or its client went away."""
        if self.cut_by is not None or self.finished:
            return
        self.cut_by = refusal
        if self.upstream is not None:
            self.upstream.abort(StreamCut(refusal.code))  # closes the upstream connection: its work stops
        elif self._task is not None:
            self._task.cancel()  # still connecting or waiting for the upstream's headers

    def _cut_error(self) -> errors.GatewayError:
        assert self.cut_by is not None
        if self.cut_by is CLIENT_GONE:
            return errors.GatewayError(499, CLIENT_GONE.message, "invalid_request_error", CLIENT_GONE.code)
        return errors.forbidden(self.cut_by.message, self.cut_by.code)

    def _watch(self, receive: Receive, *, disconnects: bool) -> None:
        self._task = asyncio.current_task()
        self.app.watch.add(self)
        self._watched = True
        if disconnects:
            self._disconnect = asyncio.get_running_loop().create_task(self._await_disconnect(receive))

    async def _await_disconnect(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self.cut(CLIENT_GONE)

    def close(self) -> None:
        self.finished = True
        if self._watched:
            self.app.watch.remove(self)
        if self._disconnect is not None:
            self._disconnect.cancel()

    # -- the call ----------------------------------------------------------------------------

    async def run(self, receive: Receive, send: Send) -> None:
        token = plumbing.bearer(self.scope)
        if token is None or not looks_like_token(token, "frg"):
            raise errors.unauthenticated()
        digest, contexts = digest_token(token), self.app.contexts
        # A context read for an earlier call, reused while nothing that decides access changed
        # (``recent``); any refusal is decided on a fresh read. ``/models`` is not admitted by
        # the quota script that checks the generation, so it always reads.
        reused = contexts.recent(digest) if self.path != "/models" else None
        body: bytes | None = None
        checked: validation.Checked | None = None
        while True:
            self._identify(reused.context if reused is not None else await contexts.fetch(digest))
            if body is None:
                body = await plumbing.read_body(receive, self.app.max_body) if self.scope["method"] == "POST" else b""
            try:
                upstreams = await self._upstreams()
                if self.path == "/models":
                    await self.models(send, upstreams)
                    return
                if checked is None:
                    checked = plumbing.parse(body, self.path)
                target = self._target(checked.body, upstreams)
            except errors.GatewayError:
                if reused is None:
                    raise
                contexts.forget(digest)
                reused = None
                continue
            try:
                self.reservation = await self._admit(checked, reused.generation if reused is not None else None)
            except StaleContext as stale:  # something changed since it was read: nothing was counted
                contexts.observe(stale.generation)
                contexts.forget(digest)
                reused = None
                continue
            contexts.observe(self.reservation.generation)
            break
        await self.forward(receive, send, checked, target)

    def _identify(self, ctx: CallContext | None) -> None:
        if ctx is None:
            raise errors.unauthenticated("this gateway token is unknown or revoked")
        if ctx.token_revoked:  # tallied under the token's id (see ``refuse``), not given a row: no caller
            self.revoked_token = str(ctx.token_id)
            raise errors.unauthenticated("this gateway token is unknown or revoked")
        self.ctx = ctx

    async def _upstreams(self) -> dict[str, UpstreamTarget]:
        """Admission (window, terms, revocations, materials), then the engagement's upstreams."""
        assert self.ctx is not None
        ctx = self.ctx
        refusal = admission(ctx.access, self.now) or api_refusal(ctx.access.materials, None)
        if refusal is not None:
            raise errors.forbidden(refusal.message, refusal.code)
        upstreams = self.app.cache.peek(ctx.access.engagement_id, ctx.access_epoch)
        if upstreams is None:  # decrypting needs the database: off the event loop
            upstreams = await asyncio.get_running_loop().run_in_executor(
                None,
                self.app.cache.get,
                ctx.access.engagement_id,
                ctx.access_epoch,
                partial(upstream_store.load_targets, self.app.container.uow),
            )
        return upstreams

    async def _admit(self, checked: validation.Checked, generation: int | None) -> Reservation:
        """Count the call and reserve its tokens (``quotas``); a reused context's stamp is checked too."""
        assert self.ctx is not None
        assert self.ctx.quotas is not None
        assert self.ctx.participant_id is not None
        return await self.app.quotas.admit(
            self.ctx.participant_id,
            self.ctx.quotas,
            self.now,
            wanted=checked.worst_case(),
            least=checked.least(),
            generation=generation,
        )

    async def forward(self, receive: Receive, send: Send, checked: validation.Checked, target: UpstreamTarget) -> None:
        """Forward the admitted call while watching it, then settle the tokens it used."""
        assert self.reservation is not None
        try:
            forwarded = responses.capped(checked, self.reservation.tokens, target.upstream_model)
            # Only a stream listens for its client going away: a task per call awaiting the
            # disconnect cost non-streamed calls most of their throughput at concurrency 64
            # (docs/performance.md); a non-streamed call ends with its answer or the upstream timeout.
            self._watch(receive, disconnects=bool(checked.body.get("stream")))
            try:
                if checked.body.get("stream"):
                    await self.stream(send, checked, forwarded, target)
                else:
                    await self.complete(send, checked, forwarded, target)
            except asyncio.CancelledError:
                if self.cut_by is None:
                    raise
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()
                raise self._cut_error() from None
        finally:
            await self.app.quotas.settle(self.reservation, self.used)

    def _target(self, request: dict[str, Any], upstreams: dict[str, UpstreamTarget]) -> UpstreamTarget:
        assert self.ctx is not None
        model = request.get("model")
        base = self.ctx.model_id
        variant = {base: VARIANT_STANDARD, base + REDUCED: VARIANT_REDUCED}.get(str(model))
        if variant is None:
            raise errors.GatewayError(
                404,
                f"the model {model!r} is not offered here; this engagement offers {base!r}",
                "invalid_request_error",
                "model_not_found",
                "model",
            )
        self.variant = variant
        refusal = api_refusal(self.ctx.access.materials, variant)
        if refusal is not None:
            raise errors.GatewayError(404, refusal.message, "invalid_request_error", refusal.code, "model")
        target = upstreams.get(variant)
        if target is None:
            raise errors.GatewayError(
                503, f"the developer has not connected the {variant} variant yet", "service_unavailable", "upstream_missing"
            )
        return target

    async def models(self, send: Send, upstreams: dict[str, UpstreamTarget]) -> None:
        assert self.ctx is not None
        shared = shared_variants(self.ctx.access.materials)
        ids = [self.ctx.model_id + ("" if v == VARIANT_STANDARD else REDUCED) for v in sorted(upstreams) if v in shared]
        created = int(self.now.timestamp())
        payload = {
            "object": "list",
            "data": [{"id": i, "object": "model", "created": created, "owned_by": "frontier-review"} for i in ids],
        }
        record = self._record(200, "ok")
        assert record is not None
        await self.app.recorder.record(record)
        await plumbing.send_json(send, 200, payload, self.request_id)

    async def _open(self, target: UpstreamTarget, forwarded: dict[str, Any], *, stream: bool) -> UpstreamResponse:
        # The row is handed to the writer once the request is on its way: the upstream's time
        # covers the write, and the request does not wait behind the hand-off.
        upstream = await self.app.upstreams.open(target, self.path, forwarded, on_sent=partial(self._begin, stream=stream))
        if upstream.status != 200:
            detail = await error_message(upstream, target)
            raise errors.upstream_refused(upstream.status, detail, retry_after(upstream))
        self.upstream = upstream
        if self.cut_by is not None:  # cut while the headers were on their way
            upstream.abort(StreamCut(self.cut_by.code))
            raise self._cut_error()
        return upstream

    async def complete(self, send: Send, checked: validation.Checked, forwarded: dict[str, Any], target: UpstreamTarget) -> None:
        assert self.ctx is not None
        waited = time.perf_counter()
        upstream = await self._open(target, forwarded, stream=False)
        try:
            payload = await upstream.json()
        except ValueError:
            raise errors.upstream_failed("the model's server answered with something that is not JSON") from None
        except TimeoutError:
            raise errors.upstream_failed("the model's server did not finish its answer in time", 504) from None
        except StreamCut:
            raise self._cut_error() from None
        except OSError:
            raise errors.upstream_failed("the model's server broke off its answer") from None
        finally:
            upstream.release()
            self.upstream_seconds += time.perf_counter() - waited
        self.finished = True  # the answer is complete: nothing left to cut
        if not isinstance(payload, dict) or not isinstance(payload.get("choices"), list):
            raise errors.upstream_failed("the model's server answered without choices")
        out = {k: payload[k] for k in responses.KEEP if k in payload}
        out["model"] = checked.body["model"]
        prompt, completion = responses.usage(payload.get("usage"))
        if prompt is None or completion is None:  # no usage from the upstream: the gateway counts (item 11)
            prompt = checked.prompt_tokens
            completion = validation.tokens_from_bytes(validation.completion_text_bytes(payload["choices"], streamed=False))
            out["usage"] = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        self.used = prompt + completion
        await self._await_written()
        await plumbing.send_json(send, 200, out, self.request_id)
        transcript = {"request": checked.body, "response": out} if self.ctx.transcripts else None
        self._finish(200, "ok", transcript, prompt_tokens=prompt, completion_tokens=completion)

    async def stream(self, send: Send, checked: validation.Checked, forwarded: dict[str, Any], target: UpstreamTarget) -> None:
        assert self.ctx is not None
        request = checked.body
        wants_usage = bool((request.get("stream_options") or {}).get("include_usage"))
        forwarded = {**forwarded, "stream_options": {"include_usage": True}}
        waited = time.perf_counter()
        upstream = await self._open(target, forwarded, stream=True)
        self.upstream_seconds += time.perf_counter() - waited
        try:
            await self._await_written()
        except errors.GatewayError:
            upstream.release()
            raise
        headers = [*SSE_HEADERS, (b"x-request-id", self.request_id.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        self.responded = True
        events = responses.StreamEvents(request["model"], wants_usage, self.ctx.transcripts)
        outcome = "ok"
        detail: dict[str, Any] = {}
        last = b""  # the events that arrived with the upstream's [DONE] leave with ours
        waited = time.perf_counter()  # relaying the stream counts as the upstream's time
        try:
            async for received in upstream.chunks():
                outgoing = events.translate(received)
                if events.done or self.cut_by is not None:
                    last = outgoing
                    break
                if outgoing:  # every event that arrived together leaves in one write to the client
                    await send({"type": "http.response.body", "body": outgoing, "more_body": True})
        except StreamCut:
            pass
        except (TimeoutError, OSError):
            outcome = "upstream_interrupted"
        except responses.UpstreamStreamError as exc:
            outcome, detail = "upstream_error", ({} if self.ctx.program_office else {"upstream_error": scrub(exc.detail, target)})
        finally:
            upstream.release()
            self.upstream_seconds += time.perf_counter() - waited
        self.finished = True
        outcome, ending = self._ending(outcome, events.done)
        prompt, completion = events.usage(checked.prompt_tokens)
        self.used = prompt + completion
        if outcome == "ok":
            last += events.usage_chunk(prompt, completion)
        await send({"type": "http.response.body", "body": last + ending, "more_body": False})
        transcript = {"request": request, "response": "".join(events.pieces)} if self.ctx.transcripts else None
        self._finish(200, outcome, transcript, detail, prompt_tokens=prompt, completion_tokens=completion)

    def _ending(self, outcome: str, done: bool) -> tuple[str, bytes]:
        """A stream's outcome and last event: ``[DONE]``, or an error event saying why it stopped."""
        if self.cut_by is not None:  # access ended (or the client left) mid-stream: say so, then stop
            return self.cut_by.code, responses.error_event(self._cut_error(), None)
        if outcome == "ok" and done:
            return outcome, b"data: [DONE]\n\n"
        failed = errors.upstream_failed("the model's server broke off its answer")
        return (outcome if outcome != "ok" else "upstream_interrupted"), responses.error_event(failed, self.request_id)
