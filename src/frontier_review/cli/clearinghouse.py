"""``frontier-review clearinghouse``: the operator tasks that need a shell (KEV import, priorities)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from frontier_review.cli.common import Group, container, echo, fail, handle_errors
from frontier_review.kernel.principal import Principal

app = Group(no_args_is_help=True)  # its help is in cli.main.GROUPS


@app.command("import-kev")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@handle_errors
def import_kev(file: Path) -> None:
    """Import CISA's KEV catalogue (its JSON feed, downloaded beforehand) and recompute every priority."""
    from frontier_review.clearinghouse import reports

    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise fail(f"{file}: not a JSON document ({exc})") from exc
    if not isinstance(document, dict):
        raise fail(f"{file}: not a KEV catalogue (expected a JSON object)")
    c = container()
    try:
        with c.uow() as uow:
            done = reports.import_kev(uow, Principal.system("cli:clearinghouse import-kev"), document)
    finally:
        c.close()
    echo(f"KEV catalogue {done.catalog_version}: {done.entries} entries ({done.skipped} skipped)")
    echo(f"{done.reports_changed} priorities changed")


@app.command("recompute-priorities")
@handle_errors
def recompute_priorities() -> None:
    """Recompute every report's remediation priority from its stored inputs."""
    from frontier_review.clearinghouse import reports

    c = container()
    try:
        with c.uow() as uow:
            changed = reports.recompute_priorities(uow, Principal.system("cli:clearinghouse recompute-priorities"))
    finally:
        c.close()
    echo(f"{changed} priorities changed")
