"""Which contexts the gateway may reuse (``gateway.recent``), with a scripted loader and clock."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from frontier_review.engagements.access.context import ContextLoader
from frontier_review.engagements.access.domain import CallContext
from frontier_review.gateway import recent
from frontier_review.gateway.recent import CallContexts


class Loader:
    """Hands out one context per digest; may move the generation while a read is in flight."""

    def __init__(self, context: CallContext) -> None:
        self.context: CallContext | None = context
        self.reads = 0
        self.during_read: Any = None
        self.hold: asyncio.Event | None = None  # reads wait for it when set
        self.fails = False

    async def fetch(self, digest: str) -> CallContext | None:
        self.reads += 1
        if self.during_read is not None:
            self.during_read()
        if self.hold is not None:
            await self.hold.wait()
        if self.fails:
            raise OSError("the database went away")
        return None if digest == "unknown" else self.context


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Context:
    """The one field the cache looks at; the rest of a context is the gateway's business."""

    def __init__(self, *, token_revoked: bool = False) -> None:
        self.token_revoked = token_revoked


@pytest.fixture
def context() -> CallContext:
    return cast(CallContext, _Context())


def make(context: CallContext, *, reuse: bool = True) -> tuple[CallContexts, Loader, Clock]:
    loader, clock = Loader(context), Clock()
    return CallContexts(cast(ContextLoader, loader), reuse=reuse, clock=clock), loader, clock


def test_nothing_is_reused_before_a_generation_was_seen(context: CallContext) -> None:
    contexts, loader, _ = make(context)
    asyncio.run(contexts.fetch("a"))
    assert contexts.recent("a") is None  # its stamp would be unknown
    contexts.observe(3)
    asyncio.run(contexts.fetch("a"))
    found = contexts.recent("a")
    assert found is not None and found.generation == 3 and loader.reads == 2


def test_a_read_is_stamped_with_the_generation_seen_before_it_started(context: CallContext) -> None:
    contexts, loader, _ = make(context)
    contexts.observe(3)
    loader.during_read = lambda: contexts.observe(4)  # an answer that arrived while reading
    asyncio.run(contexts.fetch("a"))
    found = contexts.recent("a")
    assert found is None  # stamped 3, and 4 has been seen since: known to be too old


def test_reuse_ends_after_reuse_seconds_and_when_the_generation_moves(context: CallContext) -> None:
    contexts, _, clock = make(context)
    contexts.observe(1)
    asyncio.run(contexts.fetch("a"))
    clock.now += recent.REUSE_SECONDS - recent.REFRESH_SECONDS - 0.01
    assert contexts.recent("a") is not None
    clock.now += recent.REFRESH_SECONDS + 0.02
    assert contexts.recent("a") is None
    asyncio.run(contexts.fetch("b"))
    contexts.observe(2)
    assert contexts.recent("b") is None
    asyncio.run(contexts.fetch("c"))
    contexts.observe(0)  # Redis lost the counter and started again: nothing stamped before holds
    assert contexts.recent("c") is None
    asyncio.run(contexts.fetch("d"))
    found = contexts.recent("d")
    assert found is not None and found.generation == 0


def test_unknown_and_revoked_tokens_are_never_kept_nor_anything_without_reuse(context: CallContext) -> None:
    contexts, _, _ = make(context)
    contexts.observe(1)
    assert asyncio.run(contexts.fetch("unknown")) is None
    assert contexts.recent("unknown") is None
    revoked, _, _ = make(cast(CallContext, _Context(token_revoked=True)))
    revoked.observe(1)
    asyncio.run(revoked.fetch("a"))
    assert revoked.recent("a") is None
    off, _, _ = make(context, reuse=False)
    off.observe(1)
    asyncio.run(off.fetch("a"))
    assert off.recent("a") is None


def test_forget_and_the_limit(context: CallContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recent, "LIMIT", 4)
    contexts, _, _ = make(context)
    contexts.observe(1)
    for digest in "abcd":
        asyncio.run(contexts.fetch(digest))
    contexts.forget("b")
    assert contexts.recent("b") is None and contexts.recent("a") is not None
    asyncio.run(contexts.fetch("e"))
    asyncio.run(contexts.fetch("f"))  # the fifth kept: the oldest half goes
    assert [d for d in "acdef" if contexts.recent(d) is not None] == ["d", "e", "f"]


async def _near_its_end(context: CallContext) -> tuple[CallContexts, Loader, Clock]:
    """A context read at generation 1, a tenth of a second before its reuse ends."""
    contexts, loader, clock = make(context)
    contexts.observe(1)
    await contexts.fetch("a")
    clock.now += recent.REUSE_SECONDS - 0.1
    return contexts, loader, clock


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_context_near_the_end_of_its_reuse_is_read_again_ahead_once(context: CallContext) -> None:
    async def scenario() -> None:
        contexts, loader, clock = make(context)
        contexts.observe(1)
        await contexts.fetch("a")
        clock.now += recent.REUSE_SECONDS - recent.REFRESH_SECONDS - 0.01
        assert contexts.recent("a") is not None
        await _settle()
        assert loader.reads == 1  # not yet due
        clock.now += 0.02
        loader.hold = asyncio.Event()
        first, second = contexts.recent("a"), contexts.recent("a")  # due: both still served from it
        assert first is not None and first is second
        await _settle()
        assert loader.reads == 2  # one read ahead, however many calls saw it due
        contexts.observe(2)  # a change lands while the read ahead is out: stamped 1, it is known too old
        loader.hold.set()
        await _settle()
        assert contexts.recent("a") is None
        contexts.observe(2)
        loader.hold = None
        await contexts.fetch("a")
        clock.now += recent.REUSE_SECONDS - recent.REFRESH_SECONDS + 0.01
        assert contexts.recent("a") is not None
        await _settle()
        assert loader.reads == 4
        clock.now += recent.REFRESH_SECONDS  # past the first read's end, within the one read ahead
        found = contexts.recent("a")
        assert found is not None and found.generation == 2

    asyncio.run(scenario())


def test_a_read_ahead_that_finds_the_token_revoked_or_unknown_drops_it(context: CallContext) -> None:
    async def scenario() -> None:
        for after in (cast(CallContext, _Context(token_revoked=True)), None):
            contexts, loader, _ = await _near_its_end(context)
            loader.context = after
            assert contexts.recent("a") is not None
            await _settle()
            assert contexts.recent("a") is None

    asyncio.run(scenario())


def test_a_failed_read_ahead_leaves_the_context_to_its_end_and_is_logged(
    context: CallContext, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        contexts, loader, clock = await _near_its_end(context)
        loader.fails = True
        assert contexts.recent("a") is not None
        await _settle()
        assert contexts.recent("a") is not None  # until its own end, as without reading ahead
        clock.now += 0.1
        assert contexts.recent("a") is None

    asyncio.run(scenario())
    assert "reading a gateway access context ahead failed" in caplog.text
    assert "database went away" not in caplog.text  # no detail of the failure in the line


def test_closing_cancels_the_reads_ahead(context: CallContext) -> None:
    async def scenario() -> None:
        contexts, loader, _ = await _near_its_end(context)
        loader.hold = asyncio.Event()
        assert contexts.recent("a") is not None
        await _settle()
        contexts.close()
        await _settle()
        loader.hold.set()
        await _settle()
        assert loader.reads == 2
        found = contexts.recent("a")
        assert found is not None and found.until == 100.0 + recent.REUSE_SECONDS  # the first read's, not replaced

    asyncio.run(scenario())
