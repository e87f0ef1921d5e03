"""Benchmark suites: sealed packages, runs on Inspect AI, results that feed coverage.

What other areas may use (import the submodule; this package imports nothing at import time,
which keeps Inspect AI out of every process that does not run an evaluation):

- ``service``: sealing packages and reading them back (``SuiteView``, ``seal_package``, ``read_items``, ``list_suites``);
- ``runs``: targets and runs (``TargetView``, ``RunView``, ``start_run``, ``get_run``, …);
- ``package``: reading a benchmark package from disk (``load_package``, ``PackageInvalid``);
- ``logfile``: per-sample transcripts (``Transcript``);
- ``tasks``: the job names (``RUN_TASK``) and ``register``;
- ``tags``: ``EvalsTag``, the actions evals records;
- ``summary``: runs in progress for the home page (``active_runs``);
- ``browse``: the suites and runs tables' pages and names of audit targets (runs).

``orm``, ``policy``, ``domain``, ``comparison``, ``api``, ``web``, ``runner`` and ``inspect_task``
are for the composition root, the run process and the area itself.
"""

__all__ = ["browse", "logfile", "package", "runs", "service", "summary", "tags", "tasks"]
