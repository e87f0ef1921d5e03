"""``frontier-review db``: migrations."""

from __future__ import annotations

import typer

from frontier_review.cli.common import console, container, fail, handle_errors

app = typer.Typer(no_args_is_help=True)  # its help is in cli.main.GROUPS


@app.command("upgrade")
@handle_errors
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Migrate the database to the latest schema (or REVISION)."""
    from frontier_review.db import migrate

    c = container()
    migrate.upgrade(c.settings.resolved_database_url, revision)
    console.print(f"database migrated to {revision}")


@app.command("check")
@handle_errors
def check() -> None:
    """Fail when the models and the migrated schema differ."""
    from frontier_review.db import migrate

    c = container()
    problems = migrate.check(c.settings.resolved_database_url)
    if problems:
        raise fail("; ".join(problems))
    console.print("schema matches the models")
