"""Engagement artifacts through the service, on SQLite and PostgreSQL: sealed in chunks, downloaded
only by admitted participants (G1), every download recorded (G5), purged when retention ends."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
import uuid
from collections.abc import Iterable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontier_review import engagements as service
from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.config import Settings
from frontier_review.engagements.access.orm import AccessLog
from frontier_review.engagements.access.recorder import chain_pending, in_flight_grace
from frontier_review.engagements.lifecycle.domain import Materials, Protections, Quotas
from frontier_review.engagements.materials import domain as materials_domain
from frontier_review.engagements.materials import service as artifacts
from frontier_review.engagements.materials.domain import ArtifactKind
from frontier_review.engagements.materials.orm import Artifact, SealedChunk
from frontier_review.engagements.materials.service import ArtifactView
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.clock import FrozenClock
from frontier_review.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from frontier_review.notifications.orm import Notification
from frontier_review.registry import service as registry_service
from frontier_review.registry.domain import VersionStatus
from frontier_review.security.orm import DataKey
from tests.factories.engagements import CONFIDENTIALITY, Setup, make_engagement
from tests.factories.identity import Person, make_org, make_user

MiB = 1024 * 1024
LIMIT = 6 * MiB
MARKER = b"TRADE-SECRET-SYSTEM-CARD-0042 "


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A small upload limit so the refusal is cheap to reach."""
    return settings.model_copy(update={"artifact_max_bytes": LIMIT})


def payload(size: int) -> bytes:
    return (MARKER * (size // len(MARKER) + 1))[:size]


def pieces(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def upload(
    container: Container,
    setup: Setup,
    data: bytes | Iterable[bytes],
    *,
    kind: str = "system_card",
    filename: str = "atlas-system-card.pdf",
    person: Person | None = None,
) -> ArtifactView:
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    with container.uow() as uow:
        return artifacts.upload(
            uow,
            (person or setup.developer).principal,
            setup.engagement.id,
            kind=kind,
            filename=filename,
            content_type="application/pdf",
            stream=stream,
        )


def download(container: Container, person: Person, setup: Setup, artifact_id: uuid.UUID) -> tuple[bytes, str]:
    """Like the web adapter: the unit of work commits the access record, then the body streams."""
    with container.uow() as uow:
        got = artifacts.download_artifact(uow, person.principal, setup.engagement.id, artifact_id)
    return b"".join(got.chunks), got.fingerprint


def refused(container: Container, person: Person, setup: Setup, artifact_id: uuid.UUID) -> str:
    with container.uow() as uow, pytest.raises(PermissionDenied) as exc:
        artifacts.download_artifact(uow, person.principal, setup.engagement.id, artifact_id)
    return exc.value.reason


def count(container: Container, stmt: sa.Select[int]) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(stmt) or 0)


def test_round_trip_is_sealed_in_chunks(container: Container) -> None:
    setup = make_engagement(container)
    data = payload(2 * MiB + 123)
    with container.uow() as uow:
        view = artifacts.upload(
            uow,
            setup.developer.principal,
            setup.engagement.id,
            kind=ArtifactKind.SYSTEM_CARD,
            filename="../../etc/\x00Atlas system card.pdf",
            content_type="Application/PDF; charset=binary",
            stream=io.BytesIO(data),
        )
    assert (view.filename, view.content_type, view.size, view.chunks) == (
        "Atlas system card.pdf",
        "application/pdf",
        len(data),
        3,
    )
    assert view.sha256 == hashlib.sha256(data).hexdigest()
    assert view.uploaded_by == setup.developer.email
    with container.uow() as uow:
        stored = list(uow.session.scalars(sa.select(SealedChunk).where(SealedChunk.owner_id == view.id)))
    assert sorted(c.seq for c in stored) == [0, 1, 2]
    assert all(MARKER.strip() not in c.data and b"Atlas" not in c.data for c in stored)
    body, _ = download(container, setup.reviewer, setup, view.id)
    assert body == data


def lazily(size: int) -> Iterator[bytes]:
    """A file arriving in odd-sized pieces, never held whole."""
    block = payload(333 * 1024)
    sent = 0
    while sent < size:
        piece = block[: size - sent]
        sent += len(piece)
        yield piece


def measured(container: Container, setup: Setup, size: int) -> tuple[ArtifactView, list[int], int, int]:
    """Upload and download ``size`` bytes; the chunk sizes read and the peak memory of each side."""
    tracemalloc.start()
    try:
        view = upload(container, setup, lazily(size), kind="other")
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with container.uow() as uow:
            got = artifacts.download_artifact(uow, setup.reviewer.principal, setup.engagement.id, view.id)
        sizes = []
        digest = hashlib.sha256()
        for chunk in got.chunks:
            sizes.append(len(chunk))
            digest.update(chunk)
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest.hexdigest() == view.sha256
    return view, sizes, upload_peak, download_peak


def test_a_large_upload_streams_in_one_mib_chunks_with_flat_memory(container: Container) -> None:
    setup = make_engagement(container)
    _, _, small_up, small_down = measured(container, setup, 2 * MiB + 1)
    view, sizes, large_up, large_down = measured(container, setup, 5 * MiB + 1)
    assert (view.size, view.chunks) == (5 * MiB + 1, 6)
    assert sizes == [MiB] * 5 + [1]
    assert count(container, sa.select(sa.func.count()).where(SealedChunk.owner_id == view.id)) == 6
    # 2.5 times the file, not 2.5 times the memory: a few chunks' worth either way.
    assert large_up < small_up + MiB, (small_up, large_up)
    assert large_down < small_down + MiB, (small_down, large_down)


def test_the_size_limit_refuses_and_leaves_nothing_written(container: Container) -> None:
    setup = make_engagement(container)
    with pytest.raises(ValidationFailed) as exc:
        upload(container, setup, pieces(payload(LIMIT + 1), 256 * 1024))
    assert exc.value.problems[0].field == "file"
    assert "6 MiB" in exc.value.message
    assert str(LIMIT) in exc.value.message
    assert count(container, sa.select(sa.func.count()).select_from(SealedChunk)) == 0
    assert count(container, sa.select(sa.func.count()).select_from(Artifact)) == 0
    assert count(container, sa.select(sa.func.count()).select_from(DataKey).where(DataKey.owner_table == "sealed_chunks")) == 0
    exactly = upload(container, setup, payload(LIMIT))
    assert exactly.size == LIMIT


def test_only_the_developer_uploads_what_the_terms_share(container: Container) -> None:
    setup = make_engagement(container)
    other_dev = make_user(container, make_org(container, OrgKind.DEVELOPER), role=Role.ADMIN)
    for outsider in (setup.reviewer, setup.agency_admin, setup.partner_admin, setup.program_office):
        with pytest.raises(PermissionDenied):
            upload(container, setup, b"x", person=outsider)
    with pytest.raises(NotFound):  # another developer may not even see the engagement
        upload(container, setup, b"x", person=other_dev)
    # The factory's terms share the system card but not evaluation results.
    for kind, filename, field in (
        ("evaluation_results", "evals.pdf", "kind"),
        ("weights", "model.safetensors", "kind"),
        ("other", "  ..  ", "filename"),
        ("other", "a/b/", "filename"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            upload(container, setup, b"x", kind=kind, filename=filename)
        assert exc.value.problems[0].field == field, (kind, filename)
    with pytest.raises(ValidationFailed) as empty:
        upload(container, setup, b"", kind="other")
    assert empty.value.problems[0].field == "file"
    with container.uow() as uow, pytest.raises(ValidationFailed) as bad_type:
        artifacts.upload(
            uow,
            setup.developer.principal,
            setup.engagement.id,
            kind="other",
            filename="notes.txt",
            content_type="text/plain\r\nX-Injected: 1",
            stream=[b"x"],
        )
    assert bad_type.value.problems[0].field == "content_type"
    long_name = "r" * 300 + ".pdf"
    guide = upload(container, setup, b"usage guide", kind="other", filename=long_name)
    assert len(guide.filename) == 200
    assert guide.filename.endswith("r.pdf")
    with container.uow() as uow:
        notified = uow.session.scalars(sa.select(Notification.kind).where(Notification.user_id == setup.reviewer.user.id))
        assert "artifact_shared" in set(notified)


def test_participants_program_office_and_developer_list_artifacts(container: Container) -> None:
    setup = make_engagement(container)
    view = upload(container, setup, b"card")
    for person in (setup.developer, setup.program_office, setup.reviewer, setup.partner_reviewer):
        with container.uow() as uow:
            assert [a.id for a in artifacts.list_artifacts(uow, person.principal, setup.engagement.id)] == [view.id]
    stranger = make_user(container, make_org(container, OrgKind.AGENCY))
    # For a stranger the engagement does not exist (the refusal is audited all the same).
    with container.uow() as uow, pytest.raises(NotFound):
        artifacts.list_artifacts(uow, stranger.principal, setup.engagement.id)
    with container.uow() as uow, pytest.raises(NotFound):
        artifacts.download_artifact(uow, stranger.principal, setup.engagement.id, view.id)


def test_downloads_only_inside_the_window_to_the_second(container: Container, clock: FrozenClock) -> None:
    start = clock.now() + timedelta(days=1)
    setup = make_engagement(container, start=start, days=10)
    view = upload(container, setup, b"card")
    assert "the window opens at" in refused(container, setup.reviewer, setup, view.id)
    with container.uow() as uow:
        assert artifacts.find_download_refusal(uow, setup.reviewer.principal, setup.engagement.id) is not None
    clock.set(start)
    assert download(container, setup.reviewer, setup, view.id)[0] == b"card"
    with container.uow() as uow:
        assert artifacts.find_download_refusal(uow, setup.reviewer.principal, setup.engagement.id) is None
    for not_a_participant in (setup.developer, setup.program_office):
        with container.uow() as uow, pytest.raises(PermissionDenied):
            artifacts.download_artifact(uow, not_a_participant.principal, setup.engagement.id, view.id)
    clock.set(start + timedelta(days=10) - timedelta(seconds=1))
    assert download(container, setup.reviewer, setup, view.id)[0] == b"card"
    clock.set(start + timedelta(days=10))
    assert "the window ended" in refused(container, setup.reviewer, setup, view.id)


def test_downloads_wait_for_terms_acceptance(container: Container) -> None:
    setup = make_engagement(container, accept=False)
    view = upload(container, setup, b"card")
    assert "has not accepted version 1" in refused(container, setup.reviewer, setup, view.id)
    with container.uow() as uow:
        service.accept_terms(uow, setup.agency_admin.principal, setup.engagement.id, terms_number=1)
    assert download(container, setup.reviewer, setup, view.id)[0] == b"card"


def test_downloads_stop_after_revocation(container: Container) -> None:
    setup = make_engagement(container)
    view = upload(container, setup, b"card")
    with container.uow() as uow:
        service.revoke_user(uow, setup.developer.principal, setup.engagement.id, setup.reviewer.user.id)
    with container.uow() as uow, pytest.raises(NotFound):  # revoked: the engagement is gone for this person
        artifacts.download_artifact(uow, setup.reviewer.principal, setup.engagement.id, view.id)
    assert download(container, setup.agency_admin, setup, view.id)[0] == b"card"
    agency = next(p for p in setup.engagement.participants if p.organization_id == setup.agency.id)
    with container.uow() as uow:
        service.revoke_participant(uow, setup.developer.principal, setup.engagement.id, agency.id)
    with container.uow() as uow, pytest.raises(NotFound):  # a revoked participant no longer sees the engagement
        artifacts.download_artifact(uow, setup.agency_admin.principal, setup.engagement.id, view.id)
    assert download(container, setup.partner_reviewer, setup, view.id)[0] == b"card"


def test_release_ends_downloads_at_once(container: Container) -> None:
    setup = make_engagement(container)
    view = upload(container, setup, b"card")
    with container.uow() as uow:
        registry_service.set_status(uow, setup.developer.principal, setup.engagement.version_id, status=VersionStatus.RELEASED)
    assert "released the model version" in refused(container, setup.reviewer, setup, view.id)
    with container.uow() as uow, pytest.raises(ValidationFailed):
        artifacts.upload(
            uow,
            setup.developer.principal,
            setup.engagement.id,
            kind="other",
            filename="late.pdf",
            content_type=None,
            stream=[b"x"],
        )


def test_partners_wait_for_their_cohort(container: Container, clock: FrozenClock) -> None:
    setup = make_engagement(container, partners_after=timedelta(days=2))
    view = upload(container, setup, b"card")
    assert "trusted partners' access opens at" in refused(container, setup.partner_reviewer, setup, view.id)
    assert download(container, setup.reviewer, setup, view.id)[0] == b"card"
    clock.advance(timedelta(days=2))
    assert download(container, setup.partner_reviewer, setup, view.id)[0] == b"card"


def test_every_download_is_recorded_with_a_per_recipient_fingerprint(container: Container) -> None:
    setup = make_engagement(container)
    view = upload(container, setup, b"card")
    marks = [
        download(container, setup.reviewer, setup, view.id)[1],
        download(container, setup.reviewer, setup, view.id)[1],
        download(container, setup.partner_reviewer, setup, view.id)[1],
    ]
    assert len(set(marks)) == 3
    refused_before = count(container, sa.select(sa.func.count()).select_from(AccessLog))
    with container.uow() as uow:
        service.revoke_user(uow, setup.developer.principal, setup.engagement.id, setup.reviewer.user.id)
    with container.uow() as uow, pytest.raises(NotFound):
        artifacts.download_artifact(uow, setup.reviewer.principal, setup.engagement.id, view.id)
    assert count(container, sa.select(sa.func.count()).select_from(AccessLog)) == refused_before
    with container.uow() as uow:
        rows = list(uow.session.scalars(sa.select(AccessLog).where(AccessLog.kind == "artifact_download").order_by(AccessLog.id)))
        denied = list(
            uow.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == "engagements:artifact:download", AuditEntry.outcome == "denied")
            )
        )
    assert [r.detail["fingerprint"] for r in rows] == marks
    assert [r.user_id for r in rows] == [setup.reviewer.user.id, setup.reviewer.user.id, setup.partner_reviewer.user.id]
    for row in rows:
        assert row.detail["artifact"] == str(view.id)
        assert row.detail["sha256"] == view.sha256
        assert row.detail["filename"] == view.filename
        assert row.participant_id is not None
        assert row.user_id is not None
        assert row.detail["fingerprint"] == materials_domain.fingerprint(view.sha256, row.user_id, row.ref)
    assert len(denied) == 1
    assert "revoked" in (denied[0].reason or "")
    # The background chainer turns each row into an audit entry (G5).
    assert chain_pending(container.uow, grace=in_flight_grace(container.settings)) == 3
    with container.uow() as uow:
        entries = list(uow.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "engagements:artifact_download")))
    assert sorted(e.details["fingerprint"] for e in entries) == sorted(marks)


def short_retention(container: Container, setup: Setup, days: int) -> None:
    """New terms with a short materials retention, accepted by both participants."""
    with container.uow() as uow:
        service.change_terms(
            uow,
            setup.developer.principal,
            setup.engagement.id,
            materials=Materials(api_access=True, system_card=True),
            protections=Protections(confidentiality_text=CONFIDENTIALITY, materials_retention_days=days),
            quotas=Quotas(),
        )
    with container.uow() as uow:
        service.accept_terms(uow, setup.agency_admin.principal, setup.engagement.id, terms_number=2)
        service.accept_terms(uow, setup.partner_admin.principal, setup.engagement.id, terms_number=2)


def test_purge_after_retention(container: Container, clock: FrozenClock) -> None:
    setup = make_engagement(container, days=10)
    short_retention(container, setup, days=1)
    start = clock.now()
    view = upload(container, setup, payload(MiB + 1))
    assert view.purge_after == start + timedelta(days=1)
    clock.advance(timedelta(hours=12))
    later = upload(container, setup, b"later", kind="other", filename="later.txt")
    clock.set(start + timedelta(days=1) - timedelta(seconds=1))
    with container.uow() as uow:
        assert artifacts.purge_expired(uow) == 0
    assert download(container, setup.reviewer, setup, view.id)[0] == payload(MiB + 1)
    clock.advance(timedelta(seconds=1))
    with container.uow() as uow, pytest.raises(NotFound):  # retention over, even before the job runs
        artifacts.download_artifact(uow, setup.reviewer.principal, setup.engagement.id, view.id)
    with container.uow() as uow:
        assert artifacts.purge_expired(uow) == 1
    with container.uow() as uow:
        assert artifacts.purge_expired(uow) == 0
    assert count(container, sa.select(sa.func.count()).where(SealedChunk.owner_id == view.id)) == 0
    # Crypto-shredding: the chunks' data keys are gone too; the later file's keys stay.
    keys = sa.select(sa.func.count()).where(DataKey.owner_id.startswith(f"{view.id}:"))
    assert count(container, keys) == 0
    assert count(container, sa.select(sa.func.count()).where(DataKey.owner_id.startswith(f"{later.id}:"))) == 1
    assert download(container, setup.reviewer, setup, later.id)[0] == b"later"
    with container.uow() as uow:
        listed = {a.id: a for a in artifacts.list_artifacts(uow, setup.reviewer.principal, setup.engagement.id)}
        purged = list(uow.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "engagements:artifact:purged")))
    assert listed[view.id].purged_at == clock.now()
    assert not listed[view.id].available(clock.now())
    assert listed[later.id].available(clock.now())
    assert [e.details["artifact"] for e in purged] == [str(view.id)]
    with container.uow() as uow, pytest.raises(NotFound):
        artifacts.download_artifact(uow, setup.reviewer.principal, setup.engagement.id, view.id)
    clock.advance(timedelta(hours=12))
    with container.uow() as uow:
        assert artifacts.purge_expired(uow) == 1
