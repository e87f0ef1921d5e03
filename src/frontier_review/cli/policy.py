"""``frontier-review policy``: validate, publish, list, show and diff coverage policies."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from frontier_review.cli.common import console, container, fail, handle_errors
from frontier_review.coverage.policy_file import PolicyInvalid
from frontier_review.kernel.principal import Principal

app = typer.Typer(no_args_is_help=True)  # its help is in cli.main.GROUPS
OPERATOR = Principal.system("cli")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {path}: {exc}") from exc


def _report_invalid(path: Path, exc: PolicyInvalid) -> typer.Exit:
    for problem in exc.problems:
        console.print(f"[red]{path}:[/] {problem.message}", highlight=False, soft_wrap=True)
    return fail(f"{path} is not a valid policy ({len(exc.problems)} problem(s))")


@app.command("validate")
@handle_errors
def validate(file: Path = typer.Argument(..., help="The policy TOML file.")) -> None:
    """Check a policy file; errors name the line and the field."""
    from frontier_review.coverage import policies

    c = container()
    with c.uow() as uow:
        try:
            policy = policies.validate_policy(uow, _read(file))
        except PolicyInvalid as exc:
            raise _report_invalid(file, exc) from None
    console.print(
        f"[green]valid[/]: {policy.ref}{' (classified)' if policy.classified else ''}, {len(policy.criteria())} criteria"
    )


@app.command("publish")
@handle_errors
def publish(file: Path = typer.Argument(..., help="The policy TOML file.")) -> None:
    """Publish a policy version; a published identifier@version never changes."""
    from frontier_review.coverage import policies

    c = container()
    with c.uow() as uow:
        try:
            view, created = policies.publish_policy(uow, OPERATOR, _read(file))
        except PolicyInvalid as exc:
            raise _report_invalid(file, exc) from None
    console.print(
        f"{'published' if created else 'already published (same content)'}: {view.ref} digest {(view.digest or '')[:16]}…"
    )


@app.command("list")
@handle_errors
def list_() -> None:
    """List published policies."""
    from frontier_review.coverage import policies

    c = container()
    with c.uow() as uow:
        rows = policies.list_policies(uow, OPERATOR)
    table = Table(title="published policies")
    table.add_column("policy", no_wrap=True)
    for col in ("title", "effective from", "classified", "criteria", "published"):
        table.add_column(col)
    for p in rows:
        table.add_row(
            p.ref,
            p.title,
            f"{p.effective_from:%Y-%m-%d}",
            "yes" if p.classified else "no",
            str(len(p.criterion_names)),
            f"{p.published_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@app.command("show")
@handle_errors
def show(ref: str = typer.Argument(..., help="identifier@version (or identifier for the latest).")) -> None:
    """Print a policy as published (operators on the server see classified content; the view is audited)."""
    from frontier_review.coverage import policies

    c = container()
    with c.uow() as uow:
        view = policies.get_policy(uow, OPERATOR, ref)
    marking = "classified" if view.classified else "unclassified"
    console.print(f"[bold]{view.ref}[/] — {view.title} (effective {view.effective_from:%Y-%m-%d}, {marking})")
    typer.echo(view.source or "")


@app.command("diff")
@handle_errors
def diff(
    a: str = typer.Argument(..., help="identifier@version"), b: str = typer.Argument(..., help="identifier@version")
) -> None:
    """Unified diff of two policy versions' canonical content."""
    from frontier_review.coverage import policies

    c = container()
    with c.uow() as uow:
        lines = policies.diff_policies(uow, OPERATOR, a, b)
    if not lines:
        console.print("no difference in content")
    for line in lines:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else None
        console.print(line, style=style, highlight=False, markup=False)
