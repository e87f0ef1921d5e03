"""API models for the registry."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from frontier_review.registry.domain import VersionStatus
from frontier_review.registry.service import FactView, ModelView, VersionView


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelIn(_In):
    name: StrictStr = Field(min_length=2, max_length=200, description="Model family name, unique within your organization.")
    description: StrictStr = Field(default="", max_length=5000)


class VersionIn(_In):
    label: StrictStr = Field(min_length=2, max_length=100, description="Release-candidate label, e.g. `2.0-rc1`.")


class FactIn(_In):
    name: StrictStr = Field(description="A fact from the catalogue (see docs/registry.md).")
    value: Any = Field(description="Typed value: a JSON number for numbers (never a string), true/false, a list, or ISO 8601.")
    unit: StrictStr | None = Field(default=None, description="The catalogue's unit, when it has one (e.g. `FLOP`).")


class FactsIn(_In):
    facts: list[FactIn] = Field(min_length=1, max_length=20)
    source_document: StrictStr = Field(default="", max_length=2000, description="Where the figures come from.")


class StatusIn(_In):
    status: VersionStatus = Field(description="`released` or `withdrawn`; nothing can block it (R2).")


class FactOut(BaseModel):
    id: uuid.UUID
    name: str
    value: Any
    unit: str | None
    source_document: str
    declared_by: str
    declared_at: datetime

    @classmethod
    def of(cls, f: FactView) -> FactOut:
        return cls(**vars(f))


class VersionOut(BaseModel):
    id: uuid.UUID
    model_id: uuid.UUID
    model_name: str
    organization_id: uuid.UUID
    organization_name: str
    label: str
    status: VersionStatus
    created_at: datetime
    released_at: datetime | None
    withdrawn_at: datetime | None
    facts: list[FactOut]

    @classmethod
    def of(cls, v: VersionView) -> VersionOut:
        data = {k: getattr(v, k) for k in cls.model_fields if k != "facts"}
        return cls(**data, facts=[FactOut.of(f) for f in v.facts])


class ModelOut(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    name: str
    description: str
    created_at: datetime
    versions: list[VersionOut]

    @classmethod
    def of(cls, m: ModelView) -> ModelOut:
        data = {k: getattr(m, k) for k in cls.model_fields if k != "versions"}
        return cls(**data, versions=[VersionOut.of(v) for v in m.versions])
