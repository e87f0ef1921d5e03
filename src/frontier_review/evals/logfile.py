"""Reading Inspect's ``.eval`` log (a zip of JSON files) without importing Inspect.

Used only to show cleared staff per-sample transcripts from a sealed log.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

# Inspect compresses .eval members with Zstandard; this (one of Inspect's own dependencies)
# teaches zipfile to read them, without importing Inspect into the web process.
import zipfile_zstd  # noqa: F401

__all__ = ["Transcript", "transcripts"]


@dataclass(frozen=True)
class Transcript:
    """One sample as the model saw and answered it."""

    sample_id: str
    input: str
    target: str
    output: str
    score: str
    error: str | None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for message in value:
            content = message.get("content") if isinstance(message, dict) else message
            parts.append(_text(content) if not isinstance(message, dict) else f"[{message.get('role', '?')}] {_text(content)}")
        return "\n".join(parts)
    if isinstance(value, dict) and "text" in value:
        return str(value["text"])
    return "" if value is None else json.dumps(value)


def transcripts(log_bytes: bytes) -> list[Transcript]:
    """Every sample in an ``.eval`` log, in sample-id order."""
    out = []
    with zipfile.ZipFile(io.BytesIO(log_bytes)) as archive:
        for name in sorted(n for n in archive.namelist() if n.startswith("samples/") and n.endswith(".json")):
            data = json.loads(archive.read(name))
            choices = (data.get("output") or {}).get("choices") or []
            output = _text(choices[0]["message"].get("content")) if choices else ""
            scores = data.get("scores") or {}
            score = ", ".join(f"{k}: {v.get('value')}" for k, v in scores.items()) if scores else "—"
            error = data.get("error")
            out.append(
                Transcript(
                    sample_id=str(data.get("id")),
                    input=_text(data.get("input")),
                    target=_text(data.get("target")),
                    output=output,
                    score=score,
                    error=(error.get("message") if isinstance(error, dict) else str(error)) if error else None,
                )
            )
    return out
