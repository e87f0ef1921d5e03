"""The OpenAPI document's error answers, added once for every operation (issue 13 item 5).

FastAPI documents what a route returns when it succeeds, and a 422 in its own shape that this API
never sends. Every error here is an RFC 9457 problem document (:mod:`frontier_review.web.problems`,
and the body-size limit in :mod:`frontier_review.web.middleware`), so the document describes them
once, as the ``Problem`` schema, and lists on each operation the statuses it can answer, read off
what FastAPI documented of the route (its security, parameters, body and method) rather than
written per route:

- 401 and 403 where the route asks who is calling (:func:`~frontier_review.web.deps.api_principal`,
  whose bearer scheme FastAPI lists as the operation's security); only 401 where a public route
  checks credentials when they are presented (:func:`~frontier_review.web.deps.api_principal_optional`,
  whose scheme becomes an optional bearer token here);
- 404 where the request may name a record: a path parameter, or any query or body input (ids, and
  names such as `identifier@version`, are looked up; which inputs are references is not cheaply
  known, so every input counts);
- 409 on changes (POST, PUT, PATCH, DELETE): a duplicate, a stale version, a transition the
  record's state refuses;
- 413 where there is a body (the size limit);
- 422 where there is any input at all (a body that cannot even be parsed is a 422 too).

A 500 is never documented: it is a bug (``tests/api/test_schemathesis.py`` fuzzes for them).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from frontier_review.web.deps import OPTIONAL_BEARER

__all__ = ["PROBLEM_MEDIA_TYPE", "PROBLEM_SCHEMA", "document_errors", "install"]

PROBLEM_MEDIA_TYPE = "application/problem+json"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
METHODS = UNSAFE | {"GET", "HEAD", "OPTIONS"}
BEARER = "HTTPBearer"  # FastAPI's name for web.deps' bearer scheme
_SCHEMAS = "#/components/schemas/"

# What web.problems.problem() and the body-size middleware write, exactly: nothing more is allowed.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "An RFC 9457 problem document: every error of this API has this shape.",
    "required": ["type", "title", "status", "detail", "instance"],
    "additionalProperties": False,
    "properties": {
        "type": {
            "type": "string",
            "format": "uri-reference",
            "description": "The kind of problem, `urn:frontier-review:problem:<code>`, with the error's stable code "
            "(`not_found`, `permission_denied`, `not_authenticated`, `conflict`, `invalid_transition`, "
            "`validation_failed`, `body_too_large`, …).",
        },
        "title": {"type": "string", "description": "The status in a few fixed words (`Not found`)."},
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status code, repeated."},
        "detail": {"type": "string", "minLength": 1, "description": "What went wrong with this request, for a person."},
        "instance": {
            "type": "string",
            "format": "uri-reference",
            "description": "The path of the request that failed (percent-encoded).",
        },
        "errors": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/ProblemFieldError"},
            "description": "422 only: each invalid input with its problem, in the order found.",
        },
        "field": {"type": "string", "description": "409 only: the input whose value clashes (a name already taken)."},
        "request_id": {
            "type": "string",
            "description": "The request's id, as in the `X-Request-ID` header: quote it when you report a problem.",
        },
    },
}

FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ProblemFieldError",
    "type": "object",
    "description": "One invalid input of a 422 problem.",
    "required": ["field", "message"],
    "additionalProperties": False,
    "properties": {
        "field": {
            "type": "string",
            "description": "The input, as a path into the request (`facts[0].value`, `per_page`), or `body` for the whole body.",
        },
        "message": {"type": "string", "description": "What is wrong with it."},
    },
}

RESPONSES: dict[int, tuple[str, str]] = {
    401: (
        "NotAuthenticated",
        "No credentials, or an API token that is invalid, expired or revoked (with `WWW-Authenticate: Bearer`).",
    ),
    403: ("Forbidden", "You may not do this; `detail` says why (a browser session's change also needs its CSRF token)."),
    404: ("NotFound", "No such record (named in the path, the query or the body), or one you may not see: the same answer."),
    409: ("Conflict", "The change clashes with the record's state: a duplicate, a stale version or a refused transition."),
    413: ("BodyTooLarge", "The request body is over the size limit."),
    422: ("InvalidInput", "Invalid input: each problem in `errors`, with its field."),
}
OPTIONAL_401 = "A presented API token that is invalid, expired or revoked; without credentials you are answered as the public."


def _statuses(method: str, operation: dict[str, Any]) -> list[int]:
    body = operation.get("requestBody")
    located = {p.get("in") for p in operation.get("parameters", [])}
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    statuses: list[int] = []
    if schemes - {OPTIONAL_BEARER}:
        statuses += [401, 403]
    elif schemes:
        statuses.append(401)
    if located or body is not None:
        statuses.append(404)
    if method in UNSAFE:
        statuses.append(409)
    if body is not None:
        statuses.append(413)
    if body is not None or located:
        statuses.append(422)
    return statuses


def document_errors(spec: dict[str, Any]) -> None:
    """Add every operation's problem answers to an OpenAPI document FastAPI generated (in place)."""
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["ProblemFieldError"] = FIELD_ERROR_SCHEMA
    problem_content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"{_SCHEMAS}Problem"}}}
    components["responses"] = {
        name: {"description": description, "content": problem_content} for name, description in RESPONSES.values()
    }
    for item in spec.get("paths", {}).values():
        for method, operation in item.items():
            if method.upper() not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in _statuses(method.upper(), operation):
                responses[str(status)] = {"$ref": f"#/components/responses/{RESPONSES[status][0]}"}
            security = operation.get("security", [])
            if any(OPTIONAL_BEARER in requirement for requirement in security):
                # A public route that checks credentials when they are presented: none, or a token.
                operation["security"] = [{}, {BEARER: []}]
                responses["401"] = {"description": OPTIONAL_401, "content": problem_content}
    components.get("securitySchemes", {}).pop(OPTIONAL_BEARER, None)
    # FastAPI's own 422 schemas describe a body this API never sends; nothing refers to them now.
    for name in ("HTTPValidationError", "ValidationError"):
        if f'"{_SCHEMAS}{name}"' not in json.dumps(spec):
            schemas.pop(name, None)


def install(app: FastAPI) -> None:
    """Serve ``app``'s OpenAPI document with every operation's problem answers."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        spec = generate()  # FastAPI's, cached by FastAPI until the routes change
        if "Problem" not in spec.get("components", {}).get("schemas", {}):
            document_errors(spec)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the document
