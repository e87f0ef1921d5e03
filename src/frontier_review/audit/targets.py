"""Names for the targets of audit entries, asked of the areas that own them, for one reader.

An entry records its target as a type and an id (``engagement``, ``3f2…``). The audit browser
shows a name and a link instead, but the audit area knows no other area (they all write to the
log, so it sits below them). It publishes a :class:`NameTargets` question on the unit of work;
the composition root registers :func:`answering`, built from each area's namer, as its handler.

A namer answers only for targets the reader may see, using the same rules as the area's own pages
(without recording a refusal: naming is showing, not an access attempt). A target it does not
answer for — hidden, deleted, or of a type nobody names — stays its type and bare id, so the
browser never reveals the title of something the reader could not open.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from frontier_review.db.uow import EventHandler, UnitOfWork
from frontier_review.kernel.principal import Principal

__all__ = ["NameTargets", "Namer", "TargetKey", "TargetLink", "answering", "name_targets", "uuid_ids"]

TargetKey = tuple[str, str]
"""An entry's target: its type and its id, as recorded."""


@dataclass(frozen=True)
class TargetLink:
    """What a reader may call a target, and the page that shows it (``None``: no page).

    Attributes:
        name: The target's name for this reader ("Atlas 3.0-rc1", "Northwind AI").
        href: A same-site path to the target's page, or ``None``.
    """

    name: str
    href: str | None = None


Namer = Callable[[UnitOfWork, Principal, frozenset[str]], Mapping[str, TargetLink]]
"""An area's answer for one target type: the ids (as recorded) the reader may see, named."""


@dataclass
class NameTargets:
    """The question the audit browser publishes: what may ``reader`` call these targets?

    Attributes:
        reader: Whom the names are for.
        wanted: Target ids by type.
        names: Filled in by the handlers, for the targets the reader may see.
    """

    reader: Principal
    wanted: Mapping[str, frozenset[str]]
    names: dict[TargetKey, TargetLink] = field(default_factory=dict)


def answering(namers: Mapping[str, Namer]) -> EventHandler:
    """The handler the composition root registers for :class:`NameTargets`: one namer per type."""

    def answer(uow: UnitOfWork, question: NameTargets) -> None:
        for kind, ids in question.wanted.items():
            namer = namers.get(kind)
            if namer is None or not ids:
                continue
            for ident, link in namer(uow, question.reader, ids).items():
                if ident in ids:  # a namer names only what it was asked about
                    question.names[kind, ident] = link

    return answer


def name_targets(uow: UnitOfWork, reader: Principal, targets: Iterable[TargetKey]) -> dict[TargetKey, TargetLink]:
    """Names and links for ``targets``, for those ``reader`` may see (the others are absent)."""
    wanted: dict[str, set[str]] = {}
    for kind, ident in targets:
        if kind and ident:
            wanted.setdefault(kind, set()).add(ident)
    if not wanted:
        return {}
    question = NameTargets(reader, {kind: frozenset(ids) for kind, ids in wanted.items()})
    uow.publish(question)
    return question.names


def uuid_ids(ids: Iterable[str]) -> dict[uuid.UUID, str]:
    """The ids that are UUIDs, each with the text it was recorded as (for a namer's query)."""
    out = {}
    for ident in ids:
        try:
            out[uuid.UUID(ident)] = ident
        except ValueError:
            continue
    return out
