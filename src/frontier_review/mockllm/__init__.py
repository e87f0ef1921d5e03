"""A configurable OpenAI-compatible fake model, shipped in the package (as Inspect ships ``mockllm``).

One server for the demo's stand-in model, the tests and the benchmarks: deterministic answers
(``answers``), latency, streaming, usage reported or not, and the failure modes that prompts ask
for with trigger words (``failures``). It imports nothing from the platform, so it runs without
the web app, a database or the tests::

    from frontier_review.mockllm import serve_fake

    with serve_fake(text="7", latency=0.2) as base_url:  # http://127.0.0.1:<port>/v1
        ...

``make_app(...)`` builds one to serve yourself (``serve_app``) and inspect afterwards
(``app.state.calls``, ``.bodies``, ``.cancelled``); ``python -m frontier_review.mockllm`` serves one
in a process of its own.
"""

from frontier_review.mockllm.app import MockLLM, MockLLMState
from frontier_review.mockllm.config import BENCHMARK, DEMO, DEMO_REPLY, TESTS, UPSTREAM_SECRET_TEXT, MockLLMConfig
from frontier_review.mockllm.server import make_app, run, serve_app, serve_fake

__all__ = [
    "BENCHMARK",
    "DEMO",
    "DEMO_REPLY",
    "TESTS",
    "UPSTREAM_SECRET_TEXT",
    "MockLLM",
    "MockLLMConfig",
    "MockLLMState",
    "make_app",
    "run",
    "serve_app",
    "serve_fake",
]
