"""The operator CLI end to end in subprocesses: bootstrap, organizations, users, tokens, errors."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa

from frontier_review.bootstrap import Container
from frontier_review.identity.orm import Organization, User
from tests.cli import cli_env, run_cli


def _cli(container: Container, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(container, *args)


def test_operator_sets_up_an_instance(container: Container) -> None:
    boot = _cli(container, "admin", "bootstrap", "--email", "ops@example.org", "--password", "operator password 123")
    assert boot.returncode == 0, boot.stderr
    again = _cli(container, "admin", "bootstrap", "--email", "ops2@example.org", "--password", "operator password 123")
    assert again.returncode == 1
    assert "already has an operator" in again.stderr
    org = _cli(
        container, "admin", "create-org", "--name", "First Federal Bank", "--kind", "partner", "--sector", "financial_services"
    )
    assert org.returncode == 0, org.stderr
    user = _cli(
        container,
        "admin",
        "create-user",
        "--org",
        "first federal bank",
        "--email",
        "secops@example.org",
        "--full-name",
        "Jamie Rivera",
        "--role",
        "admin",
        "--password",
        "bank admin password",
    )
    assert user.returncode == 0, user.stderr
    token = _cli(container, "admin", "issue-token", "--email", "secops@example.org", "--name", "taxii pull", "--days", "30")
    assert token.returncode == 0, token.stderr
    assert token.stdout.strip().splitlines()[-1].startswith("frt_")
    with container.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 2
        assert session.scalars(sa.select(Organization.sector)).one() == "financial_services"
    verify = _cli(container, "audit", "verify")
    assert verify.returncode == 0, verify.stderr


def test_bad_input_is_one_clear_line_and_non_zero(container: Container) -> None:
    no_sector = _cli(container, "admin", "create-org", "--name", "Some Bank", "--kind", "partner")
    assert no_sector.returncode == 1
    assert no_sector.stderr.strip().startswith("error:") and "sector" in no_sector.stderr
    bad_kind = _cli(container, "admin", "create-org", "--name", "Some Bank", "--kind", "bank")
    assert bad_kind.returncode == 2  # Typer's usage error names the option
    assert "--kind" in bad_kind.stderr
    unknown_org = _cli(
        container,
        "admin",
        "create-user",
        "--org",
        "nowhere",
        "--email",
        "a@example.org",
        "--full-name",
        "A B",
        "--password",
        "long enough pass",
    )
    assert unknown_org.returncode == 1 and "no organization" in unknown_org.stderr
    weak = _cli(container, "admin", "bootstrap", "--email", "ops@example.org", "--password", "short")
    assert weak.returncode == 1 and "12 characters" in weak.stderr
    assert "Traceback" not in (no_sector.stderr + unknown_org.stderr + weak.stderr)
    with container.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 0


def test_help_everywhere() -> None:
    for args in ([], ["admin"], ["audit"], ["keys"], ["db"], ["serve"], ["worker"], ["demo"]):
        done = subprocess.run(
            [sys.executable, "-m", "frontier_review.cli", *args, "--help"], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, (args, done.stderr)
        assert "Usage" in done.stdout


def test_audit_export_writes_json_lines(container: Container, tmp_path: object) -> None:
    import json
    from pathlib import Path

    _cli(container, "admin", "create-org", "--name", "DHS CISA", "--kind", "agency")
    out = Path(str(tmp_path)) / "audit.jsonl"
    done = _cli(container, "audit", "export", "--output", str(out))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["action"] == "identity:organization:created"
    assert all(len(e["hash"]) == 64 for e in lines)


def test_configuration_errors_are_one_line(container: Container) -> None:
    env = {**cli_env(container), "FR_PORT": "not-a-port"}
    done = subprocess.run(
        [sys.executable, "-m", "frontier_review.cli", "audit", "verify"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "FR_PORT" in done.stderr
    assert "Traceback" not in done.stderr
    wrong_key = {**cli_env(container), "FR_MASTER_KEY": "A" * 43 + "="}
    _cli(container, "audit", "checkpoint")  # creates the signing key under the right master key
    _cli(container, "admin", "create-org", "--name", "Some Agency", "--kind", "agency")
    refused = subprocess.run(
        [sys.executable, "-m", "frontier_review.cli", "audit", "checkpoint"],
        env=wrong_key,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2
    assert "master key" in refused.stderr
    assert "Traceback" not in refused.stderr
