"""How wide a page lays out, measured once its stylesheet applies.

A link click resolves when the new URL commits, before the stylesheet has loaded; measuring
then sees the unstyled page (a bare table is wider than a phone). Waiting for the ``load``
event first makes the figure the one a person sees.
"""

from __future__ import annotations

from playwright.sync_api import Page


def page_width(page: Page) -> int:
    """The document's scroll width, in CSS pixels, after the page has loaded."""
    page.wait_for_load_state("load")
    return int(page.evaluate("document.documentElement.scrollWidth"))
