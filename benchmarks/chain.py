"""Chaining the access log into the audit log: CPU per row, on SQLite and PostgreSQL.

    PYTHONPATH=$PWD/src .venv/bin/python -m benchmarks.chain [--rows 20000] [--runs 3]
        [--database-url sqlite] [--database-url postgresql://postgres@127.0.0.1:5432/test]

Every gateway call leaves one access-log row, and a chainer thread in each serving process
folds the finished rows into the audit chain (``recorder.chain_pending``): it locks the chain,
reads up to 200 ready rows, hashes one entry per row, inserts the entries, marks the rows, and
records when each upstream was last used. At concurrency 64 that thread's CPU was about a quarter
of a gateway process's (docs/performance.md, "Session 15").

For each database (``sqlite``: a temporary file; a PostgreSQL URL: a fresh database created on
that server and dropped at the end; both by default), each run writes ``--rows`` finished
gateway-call rows shaped like the gateway's (the same columns and detail), then chains them all
and reports the chaining's CPU time per row in this process and its rows per second (wall).
The database's own CPU is not counted. Runs follow one another on one growing log, as in a
serving process; the median run is printed. Compare two checkouts by running each one's
``src`` on ``PYTHONPATH`` in the same session.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frontier_review.engagements.access.recorder import AccessRecord

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: benchmarks/ is on the path, the repository is not
    sys.path.insert(0, str(ROOT))

from benchmarks.databases import scratch_database  # noqa: E402

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
WRITE_BATCH = 1_000


def gateway_rows(count: int, start: datetime, engagement_id: uuid.UUID, users: list[uuid.UUID]) -> list[AccessRecord]:
    """Finished gateway calls, as the gateway records them (``gateway.call.Call._record``)."""
    from frontier_review.engagements.access.recorder import GATEWAY_KIND, AccessRecord

    organization_id, participant_id = uuid.UUID(int=0x2000), uuid.UUID(int=0x3000)
    return [
        AccessRecord(
            kind=GATEWAY_KIND,
            at=start + timedelta(microseconds=450 * i),
            engagement_id=engagement_id,
            actor_label=f"analyst{i % len(users)}@agency.example.gov",
            status=200,
            outcome="ok",
            participant_id=participant_id,
            organization_id=organization_id,
            user_id=users[i % len(users)],
            token_id=uuid.UUID(int=0x4000 + i % len(users)),
            variant="standard",
            prompt_tokens=12 + i % 50,
            completion_tokens=9 + i % 20,
            latency_ms=21.5 + (i % 100) / 10,
            detail={"route": "/chat/completions", **({"stream": True} if i % 2 else {})},
        )
        for i in range(count)
    ]


def run(database_url: str, data_dir: Path, rows: int, runs: int) -> list[tuple[float, float]]:
    """(CPU µs per row, rows per second) of each run."""
    from frontier_review.composition import build_container
    from frontier_review.config import Settings
    from frontier_review.db import migrate
    from frontier_review.engagements.access import recorder

    migrate.upgrade(database_url)
    container = build_container(Settings(data_dir=data_dir, database_url=database_url))
    grace = recorder.in_flight_grace(container.settings)
    engagement_id = uuid.UUID(int=0x1000)
    users = [uuid.UUID(int=0x5000 + i) for i in range(8)]
    start = container.clock.now() - timedelta(hours=1)
    figures: list[tuple[float, float]] = []
    try:
        for n in range(runs + 1):  # the first run warms up (statements prepared, caches filled)
            written = gateway_rows(rows, start + timedelta(minutes=n), engagement_id, users)
            for i in range(0, rows, WRITE_BATCH):
                with container.uow() as uow:
                    recorder.write(uow, written[i : i + WRITE_BATCH])
            cpu, wall, chained = time.process_time(), time.perf_counter(), 0
            while done := recorder.chain_pending(container.uow, grace=grace):
                chained += done
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            assert chained == rows, (chained, rows)
            if n:
                figures.append((1e6 * cpu / rows, rows / wall))
    finally:
        container.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000, help="Rows chained per run (default 20,000).")
    parser.add_argument("--runs", type=int, default=3, help="Measured runs per database, after one warm-up run.")
    parser.add_argument(
        "--database-url", action="append", help="'sqlite' or a PostgreSQL server's URL (repeatable; both by default)."
    )
    args = parser.parse_args()
    targets = args.database_url or ["sqlite", DEFAULT_SERVER]
    import frontier_review

    print(f"code: {Path(frontier_review.__file__).parent}; load {os.getloadavg()[0]:.2f}")
    print(f"{'database':>10}  {'rows':>7}  {'CPU µs/row':>10}  {'rows/s':>8}  (median of {args.runs}; every run)")
    for target in targets:
        with ExitStack() as stack:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fr-chain-bench-")))
            postgres = None if target == "sqlite" else target
            url = scratch_database(stack, postgres, data_dir / "frontier.db", prefix="bench_chain")
            figures = run(url, data_dir / "data", args.rows, args.runs)
        name = "SQLite" if postgres is None else "PostgreSQL"
        cpu = statistics.median(f[0] for f in figures)
        rate = statistics.median(f[1] for f in figures)
        each = ", ".join(f"{c:.1f}/{r:,.0f}" for c, r in figures)
        print(f"{name:>10}  {args.rows:>7,}  {cpu:>10.1f}  {rate:>8,.0f}  ({each})")


if __name__ == "__main__":
    main()
