"""Login timing: an unknown user must cost about the same as a wrong password.

Baseline: the wrong-password path (one argon2id verification against the user's hash).
Measured: the unknown-user path (and, for reference, a correct password), through the real
service on an SQLite database in a temporary directory.

    .venv/bin/python -m benchmarks.login_timing [--rounds 30]
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from frontier_review.composition import build_container
from frontier_review.config import Settings
from frontier_review.db import migrate
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.errors import NotAuthenticated
from frontier_review.kernel.principal import Principal

PASSWORD = "benchmark password 1234"


def _time(fn: Callable[[], None], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+pysqlite:///{Path(tmp) / 'bench.db'}"
        migrate.upgrade(url)
        settings = Settings(
            data_dir=Path(tmp),
            database_url=url,
            master_key=base64.b64encode(os.urandom(32)).decode(),
            session_secret="x" * 40,
            login_max_failures=10**9,  # measure the failure path, not the lockout
        )
        container = build_container(settings)
        system = Principal.system("benchmark")
        with container.uow() as uow:
            org = identity.create_organization(uow, system, name="Bench Agency", kind=OrgKind.AGENCY)
            identity.create_user(
                uow, system, org_id=org.id, email="known@example.org", full_name="Known User", password=PASSWORD, role=Role.ADMIN
            )

        def attempt(email: str, password: str) -> Callable[[], None]:
            def run() -> None:
                try:
                    with container.uow() as uow:
                        identity.login(uow, email=email, password=password)
                except NotAuthenticated:
                    pass

            return run

        attempt("known@example.org", "warm-up password")()
        wrong = _time(attempt("known@example.org", "wrong password here"), args.rounds)
        unknown = _time(attempt("nobody@example.org", "wrong password here"), args.rounds)
        right = _time(attempt("known@example.org", PASSWORD), args.rounds)
        container.close()

    def row(name: str, samples: list[float], base: float) -> str:
        median = statistics.median(samples)
        return f"{name:<26} {median:9.1f} {statistics.pstdev(samples):9.1f} {median / base:9.2f}x"

    base = statistics.median(wrong)
    print(f"login timing over {args.rounds} rounds (milliseconds; baseline = wrong password)")
    print(f"{'path':<26} {'median':>9} {'stdev':>9} {'vs base':>10}")
    print(row("wrong password (baseline)", wrong, base))
    print(row("unknown user", unknown, base))
    print(row("correct password", right, base))


if __name__ == "__main__":
    main()
