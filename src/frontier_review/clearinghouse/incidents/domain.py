"""AI-enabled intrusion reports (pure): what a report says, its workflow, its recipients (EO §4).

An incident is unauthorized access carried out with AI, reported by a member organization: what
was targeted (systems, sectors), when it started and when it was detected, how it was detected,
which model or agent was involved, a narrative, and indicators as typed observables
(:mod:`.observables`). It carries a TLP 2.0 label with named recipients: organizations for
AMBER and AMBER+STRICT, people for RED. Who *sees* it is in :mod:`.policy` (over ``kernel.tlp``).

Workflow (:data:`TRANSITIONS`)::

    received ──triage──▶ under_review ──refer──▶ referred ──refer again──▶ referred
        │                     │                      │
        └──────close──────────┴────────close─────────┴──▶ closed (final)

The clearinghouse triages (starts the review or closes it as out of scope), refers it to one or
more law-enforcement organizations, and closes it. A receiving organization's acknowledgement is
recorded on its referral and does not move the status.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from frontier_review.clearinghouse.incidents.observables import MAX_INDICATORS, Observable, normalise
from frontier_review.identity.domain import Sector
from frontier_review.kernel import tlp as tlp_rules
from frontier_review.kernel.errors import FieldProblem, InvalidTransition, ValidationFailed

__all__ = [
    "DETECTION_LABELS",
    "TRANSITIONS",
    "Detection",
    "IncidentReport",
    "IncidentStatus",
    "Tlp",
    "check_report",
    "incident_link",
    "next_status",
    "parse_tlp",
    "raise_problems",
]

MAX_TITLE = 200
MAX_SYSTEMS = 2_000
MAX_DETAILS = 2_000
MAX_MODEL_TEXT = 200
MAX_NARRATIVE = 50_000

Tlp = tlp_rules.Label


class IncidentStatus(StrEnum):
    """Where an incident is in the clearinghouse's hands."""

    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    REFERRED = "referred"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


TRANSITIONS: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    IncidentStatus.RECEIVED: frozenset({IncidentStatus.UNDER_REVIEW, IncidentStatus.CLOSED}),
    IncidentStatus.UNDER_REVIEW: frozenset({IncidentStatus.REFERRED, IncidentStatus.CLOSED}),
    # A referred incident may be referred to a second organization too.
    IncidentStatus.REFERRED: frozenset({IncidentStatus.REFERRED, IncidentStatus.CLOSED}),
    IncidentStatus.CLOSED: frozenset(),
}


def next_status(current: IncidentStatus, to: IncidentStatus) -> IncidentStatus:
    """``to``, if the workflow allows it from ``current``.

    Raises:
        InvalidTransition: Naming both states.
    """
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(f"an incident that is {current.label.lower()} cannot become {to.label.lower()}")
    return to


class Detection(StrEnum):
    """How the intrusion was detected."""

    IDS_ALERT = "ids_alert"
    ENDPOINT = "endpoint_detection"
    LOG_REVIEW = "log_review"
    THREAT_HUNT = "threat_hunting"
    THIRD_PARTY = "third_party_notification"
    USER_REPORT = "user_report"
    OTHER = "other"


DETECTION_LABELS: dict[Detection, str] = {
    Detection.IDS_ALERT: "Network intrusion-detection alert",
    Detection.ENDPOINT: "Endpoint detection and response",
    Detection.LOG_REVIEW: "Log review",
    Detection.THREAT_HUNT: "Threat hunting",
    Detection.THIRD_PARTY: "Notification by a third party",
    Detection.USER_REPORT: "Report by a user",
    Detection.OTHER: "Other",
}


def incident_link(incident_id: uuid.UUID) -> str:
    """The incident's page."""
    return f"/clearinghouse/incidents/{incident_id}"


def raise_problems(problems: Sequence[FieldProblem]) -> None:
    """Raise the problems noted, if any, naming the first.

    Raises:
        ValidationFailed: When ``problems`` is not empty.
    """
    if problems:
        raise ValidationFailed(problems[0].message, problems=problems)


def parse_tlp(value: str, problems: list[FieldProblem], field: str = "tlp") -> Tlp | None:
    """A TLP 2.0 label (``TLP:AMBER`` or ``amber``), or None with a problem noted."""
    try:
        return tlp_rules.parse(value)
    except ValueError:
        problems.append(FieldProblem(field, f"{field} must be one of: {', '.join(t.value for t in Tlp)}"))
        return None


@dataclass(frozen=True)
class IncidentReport:
    """A new incident's fields, checked (recipients are checked by the service, which knows who exists)."""

    title: str
    systems: str
    sectors: tuple[Sector, ...]
    started_at: datetime
    detected_at: datetime
    detection: Detection
    detection_details: str
    model_version_id: uuid.UUID | None
    model_text: str
    narrative: str
    indicators: tuple[Observable, ...]
    tlp: Tlp


def _text(value: str, field: str, limit: int, problems: list[FieldProblem], *, required: str | None = None) -> str:
    text = value.strip()
    if required and not text:
        problems.append(FieldProblem(field, required))
    elif len(text) > limit:
        problems.append(FieldProblem(field, f"{field} must have at most {limit} characters"))
    return text


def _sectors(values: Iterable[str], problems: list[FieldProblem]) -> tuple[Sector, ...]:
    out: list[Sector] = []
    for raw in values:
        try:
            sector = Sector(str(raw).strip().lower())
        except ValueError:
            problems.append(FieldProblem("sectors", f"{str(raw)[:40]!r} is not one of CISA's sixteen sectors"))
            continue
        if sector not in out:
            out.append(sector)
    return tuple(out)


def _indicators(rows: Sequence[tuple[str, str]], problems: list[FieldProblem]) -> tuple[Observable, ...]:
    if len(rows) > MAX_INDICATORS:
        problems.append(FieldProblem("indicators", f"at most {MAX_INDICATORS} indicators"))
        return ()
    out: list[Observable] = []
    for number, (kind, value) in enumerate(rows):
        if not kind.strip() and not value.strip():
            continue  # an empty row of the form
        try:
            observable = normalise(kind, value)
        except ValueError as exc:
            problems.append(FieldProblem(f"indicators[{number}]", f"indicator {number + 1}: {exc}"))
            continue
        if observable not in out:
            out.append(observable)
    return tuple(out)


def _model(version_id: uuid.UUID | str | None, text: str, problems: list[FieldProblem]) -> tuple[uuid.UUID | None, str]:
    parsed: uuid.UUID | None = None
    if isinstance(version_id, uuid.UUID):
        parsed = version_id
    elif version_id is not None and str(version_id).strip():
        try:
            parsed = uuid.UUID(str(version_id).strip())
        except ValueError:
            problems.append(FieldProblem("model_version_id", "model_version_id must be a registered model version's id"))
    clean = _text(text, "model_text", MAX_MODEL_TEXT, problems)
    if parsed is None and not clean and not any(p.field == "model_version_id" for p in problems):
        problems.append(
            FieldProblem(
                "model_text", "name the model or agent involved (a registered version, or in words; 'unknown' is an answer)"
            )
        )
    return parsed, clean


def check_report(
    *,
    title: str,
    systems: str,
    sectors: Iterable[str],
    started_at: datetime | None,
    detected_at: datetime | None,
    detection: str,
    detection_details: str,
    model_version_id: uuid.UUID | str | None,
    model_text: str,
    narrative: str,
    indicators: Sequence[tuple[str, str]],
    tlp: str,
    now: datetime,
) -> IncidentReport:
    """Check every field of a new incident at once.

    Detection comes at or after the start, and neither lies in the future.

    Raises:
        ValidationFailed: Naming every bad field (``indicators[N]`` for the N-th indicator, from 0).
    """
    problems: list[FieldProblem] = []
    clean_title = " ".join(title.split())
    if not 3 <= len(clean_title) <= MAX_TITLE:
        problems.append(FieldProblem("title", f"title must have 3 to {MAX_TITLE} characters"))
    clean_systems = _text(systems, "systems", MAX_SYSTEMS, problems, required="say which systems were targeted")
    parsed_sectors = _sectors(sectors, problems)
    if started_at is None:
        problems.append(FieldProblem("started_at", "say when the intrusion started (a date and time)"))
    elif started_at > now:
        problems.append(FieldProblem("started_at", "the start cannot be in the future"))
    if detected_at is None:
        problems.append(FieldProblem("detected_at", "say when it was detected (a date and time)"))
    elif detected_at > now:
        problems.append(FieldProblem("detected_at", "the detection cannot be in the future"))
    elif started_at is not None and detected_at < started_at:
        problems.append(FieldProblem("detected_at", "an intrusion is detected at or after it started"))
    parsed_detection: Detection | None = None
    try:
        parsed_detection = Detection(detection.strip().lower())
    except ValueError:
        problems.append(FieldProblem("detection", f"detection must be one of: {', '.join(d.value for d in Detection)}"))
    details = _text(detection_details, "detection_details", MAX_DETAILS, problems)
    version, model_words = _model(model_version_id, model_text, problems)
    text = _text(narrative, "narrative", MAX_NARRATIVE, problems, required="describe what happened")
    observed = _indicators(indicators, problems)
    label = parse_tlp(tlp, problems)
    raise_problems(problems)
    assert started_at is not None and detected_at is not None  # noqa: PT018 - both checked above
    assert parsed_detection is not None and label is not None  # noqa: PT018 - both checked above
    return IncidentReport(
        title=clean_title,
        systems=clean_systems,
        sectors=parsed_sectors,
        started_at=started_at,
        detected_at=detected_at,
        detection=parsed_detection,
        detection_details=details,
        model_version_id=version,
        model_text=model_words,
        narrative=text,
        indicators=observed,
        tlp=label,
    )


def recipients_problem(label: Tlp, people: int) -> FieldProblem | None:
    """TLP:RED names at least one person besides the reporter (otherwise only the reporter would see it)."""
    if label is Tlp.RED and people == 0:
        return FieldProblem("recipient_people", "a TLP:RED incident names at least one recipient person")
    return None
