"""``frontier-review benchmark``: seal, list and (for cleared staff) read benchmark suites."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from frontier_review.cli.common import console, container, fail, handle_errors
from frontier_review.evals import service
from frontier_review.evals.package import PackageInvalid, load_package
from frontier_review.kernel.principal import Principal

app = typer.Typer(help="Benchmark suites (sealed at rest; see docs/benchmarks.md).", no_args_is_help=True)
OPERATOR = Principal.system("cli")


@app.command("seal")
@handle_errors
def seal(folder: Path = typer.Argument(..., help="The package folder (manifest.toml and its JSONL).")) -> None:
    """Validate a benchmark package and store its samples encrypted; reports what it stored."""
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
    c = container()
    with c.uow() as uow:
        view, samples = service.read_items(uow, OPERATOR, ref)
    console.print(f"[bold]{view.ref}[/] — {view.sample_count} items ({'CLASSIFIED' if view.classified else 'unclassified'})")
    for sample in samples:
        console.print(f"\n[bold]{sample.id}[/] (answer: {sample.target})", highlight=False)
        console.print(sample.input, markup=False, highlight=False)
        for letter, choice in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", sample.choices, strict=False):
            console.print(f"  {letter}. {choice}", markup=False, highlight=False)
