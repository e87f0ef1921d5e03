"""Entry points of the processes the platform starts for itself, each building its own container.

They live at the top, beside the composition root, so that no area imports the composition:
the evals runner (``evals.runner``) is handed a job context built here.

``python -m frontier_review.processes eval-run RUN_ID ATTEMPT`` runs one benchmark run;
``python -m frontier_review.processes eval-run --warm`` imports Inspect first, then waits for
``RUN_ID ATTEMPT`` on stdin (workers keep one such process ready).
"""

from __future__ import annotations

import sys
import uuid

from frontier_review.composition import build_container


def run_eval(run_id: uuid.UUID, attempt: int) -> int:
    """Run one benchmark run in this process."""
    from frontier_review.evals import runner

    return runner.run(run_id, attempt, build_container().job_context())


def warm_eval() -> int:
    """Import everything first, then wait for one run id on stdin (``--warm``).

    Workers keep one such process ready, so the seconds Inspect takes to import are not spent
    while a run waits; each process still runs exactly one eval.
    """
    import inspect_ai  # noqa: F401 - imported now, before the run is known

    from frontier_review.evals import inspect_task, runner  # noqa: F401

    context = build_container().job_context()  # settings, keys and the database engine, ready before the run
    line = sys.stdin.readline().split()
    if len(line) != 2:
        return 0  # the worker went away without giving us a run
    return runner.run(uuid.UUID(line[0]), int(line[1]), context)


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``eval-run`` (the only process kind so far)."""
    args = sys.argv[1:] if argv is None else argv
    match args:
        case ["eval-run", "--warm"]:
            return warm_eval()
        case ["eval-run", run_id, attempt]:
            return run_eval(uuid.UUID(run_id), int(attempt))
        case _:
            sys.stderr.write("usage: python -m frontier_review.processes eval-run (RUN_ID ATTEMPT | --warm)\n")
            return 2


if __name__ == "__main__":
    sys.exit(main())
