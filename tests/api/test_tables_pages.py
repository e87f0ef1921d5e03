"""The list tables of models, coverage inquiries and policies, benchmark suites and runs.

Each sorts, filters and pages in its query (page 2 shows rows 51 and on, with the count), keeps
the other parameters in its links, survives bad parameters, and never widens what the reader sees.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from frontier_review.bootstrap import Container
from frontier_review.coverage import inquiries, policies
from frontier_review.evals import runs, service, targets
from frontier_review.evals.package import load_package
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.clock import FrozenClock
from frontier_review.registry import service as registry
from frontier_review.registry.domain import VersionStatus
from tests.api.helpers import web_login
from tests.api.tables import column, count, pager_links, table
from tests.factories.coverage import REFERENCE, make_version, register_sample_benchmark
from tests.factories.evals import allow_classified
from tests.factories.identity import Person, make_org, make_user
from tests.unit.test_benchmark_package import GOOD, MANIFEST


def _login(http: httpx.Client, person: Person) -> None:
    web_login(http, person.email, person.password)


def test_models_table(container: Container, http: httpx.Client) -> None:
    north = make_org(container, OrgKind.DEVELOPER, name="Northwind AI")
    south = make_org(container, OrgKind.DEVELOPER, name="Southwind AI")
    dev = make_user(container, north, role=Role.ADMIN)
    rival = make_user(container, south, role=Role.ADMIN)
    po_admin = make_user(container, make_org(container, OrgKind.PROGRAM_OFFICE), role=Role.ADMIN)
    with container.uow() as uow:
        for n in range(1, 54):
            registry.register_model(uow, dev.principal, name=f"Model {n:03d}")
    released = make_version(container, dev, model="Model 007", label="1.0", training_compute_flop=1e24)
    make_version(container, dev, model="Model 007", label="2.0-rc1")
    with container.uow() as uow:
        registry.set_status(uow, dev.principal, released.id, status=VersionStatus.RELEASED)
    make_version(container, rival, model="Zephyr", label="rc1")

    _login(http, dev)
    first = http.get("/models")
    assert count(first.text, "versions-table") == "1–50 of 54 release candidates"  # 53 models, one with two versions
    models = column(first.text, "versions-table", 0)
    assert models[:4] == ["Model 001", "Model 002", "Model 003", "Model 004"]
    assert models[6:8] == ["Model 007", "Model 007"]
    assert "Zephyr" not in first.text  # another developer's model
    second = http.get(pager_links(first.text)["2"])
    assert count(second.text, "versions-table") == "51–54 of 54 release candidates"
    assert column(second.text, "versions-table", 0) == ["Model 050", "Model 051", "Model 052", "Model 053"]

    by_facts = http.get(table(first.text, "versions-table").header_links["Declared"])
    assert table(by_facts.text, "versions-table").rows[0][:2] == ["Model 007", "1.0"]
    found = http.get("/models", params={"q": "model 007 2.0"})
    assert [r[:2] for r in table(found.text, "versions-table").rows] == [["Model 007", "2.0-rc1"]]
    done = http.get("/models", params={"status": "released"})
    assert count(done.text, "versions-table") == "1 release candidate"
    # A developer has no developer filter: naming another one narrows nothing and widens nothing.
    assert 'name="developer"' not in first.text
    other = http.get("/models", params={"developer": str(south.id)})
    assert "Zephyr" not in other.text and count(other.text, "versions-table") == "1–50 of 54 release candidates"

    with httpx.Client(base_url=str(http.base_url), timeout=30) as po:
        _login(po, po_admin)
        everything = po.get("/models", params={"sort": "developer", "dir": "desc"})
        assert count(everything.text, "versions-table") == "1–50 of 55 release candidates"
        assert column(everything.text, "versions-table", 2)[0] == "Southwind AI"
        only = po.get("/models", params={"developer": str(south.id)})
        assert column(only.text, "versions-table", 0) == ["Zephyr"]
        assert po.get("/models", params={"sort": "nope", "page": "x"}).status_code == 200


def test_inquiries_table(container: Container, http: httpx.Client, clock: FrozenClock) -> None:
    dev_org = make_org(container, OrgKind.DEVELOPER, name="Northwind AI")
    dev = make_user(container, dev_org, role=Role.ADMIN)
    rival = make_user(container, make_org(container, OrgKind.DEVELOPER, name="Helix Labs"), role=Role.ADMIN)
    po_admin = make_user(container, make_org(container, OrgKind.PROGRAM_OFFICE), role=Role.ADMIN)
    with container.uow() as uow:
        model = registry.register_model(uow, dev.principal, name="Atlas")
        for n in range(1, 53):
            version = registry.add_version(uow, dev.principal, model.id, label=f"rc{n:02d}")
            clock.advance(timedelta(seconds=60))
            inquiries.file_inquiry(uow, dev.principal, version.id, question=f"Is rc{n:02d} covered?")
    theirs = make_version(container, rival, model="Helix", label="v1")
    clock.advance(timedelta(seconds=60))
    with container.uow() as uow:
        filed = inquiries.file_inquiry(uow, rival.principal, theirs.id, question="Secret question from Helix")
        inquiries.assign(uow, po_admin.principal, filed.id)

    _login(http, po_admin)
    queue = http.get("/coverage/inquiries")
    assert count(queue.text, "inquiries-table") == "1–50 of 53 inquiries"
    assert column(queue.text, "inquiries-table", 0)[:2] == ["Helix v1", "Atlas rc52"]  # newest first
    assert table(queue.text, "inquiries-table").sorted_header == ("Filed", "descending")
    older = http.get(pager_links(queue.text)["Next"])
    assert column(older.text, "inquiries-table", 0) == ["Atlas rc03", "Atlas rc02", "Atlas rc01"]
    # Statuses sort in the queue's order of work (open, assigned, waiting, decided, withdrawn).
    by_status = http.get("/coverage/inquiries", params={"sort": "status", "dir": "desc"})
    assert column(by_status.text, "inquiries-table", 2)[:2] == ["assigned", "open"]
    assigned = http.get("/coverage/inquiries", params={"status": "assigned"})
    assert column(assigned.text, "inquiries-table", 0) == ["Helix v1"]
    version_search = http.get("/coverage/inquiries", params={"q": "atlas rc4"})
    assert count(version_search.text, "inquiries-table") == "10 inquiries"
    question_search = http.get("/coverage/inquiries", params={"q": "secret question"})
    assert column(question_search.text, "inquiries-table", 0) == ["Helix v1"]
    helix = next(o for o in _options(queue.text, "developer") if o[1] == "Helix Labs")
    only = http.get("/coverage/inquiries", params={"developer": helix[0], "sort": "filed", "dir": "asc"})
    assert column(only.text, "inquiries-table", 0) == ["Helix v1"]

    with httpx.Client(base_url=str(http.base_url), timeout=30) as own:
        _login(own, dev)
        mine = own.get("/coverage/inquiries", params={"q": "secret question"})
        assert count(mine.text, "inquiries-table") == "No inquiries match the filters"
        mine = own.get("/coverage/inquiries", params={"developer": helix[0]})
        assert "Helix" not in mine.text and count(mine.text, "inquiries-table") == "1–50 of 52 inquiries"


def _options(page: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select [^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    return re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', select.group(1))


def test_policies_table(container: Container, http: httpx.Client) -> None:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    admin = make_user(container, po, role=Role.ADMIN, cleared=True)
    source = (REFERENCE / "eu-ai-act-art51-2.toml").read_text()
    register_sample_benchmark(container, admin)  # the classified example's benchmark
    with container.uow() as uow:
        for n in range(1, 52):
            text = source.replace('id = "eu-ai-act-art51-2"', f'id = "policy-{n:03d}"').replace(
                'title = "EU AI Act Art. 51(2) systemic-risk presumption"', f'title = "Title {52 - n:03d}"'
            )
            policies.publish_policy(uow, admin.principal, text)
        policies.publish_policy(uow, admin.principal, (REFERENCE / "example-classified-cyber.toml").read_text())
    reader = make_user(container, make_org(container, OrgKind.AGENCY))
    _login(http, reader)
    first = http.get("/coverage/policies")
    assert count(first.text, "policies-table") == "1–50 of 52 policy versions"
    refs = column(first.text, "policies-table", 0)
    assert refs[:2] == ["eo14409-covered-cyber-example@1", "policy-001@1"]
    assert refs[-1] == "policy-049@1"
    second = http.get(pager_links(first.text)["Next"])
    assert column(second.text, "policies-table", 0) == ["policy-050@1", "policy-051@1"]
    by_title = http.get(table(first.text, "policies-table").header_links["Title"])
    assert column(by_title.text, "policies-table", 1)[:2] == [
        "Covered frontier model — advanced cyber capability (example)",
        "Title 001",
    ]
    classified = http.get("/coverage/policies", params={"marking": "classified"})
    assert column(classified.text, "policies-table", 0) == ["eo14409-covered-cyber-example@1"]
    assert column(http.get("/coverage/policies", params={"q": "policy-05"}).text, "policies-table", 0) == [
        "policy-050@1",
        "policy-051@1",
    ]
    # The compare form offers every version, not only this page's.
    assert len(_options_plain(first.text, "a")) == 52


def _options_plain(page: str, name: str) -> list[str]:
    select = re.search(rf'<select [^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def _seal(container: Container, tmp_path: Path, person: Person, name: str, *, classified: bool) -> None:
    folder = tmp_path / name
    folder.mkdir()
    manifest = MANIFEST.replace('name = "tiny-suite"', f'name = "{name}"')
    if not classified:
        manifest = manifest.replace('"classified"', '"unclassified"')
    (folder / "manifest.toml").write_text(manifest)
    (folder / "samples.jsonl").write_text("\n".join(json.dumps(s) for s in GOOD) + "\n")
    with container.uow() as uow:
        service.seal_package(uow, person.principal, load_package(folder))


def test_suites_and_runs_tables(container: Container, http: httpx.Client, tmp_path: Path, clock: FrozenClock) -> None:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    cleared = make_user(container, po, role=Role.ADMIN, cleared=True)
    uncleared = make_user(container, po, role=Role.ADMIN)
    dev = make_user(container, make_org(container, OrgKind.DEVELOPER), role=Role.ADMIN)
    version = make_version(container, dev, label="rc1")
    _seal(container, tmp_path, cleared, "secret-suite", classified=True)
    _seal(container, tmp_path, cleared, "open-suite", classified=False)
    with container.uow() as uow:
        for name in ("alpha-target", "beta-target"):
            targets.create_target(
                uow,
                cleared.principal,
                name=name,
                model="openai-api/local/fake",
                base_url="http://127.0.0.1:9/v1",
                model_version_id=version.id,
            )
            allow_classified(uow, name)
    with container.uow() as uow:
        for n in range(52):
            clock.advance(timedelta(seconds=60))
            target = "beta-target" if n == 0 else "alpha-target"
            runs.start_run(uow, cleared.principal, benchmark="open-suite@1", target=target, dispatch=lambda _id: None)
        for _ in range(3):
            clock.advance(timedelta(seconds=60))
            runs.start_run(uow, cleared.principal, benchmark="secret-suite@1", target="alpha-target", dispatch=lambda _id: None)

    _login(http, cleared)
    page = http.get("/evals")
    assert count(page.text, "suites-table") == "2 suites"
    assert column(page.text, "suites-table", 0) == ["open-suite@1", "secret-suite@1"]
    assert column(http.get("/evals", params={"suites_marking": "classified"}).text, "suites-table", 0) == ["secret-suite@1"]
    assert count(page.text, "runs-table") == "1–50 of 55 runs"
    assert column(page.text, "runs-table", 1)[:3] == ["secret-suite@1"] * 3  # newest first
    older = http.get(pager_links(page.text)["Next"])
    assert count(older.text, "runs-table") == "51–55 of 55 runs"
    assert column(older.text, "runs-table", 2)[-1].startswith("beta-target")  # the first run queued
    # Both tables' parameters live side by side; the polled fragment keeps the page and links back to /evals.
    both = http.get("/evals", params={"suites_sort": "benchmark", "suites_dir": "desc", "runs_page": "2"})
    assert column(both.text, "suites-table", 0) == ["secret-suite@1", "open-suite@1"]
    assert count(both.text, "runs-table") == "51–55 of 55 runs"
    assert 'hx-get="/evals/runs-table?suites_sort=benchmark&amp;suites_dir=desc&amp;runs_page=2"' in both.text
    fragment = http.get("/evals/runs-table", params={"runs_page": "2", "suites_sort": "benchmark"})
    assert count(fragment.text, "runs-table") == "51–55 of 55 runs"
    header = table(fragment.text, "runs-table").header_links["Target"]
    assert urlsplit(header).path == "/evals"
    assert parse_qs(urlsplit(header).query) == {"suites_sort": ["benchmark"], "runs_sort": ["target"], "runs_dir": ["asc"]}
    by_target = http.get(header)
    assert column(by_target.text, "runs-table", 2)[0].startswith("alpha-target")
    beta = http.get("/evals", params={"runs_q": "beta"})
    assert count(beta.text, "runs-table") == "1 run"
    secret_id = next(v for v, label in _options(page.text, "runs_benchmark") if label == "secret-suite@1")
    assert count(http.get("/evals", params={"runs_benchmark": secret_id}).text, "runs-table") == "3 runs"
    assert http.get("/evals", params={"runs_sort": "score", "runs_page": "-1"}).status_code == 200

    # Staff not cleared for the classified suite: its runs are not in the query, so not in the count.
    with httpx.Client(base_url=str(http.base_url), timeout=30) as other:
        _login(other, uncleared)
        theirs = other.get("/evals")
        assert count(theirs.text, "runs-table") == "1–50 of 52 runs"
        assert "secret-suite@1" not in column(theirs.text, "runs-table", 1)
        filtered = other.get("/evals", params={"runs_benchmark": secret_id})
        assert count(filtered.text, "runs-table") == "No runs match the filters"
