"""Running the fake: in a thread, or as a process of its own.

In a thread on a free loopback port for the tests and the evals benchmark; as a process
(``python -m frontier_review.mockllm``) for the demo's stand-in model.
"""

from __future__ import annotations

import argparse
import dataclasses
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from frontier_review.mockllm.app import MockLLM
from frontier_review.mockllm.config import DEMO, TESTS, MockLLMConfig


def make_app(config: MockLLMConfig | None = None, **changes: Any) -> MockLLM:
    """A fake built from ``config`` (the tests' preset by default) with ``changes`` applied.

    For example ``make_app(text="7", latency=0.2)``; read ``app.state`` afterwards.
    """
    return MockLLM(dataclasses.replace(config or TESTS, **changes))


@contextmanager
def serve_app(app: Any, *, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve the ASGI ``app`` (usually a :class:`MockLLM`) with uvicorn in a daemon thread.

    The system picks the port; yields the base URL, ending in ``/v1``. Stops the server on exit.
    """
    import uvicorn

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, 0))  # bound here and handed over: no other process can take the port meanwhile
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name=f"mockllm-{port}", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the fake model's server did not start")
            time.sleep(0.01)
        yield f"http://{host}:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


@contextmanager
def serve_fake(config: MockLLMConfig | None = None, **changes: Any) -> Iterator[str]:
    """Serve ``make_app(config, **changes)`` on loopback; yields its base URL (ending in ``/v1``)."""
    with serve_app(make_app(config, **changes)) as url:
        yield url


def run(config: MockLLMConfig, *, host: str = "127.0.0.1", port: int = 8081) -> None:
    """Serve the fake in this process until interrupted."""
    import uvicorn

    uvicorn.run(MockLLM(config), host=host, port=port, log_level="warning", server_header=False)


def main(argv: Sequence[str] | None = None) -> None:
    """Serve a fake from the command line: ``python -m frontier_review.mockllm [--port 8081] [--demo] ...``."""
    parser = argparse.ArgumentParser(prog="python -m frontier_review.mockllm", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--demo", action="store_true", help="The demo's stand-in model (its reply, no trigger words).")
    parser.add_argument("--text", help="The answer to ordinary prompts.")
    parser.add_argument("--latency", type=float, help="Seconds before each chat completion answers.")
    parser.add_argument("--stream-delay", type=float, help="Seconds after each streamed chunk.")
    args = parser.parse_args(argv)
    changes = {
        k: v for k, v in {"text": args.text, "latency": args.latency, "stream_delay": args.stream_delay}.items() if v is not None
    }
    run(dataclasses.replace(DEMO if args.demo else TESTS, **changes), host=args.host, port=args.port)
