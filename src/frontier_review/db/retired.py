"""Tables and columns the code no longer maps but the database may still hold (expand/contract).

Removing a column takes two releases (see :mod:`frontier_review.db.contract`): the first stops
mapping it and adds it here, so ``alembic check`` accepts the column still being there and the
previous release, which reads it, keeps working during the upgrade; a later release drops it in a
migration marked ``# contract:``. Entries stay after the drop, as the record of why it went.
"""

from __future__ import annotations

__all__ = ["RETIRED", "include_object"]

RETIRED: dict[str, str] = {
    # "table.column" or "table": the release whose code stopped mapping it, e.g.
    # "users.legacy_flag": "0.2.0",
}


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's ``include_object`` filter: a retired table or column still in the database is no difference."""
    if not reflected or compare_to is not None or name is None:
        return True  # only what the database has and the models do not map can be retired
    if type_ == "table":
        return name not in RETIRED
    if type_ == "column":
        table = getattr(getattr(obj, "table", None), "name", None)
        return f"{table}.{name}" not in RETIRED
    return True
