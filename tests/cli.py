"""Running the real ``frontier-review`` command in a subprocess against a test container's storage."""

from __future__ import annotations

import os
import subprocess
import sys

from frontier_review.bootstrap import Container


def cli_env(container: Container, **overrides: str) -> dict[str, str]:
    """The environment that points the CLI at ``container``'s database, keys and data directory."""
    s = container.settings
    assert s.session_secret is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("FR_")}
    env.update(
        {
            "FR_DATA_DIR": str(s.data_dir),
            "FR_DATABASE_URL": s.resolved_database_url,
            "FR_SESSION_SECRET": s.session_secret.get_secret_value(),
            "FR_GATEWAY_SHED_LAG_MS": str(s.gateway_shed_lag_ms),  # off in tests, as in-process (conftest)
            "COLUMNS": "200",
        }
    )
    if s.master_key is not None:  # otherwise the key file in the data directory is used
        env["FR_MASTER_KEY"] = s.master_key.get_secret_value()
    env.update(overrides)
    return env


def run_cli(container: Container, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``frontier-review ARGS`` and capture its output (never raises on a non-zero exit)."""
    return subprocess.run(
        [sys.executable, "-m", "frontier_review.cli", *args],
        env=env or cli_env(container),
        capture_output=True,
        text=True,
        check=False,
    )
