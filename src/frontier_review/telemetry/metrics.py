"""Prometheus metrics: what the adapters count as it happens, and what probes read at scrape time.

Counting must stay cheap, because the gateway counts every call: an increment or a histogram
observation is a dictionary lookup and an addition under a lock, with no I/O. Anything that
needs a query (queue depth, audit chain lag) is a *probe*, run only when Prometheus scrapes.

With several server processes on one machine (``uvicorn --workers``), set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory before the processes start:
prometheus-client then keeps each process's values in memory-mapped files there, and a scrape of
any process adds them up (docs/deployment.md, "Monitoring").
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event

from frontier_review.config import Settings

__all__ = ["CONTENT_TYPE", "Metrics", "Probe", "Reading", "authorized"]

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Methods outside this set are counted as "other": a label value is never what a client typed.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
GATEWAY_ROUTES = frozenset({"/models", "/chat/completions", "/completions"})

# Web pages take milliseconds to seconds; the gateway's own share of a call is sub-millisecond
# to a few milliseconds (docs/performance.md), so its buckets start far lower.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
GATEWAY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0)


@dataclass(frozen=True)
class Reading:
    """One value a probe read at scrape time (``None``: not known now, left out)."""

    name: str
    help: str
    value: float | None
    labels: Mapping[str, str] = field(default_factory=dict)


Probe = Callable[[], Iterable[Reading]]
"""A reading taken when Prometheus scrapes (a cheap query); the composition root supplies them."""


class _Probes(Collector):
    """Runs the probes at each scrape; a failing probe is reported, never fails the scrape."""

    def __init__(self) -> None:
        self.probes: dict[str, Probe] = {}

    def collect(self) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        up = GaugeMetricFamily("fr_probe_up", "Whether each scrape-time probe read its values (1) or not (0).", labels=["probe"])
        for name, probe in self.probes.items():
            try:
                readings = list(probe())
            except Exception as exc:  # a probe's failure (the database down) must not hide the other metrics
                log.warning("metrics probe %s failed: %s", name, type(exc).__name__)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            for reading in readings:
                if reading.value is None:
                    continue
                family = families.get(reading.name)
                if family is None:
                    family = families[reading.name] = GaugeMetricFamily(reading.name, reading.help, labels=sorted(reading.labels))
                family.add_metric([reading.labels[k] for k in sorted(reading.labels)], reading.value)
        yield up
        yield from families.values()


class Metrics:
    """This process's metrics (one per container), and the scrape."""

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "fr_http_requests", "HTTP requests answered, by route template and status.", ["method", "route", "status"], registry=r
        )
        self.http_duration = Histogram(
            "fr_http_request_duration_seconds",
            "Time to answer an HTTP request (to the last byte), by route template.",
            ["method", "route"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self.gateway_calls = Counter(
            "fr_gateway_calls", "Gateway calls, by route, outcome and status.", ["route", "outcome", "status"], registry=r
        )
        self.gateway_added = Histogram(
            "fr_gateway_added_latency_seconds",
            "The gateway's own time per call: the whole call minus the time spent waiting on the upstream.",
            ["route"],
            buckets=GATEWAY_BUCKETS,
            registry=r,
        )
        self.gateway_tokens = Counter("fr_gateway_tokens", "Tokens metered by the gateway.", ["kind"], registry=r)
        # Gauges summed over the live processes (their values are per process).
        self.pool_in_use = Gauge(
            "fr_db_pool_connections_in_use",
            "Database connections checked out of the pool now.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.pool_open = Gauge(
            "fr_db_pool_connections_open",
            "Database connections open now (in use or idle).",
            registry=r,
            multiprocess_mode="livesum",
        )
        self._probes = _Probes()
        r.register(self._probes)

    # -- counting as it happens -----------------------------------------------------------

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "other"
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_duration.labels(method, route).observe(seconds)

    def gateway_call(
        self, route: str, outcome: str, status: int, added_seconds: float, prompt_tokens: int, completion_tokens: int
    ) -> None:
        """One gateway call; ``route`` is the path under ``/gateway/v1`` (any other counts as ``other``)."""
        route = route if route in GATEWAY_ROUTES else "other"
        self.gateway_calls.labels(route, outcome, str(status)).inc()
        self.gateway_added.labels(route).observe(max(added_seconds, 0.0))
        if prompt_tokens:
            self.gateway_tokens.labels("prompt").inc(prompt_tokens)
        if completion_tokens:
            self.gateway_tokens.labels("completion").inc(completion_tokens)

    def watch_pool(self, engine: Engine) -> None:
        """Follow ``engine``'s pool: connections opened and closed, checked out and in.

        Starts from the pool's state now (connections opened before, by migrations or the demo,
        are counted), then moves with the pool's events.
        """
        in_use, open_ = self.pool_in_use, self.pool_open
        pool: Any = engine.pool
        if hasattr(pool, "checkedout") and hasattr(pool, "checkedin"):
            in_use.inc(pool.checkedout())
            open_.inc(pool.checkedout() + pool.checkedin())

        def checkout(*_args: Any) -> None:
            in_use.inc()

        def checkin(*_args: Any) -> None:
            in_use.dec()

        def connect(*_args: Any) -> None:
            open_.inc()

        def close(*_args: Any) -> None:
            open_.dec()

        event.listen(engine, "checkout", checkout)
        event.listen(engine, "checkin", checkin)
        event.listen(engine, "connect", connect)
        event.listen(engine, "close", close)
        event.listen(engine, "close_detached", close)

    # -- the scrape --------------------------------------------------------------------------

    def add_probe(self, name: str, probe: Probe) -> None:
        """Run ``probe`` at each scrape (a later probe of the same name replaces it)."""
        self._probes.probes[name] = probe

    def render(self) -> bytes:
        """The exposition text: this process's metrics, or every process's in multiprocess mode."""
        if not self.multiprocess:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(self._probes)
        return generate_latest(registry)


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()


# Compared against when no token is configured, so that an unset token and a wrong one take the
# same path and the same time: /metrics then refuses everyone, exactly as it refuses a bad token.
_NEVER = _digest(os.urandom(32).hex())


def authorized(settings: Settings, authorization: str | None) -> bool:
    """Whether ``authorization`` (the header) is ``Bearer <FR_METRICS_TOKEN>``.

    Digests are compared in constant time, so neither the token's length nor its first
    characters can be learnt from response times.
    """
    scheme, _, presented = (authorization or "").partition(" ")
    expected = settings.metrics_token.get_secret_value() if settings.metrics_token is not None else None
    matches = hmac.compare_digest(_digest(presented.strip()), _digest(expected) if expected is not None else _NEVER)
    return matches and expected is not None and scheme.lower() == "bearer"
