"""OpenTelemetry traces of the web application and its SQL, exported over OTLP/HTTP.

Off unless ``FR_OTEL_EXPORTER_OTLP_ENDPOINT`` is set, and then free: nothing of the OpenTelemetry
SDK is imported (this module's imports are inside :func:`instrument`), no middleware is added
and no SQLAlchemy event is listened to.

What a span may carry is narrowed here:

- the request's URL attributes are replaced by the route template (a raw path can carry a
  token, and a query string anything a user typed);
- SQL spans carry the statement as compiled, with placeholders, never the bound values;
- FastAPI's own built-in telemetry stays off (``asgi.create_app``), so exception messages are
  not sent as OpenTelemetry log records.

The tracer provider is this app's own, never the global one, so nothing else in the process
(a library, a test's second app) starts tracing behind our back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from frontier_review import __version__
from frontier_review.config import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace.export import SpanExporter
    from sqlalchemy import Engine

__all__ = ["URL_ATTRIBUTES", "instrument"]

# Attributes of a server span that name the URL as requested (old and new semantic conventions).
URL_ATTRIBUTES = ("http.target", "http.url", "url.path", "url.full")
_QUERY_ATTRIBUTES = ("url.query",)


def _scrub_url(span: Any, _scope: dict[str, Any]) -> None:
    """The server span's URL attributes become the route template (the span's name already is)."""
    attributes = getattr(span, "attributes", None) or {}
    name = str(getattr(span, "name", ""))
    route = name.split(" ", 1)[1] if " " in name else "unmatched"
    for key in URL_ATTRIBUTES:
        if key in attributes:
            span.set_attribute(key, route)
    for key in _QUERY_ATTRIBUTES:
        if key in attributes:
            span.set_attribute(key, "")


def instrument(
    app: FastAPI, engine: Engine, settings: Settings, *, exporter: SpanExporter | None = None
) -> Callable[[], None] | None:
    """Trace ``app``'s requests and ``engine``'s statements; returns the shutdown (flush) function.

    Returns ``None``, having imported nothing, when no endpoint is configured and no
    ``exporter`` is given (tests pass an in-memory one).
    """
    if exporter is None and not settings.otel_exporter_otlp_endpoint:
        return None
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name, "service.version": __version__})
    )
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        assert settings.otel_exporter_otlp_endpoint is not None
        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, server_request_hook=_scrub_url, exclude_spans=["receive", "send"]
    )
    # The engine's tracer directly: SQLAlchemyInstrumentor().instrument() would also patch
    # create_engine process-wide, and it refuses SQLAlchemy 2.1 by its declared version range
    # although the event API it uses is unchanged. No SQL commenter: statements stay as compiled.
    tracer = provider.get_tracer("frontier_review.db", __version__)
    usage = NoOpMeterProvider().get_meter("frontier_review.db").create_up_down_counter("db.client.connections.usage")
    EngineTracer(tracer, engine, usage, enable_commenter=False)  # type: ignore[no-untyped-call]
    return provider.shutdown
