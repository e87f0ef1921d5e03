"""POST one webhook (an adapter: httpcore, sockets), with the address policy checked at connect time.

The address is checked when the subscription is saved, but DNS may change after that, so the
connection itself is made through :class:`GuardedBackend`: it resolves the host, refuses if any
address is one the policy forbids, and connects to an address it checked — never to a name
resolved again behind its back. TLS still verifies the certificate against the host name.
Redirects are not followed, and the answer's body is never read.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore

from frontier_review.clearinghouse.subscriptions.webhooks import Attempt
from frontier_review.security import addresses

__all__ = ["AddressRefused", "GuardedBackend", "post"]

USER_AGENT = "FrontierReview-Webhooks/1"


class AddressRefused(httpcore.ConnectError):
    """The receiver's host resolves to an address the policy forbids."""


class GuardedBackend(httpcore.NetworkBackend):
    """A network backend that connects only to addresses the address policy allows."""

    def __init__(self, *, allow_private: bool, resolve: addresses.Resolver = addresses.system_resolver) -> None:
        self._inner = httpcore.SyncBackend()
        self._allow_private = allow_private
        self._resolve = resolve

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            found = list(self._resolve(host, port))
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"the host {host!r} does not resolve") from exc
        if not found:
            raise httpcore.ConnectError(f"the host {host!r} does not resolve")
        for address in found:
            try:
                why = addresses.forbidden_address(address, allow_private=self._allow_private)
            except ValueError:
                why = "an address that is not an IP address"
            if why:
                raise AddressRefused(f"the host {host!r} resolves to {why}, which is refused")
        last: Exception | None = None
        for address in found:
            try:
                return self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks are sent over TCP only")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _summary(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:280]


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool,
    timeout: float,
    resolve: addresses.Resolver = addresses.system_resolver,
) -> tuple[Attempt, bool]:
    """POST ``body`` to ``url``; returns the attempt and whether the address policy refused it."""
    started = time.monotonic()
    pool = httpcore.ConnectionPool(
        network_backend=GuardedBackend(allow_private=allow_private, resolve=resolve),
        ssl_context=ssl.create_default_context(),
        max_connections=1,
        retries=0,
    )
    sent = [(b"User-Agent", USER_AGENT.encode()), (b"Content-Type", b"application/json")]
    sent += [(k.encode(), v.encode()) for k, v in headers.items()]
    limits = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    try:
        with pool, pool.stream("POST", url, headers=sent, content=body, extensions={"timeout": limits}) as response:
            status = response.status
    except AddressRefused as exc:
        return Attempt(None, _elapsed(started), f"refused by the address policy: {_summary(exc)}"), True
    except httpcore.TimeoutException:
        return Attempt(None, _elapsed(started), f"no answer within {timeout:g} s"), False
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol, ssl.SSLError) as exc:
        return Attempt(None, _elapsed(started), f"{type(exc).__name__}: {_summary(exc)}"), False
    error = None if 200 <= status < 300 else f"HTTP {status}"
    return Attempt(status, _elapsed(started), error), False


def _elapsed(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
