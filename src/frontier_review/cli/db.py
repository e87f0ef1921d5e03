"""``frontier-review db``: migrations."""

from __future__ import annotations

import click

from frontier_review.cli.common import Group, container, echo, fail, handle_errors

app = Group(no_args_is_help=True)  # its help is in cli.main.GROUPS


@app.command("upgrade")
@click.argument("revision", default="head", help="Target revision; with --sql, FROM:TO.")
@click.option(
    "--sql", "as_sql", is_flag=True, help="Print the PostgreSQL statements instead of running them (nothing is changed)."
)
@handle_errors
def upgrade(revision: str, as_sql: bool) -> None:
    """Migrate the database to the latest schema (or REVISION).

    With --sql, print the SQL instead, for operators who apply migrations by hand on PostgreSQL:
    REVISION is FROM:TO (`db current` tells FROM, e.g. `0015:head`), or TO alone for an empty
    database. No database is connected to.
    """
    from frontier_review.db import migrate

    if as_sql:
        click.echo(migrate.upgrade_sql(revision), nl=False)
        return
    if ":" in revision:
        raise fail("FROM:TO is for --sql; to migrate, give the target revision only")
    c = container()
    migrate.upgrade(c.settings.resolved_database_url, revision)
    echo(f"database migrated to {revision}")


@app.command("current")
@handle_errors
def current() -> None:
    """Print the database's migration revision, and whether this release knows it."""
    from frontier_review.db import migrate

    c = container()
    revision = migrate.current_revision(c.settings.resolved_database_url)
    if revision is None:
        echo("not migrated (empty database)")
        return
    head = migrate.head_revision()
    state = "the latest" if revision == head else f"behind {head}" if revision in migrate.known_revisions() else "unknown here"
    echo(f"{revision} ({state})")
    if state == "unknown here":
        raise migrate.DatabaseNewerThanCode(revision)


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
