"""The demo's webhook receiver, and First Federal Bank subscribed to financial-services reports.

``start_receiver()`` serves a small HTTP receiver on loopback (a thread of the serving process,
like the demo's stand-in model is a process of it) that records every webhook it is sent and
checks its signature with :func:`..clearinghouse.subscriptions.webhooks.verify`; it shows what it
received at ``GET /``. ``subscribe_demo_bank(container)`` subscribes the bank through the service,
as its admin would, to the receiver's fixed address, and keeps the secret shown once as the bank's
own system would: in a file of the data directory (owner-only), where the receiver reads it. So a
restarted ``serve --demo`` still verifies what it is sent.

The demo loader subscribes the bank when webhooks to loopback are allowed
(``FR_WEBHOOK_ALLOW_PRIVATE_TARGETS``, which ``serve --demo`` sets); ``serve --demo`` starts the
receiver on :data:`PORT`.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

from frontier_review.clearinghouse.subscriptions import service, webhooks
from frontier_review.identity import directory
from frontier_review.identity import service as identity

if TYPE_CHECKING:
    from frontier_review.bootstrap import Container

__all__ = ["BANK_ADMIN", "DemoReceiver", "start_receiver", "subscribe_demo_bank"]

BANK_ADMIN = "secops@firstfederal.demo"
PORT = 8082
URL = f"http://127.0.0.1:{PORT}/webhooks/frontier-review"
SECRET_FILE = "demo-webhook.secret"
"""The receiver's secret, in the data directory."""
SUBSCRIPTION = "Financial services (demo webhook)"


@dataclass
class DemoReceiver:
    """A running receiver: its URL, the secret it checks with, and what it received."""

    url: str
    server: ThreadingHTTPServer
    secret: str | None = None
    received: list[dict[str, object]] = field(default_factory=list)
    secret_file: Path | None = None

    def current_secret(self) -> str | None:
        """The secret to check with: the one handed over, else the one kept in ``secret_file``."""
        if self.secret is None and self.secret_file is not None and self.secret_file.exists():
            self.secret = self.secret_file.read_text().strip() or None
        return self.secret

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_receiver(*, port: int = 0, host: str = "127.0.0.1", secret_file: Path | None = None) -> DemoReceiver:
    """Serve the receiver on loopback in a daemon thread (``port=0``: any free port).

    ``secret_file``: where the subscription's secret is kept (read when the first webhook comes).
    """
    holder: list[DemoReceiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            receiver = holder[0]
            header = self.headers.get(webhooks.SIGNATURE_HEADER, "")
            secret = receiver.current_secret()
            valid = secret is not None and webhooks.verify(header, body, secret, now=int(time.time()))
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
    receiver = DemoReceiver(
        url=f"http://{host}:{server.server_address[1]}/webhooks/frontier-review", server=server, secret_file=secret_file
    )
    holder.append(receiver)
    threading.Thread(target=server.serve_forever, name="demo-webhook-receiver", daemon=True).start()
    return receiver


def subscribe_demo_bank(container: Container, *, url: str = URL) -> str | None:
    """Subscribe First Federal Bank to financial-services reports (priority medium and up) with a webhook.

    The secret shown once goes to ``<data dir>/demo-webhook.secret`` (owner-only), where the
    receiver reads it; returned too. None when the bank is not there.
    """
    with container.uow() as uow:
        admin = directory.find_person_by_email(uow, BANK_ADMIN)
        principal = identity.principal_for_user(uow, user_id=admin.id) if admin is not None else None
        if principal is None:
            return None
        created = service.create_subscription(
            uow,
            principal,
            name=SUBSCRIPTION,
            sectors=["financial_services"],
            products=["pkg:pypi/django", "cpe:2.3:a:openssl:openssl"],
            min_priority="medium",
            channels=["in_app", "email", "webhook"],
            webhook_url=url,
        )
    if created.secret is not None:
        fd = os.open(container.settings.data_dir / SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(created.secret)
    return created.secret
