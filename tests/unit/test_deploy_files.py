"""The reference deployment's files, checked without a container runtime.

``Containerfile``, ``deploy/compose.yaml``, ``deploy/Caddyfile`` and ``deploy/env.example`` are
not built or run by the tests (the CI machine has no container runtime). What can be checked
here is what breaks silently when the code moves on: every command the compose file and the
image run is a real ``frontier-review`` command with real options, every ``FR_`` variable they
set is a real setting, and the pieces name each other consistently.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no types, and types-PyYAML is not a dependency

from frontier_review.cli.main import app
from frontier_review.config import Settings

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "frontier-review:"
SETTINGS = {f"FR_{name.upper()}" for name in Settings.model_fields}


def _command(argv: list[str]) -> click.Command:
    """The ``frontier-review`` command ``argv`` runs, its options parsed (click raises on anything unknown)."""
    ctx = click.Context(app, info_name="frontier-review")
    name, rest = argv[0], argv[1:]
    command = app.load(name)
    while isinstance(command, click.Group):
        ctx = click.Context(command, info_name=name, parent=ctx)
        assert rest, f"{argv}: {name} needs a command"
        name, rest = rest[0], rest[1:]
        found = command.get_command(ctx, name)
        assert found is not None, f"{argv}: no command {name!r}"
        command = found
    assert command is not None, f"{argv}: no command {name!r}"
    command.make_context(name, list(rest), parent=ctx)  # UsageError on an unknown option or a bad value
    return command


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    return loaded


def _ours(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in compose["services"].items() if str(s.get("image", "")).startswith(IMAGE)}


def test_every_command_the_compose_file_runs_is_a_real_frontier_review_command(compose: dict[str, Any]) -> None:
    ours = _ours(compose)
    commands = {name: str(_command(service["command"]).name) for name, service in ours.items()}
    assert sorted(commands.values()) == ["serve", "serve", "upgrade", "worker", "worker"], commands
    for name, service in ours.items():
        if commands[name] == "serve":  # several processes: one migration first, and Redis for the queue
            assert {"--no-migrate", "--no-embedded-worker"} <= set(service["command"])
            assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        if commands[name] == "worker":
            assert service["healthcheck"] == {"disable": True}  # the image's check is an HTTP one
    assert {"postgres", "redis", "caddy", "migrate"} <= set(compose["services"])


def test_every_fr_variable_set_is_a_real_setting(compose: dict[str, Any]) -> None:
    names: set[str] = set()
    for service in compose["services"].values():
        environment = service.get("environment", {})
        names |= set(environment) if isinstance(environment, dict) else {e.split("=", 1)[0] for e in environment}
    names |= set(re.findall(r"\b(FR_[A-Z0-9_]+)=", (ROOT / "deploy" / "env.example").read_text()))
    names |= set(re.findall(r"\b(FR_[A-Z0-9_]+)=", (ROOT / "Containerfile").read_text()))
    ours = {n for n in names if n.startswith("FR_")}
    assert {"FR_DATABASE_URL", "FR_REDIS_URL", "FR_MASTER_KEY", "FR_SESSION_SECRET"} <= ours
    assert ours <= SETTINGS, f"not settings: {sorted(ours - SETTINGS)}"
    web = _ours(compose)["web-1"]["environment"]
    assert web["FR_ENV"] == "prod" and web["FR_DATABASE_URL"].startswith("postgresql://")


def test_every_process_gets_the_same_environment(compose: dict[str, Any]) -> None:
    environments = [service["environment"] for service in _ours(compose).values()]
    assert all(environment == environments[0] for environment in environments)


def test_the_proxy_balances_over_every_web_process_on_readiness(compose: dict[str, Any]) -> None:
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    upstreams = re.search(r"reverse_proxy ([^{]+)\{", caddyfile)
    assert upstreams is not None
    web = sorted(name for name, s in _ours(compose).items() if _command(s["command"]).name == "serve")
    assert sorted(upstreams.group(1).split()) == [f"{name}:8000" for name in web]
    assert "health_uri /readyz" in caddyfile
    volumes = compose["services"]["caddy"]["volumes"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in volumes


def test_the_image_installs_the_lock_with_hashes_and_runs_as_a_user() -> None:
    containerfile = (ROOT / "Containerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", containerfile, re.MULTILINE)
    assert "--require-hashes --no-deps -r requirements.lock" in containerfile
    user = re.findall(r"^USER (\S+)", containerfile, re.MULTILINE)
    assert user and user[-1] not in {"root", "0"}
    assert '"/readyz"' in containerfile or "/readyz'" in containerfile
    entrypoint = re.search(r'^ENTRYPOINT \["frontier-review"\]$', containerfile, re.MULTILINE)
    cmd = re.search(r"^CMD (\[.*\])$", containerfile, re.MULTILINE)
    assert entrypoint is not None and cmd is not None
    assert _command(yaml.safe_load(cmd.group(1))).name == "serve"


@pytest.mark.parametrize(
    "argv", [["serve", "--no-such-option"], ["db", "downgrade-all"], ["no-such-group"], ["worker", "--workers", "x"]]
)
def test_the_check_refuses_what_frontier_review_would_refuse(argv: list[str]) -> None:
    with pytest.raises((click.UsageError, AssertionError)):
        _command(argv)
