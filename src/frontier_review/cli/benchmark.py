"""``frontier-review benchmark``: seal, list and (for cleared staff) read benchmark suites."""

from __future__ import annotations

from pathlib import Path

import click

from frontier_review.cli.common import Group, container, echo, fail, handle_errors, print_table
from frontier_review.evals.package import PackageInvalid, load_package
from frontier_review.kernel.principal import Principal

app = Group(no_args_is_help=True)  # its help is in cli.main.GROUPS
OPERATOR = Principal.system("cli")


@app.command("seal")
@click.argument("folder", type=click.Path(path_type=Path), help="The package folder (manifest.toml and its JSONL).")
@handle_errors
def seal(folder: Path) -> None:
    """Validate a benchmark package and store its samples encrypted; reports what it stored."""
    from frontier_review.evals import service

    try:
        package = load_package(folder)
    except PackageInvalid as exc:
        for problem in exc.problems:
            echo(problem.message, fg="red")
        raise fail(f"{folder} is not a valid benchmark package ({len(exc.problems)} problem(s))") from None
    c = container()
    with c.uow() as uow:
        view, created = service.seal_package(uow, OPERATOR, package)
    state = "sealed" if created else "already sealed with the same content"
    marking = "classified" if view.classified else "unclassified"
    echo(f"{state}: {view.ref} ({marking}, {view.sample_count} samples, solver {view.solver}, scorer {view.scorer})")


@app.command("list")
@handle_errors
def list_() -> None:
    """Sealed suites: metadata only, never items."""
    from rich.table import Table

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
    print_table(table)


@app.command("items")
@click.argument("ref", help="name@version (or name for the latest).")
@handle_errors
def items(ref: str) -> None:
    """Print a suite's items (the read is audited). Operators on the server and cleared program-office staff only."""
    from frontier_review.evals import service

    c = container()
    with c.uow() as uow:
        view, samples = service.read_items(uow, OPERATOR, ref)
    marking = "CLASSIFIED" if view.classified else "unclassified"
    echo(f"{click.style(view.ref, bold=True)} — {view.sample_count} items ({marking})")
    for sample in samples:
        echo(f"\n{click.style(sample.id, bold=True)} (answer: {sample.target})")
        echo(sample.input)
        for letter, choice in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", sample.choices, strict=False):
            echo(f"  {letter}. {choice}")


target_app = Group("target", help="Model targets: how to reach a model under evaluation.", no_args_is_help=True)


@target_app.command("add")
@click.option("--name", required=True, help="A short unique name.")
@click.option("--model", required=True, help="Inspect model string, e.g. openai-api/local/smollm2.")
@click.option("--base-url", help="OpenAI-compatible base URL (…/v1).")
@click.option("--api-key-env", help="Name of an environment variable holding the key (never pass keys as arguments).")
@click.option("--version", help="The registered version it serves: id or MODEL:LABEL.")
@click.option("--reference", help="Or: the reference model label it serves.")
@handle_errors
def target_add(
    name: str,
    model: str,
    base_url: str | None,
    api_key_env: str | None,
    version: str | None,
    reference: str | None,
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
    echo(f"target {view.name}: {view.model} for {view.subject}{' (key sealed)' if view.has_key else ''}")


@target_app.command("list")
@handle_errors
def target_list() -> None:
    """Registered targets (keys are never shown)."""
    from rich.table import Table

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
    print_table(table)


@target_app.command("allow-classified")
@click.argument("name", help="The target's name.")
@click.option("--reason", default="", show_default=False, help="Why it may receive classified items (audited).")
@click.option("--revoke", is_flag=True, help="Withdraw the permission instead.")
@handle_errors
def target_allow_classified(name: str, reason: str, revoke: bool) -> None:
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
    echo(f"target {view.name} {state}")


@app.command("run")
@click.argument("benchmark", help="name@version")
@click.option("--target", required=True, help="Target name.")
@click.option("--max-connections", type=click.IntRange(1, 256), default=8)
@click.option("--max-retries", type=click.IntRange(0, 10), default=2, help="Per model call; never unlimited.")
@click.option("--timeout", type=click.IntRange(1, 3600), default=120, help="Seconds per model call.")
@click.option("--follow", is_flag=True, help="Show a progress bar until the run finishes.")
@handle_errors
def run(benchmark: str, target: str, max_connections: int, max_retries: int, timeout: int, follow: bool) -> None:
    """Queue a run (a worker executes it: `serve` runs one, or `frontier-review worker`)."""
    import time as _time

    from rich.console import Console
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
    echo(f"queued run {view.id}: {view.benchmark} on {view.target} ({view.samples_total} samples)")
    if not follow:
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("errors {task.fields[errors]}"),
        TimeElapsedColumn(),
        console=Console(),
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
        succeeded = click.style("succeeded", fg="green")
        echo(f"{succeeded}: score {view.score:.3f}{stderr} over {view.samples_done} samples, {view.errors} errors")
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
    echo(
        f"sealed: {len(done.results)} classified result(s), {len(done.runs)} classified run score(s), "
        f"{len(done.targets)} target URL(s)"
    )


@app.command("runs")
@handle_errors
def runs_list() -> None:
    """Recent runs with their aggregate results."""
    from rich.table import Table

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
    print_table(table)


@app.command("cancel")
@click.argument("run_id", help="The run id.")
@handle_errors
def cancel(run_id: str) -> None:
    """Cancel a queued or running run."""
    from frontier_review.evals import runs
    from frontier_review.kernel.ids import parse_id

    c = container()
    with c.uow() as uow:
        view = runs.cancel_run(uow, OPERATOR, parse_id(run_id, field="run_id"))
    echo(f"run {view.id}: {view.status.value}{' (stopping)' if view.status.value == 'running' else ''}")


app.add_command(target_app)  # listed last, after the suite and run commands
