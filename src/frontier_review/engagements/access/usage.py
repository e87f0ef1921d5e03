"""Gateway usage per participant per day, shaped for small bar charts beside their tables.

The numbers are :func:`frontier_review.engagements.access.service.list_usage`'s, read with the
same rule the engagement page's usage table uses (``engagements:usage:read``): the developer and
the program office see every participant, a participant its own organization only. Days run
from each engagement's first day with a call to its last (at most the last 31), every day in
between present, zero when nobody called, so the bars line up across participants; the charts
of one engagement share one scale.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.access.service import UsageRow, list_usage
from frontier_review.engagements.lifecycle.views import get_ref, get_row
from frontier_review.kernel.errors import NotFound
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide
from frontier_review.web import charts

__all__ = ["MAX_DAYS", "DayUsage", "ParticipantUsage", "UsageChart", "shape_usage", "usage_chart"]

MAX_DAYS = 31  # a window is at most 30 days; one more for calls on either side of midnight UTC


@dataclass(frozen=True)
class DayUsage:
    """One participant's calls and tokens on one UTC day."""

    day: date
    requests: int
    refused: int
    prompt_tokens: int
    completion_tokens: int

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class ParticipantUsage:
    """A participant's usage over the engagement's days, with its two small charts."""

    participant_id: uuid.UUID
    organization_name: str
    days: tuple[DayUsage, ...]
    calls_chart: Markup | None = None  # calls served per day
    tokens_chart: Markup | None = None  # prompt + completion tokens per day

    @property
    def requests(self) -> int:
        return sum(d.requests for d in self.days)

    @property
    def refused(self) -> int:
        return sum(d.refused for d in self.days)

    @property
    def tokens(self) -> int:
        return sum(d.tokens for d in self.days)


@dataclass(frozen=True)
class UsageChart:
    """What ``engagements/_usage.html`` renders: one entry per participant with calls, busiest first."""

    engagement_id: uuid.UUID
    first_day: date | None
    last_day: date | None
    participants: tuple[ParticipantUsage, ...]


def shape_usage(rows: Sequence[UsageRow], *, max_days: int = MAX_DAYS) -> tuple[tuple[date, ...], list[ParticipantUsage]]:
    """Rows per (participant, day) as one series per participant over the same run of days (pure).

    Returns the days (oldest first, at most ``max_days``, ending on the last day with a call) and
    the participants, busiest first (then by name), each with a value for every one of those days.
    """
    if not rows:
        return (), []
    last = max(r.day for r in rows)
    first = max(min(r.day for r in rows), last - timedelta(days=max_days - 1))
    days = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
    by_participant: dict[uuid.UUID, dict[date, UsageRow]] = {}
    names: dict[uuid.UUID, str] = {}
    for row in rows:
        by_participant.setdefault(row.participant_id, {})[row.day] = row
        names[row.participant_id] = row.organization_name
    shaped = []
    for pid, found in by_participant.items():
        series = tuple(
            DayUsage(d, r.requests, r.refused, r.prompt_tokens, r.completion_tokens)
            if (r := found.get(d)) is not None
            else DayUsage(d, 0, 0, 0, 0)
            for d in days
        )
        shaped.append(ParticipantUsage(pid, names[pid], series))
    shaped.sort(key=lambda p: (-p.requests, p.organization_name))
    return days, shaped


def _label(day: date) -> str:
    return f"{day:%b} {day.day}"


def _with_charts(participants: list[ParticipantUsage]) -> tuple[ParticipantUsage, ...]:
    """Each participant's two charts, on scales shared by all of them (small multiples compare)."""
    calls_top = max((d.requests for p in participants for d in p.days), default=0)
    tokens_top = max((d.tokens for p in participants for d in p.days), default=0)
    out = []
    for p in participants:
        labels = [_label(d.day) for d in p.days]
        span = f"from {labels[0]} to {labels[-1]} (UTC)" if labels else ""
        calls = charts.bar_chart(
            chart_id=f"usage-calls-{p.participant_id}",
            title=f"Calls served per day: {p.organization_name}",
            desc=f"{p.requests} calls served {span}, one bar per day; the table below has every value.",
            labels=labels,
            values=[d.requests for d in p.days],
            y_max=calls_top,
            unit="calls",
        )
        tokens = charts.bar_chart(
            chart_id=f"usage-tokens-{p.participant_id}",
            title=f"Tokens per day: {p.organization_name}",
            desc=f"{p.tokens} prompt and completion tokens {span}, one bar per day; the table below has every value.",
            labels=labels,
            values=[d.tokens for d in p.days],
            y_max=tokens_top,
            unit="tokens",
        )
        out.append(ParticipantUsage(p.participant_id, p.organization_name, p.days, calls, tokens))
    return tuple(out)


def usage_chart(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> UsageChart | None:
    """The engagement's usage per participant per day with small charts, as ``principal`` may see it.

    ``None`` when the principal may not read the engagement's usage at all (the page then shows
    no usage), so a page can always ask; what it may read comes from ``list_usage``, which
    authorizes again and narrows a participant to its own organization.
    """
    try:
        ref = get_ref(uow, get_row(uow, engagement_id))
    except NotFound:
        return None
    if not decide(uow, principal, Permission.ENGAGEMENT_USAGE_READ, ref, uow.clock.now()).allowed:
        return None
    days, participants = shape_usage(list_usage(uow, principal, engagement_id))
    return UsageChart(
        engagement_id=engagement_id,
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
        participants=_with_charts(participants),
    )
