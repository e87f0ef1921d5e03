"""Factories for the registry and coverage: models, versions with facts, benchmarks, results."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from frontier_review.bootstrap import Container
from frontier_review.coverage import policies, results
from frontier_review.coverage.policies import PolicyView
from frontier_review.registry import service as registry
from frontier_review.registry.service import FactInput, VersionView
from tests.factories.identity import Person

REFERENCE = files("frontier_review.coverage") / "reference_policies"


def make_version(
    container: Container, developer: Person, *, model: str = "Atlas", label: str = "rc1", **facts: Any
) -> VersionView:
    """A model (created if needed) with a version declaring ``facts``."""
    with container.uow() as uow:
        existing = [m for m in registry.list_models(uow, developer.principal) if m.name == model]
        model_id = existing[0].id if existing else registry.register_model(uow, developer.principal, name=model).id
        version = registry.add_version(uow, developer.principal, model_id, label=label)
        if facts:
            version = registry.declare_facts(
                uow,
                developer.principal,
                version.id,
                facts=[FactInput(k, v) for k, v in facts.items()],
                source_document="model card §3",
            )
    return version


def publish_reference(container: Container, admin: Person, filename: str) -> PolicyView:
    with container.uow() as uow:
        view, _created = policies.publish_policy(uow, admin.principal, (REFERENCE / filename).read_text())
    return view


def register_sample_benchmark(container: Container, cleared_admin: Person) -> None:
    with container.uow() as uow:
        results.register_benchmark(
            uow,
            cleared_admin.principal,
            name="cyber-offense-sample",
            version="1",
            title="Sample offensive-cyber suite",
            domain="cyber-offense",
            classified=True,
        )
