"""Running the real ``frontier-review`` command in a subprocess against a test container's storage."""

from __future__ import annotations

import os
import subprocess
import sys

from frontier_review.bootstrap import Container


def cli_env(container: Container, **overrides: str) -> dict[str, str]:
    """The environment that points the CLI at ``container``'s database, keys and data directory."""
    s = container.settings
    assert s.master_key is not None
    assert s.session_secret is not None
    return {
        **os.environ,
        "FR_DATA_DIR": str(s.data_dir),
        "FR_DATABASE_URL": s.resolved_database_url,
        "FR_MASTER_KEY": s.master_key.get_secret_value(),
        "FR_SESSION_SECRET": s.session_secret.get_secret_value(),
        "COLUMNS": "200",
        **overrides,
    }


def run_cli(container: Container, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``frontier-review ARGS`` and capture its output (never raises on a non-zero exit)."""
    return subprocess.run(
        [sys.executable, "-m", "frontier_review.cli", *args],
        env=env or cli_env(container),
        capture_output=True,
        text=True,
        check=False,
    )
