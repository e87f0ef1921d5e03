"""The benchmark's gateway process: its app served as ``frontier-review serve`` serves it.

uvicorn's command line cannot name an HTTP protocol class, and ``serve`` uses its own
(``frontier_review.http_protocol``), so ``benchmarks/gateway.py`` starts this instead:
``python -m benchmarks.serve_gateway PORT WORKERS``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

from frontier_review.http_protocol import HttpProtocol

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    # As `frontier-review serve` runs uvicorn: no access log (the platform logs each request
    # itself), no server header, no proxy headers; uvicorn picks uvloop, which is installed.
    uvicorn.run(
        "benchmarks.gateway:gateway_app",
        factory=True,
        app_dir=str(ROOT),
        host="127.0.0.1",
        port=port,
        workers=workers if workers > 1 else None,
        log_level="info",
        access_log=False,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=10,
        http=HttpProtocol,
    )


if __name__ == "__main__":
    main()
