"""docs/architecture.md maps the code: every package is described, and every module it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "frontier_review"
DOC = ROOT / "docs" / "architecture.md"


def _packages() -> list[str]:
    """Every package under ``frontier_review`` down to the sub-slices of an area (``engagements/access/``)."""
    found = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        relative = init.parent.relative_to(PACKAGE)
        if relative.parts and len(relative.parts) <= 2 and "migrations" not in relative.parts:
            found.append(relative.as_posix() + "/")
    return found


def test_every_package_is_described_in_the_architecture_doc() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in _packages() if f"`{name}`" not in text]
    assert not missing, f"docs/architecture.md does not describe these packages: {missing}"


def test_every_module_the_architecture_doc_names_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z_]+(?:/[a-z_]+)*/[a-z_]+\.py)`", text))
    assert named, "the doc names no module; the pattern is wrong"
    # Paths under tests/, scripts/ or benchmarks/ are relative to the repository; the rest to the package.
    missing = sorted(path for path in named if not (PACKAGE / path).exists() and not (ROOT / path).exists())
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"


def test_the_package_list_is_not_empty() -> None:
    # A guard for the test itself: a wrong root would make the first test pass vacuously.
    assert {"engagements/", "kernel/", "gateway/"} <= set(_packages())


def test_no_module_is_over_500_lines() -> None:
    # Small modules are how a newcomer finds the one file that holds a rule; migrations are exempt.
    long = {
        path.relative_to(PACKAGE).as_posix(): count
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts and (count := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert not long, f"modules over 500 lines: {long}"
