"""The engagements sweep (run by the housekeeping job every minute): each transition recorded once.

The clock opens and closes windows; the sweep writes down what it did, with an audit entry and
the participants' notices. With several workers two sweeps may overlap; on PostgreSQL a sweep
skips the engagements another transaction holds, so a transition is never recorded twice.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.engagements.lifecycle import closing
from frontier_review.engagements.lifecycle.orm import Engagement
from frontier_review.kernel.clock import FrozenClock
from frontier_review.notifications.orm import Notification
from tests.factories.engagements import make_engagement

ACTIVE = "engagements:engagement:active"


def _sweep(container: Container) -> int:
    with container.uow() as uow:
        return closing.sweep(uow)


def _recorded(container: Container) -> tuple[Counter[str], Counter[str]]:
    with container.sessions() as session:
        actions = Counter(session.scalars(sa.select(AuditEntry.action)))
        notices = Counter(session.scalars(sa.select(Notification.kind)))
    return actions, notices


def test_the_sweep_records_a_window_opening_once(container: Container, clock: FrozenClock) -> None:
    setup = make_engagement(container, start=clock.now() + timedelta(hours=1))
    assert setup.engagement.state.value == "offered"
    assert _sweep(container) == 0  # not yet
    clock.advance(timedelta(hours=2))
    assert _sweep(container) == 1
    assert _sweep(container) == 0  # a second sweep finds nothing more to record
    actions, notices = _recorded(container)
    assert actions[ACTIVE] == 1
    assert notices["window_started"] >= 2  # the participants and the developer, once each
    before = notices["window_started"]
    _sweep(container)
    assert _recorded(container)[1]["window_started"] == before


# PostgreSQL only: SQLite has no row locks (one writer at a time, so two sweeps never overlap).
@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_a_sweep_skips_an_engagement_another_sweep_holds(container: Container, clock: FrozenClock) -> None:
    setup = make_engagement(container, start=clock.now() + timedelta(hours=1))
    clock.advance(timedelta(hours=2))
    swept: list[int] = []
    sweeper = threading.Thread(target=lambda: swept.append(_sweep(container)))
    with container.sessions() as other, other.begin():  # another worker's sweep, mid-transaction
        other.execute(sa.select(Engagement).where(Engagement.id == setup.engagement.id).with_for_update())
        sweeper.start()
        sweeper.join(timeout=30)  # a sweep that waited for the row would wait until this block ends
        waited = sweeper.is_alive()
    sweeper.join()
    assert not waited and swept == [0]  # skipped: neither waited for nor recorded twice
    assert _sweep(container) == 1  # the next minute's sweep records it
    assert _recorded(container)[0][ACTIVE] == 1


def test_a_change_racing_the_sweep_is_a_conflict_and_writes_nothing(container: Container, clock: FrozenClock) -> None:
    """Accepting terms while the sweep records the window's start: a 409-style Conflict, not a crash.

    The acceptance loaded the engagement before the sweep committed; its write then finds the
    row's version moved. Nothing of it is kept, and trying again succeeds.
    """
    from frontier_review import engagements as service
    from frontier_review.engagements.lifecycle.orm import Participant
    from frontier_review.kernel.errors import Conflict

    setup = make_engagement(container, start=clock.now() + timedelta(minutes=5), accept=False)
    clock.advance(timedelta(minutes=6))
    with pytest.raises(Conflict, match="changed by someone else"), container.uow() as uow:
        held = uow.session.get(Engagement, setup.engagement.id)  # read before the sweep commits (and kept)
        assert held is not None and _sweep(container) == 1
        service.accept_terms(uow, setup.agency_admin.principal, setup.engagement.id, terms_number=1)
    with container.sessions() as session:
        accepted = session.scalars(sa.select(Participant.accepted_terms).where(Participant.engagement_id == setup.engagement.id))
        assert set(accepted) == {None}
    with container.uow() as uow:
        view = service.accept_terms(uow, setup.agency_admin.principal, setup.engagement.id, terms_number=1)
    assert view.id == setup.engagement.id
