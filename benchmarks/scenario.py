"""The gateway benchmark's engagement, set up the way people set one up.

The operator works on the server with the CLI (``db upgrade``, ``admin bootstrap``, ``admin
issue-token``); everyone else works through the running server: the operator creates the
organizations and accounts over the REST API with that token, and each person signs in through
the login form and acts over the REST API with their session (a gateway token can only be minted
that way). Nothing here imports the platform's internals or the tests, so reorganising either
leaves the benchmark alone.

The result matches what the tests' ``make_engagement`` builds: a developer's release candidate
offered to an agency and a designated trusted partner, terms accepted by both, the upstream
registered, and a gateway token for an agency reviewer.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

OPERATOR = "operator@bench.example.org"
CONFIDENTIALITY = "Recipients keep every output and material confidential and share nothing outside the review."
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# Who takes part, in which kind of organization, with which role.
PEOPLE = (
    ("developer", "developer", "admin"),
    ("agency_admin", "agency", "admin"),
    ("reviewer", "agency", "member"),
    ("partner_admin", "partner", "admin"),
    ("po_admin", "program_office", "admin"),
)


@dataclass(frozen=True)
class GatewayAccess:
    """What a reviewer calls the gateway with."""

    engagement_id: str
    model: str
    token: str


def cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """``frontier-review ARGS`` against the instance ``env`` configures; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "frontier_review.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"frontier-review {' '.join(args[:2])} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def prepare_instance(env: dict[str, str], cwd: Path) -> str:
    """Migrate the fresh database and create the operator; returns the operator's API token."""
    cli(["db", "upgrade"], env, cwd)
    password = secrets.token_urlsafe(24)
    cli(["admin", "bootstrap", "--email", OPERATOR, "--full-name", "Benchmark Operator", "--password", password], env, cwd)
    out = cli(["admin", "issue-token", "--email", OPERATOR, "--name", "gateway benchmark"], env, cwd)
    tokens = [line.strip() for line in out.splitlines() if line.strip().startswith("frt_")]
    if not tokens:
        raise RuntimeError(f"admin issue-token printed no token:\n{out}")
    return tokens[-1]


class Api:
    """One caller of the REST API: a bearer token, or a signed-in session with its CSRF token."""

    def __init__(self, client: httpx.Client, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.client.request(method, f"/api/v1{path}", json=body, headers=self.headers)
        if response.status_code not in {200, 201, 202}:
            raise RuntimeError(f"{method} /api/v1{path}: HTTP {response.status_code} {response.text[:500]}")
        answer: dict[str, Any] = response.json()
        return answer

    def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call("POST", path, body)


def _csrf(response: httpx.Response) -> str:
    match = _CSRF.search(response.text)
    if match is None:
        raise RuntimeError(f"GET {response.request.url.path}: HTTP {response.status_code}, no CSRF token on the page")
    return match.group(1)


def sign_in(client: httpx.Client, email: str, password: str) -> Api:
    """Sign in through the login form; the session acts on the API with the CSRF header."""
    form = {"email": email, "password": password, "next": "/", "csrf_token": _csrf(client.get("/login"))}
    signed_in = client.post("/login", data=form)
    if signed_in.status_code != 303:
        raise RuntimeError(f"{email} could not sign in: HTTP {signed_in.status_code} {signed_in.text[:300]}")
    return Api(client, {"X-CSRF-Token": _csrf(client.get("/account"))})


def set_up_engagement(
    base_url: str, operator_token: str, *, upstream: str, upstream_key: str, quota: int, transcripts: bool
) -> GatewayAccess:
    """Everything the reviewer needs to call the gateway; every participant's quota is ``quota``."""
    suffix = uuid.uuid4().hex[:6]
    password = secrets.token_urlsafe(24)
    with ExitStack() as stack:

        def client() -> httpx.Client:
            return stack.enter_context(httpx.Client(base_url=base_url, timeout=60, follow_redirects=False))

        operator = Api(client(), {"Authorization": f"Bearer {operator_token}"})
        orgs: dict[str, str] = {}
        for kind in ("developer", "agency", "partner", "program_office"):
            org = {"name": f"Bench {kind.replace('_', ' ')} {suffix}", "kind": kind}
            orgs[kind] = operator.post("/organizations", {**org, "sector": "energy"} if kind == "partner" else org)["id"]
        people: dict[str, Api] = {}
        for name, kind, role in PEOPLE:
            email = f"{name.replace('_', '-')}-{suffix}@example.org"
            account = {"email": email, "full_name": f"Bench {name.replace('_', ' ')}", "password": password, "role": role}
            operator.post(f"/organizations/{orgs[kind]}/users", account)
            people[name] = sign_in(client(), email, password)

        now = datetime.now(UTC)
        people["po_admin"].post(
            "/partners",
            {
                "organization_id": orgs["partner"],
                "sector": "energy",
                "basis": "Operates a regional grid; vetted by the program office.",
                "expires_at": (now + timedelta(days=365)).isoformat(),
            },
        )
        developer = people["developer"]
        model = developer.post("/models", {"name": "Atlas"})
        version = developer.post(f"/models/{model['id']}/versions", {"label": f"rc-{suffix}"})
        quotas = {"requests_per_day": quota, "tokens_per_day": quota, "requests_per_minute": quota}
        engagement = developer.post(
            "/engagements",
            {
                "version_id": version["id"],
                "title": f"Review of Atlas rc-{suffix}",
                "window_start": now.isoformat(),
                "window_end": (now + timedelta(days=10)).isoformat(),
                "recipients": "federal_and_partners",
                "terms": {
                    "materials": {"api_access": True, "system_card": True, "reduced_safeguard_variant": True},
                    "protections": {"confidentiality_text": CONFIDENTIALITY, "transcript_retention": transcripts},
                    "quotas": quotas,
                },
            },
        )
        path = f"/engagements/{engagement['id']}"
        for kind in ("agency", "partner"):
            developer.post(f"{path}/participants", {"organization_id": orgs[kind]})
        developer.call(
            "PUT",
            f"{path}/upstream",
            {"variant": "standard", "base_url": upstream, "api_key": upstream_key, "upstream_model": "fake"},
        )
        developer.post(f"{path}/offer")
        for admin in ("agency_admin", "partner_admin"):
            people[admin].post(f"{path}/accept", {"terms_number": 1})
        issued = people["reviewer"].post(f"{path}/gateway-tokens", {"name": "laptop"})
    return GatewayAccess(engagement_id=engagement["id"], model=engagement["model"], token=issued["token"])
