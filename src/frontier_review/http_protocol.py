"""uvicorn's HTTP protocol, with a response's head sent together with the start of its body.

uvicorn writes a response's status line and headers to the socket as soon as the application
sends ``http.response.start``, and the body in a second write. On loopback and on a small VM
each write is a system call that also wakes the reader, which then reads a head without a body
and goes back to sleep: for a gateway call answered in one piece that was about 0.4 ms of the
time the gateway adds at concurrency 1 (docs/performance.md).

Here the head waits, within the same turn of the event loop, for the first piece of the body
and leaves with it in one write; if no body follows in that turn (a stream whose first event
is still on its way), the head leaves alone at the end of the turn. Writes are only ever
joined, never reordered or dropped, and closing the connection sends what waits first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _HeadWaitsForBody:
    """A transport whose response heads wait for the next write, at most until the turn ends."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._transport.write(held + bytes(data))
        elif isinstance(data, bytes) and data.startswith(b"HTTP/1.1 ") and data.endswith(b"\r\n\r\n"):
            self._held = data
            self._loop.call_soon(self._release)
        else:
            self._transport.write(data)

    def _release(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            if not self._transport.is_closing():
                self._transport.write(held)

    def close(self) -> None:
        self._release()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:  # everything else is the real transport's
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over :class:`_HeadWaitsForBody` (``uvicorn.run(http=HttpProtocol)``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_HeadWaitsForBody(transport, self.loop))  # type: ignore[arg-type]
