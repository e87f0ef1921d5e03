"""Structured logs: one JSON object per line on standard error, each with the request id.

``serve`` and ``worker`` configure logging here (uvicorn's loggers included, so a process
writes one format). Only a fixed set of fields is written: the message, the logger, the level,
the request id and, for the access log, the method, the route *template*, the status and the
duration. A raw path is never logged, because some paths carry secrets (invitation links).
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

from frontier_review.config import Settings
from frontier_review.telemetry.context import current_request_id

__all__ = ["ACCESS_LOGGER", "JsonFormatter", "RequestIdFilter", "configure_logging", "logging_config"]

ACCESS_LOGGER = "frontier_review.access"
# The ``extra`` fields a log call may add; anything else a library attaches is left out.
FIELDS = ("method", "route", "status", "duration_ms")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id and request_id != "-":
            out["request_id"] = request_id
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                out[name] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def logging_config(settings: Settings) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of a server process (also handed to uvicorn)."""
    formatter: dict[str, Any] = {"()": f"{__name__}.JsonFormatter"} if settings.log_format == "json" else {"format": TEXT_FORMAT}
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's own lines go through the root handler; its access log names raw paths
            # (invitation tokens among them), so it is off: ACCESS_LOGGER writes templates instead.
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            "huey": {"level": level, "handlers": [], "propagate": True},
        },
    }


def configure_logging(settings: Settings) -> dict[str, Any]:
    """Configure this process's logging; returns the configuration (for ``uvicorn.run``)."""
    config = logging_config(settings)
    logging.config.dictConfig(config)
    return config
