"""Traces: the server span names the route template, SQL spans carry statements without values.

A real FastAPI app and a real SQLite database, traced with an in-memory exporter (the OTLP
collector is the only thing that does not run here).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from frontier_review.config import Settings
from frontier_review.db.engine import make_engine
from frontier_review.telemetry import tracing

SECRET = "s3cr3t-value-0451"


def test_spans_name_templates_and_statements_never_values(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'db.sqlite'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (v TEXT)"))
    app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})

    @app.get("/things/{thing_id}")
    def thing(thing_id: str, q: str = "") -> dict[str, int]:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO t (v) VALUES (:v)"), {"v": thing_id + q})
            count = conn.execute(sa.select(sa.func.count()).select_from(sa.table("t"))).scalar_one()
        return {"count": int(count)}

    exporter = InMemorySpanExporter()
    shutdown = tracing.instrument(app, engine, Settings(), exporter=exporter)
    assert shutdown is not None
    with TestClient(app) as client:
        assert client.get(f"/things/{SECRET}?q={SECRET}x").json() == {"count": 1}
        assert client.get(f"/nowhere/{SECRET}").status_code == 404
    shutdown()
    spans = exporter.get_finished_spans()
    server = [s for s in spans if s.name.startswith("GET ")]
    assert {s.name for s in server} >= {"GET /things/{thing_id}"}
    statements = [str(s.attributes.get("db.statement")) for s in spans if s.attributes and "db.statement" in s.attributes]
    assert any(st.startswith("INSERT INTO t") and "?" in st for st in statements), statements
    everything = " ".join(f"{s.name} {dict(s.attributes or {})} {[dict(e.attributes or {}) for e in s.events]}" for s in spans)
    assert SECRET not in everything, everything
    thing_span = next(s for s in server if s.name == "GET /things/{thing_id}")
    assert thing_span.attributes is not None
    assert thing_span.attributes.get("http.target") == "/things/{thing_id}"
    assert thing_span.attributes.get("http.status_code") == 200


def test_without_an_endpoint_nothing_is_instrumented(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'db.sqlite'}")
    app = FastAPI()
    assert tracing.instrument(app, engine, Settings()) is None
    assert app.user_middleware == []
    assert len(engine.dispatch.before_cursor_execute) == 0  # the SQL tracer listens there when on
