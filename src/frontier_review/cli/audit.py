"""``frontier-review audit``: verify, export and checkpoint the audit log."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import typer

from frontier_review.audit import service
from frontier_review.cli.common import console, container, err_console, handle_errors
from frontier_review.kernel.principal import Principal

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
@handle_errors
def verify() -> None:
    """Check every link, hash and checkpoint signature; exit 1 naming the first bad entry."""
    c = container()
    with c.uow() as uow:
        report = service.verify_log(uow.session)
    if report.ok:
        console.print(
            f"[green]audit log intact[/]: {report.entries} entries, tip #{report.last_seq} {report.last_hash[:16]}…, "
            f"{report.checkpoints} signed checkpoints verified"
        )
        return
    err_console.print(f"[bold red]audit log FAILED verification[/] — first bad entry: #{report.first_bad_seq}")
    for problem in report.problems:
        err_console.print(f"  {problem}", highlight=False)
    raise typer.Exit(1)


@app.command("export")
@handle_errors
def export(
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write (default: standard output)."),
    action: str | None = typer.Option(None, help="Only actions starting with this prefix."),
    since: datetime | None = typer.Option(None, help="Only entries at or after this UTC time."),
    until: datetime | None = typer.Option(None, help="Only entries before this UTC time."),
) -> None:
    """Write entries as JSON Lines (one canonical object with its hash per line)."""
    from frontier_review.kernel.clock import utc

    c = container()
    flt = service.EntryFilter(action=action, since=utc(since) if since else None, until=utc(until) if until else None)
    count = 0
    with c.uow() as uow:
        rows = service.export_entries(uow, Principal.system("cli"), flt)
        handle = output.open("w", encoding="utf-8") if output else sys.stdout
        try:
            for entry in rows:
                handle.write(json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n")
                count += 1
        finally:
            if output:
                handle.close()
    if output:
        console.print(f"{count} entries written to {output}")


@app.command("checkpoint")
@handle_errors
def checkpoint() -> None:
    """Sign a checkpoint over the chain's current tip now."""
    c = container()
    with c.uow() as uow:
        info = service.create_checkpoint(uow, Principal.system("cli"))
    if info is None:
        console.print("nothing new to sign since the last checkpoint")
    else:
        console.print(f"checkpoint signed at entry #{info.seq} with {info.key_id}")
