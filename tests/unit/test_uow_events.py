"""Domain events ride the unit of work: handlers run in the cause's transaction."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session

from frontier_review.config import Settings
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.clock import SystemClock
from frontier_review.security.keyring import KeyringSource


@dataclass(frozen=True)
class Happened:
    what: str


@dataclass(frozen=True)
class Other:
    what: str


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, master_key=SecretStr(base64.b64encode(os.urandom(32)).decode()))


def _uow(settings: Settings, handlers: Any) -> UnitOfWork:
    return UnitOfWork(
        session=Session(), clock=SystemClock(), settings=settings, keyring=KeyringSource(settings), handlers=handlers
    )


def test_publish_runs_every_handler_of_the_event_type_in_order(settings: Settings) -> None:
    seen: list[str] = []
    uow = _uow(
        settings,
        {
            Happened: (lambda u, e: seen.append(f"a:{e.what}"), lambda u, e: seen.append(f"b:{e.what}")),
            Other: (lambda u, e: seen.append("other"),),
        },
    )
    uow.publish(Happened("x"))
    assert seen == ["a:x", "b:x"]


def test_an_event_nobody_handles_is_a_no_op(settings: Settings) -> None:
    _uow(settings, {}).publish(Happened("x"))


def test_a_handler_error_reaches_the_publisher(settings: Settings) -> None:
    def boom(uow: UnitOfWork, event: Happened) -> None:
        raise RuntimeError(event.what)

    with pytest.raises(RuntimeError, match="refused"):
        _uow(settings, {Happened: (boom,)}).publish(Happened("refused"))
