"""Operability: Prometheus metrics, structured logs, the request id and OpenTelemetry traces.

It names no area. What it measures at scrape time (queue depth, audit chain lag) is handed to
it as probes by the composition root; what it measures as things happen (HTTP requests, gateway
calls, the database pool) is counted by the adapters through :class:`metrics.Metrics`. The
OpenTelemetry SDK is imported only by :mod:`tracing`, and only when tracing is configured.
"""

from frontier_review.telemetry.context import current_request_id

__all__ = ["current_request_id"]
