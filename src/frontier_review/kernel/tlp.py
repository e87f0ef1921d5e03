"""TLP 2.0 audiences (FIRST, Traffic Light Protocol 2.0): one pure function for every container.

Findings use it now; the clearinghouse's vulnerability reports and incidents will use it too
(DESIGN §3.5a). The caller resolves everything that needs storage — who the reader is, whether
the reader may see the container at all, whether the reader is still in good standing (not a
revoked user, not a revoked participant, no lapsed designation), the container's community,
the organizations with a need to know, their clients, the named individuals — and this module
only decides. Each label's audience is built from the one below it, so raising a label can
only narrow who sees the item:

* ``TLP:CLEAR`` — whoever may see the container (for a public feed: anyone).
* ``TLP:GREEN`` — the container's community.
* ``TLP:AMBER`` — the organizations with a need to know and their clients, and their members.
* ``TLP:AMBER+STRICT`` — the organizations with a need to know themselves, never their clients.
* ``TLP:RED`` — named individuals only, and only those in an organization with a need to know.

Nobody outside good standing is in any audience, whatever the label.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from frontier_review.kernel.decision import Allowed, Decision, Denied


class Label(StrEnum):
    """TLP 2.0 labels, least to most restricted (their order is :data:`ORDER`)."""

    CLEAR = "TLP:CLEAR"
    GREEN = "TLP:GREEN"
    AMBER = "TLP:AMBER"
    AMBER_STRICT = "TLP:AMBER+STRICT"
    RED = "TLP:RED"


ORDER: tuple[Label, ...] = tuple(Label)


def rank(label: Label) -> int:
    """How restricted ``label`` is: 0 for CLEAR up to 4 for RED."""
    return ORDER.index(label)


def parse(value: str) -> Label:
    """``"amber+strict"``, ``"TLP:AMBER+STRICT"`` → :attr:`Label.AMBER_STRICT`; ``ValueError`` otherwise."""
    text = value.strip().upper()
    if not text.startswith("TLP:"):
        text = "TLP:" + text
    return Label(text)


class Standing(StrEnum):
    """Whether a reader is still a party, as the caller resolved it."""

    ACTIVE = "active"
    REVOKED = "revoked"  # a revoked user or participant, a lapsed or revoked designation, a deactivated account


@dataclass(frozen=True)
class Reader:
    """The principal asking, as the caller resolved it.

    Attributes:
        user_id: the person (None for an unauthenticated reader of a public feed).
        org_id: the person's organization (None for none).
        standing: revoked readers are outside every audience.
        sees_container: whether the reader may see the container at all (an engagement it takes
            part in, the clearinghouse's feed); CLEAR reaches exactly these readers.
    """

    user_id: uuid.UUID | None
    org_id: uuid.UUID | None
    standing: Standing
    sees_container: bool


@dataclass(frozen=True)
class Audience:
    """Who an item is meant for, apart from its label.

    Attributes:
        community: the container's community (GREEN): the engagement's parties, the clearinghouse's
            member organizations. The organizations below count as part of it.
        need_to_know: the organizations with a need to know (AMBER, AMBER+STRICT): for a finding the
            developer, the finder and the program office; for a report its source, its named
            recipient organizations and the coordinating office.
        clients: organizations the need-to-know ones may share with under AMBER only (their
            clients); never under AMBER+STRICT.
        named: the named individuals (RED), by user id. Only those in a need-to-know organization
            count: a name never widens the audience beyond AMBER+STRICT's.
    """

    community: frozenset[uuid.UUID] = frozenset()
    need_to_know: frozenset[uuid.UUID] = frozenset()
    clients: frozenset[uuid.UUID] = frozenset()
    named: frozenset[uuid.UUID] = frozenset()


def decide(label: Label, reader: Reader, audience: Audience) -> Decision:  # noqa: PLR0911 - one answer per label step
    """Whether ``reader`` is in the audience of an item labelled ``label``.

    Args:
        label: the item's TLP 2.0 label.
        reader: who asks, with standing and container visibility already resolved.
        audience: the item's community, need-to-know organizations, clients and named people.

    Returns:
        ``Allowed`` naming the grant, or ``Denied`` naming the label (never the item's content).
    """
    if reader.standing is not Standing.ACTIVE:
        return Denied("your access was revoked")
    if not reader.sees_container:
        return Denied(f"{label.value}: you may not see where this is shared")
    if label is Label.CLEAR:
        return Allowed(f"{label.value}: shared with whoever sees it")
    org = reader.org_id
    community = audience.community | audience.need_to_know | audience.clients
    if org is None or org not in community:
        return Denied(f"{label.value}: shared within the community only")
    if label is Label.GREEN:
        return Allowed(f"{label.value}: a member of the community")
    if label is Label.AMBER:
        if org in audience.need_to_know or org in audience.clients:
            return Allowed(f"{label.value}: an organization with a need to know")
        return Denied(f"{label.value}: shared only with the organizations that need to know")
    if org not in audience.need_to_know:
        return Denied(f"{label.value}: shared only with the organizations that need to know, not their clients")
    if label is Label.AMBER_STRICT:
        return Allowed(f"{label.value}: an organization with a need to know")
    if reader.user_id is not None and reader.user_id in audience.named:
        return Allowed(f"{label.value}: a named recipient")
    return Denied(f"{label.value}: shared only with named recipients")
