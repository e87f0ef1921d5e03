"""The audit browser's question for target names: each type to its namer, and only what was asked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from frontier_review.audit.targets import NameTargets, TargetLink, answering, uuid_ids
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.principal import Principal

READER = Principal.system("tests")


def _greedy(_uow: UnitOfWork, _reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    # A namer that answers for more than it was asked must not add names to the page.
    return {**{i: TargetLink(f"thing {i}", f"/things/{i}") for i in ids}, "not-asked": TargetLink("leak")}


def test_each_type_goes_to_its_namer_and_nothing_else_is_named() -> None:
    question = NameTargets(READER, {"thing": frozenset({"a", "b"}), "other": frozenset({"c"})})
    answering({"thing": _greedy})(cast(Any, None), question)
    assert question.names == {
        ("thing", "a"): TargetLink("thing a", "/things/a"),
        ("thing", "b"): TargetLink("thing b", "/things/b"),
    }


def test_uuid_ids_keeps_the_recorded_text() -> None:
    text = "3F2504E0-4F89-11D3-9A0C-0305E82C3301"
    parsed = uuid_ids([text, "not-a-uuid", ""])
    assert list(parsed.values()) == [text]
