"""One benchmark run in its own process (``python -m frontier_review.processes eval-run RUN_ID ATTEMPT``).

The process's entry point, which builds the container, is ``frontier_review.processes``; this
module gets a :class:`~frontier_review.jobs.context.JobContext` and names no composition.

Inspect runs one eval per process, so each run gets a fresh one. Everything Inspect writes
(logs, data, traces) stays under ``<data dir>/evals``; the log is sealed into the database
and the plaintext removed. Nothing item-related is printed or stored outside the sealed log (E1).
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from frontier_review.coverage import results
from frontier_review.evals import runs, targets
from frontier_review.evals import service as suites
from frontier_review.evals.domain import RunStatus, transition
from frontier_review.evals.orm import BenchmarkRun, ModelTarget, SealedSuite
from frontier_review.jobs.context import JobContext
from frontier_review.kernel.errors import ValidationFailed
from frontier_review.kernel.principal import Principal
from frontier_review.security import service as security

RUNNER = Principal.system("evals-runner")
PROGRESS_INTERVAL = 1.0  # seconds between progress writes


_ERROR_CLASS = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Timeout|Failure|Exceeded))\b")
_HTTP_STATUS = re.compile(r"(?:[Ee]rror code|[Ss]tatus(?: code)?)[:= ]+(\d{3})\b")


def _safe_reason(message: str) -> str:
    """Only an error's class and HTTP status, never its text.

    Inspect's messages can quote the whole request, items included (E1). Cleared staff read each
    full error in the transcripts.
    """
    kind = match.group(1) if (match := _ERROR_CLASS.search(message or "")) else "error"
    status = f", HTTP {found.group(1)}" if (found := _HTTP_STATUS.search(message or "")) else ""
    return f"{kind}{status}"


def _exception_reason(exc: Exception) -> str:
    """An exception's class and HTTP status, for the same reason as :func:`_safe_reason`."""
    status = _HTTP_STATUS.search(str(exc))
    return type(exc).__name__ + (f", HTTP {status.group(1)}" if status else "")


def _scrub(message: str, secrets: list[str]) -> str:
    """A failure reason never quotes an item, a target or an answer (E1)."""
    text = message.splitlines()[0][:300] if message else ""
    for secret in secrets:
        if len(secret) >= 4 and secret in text:
            text = text.replace(secret, "[item text]")
    return text


def _prepare_environment(
    data_dir: Path, run_id: uuid.UUID, target: ModelTarget, base_url: str | None, api_key: str | None
) -> Path:
    base = data_dir / "evals"
    log_dir = base / "logs" / str(run_id)
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(base, 0o700)
    # Inspect's data directory and traces go under the instance's data directory, not $HOME.
    os.environ["XDG_DATA_HOME"] = str(base / "inspect-data")
    os.environ["XDG_CACHE_HOME"] = str(base / "inspect-cache")
    os.environ["INSPECT_LOG_DIR"] = str(log_dir)
    # Inspect's trace log keeps every sample error, which can quote whole requests: it lives in
    # the run's own directory, removed with the plaintext log when the run ends (E1).
    os.environ["INSPECT_TRACE_FILE"] = str(log_dir / "trace.log")
    os.environ["INSPECT_DISPLAY"] = "none"
    if target.model.startswith("openai-api/"):
        service = target.model.split("/")[1].upper().replace("-", "_")
        os.environ[f"{service}_API_KEY"] = api_key or "no-key"
        if base_url:
            os.environ[f"{service}_BASE_URL"] = base_url
    return log_dir


def _offline_token_counting() -> None:
    """Keep Inspect's token counting offline.

    Inspect estimates tokens with tiktoken, which downloads its encoding on first use. Usage
    comes from the model's responses; the rare estimate uses a character count instead.
    """
    from inspect_ai.model import _model, _tokens

    def estimate(text: str) -> int:
        return max(1, int(len(text) / 3.5))

    _tokens.count_text_tokens = estimate
    _model.count_text_tokens = estimate  # type: ignore[attr-defined]


def _register_progress(sessions: Any, run_id: uuid.UUID) -> None:
    from inspect_ai.hooks import Hooks, SampleEnd, hooks

    pending = {"done": 0, "errors": 0, "flushed_at": 0.0}

    @hooks(name="frontier_review_progress", description="Frontier Review run progress")
    class Progress(Hooks):
        async def on_sample_end(self, data: SampleEnd) -> None:
            pending["done"] += 1
            pending["errors"] += 1 if getattr(data.sample, "error", None) else 0
            # At most one write a second: progress is for people watching, and a write per
            # sample costs throughput at high concurrency. The final counts come from the log.
            if time.monotonic() - pending["flushed_at"] < PROGRESS_INTERVAL:
                return
            done, errors = int(pending["done"]), int(pending["errors"])
            pending.update(done=0, errors=0, flushed_at=time.monotonic())
            with sessions() as session, session.begin():
                run = session.get(BenchmarkRun, run_id)
                if run is not None:
                    run.samples_done += done
                    run.errors += errors


def _value(sample: Any) -> float:
    """A sample's score as 0..1; a sample that errored or was not scored counts as 0 (E3)."""
    if sample.error or not sample.scores:
        return 0.0
    from inspect_ai.scorer import value_to_float

    first = next(iter(sample.scores.values()))
    return float(value_to_float()(first.value))


def _summary(log: Any) -> dict[str, Any]:
    """Aggregates over every sample.

    Unlike Inspect's own accuracy, which leaves errored samples out, a sample that failed counts
    as wrong here, so errors can never raise a score.
    """
    out: dict[str, Any] = {"status": log.status, "score": None, "stderr": None, "errors": 0, "limits": 0}
    out.update({"in": 0, "out": 0, "done": 0})
    values = []
    for sample in log.samples or []:
        out["done"] += 1
        out["errors"] += 1 if sample.error else 0
        out["limits"] += 1 if sample.limit else 0
        values.append(_value(sample))
    if values:
        mean = sum(values) / len(values)
        out["score"] = mean
        if len(values) > 1:
            out["stderr"] = (sum((v - mean) ** 2 for v in values) / (len(values) - 1) / len(values)) ** 0.5
    for usage in (log.stats.model_usage or {}).values():
        out["in"] += usage.input_tokens
        out["out"] += usage.output_tokens
    return out


def _grader(uow: Any, manifest: dict[str, Any], run: BenchmarkRun) -> tuple[ModelTarget, str | None, str | None] | None:
    """The grader target of a model-graded suite, with its URL and key; ``None`` for other scorers.

    It is pinned by id when the run was queued: a target registered later under the grader's
    name never receives the items.
    """
    if manifest.get("scorer") != "model_graded":
        return None
    row = uow.session.get(ModelTarget, run.grader_target_id) if run.grader_target_id else None
    if row is None:
        raise LookupError("the run has no grader target; queue it again")
    return row, targets.target_base_url(uow, row), targets.target_api_key(uow, row)


def _connect_check(uow: Any, classified: bool, endpoints: list[tuple[str, ModelTarget, str | None]]) -> str:
    """Checks repeated just before the first call; an empty string when the run may go ahead.

    The address policy (DNS may have changed since the target was registered) and, for a
    classified suite, the operator's override (it may have been revoked since the run was queued).
    """
    for role, row, url in endpoints:
        if classified and row.classified_allowed_at is None:
            return f"the {role} {row.name!r} is no longer allowed to receive classified items"
        if url:
            try:
                targets.check_base_url(uow, url)
            except ValidationFailed as exc:
                return f"the {role} {row.name!r} is refused by the address policy: {exc.message}"
    return ""


def _all_failed(log: Any) -> str:
    """A run whose every sample failed measured nothing.

    It fails, with the first sample's error as the reason, rather than recording a score of zero
    as evidence.
    """
    samples = log.samples or []
    if not samples or not all(s.error for s in samples):
        return ""
    first = _safe_reason(samples[0].error.message)
    return f"every sample failed; the first: {first} (cleared staff see each error in the transcripts)"


def _client_args(model: str) -> dict[str, Any]:
    """Arguments for the provider's SDK client.

    Inspect retries a failed request ``max_retries`` times itself; the OpenAI SDK would retry each
    of those twice more, with back-off, so a run against a target that is down made nine attempts
    per sample where it asked for three.
    """
    return {"max_retries": 0} if model.startswith("openai-api/") else {}


def run(run_id: uuid.UUID, attempt: int, context: JobContext) -> int:  # noqa: PLR0915 - load, evaluate, record
    """Run attempt ``attempt`` of the run, if it is still this attempt's, and record its outcome."""
    started = time.monotonic()
    with context.uow() as uow:
        row = uow.session.get(BenchmarkRun, run_id)
        if row is None or row.status != RunStatus.RUNNING.value or row.attempts != attempt:
            return 0
        target = uow.session.get(ModelTarget, row.target_id)
        bench = results.get_benchmark_by_id(uow, row.benchmark_id)
        suite = uow.session.query(SealedSuite).filter(SealedSuite.benchmark_id == row.benchmark_id).one()
        assert target is not None
        samples = suites._open(uow, suite)
        manifest = dict(suite.manifest)
        api_key = targets.target_api_key(uow, target)
        base_url = targets.target_base_url(uow, target)
        settings = (row.max_connections, row.max_retries, row.timeout_seconds)
        try:
            grader, setup_error = _grader(uow, manifest, row), ""
        except LookupError as exc:  # removed since the run was queued: the run fails, readably
            grader, setup_error = None, str(exc)
        checked = [("target", target, base_url)] + ([("grader target", grader[0], grader[1])] if grader else [])
        setup_error = setup_error or _connect_check(uow, bench.classified, checked)
    secrets = [s.input for s in samples] + [s.target for s in samples] + [c for s in samples for c in s.choices]
    log_dir = _prepare_environment(context.settings.data_dir, run_id, target, base_url, api_key)
    try:
        if setup_error:
            raise RuntimeError(setup_error)
        from inspect_ai import eval as inspect_eval

        from frontier_review.evals.inspect_task import build_task

        _offline_token_counting()
        _register_progress(context.sessions, run_id)
        grader_model = None
        if grader is not None:
            from inspect_ai.model import get_model

            # Explicit URL and key: the grader may live on another server than the target.
            grader_model = get_model(
                grader[0].model, base_url=grader[1], api_key=grader[2] or "no-key", **_client_args(grader[0].model)
            )
        logs = inspect_eval(
            build_task(manifest, samples, grader_model),
            model=target.model,
            model_base_url=base_url,
            model_args=_client_args(target.model),
            log_dir=str(log_dir),
            display="none",
            max_connections=settings[0],
            max_retries=settings[1],
            timeout=settings[2],
            fail_on_error=False,
            ctl_server=False,  # no control socket: nothing outside this process can reach the eval
            # Bounded output per call: a small model that never stops must not hold a run hostage.
            max_tokens=min(int(manifest.get("token_limit", 4096)), 256),
            log_format="eval",
        )
        summary = _summary(logs[0])
        error = f"the evaluation failed: {_safe_reason(logs[0].error.message)}" if logs[0].error else _all_failed(logs[0])
    except Exception as exc:  # the run fails with a readable reason; the worker lives on
        summary, error = (
            {"status": "error", "score": None, "stderr": None, "errors": 0, "limits": 0, "in": 0, "out": 0, "done": 0},
            setup_error or _exception_reason(exc),
        )
    log_bytes = b"".join(p.read_bytes() for p in sorted(log_dir.glob("*.eval")))
    with context.uow() as uow:
        row = uow.session.get(BenchmarkRun, run_id)
        assert row is not None
        # Cancelled, or re-queued and claimed again after this runner's worker was presumed dead:
        # only the current attempt records an outcome.
        if row.status != RunStatus.RUNNING.value or row.attempts != attempt:
            return 0
        if log_bytes:
            row.log_sealed = security.seal_field(uow, log_bytes, table="benchmark_runs", row_id=str(row.id), field="log_sealed")
        row.samples_done, row.errors, row.limits_hit = summary["done"], summary["errors"], summary["limits"]
        row.input_tokens, row.output_tokens = summary["in"], summary["out"]
        row.duration_seconds = round(time.monotonic() - started, 3)
        row.finished_at = uow.clock.now()
        ok = summary["status"] == "success" and summary["score"] is not None and not error
        row.status = transition(RunStatus.RUNNING, RunStatus.SUCCEEDED if ok else RunStatus.FAILED).value
        runs.record_scores(uow, row, classified=bench.classified, score=summary["score"], stderr=summary["stderr"])
        if ok:
            result = results.record_result(
                uow,
                RUNNER,
                benchmark=bench.name,
                benchmark_version=bench.version,
                score=float(summary["score"]),
                model_version_id=target.model_version_id,
                reference_model=target.reference_model,
                stderr=float(summary["stderr"]) if summary["stderr"] is not None else None,
                samples=summary["done"] or None,
                scaffold_version=row.scaffold_version,
                run_ref=str(row.id),
            )
            row.result_id = result.id
        else:
            row.failure_reason = _scrub(error, secrets) or "the evaluation did not produce a score"
        from frontier_review.audit import service as audit
        from frontier_review.evals.tags import EvalsTag

        audit.record(
            uow,
            RUNNER,
            EvalsTag.for_finished_run(RunStatus(row.status)),
            target_type="benchmark_run",
            target_id=row.id,
            # Counts only: a classified score never enters the audit log; the run id leads to it.
            details={"errors": row.errors, "samples": row.samples_done},
        )
    shutil.rmtree(log_dir, ignore_errors=True)
    return 0
