"""The outermost ASGI app of a server: gateway paths to the gateway, everything else to the web app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from frontier_review.gateway.app import GatewayApp
from frontier_review.gateway.plumbing import PREFIX, Receive, Scope, Send


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
