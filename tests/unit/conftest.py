"""Unit tests run without a database or network and ignore the caller's ``FR_*`` variables."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_fr_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Settings`` reads ``FR_*`` variables; a developer's shell must not change a unit test."""
    for name in list(os.environ):
        if name.startswith("FR_"):
            monkeypatch.delenv(name)
