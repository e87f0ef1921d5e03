"""OpenAI request bodies, checked by the gateway itself, and its own token counting rule.

Pure functions (no I/O). The gateway validates what it forwards (item 12 of issue 10): a
request the upstream would reject is answered here with a 400 naming the field, so no
upstream's own validation text ever reaches the reviewer. The platform's limits on ``n`` and
``max_tokens`` bound every call's worst case, which quotas reserve before forwarding (item 10).

Token counting (item 11): when the upstream reports no usage (llama.cpp sends none in
streams), the gateway counts itself, by one deterministic rule for prompts and completions,
streamed or not: a text counts ``ceil(UTF-8 bytes / 4)`` tokens (about one token per four
characters of English, more for other scripts, so it errs towards counting more), each chat
message adds ``MESSAGE_OVERHEAD`` for its role and framing, and a prompt given as token ids
counts one per id. The completion's count is taken over all its choices' text (and tool-call
arguments) together, so a stream's pieces add up to exactly the non-streamed count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MAX_N = 8  # choices per call (n, best_of, and prompts in one legacy completion call, multiplied)
MAX_TOKENS = 16_384  # max_tokens / max_completion_tokens per choice
DEFAULT_MAX_TOKENS = 4_096  # when the client names none: the upstream is told this (or less)
MAX_MESSAGES = 2_048
MESSAGE_OVERHEAD = 4
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
PART_TYPES = {
    "system": frozenset({"text"}),
    "developer": frozenset({"text"}),
    "user": frozenset({"text", "image_url", "input_audio", "file"}),
    "assistant": frozenset({"text", "refusal"}),
    "tool": frozenset({"text"}),
    "function": frozenset({"text"}),
}
# name: (lowest, highest, whole numbers only)
RANGES: dict[str, tuple[float, float, bool]] = {
    "temperature": (0, 2, False),
    "top_p": (0, 1, False),
    "presence_penalty": (-2, 2, False),
    "frequency_penalty": (-2, 2, False),
    "n": (1, MAX_N, True),
    "max_tokens": (1, MAX_TOKENS, True),
    "max_completion_tokens": (1, MAX_TOKENS, True),
    "top_logprobs": (0, 20, True),
    "seed": (-(2**63), 2**63 - 1, True),
}
COMPLETION_RANGES: dict[str, tuple[float, float, bool]] = {"best_of": (1, MAX_N, True), "logprobs": (0, 5, True)}


class InvalidRequest(ValueError):
    """A request the gateway will not forward: ``param`` names the offending field."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass(frozen=True)
class Checked:
    """A valid request and what quotas need to know about it."""

    body: dict[str, Any]
    choices: int  # completions the upstream will generate (n × best_of × prompts)
    max_tokens: int | None  # per choice, as the client asked (None: not said)
    prompt_tokens: int  # the gateway's count of the prompt

    def worst_case(self) -> int:
        """Tokens the call may use at most, before any cap from the quota."""
        return self.prompt_tokens + self.choices * (self.max_tokens or DEFAULT_MAX_TOKENS)

    def least(self) -> int:
        """The fewest tokens the call can be served with: its prompt and one token per choice."""
        return self.prompt_tokens + self.choices


def count_text(text: str) -> int:
    """Tokens in ``text`` by the gateway's rule: ``ceil(UTF-8 bytes / 4)``."""
    return math.ceil(len(text.encode("utf-8", "surrogatepass")) / 4)


def check(body: Any, path: str) -> Checked:
    """Validate an OpenAI request for ``path`` (``/chat/completions`` or ``/completions``).

    Args:
        body: The decoded JSON body.
        path: The gateway route.

    Returns:
        The request with its choice count, requested ``max_tokens`` and prompt token count.

    Raises:
        InvalidRequest: The first problem found, naming its field.
    """
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("model is required", "model")
    chat = path == "/chat/completions"
    prompt_tokens, prompts = (_check_messages(body.get("messages")), 1) if chat else _check_prompt(body.get("prompt"))
    ranges = RANGES if chat else {**RANGES, **COMPLETION_RANGES}
    for name, (low, high, whole) in ranges.items():
        if body.get(name) is not None:
            _in_range(name, body[name], low, high, whole=whole)
    if chat and body.get("logprobs") is not None and not isinstance(body["logprobs"], bool):
        raise InvalidRequest("logprobs must be true or false", "logprobs")
    if "stream" in body and body["stream"] is not None and not isinstance(body["stream"], bool):
        raise InvalidRequest("stream must be true or false", "stream")
    _check_stream_options(body.get("stream_options"))
    _check_stop(body.get("stop"))
    n = body.get("n") or 1
    best_of = None if chat else body.get("best_of")
    if best_of is not None and best_of < n:
        raise InvalidRequest("best_of must be at least n", "best_of")
    choices = max(n, best_of or 1) * prompts
    if choices > MAX_N:
        raise InvalidRequest(f"a call may ask for at most {MAX_N} completions (n × best_of × prompts)", "n")
    asked = body.get("max_completion_tokens") if chat else None
    asked = asked if asked is not None else body.get("max_tokens")
    return Checked(body, choices, asked, prompt_tokens)


def _in_range(name: str, value: Any, low: float, high: float, *, whole: bool) -> None:
    kind = "a whole number" if whole else "a number"
    ok = not isinstance(value, bool) and (isinstance(value, int) if whole else isinstance(value, int | float))
    if not ok or not math.isfinite(value) or not low <= value <= high:
        if name == "seed":
            raise InvalidRequest("seed must be a 64-bit whole number", name)
        raise InvalidRequest(f"{name} must be {kind} from {_num(low)} to {_num(high)}", name)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _check_stream_options(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise InvalidRequest("stream_options must be an object", "stream_options")
    if "include_usage" in value and not isinstance(value["include_usage"], bool):
        raise InvalidRequest("stream_options.include_usage must be true or false", "stream_options.include_usage")


def _check_stop(value: Any) -> None:
    if value is None or isinstance(value, str):
        return
    if not isinstance(value, list) or len(value) > 4 or not all(isinstance(s, str) for s in value):
        raise InvalidRequest("stop must be a string or a list of at most 4 strings", "stop")


def _check_messages(messages: Any) -> int:
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages must be a non-empty list of {role, content} objects", "messages")
    if len(messages) > MAX_MESSAGES:
        raise InvalidRequest(f"messages may hold at most {MAX_MESSAGES} messages", "messages")
    tokens = 0
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise InvalidRequest(f"{where} must be a {{role, content}} object", where)
        role = message.get("role")
        if role not in ROLES:
            raise InvalidRequest(f"{where}.role must be one of: {', '.join(sorted(ROLES))}", f"{where}.role")
        name = message.get("name")
        if name is not None and not isinstance(name, str):
            raise InvalidRequest(f"{where}.name must be a string", f"{where}.name")
        tokens += MESSAGE_OVERHEAD + count_text(name or "") + _check_content(message, role, where)
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            raise InvalidRequest(f"{where}.tool_call_id is required for a tool message", f"{where}.tool_call_id")
        if role == "assistant" and message.get("tool_calls") is not None:
            tokens += _check_tool_calls(message["tool_calls"], where)
    return tokens


def _check_content(message: dict[str, Any], role: str, where: str) -> int:
    content = message.get("content")
    if isinstance(content, str):
        return count_text(content)
    if content is None:
        if role == "assistant" and (message.get("tool_calls") or message.get("function_call")):
            return 0
        if role == "function":
            return 0
        raise InvalidRequest(f"{where}.content is required", f"{where}.content")
    if not isinstance(content, list) or not content:
        raise InvalidRequest(f"{where}.content must be a string or a non-empty list of parts", f"{where}.content")
    tokens = 0
    for j, part in enumerate(content):
        at = f"{where}.content[{j}]"
        if not isinstance(part, dict) or part.get("type") not in PART_TYPES[role]:
            allowed = ", ".join(sorted(PART_TYPES[role]))
            raise InvalidRequest(f"{at}.type must be one of: {allowed}", f"{at}.type")
        kind = part["type"]
        if kind in ("text", "refusal"):
            text = part.get(kind)
            if not isinstance(text, str):
                raise InvalidRequest(f"{at}.{kind} must be a string", f"{at}.{kind}")
            tokens += count_text(text)
        elif not isinstance(part.get(kind), dict):
            raise InvalidRequest(f"{at}.{kind} must be an object", f"{at}.{kind}")
    return tokens


def _check_tool_calls(calls: Any, where: str) -> int:
    if not isinstance(calls, list):
        raise InvalidRequest(f"{where}.tool_calls must be a list", f"{where}.tool_calls")
    tokens = 0
    for j, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise InvalidRequest(f"{where}.tool_calls[{j}].function must name a function", f"{where}.tool_calls[{j}].function")
        arguments = function.get("arguments", "")
        tokens += count_text(function["name"]) + count_text(arguments if isinstance(arguments, str) else "")
    return tokens


def _check_prompt(prompt: Any) -> tuple[int, int]:
    """Prompt tokens and how many prompts (a list of strings or of token lists is several)."""
    if isinstance(prompt, str) and prompt:
        return count_text(prompt), 1
    if isinstance(prompt, list) and prompt:
        if all(isinstance(p, str) for p in prompt):
            return sum(count_text(p) for p in prompt), len(prompt)
        if all(isinstance(t, int) and not isinstance(t, bool) for t in prompt):
            return len(prompt), 1
        if all(isinstance(p, list) and p and all(isinstance(t, int) and not isinstance(t, bool) for t in p) for p in prompt):
            return sum(len(p) for p in prompt), len(prompt)
    raise InvalidRequest("prompt must be a non-empty string, list of strings or list of token ids", "prompt")


def completion_text_bytes(choices: Any, *, streamed: bool) -> int:
    """UTF-8 bytes of the generated text in ``choices`` (a response's, or one stream chunk's)."""
    if not isinstance(choices, list):
        return 0
    size = 0
    for choice in choices:
        if not isinstance(choice, dict):
            continue
        message = choice.get("delta" if streamed else "message")
        if isinstance(message, dict):
            size += _text_bytes(message.get("content")) + _text_bytes(message.get("refusal"))
            for call in message.get("tool_calls") or []:
                function = call.get("function") if isinstance(call, dict) else None
                if isinstance(function, dict):
                    size += _text_bytes(function.get("name")) + _text_bytes(function.get("arguments"))
        size += _text_bytes(choice.get("text"))
    return size


def _text_bytes(value: Any) -> int:
    return len(value.encode("utf-8", "surrogatepass")) if isinstance(value, str) else 0


def tokens_from_bytes(size: int) -> int:
    """The completion's token count from its text's total UTF-8 bytes (the same rule as :func:`count_text`)."""
    return math.ceil(size / 4)
