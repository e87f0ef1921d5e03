"""Every area's audit tags: one form (``area:thing:verb``) and one owner per value."""

from __future__ import annotations

import re
from importlib import import_module

import pytest

from frontier_review.kernel.tags import AuditTag

# Every module that declares audit tags, with the area its tags are named after. Imported
# explicitly, so a tags module nobody else imports yet is still checked. An area may have several
# (the clearinghouse has one per slice).
TAG_MODULES = {
    "frontier_review.identity.tags": "identity",
    "frontier_review.registry.tags": "registry",
    "frontier_review.coverage.tags": "coverage",
    "frontier_review.evals.tags": "evals",
    "frontier_review.audit.tags": "audit",
    "frontier_review.security.tags": "security",
    "frontier_review.engagements.tags": "engagements",
    "frontier_review.clearinghouse.reports.tags": "clearinghouse",
    "frontier_review.clearinghouse.scans.tags": "clearinghouse",
    "frontier_review.clearinghouse.incidents.tags": "clearinghouse",
    "frontier_review.clearinghouse.subscriptions.tags": "clearinghouse",
    "frontier_review.clearinghouse.patches.tags": "clearinghouse",
}

# Values older than the rule: entries, tests and docs/security.md already carry them.
TWO_PART_LEGACY = {"identity:logout", "engagements:artifact_download", "gateway:call", "gateway:refusals"}

# The access log's gateway entries are written by engagements' access slice, under the gateway's name.
AREA_OF_CLASS = {"GatewayTag": "gateway"}

_PART = r"[a-z][a-z0-9_]*"
_FORM = re.compile(rf"{_PART}(?::{_PART}){{2,}}")


def _subclasses(cls: type[AuditTag]) -> list[type[AuditTag]]:
    found: list[type[AuditTag]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def _all_tags() -> list[tuple[type[AuditTag], AuditTag]]:
    for module in TAG_MODULES:
        import_module(module)
    return [(cls, tag) for cls in _subclasses(AuditTag) for tag in cls]


def test_every_area_declares_tags() -> None:
    _all_tags()
    areas = {cls.__module__ for cls in _subclasses(AuditTag)}
    assert set(TAG_MODULES) <= areas


def test_every_tag_has_the_form_area_thing_verb() -> None:
    wrong = [tag.value for _cls, tag in _all_tags() if tag.value not in TWO_PART_LEGACY and not _FORM.fullmatch(tag.value)]
    assert not wrong, f"audit tags must read 'area:thing:verb' (lowercase, colon-separated): {wrong}"


def test_every_tag_starts_with_its_areas_name() -> None:
    area_of = TAG_MODULES
    wrong = [
        (cls.__name__, tag.value)
        for cls, tag in _all_tags()
        if cls.__module__ in area_of and tag.value.split(":")[0] != AREA_OF_CLASS.get(cls.__name__, area_of[cls.__module__])
    ]
    assert not wrong, wrong


def test_no_two_tags_share_a_value() -> None:
    owners: dict[str, list[str]] = {}
    for cls, tag in _all_tags():
        owners.setdefault(tag.value, []).append(f"{cls.__name__}.{tag.name}")
    shared = {value: names for value, names in owners.items() if len(names) > 1}
    assert not shared, f"audit tag values claimed twice: {shared}"


def test_the_legacy_exemptions_still_exist() -> None:
    # An exemption that no tag uses any more would hide a future mistake.
    assert {tag.value for _cls, tag in _all_tags()} >= TWO_PART_LEGACY


def test_registry_maps_each_reachable_status() -> None:
    from frontier_review.registry.domain import VersionStatus
    from frontier_review.registry.tags import RegistryTag

    assert RegistryTag.for_status(VersionStatus.RELEASED) is RegistryTag.VERSION_RELEASED
    assert RegistryTag.for_status(VersionStatus.WITHDRAWN) is RegistryTag.VERSION_WITHDRAWN


def test_evals_maps_each_finish() -> None:
    from frontier_review.evals.domain import RunStatus
    from frontier_review.evals.tags import EvalsTag

    assert EvalsTag.for_finished_run(RunStatus.SUCCEEDED) == "evals:run:succeeded"
    assert EvalsTag.for_finished_run(RunStatus.FAILED) == "evals:run:failed"


def test_inquiry_event_kinds() -> None:
    from frontier_review.coverage.tags import CoverageTag

    assert CoverageTag.INQUIRY_INFORMATION_REQUESTED.inquiry_event_kind == "information_requested"
    with pytest.raises(ValueError, match="not an inquiry event"):
        _ = CoverageTag.POLICY_PUBLISHED.inquiry_event_kind
