"""Schema fuzzing: schemathesis over `/api/v1/openapi.json`, as each demo role (issue 13 item 5).

The demo scenario is loaded (so reads find records, and writes meet real state), and each role's
API token drives every operation of the document over real HTTP against the live loopback server:
a program-office admin, a developer, a trusted partner (a hospital), a clearinghouse analyst, a
bank's operator, and the anonymous public. Each response must be no server error, conform to the
document (status code, content type and schema), and, when it is an error, be a complete problem
document (:func:`problem_documents`). Every failure is listed at the end, with a curl command that
replays it.

Cheap on purpose: a few examples per operation and role (positive data, which passes validation
and reaches the services; negative data for one role, which exercises validation), no shrinking,
a fixed seed, so a run is repeatable; one test per role, about a minute and a half in all on two
cores. SQLite only:
the document and the routes are the same on PostgreSQL, where the same run took as long again and
found nothing SQLite did not; the services' PostgreSQL behaviour is covered by the integration and
HTTP matrix tests, and concurrent use by ``test_concurrent_requests.py`` (the one fuzzer finding
that differed by database: a stall, for ever on PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, CheckContext, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from frontier_review.bootstrap import Container
from frontier_review.demo import data as demo
from tests.factories.identity import api_token, person_by_email

ROLES: dict[str, str | None] = {
    "program office admin": "director@program.demo",
    "developer": "policy@northwind.demo",
    "trusted partner": "secops@mercyhealth.demo",
    "clearinghouse analyst": "analyst@treasury.demo",
    "bank operator": "secops@firstfederal.demo",
    "anonymous": None,
}
NEGATIVE_ROLE = "clearinghouse analyst"  # invalid inputs once, as a role that may do most things
EXAMPLES = 5
NOT_A_PROBLEM = frozenset({"/readyz"})  # a readiness probe's 503 is its own JSON document
PROBLEM_FIELDS = ("type", "title", "status", "detail", "instance")

# A coverage policy is a TOML file: text, sent as generated (mostly not a valid policy: a 422).
schemathesis.serializer.alias("application/toml", "text/plain")


@schemathesis.check
def problem_documents(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Every error is an RFC 9457 problem document with its fields, and says which request failed."""
    del ctx
    content_type = response.headers.get("content-type", [""])[0]
    path = urlsplit(str(response.request.url)).path
    if response.status_code < 400 and not content_type.startswith("application/problem+json"):
        return None
    if path in NOT_A_PROBLEM:
        return None
    assert content_type.startswith("application/problem+json"), f"{response.status_code} answered as {content_type!r}"
    body = json.loads(response.content)
    assert isinstance(body, dict), body
    missing = [name for name in PROBLEM_FIELDS if not body.get(name)]
    assert not missing, f"problem document without {missing}: {body}"
    assert str(body["type"]).startswith("urn:frontier-review:problem:"), body
    assert body["status"] == response.status_code, body
    assert unquote(str(body["instance"])) == unquote(path), (body, path)
    if response.status_code == 401:
        assert response.headers.get("www-authenticate"), "401 without WWW-Authenticate"
    del case
    return None


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance, problem_documents]


def _fuzz(operation: Any, mode: GenerationMode, base_url: str, session: requests.Session, headers: dict[str, str]) -> str | None:
    """Run ``EXAMPLES`` cases of ``operation``; the first failure (with a curl command), or None."""
    failure: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        phases=[Phase.generate],  # no shrinking: the first failing case is reported as it was
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case[Any]) -> None:
        if failure:
            return  # the first failure of this operation and role is enough
        response = case.call(base_url=base_url, session=session, headers=headers)
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as exc:  # a check's failure, or schemathesis's group of them
            failure.append(str(exc))

    try:
        run()
    except Unsatisfiable:  # invalid data for an operation that takes no input: nothing to try
        assert mode is GenerationMode.NEGATIVE, operation.label
    return failure[0] if failure else None


@pytest.fixture
def demo_token(container: Container, request: pytest.FixtureRequest) -> str | None:
    """The API token of the role under test, in a freshly loaded demo world."""
    demo.load_demo(container)
    email = ROLES[request.param]
    return api_token(container, person_by_email(container, email)) if email else None


@pytest.fixture
def schema(base_url: str) -> Any:
    return schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


# One test per role, so the parallel workers share the fuzzing (the whole took 1.5 minutes on one).
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("demo_token", list(ROLES), indirect=True)
def test_the_api_answers_as_its_document_says(
    base_url: str, schema: Any, demo_token: str | None, request: pytest.FixtureRequest
) -> None:
    role = request.node.callspec.params["demo_token"]
    operations = list(_operations(schema))
    assert len(operations) >= 100, len(operations)  # the document really was read
    headers = {"Authorization": f"Bearer {demo_token}"} if demo_token else {}
    modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if role == NEGATIVE_ROLE else [])
    failures: list[str] = []
    with requests.Session() as session:
        for operation in operations:
            for mode in modes:
                if (found := _fuzz(operation, mode, base_url, session, headers)) is not None:
                    failures.append(f"[{role}, {mode.value}] {operation.label}: {found}")
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
