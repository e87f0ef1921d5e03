"""A failed run's reason names the error's class and HTTP status, never its text (E1)."""

from __future__ import annotations

import pytest

from frontier_review.evals.runner import _exception_reason, _safe_reason

ITEM = 'Which CWE is this?\nquery = "SELECT * FROM t WHERE id=" + uid'


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (f'BadRequestError(\'Error code: 400 - {{"messages": [{{"content": {ITEM!r}}}]}}\')', "BadRequestError, HTTP 400"),
        ("APIConnectionError('Connection error.')", "APIConnectionError"),
        (f"openai.InternalServerError: Error code: 500 - {ITEM}", "openai.InternalServerError, HTTP 500"),
        (f"{ITEM} went wrong", "error"),
        ("", "error"),
    ],
)
def test_the_reason_keeps_only_class_and_status(message: str, expected: str) -> None:
    reason = _safe_reason(message)
    assert reason == expected
    assert "SELECT" not in reason
    assert "CWE" not in reason


def test_an_exception_reason_keeps_only_its_class_and_status() -> None:
    assert _exception_reason(ValueError(f"status code 422: {ITEM}")) == "ValueError, HTTP 422"
    assert _exception_reason(TimeoutError(ITEM)) == "TimeoutError"
