"""The gateway benchmark's load generator reads real answers right (``benchmarks/loadgen.py``).

Against the package's fake model on loopback: an answer in one piece (``Content-Length``), a
stream (chunked), a shed answer with ``retry-after``, one connection kept across calls, and a
connection the server closed opened again. The benchmark's checks of each answer
(``benchmarks.gateway._call``) are the ones it counts by.
"""

from __future__ import annotations

import asyncio
import json

from benchmarks.gateway import _call
from benchmarks.loadgen import Caller

from frontier_review.mockllm import serve_fake


def _body(prompt: str, *, stream: bool) -> bytes:
    request: dict[str, object] = {"model": "fake", "messages": [{"role": "user", "content": prompt}], "max_tokens": 16}
    if stream:
        request.update(stream=True, stream_options={"include_usage": True})
    return json.dumps(request).encode()


def test_answers_streams_and_shed_answers_are_read_and_judged_over_one_connection() -> None:
    async def scenario(url: str) -> None:
        plain = Caller(f"{url}/chat/completions", {"Authorization": "Bearer sk-test"}, _body("hello", stream=False))
        answers = [await plain.post() for _ in range(3)]
        assert {a.status for a in answers} == {200}
        assert all(json.loads(a.body)["choices"] for a in answers)
        first = plain._connection
        assert first is not None and not first.closed  # kept alive: the same connection served all three
        assert await _call(plain.post, stream=False) is None
        assert plain._connection is first

        streamed = Caller(f"{url}/chat/completions", {}, _body("hello", stream=True))
        answer = await streamed.post()
        assert answer.status == 200 and answer.body.rstrip().endswith(b"data: [DONE]")
        assert await _call(streamed.post, stream=True) is None

        busy = Caller(f"{url}/chat/completions", {}, _body("PLEASE-BUSY", stream=False))
        assert await _call(busy.post, stream=False) == 7.0  # shed: wait as told, not a failure
        failing = Caller(f"{url}/chat/completions", {}, _body("PLEASE-FAIL", stream=False))
        problem = await _call(failing.post, stream=False)
        assert isinstance(problem, str) and problem.startswith("HTTP 500")

        assert first.transport is not None
        first.transport.close()  # as a server closing an idle connection would
        await asyncio.sleep(0.05)
        assert await _call(plain.post, stream=False) is None
        assert plain._connection is not first  # opened again
        for caller in (plain, streamed, busy, failing):
            caller.close()

    with serve_fake() as url:
        asyncio.run(scenario(url))


def test_a_server_that_goes_away_is_a_problem_not_a_hang() -> None:
    async def scenario(url: str) -> str | float | None:
        caller = Caller(f"{url}/chat/completions", {}, _body("hello", stream=False))
        return await _call(caller.post, stream=False)

    with serve_fake() as url:
        pass  # the server has stopped: nothing listens on its port any more
    problem = asyncio.run(scenario(url))
    assert isinstance(problem, str) and ("Connect" in problem or "refused" in problem.lower())
