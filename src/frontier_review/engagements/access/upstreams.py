"""The developer's upstreams as stored: listing, opening (gateway only), dropping, caching.

Use cases that register or disconnect an upstream are in :mod:`.service`; this module holds the
reads and writes other parts of the area share (the engagement view lists upstreams, new terms
drop the variants they stop sharing, the chainer marks them used, the gateway opens them).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update

from frontier_review.db.prepared import SharedWrite
from frontier_review.db.uow import UnitOfWork, UnitOfWorkFactory
from frontier_review.engagements.access.domain import UpstreamTarget
from frontier_review.engagements.access.orm import Upstream
from frontier_review.security import service as security

TABLE = "engagement_upstreams"


@dataclass(frozen=True)
class UpstreamView:
    """What anyone may know about an upstream: never its URL or key (G4)."""

    variant: str
    set_by: str
    set_at: datetime
    last_used_at: datetime | None


def list_upstreams(uow: UnitOfWork, engagement_id: uuid.UUID) -> list[UpstreamView]:
    """The engagement's upstreams, by variant (no secrets)."""
    return [
        UpstreamView(u.variant, u.set_by, u.set_at, u.last_used_at)
        for u in uow.session.scalars(select(Upstream).where(Upstream.engagement_id == engagement_id).order_by(Upstream.variant))
    ]


def drop_uncovered(uow: UnitOfWork, engagement_id: uuid.UUID, covered: Iterable[str]) -> list[str]:
    """Delete the upstreams (sealed URL and key with them) of variants not in ``covered``; returns their variants."""
    dropped = list(
        uow.session.scalars(
            select(Upstream).where(Upstream.engagement_id == engagement_id, Upstream.variant.not_in(list(covered)))
        )
    )
    for upstream in dropped:
        uow.session.delete(upstream)
    return [u.variant for u in dropped]


def open_upstream(uow: UnitOfWork, upstream: Upstream) -> tuple[str, str | None]:
    """URL and key, for the gateway only (never returned by any interface, G4)."""
    url = security.open_field(
        uow.session, uow.keyring, upstream.url_sealed, table=TABLE, row_id=str(upstream.id), field="url_sealed"
    ).decode()
    key = None
    if upstream.api_key_sealed is not None:
        key = security.open_field(
            uow.session, uow.keyring, upstream.api_key_sealed, table=TABLE, row_id=str(upstream.id), field="api_key_sealed"
        ).decode()
    return url, key


def load_targets(uow_factory: UnitOfWorkFactory, engagement_id: uuid.UUID) -> dict[str, UpstreamTarget]:
    """Every variant's upstream of the engagement, opened (in its own unit of work)."""
    with uow_factory() as uow:
        out = {}
        for row in uow.session.scalars(select(Upstream).where(Upstream.engagement_id == engagement_id)):
            url, key = open_upstream(uow, row)
            out[row.variant] = UpstreamTarget(row.variant, url, key, row.upstream_model)
        return out


_MARK_USED = SharedWrite(
    update(Upstream.__table__).where(  # type: ignore[arg-type]
        Upstream.__table__.c.engagement_id == bindparam("engagement"),
        Upstream.__table__.c.variant == bindparam("upstream_variant"),
    ),
    ("last_used_at",),
)


def mark_used(uow: UnitOfWork, last_used: Mapping[tuple[uuid.UUID, str], datetime]) -> None:
    """Record when each (engagement, variant)'s upstream last served a call: the chainer, once per batch.

    One prepared ``executemany`` for the whole batch, not an ORM bulk UPDATE per upstream.
    """
    if last_used:
        _MARK_USED.run(
            uow.session.connection(),
            [{"engagement": e, "upstream_variant": v, "last_used_at": at} for (e, v), at in last_used.items()],
        )


class UpstreamCache:
    """Opened upstreams per engagement, valid for one ``access_epoch`` (which every change to them bumps)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[uuid.UUID, tuple[int, dict[str, UpstreamTarget]]] = {}

    def peek(self, engagement_id: uuid.UUID, epoch: int) -> dict[str, UpstreamTarget] | None:
        """The cached upstreams if still current (no I/O: safe on the event loop)."""
        hit = self._entries.get(engagement_id)
        return hit[1] if hit is not None and hit[0] == epoch else None

    def get(
        self, engagement_id: uuid.UUID, epoch: int, load_all: Callable[[uuid.UUID], dict[str, UpstreamTarget]]
    ) -> dict[str, UpstreamTarget]:
        """The cached upstreams, loaded with ``load_all`` when the epoch moved on."""
        with self._lock:
            hit = self._entries.get(engagement_id)
        if hit is not None and hit[0] == epoch:
            return hit[1]
        targets = load_all(engagement_id)
        with self._lock:
            self._entries[engagement_id] = (epoch, targets)
        return targets
