"""Record ids (``kernel.ids.record_id``): version-4 UUIDs, unique, and not shared with a forked child."""

from __future__ import annotations

import multiprocessing
import random
import uuid

from frontier_review.kernel.ids import record_id


def _one(queue: multiprocessing.Queue[uuid.UUID]) -> None:
    queue.put(record_id())


def test_record_ids_are_version_4_uuids_and_do_not_repeat() -> None:
    ids = [record_id() for _ in range(100_000)]
    assert len(set(ids)) == len(ids)
    assert all(i.version == 4 and i.variant == uuid.RFC_4122 for i in ids[:1000])


def test_seeding_the_shared_generator_never_repeats_an_id() -> None:
    """Hypothesis seeds ``random`` for each example, in the same process as a live test server."""
    random.seed(0)
    first = record_id()
    random.seed(0)
    assert record_id() != first


def test_a_forked_child_draws_other_ids_than_its_parent() -> None:
    """A server forked after start-up must not hand out its parent's next ids (the rows would collide)."""
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[uuid.UUID] = context.Queue()
    children = [context.Process(target=_one, args=(queue,)) for _ in range(2)]
    for child in children:
        child.start()
    drawn = {queue.get(timeout=30) for _ in children}
    for child in children:
        child.join(timeout=30)
    drawn.add(record_id())
    assert len(drawn) == 3
