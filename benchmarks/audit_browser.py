"""Render time of the audit browser (``/audit``) over a 10,000-entry log: the newest page and a deep one.

    .venv/bin/python -m benchmarks.audit_browser [--entries 10000] [--rounds 20] [--against OLD_SRC] [--postgres ADMIN_URL]

Sets up an instance in a temporary data directory (SQLite, or with ``--postgres`` a fresh
PostgreSQL database created through ADMIN_URL and dropped at the end): an operator, a program
office, three developers with a few people each, and ``--entries`` audit entries spread over 30
days, one in four aimed at an organization or a person (which the page names), the rest at
engagement ids that name nothing. Then a signed checkpoint, as the periodic job would have made, so
the page's chain check hashes only the tail in both columns.

It serves that instance from this checkout's ``src``, and with ``--against`` also from an earlier
checkout's (``git archive main src | tar -x -C /tmp/main`` then ``--against /tmp/main/src``), one
after the other on the same data; signs in as the operator; and times, over HTTP on loopback,
each page ``--rounds`` times after two warm-up requests. The URLs are ones both versions answer:
the newest page, a page 190 pages deep (``before_seq``, the position link both use), and a filter
on an action prefix. Medians and 90th percentiles in milliseconds, side by side.

``--breakdown`` also times, in this process and this checkout's code, the reads the page makes
(the old ``list_entries``, the new ``page_entries`` with its counts, the target-type choices and
the target names), each in its own unit of work.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from benchmarks.databases import scratch_database
from frontier_review.audit import browse
from frontier_review.audit import service as audit
from frontier_review.audit.domain import Outcome
from frontier_review.audit.targets import name_targets
from frontier_review.composition import build_container
from frontier_review.config import Settings
from frontier_review.db import migrate
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.identity.tags import IdentityTag
from frontier_review.kernel.principal import Principal

PASSWORD = "benchmark password 1234"
OPERATOR = "operator@bench.example.org"
SRC = Path(__file__).resolve().parent.parent / "src"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SYSTEM = Principal.system("benchmark")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def seed(settings: Settings, entries: int) -> None:
    """The instance: people and organizations, ``entries`` audit entries, then a checkpoint."""
    migrate.upgrade(settings.resolved_database_url)
    container = build_container(settings)
    try:
        with container.uow() as uow:
            identity.bootstrap_superuser(uow, email=OPERATOR, full_name="Operator", password=PASSWORD)
            po = identity.create_organization(uow, SYSTEM, name="Bench Program Office", kind=OrgKind.PROGRAM_OFFICE)
            targets: list[tuple[str, str]] = [("organization", str(po.id))]
            for d in range(3):
                org = identity.create_organization(uow, SYSTEM, name=f"Bench Developer {d}", kind=OrgKind.DEVELOPER)
                targets.append(("organization", str(org.id)))
                for p in range(4):
                    user = identity.create_user(
                        uow,
                        SYSTEM,
                        org_id=org.id,
                        email=f"dev{d}-{p}@bench.example.org",
                        full_name=f"Developer {d}.{p}",
                        password=PASSWORD,
                        role=Role.ADMIN if p == 0 else Role.MEMBER,
                    )
                    targets.append(("user", str(user.id)))
        start = datetime.now(UTC) - timedelta(days=30)
        step = timedelta(days=30) / entries
        batch = 500
        for first in range(0, entries, batch):
            rows = []
            for i in range(first, min(first + batch, entries)):
                kind, ident = targets[i % len(targets)] if i % 4 == 0 else ("engagement", str(uuid.UUID(int=i)))
                rows.append(
                    {
                        "actor_label": f"person{i % 40}@bench.example.org",
                        "actor_user_id": None,
                        "actor_org_id": None,
                        "action": IdentityTag.LOGIN_SUCCEEDED if i % 3 else IdentityTag.LOGIN_FAILED,
                        "outcome": Outcome.SUCCESS if i % 3 else Outcome.FAILURE,
                        "target_type": kind,
                        "target_id": ident,
                        "details": {"n": i},
                        "occurred_at": start + i * step,
                    }
                )
            with container.uow() as uow:
                audit.append_many(uow, rows)
        with container.uow() as uow:
            audit.create_checkpoint(uow, SYSTEM)
    finally:
        container.close()


def _serve(src: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "frontier_review.cli", "serve", "--no-migrate", "--no-embedded-worker", "--port", str(port)]
    process = subprocess.Popen(
        command, env={**env, "PYTHONPATH": str(src)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=src.parent
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the server from {src} did not start")


def measure(src: Path, env: dict[str, str], urls: dict[str, str], rounds: int) -> dict[str, list[float]]:
    """Milliseconds per request of each URL, served from ``src``."""
    port = _free_port()
    process = _serve(src, env, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            page = client.get("/login")
            match = _CSRF.search(page.text)
            assert match, "no CSRF token on the sign-in page"
            signed = client.post(
                "/login", data={"email": OPERATOR, "password": PASSWORD, "next": "/", "csrf_token": match.group(1)}
            )
            assert signed.status_code == 303, signed.text
            out: dict[str, list[float]] = {}
            for name, url in urls.items():
                for _ in range(2):
                    assert client.get(url).status_code == 200, url
                samples = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    response = client.get(url)
                    samples.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, url
                out[name] = samples
            return out
    finally:
        process.terminate()
        process.wait(timeout=30)


def breakdown(settings: Settings, rounds: int, deep: int) -> dict[str, list[float]]:
    """Milliseconds of each read the page makes, in this process, as the operator."""
    container = build_container(settings)
    try:
        with container.uow() as uow:
            user = identity.find_user_by_email(uow, SYSTEM, OPERATOR)
            assert user is not None
            reader = identity.principal_for_user(uow, user_id=user.id)
            assert reader is not None
        everything = browse.EntryFilter()

        def names(uow: UnitOfWork) -> None:
            found = browse.page_entries(uow, reader, everything)
            name_targets(uow, reader, [(e["target"]["type"], e["target"]["id"]) for e in found.entries])

        reads: dict[str, Callable[[UnitOfWork], object]] = {
            "list_entries (before: 50 rows)": lambda uow: browse.list_entries(uow, reader, everything, limit=50),
            "page_entries, newest (+ counts)": lambda uow: browse.page_entries(uow, reader, everything),
            f"page_entries, before_seq={deep}": lambda uow: browse.page_entries(uow, reader, everything, before_seq=deep),
            "list_target_types (DISTINCT)": lambda uow: browse.list_target_types(uow, reader),
            "page_entries + name_targets": names,
        }
        out: dict[str, list[float]] = {}
        for name, read in reads.items():
            samples = []
            for _ in range(rounds + 2):
                with container.uow() as uow:
                    started = time.perf_counter()
                    read(uow)
                    samples.append((time.perf_counter() - started) * 1000)
            out[name] = samples[2:]
        return out
    finally:
        container.close()


def _p90(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10)[-1] if len(samples) > 1 else samples[0]


def main() -> None:
    """Seed, serve from each checkout, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--against", type=Path, help="another checkout's src directory, timed on the same data")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server: benchmark on a fresh database there")
    parser.add_argument("--breakdown", action="store_true", help="also time the page's reads in this process")
    args = parser.parse_args()

    with ExitStack() as stack:
        data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fr-audit-bench-")))
        database_url = scratch_database(stack, args.postgres, data / "frontier.db", prefix="fr_audit_bench")
        env = {
            **os.environ,
            "FR_ENV": "dev",
            "FR_DATA_DIR": str(data),
            "FR_DATABASE_URL": database_url,
            "FR_LOGIN_IP_MAX_ATTEMPTS": "1000",
        }
        settings = Settings(data_dir=data, database_url=database_url)
        started = time.perf_counter()
        seed(settings, args.entries)
        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(f"{args.entries} entries on {backend}, seeded in {time.perf_counter() - started:.1f} s")
        deep = max(1, args.entries - 9_500 + 1) if args.entries > 9_500 else max(1, args.entries // 2)
        urls = {
            "newest page": "/audit",
            f"deep page (before_seq={deep})": f"/audit?before_seq={deep}",
            "action filter (identity:login:f)": "/audit?action=identity%3Alogin%3Af",
        }
        trees = {"this checkout": SRC}
        if args.against:
            trees["--against"] = args.against.resolve()
        results = {label: measure(src, env, urls, args.rounds) for label, src in trees.items()}
        parts = breakdown(settings, args.rounds, deep) if args.breakdown else {}

    print(f"GET over loopback, {args.rounds} rounds each after 2 warm-ups (milliseconds: median / p90)")
    header = f"{'page':36}" + "".join(f"{label:>22}" for label in results)
    print(header)
    for name in urls:
        cells = "".join(f"{statistics.median(r[name]):>12.1f} / {_p90(r[name]):>6.1f}" for r in results.values())
        print(f"{name:36}{cells}")
    if parts:
        print("the page's reads in this process, this checkout (milliseconds: median / p90)")
        for name, samples in parts.items():
            print(f"{name:36}{statistics.median(samples):>12.2f} / {_p90(samples):>6.2f}")


if __name__ == "__main__":
    main()
