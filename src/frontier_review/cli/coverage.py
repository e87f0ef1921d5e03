"""``frontier-review coverage``: re-check determinations (C1) and reassess versions under a new policy."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from frontier_review.cli.common import console, container, fail, handle_errors
from frontier_review.kernel.principal import Principal

if TYPE_CHECKING:
    from frontier_review.db.uow import UnitOfWork

app = typer.Typer(no_args_is_help=True)  # its help is in cli.main.GROUPS
OPERATOR = Principal.system("cli")


def resolve_version(uow: UnitOfWork, value: str) -> uuid.UUID:
    """A version id, or ``MODEL:LABEL`` (model name and version label)."""
    from frontier_review.registry import service as registry

    try:
        return uuid.UUID(value)
    except ValueError:
        pass
    model_name, sep, label = value.partition(":")
    if not sep:
        raise fail(f"--version takes a version id or MODEL:LABEL, not {value!r}")
    rows = registry.list_versions_named(uow, model_name, label)
    if len(rows) != 1:
        raise fail(
            f"{'no' if not rows else 'more than one'} version matches {value!r}; use its id (see `frontier-review registry list`)"
        )
    return rows[0].id


@app.command("determine")
@handle_errors
def determine(
    version: str = typer.Option(..., "--version", help="Version id or MODEL:LABEL."),
    policy: str = typer.Option(..., "--policy", help="identifier@version"),
    record: bool = typer.Option(False, "--record", help="Store a new determination on today's evidence."),
) -> None:
    """Re-evaluate a version under a policy and say whether it matches the stored determination (C1)."""
    from frontier_review.coverage import determinations

    c = container()
    with c.uow() as uow:
        version_id = resolve_version(uow, version)
        check = determinations.recheck(uow, OPERATOR, version_id, policy_ref=policy)
        recorded = determinations.record_determination(uow, OPERATOR, version_id, policy_ref=policy) if record else None
    if check.stored is None:
        console.print(f"no stored determination under {policy}; on today's evidence: [bold]{check.on_current_evidence.value}[/]")
    else:
        verdict = "[green]matches[/]" if check.reproducible else "[red]DOES NOT MATCH[/]"
        console.print(f"stored determination {check.determination_id}: {check.stored.value}")
        console.print(
            f"re-evaluated on its own evidence: {check.on_stored_evidence.value if check.on_stored_evidence else '-'} — {verdict}"
        )
        console.print(f"on today's evidence: {check.on_current_evidence.value}")
    if recorded is not None:
        console.print(f"recorded determination {recorded.id}: {recorded.outcome.value}")
    if check.stored is not None and not check.reproducible:
        raise typer.Exit(1)


@app.command("reassess")
@handle_errors
def reassess(
    policy: str = typer.Option(..., "--policy", help="The new policy version, identifier@version."),
    against: str | None = typer.Option(None, "--against", help="Compare with this version (default: the previous one)."),
) -> None:
    """List every version whose outcome would change under a policy version."""
    from frontier_review.coverage import determinations

    c = container()
    with c.uow() as uow:
        compared, changes = determinations.reassess(uow, OPERATOR, policy_ref=policy, against=against)
    table = Table(title=f"{policy} against {compared or '(no earlier version)'}: {len(changes)} change(s)")
    for col in ("version", "developer", "before", "after", "version id"):
        table.add_column(col)
    for change in changes:
        table.add_row(
            change.version_display,
            change.organization_name,
            change.before.value if change.before else "-",
            change.after.value,
            str(change.version_id),
        )
    console.print(table)
