"""SCRATCH (to delete): what if the upstream's error message quotes the prompt?"""

from __future__ import annotations
import json
from typing import Any
import pytest
from fastapi import Request
from fastapi.responses import JSONResponse
from tests.fakes import openai_server
from tests.api import test_evals_secrecy as e1

ORIG = openai_server.make_app


def echoing(**kw: Any) -> Any:
    from fastapi import FastAPI

    inner = ORIG(**kw)
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        body = await request.json()
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "user")
        if "PLEASE-FAIL" in prompt:
            return JSONResponse(
                {"error": {"message": "maximum context length exceeded", "type": "server_error"}}, status_code=400
            )
        async with __import__("httpx").AsyncClient(
            transport=__import__("httpx").ASGITransport(app=inner), base_url="http://x"
        ) as c:
            r = await c.post("/v1/chat/completions", json=body)
        return JSONResponse(r.json(), status_code=r.status_code)

    @app.get("/v1/models")
    async def models() -> Any:
        return {"object": "list", "data": []}

    return app


def test_echo(container: Any, base_url: str, tmp_path: Any, caplog: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openai_server, "make_app", echoing)
    e1.test_uncleared_users_developers_and_logs_never_see_items_or_outputs(container, base_url, tmp_path, caplog, monkeypatch)
