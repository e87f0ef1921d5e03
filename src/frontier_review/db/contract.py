"""Migrations that the previous release's code survives (issue 13 item 6).

During an upgrade the previous release keeps serving until every process is replaced, against
the schema the new release migrated. So a migration must never take away what that code reads:
a column or table it maps. The rule, checked by ``scripts/check_migrations.py`` on every
migration's ``upgrade()``:

- **No renames** (``rename_table``, ``alter_column(new_column_name=...)``): add the new column,
  copy, switch the code over, and drop the old one in a later release.
- **Drops only in a contract migration**: a migration marked with a line ``# contract: <why>``
  may drop a column or a table, and only one that the models no longer map and that
  :data:`frontier_review.db.retired.RETIRED` lists (the release that stopped mapping it wrote it
  there; the contract migration belongs to a later release).
- **No raw DDL that drops or renames** (``op.execute("ALTER TABLE … DROP …")``): the check could
  not see what it takes away.

This is a convention the check enforces, not a proof: it cannot know which release a migration
ships in, so "a later release" is the reviewer's to hold (the ``RETIRED`` entry names the release).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData

__all__ = ["CONTRACT_MARKER", "VERSIONS", "check_directory", "mapped_names", "problems"]

VERSIONS = Path(__file__).parent / "migrations" / "versions"
CONTRACT_MARKER = re.compile(r"^\s*#\s*contract:\s*\S", re.MULTILINE)
_RAW_DDL = re.compile(r"\b(DROP\s+(TABLE|COLUMN)|RENAME\s+(TO|COLUMN))\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Operation:
    kind: str  # "drop", "rename" or "raw"
    name: str  # "table" or "table.column" (the raw SQL for "raw")
    line: int


def _string(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _arg(call: ast.Call, index: int, name: str) -> str | None:
    return _string(call.args[index] if len(call.args) > index else _keyword(call, name))


def _batch_tables(function: ast.FunctionDef) -> dict[str, str]:
    """``with op.batch_alter_table("t") as batch_op``: the batch variable → its table."""
    tables = {}
    for node in ast.walk(function):
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "batch_alter_table"
                    and isinstance(item.optional_vars, ast.Name)
                ):
                    tables[item.optional_vars.id] = _arg(call, 0, "table_name") or "?"
    return tables


def _operations(function: ast.FunctionDef) -> Iterator[_Operation]:
    batches = _batch_tables(function)
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, owner = node.func.attr, node.func.value
        batch = batches.get(owner.id) if isinstance(owner, ast.Name) else None
        line = node.lineno
        if method == "drop_table":
            yield _Operation("drop", _arg(node, 0, "table_name") or "?", line)
        elif method == "drop_column":
            if batch is not None:
                yield _Operation("drop", f"{batch}.{_arg(node, 0, 'column_name') or '?'}", line)
            else:
                yield _Operation("drop", f"{_arg(node, 0, 'table_name') or '?'}.{_arg(node, 1, 'column_name') or '?'}", line)
        elif method == "rename_table":
            yield _Operation("rename", _arg(node, 0, "old_table_name") or "?", line)
        elif method == "alter_column" and _keyword(node, "new_column_name") is not None:
            column = _arg(node, 0, "column_name") if batch is not None else _arg(node, 1, "column_name")
            table = batch if batch is not None else _arg(node, 0, "table_name")
            yield _Operation("rename", f"{table or '?'}.{column or '?'}", line)
        elif method == "execute":
            sql = _string(node.args[0]) if node.args else None
            if sql is None and node.args and isinstance(node.args[0], ast.Call):  # op.execute(sa.text("..."))
                sql = _arg(node.args[0], 0, "text")
            if sql is not None and _RAW_DDL.search(sql):
                yield _Operation("raw", " ".join(sql.split())[:80], line)


def problems(source: str, *, name: str, mapped: Collection[str], retired: Collection[str]) -> list[str]:
    """What in a migration's ``upgrade()`` would break the previous release's code (empty when safe).

    Args:
        source: The migration module's text.
        name: The migration's file name, for the messages.
        mapped: Every table (``"users"``) and column (``"users.email"``) the models map.
        retired: The tables and columns the code stopped mapping (``db.retired.RETIRED``).
    """
    tree = ast.parse(source, filename=name)
    upgrade = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None)
    if upgrade is None:
        return []
    contract = CONTRACT_MARKER.search(source) is not None
    found = []
    for op in _operations(upgrade):
        where = f"{name}:{op.line}"
        if op.kind == "rename":
            found.append(
                f"{where}: renames {op.name}, which the previous release still reads; add the new name, "
                "copy, and drop the old one in a later release"
            )
        elif op.kind == "raw":
            found.append(f"{where}: raw DDL that drops or renames ({op.name}); use op.drop_column/op.drop_table")
        elif not contract:
            found.append(f"{where}: drops {op.name} outside a contract migration (a '# contract: <why>' line)")
        elif op.name in mapped:
            found.append(f"{where}: drops {op.name}, which the models still map")
        elif op.name not in retired:
            found.append(f"{where}: drops {op.name}, which db/retired.py does not list as retired by an earlier release")
    return found


def mapped_names(metadata: MetaData) -> set[str]:
    """Every table (``"users"``) and column (``"users.email"``) the models map."""
    names = set()
    for table in metadata.tables.values():
        names.add(table.name)
        names.update(f"{table.name}.{column.name}" for column in table.columns)
    return names


def check_directory(metadata: MetaData, retired: Collection[str], directory: Path = VERSIONS) -> list[str]:
    """:func:`problems` of every migration in ``directory`` (the packaged ones by default)."""
    mapped = mapped_names(metadata)
    found = []
    for path in sorted(directory.glob("*.py")):
        found += problems(path.read_text(encoding="utf-8"), name=path.name, mapped=mapped, retired=retired)
    return found
