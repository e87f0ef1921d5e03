"""The CLI starts without importing the platform: ``--help`` and simple commands answer at once.

Each check runs in a fresh interpreter (this test process has long imported everything) and
looks at ``sys.modules``; no timing is asserted (see ``benchmarks/cli_startup.py``).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys

from frontier_review.cli.main import GROUPS

#: What the entry module and a group's ``--help`` must not import: the database, the web stack,
#: the job queue, evaluation, cryptography and the configuration (pydantic-settings).
HEAVY = {
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "huey",
    "inspect_ai",
    "httpx",
    "jinja2",
    "cryptography",
    "pydantic_settings",
    "limits",
}
#: What Typer imported on every command line (pydantic for its parameters, Rich and markdown-it for
#: its help): the CLI is plain click so that help and simple commands need none of them.
STARTUP = {"pydantic", "typer", "rich", "markdown_it"}
#: Modules of the platform that build or need the container.
PLATFORM = {
    "frontier_review.bootstrap",
    "frontier_review.config",
    "frontier_review.db.engine",
    "frontier_review.asgi",
    "frontier_review.composition",
}

_REPORT = """
import json, sys
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1].split(",")))
platform = sorted(m for m in sys.modules if m in set(sys.argv[2].split(",")))
groups = sorted(m for m in sys.modules if m.startswith("frontier_review.cli."))
print(json.dumps({"heavy": heavy, "platform": platform, "groups": groups, "output": output}))
"""


def _loaded(code: str, forbidden: set[str] = HEAVY | STARTUP) -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", code + _REPORT, ",".join(sorted(forbidden)), ",".join(sorted(PLATFORM))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_entry_module_imports_no_command_group_and_nothing_heavy() -> None:
    loaded = _loaded("import frontier_review.cli.main\noutput = []")
    assert loaded["heavy"] == []
    assert loaded["platform"] == []
    # Only what the top-level commands (serve, worker, demo) need; the groups load on use.
    assert loaded["groups"] == ["frontier_review.cli.common", "frontier_review.cli.main", "frontier_review.cli.serve"]


def test_help_of_every_group_imports_nothing_heavy() -> None:
    code = f"""
import contextlib, io
from frontier_review.cli.main import app
output = []
for args in [[], *([name] for name in {sorted(GROUPS)!r}), ["benchmark", "target"], ["audit", "verify"]]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
        app([*args, "--help"], prog_name="frontier-review")
    output.append(buffer.getvalue())
"""
    loaded = _loaded(code)
    assert loaded["heavy"] == []
    assert loaded["platform"] == []
    top, *groups = (" ".join(text.split()) for text in loaded["output"])
    for (name, (_, help_text)), text in zip(sorted(GROUPS.items()), groups, strict=False):
        opening = " ".join(help_text.split()[:3])
        assert f" {name} {opening}" in f" {top}"  # listed with its help, from GROUPS alone
        assert f"Usage: frontier-review {name} [OPTIONS] COMMAND" in text and opening in text
    assert "Usage: frontier-review benchmark target [OPTIONS] COMMAND" in groups[-2]
    assert "Usage: frontier-review audit verify [OPTIONS]" in groups[-1] and "--anchor" in groups[-1]


def test_a_simple_command_imports_nothing_heavy() -> None:
    # A master key is made with cryptography; nothing else heavy, and not the configuration.
    code = """
import contextlib, io
from frontier_review.cli.main import app
buffer = io.StringIO()
with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
    app(["keys", "generate"], prog_name="frontier-review")
output = [buffer.getvalue()]
"""
    loaded = _loaded(code, (HEAVY - {"cryptography"}) | STARTUP)
    assert loaded["heavy"] == []
    assert loaded["platform"] == []
    assert loaded["groups"] == [
        "frontier_review.cli.common",
        "frontier_review.cli.keys",
        "frontier_review.cli.main",
        "frontier_review.cli.serve",
    ]
    [key] = loaded["output"][0].split()
    assert len(base64.b64decode(key, validate=True)) == 32
