"""What cancelling a benchmark run will do, in words, for its confirmation page (web/confirm.py).

The numbers come from :func:`frontier_review.evals.runs.get_run`, authorized like the cancel itself
(program office; a classified suite's run only for cleared staff, NotFound for anyone else). An
unfinished run has no score yet, so nothing sealed is opened here. Its progress moves while the
page is read, so it is shown ``as_of`` the page and left out of the digest; queued or running is in
the effects, so a run that starts in between makes the confirmation stale.
"""

from __future__ import annotations

import uuid

from frontier_review.db.uow import UnitOfWork
from frontier_review.evals import runs
from frontier_review.evals.domain import RunStatus, format_duration, run_timing
from frontier_review.kernel.errors import Conflict
from frontier_review.kernel.principal import Principal
from frontier_review.web.confirm import Consequences

__all__ = ["cancel"]


def cancel(uow: UnitOfWork, principal: Principal, run_id: uuid.UUID) -> Consequences:
    """Cancelling a queued or running run.

    Raises:
        NotFound: No such run, or one the caller may not see.
        PermissionDenied: The caller may not manage benchmark runs.
        Conflict: The run has already finished.
    """
    run = runs.get_run(uow, principal, run_id)
    if run.status.finished:
        raise Conflict(f"the run already {run.status.value}", field="status")
    subject = f"{run.benchmark} on {run.target}"
    as_of: tuple[str, ...] = ()
    if run.status is RunStatus.QUEUED:
        effects = (
            f"The run of {subject} has not started: it is cancelled at once and never runs.",
            f"None of its {run.samples_total} samples is sent to the model; nothing is recorded.",
        )
    else:
        effects = (
            f"The run of {subject} stops: the worker ends the evaluation within a few seconds.",
            "The samples scored so far are discarded: no score, no benchmark result for coverage and "
            "no Inspect log are recorded.",
        )
        timing = run_timing(
            run.status,
            started_at=run.started_at,
            finished_at=run.finished_at,
            duration_seconds=run.duration_seconds,
            samples_done=run.samples_done,
            samples_total=run.samples_total,
            now=uow.clock.now(),
        )
        elapsed = f", after {format_duration(timing.elapsed)}" if timing.elapsed is not None else ""
        errors = f" ({run.errors} with errors)" if run.errors else ""
        as_of = (f"So far {run.samples_done} of {run.samples_total} samples are scored{errors}{elapsed}.",)
    return Consequences(
        title=f"Cancel the run of {subject}?",
        action=f"/evals/runs/{run_id}/cancel",
        effects=effects,
        final="A cancelled run cannot be resumed: to measure it, start a new run, from the first sample.",
        button="Cancel the run",
        back=f"/evals/runs/{run_id}",
        as_of=as_of,
    )
