"""Entry point of the ``frontier-review`` command.

The command groups are imported only when one of them runs: ``frontier-review --help`` lists
them from :data:`GROUPS` alone, and ``frontier-review audit verify`` imports ``cli.audit`` and
nothing else of the CLI. The group modules themselves import the platform (SQLAlchemy, the
areas, the container) inside their commands, so a group's ``--help`` stays fast too.
``tests/unit/test_cli_startup.py`` keeps it that way.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import click

from frontier_review.cli import serve
from frontier_review.cli.common import Group

#: Command groups by name: the module that defines the group's click ``app``, and the group's
#: help (kept here, not in the module, so that the top-level help needs no import).
GROUPS: dict[str, tuple[str, str]] = {
    "db": ("frontier_review.cli.db", "Database migrations."),
    "admin": ("frontier_review.cli.admin", "Operator commands: first superuser, organizations, users, tokens."),
    "audit": ("frontier_review.cli.audit", "The tamper-evident audit log."),
    "keys": ("frontier_review.cli.keys", "Master keys of the envelope encryption."),
    "backup": ("frontier_review.cli.backup", "Back up and restore the whole instance: database, master keys, audit witness."),
    "registry": ("frontier_review.cli.registry", "Registered models and release candidates."),
    "policy": ("frontier_review.cli.policy", "Coverage policies as code (TOML; see docs/policies.md)."),
    "coverage": ("frontier_review.cli.coverage", "Coverage determinations."),
    "benchmark": ("frontier_review.cli.benchmark", "Benchmark suites (sealed at rest; see docs/benchmarks.md)."),
    "clearinghouse": ("frontier_review.cli.clearinghouse", "The clearinghouse: import the KEV catalogue, recompute priorities."),
    "local-model": (
        "frontier_review.cli.local_model",
        "A real tiny model for demos and end-to-end tests (the local-model extra).",
    ),
}


class LazyGroups(Group):
    """The top-level group: each command group is a placeholder until a command line names it.

    The placeholder carries the group's name and help, which is all that the top-level help,
    typo suggestions and shell completion of group names read. Resolving the group to run it
    (or to show its own help, or to complete its commands) imports its module and puts the
    real group in its place.
    """

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.loaded: set[str] = set()
        for name, (_, help_text) in GROUPS.items():
            self.commands.setdefault(name, Group(name=name, help=help_text))

    def load(self, name: str) -> click.Command | None:
        """The command ``name``, importing its group's module the first time."""
        if name in GROUPS and name not in self.loaded:
            module_name, help_text = GROUPS[name]
            group: click.Group = importlib.import_module(module_name).app
            group.name, group.help = name, help_text
            self.commands[name] = group
            self.loaded.add(name)
        return self.commands.get(name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        if args:
            self.load(args[0])
        return super().resolve_command(ctx, args)


def _completion_option(action: str, help_text: str) -> click.Option:
    """``--show-completion`` or ``--install-completion`` (``cli.completion`` is imported on use)."""

    def callback(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if not value or ctx.resilient_parsing:
            return
        from frontier_review.cli import completion

        (completion.show if action == "show" else completion.install)(ctx)
        ctx.exit()

    return click.Option(
        [f"--{action}-completion"], is_flag=True, expose_value=False, is_eager=True, callback=callback, help=help_text
    )


app = LazyGroups(
    name="frontier-review",
    help="Frontier Review: the voluntary prerelease review framework for frontier AI models.",
    no_args_is_help=True,
    commands=[serve.serve, serve.worker, serve.demo],
    params=[
        _completion_option("install", "Install completion for the current shell."),
        _completion_option("show", "Show completion for the current shell, to copy it or customize the installation."),
    ],
    # Every command shows its options' defaults (inherited by every group and command below).
    context_settings={"show_default": True},
)


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
