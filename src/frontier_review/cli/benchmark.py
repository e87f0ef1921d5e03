"""``frontier-review benchmark``: seal, list and (for cleared staff) read benchmark suites."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from frontier_review.cli.common import console, container, fail, handle_errors
from frontier_review.evals.package import PackageInvalid, load_package
from frontier_review.kernel.principal import Principal

app = typer.Typer(no_args_is_help=True)  # its help is in cli.main.GROUPS
OPERATOR = Principal.system("cli")


@app.command("seal")
@handle_errors
def seal(folder: Path = typer.Argument(..., help="The package folder (manifest.toml and its JSONL).")) -> None:
    """Validate a benchmark package and store its samples encrypted; reports what it stored."""
    from frontier_review.evals import service

    try:
        package = load_package(folder)
    except PackageInvalid as exc:
        for problem in exc.problems:
            console.print(f"[red]{problem.message}[/]", highlight=False, soft_wrap=True)
        raise fail(f"{folder} is not a valid benchmark package ({len(exc.problems)} problem(s))") from None
    c = container()
    with c.uow() as uow:
        view, created = service.seal_package(uow, OPERATOR, package)
    state = "sealed" if created else "already sealed with the same content"
    marking = "classified" if view.classified else "unclassified"
    console.print(f"{state}: {view.ref} ({marking}, {view.sample_count} samples, solver {view.solver}, scorer {view.scorer})")


@app.command("list")
@handle_errors
def list_() -> None:
    """Sealed suites: metadata only, never items."""
    from frontier_review.evals import service

    c = container()
    with c.uow() as uow:
        rows = service.list_suites(uow, OPERATOR)
    table = Table(title="sealed benchmark suites")
    table.add_column("benchmark", no_wrap=True)
    for col in ("title", "domain", "marking", "samples", "sealed"):
        table.add_column(col)
    for s in rows:
        table.add_row(
            s.ref,
            s.title,
            s.domain,
            "classified" if s.classified else "unclassified",
            str(s.sample_count),
            f"{s.sealed_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@app.command("items")
@handle_errors
def items(ref: str = typer.Argument(..., help="name@version (or name for the latest).")) -> None:
    """Print a suite's items (the read is audited). Operators on the server and cleared program-office staff only."""
    from frontier_review.evals import service

    c = container()
    with c.uow() as uow:
        view, samples = service.read_items(uow, OPERATOR, ref)
    console.print(f"[bold]{view.ref}[/] — {view.sample_count} items ({'CLASSIFIED' if view.classified else 'unclassified'})")
    for sample in samples:
        console.print(f"\n[bold]{sample.id}[/] (answer: {sample.target})", highlight=False)
        console.print(sample.input, markup=False, highlight=False)
        for letter, choice in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", sample.choices, strict=False):
            console.print(f"  {letter}. {choice}", markup=False, highlight=False)


target_app = typer.Typer(help="Model targets: how to reach a model under evaluation.", no_args_is_help=True)
app.add_typer(target_app, name="target")


@target_app.command("add")
@handle_errors
def target_add(
    name: str = typer.Option(..., help="A short unique name."),
    model: str = typer.Option(..., help="Inspect model string, e.g. openai-api/local/smollm2."),
    base_url: str | None = typer.Option(None, help="OpenAI-compatible base URL (…/v1)."),
    api_key_env: str | None = typer.Option(
        None, help="Name of an environment variable holding the key (never pass keys as arguments)."
    ),
    version: str | None = typer.Option(None, help="The registered version it serves: id or MODEL:LABEL."),
    reference: str | None = typer.Option(None, help="Or: the reference model label it serves."),
) -> None:
    """Register a target; its key is sealed at rest and never shown again."""
    import os

    from frontier_review.cli.coverage import resolve_version
    from frontier_review.evals import targets

    key = os.environ.get(api_key_env) if api_key_env else None
    if api_key_env and key is None:
        raise fail(f"environment variable {api_key_env} is not set")
    c = container()
    with c.uow() as uow:
        version_id = resolve_version(uow, version) if version else None
        view = targets.create_target(
            uow,
            OPERATOR,
            name=name,
            model=model,
            base_url=base_url,
            api_key=key,
            model_version_id=version_id,
            reference_model=reference,
        )
    console.print(f"target {view.name}: {view.model} for {view.subject}{' (key sealed)' if view.has_key else ''}")


@target_app.command("list")
@handle_errors
def target_list() -> None:
    """Registered targets (keys are never shown)."""
    from frontier_review.evals import targets

    c = container()
    with c.uow() as uow:
        rows = targets.list_targets(uow, OPERATOR)
    table = Table(title="model targets")
    for col in ("name", "model", "endpoint", "key", "serves", "classified runs"):
        table.add_column(col)
    for t in rows:
        allowed = "allowed" if t.classified_allowed else "refused"
        table.add_row(t.name, t.model, t.endpoint or "—", "set" if t.has_key else "—", t.subject, allowed)
    console.print(table)


@target_app.command("allow-classified")
@handle_errors
def target_allow_classified(
    name: str = typer.Argument(..., help="The target's name."),
    reason: str = typer.Option("", "--reason", help="Why it may receive classified items (audited)."),
    revoke: bool = typer.Option(False, "--revoke", help="Withdraw the permission instead."),
) -> None:
    """Let classified suites run on a target (operator only, audited).

    Every target counts as developer-hosted until then: a classified suite's items reach the
    target's server in clear. Allow only targets the program office hosts itself, or where the
    exposure is accepted for this target.
    """
    from frontier_review.evals import targets

    c = container()
    with c.uow() as uow:
        view = targets.allow_classified(uow, OPERATOR, target=name, reason=reason, allowed=not revoke)
    state = "may now run classified suites" if view.classified_allowed else "no longer runs classified suites"
    console.print(f"target {view.name} {state}")


@app.command("run")
@handle_errors
def run(
    benchmark: str = typer.Argument(..., help="name@version"),
    target: str = typer.Option(..., "--target", help="Target name."),
    max_connections: int = typer.Option(8, min=1, max=256),
    max_retries: int = typer.Option(2, min=0, max=10, help="Per model call; never unlimited."),
    timeout: int = typer.Option(120, min=1, max=3600, help="Seconds per model call."),
    follow: bool = typer.Option(False, "--follow", help="Show a progress bar until the run finishes."),
) -> None:
    """Queue a run (a worker executes it: `serve` runs one, or `frontier-review worker`)."""
    import time as _time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from frontier_review.evals import runs
    from frontier_review.evals.tasks import RUN_TASK

    c = container()
    queue = c.jobs

    def dispatch(run_id: object) -> None:
        queue.enqueue(RUN_TASK, str(run_id))

    with c.uow() as uow:
        view = runs.start_run(
            uow,
            OPERATOR,
            benchmark=benchmark,
            target=target,
            dispatch=dispatch,
            max_connections=max_connections,
            max_retries=max_retries,
            timeout_seconds=timeout,
        )
    console.print(f"queued run {view.id}: {view.benchmark} on {view.target} ({view.samples_total} samples)")
    if not follow:
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("errors {task.fields[errors]}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(view.status.value, total=view.samples_total, errors=0)
        while True:
            with c.uow() as uow:
                view = runs.get_run(uow, OPERATOR, view.id)
            bar.update(task, completed=view.samples_done, description=view.status.value, errors=view.errors)
            if view.status.finished:
                break
            _time.sleep(1)
    if view.status.value == "succeeded":
        stderr = f" ± {view.stderr:.3f}" if view.stderr is not None else ""
        console.print(
            f"[green]succeeded[/]: score {view.score:.3f}{stderr} over {view.samples_done} samples, {view.errors} errors"
        )
    else:
        raise fail(f"run {view.status.value}: {view.failure_reason or ''}")


@app.command("seal-legacy")
@handle_errors
def seal_legacy() -> None:
    """Seal what earlier versions stored in plaintext (classified scores, target URLs); idempotent."""
    from frontier_review.evals import runs

    c = container()
    with c.uow() as uow:
        done = runs.seal_legacy(uow, OPERATOR)
    console.print(
        f"sealed: {len(done.results)} classified result(s), {len(done.runs)} classified run score(s), "
        f"{len(done.targets)} target URL(s)"
    )


@app.command("runs")
@handle_errors
def runs_list() -> None:
    """Recent runs with their aggregate results."""
    from frontier_review.evals import runs

    c = container()
    with c.uow() as uow:
        rows = runs.list_runs(uow, OPERATOR)
    table = Table(title="benchmark runs")
    for col in ("run", "benchmark", "target", "status", "progress", "errors", "score", "created"):
        table.add_column(col)
    for r in rows:
        score = "sealed" if r.scores_withheld else (f"{r.score:.3f}" if r.score is not None else "—")
        table.add_row(
            str(r.id)[:8],
            r.benchmark,
            r.target,
            r.status.value,
            f"{r.samples_done}/{r.samples_total}",
            str(r.errors),
            score,
            f"{r.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@app.command("cancel")
@handle_errors
def cancel(run_id: str = typer.Argument(..., help="The run id.")) -> None:
    """Cancel a queued or running run."""
    from frontier_review.evals import runs
    from frontier_review.kernel.ids import parse_id

    c = container()
    with c.uow() as uow:
        view = runs.cancel_run(uow, OPERATOR, parse_id(run_id, field="run_id"))
    console.print(f"run {view.id}: {view.status.value}{' (stopping)' if view.status.value == 'running' else ''}")
