"""``frontier-review audit``: verify, export and checkpoint the audit log."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.exceptions import Exit

from frontier_review.audit.domain import AnchorError, AnchorPoint, parse_anchor_document, parse_expectation
from frontier_review.cli.common import DateTime, Group, container, echo, fail, handle_errors, print_table
from frontier_review.kernel.principal import Principal

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from frontier_review.bootstrap import Container

app = Group(no_args_is_help=True)  # its help is in cli.main.GROUPS


@app.command("verify")
@click.option(
    "--public-key",
    multiple=True,
    help="Trust only this Ed25519 public key (base64, as published by /api/v1/audit/public-keys); repeatable.",
)
@click.option("--tail", is_flag=True, help="Hash only the entries after the latest verified checkpoint.")
@click.option("--calls", type=click.IntRange(min=0), default=10, help="Show this many of the latest gateway calls and downloads.")
@click.option(
    "--anchor",
    type=click.Path(path_type=Path),
    multiple=True,
    help=(
        "Check the log against checkpoints kept outside the database: the witness file, or a saved copy of "
        "/.well-known/frontier-review/audit-checkpoints; repeatable. Implies the full check."
    ),
)
@click.option(
    "--expect", multiple=True, help="Check that entry SEQ has hash HASH (SEQ:HASH, e.g. from an earlier run); repeatable."
)
@handle_errors
def verify(public_key: tuple[str, ...], tail: bool, calls: int, anchor: tuple[Path, ...], expect: tuple[str, ...]) -> None:
    """Check every link, hash and checkpoint signature; exit 1 naming the first bad entry."""
    from frontier_review.audit import service
    from frontier_review.engagements.access.recorder import chain_pending, in_flight_grace

    trusted = _trusted_keys(public_key) if public_key else None
    anchors = _anchors(anchor, expect)
    c = container()
    # Gateway calls are durable in the access log first; chain any not chained yet, so the
    # verification covers every call made so far.
    chained = 0
    while (batch := chain_pending(c.uow, grace=in_flight_grace(c.settings))) > 0:
        chained += batch
    with c.uow() as uow:
        report = service.verify_log(uow.session, c.keyring, trusted_keys=trusted, tail_only=tail, anchors=anchors)
    if report.ok:
        scope = f"entries #{report.from_seq + 1}–#{report.last_seq}" if report.from_seq else f"{report.entries} entries"
        echo(
            f"{click.style('audit log intact', fg='green')}: {scope}, tip #{report.last_seq} {report.last_hash[:16]}…, "
            f"{report.checkpoints} signed checkpoints verified" + (" under the given key(s)" if trusted else "")
        )
        if anchors:
            echo(f"{report.anchors} anchor checkpoint(s) held outside the database match the log")
        else:
            # Only the database vouched for this: a tail deleted together with the head row passes.
            echo(
                "not checked against an anchor: pass --anchor (the witness file or a saved copy of the published "
                f"checkpoints) to detect a truncated tail; this tip is --expect {report.last_seq}:{report.last_hash}"
            )
        _show_calls(c, chained, calls)
        return
    failed = click.style("audit log FAILED verification", fg="red", bold=True)
    echo(f"{failed} — first bad entry: #{report.first_bad_seq}", err=True)
    for problem in report.problems:
        echo(f"  {problem}", err=True)
    raise Exit(1)


def _show_calls(c: Container, chained: int, limit: int) -> None:
    """The latest gateway calls and artifact downloads in the verified log."""
    from rich.table import Table

    from frontier_review.audit import browse as audit_log
    from frontier_review.engagements.access.recorder import ACCESS_ACTIONS

    with c.sessions() as session:
        total = audit_log.count_entries_with_actions(session, ACCESS_ACTIONS)
        rows = audit_log.list_entries_with_actions(session, ACCESS_ACTIONS, limit=limit)
    note = f" ({chained} chained just now)" if chained else ""
    echo(f"gateway calls and downloads in the log: {total}{note}")
    if not rows:
        return
    table = Table("#", "when (UTC)", "who", "what", "status", "tokens in/out", "ms")
    for row in rows:
        d = row.details or {}
        table.add_row(
            str(row.seq),
            row.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
            row.actor_label,
            f"{row.action} {d.get('route') or d.get('filename') or ''}".strip(),
            str(d.get("status", "")),
            f"{d.get('prompt_tokens', 0)}/{d.get('completion_tokens', 0)}",
            str(d.get("latency_ms", "")),
        )
    print_table(table)


def _trusted_keys(values: Sequence[str]) -> dict[str, Ed25519PublicKey]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from frontier_review.security.service import public_key_id

    keys: dict[str, Ed25519PublicKey] = {}
    for value in values:
        try:
            raw = base64.b64decode(value, validate=True)
            keys[public_key_id(raw)] = Ed25519PublicKey.from_public_bytes(raw)
        except ValueError as exc:
            raise fail(f"--public-key {value!r} is not a base64 Ed25519 public key", 2) from exc
    return keys


def _anchors(files: Sequence[Path], expectations: Sequence[str]) -> list[AnchorPoint]:
    """Read every --anchor file and --expect value, or stop with exit code 2 naming what is wrong."""
    anchors: list[AnchorPoint] = []
    try:
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise fail(f"--anchor {path}: cannot read it ({exc})", 2) from exc
            anchors.extend(parse_anchor_document(text, source=str(path)))
        anchors.extend(parse_expectation(value) for value in expectations)
    except AnchorError as exc:
        raise fail(str(exc), 2) from exc
    return anchors


@app.command("export")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="File to write (default: standard output).")
@click.option("--action", help="Only actions starting with this prefix.")
@click.option("--actor", help="Only actors whose label contains this.")
@click.option("--outcome", help="Only this outcome: success, denied or failure.")
@click.option("--since", type=DateTime(), help="Only entries at or after this time (UTC unless it has an offset).")
@click.option("--until", type=DateTime(), help="Only entries before this time (UTC unless it has an offset).")
@handle_errors
def export(
    output: Path | None,
    action: str | None,
    actor: str | None,
    outcome: str | None,
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Write entries as JSON Lines (one canonical object with its hash per line)."""
    from frontier_review.audit import browse as audit_log

    c = container()
    flt = audit_log.EntryFilter(action=action, actor=actor, outcome=outcome, since=since, until=until)
    count = 0
    with c.uow() as uow:
        scope = audit_log.start_export(uow, Principal.system("cli"), flt)
    handle = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        with c.sessions() as session:
            for entry in audit_log.iter_export(session, scope):
                handle.write(json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n")
                count += 1
    finally:
        if output:
            handle.close()
    if output:
        echo(f"{count} entries written to {output}")


@app.command("checkpoint")
@handle_errors
def checkpoint() -> None:
    """Sign a checkpoint over the chain's current tip now."""
    from frontier_review.audit import service

    c = container()
    with c.uow() as uow:
        info = service.create_checkpoint(uow, Principal.system("cli"))
    if info is None:
        echo("nothing new to sign since the last checkpoint")
    else:
        echo(f"checkpoint signed at entry #{info.seq} with {info.key_id}")
