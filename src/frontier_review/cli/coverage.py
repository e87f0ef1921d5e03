"""``frontier-review coverage``: re-check determinations (C1) and reassess versions under a new policy."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import click
from click.exceptions import Exit

from frontier_review.cli.common import Group, container, echo, fail, handle_errors, print_table
from frontier_review.kernel.principal import Principal

if TYPE_CHECKING:
    from frontier_review.db.uow import UnitOfWork

app = Group(no_args_is_help=True)  # its help is in cli.main.GROUPS
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
@click.option("--version", required=True, help="Version id or MODEL:LABEL.")
@click.option("--policy", required=True, help="identifier@version")
@click.option("--record", is_flag=True, help="Store a new determination on today's evidence.")
@handle_errors
def determine(version: str, policy: str, record: bool) -> None:
    """Re-evaluate a version under a policy and say whether it matches the stored determination (C1)."""
    from frontier_review.coverage import determinations

    c = container()
    with c.uow() as uow:
        version_id = resolve_version(uow, version)
        check = determinations.recheck(uow, OPERATOR, version_id, policy_ref=policy)
        recorded = determinations.record_determination(uow, OPERATOR, version_id, policy_ref=policy) if record else None
    if check.stored is None:
        outcome = click.style(check.on_current_evidence.value, bold=True)
        echo(f"no stored determination under {policy}; on today's evidence: {outcome}")
    else:
        verdict = click.style("matches", fg="green") if check.reproducible else click.style("DOES NOT MATCH", fg="red")
        echo(f"stored determination {check.determination_id}: {check.stored.value}")
        echo(
            f"re-evaluated on its own evidence: {check.on_stored_evidence.value if check.on_stored_evidence else '-'} — {verdict}"
        )
        echo(f"on today's evidence: {check.on_current_evidence.value}")
    if recorded is not None:
        echo(f"recorded determination {recorded.id}: {recorded.outcome.value}")
    if check.stored is not None and not check.reproducible:
        raise Exit(1)


@app.command("reassess")
@click.option("--policy", required=True, help="The new policy version, identifier@version.")
@click.option("--against", help="Compare with this version (default: the previous one).")
@handle_errors
def reassess(policy: str, against: str | None) -> None:
    """List every version whose outcome would change under a policy version."""
    from rich.table import Table

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
    print_table(table)
