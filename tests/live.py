"""A real uvicorn server on a loopback port, in a thread, for API and browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import uvicorn
from fastapi import FastAPI

from frontier_review.asgi import attach, create_app
from frontier_review.bootstrap import Container
from frontier_review.gateway.dispatch import GatewayDispatch
from frontier_review.http_protocol import HttpProtocol

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections for as long as the context is open.

    The socket is bound but never listens, so nothing else can take the port meanwhile: a
    port from :func:`free_port` may be picked up by another test's server before it is used.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        yield port


# Settings that differ in every test and that the app reads only through its container.
_PER_TEST = frozenset({"data_dir", "database_url", "master_key", "queue_name"})
_apps: dict[str, FastAPI] = {}
_serving: set[int] = set()


def _app_for(container: Container, span_exporter: SpanExporter | None) -> FastAPI:
    """An app for ``container``: this process's app for the same settings, or a new one.

    Building the routes is most of the cost of starting a test server (FastAPI analyses every
    route's signature for each app). The app reaches its container only through ``app.state``
    (``asgi.attach``), so tests with the same settings share one app, each attaching its own
    container; every other setting, and the session secret, is part of the key. Not shared: an
    app that is serving already (a test running two servers) and a traced app (its tracing is
    bound to one container's engine).
    """
    if span_exporter is not None or container.settings.otel_exporter_otlp_endpoint:
        return create_app(container, span_exporter=span_exporter)
    key = container.settings.model_dump_json(exclude=set(_PER_TEST)) + container.session_secret
    app = _apps.get(key)
    if app is None or id(app) in _serving:
        app = create_app(container)
        _apps.setdefault(key, app)
    else:
        attach(app, container)
    return app


@contextmanager
def serve(container: Container, *, span_exporter: SpanExporter | None = None) -> Iterator[str]:
    """Serve ``container``'s app on 127.0.0.1 and yield its base URL (traced to ``span_exporter`` if given)."""
    port = free_port()
    app = _app_for(container, span_exporter)
    _serving.add(id(app))
    config = uvicorn.Config(
        GatewayDispatch(app, app.state.gateway),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        server_header=False,
        http=HttpProtocol,  # as `frontier-review serve` runs it
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        _serving.discard(id(app))
