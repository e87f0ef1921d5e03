"""``frontier-review db``: migrations."""

from __future__ import annotations

import click

from frontier_review.cli.common import Group, container, echo, fail, handle_errors

app = Group(no_args_is_help=True)  # its help is in cli.main.GROUPS


@app.command("upgrade")
@click.argument("revision", default="head", help="Target revision.")
@handle_errors
def upgrade(revision: str) -> None:
    """Migrate the database to the latest schema (or REVISION)."""
    from frontier_review.db import migrate

    c = container()
    migrate.upgrade(c.settings.resolved_database_url, revision)
    echo(f"database migrated to {revision}")


@app.command("check")
@handle_errors
def check() -> None:
    """Fail when the models and the migrated schema differ."""
    from frontier_review.db import migrate

    c = container()
    problems = migrate.check(c.settings.resolved_database_url)
    if problems:
        raise fail("; ".join(problems))
    echo("schema matches the models")
