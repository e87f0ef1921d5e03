"""Factories for the evaluations area."""

from __future__ import annotations

from frontier_review.db.uow import UnitOfWork
from frontier_review.evals import targets
from frontier_review.kernel.principal import Principal

OPERATOR = Principal.system("test-operator")


def allow_classified(uow: UnitOfWork, target: str) -> None:
    """The operator's override that lets classified suites run on ``target`` (a local test server
    stands in for one the program office hosts itself)."""
    targets.allow_classified(uow, OPERATOR, target=target, reason="test server hosted by the program office")
