"""The API explains itself where it is read: `/api/v1/docs` (issue 11, item 9).

Swagger UI shows what `/api/v1/openapi.json` says, so that is what is checked: every operation has
a summary (what it does) and a description (who may call it, what it returns, its notable 4xx
answers), and every property of every schema has a description. A route or a field added without
words for its users fails here.
"""

from __future__ import annotations

from typing import Any

import httpx

# FastAPI adds these two for its default 422 body. They describe nothing this API sends (its 422
# is an RFC 9457 problem document) and carry no descriptions of their own; they are not ours to word.
FRAMEWORK_SCHEMAS = frozenset({"HTTPValidationError", "ValidationError"})

METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})


def _spec(http: httpx.Client) -> dict[str, Any]:
    response = http.get("/api/v1/openapi.json")
    assert response.status_code == 200, response.text
    spec: dict[str, Any] = response.json()
    return spec


def test_every_operation_has_a_summary_and_a_description(http: httpx.Client) -> None:
    spec = _spec(http)
    missing = []
    checked = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            checked += 1
            for key in ("summary", "description"):
                if not str(operation.get(key, "")).strip():
                    missing.append(f"{method.upper()} {path}: no {key}")
    assert checked >= 50, checked  # the walk really saw the API
    assert not missing, "\n".join(missing)


def _undescribed(name: str, schema: dict[str, Any]) -> list[str]:
    """Properties of ``schema`` (and of objects nested inline in it) without a description."""
    out = []
    for prop, sub in schema.get("properties", {}).items():
        if not str(sub.get("description", "")).strip():
            out.append(f"{name}.{prop}")
        out.extend(_undescribed(f"{name}.{prop}", sub))
    return out


def test_every_schema_property_has_a_description(http: httpx.Client) -> None:
    schemas = _spec(http)["components"]["schemas"]
    missing = []
    for name, schema in sorted(schemas.items()):
        if name in FRAMEWORK_SCHEMAS:
            continue
        missing.extend(_undescribed(name, schema))
    assert len(schemas) >= 40, sorted(schemas)
    assert not missing, "\n".join(missing)
