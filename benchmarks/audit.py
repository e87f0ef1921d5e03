"""Audit verification at scale (issue 13 item 8): the full check's entries per second.

    PYTHONPATH=$PWD/src .venv/bin/python -m benchmarks.audit [--sizes 100000,1000000] [--runs 3]
        [--database-url sqlite] [--database-url postgresql://postgres@127.0.0.1:5432/test]
        [--against OLD_SRC] [--cli]

For each database (``sqlite``: a temporary data directory; a PostgreSQL URL: a fresh database,
``bench_audit_<random>``, created on that URL's server and dropped at the end; both by default)
and each size, it builds a log of that many entries the way the platform writes one: gateway
calls chained by ``audit.append_many`` in batches of 5,000 (the real hashing and bulk insert,
as the access-log chainer does), with a signed checkpoint (``audit.create_checkpoint``) after
each fifth of the log. Then it times the full check — ``verify_log`` from genesis, every entry,
every checkpoint signature, the head row — in a fresh process per run, and prints entries per
second (median of ``--runs``, and the CPU time of that process) beside the baseline (21k
entries/s at 100k entries on SQLite, as issue 13 reported for the code before this change) and
the goal (100k entries/s). Each log is timed twice: as this code writes it (details in the
canonical spelling, which the check hashes as stored), then with every entry's details rewritten
in ``json.dumps``' spelling, as logs written before this change hold them (decoded and encoded
again by the check).

``--against OLD_SRC`` also times an earlier checkout's ``src`` on the same data, in the same
session (``git archive b4aad15 src | tar -x -C /tmp/audit-base`` then ``--against
/tmp/audit-base/src``); ``--against-runs`` runs each (1 by default: the old code takes a minute
per million entries).

``--cli`` also times ``frontier-review audit verify`` end to end on the smallest log, both ways:
the command's wall time, less its start-up (the same command on an empty log, median of 5).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.databases import scratch_database

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
ENTRY_POINT = Path(sys.executable).with_name("frontier-review")
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
BASELINE_PER_SECOND = 21_000  # issue 13: 100,000 entries in about 4.8 s after start-up, SQLite
GOAL_PER_SECOND = 100_000
BATCH = 5_000
CHECKPOINTS = 4


# --- building a log -----------------------------------------------------------------------------


def build_log(data_dir: Path, database_url: str, entries: int) -> None:
    """A migrated database holding ``entries`` chained entries, with ``CHECKPOINTS`` signed checkpoints."""
    from frontier_review.audit import service as audit
    from frontier_review.audit.domain import Outcome
    from frontier_review.composition import build_container
    from frontier_review.config import Settings
    from frontier_review.db import migrate
    from frontier_review.engagements.tags import GatewayTag
    from frontier_review.kernel.principal import Principal

    migrate.upgrade(database_url)
    container = build_container(Settings(data_dir=data_dir, database_url=database_url))
    system = Principal.system("benchmark")
    actors = [
        (f"developer{i}@lab{i % 3}.example.org", uuid.UUID(int=0x1000 + i), uuid.UUID(int=0x2000 + i % 3)) for i in range(12)
    ]
    engagements = [str(uuid.UUID(int=0x3000 + i)) for i in range(5)]
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    every = entries // (CHECKPOINTS + 1)
    made = 0
    try:
        while made < entries:
            next_checkpoint = (made // every + 1) * every if every else entries
            size = min(BATCH, entries - made, max(next_checkpoint - made, 1))
            rows: list[dict[str, Any]] = []
            for i in range(made, made + size):
                label, user_id, org_id = actors[i % len(actors)]
                denied = i % 50 == 0
                rows.append(
                    {
                        "actor_label": label,
                        "actor_user_id": user_id,
                        "actor_org_id": org_id,
                        "action": GatewayTag.CALL,
                        "outcome": Outcome.DENIED if denied else Outcome.SUCCESS,
                        "target_type": "engagement",
                        "target_id": engagements[i % len(engagements)],
                        "reason": "quota" if denied else None,
                        "occurred_at": start + timedelta(milliseconds=731 * i),
                        "details": {
                            "access_log": str(uuid.uuid4()),
                            "status": 429 if denied else 200,
                            "variant": "candidate" if i % 3 else "baseline",
                            "prompt_tokens": 200 + i % 900,
                            "completion_tokens": 20 + i % 300,
                            "latency_ms": 300 + i % 1700,
                            "token": str(uuid.UUID(int=0x4000 + i % 40)),
                            "route": "/gateway/v1/chat/completions",
                            "stream": i % 4 == 0,
                        },
                    }
                )
            with container.uow() as uow:
                audit.append_many(uow, rows)
            made += size
            if made == next_checkpoint and made < entries:
                with container.uow() as uow:
                    audit.create_checkpoint(uow, system)  # signs the tip; its own entry comes after
                made += 1
    finally:
        container.close()


# --- timing ---------------------------------------------------------------------------------------


def measure_once(data_dir: Path, database_url: str) -> None:
    """In a fresh process: one full check, printed as JSON (wall and CPU seconds, what it found)."""
    from sqlalchemy import select

    from frontier_review.audit import service as audit
    from frontier_review.audit.orm import AuditChainHead
    from frontier_review.composition import build_container
    from frontier_review.config import Settings

    container = build_container(Settings(data_dir=data_dir, database_url=database_url))
    try:
        with container.uow() as uow:  # the process's first ORM query configures the mappers, as the CLI's does
            uow.session.scalars(select(AuditChainHead)).all()
        with container.uow() as uow:
            wall, cpu = time.perf_counter(), time.process_time()
            report = audit.verify_log(uow.session, container.keyring)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        container.close()
    found = {"entries": report.entries, "checkpoints": report.checkpoints, "ok": report.ok, "problems": report.problems[:3]}
    print(json.dumps({"wall": wall, "cpu": cpu, **found}))


@dataclass
class Timing:
    """The runs of one tree on one log."""

    walls: list[float]
    cpus: list[float]
    entries: int
    checkpoints: int

    @property
    def per_second(self) -> float:
        return self.entries / statistics.median(self.walls)


def _environment(src: Path, data_dir: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FR_")}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(src), str(ROOT)]),
            "FR_DATA_DIR": str(data_dir),
            "FR_DATABASE_URL": database_url,
            "FR_SESSION_SECRET": "audit-benchmark-session-secret-" * 2,
            "COLUMNS": "120",
        }
    )
    return env


def time_tree(src: Path, data_dir: Path, database_url: str, runs: int) -> Timing:
    """``runs`` full checks by the code in ``src``, each in a new process."""
    samples = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.audit", "--measure-once", str(data_dir), database_url],
            env=_environment(src, data_dir, database_url),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            sys.exit(f"verification with {src} failed:\n{done.stderr}")
        sample = json.loads(done.stdout.strip().splitlines()[-1])
        if not sample["ok"]:
            sys.exit(f"verification with {src} found problems in a log built intact: {sample['problems']}")
        samples.append(sample)
    return Timing([s["wall"] for s in samples], [s["cpu"] for s in samples], samples[0]["entries"], samples[0]["checkpoints"])


def time_cli(data_dir: Path, database_url: str, empty: tuple[Path, str], runs: int) -> tuple[float, float]:
    """Median wall seconds of ``frontier-review audit verify`` on the log, and on an empty log (start-up)."""

    def run(directory: Path, url: str) -> float:
        started = time.perf_counter()
        done = subprocess.run(
            [str(ENTRY_POINT), "audit", "verify"],
            env=_environment(SRC, directory, url),
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"frontier-review audit verify exited {done.returncode}:\n{done.stderr}")
        return elapsed

    run(*empty)  # warm the file cache
    startup = statistics.median(run(*empty) for _ in range(5))
    return statistics.median(run(data_dir, database_url) for _ in range(runs)), startup


# --- databases ------------------------------------------------------------------------------------


def _database(stack: ExitStack, target: str, data_dir: Path) -> str:
    """A URL for a new, empty database: a file in ``data_dir``, or a new database on ``target``'s server."""
    return scratch_database(stack, None if target == "sqlite" else target, data_dir / "frontier.db", prefix="bench_audit")


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}"


def respell_legacy(database_url: str) -> None:
    """Every entry's details in ``json.dumps``' spelling, as the JSON type stored them before ``CanonicalJSON``."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            last = conn.execute(sa.text("SELECT max(seq) FROM audit_entries")).scalar_one() or 0
        for low in range(0, last, 20_000):
            with engine.begin() as conn:
                stored = conn.execute(
                    sa.text("SELECT seq, CAST(details AS TEXT) FROM audit_entries WHERE seq > :low AND seq <= :high"),
                    {"low": low, "high": low + 20_000},
                ).all()
                respelled = [{"s": seq, "d": json.dumps(json.loads(text))} for seq, text in stored]
                conn.execute(sa.text("UPDATE audit_entries SET details = :d WHERE seq = :s"), respelled)
    finally:
        engine.dispose()


@dataclass
class Result:
    """One log's figures: the full check by each tree, and the command's end to end."""

    backend: str
    entries: int
    written: str
    timings: dict[str, Timing]
    load: float
    cli: tuple[float, float] | None = None


def bench_log(stack: ExitStack, args: argparse.Namespace, target: str, size: int) -> list[Result]:
    """Build one log, time it as written, then respelled as a log written before this change."""
    backend = "SQLite" if target == "sqlite" else "PostgreSQL"
    data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fr-audit-bench-")))
    url = _database(stack, target, data_dir)
    empty: tuple[Path, str] | None = None
    if args.cli and size == min(args.sizes):
        from frontier_review.db import migrate

        empty_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fr-audit-bench-empty-")))
        empty = (empty_dir, _database(stack, target, empty_dir))
        migrate.upgrade(empty[1])
    started = time.perf_counter()
    build_log(data_dir, url, size)
    print(f"{backend} {size:,} entries built in {time.perf_counter() - started:.0f} s", flush=True)
    results = []
    trees = [("this checkout", SRC, args.runs)] + (
        [("--against", args.against.resolve(), args.against_runs)] if args.against else []
    )
    for written in ("by this code", "before (json.dumps)"):
        if written != "by this code":
            started = time.perf_counter()
            respell_legacy(url)
            print(f"  details respelled as json.dumps writes them in {time.perf_counter() - started:.0f} s", flush=True)
            trees = trees[:1]  # the code before reads every spelling alike: timed once
        timings = {label: time_tree(src, data_dir, url, runs) for label, src, runs in trees}
        result = Result(backend, size, written, timings, os.getloadavg()[0])
        for label, t in timings.items():
            walls = ", ".join(f"{w:.2f}" for w in t.walls)
            print(f"  written {written}, {label}: {t.per_second:,.0f} entries/s (runs {walls} s; {_load()})", flush=True)
        if empty is not None:
            result.cli = time_cli(data_dir, url, empty, args.runs)
            print(f"  frontier-review audit verify: {result.cli[0]:.2f} s, start-up {result.cli[1]:.2f} s", flush=True)
        results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="Log sizes, comma-separated.")
    parser.add_argument("--runs", type=int, default=3, help="Timed runs of this checkout per log (the median is shown).")
    parser.add_argument(
        "--database-url",
        action="append",
        help=f"'sqlite', or a PostgreSQL server's URL (a fresh database is made there); repeatable. "
        f"Default: sqlite and {DEFAULT_SERVER}.",
    )
    parser.add_argument("--against", type=Path, help="Also time this earlier checkout's src directory on the same logs.")
    parser.add_argument("--against-runs", type=int, default=1)
    parser.add_argument("--cli", action="store_true", help="Also time `frontier-review audit verify` on the smallest log.")
    parser.add_argument("--measure-once", nargs=2, metavar=("DATA_DIR", "DATABASE_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_once:
        measure_once(Path(args.measure_once[0]), args.measure_once[1])
        return
    args.sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{os.cpu_count()} CPUs, {_load()}", flush=True)
    results: list[Result] = []
    for target in args.database_url or ["sqlite", DEFAULT_SERVER]:
        for size in args.sizes:
            with ExitStack() as stack:
                results += bench_log(stack, args, target, size)
    _print(results, args)


def _print(results: list[Result], args: argparse.Namespace) -> None:
    print()
    print(f"Full check (every entry from genesis, {CHECKPOINTS} checkpoints): entries per second, median of {args.runs} runs")
    print("(cpu: this process's seconds; on PostgreSQL the server's work comes on top, in its own process)")
    header = f"{'database':<11} {'entries':>10} {'written':<20} {'this checkout':>14} {'cpu s':>6}"
    if args.against:
        header += f" {'--against':>10} {'speed-up':>9}"
    print(header + f" {'baseline':>9} {'goal':>8}  met  load")
    for r in results:
        mine = r.timings["this checkout"]
        row = f"{r.backend:<11} {r.entries:>10,} {r.written:<20} {mine.per_second:>14,.0f} {statistics.median(mine.cpus):>6.2f}"
        if args.against:
            old = r.timings.get("--against")
            row += f" {old.per_second:>10,.0f} {mine.per_second / old.per_second:>8.1f}x" if old else f" {'':>10} {'':>9}"
        met = "yes" if mine.per_second >= GOAL_PER_SECOND else "no"
        print(row + f" {BASELINE_PER_SECOND:>9,} {GOAL_PER_SECOND:>8,}  {met:<4} {r.load:.2f}")
    timed = [r for r in results if r.cli]
    if timed:
        print()
        print("`frontier-review audit verify` end to end (median wall seconds; start-up: the same on an empty log)")
        print(f"{'database':<11} {'entries':>10} {'written':<20} {'command':>8} {'start-up':>9} {'after':>7} {'entries/s':>10}")
        for r in timed:
            assert r.cli is not None
            whole, startup = r.cli
            after = whole - startup
            rate = f"{r.entries / after:>10,.0f}" if after > 0 else f"{'-':>10}"
            print(f"{r.backend:<11} {r.entries:>10,} {r.written:<20} {whole:>8.2f} {startup:>9.2f} {after:>7.2f} {rate}")


if __name__ == "__main__":
    main()
