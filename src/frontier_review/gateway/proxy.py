"""Forwarding to the developer's upstream: a small HTTP/1.1 client on httptools.

The gateway sends one kind of request (a JSON POST) to servers the developer registered, so it
needs little of a general HTTP client, and every call pays for what a general one does: aiohttp
cost about 0.45 ms and most of a proxy hop's CPU here (see docs/performance.md). This client
keeps what the gateway relies on:

- pooled keep-alive connections per origin, closed after ``KEEPALIVE`` idle seconds (below
  common servers' idle timeout, so a pooled connection is never one the upstream just closed);
- the address check at connect time: every address the host resolves to is checked again, so
  a host that re-resolves to a private or metadata address after registration is refused;
- no redirects followed, TLS verified for https, one deadline for the whole call (streams
  included), a cap on the size of a JSON answer;
- the body handed over as it arrives, so a stream is forwarded without waiting.

The response is parsed by httptools (the parser uvicorn serves with): chunked and
content-length bodies, keep-alive, and gzip or deflate should a server compress despite
``Accept-Encoding: identity``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import ssl
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, cast
from urllib.parse import urlsplit

import httptools

from frontier_review.engagements.access.domain import UpstreamTarget
from frontier_review.gateway import errors
from frontier_review.security.addresses import forbidden_address

KEEPALIVE = 4.0
CONNECT_TIMEOUT = 10.0
DNS_TTL = 60.0
MAX_JSON_BYTES = 32 * 1024 * 1024
MAX_ERROR_BYTES = 64 * 1024
# A compressed answer is inflated this much at a time, so a small "gzip bomb" never becomes a
# large buffer: each piece is handed on (and counted against the read limit) before the next.
INFLATE_PIECE = 64 * 1024
# The longest server-sent event line the gateway buffers while waiting for its end.
MAX_SSE_LINE = 1024 * 1024
# Above this much unread body, stop reading from the socket until the gateway catches up.
HIGH_WATER = 1024 * 1024

Origin = tuple[str, str, int]


class UpstreamError(Exception):
    """The connection failed or broke before the answer was complete."""


class StreamCut(Exception):
    """The gateway cut the call (access ended, or the client left); the code says why."""


class _Connection(asyncio.Protocol):
    """One connection to an upstream; answers one request at a time."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.idle_since = 0.0
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.keep_alive = False
        self.complete = False
        self.error: BaseException | None = None
        self._body: deque[bytes] = deque()
        self._buffered = 0
        self._headers_done = False
        self._waiter: asyncio.Future[None] | None = None

    @property
    def usable(self) -> bool:
        return self.transport is not None and not self.transport.is_closing() and self.error is None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.fail(UpstreamError(f"the answer is not valid HTTP: {exc}"))

    def eof_received(self) -> bool | None:
        return None  # close the transport; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.complete and self.error is None:
            if exc is None and self._headers_done and self._delimited_by_close():
                self.complete = True  # a body without a length ends where the connection does (RFC 9112 §6.3)
                self.keep_alive = False
            else:
                self.error = UpstreamError("the connection closed before the answer was complete")
        self._wake()

    def _delimited_by_close(self) -> bool:
        return "content-length" not in self.headers and "chunked" not in self.headers.get("transfer-encoding", "").lower()

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:  # httptools hands over whole headers
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()
        self._headers_done = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)
        self._buffered += len(body)
        if self._buffered > HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        self.complete = True
        self._wake()

    # used by the client
    def fail(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error
        if self.transport is not None:
            self.transport.abort()
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def _wait(self) -> None:
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    async def headers_received(self) -> None:
        while not self._headers_done:
            if self.error is not None:
                raise self.error
            await self._wait()

    async def next_chunk(self) -> bytes | None:
        """The next piece of body as received; None at its end."""
        while True:
            if self._body:
                data = b"".join(self._body)
                self._body.clear()
                if self._buffered > HIGH_WATER and self.transport is not None:
                    self.transport.resume_reading()
                self._buffered = 0
                return data
            if self.complete:
                return None
            if self.error is not None:
                raise self.error
            await self._wait()

    def send(self, request: bytes) -> None:
        assert self.transport is not None
        self._reset()
        self.parser = httptools.HttpResponseParser(self)
        self.transport.write(request)


class UpstreamResponse:
    """An upstream's answer: status and headers now, the body as it arrives."""

    def __init__(self, pool: Upstreams, conn: _Connection, timer: asyncio.TimerHandle) -> None:
        self._pool = pool
        self._conn = conn
        self._timer = timer
        self._decoder: Any = None
        encoding = conn.headers.get("content-encoding", "identity").lower()
        if encoding in ("gzip", "deflate"):
            self._decoder = zlib.decompressobj(wbits=47)  # gzip or zlib, detected from the header
        elif encoding not in ("identity", ""):
            self.release()
            raise errors.upstream_failed(f"the model's server uses the {encoding!r} encoding, which the gateway cannot read")
        self.status = conn.status

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            while (data := await self._conn.next_chunk()) is not None:
                if self._decoder is None:
                    yield data
                    continue
                # Inflate in bounded pieces (item 21): a few compressed bytes may stand for gigabytes.
                piece = self._decoder.decompress(data, INFLATE_PIECE)
                while piece:
                    yield piece
                    piece = self._decoder.decompress(self._decoder.unconsumed_tail, INFLATE_PIECE)
            if self._decoder is not None and not self._decoder.eof:
                raise UpstreamError("the compressed answer ends early")
        except UpstreamError:
            raise OSError("the model's server broke off its answer") from None
        except zlib.error:
            raise OSError("the model's server sent a compressed answer that does not decompress") from None

    async def read(self, limit: int) -> bytes:
        parts: list[bytes] = []
        size = 0
        async for data in self.chunks():
            size += len(data)
            if size > limit:
                raise errors.upstream_failed(f"the model's server answered with more than {limit} bytes")
            parts.append(data)
        return b"".join(parts)

    async def json(self) -> Any:
        return json.loads(await self.read(MAX_JSON_BYTES))

    def release(self) -> None:
        """Give the connection back (when its answer was read to the end) or close it."""
        self._timer.cancel()
        self._pool.put_back(self._conn)

    def abort(self, why: BaseException) -> None:
        """Close the connection now (the upstream sees the request cancelled); reading raises ``why``."""
        self._conn.fail(why)

    def header(self, name: str) -> str | None:
        return self._conn.headers.get(name)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The system's trust store, loaded once per process (loading it takes about 0.1 s)."""
    return ssl.create_default_context()


class Upstreams:
    """The gateway's connections to upstreams: one pool per process, used from the serving loop."""

    def __init__(self, *, allow_private: bool, timeout_seconds: float) -> None:
        self._allow_private = allow_private
        self._timeout = timeout_seconds
        self._idle: dict[Origin, list[_Connection]] = {}
        self._dns: dict[tuple[str, int], tuple[float, list[str]]] = {}
        self._tls = _tls_context()

    async def close(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                if conn.transport is not None:
                    conn.transport.close()
        self._idle.clear()

    def put_back(self, conn: _Connection) -> None:
        if conn.complete and conn.keep_alive and conn.usable:
            conn.idle_since = time.monotonic()
            self._idle.setdefault(conn.origin, []).append(conn)
        elif conn.transport is not None:
            conn.transport.abort()

    async def open(
        self, target: UpstreamTarget, path: str, body: dict[str, Any], *, on_sent: Callable[[], None] | None = None
    ) -> UpstreamResponse:
        """Send ``body`` to the target (then call ``on_sent``); return once the answer's headers are in."""
        loop = asyncio.get_running_loop()
        origin, request = _request(target, path, json.dumps(body).encode())
        deadline = loop.time() + self._timeout  # one deadline for the whole call, a stream's body included
        conn: _Connection | None = None
        try:
            async with asyncio.timeout_at(deadline):
                conn = await self._connection(origin)
                conn.send(request)
                if on_sent is not None:
                    on_sent()
                await conn.headers_received()
        except TimeoutError:
            self._discard(conn)
            raise errors.upstream_failed("the model's server did not answer in time", 504) from None
        except (UpstreamError, OSError, ssl.SSLError):
            self._discard(conn)
            raise errors.upstream_failed("the model's server could not be reached") from None
        except BaseException:  # cancelled (the call was cut): the upstream must not keep working
            self._discard(conn)
            raise
        timer = loop.call_at(deadline, conn.fail, TimeoutError("the model's server did not finish in time"))
        response = UpstreamResponse(self, conn, timer)
        if 300 <= response.status < 400:
            response.release()
            raise errors.upstream_failed("the model's server answered with a redirect, which the gateway does not follow")
        return response

    def _discard(self, conn: _Connection | None) -> None:
        if conn is not None and conn.transport is not None:
            conn.transport.abort()

    async def _connection(self, origin: Origin) -> _Connection:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if conn.usable and now - conn.idle_since < KEEPALIVE:
                return conn
            if conn.transport is not None:
                conn.transport.abort()
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        last: BaseException = OSError("the upstream's name resolves to no address")
        for address in await self._resolve(host, port):
            conn = _Connection(origin)
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT):
                    await loop.create_connection(
                        _factory(conn),
                        address,
                        port,
                        ssl=self._tls if scheme == "https" else None,
                        server_hostname=host if scheme == "https" else None,
                    )
                return conn
            except (OSError, TimeoutError) as exc:
                last = exc
        raise OSError(str(last))

    async def _resolve(self, host: str, port: int) -> list[str]:
        cached = self._dns.get((host, port))
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:  # every address: a name with one forbidden address is refused
            if forbidden_address(address, allow_private=self._allow_private):
                raise OSError("the upstream resolves to an address the gateway refuses")
        self._dns[(host, port)] = (now + DNS_TTL, addresses)
        return addresses


def _factory(conn: _Connection) -> Any:
    return lambda: conn


def _request(target: UpstreamTarget, path: str, body: bytes) -> tuple[Origin, bytes]:
    url = urlsplit(target.base_url)
    scheme, host = url.scheme, url.hostname or ""
    port = url.port or (443 if scheme == "https" else 80)
    default_port = (scheme, port) in (("http", 80), ("https", 443))
    host_header = (f"[{host}]" if ":" in host else host) + ("" if default_port else f":{port}")
    lines = [
        f"POST {url.path.rstrip('/')}{path} HTTP/1.1",
        f"Host: {host_header}",
        "Content-Type: application/json",
        "Accept: application/json, text/event-stream",
        "Accept-Encoding: identity",
        f"Content-Length: {len(body)}",
    ]
    if target.api_key:
        lines.append(f"Authorization: Bearer {target.api_key}")
    if any(c in part for part in (url.path, host, target.api_key or "") for c in "\r\n\0 "):
        raise errors.upstream_failed("the upstream's address or key contains characters HTTP does not allow")
    try:
        head = "\r\n".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        raise errors.upstream_failed("the upstream's address or key contains characters HTTP does not allow") from None
    return (scheme, host, port), head + b"\r\n\r\n" + body


def scrub(message: str, target: UpstreamTarget) -> str:
    """An upstream's error message without its URL, host or key (G4)."""
    text = message
    host = urlsplit(target.base_url).hostname or ""
    for secret in (target.base_url, host, target.api_key or "", target.upstream_model):
        if secret and len(secret) >= 3:
            text = text.replace(secret, "[redacted]")
    return text[:500]  # cut after redacting: a secret across the cut would survive as a prefix


def retry_after(response: UpstreamResponse) -> int | None:
    """The upstream's ``retry-after`` in whole seconds (1 to 3600), when it sent a number."""
    value = response.header("retry-after")
    try:
        return min(max(int(float(value)), 1), 3600) if value else None
    except ValueError:
        return None


async def error_message(response: UpstreamResponse, target: UpstreamTarget) -> str:
    """The upstream's error, scrubbed of its URL and key: for the access log only (item 12)."""
    try:
        payload = json.loads(await response.read(MAX_ERROR_BYTES))
        message = str(payload.get("error", {}).get("message") or payload.get("message") or "")
    except (ValueError, AttributeError, OSError, errors.GatewayError, TimeoutError):
        message = ""
    finally:
        response.release()
    detail = f": {scrub(message, target)}" if message else ""
    return f"the model's server returned HTTP {response.status}{detail}"


def sse_events(buffer: bytearray, data: bytes, limit: int = MAX_SSE_LINE) -> list[bytes]:
    """Append ``data`` to ``buffer``; return the ``data:`` payloads of the lines it completes.

    Raises:
        OSError: An unfinished line grew past ``limit`` bytes (item 21: a hostile upstream that
            never ends its line cannot fill the gateway's memory).
    """
    buffer += data
    end = buffer.rfind(b"\n")
    if len(buffer) - (end + 1) > limit:
        buffer.clear()
        raise OSError(f"the model's server sent an event line longer than {limit} bytes")
    if end < 0:
        return []
    lines = bytes(buffer[: end + 1]).split(b"\n")
    del buffer[: end + 1]
    out = []
    for raw in lines:
        line = raw.strip()
        if line.startswith(b"data:"):
            out.append(line[5:].strip())
    return out
