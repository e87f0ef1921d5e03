"""A stand-in model for the demo when the ``local-model`` extra is not installed.

It is the package's fake model (``frontier_review.mockllm``) with the demo's preset: it speaks
just enough of the OpenAI API for the demo engagement's gateway to have something to forward to,
and says plainly that it is a stand-in. ``frontier-review serve --demo`` runs it as
``python -m frontier_review.demo.upstream PORT``.
"""

from __future__ import annotations

import sys

from frontier_review.mockllm import DEMO, DEMO_REPLY, MockLLM, run

REPLY = DEMO_REPLY

app = MockLLM(DEMO)


def main() -> None:
    """Serve the demo preset on the port given as the first argument (8081 by default)."""
    run(DEMO, port=int(sys.argv[1]) if len(sys.argv) > 1 else 8081)


if __name__ == "__main__":
    main()
