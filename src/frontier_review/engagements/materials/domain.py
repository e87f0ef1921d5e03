"""Rules of sealed files (pure): which artifact kinds the terms share, names, types, fingerprints."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from enum import StrEnum

from frontier_review.engagements.lifecycle.domain import Materials
from frontier_review.kernel.errors import ValidationFailed

MAX_FILENAME = 200
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")


class ArtifactKind(StrEnum):
    """What a file is, checked against the materials the current terms share."""

    SYSTEM_CARD = "system_card"
    EVALUATION_RESULTS = "evaluation_results"
    WEIGHTS = "weights"
    OTHER = "other"  # usage guides, API notes: not one of the negotiated materials, always allowed


KIND_NAMES = {
    ArtifactKind.SYSTEM_CARD: "the system card",
    ArtifactKind.EVALUATION_RESULTS: "evaluation results",
    ArtifactKind.WEIGHTS: "weights",
}


def shared_by(kind: ArtifactKind | str, materials: Materials) -> bool:
    """Whether terms sharing ``materials`` cover a file of ``kind``.

    ``other`` always is; a kind unknown to this version is not.
    """
    try:
        chosen = ArtifactKind(kind)
    except ValueError:
        return False
    return {
        ArtifactKind.SYSTEM_CARD: materials.system_card,
        ArtifactKind.EVALUATION_RESULTS: materials.evaluation_results,
        ArtifactKind.WEIGHTS: materials.weights,
        ArtifactKind.OTHER: True,
    }[chosen]


def human_bytes(n: int) -> str:
    """``104857600`` → ``"100 MiB"``, for messages."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


def clean_filename(raw: str) -> str:
    """The file's own name: no directories, no control characters, at most 200 characters.

    The extension is kept when a long name is shortened.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    name = name.strip().strip(".").strip()
    if not name:
        raise ValidationFailed("the file needs a name", field="filename")
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16 and stem:
            name = stem[: MAX_FILENAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_FILENAME].rstrip()
    return name


def clean_content_type(raw: str | None) -> str:
    """A bare ``type/subtype`` (parameters dropped); unknown means ``application/octet-stream``."""
    value = (raw or "").split(";", 1)[0].strip().lower()
    if not value:
        return "application/octet-stream"
    if not _CONTENT_TYPE.match(value):
        raise ValidationFailed("content_type must look like type/subtype, for example application/pdf", field="content_type")
    return value


def fingerprint(sha256: str, user_id: uuid.UUID, access_ref: uuid.UUID) -> str:
    """The per-recipient fingerprint of one download.

    It names the file's content, the person and the access-log row, so a copy that turns up can
    be matched to the recorded download.
    """
    return hashlib.sha256(f"frontier-review artifact download\x00{sha256}\x00{user_id}\x00{access_ref}".encode()).hexdigest()
