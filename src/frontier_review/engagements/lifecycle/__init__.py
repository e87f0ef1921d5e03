"""Engagements, their terms, participants, windows, trusted partners, notices and closing.

The aggregate's core: every other sub-package of ``engagements`` builds on it. Other areas use
the names the ``engagements`` package re-exports; within the area, import the modules below.
"""

__all__ = [
    "closing",
    "designations",
    "domain",
    "notices",
    "orm",
    "participants",
    "partners",
    "policy",
    "service",
    "summary",
    "versions",
    "views",
]
