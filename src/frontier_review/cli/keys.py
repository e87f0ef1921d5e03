"""``frontier-review keys``: master-key generation, status and rotation."""

from __future__ import annotations

import json
from pathlib import Path

import click

from frontier_review.cli.common import Group, container, echo, fail, handle_errors, print_table
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.security.tags import SecurityTag

app = Group(no_args_is_help=True)  # its help is in cli.main.GROUPS


@app.command("generate")
@click.option("--out", type=click.Path(path_type=Path), help="Write an operator key file (mode 0600) instead of printing a key.")
@handle_errors
def generate(out: Path | None) -> None:
    """Create a new master key: print it for FR_MASTER_KEY, or write a key file for FR_MASTER_KEY_FILE."""
    from frontier_review.security import envelope
    from frontier_review.security.keyfile import keyring_document, write_private_file

    key = envelope.generate_key()
    if out is None:
        echo(envelope.encode_key(key))
        return
    if out.exists():
        raise fail(f"{out} exists; refusing to overwrite a key file")
    write_private_file(out, json.dumps(keyring_document([key], origin="operator"), indent=2))
    echo(f"key file {out} written with key {envelope.master_key_id(key)}")


@app.command("status")
@handle_errors
def status() -> None:
    """Show the active master key and how many data keys each master key wraps."""
    from rich.table import Table

    from frontier_review.security import service as security

    c = container()
    keys = c.keyring.current()
    staged = set(c.keyring.staged_key_ids())
    with c.uow() as uow:
        counts = security.count_keys_by_master(uow.session)
    table = Table(title=f"master keys ({'key file ' + str(c.keyring.path) if c.keyring.from_file else 'FR_MASTER_KEY'})")
    table.add_column("key id")
    table.add_column("state")
    table.add_column("data keys", justify="right")
    for kid in sorted(set(keys.keys) | set(counts)):
        if kid == keys.active_id:
            state = "active"
        elif kid in staged:
            state = "staged"
        else:
            state = "retained" if kid in keys.keys else "MISSING"
        table.add_row(kid, state, str(counts.get(kid, 0)))
    print_table(table)


@app.command("stage")
@handle_errors
def stage() -> None:
    """Add a new master key to the key file without using it yet.

    For key files copied to several machines: stage, copy the file everywhere, then run
    `keys rotate`, which activates the staged key. Nothing is wrapped under a key until
    every machine can read it.
    """
    from frontier_review.audit import service as audit
    from frontier_review.policies import authorize
    from frontier_review.security import envelope

    c = container()
    system = Principal.system("keys-stage")
    with c.uow() as uow:
        authorize(uow, system, Permission.KEYS_ROTATE, None)
        key_id = c.keyring.stage_key(envelope.generate_key())
        audit.record(uow, system, SecurityTag.KEYS_STAGED, details={"key": key_id})
    echo(f"staged master key {key_id}; copy {c.keyring.path} to every machine, then run `frontier-review keys rotate`")


@app.command("rotate")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=500, help="Data keys re-wrapped per transaction.")
@handle_errors
def rotate(batch_size: int) -> None:
    """Activate a new master key and re-wrap every data key under it, while servers keep running.

    With a key file: activates the key staged by `keys stage`, or generates one when none is
    staged. Processes on this machine follow the file at once; the old key stays in the file
    for decryption until `keys retire`. With FR_MASTER_KEY: put the new key first in that
    variable on every process beforehand; this command then moves every data key to it.
    """
    from frontier_review.audit import service as audit
    from frontier_review.policies import authorize
    from frontier_review.security import envelope
    from frontier_review.security import service as security

    c = container()
    system = Principal.system("keys-rotate")
    with c.uow() as uow:
        authorize(uow, system, Permission.KEYS_ROTATE, None)
        before = sorted(security.count_keys_by_master(uow.session))
    if c.keyring.from_file:
        staged = c.keyring.staged_key_ids()
        if staged:
            c.keyring.activate(staged[-1])
        else:
            c.keyring.add_active_key(envelope.generate_key())
    active = c.keyring.current().active_id
    moved = security.rewrap_data_keys(c.sessions, c.keyring, c.clock, batch_size=batch_size)
    with c.uow() as uow:
        audit.record(uow, system, SecurityTag.KEYS_ROTATED, details={"from": before, "to": active, "rewrapped": moved})
    echo(f"active master key {active}; {moved} data keys re-wrapped")
    if c.keyring.from_file:
        echo("when every machine has the new key file, run `frontier-review keys retire` to drop old keys")


@app.command("retire")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=500, help="Data keys re-wrapped per transaction.")
@handle_errors
def retire(batch_size: int) -> None:
    """Drop master keys that no data key uses any more from the key file.

    Re-wraps stragglers first (a data key sealed by a process that still had the old key),
    then removes only keys with no data key left, so nothing can become unreadable. Staged
    keys are kept.
    """
    from frontier_review.audit import service as audit
    from frontier_review.policies import authorize
    from frontier_review.security import service as security

    c = container()
    if not c.keyring.from_file:
        raise fail(
            "the master keys come from FR_MASTER_KEY: remove old keys from that variable yourself once "
            "`frontier-review keys status` shows they wrap no data key",
            2,
        )
    system = Principal.system("keys-retire")
    with c.uow() as uow:
        authorize(uow, system, Permission.KEYS_ROTATE, None)
    moved = security.rewrap_data_keys(c.sessions, c.keyring, c.clock, batch_size=batch_size)
    with c.uow() as uow:
        in_use = set(security.count_keys_by_master(uow.session))
        dropped = c.keyring.retire_keys(keep=in_use)
        audit.record(uow, system, SecurityTag.KEYS_RETIRED, details={"retired": dropped, "rewrapped": moved})
    if dropped:
        echo(f"retired {', '.join(dropped)}; {moved} straggling data keys re-wrapped first")
    else:
        echo("no key to retire")
