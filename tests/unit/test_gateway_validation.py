"""The gateway's own request validation, its token counting rule, and the terms' gateway rules."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.engagements.access.domain import AccessContext, access_ends, api_refusal
from frontier_review.engagements.lifecycle.domain import Cohort, EngagementState, Materials, Recipients, Window, shared_variants
from frontier_review.gateway.validation import (
    DEFAULT_MAX_TOKENS,
    MAX_N,
    MESSAGE_OVERHEAD,
    InvalidRequest,
    check,
    completion_text_bytes,
    count_text,
    tokens_from_bytes,
)

CHAT = "/chat/completions"
HI = [{"role": "user", "content": "hi"}]


def chat(**extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": HI, **extra}


def problem(body: Any, path: str = CHAT) -> str | None:
    with pytest.raises(InvalidRequest) as caught:
        check(body, path)
    return caught.value.param


def test_a_plain_chat_request_passes_with_its_worst_case() -> None:
    checked = check(chat(), CHAT)
    assert checked.choices == 1
    assert checked.max_tokens is None
    assert checked.prompt_tokens == MESSAGE_OVERHEAD + count_text("hi")
    assert checked.worst_case() == checked.prompt_tokens + DEFAULT_MAX_TOKENS
    assert checked.least() == checked.prompt_tokens + 1


def test_the_choices_multiply_for_n_best_of_and_several_prompts() -> None:
    assert check(chat(n=3, max_tokens=10), CHAT).worst_case() == MESSAGE_OVERHEAD + 1 + 30
    legacy = check({"model": "m", "prompt": ["a", "b"], "n": 2, "best_of": 3, "max_tokens": 5}, "/completions")
    assert legacy.choices == 6
    assert problem({"model": "m", "prompt": ["a"] * 3, "n": 3}, "/completions") == "n"  # 9 > MAX_N
    assert problem({"model": "m", "prompt": "a", "n": 3, "best_of": 2}, "/completions") == "best_of"
    assert check({"model": "m", "prompt": [1, 2, 3]}, "/completions").prompt_tokens == 3


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ([], None),
        ({"messages": HI}, "model"),
        (chat(messages=[]), "messages"),
        (chat(messages=["hi"]), "messages[0]"),
        (chat(messages=[{"role": "root", "content": "x"}]), "messages[0].role"),
        (chat(messages=[{"role": "user", "content": None}]), "messages[0].content"),
        (
            chat(messages=[{"role": "assistant", "content": None, "tool_calls": [{"function": {}}]}]),
            "messages[0].tool_calls[0].function",
        ),
        (chat(messages=[{"role": "system", "content": [{"type": "image_url", "image_url": {}}]}]), "messages[0].content[0].type"),
        (chat(messages=[{"role": "user", "content": [{"type": "text", "text": 1}]}]), "messages[0].content[0].text"),
        (chat(messages=[{"role": "user", "content": "x", "name": 3}]), "messages[0].name"),
        (chat(n=MAX_N + 1), "n"),
        (chat(n=True), "n"),
        (chat(temperature=float("nan")), "temperature"),
        (chat(frequency_penalty=2.5), "frequency_penalty"),
        (chat(top_logprobs=21), "top_logprobs"),
        (chat(seed=2**64), "seed"),
        (chat(stop=[1]), "stop"),
        (chat(stream=1), "stream"),
        (chat(stream_options=[]), "stream_options"),
        ({"model": "m", "prompt": ""}, "prompt"),
    ],
)
def test_each_problem_names_its_field(body: Any, param: str | None) -> None:
    path = "/completions" if isinstance(body, dict) and "prompt" in body else CHAT
    assert problem(body, path) == param


def test_valid_shapes_pass() -> None:
    messages = [
        {"role": "system", "content": [{"type": "text", "text": "be brief"}]},
        {"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "data:"}}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c", "content": "42"},
    ]
    body = chat(messages=messages, temperature=0.2, top_p=1, stop=["\n"], seed=-1, logprobs=True, top_logprobs=2)
    assert check(body, CHAT).body is body


@given(st.text(), st.lists(st.integers(min_value=0, max_value=30), max_size=8))
def test_a_stream_counts_exactly_what_the_whole_answer_counts(text: str, cuts: list[int]) -> None:
    """The same rule for streamed and non-streamed calls: however the text is split into
    deltas, the completion's count equals the non-streamed count."""
    bounds = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    pieces = [text[a:b] for a, b in itertools.pairwise(bounds)]
    whole = completion_text_bytes([{"message": {"content": text}}], streamed=False)
    streamed = sum(completion_text_bytes([{"delta": {"content": p}}], streamed=True) for p in pieces)
    assert tokens_from_bytes(streamed) == tokens_from_bytes(whole) == count_text(text)


def test_the_counting_rule() -> None:
    assert count_text("") == 0
    assert count_text("abcd") == 1
    assert count_text("abcde") == 2
    assert count_text("é") == 1  # two bytes
    assert count_text("日本語") == 3  # nine bytes


# the terms' gateway rules (pure) ---------------------------------------------------------------

NOW = datetime(2026, 6, 10, tzinfo=UTC)


def test_the_variants_follow_the_materials() -> None:
    assert shared_variants(Materials(api_access=False, system_card=True)) == ()
    assert shared_variants(Materials()) == ("standard",)
    assert shared_variants(Materials(reduced_safeguard_variant=True)) == ("standard", "reduced-safeguard")
    no_api = api_refusal(Materials(api_access=False, system_card=True), None)
    assert no_api is not None
    assert no_api.code == "api_access_not_shared"
    reduced = api_refusal(Materials(), "reduced-safeguard")
    assert reduced is not None
    assert reduced.code == "variant_not_shared"
    assert api_refusal(Materials(reduced_safeguard_variant=True), "reduced-safeguard") is None
    assert api_refusal(Materials(), None) is None


def _ctx(cohort: Cohort, designation: datetime | None) -> AccessContext:
    return AccessContext(
        engagement_id=uuid.uuid4(),
        participant_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        state=EngagementState.ACTIVE,
        closed_reason=None,
        version_status="prerelease",
        window=Window(NOW - timedelta(days=1), NOW + timedelta(days=5)),
        cohort=cohort,
        recipients=Recipients.FEDERAL_AND_PARTNERS,
        partners_from=None,
        current_terms=1,
        accepted_terms=1,
        participant_revoked=False,
        user_revoked=False,
        user_active=True,
        partner_designation_until=designation,
    )


def test_access_ends_at_the_window_or_at_a_partner_designation_lapsing_first() -> None:
    end = NOW + timedelta(days=5)
    assert access_ends(_ctx(Cohort.GOVERNMENT, None)) == end
    assert access_ends(_ctx(Cohort.PARTNER, NOW + timedelta(days=2))) == NOW + timedelta(days=2)
    assert access_ends(_ctx(Cohort.PARTNER, NOW + timedelta(days=9))) == end
