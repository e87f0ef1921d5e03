"""``frontier-review policy``: validate, publish, list, show and diff coverage policies."""

from __future__ import annotations

from pathlib import Path

import click
from click.exceptions import Exit

from frontier_review.cli.common import Group, container, echo, fail, handle_errors, print_table
from frontier_review.coverage.policy_file import PolicyInvalid
from frontier_review.kernel.principal import Principal

app = Group(no_args_is_help=True)  # its help is in cli.main.GROUPS
OPERATOR = Principal.system("cli")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {path}: {exc}") from exc


def _report_invalid(path: Path, exc: PolicyInvalid) -> Exit:
    for problem in exc.problems:
        echo(f"{click.style(f'{path}:', fg='red')} {problem.message}")
    return fail(f"{path} is not a valid policy ({len(exc.problems)} problem(s))")


@app.command("validate")
@click.argument("file", type=click.Path(path_type=Path), help="The policy TOML file.")
@handle_errors
def validate(file: Path) -> None:
    """Check a policy file; errors name the line and the field."""
    from frontier_review.coverage import policies

    c = container()
    with c.uow() as uow:
        try:
            policy = policies.validate_policy(uow, _read(file))
        except PolicyInvalid as exc:
            raise _report_invalid(file, exc) from None
    marking = " (classified)" if policy.classified else ""
    echo(f"{click.style('valid', fg='green')}: {policy.ref}{marking}, {len(policy.criteria())} criteria")


@app.command("publish")
@click.argument("file", type=click.Path(path_type=Path), help="The policy TOML file.")
@handle_errors
def publish(file: Path) -> None:
    """Publish a policy version; a published identifier@version never changes."""
    from frontier_review.coverage import policies

    c = container()
    with c.uow() as uow:
        try:
            view, created = policies.publish_policy(uow, OPERATOR, _read(file))
        except PolicyInvalid as exc:
            raise _report_invalid(file, exc) from None
    echo(f"{'published' if created else 'already published (same content)'}: {view.ref} digest {(view.digest or '')[:16]}…")


@app.command("list")
@handle_errors
def list_() -> None:
    """List published policies."""
    from rich.table import Table

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
    print_table(table)


@app.command("show")
@click.argument("ref", help="identifier@version (or identifier for the latest).")
@handle_errors
def show(ref: str) -> None:
    """Print a policy as published (operators on the server see classified content; the view is audited)."""
    from frontier_review.coverage import policies

    c = container()
    with c.uow() as uow:
        view = policies.get_policy(uow, OPERATOR, ref)
    marking = "classified" if view.classified else "unclassified"
    echo(f"{click.style(view.ref, bold=True)} — {view.title} (effective {view.effective_from:%Y-%m-%d}, {marking})")
    echo(view.source or "")


@app.command("diff")
@click.argument("a", help="identifier@version")
@click.argument("b", help="identifier@version")
@handle_errors
def diff(a: str, b: str) -> None:
    """Unified diff of two policy versions' canonical content."""
    from frontier_review.coverage import policies

    c = container()
    with c.uow() as uow:
        lines = policies.diff_policies(uow, OPERATOR, a, b)
    if not lines:
        echo("no difference in content")
    for line in lines:
        echo(line, fg="green" if line.startswith("+") else "red" if line.startswith("-") else None)
