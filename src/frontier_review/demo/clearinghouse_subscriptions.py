"""The demo's webhook receiver, and First Federal Bank subscribed to financial-services reports.

``start_receiver()`` serves a small HTTP receiver on loopback (a thread of the serving process,
like the demo's stand-in model is a process of it) that records every webhook it is sent and
checks its signature with :func:`..clearinghouse.subscriptions.webhooks.verify`; it shows what it
received at ``GET /``. ``subscribe_demo_bank(container, url)`` subscribes the bank through the
service, as its admin would, and hands the receiver the secret shown once.

The lead calls, from the demo loader (after the organizations exist, with
``FR_WEBHOOK_ALLOW_PRIVATE_TARGETS`` true, as ``serve --demo`` sets it)::

    receiver = clearinghouse_subscriptions.start_receiver(port=8082)
    clearinghouse_subscriptions.subscribe_demo_bank(container, receiver)
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from frontier_review.clearinghouse.subscriptions import service, webhooks
from frontier_review.identity import directory
from frontier_review.identity import service as identity

if TYPE_CHECKING:
    from frontier_review.bootstrap import Container

__all__ = ["BANK_ADMIN", "DemoReceiver", "start_receiver", "subscribe_demo_bank"]

BANK_ADMIN = "secops@firstfederal.demo"
SUBSCRIPTION = "Financial services (demo webhook)"


@dataclass
class DemoReceiver:
    """A running receiver: its URL, the secret it checks with, and what it received."""

    url: str
    server: ThreadingHTTPServer
    secret: str | None = None
    received: list[dict[str, object]] = field(default_factory=list)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_receiver(*, port: int = 0, host: str = "127.0.0.1") -> DemoReceiver:
    """Serve the receiver on loopback in a daemon thread (``port=0``: any free port)."""
    holder: list[DemoReceiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            receiver = holder[0]
            header = self.headers.get(webhooks.SIGNATURE_HEADER, "")
            valid = receiver.secret is not None and webhooks.verify(header, body, receiver.secret, now=int(time.time()))
            receiver.received.append(
                {
                    "delivery": self.headers.get(webhooks.DELIVERY_HEADER),
                    "signature_valid": valid,
                    "body": json.loads(body or b"null"),
                }
            )
            self.send_response(204 if valid else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            page = json.dumps(holder[0].received, indent=2).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
    receiver = DemoReceiver(url=f"http://{host}:{server.server_address[1]}/webhooks/frontier-review", server=server)
    holder.append(receiver)
    threading.Thread(target=server.serve_forever, name="demo-webhook-receiver", daemon=True).start()
    return receiver


def subscribe_demo_bank(container: Container, receiver: DemoReceiver) -> None:
    """Subscribe First Federal Bank to financial-services reports (priority medium and up) with a webhook."""
    with container.uow() as uow:
        admin = directory.find_person_by_email(uow, BANK_ADMIN)
        principal = identity.principal_for_user(uow, user_id=admin.id) if admin is not None else None
        if principal is None:
            return
        created = service.create_subscription(
            uow,
            principal,
            name=SUBSCRIPTION,
            sectors=["financial_services"],
            products=["pkg:pypi/django", "cpe:2.3:a:openssl:openssl"],
            min_priority="medium",
            channels=["in_app", "email", "webhook"],
            webhook_url=receiver.url,
        )
    receiver.secret = created.secret
