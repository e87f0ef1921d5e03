"""Registry, policies, determinations and inquiries through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.coverage import determinations, inquiries, policies, results
from frontier_review.coverage.criteria import Outcome
from frontier_review.coverage.inquiries import InquiryStatus
from frontier_review.coverage.orm import PublishedPolicy
from frontier_review.coverage.policy_file import PolicyInvalid
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.clock import FrozenClock
from frontier_review.kernel.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from frontier_review.notifications import service as notifications
from frontier_review.registry import service as registry
from frontier_review.registry.domain import VersionStatus
from frontier_review.registry.service import FactInput
from tests.factories.coverage import REFERENCE, make_version, publish_reference, register_sample_benchmark
from tests.factories.identity import Person, make_org, make_user


@pytest.fixture
def people(container: Container) -> dict[str, Person]:
    po = make_org(container, OrgKind.PROGRAM_OFFICE, name="Program Office")
    dev = make_org(container, OrgKind.DEVELOPER, name="Northwind AI")
    other = make_org(container, OrgKind.DEVELOPER, name="Helix Labs")
    return {
        "po_cleared": make_user(container, po, role=Role.ADMIN, cleared=True),
        "po_uncleared": make_user(container, po),
        "dev": make_user(container, dev, role=Role.ADMIN),
        "other_dev": make_user(container, other, role=Role.ADMIN),
    }


def test_facts_are_validated_and_superseded_with_provenance(
    container: Container, people: dict[str, Person], clock: FrozenClock
) -> None:
    dev = people["dev"]
    version = make_version(container, dev, training_compute_flop=3e25)
    with container.uow() as uow, pytest.raises(ValidationFailed) as bad:
        registry.declare_facts(
            uow, dev.principal, version.id, facts=[FactInput("parameter_count", 7e9), FactInput("training_compute_flop", "1e26")]
        )
    assert bad.value.problems[0].field == "facts[1].value"
    for facts, field in (
        ([FactInput("compute", 1.0)], "facts[0].name"),
        ([FactInput("training_compute_flop", -1.0)], "facts[0].value"),
        ([FactInput("training_compute_flop", 1e26, unit="PFLOP")], "facts[0].unit"),
        ([FactInput("planned_release_at", "2026-09-01T00:00:00")], "facts[0].value"),
    ):
        with container.uow() as uow, pytest.raises(ValidationFailed) as exc:
            registry.declare_facts(uow, dev.principal, version.id, facts=facts)
        assert exc.value.problems[0].field == field
    clock.advance(timedelta(hours=1))
    with container.uow() as uow:
        updated = registry.declare_facts(
            uow,
            dev.principal,
            version.id,
            facts=[FactInput("training_compute_flop", 2e26, "FLOP")],
            source_document="tech report v2",
        )
    (fact,) = updated.facts
    assert (fact.value, fact.unit, fact.source_document, fact.declared_by) == (2e26, "FLOP", "tech report v2", dev.email)


def test_only_the_owner_edits_and_release_always_succeeds(container: Container, people: dict[str, Person]) -> None:
    version = make_version(container, people["dev"])
    # The program office sees the version and is refused; another developer may not see it at all.
    for outsider, refusal in ((people["other_dev"], NotFound), (people["po_cleared"], PermissionDenied)):
        with container.uow() as uow, pytest.raises(refusal):
            registry.declare_facts(uow, outsider.principal, version.id, facts=[FactInput("parameter_count", 1)])
        with container.uow() as uow, pytest.raises(refusal):
            registry.set_status(uow, outsider.principal, version.id, status=VersionStatus.RELEASED)
        with container.uow() as uow:
            assert [m.name for m in registry.list_models(uow, people["other_dev"].principal)] == []
    with container.uow() as uow:
        released = registry.set_status(uow, people["dev"].principal, version.id, status=VersionStatus.RELEASED)
    assert released.status is VersionStatus.RELEASED
    assert released.released_at is not None
    with container.uow() as uow, pytest.raises(InvalidTransition):
        registry.set_status(uow, people["dev"].principal, version.id, status=VersionStatus.WITHDRAWN)


def test_publishing_is_immutable_and_classified_content_is_sealed(container: Container, people: dict[str, Person]) -> None:
    admin = people["po_cleared"]
    register_sample_benchmark(container, admin)
    first = publish_reference(container, admin, "eo14110-4.2b-i.toml")
    source = (REFERENCE / "eo14110-4.2b-i.toml").read_text()
    with container.uow() as uow:
        same, created = policies.publish_policy(uow, admin.principal, source)
    assert same.id == first.id
    assert not created
    with container.uow() as uow, pytest.raises(Conflict):
        policies.publish_policy(uow, admin.principal, source.replace("value = 1e26", "value = 2e26"))
    with container.uow() as uow, pytest.raises(PolicyInvalid):
        policies.publish_policy(
            uow,
            admin.principal,
            source.replace('fact = "training_compute_flop", op = ">", value = 1e23', 'fact = "flops", op = ">", value = 1e23'),
        )
    secret = publish_reference(container, admin, "example-classified-cyber.toml")
    assert secret.content is not None  # the cleared publisher sees it
    with container.sessions() as session:
        row = session.scalars(sa.select(PublishedPolicy).where(PublishedPolicy.classified.is_(True))).one()
        assert row.content is None
        assert row.source is None
        assert row.content_sealed is not None
        assert b"0.6" not in row.content_sealed
    with container.uow() as uow:
        hidden = policies.get_policy(uow, people["po_uncleared"].principal, secret.ref)
        shown_to_dev = policies.get_policy(uow, people["dev"].principal, secret.ref)
    assert hidden.content is None
    assert shown_to_dev.content is None
    assert shown_to_dev.criterion_names == secret.criterion_names
    with container.uow() as uow, pytest.raises(PermissionDenied):
        policies.publish_policy(uow, people["po_uncleared"].principal, source.replace('version = "1"', 'version = "2"'))


def test_determination_is_reproducible_and_superseded(
    container: Container, people: dict[str, Person], clock: FrozenClock
) -> None:
    admin, dev = people["po_cleared"], people["dev"]
    publish_reference(container, admin, "eu-ai-act-art51-2.toml")
    version = make_version(container, dev, training_compute_flop=3e25)
    with container.uow() as uow:
        first = determinations.record_determination(uow, admin.principal, version.id, policy_ref="eu-ai-act-art51-2@1")
    assert first.outcome is Outcome.COVERED
    assert first.met_criteria == ("Cumulative training compute above 1e25 FLOP",)
    clock.advance(timedelta(days=1))
    with container.uow() as uow:
        registry.declare_facts(uow, dev.principal, version.id, facts=[FactInput("training_compute_flop", 5e24)])
        check = determinations.recheck(uow, admin.principal, version.id, policy_ref="eu-ai-act-art51-2@1")
    assert check.reproducible  # the stored evidence still gives the stored outcome (C1)
    assert check.on_current_evidence is Outcome.NOT_COVERED
    with container.uow() as uow:
        second = determinations.record_determination(uow, admin.principal, version.id, policy_ref="eu-ai-act-art51-2@1")
        history = determinations.list_determinations_for_version(uow, dev.principal, version.id)
    assert second.supersedes_id == first.id
    assert [(d.outcome, d.superseded) for d in history] == [(Outcome.NOT_COVERED, False), (Outcome.COVERED, True)]


def test_classified_determination_shows_developers_only_outcome_and_names(
    container: Container, people: dict[str, Person]
) -> None:
    admin, dev = people["po_cleared"], people["dev"]
    register_sample_benchmark(container, admin)
    publish_reference(container, admin, "example-classified-cyber.toml")
    version = make_version(container, dev)
    with container.uow() as uow:
        results.record_result(
            uow,
            admin.principal,
            benchmark="cyber-offense-sample",
            benchmark_version="1",
            score=0.71,
            model_version_id=version.id,
            stderr=0.04,
            samples=60,
        )
        det = determinations.record_determination(uow, admin.principal, version.id, policy_ref="eo14409-covered-cyber-example@1")
    assert det.outcome is Outcome.COVERED
    assert det.trace is not None
    with container.uow() as uow:
        for_dev = determinations.get_determination(uow, dev.principal, det.id)
        for_uncleared = determinations.get_determination(uow, people["po_uncleared"].principal, det.id)
        dev_results = results.list_results_for_version(uow, dev.principal, version.id)
    for view in (for_dev, for_uncleared):
        assert view.outcome is Outcome.COVERED
        assert view.trace is None
        assert view.evidence is None
        assert "Offensive-cyber benchmark at or above the covered threshold" in view.met_criteria
    assert dev_results == []  # classified scores stay with cleared staff
    with container.uow() as uow, pytest.raises(NotFound):
        determinations.get_determination(uow, people["other_dev"].principal, det.id)
    with container.uow() as uow, pytest.raises(PermissionDenied):
        determinations.record_determination(
            uow, people["po_uncleared"].principal, version.id, policy_ref="eo14409-covered-cyber-example@1"
        )


def test_inquiry_workflow_notifies_and_audits_each_step(container: Container, people: dict[str, Person]) -> None:
    admin, dev = people["po_cleared"], people["dev"]
    publish_reference(container, admin, "ca-sb53-frontier-model.toml")
    version = make_version(container, dev, label="rc2")
    with container.uow() as uow:
        filed = inquiries.file_inquiry(uow, dev.principal, version.id, question="Is Atlas rc2 a covered frontier model?")
    with container.uow() as uow, pytest.raises(Conflict):
        inquiries.file_inquiry(uow, dev.principal, version.id, question="Again?")
    with container.uow() as uow:
        assert notifications.unread_count(uow, admin.principal) == 1
        inquiries.assign(uow, admin.principal, filed.id)
        asked = inquiries.request_information(uow, admin.principal, filed.id, message="Please declare total training compute.")
    assert asked.status is InquiryStatus.NEEDS_INFORMATION
    with container.uow() as uow:
        assert notifications.unread_count(uow, dev.principal) == 1
        registry.declare_facts(uow, dev.principal, version.id, facts=[FactInput("training_compute_flop", 4e26)])
        inquiries.respond(uow, dev.principal, filed.id, message="Declared: 4e26 FLOP including RL.")
        decided = inquiries.decide_inquiry(
            uow, admin.principal, filed.id, policy_ref="ca-sb53-frontier-model@1", rationale="Above the SB 53 threshold."
        )
    assert decided.status is InquiryStatus.DECIDED
    assert [e.kind for e in decided.events] == ["filed", "assigned", "information_requested", "responded", "decided"]
    with container.uow() as uow:
        mine = inquiries.list_inquiries(uow, dev.principal)
        theirs = inquiries.list_inquiries(uow, people["other_dev"].principal)
        answer = determinations.get_determination(uow, dev.principal, decided.determination_id)  # type: ignore[arg-type]
    assert [i.id for i in mine] == [filed.id]
    assert theirs == []
    assert answer.outcome is Outcome.COVERED
    with container.sessions() as session:
        actions = list(
            session.scalars(
                sa.select(AuditEntry.action).where(AuditEntry.action.startswith("coverage:inquiry")).order_by(AuditEntry.seq)
            )
        )
    assert actions == [
        "coverage:inquiry:filed",
        "coverage:inquiry:assigned",
        "coverage:inquiry:information_requested",
        "coverage:inquiry:responded",
        "coverage:inquiry:decided",
    ]
    with container.uow() as uow, pytest.raises(InvalidTransition):
        inquiries.withdraw(uow, dev.principal, filed.id)


def test_reassess_lists_versions_whose_outcome_changes(container: Container, people: dict[str, Person]) -> None:
    admin, dev = people["po_cleared"], people["dev"]
    publish_reference(container, admin, "eu-ai-act-art51-2.toml")
    stricter = (
        (REFERENCE / "eu-ai-act-art51-2.toml")
        .read_text()
        .replace('version = "1"', 'version = "2"')
        .replace("value = 1e25", "value = 5e25")
        .replace("2025-08-02", "2026-08-02")
    )
    with container.uow() as uow:
        policies.publish_policy(uow, admin.principal, stricter)
    make_version(container, dev, label="big", training_compute_flop=9e25)
    middle = make_version(container, dev, label="middle", training_compute_flop=2e25)
    make_version(container, dev, label="unknown")
    with container.uow() as uow:
        against, changes = determinations.reassess(uow, admin.principal, policy_ref="eu-ai-act-art51-2@2")
        diff = policies.diff_policies(uow, admin.principal, "eu-ai-act-art51-2@1", "eu-ai-act-art51-2@2")
    assert against == "eu-ai-act-art51-2@1"
    assert [(c.version_id, c.before, c.after) for c in changes] == [(middle.id, Outcome.COVERED, Outcome.NOT_COVERED)]
    assert any(line.startswith("-") and "1e+25" in line for line in diff)
    assert any(line.startswith("+") and "5e+25" in line for line in diff)


def test_relative_criteria_compare_only_results_from_the_same_scaffold(container: Container, people: dict[str, Person]) -> None:
    """A changed scaffold is never compared silently with an old one."""
    admin, dev = people["po_cleared"], people["dev"]
    register_sample_benchmark(container, admin)
    publish_reference(container, admin, "example-classified-cyber.toml")
    version = make_version(container, dev, label="rc7")
    with container.uow() as uow:
        results.record_result(
            uow,
            admin.principal,
            benchmark="cyber-offense-sample",
            benchmark_version="1",
            score=0.5,
            model_version_id=version.id,
            scaffold_version="mc/v2",
        )
        results.record_result(
            uow,
            admin.principal,
            benchmark="cyber-offense-sample",
            benchmark_version="1",
            score=0.3,
            reference_model="reference-frontier-2026",
            scaffold_version="mc/v1",
        )
        mismatched = determinations.record_determination(
            uow, admin.principal, version.id, policy_ref="eo14409-covered-cyber-example@1"
        )
    assert mismatched.outcome is Outcome.INSUFFICIENT_EVIDENCE  # 0.5 < 0.6, and the v1 reference is not comparable
    with container.uow() as uow:
        results.record_result(
            uow,
            admin.principal,
            benchmark="cyber-offense-sample",
            benchmark_version="1",
            score=0.3,
            reference_model="reference-frontier-2026",
            scaffold_version="mc/v2",
        )
        matched = determinations.record_determination(
            uow, admin.principal, version.id, policy_ref="eo14409-covered-cyber-example@1"
        )
    assert matched.outcome is Outcome.COVERED
