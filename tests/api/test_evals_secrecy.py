"""E1 end to end: after real benchmark runs, no API response, web page, log line or stored file
that an uncleared user, a developer or an operator can see carries an item, a choice, an
answer key or a model output — nor a classified score or threshold (issue 10, item 1).

Two suites, one classified and one not, are sealed with unique markers in every item field and
run through the real job queue and runner process against the local OpenAI-compatible fake,
whose free-text answers carry a marker too; a third run fails. A determination and a decided
inquiry are recorded from the results. Then every GET route of the app is fetched by every
kind of uncleared principal, through the web session and through an API token, following the
links and htmx fragments in the pages, and every response, every log record of the server and
worker, the runner processes' output, the database (audit log included) and the instance's
data directory are searched for the markers. The positive control: a cleared program-office
user's transcripts do show the markers, so the same search would catch a leak.

Classified values are searched the same way: the classified run's own score and stderr, a
distinctive classified result recorded for the version and for a reference model, and the
threshold of a classified policy. Their positive control: cleared staff read each of them.

Operability outputs are searched too (issue 13 item 2): the Prometheus scrape at ``/metrics``,
every log line as the server writes it (JSON, with request ids) and every trace span the app
made during the crawl (an in-memory exporter) must show no marker, no classified value, no
token, password or configured secret, and not the title of a TLP:AMBER finding.
"""

from __future__ import annotations

import gzip
import html
import io
import json
import logging
import re
import subprocess
import threading
import time
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import fastapi.routing
import httpx
import markupsafe
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import SecretStr

import frontier_review.evals.logfile  # noqa: F401 - teaches zipfile to read Inspect's Zstandard members
from frontier_review.asgi import create_app
from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.composition import Base
from frontier_review.config import Settings
from frontier_review.coverage import determinations, inquiries, policies, results
from frontier_review.engagements.findings import service as findings
from frontier_review.engagements.materials import service as artifacts
from frontier_review.evals import runs, service, targets, tasks
from frontier_review.evals.domain import RunStatus
from frontier_review.evals.orm import BenchmarkRun
from frontier_review.evals.package import load_package
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.jobs.queue import start_embedded_consumer
from frontier_review.kernel.principal import Principal
from frontier_review.mockllm import serve_fake
from frontier_review.telemetry.logs import JsonFormatter, RequestIdFilter
from tests.api.helpers import bearer, csrf_from, web_login
from tests.factories.coverage import make_version, publish_reference
from tests.factories.engagements import make_engagement
from tests.factories.evals import allow_classified
from tests.factories.identity import Person, api_token, make_org, make_superuser, make_user
from tests.live import free_port, serve
from tests.unit.test_benchmark_package import MANIFEST

pytestmark = pytest.mark.slow

POLICY = "eo14409-covered-cyber-example@1"  # the reference policy reads cyber-offense-sample@1
SECRET_POLICY = "e1-classified-thresholds@1"
# Classified values chosen to be found wherever they appear (see Markers): a result of the
# version and of the reference model on the classified suite, and a classified policy's threshold.
PLANTED = {"score": 0.7318264, "stderr": 0.0419357, "reference score": 0.8271649, "threshold": 0.6173829}
SECRET_POLICY_SOURCE = f"""id = "e1-classified-thresholds"
version = "1"
classified = true
effective_from = 2026-06-02
[criteria]
any = [
  {{ benchmark = "cyber-offense-sample", benchmark_version = "1", op = ">=", score = {PLANTED["threshold"]}, name = "Above" }},
]
"""
CLASSIFIED_SUITE = "cyber-offense-sample"
OPEN_SUITE = "e1-open-sample"
KINDS = ("input", "choice", "target", "metadata", "output")
# Everyone here must see aggregates at most: no item, choice, answer key or model output.
UNCLEARED = (
    "developer",
    "dev_member",
    "po_admin",
    "po_member",
    "superuser",
    "agency_admin",
    "partner_admin",
    "clearinghouse_admin",
)
LINKS_RE = re.compile(r'(?:href|hx-get)="(/[^"]*)"')
MAX_LINKS_PER_PRINCIPAL = 300
TIMINGS_RE = re.compile(r'"[a-z_]*_seconds":\s*[-+.\deE]+')
METRICS_TOKEN = "e1-metrics-token-" + "m" * 32


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)})


@pytest.fixture
def spans(settings: Settings) -> InMemorySpanExporter | None:
    """Where the crawl's spans go: on SQLite only. A span holds the route's template and the SQL
    with its placeholders, the same on both databases, and tracing every statement of a
    4,000-request crawl costs it a minute; logs and the scrape are searched on both."""
    return InMemorySpanExporter() if settings.is_sqlite else None


@pytest.fixture
def base_url(container: Container, spans: InMemorySpanExporter | None) -> Iterator[str]:
    """The live server, every request and statement of it traced to ``spans`` (on SQLite)."""
    with serve(container, span_exporter=spans) as url:
        yield url


@dataclass
class Markers:
    """Unique strings planted in every item field and in the model's answers, and the classified
    values (scores, thresholds) that must not show either."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex)
    classified: dict[str, float] = field(default_factory=dict)  # what → value
    _compiled: dict[tuple[bool, tuple[tuple[str, float], ...]], dict[str, re.Pattern[str]]] = field(
        default_factory=dict, repr=False
    )

    def of(self, kind: str) -> str:
        return f"e1-{kind}-{self.tag}"

    def add_classified(self, what: str, value: float | None) -> None:
        assert value is not None, what
        self.classified[what] = value

    def _forms(self, value: float, *, formatted: bool) -> set[str]:
        return {repr(value), f"{value:g}"} | ({f"{value:.3f}"} if formatted else set())

    def _patterns(self, *, formatted: bool) -> dict[str, re.Pattern[str]]:
        """A value as stored (repr), as shown (``%.3f``) or abbreviated (``%g``), not inside a
        longer number (a timestamp's seconds, say). Log lines are searched for the exact forms
        only: they carry timings such as ``0.732s`` that would match a three-decimal form."""
        key = (formatted, tuple(sorted(self.classified.items())))
        if key not in self._compiled:  # every response is searched: compile once
            self._compiled[key] = {
                what: re.compile(
                    r"(?<![\d.])(?:" + "|".join(re.escape(f) for f in sorted(self._forms(v, formatted=formatted))) + r")(?!\d)"
                )
                for what, v in self.classified.items()
            }
        return self._compiled[key]

    def found_in(self, text: str, *, formatted: bool = True) -> list[str]:
        """The kinds of marker in ``text`` (the bare tag catches a partial quote)."""
        patterns = self._patterns(formatted=formatted)
        # A plain substring search first: the regular expression's look-behind makes it scan
        # slowly, and most responses hold none of the forms at all.
        found = [
            f"classified {what}"
            for what, value in self.classified.items()
            if any(f in text for f in self._forms(value, formatted=formatted)) and patterns[what].search(text)
        ]
        if self.tag in text:
            found += [k for k in KINDS if self.of(k) in text] or ["part of a marker"]
        return found

    def context(self, text: str) -> str:
        at = text.find(self.tag)
        if at < 0:
            hits = [m.start() for p in self._patterns(formatted=True).values() if (m := p.search(text))]
            at = min(hits) if hits else 0
        return text[max(0, at - 120) : at + 60].replace("\n", "\\n")


# Setup -------------------------------------------------------------------------------------


def _write_suite(root: Path, name: str, m: Markers, *, classified: bool) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    manifest = MANIFEST.replace('name = "tiny-suite"', f'name = "{name}"')
    if not classified:
        manifest = manifest.replace('classification = "classified"', 'classification = "unclassified"')
    assert f'name = "{name}"' in manifest
    assert ('"unclassified"' in manifest) is not classified
    items: list[dict[str, object]] = [
        {
            "id": f"mc-{i}",
            "input": f"{m.of('input')}: which weakness is question {i} about?",
            "choices": [f"{m.of('choice')} CWE-79", "CWE-89", "CWE-22", "CWE-78"],
            "target": "B",
            "metadata": {"source": m.of("metadata")},
        }
        for i in range(3)
    ]
    items += [
        {"id": f"em-{i}", "input": f"{m.of('input')}: which line of snippet {i} is exploitable?", "target": m.of("target")}
        for i in range(2)
    ]
    # The fake answers HTTP 500 to this one: a failing sample carries item text too.
    items.append({"id": "fail-0", "input": f"{m.of('input')} PLEASE-FAIL", "target": m.of("target")})
    if classified:  # one more, so the classified run's score differs from the open run's (which anyone in the PO sees)
        items.append({"id": "fail-1", "input": f"{m.of('input')} PLEASE-FAIL again", "target": m.of("target")})
    (folder / "manifest.toml").write_text(manifest)
    (folder / "samples.jsonl").write_text("\n".join(json.dumps(x) for x in items) + "\n")
    return folder


@dataclass
class World:
    director: Person  # cleared program-office admin: the only one who may read items
    people: dict[str, Person]
    version_id: uuid.UUID
    model_id: uuid.UUID
    org_ids: list[uuid.UUID]
    inquiry_id: uuid.UUID
    engagement_id: uuid.UUID
    artifact_id: uuid.UUID
    finding_id: uuid.UUID
    evidence_id: uuid.UUID
    restricted_title: str = ""
    runs: dict[str, uuid.UUID] = field(default_factory=dict)
    determination_ids: list[uuid.UUID] = field(default_factory=list)


def _world(container: Container, tmp_path: Path, fake_url: str, m: Markers) -> World:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    dev = make_org(container, OrgKind.DEVELOPER)
    orgs = {
        "po": po,
        "dev": dev,
        "agency": make_org(container, OrgKind.AGENCY),
        "partner": make_org(container, OrgKind.PARTNER),
        "clearinghouse": make_org(container, OrgKind.CLEARINGHOUSE),
    }
    director = make_user(container, po, role=Role.ADMIN, cleared=True)
    people = {
        "developer": make_user(container, dev, role=Role.ADMIN),
        "dev_member": make_user(container, dev),
        "po_admin": make_user(container, po, role=Role.ADMIN),
        "po_member": make_user(container, po),
        "superuser": make_superuser(container),
        "agency_admin": make_user(container, orgs["agency"], role=Role.ADMIN),
        "partner_admin": make_user(container, orgs["partner"], role=Role.ADMIN),
        "clearinghouse_admin": make_user(container, orgs["clearinghouse"], role=Role.ADMIN),
    }
    assert set(people) == set(UNCLEARED)
    version = make_version(container, people["developer"], label="rc1")
    suites = tmp_path / "suites"
    with container.uow() as uow:
        service.seal_package(uow, director.principal, load_package(_write_suite(suites, CLASSIFIED_SUITE, m, classified=True)))
        service.seal_package(uow, director.principal, load_package(_write_suite(suites, OPEN_SUITE, m, classified=False)))
        targets.create_target(
            uow,
            director.principal,
            name="atlas-rc1",
            model="openai-api/local/fake",
            base_url=fake_url,
            api_key="sk-test-e1",
            model_version_id=version.id,
        )
        allow_classified(uow, "atlas-rc1")
        inquiry = inquiries.file_inquiry(
            uow, people["developer"].principal, version.id, question="Is Atlas rc1 a covered frontier model?"
        )
    publish_reference(container, director, "example-classified-cyber.toml")  # reads the suite sealed above
    with container.uow() as uow:
        policies.publish_policy(uow, director.principal, SECRET_POLICY_SOURCE)
    m.add_classified("threshold", PLANTED["threshold"])
    setup = make_engagement(container)
    engagement = setup.engagement
    with container.uow() as uow:  # materials on the engagement, so their routes have real ids
        artifact = artifacts.upload(
            uow,
            setup.developer.principal,
            engagement.id,
            kind="other",
            filename="notes.txt",
            content_type="text/plain",
            stream=[b"x"],
        )
        finding = findings.file_finding(
            uow,
            setup.reviewer.principal,
            engagement.id,
            title="A finding",
            category="other",
            severity="low",
            description="Nothing to do with any benchmark item.",
            tlp="TLP:GREEN",
        )
        evidence = findings.attach_evidence(
            uow, setup.reviewer.principal, finding.id, filename="e.txt", content_type="text/plain", stream=[b"y"]
        )
        restricted = findings.file_finding(
            uow,
            setup.reviewer.principal,
            engagement.id,
            title=f"amber-title-{uuid.uuid4().hex}",  # not the markers: its audience reads it in pages
            category="other",
            severity="high",
            description="Only the engagement's parties with a need to know read this.",
            tlp="TLP:AMBER",
        )
    return World(
        director=director,
        people=people,
        version_id=version.id,
        model_id=version.model_id,
        org_ids=[o.id for o in orgs.values()],
        inquiry_id=inquiry.id,
        engagement_id=engagement.id,
        artifact_id=artifact.id,
        finding_id=finding.id,
        evidence_id=evidence.id,
        restricted_title=restricted.title,
    )


class _RunnerOutput:
    """Stands in for ``subprocess`` inside ``evals.tasks`` so that whatever runner processes
    print goes to a file this test reads, instead of /dev/null."""

    def __init__(self, sink: IO[bytes]) -> None:
        self._sink = sink

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    def Popen(self, *args: Any, **kwargs: Any) -> subprocess.Popen[Any]:  # noqa: N802 - mirrors subprocess.Popen
        kwargs["stdout"] = kwargs["stderr"] = self._sink
        return subprocess.Popen(*args, **kwargs)


@contextmanager
def _capture_runner_output(monkeypatch: pytest.MonkeyPatch, path: Path) -> Iterator[Path]:
    with path.open("ab") as sink:
        monkeypatch.setattr(tasks, "subprocess", _RunnerOutput(sink))
        yield path


# Crawling ----------------------------------------------------------------------------------


def _expand(content: bytes) -> str:
    """The content as text; a zip (an Inspect ``.eval`` log) is searched member by member, and
    gzip (Inspect's trace files) decompressed."""
    if content[:2] == b"\x1f\x8b":
        try:
            return _expand(gzip.decompress(content))
        except (OSError, EOFError):
            pass
    if content[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
        except zipfile.BadZipFile:
            pass
    return content.decode("utf-8", "replace")


@dataclass
class Crawl:
    markers: Markers
    leaks: list[str] = field(default_factory=list)
    ok: dict[str, set[str]] = field(default_factory=dict)  # route → who got a 200
    fetched: int = 0

    def check(self, who: str, how: str, route: str, response: httpx.Response) -> None:
        """Record one response; a marker in its headers or body is a leak."""
        self.fetched += 1
        if response.status_code == 200:
            self.ok.setdefault(route, set()).add(who)
        text = "\n".join(f"{k}: {v}" for k, v in response.headers.items()) + "\n" + _expand(response.content)
        # A measured time (a run's ``duration_seconds``: 0.617) can equal a classified value's
        # three-decimal form by chance; it is not a classified value, so it is not searched.
        text = TIMINGS_RE.sub("", text)
        if kinds := self.markers.found_in(text):
            self.leaks.append(
                f"{response.request.method} {response.request.url.raw_path.decode()} as {who} ({how}) → "
                f"{response.status_code} shows {', '.join(kinds)}: …{self.markers.context(text)}…"
            )


@dataclass
class Visitor:
    """Someone crawling the app as one principal."""

    name: str
    web: httpx.Client  # signed in through the login form (empty for the anonymous visitor)
    api: httpx.Client | None  # bearer token


def _route_values(world: World) -> dict[str, list[str]]:
    """Real values for every path and required query parameter of the app's GET routes."""
    ref = POLICY
    return {
        "run_id": [str(r) for r in world.runs.values()],
        "version_id": [str(world.version_id)],
        "model_version_id": [str(world.version_id)],
        "model_id": [str(world.model_id)],
        "determination_id": [str(d) for d in world.determination_ids],
        "inquiry_id": [str(world.inquiry_id)],
        "engagement_id": [str(world.engagement_id)],
        "artifact_id": [str(world.artifact_id)],
        "finding_id": [str(world.finding_id)],
        "evidence_id": [str(world.evidence_id)],
        "org_id": [str(o) for o in world.org_ids],
        "user_id": [str(p.user.id) for p in (world.director, world.people["developer"], world.people["po_admin"])],
        "ref": [ref, ref.split("@")[0], SECRET_POLICY],
        "a": [ref, SECRET_POLICY],
        "b": [ref],
        "policy": [ref, SECRET_POLICY],
        "token": ["x" * 43],  # an invitation link (identity): it shows an organization's name at most
        # The clearinghouse holds nothing of the benchmark (this world has no clearinghouse records):
        # its record pages are crawled with ids that exist nowhere, so they answer "not found".
        **{name: [str(uuid.uuid4())] for name in ("report_id", "scan_id", "incident_id", "subscription_id")},
    }


# Deeper pages of what the defaults would cut short.
EXTRA_URLS = (
    "/api/v1/audit/entries?limit=500",
    "/api/v1/audit/entries?action=evals&limit=500",
    "/api/v1/audit/entries?action=coverage&limit=500",
    "/audit?action=evals",
    "/audit?action=coverage",
    "/audit/export.jsonl?action=evals",
)


def _required_query(dependant: Dependant) -> set[str]:
    """The query parameters a route needs, its dependencies' included."""
    own = {q.alias for q in dependant.query_params if q.field_info.is_required()}
    return own.union(*(_required_query(d) for d in dependant.dependencies))


def _get_routes(app: FastAPI) -> list[tuple[str, Dependant | None]]:
    """Every GET route as (path template, dependant), routers included at any depth."""
    # FastAPI 0.16x includes routers lazily and flattens them with iter_route_contexts;
    # older versions list the routes themselves.
    flatten = getattr(fastapi.routing, "iter_route_contexts", iter)
    contexts: Iterable[Any] = flatten(app.routes)
    found = []
    for context in contexts:
        path, methods = getattr(context, "path", None), getattr(context, "methods", None) or set()
        if path and "GET" in methods:
            found.append((str(path), getattr(context, "dependant", None)))
    return found


def _plan(container: Container, world: World) -> list[tuple[str, list[str]]]:
    """Every GET route of the app (route template, concrete URLs); fails on an unknown parameter."""
    values = _route_values(world)
    plan: list[tuple[str, list[str]]] = []
    unknown: list[str] = []
    for template, dependant in _get_routes(create_app(container)):
        names = re.findall(r"\{(\w+)", template)
        required = sorted(_required_query(dependant)) if dependant is not None else []
        missing = [n for n in names + required if n not in values]
        if missing:
            unknown.append(f"{template}: {missing}")
            continue
        urls = []
        for combo in product(*(values[n] for n in names)):
            path = template
            for name, value in zip(names, combo, strict=True):
                path = re.sub(r"\{" + name + r"(?::\w+)?\}", value, path)
            query = urlencode({q: values[q][0] for q in required})
            urls.append(f"{path}?{query}" if query else path)
        plan.append((template, urls))
    assert len(plan) >= 40, f"the route listing looks broken: {[t for t, _ in plan]}"
    assert not unknown, f"give these GET routes' parameters a value in _route_values: {unknown}"
    return plan


# A link that differs from one already followed only in these values shows the same rows (a
# table's sort order) or the same empty kind of page (the scan calendar's month, in a world with
# no scans): following each of them spent half the crawl on sort orders and months.
SAME_ROWS = re.compile(r"(?:\w+_)?(?:sort|dir)|start")


def _link_key(url: str) -> str:
    """What makes a link show other rows than another: its path and query, sort orders left out."""
    parts = urlsplit(url)
    query = sorted((k, "*" if SAME_ROWS.fullmatch(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True))
    return f"{parts.path}?{urlencode(query)}"


def _links(page: str) -> list[str]:
    out = []
    for raw in LINKS_RE.findall(page):
        link = html.unescape(raw).split("#", 1)[0]
        if link and not link.startswith(("//", "/static/")):
            out.append(link)
    return out


def _crawl(who: Visitor, plan: list[tuple[str, list[str]]], crawl: Crawl) -> None:
    seen: set[str] = set()
    pending: list[str] = []

    def visit(route: str, url: str) -> None:
        response = who.web.get(url)
        crawl.check(who.name, "session", route, response)
        seen.add(_link_key(url))
        if response.status_code == 200 and response.headers.get("content-type", "").startswith("text/html"):
            pending.extend(link for link in _links(response.text) if _link_key(link) not in seen)

    for route, urls in [*plan, *((u.split("?")[0], [u]) for u in EXTRA_URLS)]:
        for url in urls:
            visit(route, url)
            if route.startswith("/api/") and who.api is not None:
                crawl.check(who.name, "token", route, who.api.get(url))
    followed = 0
    while pending and followed < MAX_LINKS_PER_PRINCIPAL:
        url = pending.pop()
        if _link_key(url) in seen:
            continue
        followed += 1
        visit(f"link {urlsplit(url).path}", url)


# Waiting for the runs, watching their progress as uncleared users do ----------------------


def _wait(container: Container, run_ids: list[uuid.UUID], watch: list[Visitor], crawl: Crawl) -> dict[uuid.UUID, BenchmarkRun]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for who in watch:
            for run_id in run_ids:
                crawl.check(who.name, "session", "/evals/runs/{run_id}/status", who.web.get(f"/evals/runs/{run_id}/status"))
            crawl.check(who.name, "session", "/evals/runs-table", who.web.get("/evals/runs-table"))
            if who.api is not None:
                crawl.check(who.name, "token", "/api/v1/runs", who.api.get("/api/v1/runs"))
        with container.sessions() as session:
            rows = {rid: session.get(BenchmarkRun, rid) for rid in run_ids}
            if all(r is not None and RunStatus(r.status).finished for r in rows.values()):
                return {rid: r for rid, r in rows.items() if r is not None}
        time.sleep(0.5)
    raise AssertionError("the runs did not finish in time")


# Everything stored ------------------------------------------------------------------------


def _database_text(container: Container, *, known: str = "") -> tuple[str, int]:
    """Every row of every table (the audit log among them) as text, and how many rows; a value
    equal to ``known`` (a leak already recorded) is left out."""
    parts: list[str] = []
    count = 0
    with container.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = session.execute(sa.select(table)).all()
            count += len(rows)
            parts.extend(f"{table.name}: {tuple(None if known and v == known else v for v in row)!r}" for row in rows)
    return "\n".join(parts), count


def _stored_leaks(m: Markers, container: Container, tmp_path: Path, *, known: str = "") -> tuple[list[str], int]:
    """Files holding a marker: the instance's data directory (Inspect's data, traces and logs,
    the job queue) and, on SQLite, the database files; not the suites this test wrote. Copies
    of ``known`` (a leak already recorded) are left out."""
    roots = {container.settings.data_dir, *tmp_path.glob("db.sqlite*")}
    leaks: list[str] = []
    scanned = 0
    for root in sorted(roots):
        for path in sorted([root, *root.rglob("*")] if root.is_dir() else [root]):
            if path.is_file():
                scanned += 1
                text = _expand(path.read_bytes())
                if known:
                    text = text.replace(known, "")
                if kinds := m.found_in(text, formatted=False):
                    leaks.append(f"{path.relative_to(tmp_path)} holds {', '.join(kinds)}: …{m.context(text)}…")
    return leaks, scanned


# The test ----------------------------------------------------------------------------------


@contextmanager
def _json_log_lines() -> Iterator[io.StringIO]:
    """Every log record of this process, written as the server writes it (JSON with request ids)."""
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield sink
    finally:
        root.removeHandler(handler)


def _span_text(spans: InMemorySpanExporter) -> tuple[str, int]:
    """Every finished span's name, attributes and events' attributes, and how many spans."""
    finished = spans.get_finished_spans()
    lines = []
    for span in finished:
        events = [(e.name, dict(e.attributes or {})) for e in span.events]
        lines.append(f"{span.name} {dict(span.attributes or {})} {events} {span.status.description or ''}")
    return "\n".join(lines), len(finished)


def _assert_operability_outputs_hold_nothing(
    m: Markers, world: World, secrets: dict[str, str], metrics: str, logs: str, traces: str
) -> None:
    """No marker, classified value, token, secret or TLP:AMBER title in the scrape, the logs or the spans."""
    for name, text in (("/metrics", metrics), ("the JSON log lines", logs), ("the trace spans", traces)):
        assert not m.found_in(text, formatted=False), f"{name} show a marker: …{m.context(text)}…"
        assert world.restricted_title not in text, f"{name} show a TLP:AMBER finding's title"
        shown = [what for what, secret in secrets.items() if secret and secret in text]
        assert not shown, f"{name} show {shown}"


def test_uncleared_users_developers_and_logs_never_see_items_or_outputs(
    container: Container,
    base_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    spans: InMemorySpanExporter | None,
    settings: Settings,
) -> None:
    caplog.set_level(logging.DEBUG)  # every level, every logger, every thread of this process
    caplog.set_level(logging.INFO, logger="httpcore")  # the test clients' connection chatter
    m = Markers()
    crawl = Crawl(m)
    runner_log = tmp_path / "runner-output.log"
    secrets: dict[str, str] = {
        "the metrics token": METRICS_TOKEN,
        "the session secret": container.session_secret,
        "the master key": (settings.master_key or SecretStr("")).get_secret_value(),
        "the target's API key": "sk-test-e1",
    }
    with ExitStack() as stack:
        stack.enter_context(_capture_runner_output(monkeypatch, runner_log))
        json_logs = stack.enter_context(_json_log_lines())

        def client(person: Person | None = None, *, token: bool = False) -> httpx.Client:
            issued = api_token(container, person) if person is not None and token else None
            if issued is not None and person is not None:
                secrets[f"{person.email}'s API token"] = issued
                secrets[f"{person.email}'s password"] = person.password
            headers = bearer(issued) if issued is not None else None
            c = stack.enter_context(httpx.Client(base_url=base_url, timeout=30, follow_redirects=False, headers=headers))
            if person is not None and not token:
                assert web_login(c, person.email, person.password).status_code == 303, person.email
            return c

        with serve_fake(letter="B", text=f"{m.of('output')} 7") as fake_url:
            world = _world(container, tmp_path, fake_url, m)
            principals = [Visitor(n, client(world.people[n]), client(world.people[n], token=True)) for n in UNCLEARED]
            principals.append(Visitor("anonymous", client(), None))
            watchers = [p for p in principals if p.name == "po_admin"]  # sees the open suite's run live
            world.runs = _start_runs(container, world, principals[UNCLEARED.index("po_admin")], crawl)
            consumer = start_embedded_consumer(container.jobs.huey, workers=3)
            try:
                finished = _wait(container, list(world.runs.values()), watchers, crawl)
            finally:
                consumer.stop(graceful=True)
        _assert_runs(finished, world)
        _plant_classified_scores(container, world, m)
        _record_decisions(container, world)

        plan = _plan(container, world)
        started = time.monotonic()
        for who in principals:
            _crawl(who, plan, crawl)
        crawl_seconds = time.monotonic() - started

        # Positive control: cleared staff do see the markers, so the search above would find a leak.
        director_web, director_api = client(world.director), client(world.director, token=True)
        for run in ("classified", "open"):
            for shown in (
                director_web.get(f"/evals/runs/{world.runs[run]}/transcripts"),
                director_api.get(f"/api/v1/runs/{world.runs[run]}/transcripts"),
            ):
                assert shown.status_code == 200, shown.text
                assert {"input", "target", "output"} <= set(m.found_in(shown.text)), shown.text[:2000]
        # … and the classified values, each where cleared staff read it (every read audited).
        controls = {
            "run score": f"/api/v1/runs/{world.runs['classified']}",
            "run stderr": f"/api/v1/runs/{world.runs['classified']}",
            "score": f"/api/v1/versions/{world.version_id}/results",
            "stderr": f"/api/v1/versions/{world.version_id}/results",
            "threshold": f"/api/v1/policies/{SECRET_POLICY}",
            "reference score": f"/api/v1/determinations/{world.determination_ids[0]}",
        }
        for what, url in controls.items():
            shown = director_api.get(url)
            assert shown.status_code == 200, shown.text
            assert f"classified {what}" in m.found_in(shown.text), (what, url, shown.text[:2000])
        run_page = director_web.get(f"/evals/runs/{world.runs['classified']}")
        assert "classified run score" in m.found_in(run_page.text)

        # The operability outputs, after everything above was served: the scrape, the logs, the spans.
        scraped = httpx.get(f"{base_url}/metrics", headers=bearer(METRICS_TOKEN), timeout=30)
        assert scraped.status_code == 200, scraped.text
        metrics_text = scraped.text
        session_cookies = [c.value for c in director_web.cookies.jar if c.value]
        secrets.update({f"a session cookie ({i})": v for i, v in enumerate(session_cookies)})
    log_lines = json_logs.getvalue()
    span_text, span_count = _span_text(spans) if spans is not None else ("", 0)
    # Not vacuous: each output saw the crawl (route templates, request ids, SQL statements).
    assert 'fr_http_requests_total{method="GET",route="/evals/runs/{run_id}"' in metrics_text
    assert metrics_text.count("fr_http_requests_total{") >= 30
    access_lines = [json.loads(line) for line in log_lines.splitlines() if '"logger": "frontier_review.access"' in line]
    assert len(access_lines) >= crawl.fetched / 2 and all(line.get("request_id") for line in access_lines)
    if spans is not None:
        assert span_count >= crawl.fetched and "GET /evals/runs/{run_id}" in span_text and "db.statement" in span_text
    _assert_operability_outputs_hold_nothing(m, world, secrets, metrics_text, log_lines, span_text)

    assert not crawl.leaks, f"{len(crawl.leaks)} responses show item text or model output:\n" + "\n".join(crawl.leaks[:40])
    _assert_not_vacuous(crawl, plan, crawl_seconds)

    # Logs of the server, the worker threads and the runner processes.
    log_text = caplog.text + "\n".join(repr(vars(r)) for r in caplog.records)
    assert any(r.name.startswith("huey") for r in caplog.records), "the worker's log records were not captured"
    assert not m.found_in(log_text, formatted=False), f"a log record shows item text: …{m.context(log_text)}…"
    runner_text = runner_log.read_text(errors="replace")
    assert not m.found_in(runner_text, formatted=False), f"a runner process printed item text: …{m.context(runner_text)}…"

    # The audit log, every other table, and every file in the instance's data directory.
    with container.sessions() as session:
        actions = set(session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.startswith("evals:"))))
    assert {"evals:benchmark:sealed", "evals:run:queued", "evals:run:succeeded", "evals:run:failed"} <= actions
    assert "evals:run:transcripts_viewed" in actions
    with container.sessions() as session:
        entries = session.scalars(
            sa.select(AuditEntry).where(sa.or_(AuditEntry.action.startswith("evals:"), AuditEntry.action.startswith("coverage:")))
        ).all()
    assert not [e.action for e in entries if "score" in (e.details or {})], "an audit entry records a score"
    viewed = {e.action for e in entries}
    assert {"evals:run:classified_score_viewed", "coverage:result:classified_viewed"} <= viewed
    db_text, rows = _database_text(container)
    assert rows > 50
    # Exact forms only, as for the logs: a value stored is its repr; the three-decimal form matched
    # a run's duration (0.732 s) in one CI run.
    assert not m.found_in(db_text, formatted=False), f"the database stores item text in plaintext: …{m.context(db_text)}…"
    leaks, scanned = _stored_leaks(m, container, tmp_path)
    assert scanned >= 1, "the data directory was not searched"
    assert not leaks, "\n".join(leaks)


def _start_runs(container: Container, world: World, po_admin: Visitor, crawl: Crawl) -> dict[str, uuid.UUID]:
    """Three runs: the classified suite (the cleared director), the open suite (an uncleared
    program-office admin, over REST) and one on a target Inspect cannot resolve (the same admin,
    through the web form), which fails."""
    queue = container.jobs

    def dispatch(run_id: uuid.UUID) -> None:
        queue.enqueue(tasks.RUN_TASK, str(run_id))

    with container.uow() as uow:
        classified = runs.start_run(
            uow,
            world.director.principal,
            benchmark=f"{CLASSIFIED_SUITE}@1",
            target="atlas-rc1",
            dispatch=dispatch,
            max_connections=4,
            max_retries=0,
            timeout_seconds=20,
        )
    assert po_admin.api is not None
    response = po_admin.api.post(
        "/api/v1/runs", json={"benchmark": f"{OPEN_SUITE}@1", "target": "atlas-rc1", "max_connections": 4, "max_retries": 0}
    )
    crawl.check(po_admin.name, "token", "POST /api/v1/runs", response)
    assert response.status_code == 201, response.text
    open_run = uuid.UUID(response.json()["id"])
    response = po_admin.api.post(
        "/api/v1/targets", json={"name": "e1-unresolvable", "model": "no-such-provider/model", "reference_model": "ref"}
    )
    crawl.check(po_admin.name, "token", "POST /api/v1/targets", response)
    assert response.status_code == 201, response.text
    page = po_admin.web.get("/evals")
    crawl.check(po_admin.name, "session", "/evals", page)
    response = po_admin.web.post(
        "/evals/runs", data={"benchmark": f"{OPEN_SUITE}@1", "target": "e1-unresolvable", "csrf_token": csrf_from(page.text)}
    )
    crawl.check(po_admin.name, "session", "POST /evals/runs", response)
    assert response.status_code == 303, response.text
    failing = uuid.UUID(response.headers["location"].rsplit("/", 1)[1])
    return {"classified": classified.id, "open": open_run, "failing": failing}


def _assert_runs(finished: dict[uuid.UUID, BenchmarkRun], world: World) -> None:
    classified, open_run, failing = (finished[world.runs[k]] for k in ("classified", "open", "failing"))
    for row, samples, errors in ((classified, 7, 2), (open_run, 6, 1)):
        assert row.status == RunStatus.SUCCEEDED.value, row.failure_reason
        assert row.samples_done == samples
        assert row.errors == errors
        assert row.log_sealed is not None
        assert row.result_id is not None
    # Item 1: the classified run's score is sealed in its row, the open run's is not.
    assert (classified.score, classified.stderr) == (None, None)
    assert classified.scores_sealed is not None
    assert open_run.score is not None and open_run.scores_sealed is None
    assert failing.status == RunStatus.FAILED.value
    assert failing.failure_reason


def _plant_classified_scores(container: Container, world: World, m: Markers) -> None:
    """The classified run's own score and stderr, as the operator reads them, and a distinctive
    classified result recorded after it (so determinations use it), become search targets."""
    with container.uow() as uow:
        seen = runs.get_run(uow, Principal.system("e1-test"), world.runs["classified"])
        results.record_result(
            uow,
            world.director.principal,
            benchmark=CLASSIFIED_SUITE,
            benchmark_version="1",
            score=PLANTED["score"],
            stderr=PLANTED["stderr"],
            model_version_id=world.version_id,
            scaffold_version=seen.scaffold_version,
        )
        # Same scaffold as the run, so the relative criterion compares with it.
        results.record_result(
            uow,
            world.director.principal,
            benchmark=CLASSIFIED_SUITE,
            benchmark_version="1",
            score=PLANTED["reference score"],
            reference_model="reference-frontier-2026",
            scaffold_version=seen.scaffold_version,
        )
    m.add_classified("run score", seen.score)
    m.add_classified("run stderr", seen.stderr)
    for what in ("score", "stderr", "reference score"):
        m.add_classified(what, PLANTED[what])


def _record_decisions(container: Container, world: World) -> None:
    director = world.director.principal
    with container.sessions() as session:
        result_ids = [r for r in session.scalars(sa.select(BenchmarkRun.result_id)) if r is not None]
    with container.uow() as uow:
        det = determinations.record_determination(uow, director, world.version_id, policy_ref=POLICY)
        secret = determinations.record_determination(uow, director, world.version_id, policy_ref=SECRET_POLICY)
        inquiries.attach_results(uow, director, world.inquiry_id, result_ids=result_ids)
        decided = inquiries.decide_inquiry(uow, director, world.inquiry_id, policy_ref=POLICY, rationale="Scores below the line.")
    assert decided.determination_id is not None
    world.determination_ids = [det.id, decided.determination_id, secret.id]


def _assert_not_vacuous(crawl: Crawl, plan: list[tuple[str, list[str]]], seconds: float) -> None:
    """The crawl reached the pages that show runs, results and decisions, as the people who may see them."""
    reached = {route for route, who in crawl.ok.items() if not route.startswith("link ")}
    assert len(reached) >= 30, f"only {len(reached)} of {len(plan)} GET routes answered 200: {sorted(reached)}"
    must = {
        "/evals": "po_admin",
        "/evals/runs/{run_id}": "po_admin",
        "/evals/runs/{run_id}/status": "po_admin",
        "/evals/runs-table": "po_admin",
        "/api/v1/runs/{run_id}": "po_admin",
        "/api/v1/benchmark-suites": "developer",
        "/api/v1/versions/{version_id}/results": "developer",
        "/coverage/determinations/{determination_id}": "developer",
        "/coverage/inquiries/{inquiry_id}": "developer",
        "/notifications": "developer",
        "/versions/{version_id}": "developer",
        "/api/v1/audit/export": "superuser",
        "/audit/export.jsonl": "po_admin",
    }
    missing = {route: who for route, who in must.items() if who not in crawl.ok.get(route, set())}
    assert not missing, f"these routes never answered 200 to the principal that may see them: {missing}"
    for items_route in ("/evals/runs/{run_id}/transcripts", "/api/v1/runs/{run_id}/transcripts", "/evals/runs/{run_id}/log.eval"):
        assert not crawl.ok.get(items_route), f"{items_route} answered 200 to {crawl.ok[items_route]}"
    print(f"E1 crawl: {crawl.fetched} responses over {len(plan)} GET routes, {len(reached)} answered 200; {seconds:.1f} s")


# A refused model call ---------------------------------------------------------------------


def _refusing_app() -> FastAPI:
    """An OpenAI-compatible server that turns every request down with HTTP 400, as real ones do
    for a parameter the model does not support (the error quotes no part of the prompt)."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat() -> JSONResponse:
        error = {"message": "Unsupported value: 'max_tokens' is not supported with this model.", "type": "invalid_request_error"}
        return JSONResponse({"error": {**error, "code": "unsupported_value"}}, status_code=400)

    return app


@contextmanager
def _serve(app: FastAPI) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the refusing server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_model_that_refuses_every_item_leaves_their_text_nowhere(
    container: Container, base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inspect's error for an HTTP 400 carries the whole request, item text included. Neither the
    run's pages nor its failure reason, the runner's output or any file may show it. The items
    span two lines, as code snippets do."""
    m = Markers()
    runner_log = tmp_path / "runner-output.log"
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    director = make_user(container, po, role=Role.ADMIN, cleared=True)
    po_admin = make_user(container, po, role=Role.ADMIN)
    developer = make_user(container, make_org(container, OrgKind.DEVELOPER), role=Role.ADMIN)
    version = make_version(container, developer, label="rc1")
    folder = tmp_path / "suites" / OPEN_SUITE
    folder.mkdir(parents=True)
    (folder / "manifest.toml").write_text(
        MANIFEST.replace('name = "tiny-suite"', f'name = "{OPEN_SUITE}"').replace('"classified"', '"unclassified"')
    )
    items = [{"id": f"q-{i}", "input": f"{m.of('input')}: explain\nline {i}", "target": m.of("target")} for i in range(2)]
    (folder / "samples.jsonl").write_text("\n".join(json.dumps(x) for x in items) + "\n")
    with ExitStack() as stack:
        stack.enter_context(_capture_runner_output(monkeypatch, runner_log))
        refusing_url = stack.enter_context(_serve(_refusing_app()))
        with container.uow() as uow:
            service.seal_package(uow, director.principal, load_package(folder))
            targets.create_target(
                uow,
                director.principal,
                name="refuses",
                model="openai-api/local/fake",
                base_url=refusing_url,
                api_key="sk-test-e1",
                model_version_id=version.id,
            )
        queue = container.jobs

        def dispatch(run_id: uuid.UUID) -> None:
            queue.enqueue(tasks.RUN_TASK, str(run_id))

        with container.uow() as uow:
            run_id = runs.start_run(
                uow, po_admin.principal, benchmark=f"{OPEN_SUITE}@1", target="refuses", dispatch=dispatch, max_retries=0
            ).id
        consumer = start_embedded_consumer(queue.huey)
        try:
            finished = _wait(container, [run_id], [], Crawl(m))[run_id]
        finally:
            consumer.stop(graceful=True)
        assert finished.errors == finished.samples_done == 2, finished.failure_reason
        assert finished.log_sealed is not None
        reason = finished.failure_reason or ""

        # The uncleared program-office admin may see this (unclassified) run, the developer not.
        # A leak through the failure reason is recorded below; anything else fails at once.
        crawl = Crawl(m)
        for person, name in ((po_admin, "po_admin"), (developer, "developer")):
            web = stack.enter_context(httpx.Client(base_url=base_url, timeout=30, follow_redirects=False))
            assert web_login(web, person.email, person.password).status_code == 303
            api = stack.enter_context(
                httpx.Client(base_url=base_url, timeout=30, follow_redirects=False, headers=bearer(api_token(container, person)))
            )
            pages = [(r, web.get(r), "session") for r in ("/evals", "/evals/runs-table", f"/evals/runs/{run_id}")]
            pages.append((f"/evals/runs/{run_id}/status", web.get(f"/evals/runs/{run_id}/status"), "session"))
            for route in ("/api/v1/runs", f"/api/v1/runs/{run_id}", "/api/v1/audit/entries?action=evals"):
                pages.append((route, api.get(route), "token"))
            for route, response, how in pages:
                crawl.check(name, how, route, _without(response, reason))
        assert not crawl.leaks, "\n".join(crawl.leaks)
        assert {f"/evals/runs/{run_id}", f"/api/v1/runs/{run_id}"} <= set(crawl.ok)

    runner_text = runner_log.read_text(errors="replace")
    assert not m.found_in(runner_text), f"a runner process printed item text: …{m.context(runner_text)}…"
    db_text, _rows = _database_text(container, known=reason)
    # Exact forms only, as for the logs: a value stored is its repr; the three-decimal form matched
    # a run's duration (0.732 s) in one CI run.
    assert not m.found_in(db_text, formatted=False), f"the database stores item text in plaintext: …{m.context(db_text)}…"
    leaks, _scanned = _stored_leaks(m, container, tmp_path, known=reason)
    traces = [leak for leak in leaks if "/inspect_ai/traces/" in leak]
    assert not [leak for leak in leaks if leak not in traces], "\n".join(leaks)
    known = []
    if m.found_in(reason):
        # evals/runner.py: _all_failed quotes the first sample's error (for an HTTP 400, the whole
        # request) and _scrub only replaces exact copies of an item, so the item's escaped form
        # (a newline becomes \\n) in the error stays, shown to every uncleared user who may see the run.
        known.append(f"the failure reason quotes the item, shown on the run's pages: …{m.context(reason)}…")
    if traces:
        # evals/runner.py: _prepare_environment points Inspect's data directory into the
        # instance's, run() removes only the run's log directory, and Inspect's trace log keeps
        # every sample error (here the whole request) in plaintext.
        known.append("Inspect's trace files keep the requests in plaintext: " + "; ".join(traces))
    assert not known, "\n".join(known)


def _without(response: httpx.Response, reason: str) -> httpx.Response:
    """The response with the run's failure reason cut out (raw, HTML- and JSON-escaped)."""
    body = response.text
    for form in {reason, str(markupsafe.escape(reason)), json.dumps(reason)[1:-1], json.dumps(reason, ensure_ascii=False)[1:-1]}:
        if form:
            body = body.replace(form, "[failure reason]")
    return httpx.Response(response.status_code, headers=response.headers, content=body.encode(), request=response.request)
