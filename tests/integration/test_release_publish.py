"""The publish path: a release and the engagements it closes commit together or not at all (G2).

The registry publishes ``VersionStatusChanged`` on the unit of work; the handlers the composition
root wires run in the same transaction. A container built with a custom wiring adds a handler
that fails after engagements' own has closed them: the release must roll back with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from frontier_review.bootstrap import Container
from frontier_review.composition import WIRING
from frontier_review.config import Settings
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.lifecycle import service as engagements
from frontier_review.engagements.lifecycle.domain import EngagementState
from frontier_review.kernel.clock import FrozenClock
from frontier_review.registry import service as registry
from frontier_review.registry.domain import VersionStatus
from frontier_review.registry.events import VersionStatusChanged
from tests.factories.engagements import make_engagement


class HandlerFailed(RuntimeError):
    pass


def _fail_after_engagements(uow: UnitOfWork, event: VersionStatusChanged) -> None:
    raise HandlerFailed(f"refused {event.version_id}")


@pytest.fixture
def failing_container(settings: Settings, clock: FrozenClock) -> Iterator[Container]:
    handlers = dict(WIRING.handlers)
    handlers[VersionStatusChanged] = (*handlers[VersionStatusChanged], _fail_after_engagements)
    c = Container(settings=settings, wiring=replace(WIRING, handlers=handlers), clock=clock)
    try:
        yield c
    finally:
        c.close()


def test_a_release_closes_the_versions_engagements_in_its_transaction(container: Container) -> None:
    setup = make_engagement(container)
    assert setup.engagement.state is EngagementState.ACTIVE
    with container.uow() as uow:
        view = registry.set_status(uow, setup.developer.principal, setup.engagement.version_id, status=VersionStatus.RELEASED)
    assert view.status is VersionStatus.RELEASED
    with container.uow() as uow:
        closed = engagements.get_engagement(uow, setup.developer.principal, setup.engagement.id)
    assert closed.state is EngagementState.CLOSED


def test_a_failing_handler_rolls_the_release_back(container: Container, failing_container: Container) -> None:
    setup = make_engagement(container)
    with pytest.raises(HandlerFailed), failing_container.uow() as uow:
        registry.set_status(uow, setup.developer.principal, setup.engagement.version_id, status=VersionStatus.RELEASED)
    with container.uow() as uow:
        version = registry.get_version_ref(uow, setup.engagement.version_id)
        engagement = engagements.get_engagement(uow, setup.developer.principal, setup.engagement.id)
    assert version.status is VersionStatus.PRERELEASE
    assert engagement.state is EngagementState.ACTIVE
    assert engagement.closed_reason is None
