"""Gateway refusals that name no caller: counted in memory, chained as one audit entry per interval.

Requests with no token, an unknown or revoked one, no such route, or shed past saturation name
nobody an access-log row could belong to. Each is still recorded: the gateway process counts
them here, and its chainer (``recorder.Chainer``) writes the count as one ``gateway:refusals``
audit entry every ``REFUSAL_INTERVAL`` seconds and when it stops (item 13 of issue 10).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from frontier_review.audit import service as audit
from frontier_review.audit.domain import Outcome
from frontier_review.db.uow import UnitOfWorkFactory
from frontier_review.engagements.tags import GatewayTag

REFUSAL_INTERVAL = 60.0
REFUSAL_KEYS = 50


class RefusalTally:
    """Refused gateway requests that name no caller, counted in memory and chained once per interval.

    These are requests with no token, an unknown or revoked one, or no such route; each interval
    they become one ``gateway:refusals`` audit entry (item 13).

    Each is recorded, yet an unauthenticated flood adds at most one audit entry per interval per
    process, holding at most ``REFUSAL_KEYS`` distinct (outcome, status, route, token) counts
    (the rest are counted together under ``other``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int, str, str], int] = {}
        self._first: datetime | None = None
        self._last: datetime | None = None

    def add(self, at: datetime, *, outcome: str, status: int, route: str, token: str = "") -> None:
        key = (outcome, status, route, token)
        with self._lock:
            if key not in self._counts and len(self._counts) >= REFUSAL_KEYS:
                key = ("other", 0, "", "")
            self._counts[key] = self._counts.get(key, 0) + 1
            self._first = self._first or at
            self._last = at

    def drain(self) -> dict[str, Any] | None:
        """The tally so far (as audit details), emptied; None when there was nothing."""
        with self._lock:
            counts, first, last = self._counts, self._first, self._last
            self._counts, self._first, self._last = {}, None, None
        if not counts or first is None or last is None:
            return None
        rows = [
            {"outcome": o, "status": st, "route": r, **({"token": t} if t else {}), "count": n}
            for (o, st, r, t), n in sorted(counts.items(), key=lambda kv: -kv[1])
        ]
        return {"first": first.isoformat(), "last": last.isoformat(), "total": sum(counts.values()), "refusals": rows}


def write_refusals(uow_factory: UnitOfWorkFactory, tally: RefusalTally) -> bool:
    """Chain the tally as one audit entry (nothing when empty); True when one was written."""
    details = tally.drain()
    if details is None:
        return False
    with uow_factory() as uow:
        audit.append(
            uow,
            actor_label="anonymous",
            actor_user_id=None,
            actor_org_id=None,
            action=GatewayTag.REFUSALS,
            outcome=Outcome.DENIED,
            target_type="gateway",
            reason="unattributed",
            details=details,
        )
    return True
