"""Entry point of the ``frontier-review`` command."""

from __future__ import annotations

import logging

import typer

from frontier_review.cli import admin, audit, benchmark, coverage, db, keys, local_model, policy, registry, serve

app = typer.Typer(
    name="frontier-review",
    help="Frontier Review: the voluntary prerelease review framework for frontier AI models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve.serve)
app.command("worker")(serve.worker)
app.command("demo")(serve.demo)
app.add_typer(db.app, name="db")
app.add_typer(admin.app, name="admin")
app.add_typer(audit.app, name="audit")
app.add_typer(keys.app, name="keys")
app.add_typer(registry.app, name="registry")
app.add_typer(policy.app, name="policy")
app.add_typer(coverage.app, name="coverage")
app.add_typer(benchmark.app, name="benchmark")
app.add_typer(local_model.app, name="local-model")


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
