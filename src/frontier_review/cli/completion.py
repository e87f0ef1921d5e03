"""``--show-completion`` and ``--install-completion``: click's shell completion for bash, zsh and fish.

Imported only when one of the two options is given. The shell is the one ``$SHELL`` names.
The scripts are click's: a completion installed by an earlier (Typer) version must be
installed again.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from click.shell_completion import get_completion_class

from frontier_review.cli.common import echo, fail


def _shell() -> str:
    shell = Path(os.environ.get("SHELL", "")).name
    if get_completion_class(shell) is None:
        raise fail(f"cannot complete for the shell {shell or '(SHELL is not set)'}: bash, zsh and fish are supported")
    return shell


def _script(ctx: click.Context, shell: str) -> tuple[str, str]:
    """The program's name and the completion script that ``shell`` sources for it."""
    root = ctx.find_root()
    prog_name = root.info_name or "frontier-review"
    complete_var = f"_{prog_name.replace('-', '_').upper()}_COMPLETE"
    completion = get_completion_class(shell)
    assert completion is not None  # _shell() checked
    return prog_name, completion(root.command, {}, prog_name, complete_var).source()


def show(ctx: click.Context) -> None:
    """Print the completion script of the current shell."""
    echo(_script(ctx, _shell())[1])


def _add_line(rc_path: Path, line: str) -> None:
    content = rc_path.read_text(encoding="utf-8") if rc_path.is_file() else ""
    if line not in content:
        rc_path.write_text(f"{content.rstrip()}\n{line}\n".lstrip(), encoding="utf-8")


def install(ctx: click.Context) -> None:
    """Write the completion script where the current shell loads it (as Typer did)."""
    shell = _shell()
    prog_name, script = _script(ctx, shell)
    home = Path.home()
    if shell == "bash":
        path = home / ".bash_completions" / f"{prog_name}.sh"
        _add_line(home / ".bashrc", f"source '{path}'")
    elif shell == "zsh":
        path = home / ".zfunc" / f"_{prog_name}"
        _add_line(home / ".zshrc", "fpath+=~/.zfunc; autoload -Uz compinit; compinit")
    else:
        path = home / ".config" / "fish" / "completions" / f"{prog_name}.fish"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{script}\n", encoding="utf-8")
    echo(f"{shell} completion installed in {path}", fg="green")
    echo("Completion will take effect once you restart the terminal")
