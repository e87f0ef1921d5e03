"""Invitation links: absolute only from the configured public address, never from the request."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from frontier_review.config import load_settings
from frontier_review.identity.invitations import invitation_link


def test_the_link_is_a_path_unless_the_public_address_is_configured() -> None:
    assert invitation_link("tok") == "/invitations/tok"
    assert invitation_link("tok", "https://review.example.gov/") == "https://review.example.gov/invitations/tok"
    assert invitation_link("tok", "https://example.gov/review") == "https://example.gov/review/invitations/tok"


@pytest.mark.parametrize("value", ["review.example.gov", "javascript:alert(1)", "https://", "https://a b", "https://x?y=1"])
def test_a_public_address_that_is_not_a_plain_http_url_is_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        load_settings(public_url=value)
