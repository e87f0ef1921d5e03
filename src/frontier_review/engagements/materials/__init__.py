"""Confidential materials: artifacts and finding evidence, on one sealed-file store."""

__all__ = ["domain", "evidence", "orm", "policy", "service", "store"]
