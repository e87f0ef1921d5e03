"""Start-up time of the ``frontier-review`` command (issue 11 item 8).

Runs the installed entry point (``frontier-review`` beside this interpreter) in a subprocess,
N times per command line, and prints the median wall time beside the baseline measured before
the command groups were loaded lazily (3.5 s for ``--help``) and the goal (0.5 s). The CPU time
(user + system of the child) is printed too: on a shared machine it moves less than the wall
time. ``audit verify`` runs against a small log (three entries, one checkpoint) in a temporary
data directory set up through the CLI first.

    .venv/bin/python -m benchmarks.cli_startup [--runs 7] [--against OLD_SRC]

``--against`` also times an earlier checkout's ``src`` directory (for example
``git archive b57c70d src | tar -x -C /tmp/old`` then ``--against /tmp/old/src``) in the same
session, so both columns see the same machine load.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE_SECONDS = 3.5  # `frontier-review --help` before this change, as reported in issue 11
GOAL_SECONDS = 0.5
ENTRY_POINT = Path(sys.executable).with_name("frontier-review")

#: The last one reads the database; the goal is for the others (help and simple commands).
COMMANDS: list[list[str]] = [
    ["--help"],
    ["audit", "--help"],
    ["admin", "--help"],
    ["benchmark", "--help"],
    ["audit", "verify", "--help"],
    ["keys", "generate"],
    ["audit", "verify"],
]


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``frontier-review ARGS``; a failing run stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([str(ENTRY_POINT), *args], env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"frontier-review {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _environment(data_dir: Path, src: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FR_")}
    env.update({"FR_DATA_DIR": str(data_dir), "FR_SESSION_SECRET": "cli-startup-benchmark-" * 2, "COLUMNS": "100"})
    if src is not None:
        env["PYTHONPATH"] = src + os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else src
    return env


def _small_log(env: dict[str, str]) -> None:
    """Three audit entries and a signed checkpoint, made through the CLI."""
    for args in (
        ["db", "upgrade"],
        ["admin", "create-org", "--name", "Startup Agency", "--kind", "agency"],
        ["audit", "checkpoint"],
        ["admin", "create-org", "--name", "Second Agency", "--kind", "agency"],
    ):
        _run(args, env)


def _median(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="Runs per command line (the median is shown).")
    parser.add_argument("--against", help="Also time this earlier checkout's src directory.")
    args = parser.parse_args()
    if not ENTRY_POINT.exists():
        sys.exit(f"{ENTRY_POINT} is missing: install the project into this environment first")
    trees: list[tuple[str, str | None]] = [("this checkout", None)]
    if args.against:
        trees.append(("--against", str(Path(args.against).resolve())))
    with tempfile.TemporaryDirectory() as tmp:
        envs = {label: _environment(Path(tmp), src) for label, src in trees}
        _small_log(envs["this checkout"])
        results: dict[tuple[str, str], tuple[float, float]] = {}
        for command in COMMANDS:
            for label, _ in trees:
                _run(command, envs[label])  # warm the file cache
                results[" ".join(command), label] = _median([_run(command, envs[label]) for _ in range(args.runs)])
    load = os.getloadavg()[0]
    print(f"frontier-review start-up, median of {args.runs} runs (seconds; load average {load:.2f} on {os.cpu_count()} CPUs)")
    print(f"baseline {BASELINE_SECONDS} s (`--help` before the change), goal {GOAL_SECONDS} s")
    header = f"{'command':<26} {'wall':>6} {'cpu':>6}"
    if args.against:
        header += f" {'wall (against)':>15} {'cpu (against)':>14}"
    print(header + f" {'baseline':>9} {'goal':>6}  met")
    for command in COMMANDS:
        name = " ".join(command)
        wall, cpu = results[name, "this checkout"]
        row = f"{name:<26} {wall:6.2f} {cpu:6.2f}"
        if args.against:
            old_wall, old_cpu = results[name, "--against"]
            row += f" {old_wall:15.2f} {old_cpu:14.2f}"
        if command == ["audit", "verify"]:
            print(row + f" {BASELINE_SECONDS:9.1f} {'-':>6}  -")
        else:
            print(row + f" {BASELINE_SECONDS:9.1f} {GOAL_SECONDS:6.1f}  {'yes' if wall < GOAL_SECONDS else 'no'}")


if __name__ == "__main__":
    main()
