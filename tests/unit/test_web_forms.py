"""The form kit's pure parts: which fields are never kept, how problems land on fields, messages."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi import Request

from frontier_review.kernel.errors import FieldProblem
from frontier_review.web.forms import Declared, human_message, is_secret, refused, safe_path


@pytest.mark.parametrize(
    "name",
    ["csrf_token", "password", "new_password", "password_again", "current_password", "api_key", "token", "client_secret", "key"],
)
def test_secrets_are_never_kept(name: str) -> None:
    assert is_secret(name)


@pytest.mark.parametrize("name", ["title", "tokens_per_day", "description", "kind", "name", "window_end", "recipients"])
def test_ordinary_fields_are_kept(name: str) -> None:
    assert not is_secret(name)


def _request(path: str) -> Request:
    return cast(Request, SimpleNamespace(url=SimpleNamespace(path=path)))


def test_problems_land_on_the_forms_names_and_in_the_summary() -> None:
    declared = Declared(page="/p", aliases={"expires_at": "expires_on"}, values={"title": ["ab"]})
    state = refused(
        _request("/things"),
        declared,
        [FieldProblem("title", "too short"), FieldProblem("expires_at", "in the past"), FieldProblem("title", "no digits")],
        "2 problems",
    )
    assert state.action == "/things"
    assert state.bind("/other") is None
    claimed_by_another_form = state.claimed
    assert not claimed_by_another_form
    bound = state.bind("/things")
    assert bound is not None
    assert state.claimed
    assert dict(bound.errors) == {"title": ["too short", "no digits"], "expires_on": ["in the past"]}
    assert list(bound.summary) == [("title", "too short"), ("expires_on", "in the past"), ("title", "no digits")]
    assert bound.values["title"] == ["ab"]


def test_a_plain_error_goes_to_the_summary_and_a_catch_all_alias_takes_every_field() -> None:
    plain = refused(_request("/x"), Declared(page="/p", aliases={}), [], "the engagement is closed")
    assert list(plain.form.summary) == [(None, "the engagement is closed")]
    assert not plain.form.errors
    every = refused(
        _request("/x"), Declared(page="/p", aliases={"*": "source"}), [FieldProblem("criteria[0].value", "line 3: bad")], ""
    )
    assert dict(every.form.errors) == {"source": ["line 3: bad"]}


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"type": "missing"}, "window end is required"),
        ({"type": "int_parsing"}, "window end must be a whole number"),
        ({"type": "uuid_parsing"}, "choose a window end from the list"),
        (
            {"type": "string_too_long", "msg": "String should have at most 40 characters"},
            "window end: string should have at most 40 characters",
        ),
    ],
)
def test_request_validation_messages_read_as_sentences(error: dict[str, Any], expected: str) -> None:
    assert human_message("window_end", error) == expected


@pytest.mark.parametrize(
    ("value", "safe"), [("/a", True), ("//evil", False), ("https://x", False), ("/a\\\\b", False), ("", False)]
)
def test_only_same_site_paths(value: str, safe: bool) -> None:
    assert (safe_path(value) is not None) is safe
