"""The gateway's ASGI application: ``/gateway/v1/models``, ``/chat/completions``, ``/completions``.

A plain ASGI app (no framework routing on the hot path). Each call: token → one query for the
caller and the engagement → admission (G1 and the terms' materials, pure) → the request
validated by the gateway itself → quotas (tokens reserved atomically) → forward (the
upstream told to generate no more than the reservation allows) → meter (the upstream's usage,
or the gateway's own count) → access-log row committed → response. Responses are rebuilt from
the upstream's JSON, so no upstream header, URL, credential or error text reaches the
reviewer (G4); every response carries ``x-request-id``, the id of its access-log row. A call in
flight is cut when access ends (see ``watch``) or when its client goes away.

This module holds what lives as long as the process (:class:`GatewayApp`); one call's way
through those steps is ``call.Call``.
"""

from __future__ import annotations

import logging
import time

from frontier_review.engagements.access import upstreams as upstream_store
from frontier_review.engagements.access.context import ContextLoader
from frontier_review.engagements.access.recorder import (
    AccessRecorder,
    Chainer,
    in_flight_grace,
)
from frontier_review.engagements.access.refusals import RefusalTally
from frontier_review.gateway import errors, plumbing
from frontier_review.gateway.call import Call
from frontier_review.gateway.host import GatewayHost
from frontier_review.gateway.overload import LoadShedder
from frontier_review.gateway.plumbing import Receive, Scope, Send
from frontier_review.gateway.proxy import (
    Upstreams,
)
from frontier_review.gateway.quotas import QuotaCounter
from frontier_review.gateway.recent import CallContexts
from frontier_review.gateway.watch import Watch

log = logging.getLogger(__name__)

ROUTES = {("GET", "/models"), ("POST", "/chat/completions"), ("POST", "/completions")}


class GatewayApp:
    """The gateway's ASGI application: admits each call, meters it, forwards it and records it."""

    def __init__(self, container: GatewayHost) -> None:
        self.container = container
        plumbing.quiet_uvicorn_access_log()
        settings = container.settings
        self.max_body = settings.gateway_max_body_bytes
        self.quotas = QuotaCounter(settings)
        self.upstreams = Upstreams(
            allow_private=settings.gateway_allow_private_upstreams, timeout_seconds=settings.gateway_upstream_timeout_seconds
        )
        self.cache = upstream_store.UpstreamCache()
        self.loader = ContextLoader(container.engine)
        # Reuse between calls needs the access generation in Redis; on SQLite a read costs less.
        self.contexts = CallContexts(self.loader, reuse=self.quotas.shared and container.engine.dialect.name != "sqlite")
        self.watch = Watch(self.loader.fetch, container.clock.now)  # calls in flight: always a fresh read
        self.refusals = RefusalTally()
        self.shedder = LoadShedder(settings.gateway_shed_lag_ms)
        self.metrics = container.metrics
        self._recorder: AccessRecorder | None = None
        self._chainer: Chainer | None = None

    @property
    def recorder(self) -> AccessRecorder:
        if self._recorder is None:
            self._recorder = AccessRecorder(self.container.uow, self.container.engine)
            self._chainer = Chainer(self.container.uow, in_flight_grace(self.container.settings), tally=self.refusals)
        return self._recorder

    async def aclose(self) -> None:
        await self.shedder.aclose()
        await self.watch.aclose()
        await self.upstreams.close()
        await self.quotas.close()
        self.contexts.close()
        await self.loader.aclose()
        if self._recorder is not None:
            self._recorder.close()
        if self._chainer is not None:
            self._chainer.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        call = Call(self, scope, started)
        path = call.path
        if (scope["method"], path) not in ROUTES:
            status = 405 if path in {p for _, p in ROUTES} else 404
            await call.refuse(send, errors.GatewayError(status, f"no such gateway route: {scope['method']} {scope['path']}"))
            return
        try:
            if self.shedder.overloaded():  # past saturation: turned away before any work (``overload``)
                raise errors.overloaded(self.shedder.retry_after_ms())
            await call.run(receive, send)
        except errors.GatewayError as exc:
            await call.refuse(send, exc)
        except Exception:
            log.exception("gateway call failed")
            await call.refuse(send, errors.GatewayError(500, "the gateway failed; the call was not served", "server_error"))
        finally:
            call.close()
            # O(1), no I/O: two counters and a histogram (docs/performance.md has the cost).
            seconds = time.perf_counter() - started
            self.metrics.gateway_call(path, call.outcome, call.status, seconds - call.upstream_seconds, *call.tokens)
