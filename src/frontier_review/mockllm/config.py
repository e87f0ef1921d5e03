"""What the fake model does: one frozen dataclass, and the presets its three users start from.

The demo, the tests and the gateway benchmark used to carry a fake each; they now differ only
in these settings. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

UPSTREAM_SECRET_TEXT = "Invalid 'messages[0].role': upstream-internal-detail-4711"  # noqa: S105 - a marker, not a secret
"""The validation text the fake's failures carry: the gateway must never pass it on to clients."""

DEMO_REPLY = (
    "This is the demo's stand-in model (install the local-model extra for SmolLM2). "
    "Your request reached it through the Frontier Review gateway, which checked your token, "
    "the engagement window, the terms and your quota, and recorded the call."
)


@dataclass(frozen=True, slots=True)
class MockLLMConfig:
    """How the fake answers.

    Attributes:
        text: the answer to any prompt that is neither multiple-choice nor a grading prompt.
        letter: the answer to a multiple-choice prompt (``ANSWER: <letter>``).
        recognise_prompts: answer multiple-choice prompts (a line starting ``A)``…``D)``) with
            ``letter`` and Inspect's ``model_graded_fact`` prompts with ``GRADE: C`` when the
            submission contains the expert answer, ``GRADE: I`` otherwise; off, always ``text``.
        failure_modes: obey the trigger words in prompts (see the package docstring).
        latency: seconds to wait before answering a chat completion.
        stream_delay: seconds to wait after each streamed content chunk.
        usage_in_json: report usage at all (off: never, in JSON or in streams).
        usage_in_stream: send the usage chunk a streaming client asks for (off: never, as
            llama.cpp's server does).
        to_limit: report ``n × max_tokens`` completion tokens when ``max_tokens`` is given (a
            model that always writes up to the limit).
        completion_tokens: completion tokens per answer; None counts a quarter of its characters.
        models: the ids ``/v1/models`` lists; the first one names answers to requests without one.
        owned_by: the ``owned_by`` of those models.
        unique_ids: number every answer (``chatcmpl-1``, ``chatcmpl-2``…) with the current time.
            Off, equal answers are serialized once and sent again with one id and one time: the
            benchmark's upstream must cost as little CPU as possible.
        keep_bodies: how many request bodies ``state.bodies`` keeps (newest last); None keeps all.
    """

    text: str = "7"
    letter: str = "B"
    recognise_prompts: bool = True
    failure_modes: bool = True
    latency: float = 0.0
    stream_delay: float = 0.0
    usage_in_json: bool = True
    usage_in_stream: bool = True
    to_limit: bool = False
    completion_tokens: int | None = 3
    models: tuple[str, ...] = ("fake",)
    owned_by: str = "mockllm"
    unique_ids: bool = True
    keep_bodies: int | None = None

    def __post_init__(self) -> None:
        if not self.models:
            raise ValueError("the fake needs at least one model id")
        if self.latency < 0 or self.stream_delay < 0:
            raise ValueError("latency and stream_delay are seconds, never negative")


TESTS = MockLLMConfig()
"""The tests' fake: deterministic answers, every failure mode, every body kept."""

DEMO = MockLLMConfig(
    text=DEMO_REPLY,
    recognise_prompts=False,
    failure_modes=False,
    completion_tokens=None,
    models=("smollm2",),
    owned_by="demo",
)
"""The demo's stand-in model: one reply that says what it is, whatever the prompt; no trigger words."""

BENCHMARK = MockLLMConfig(
    text="The answer is 7.",
    latency=0.02,
    owned_by="bench",
    unique_ids=False,
    keep_bodies=0,
)
"""The gateway benchmark's upstream: answers after 20 ms, serialized once, nothing kept."""
