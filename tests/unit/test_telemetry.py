"""Telemetry's pure parts: request ids, the metrics token, route templates, the JSON log line."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from frontier_review.config import Settings
from frontier_review.telemetry.context import accept_request_id
from frontier_review.telemetry.http import route_template
from frontier_review.telemetry.logs import JsonFormatter, RequestIdFilter
from frontier_review.telemetry.metrics import Metrics, authorized

TOKEN = "m" * 40


@pytest.mark.parametrize("sane", ["abc", "req_0123456789abcdef", "a" * 64, "trace:1/2+3=4@x.y-z"])
def test_a_sane_incoming_request_id_is_kept(sane: str) -> None:
    assert accept_request_id(sane.encode()) == sane


@pytest.mark.parametrize("bad", [None, b"", b"a" * 65, b"a b", b'a"b', b"a\nb", b"-lead", "é".encode(), b"\xff\xfe", b"{}"])
def test_anything_else_is_replaced_by_a_fresh_id(bad: bytes | None) -> None:
    fresh = accept_request_id(bad)
    assert len(fresh) == 32 and int(fresh, 16) >= 0
    assert fresh != accept_request_id(bad)


def test_the_metrics_token_is_checked_whole_and_only_as_a_bearer() -> None:
    settings = Settings(metrics_token=SecretStr(TOKEN))
    assert authorized(settings, f"Bearer {TOKEN}")
    assert authorized(settings, f"bearer {TOKEN}")
    wrong = (None, "", "Bearer", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, f"Bearer  {TOKEN[1:]}")
    for header in wrong:
        assert not authorized(settings, header), header
    unset = Settings()
    for header in (None, "Bearer ", f"Bearer {TOKEN}", "Bearer " + "0" * 64):
        assert not authorized(unset, header)


def test_a_short_metrics_token_is_refused_at_start() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(metrics_token=SecretStr("short-token"))
    assert "short-token" not in str(caught.value)
    assert Settings(metrics_token=SecretStr("")).metrics_token is None


class _Route:
    def __init__(self, path_format: str) -> None:
        self.path_format = path_format


@pytest.mark.parametrize(
    ("scope", "template"),
    [
        ({"path": "/metrics", "route": _Route("/metrics")}, "/metrics"),
        ({"path": "/", "route": _Route("/")}, "/"),
        ({"path": "/engagements/42", "route": _Route("/engagements/{engagement_id}")}, "/engagements/{engagement_id}"),
        # an included router's route: its template lacks the prefix it was included under
        ({"path": "/api/v1/audit/entries/7", "route": _Route("/audit/entries/{entry_id}")}, "/api/v1/audit/entries/{entry_id}"),
        ({"path": "/invitations/s3cr3t", "route": _Route("/invitations/{token}")}, "/invitations/{token}"),
        ({"path": "/static/app.css", "root_path": "/static", "endpoint": object()}, "/static/{path}"),
        ({"path": "/no/such/thing"}, "unmatched"),
        ({"path": "/files/a/b", "route": _Route("/files/{rest:path}")}, "unmatched"),
    ],
)
def test_requests_are_named_by_their_route_template(scope: dict[str, Any], template: str) -> None:
    assert route_template(scope) == template


def test_a_log_line_is_one_json_object_with_the_allowed_fields_only() -> None:
    record = logging.LogRecord("frontier_review.x", logging.WARNING, __file__, 1, "refused %s", ("call",), None)
    record.request_id = "req-1"
    record.route = "/metrics"
    record.password = "hunter2"  # something a library attached: not written
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line.strip() or "Traceback" in line
    data = json.loads(line)
    assert data["message"] == "refused call"
    assert data["level"] == "warning" and data["logger"] == "frontier_review.x"
    assert data["request_id"] == "req-1" and data["route"] == "/metrics"
    assert "password" not in data and "hunter2" not in line
    assert "ValueError: boom" in data["exception"]
    assert data["time"].endswith("Z")
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    assert RequestIdFilter().filter(plain) and "request_id" not in json.loads(JsonFormatter().format(plain))


def test_probes_are_read_at_scrape_and_a_failing_one_does_not_hide_the_rest() -> None:
    from frontier_review.telemetry.metrics import Reading

    metrics = Metrics()
    reads: list[int] = []

    def good() -> list[Reading]:
        reads.append(1)
        return [Reading("fr_test_value", "A test value.", 7.0, {"kind": "a"}), Reading("fr_test_unknown", "Unknown now.", None)]

    def broken() -> list[Reading]:
        raise RuntimeError("database down")

    metrics.add_probe("good", good)
    metrics.add_probe("broken", broken)
    assert reads == []  # nothing runs until a scrape
    metrics.gateway_call("/chat/completions", "ok", 200, 0.001, 5, 3)
    metrics.gateway_call("/gateway/v1/whatever/42", "not_found", 404, 0.0005, 0, 0)
    text = metrics.render().decode()
    assert reads == [1]
    assert 'fr_test_value{kind="a"} 7.0' in text
    assert "fr_test_unknown" not in text
    assert 'fr_probe_up{probe="broken"} 0.0' in text and 'fr_probe_up{probe="good"} 1.0' in text
    assert 'fr_gateway_calls_total{outcome="ok",route="/chat/completions",status="200"} 1.0' in text
    assert 'route="other"' in text and "whatever" not in text
    assert 'fr_gateway_tokens_total{kind="prompt"} 5.0' in text


_NO_SDK = """
from frontier_review.config import Settings
from frontier_review.composition import build_container
import frontier_review.asgi, frontier_review.gateway.app, sys, tempfile, base64, os
from frontier_review.asgi import create_asgi
settings = Settings(data_dir=tempfile.mkdtemp(), master_key=base64.b64encode(os.urandom(32)).decode(), session_secret="s" * 40)
container = build_container(settings)
create_asgi(container)
ours = ("opentelemetry.sdk.trace", "opentelemetry.instrumentation", "opentelemetry.exporter")
loaded = sorted(m for m in sys.modules if m.startswith(ours))
print(",".join(loaded))
"""


def test_without_an_otlp_endpoint_nothing_of_the_opentelemetry_sdk_is_imported() -> None:
    """Neither the tracing SDK, nor an instrumentation, nor the exporter. (redis-py imports the
    SDK's *metrics* modules by itself whenever the SDK is installed; it is not ours to avoid.)"""
    done = subprocess.run([sys.executable, "-c", _NO_SDK], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", done.stdout


_COUNT = """
import sys
from frontier_review.telemetry.metrics import Metrics
metrics = Metrics()
assert metrics.multiprocess
for _ in range(int(sys.argv[1])):
    metrics.gateway_call("/completions", "ok", 200, 0.002, 10, 1)
metrics.pool_open.inc(2)
"""
_SCRAPE = """
from frontier_review.telemetry.metrics import Metrics
print(Metrics().render().decode())
"""


def test_in_multiprocess_mode_a_scrape_adds_up_every_process(tmp_path: Any) -> None:
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)}
    for count in ("3", "4"):
        done = subprocess.run([sys.executable, "-c", _COUNT, count], env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    scraped = subprocess.run([sys.executable, "-c", _SCRAPE], env=env, capture_output=True, text=True, check=False)
    assert scraped.returncode == 0, scraped.stderr
    text = scraped.stdout
    assert 'fr_gateway_calls_total{outcome="ok",route="/completions",status="200"} 7.0' in text
    assert 'fr_gateway_tokens_total{kind="prompt"} 70.0' in text
    assert 'fr_gateway_added_latency_seconds_count{route="/completions"} 7.0' in text
    assert "fr_probe_up" in text  # the scraping process's probes are added to the files' values
