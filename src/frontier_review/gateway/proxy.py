"""Forwarding to the developer's upstream with aiohttp: pooled connections, no redirects, and a
resolver that refuses forbidden addresses at connect time too (a host that re-resolves to a
private or metadata address after registration is still refused)."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from frontier_review.engagements.access import forbidden_address
from frontier_review.gateway import errors
from frontier_review.gateway.context import UpstreamTarget


class GuardedResolver(AbstractResolver):
    def __init__(self, allow_private: bool) -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._allow_private = allow_private

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            if forbidden_address(result["host"], allow_private=self._allow_private):
                raise OSError("the upstream resolves to an address the gateway refuses")
        return results

    async def close(self) -> None:
        await self._inner.close()


class Upstreams:
    """One pooled HTTP client per process (created on first use, on the serving loop)."""

    def __init__(self, *, allow_private: bool, timeout_seconds: float) -> None:
        self._allow_private = allow_private
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds, sock_connect=10)
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=1024,
                ttl_dns_cache=60,
                resolver=GuardedResolver(self._allow_private),
                enable_cleanup_closed=True,
                # Below common servers' idle timeout (uvicorn: 5 s), so a pooled connection is never
                # one the upstream has just closed.
                keepalive_timeout=4,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                auto_decompress=True,
                trust_env=False,
                skip_auto_headers=("User-Agent",),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def open(self, target: UpstreamTarget, path: str, body: dict[str, Any]) -> aiohttp.ClientResponse:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if target.api_key:
            headers["Authorization"] = f"Bearer {target.api_key}"
        try:
            response = await self.session().post(
                f"{target.base_url}{path}", data=json.dumps(body), headers=headers, allow_redirects=False
            )
        except TimeoutError:
            raise errors.upstream_failed("the model's server did not answer in time", 504) from None
        except (aiohttp.ClientError, OSError):
            raise errors.upstream_failed("the model's server could not be reached") from None
        if 300 <= response.status < 400:
            response.release()
            raise errors.upstream_failed("the model's server answered with a redirect, which the gateway does not follow")
        return response


def scrub(message: str, target: UpstreamTarget) -> str:
    """An upstream's error message without its URL, host or key (G4)."""
    from urllib.parse import urlparse

    text = message[:500]
    host = urlparse(target.base_url).hostname or ""
    for secret in (target.base_url, host, target.api_key or "", target.upstream_model):
        if secret and len(secret) >= 3:
            text = text.replace(secret, "[redacted]")
    return text


async def error_message(response: aiohttp.ClientResponse, target: UpstreamTarget) -> str:
    try:
        payload = await response.json(content_type=None)
        message = str(payload.get("error", {}).get("message") or payload.get("message") or "")
    except (ValueError, AttributeError, aiohttp.ClientError):
        message = ""
    finally:
        response.release()
    detail = f": {scrub(message, target)}" if message else ""
    return f"the model's server returned HTTP {response.status}{detail}"


async def sse_lines(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """The upstream's server-sent events, one ``data:`` payload at a time."""
    async for raw in response.content:
        line = raw.strip()
        if line.startswith(b"data:"):
            yield line[5:].strip()
