"""A real uvicorn server on a loopback port, in a thread, for API and browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import uvicorn

from frontier_review.asgi import create_asgi
from frontier_review.bootstrap import Container

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


@contextmanager
def serve(container: Container, *, span_exporter: SpanExporter | None = None) -> Iterator[str]:
    """Serve ``container``'s app on 127.0.0.1 and yield its base URL (traced to ``span_exporter`` if given)."""
    port = free_port()
    app = create_asgi(container, span_exporter=span_exporter)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", server_header=False)
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
