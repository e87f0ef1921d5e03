"""API models for the registry."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from frontier_review.registry.domain import VersionStatus
from frontier_review.registry.service import FactView, ModelView, VersionView


class _In(BaseModel):
    """Inputs refuse unknown fields."""

    model_config = ConfigDict(extra="forbid")


class ModelIn(_In):
    """A new model."""

    name: StrictStr = Field(min_length=2, max_length=200, description="Model family name, unique within your organization.")
    description: StrictStr = Field(default="", max_length=5000, description="What the model is, in a few sentences.")


class VersionIn(_In):
    """A new release candidate."""

    label: StrictStr = Field(min_length=2, max_length=100, description="Release-candidate label, e.g. `2.0-rc1`.")


class FactIn(_In):
    """One fact to declare."""

    name: StrictStr = Field(description="A fact from the catalogue, such as `training_compute_flop` or `parameter_count`.")
    value: Any = Field(description="Typed value: a JSON number for numbers (never a string), true/false, a list, or ISO 8601.")
    unit: StrictStr | None = Field(default=None, description="The catalogue's unit, when it has one (e.g. `FLOP`).")


class FactsIn(_In):
    """Facts to declare together, with their source."""

    facts: list[FactIn] = Field(min_length=1, max_length=20, description="One to twenty facts, each named once.")
    source_document: StrictStr = Field(default="", max_length=2000, description="Where the figures come from.")


class StatusIn(_In):
    """The status to move a version to."""

    status: VersionStatus = Field(description="`released` or `withdrawn`; no approval is needed and nothing can block it.")


class FactOut(BaseModel):
    """A fact's current declaration, with its provenance."""

    id: uuid.UUID = Field(description="The declaration's id (determinations cite it).")
    name: str = Field(description="The fact's name in the catalogue.")
    value: Any = Field(description="The declared value, typed as the catalogue says.")
    unit: str | None = Field(description="The catalogue's unit, or null.")
    source_document: str = Field(description="Where the figure comes from, as declared.")
    declared_by: str = Field(description="Who declared it (an e-mail address).")
    declared_at: datetime = Field(description="When it was declared.")

    @classmethod
    def of(cls, f: FactView) -> FactOut:
        return cls(**vars(f))


class VersionOut(BaseModel):
    """A release candidate of a model, with its current facts."""

    id: uuid.UUID = Field(description="The version's id.")
    model_id: uuid.UUID = Field(description="Its model.")
    model_name: str = Field(description="That model's name.")
    organization_id: uuid.UUID = Field(description="The developer organization that owns it.")
    organization_name: str = Field(description="That organization's name.")
    label: str = Field(description="The release-candidate label, unique within the model.")
    status: VersionStatus = Field(description="`prerelease`, then `released` or `withdrawn` (both final).")
    created_at: datetime = Field(description="When the version was added.")
    released_at: datetime | None = Field(description="When it was released; null otherwise.")
    withdrawn_at: datetime | None = Field(description="When it was withdrawn; null otherwise.")
    facts: list[FactOut] = Field(description="Current declarations, by fact name (superseded ones are left out).")

    @classmethod
    def of(cls, v: VersionView) -> VersionOut:
        data = {k: getattr(v, k) for k in cls.model_fields if k != "facts"}
        return cls(**data, facts=[FactOut.of(f) for f in v.facts])


class ModelOut(BaseModel):
    """A model family with its versions."""

    id: uuid.UUID = Field(description="The model's id.")
    organization_id: uuid.UUID = Field(description="The developer organization that owns it.")
    organization_name: str = Field(description="That organization's name.")
    name: str = Field(description="Model family name.")
    description: str = Field(description="What the model is, as its developer wrote.")
    created_at: datetime = Field(description="When it was registered.")
    versions: list[VersionOut] = Field(description="Its versions, oldest first.")

    @classmethod
    def of(cls, m: ModelView) -> ModelOut:
        data = {k: getattr(m, k) for k in cls.model_fields if k != "versions"}
        return cls(**data, versions=[VersionOut.of(v) for v in m.versions])
