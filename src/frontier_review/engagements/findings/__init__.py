"""Findings: filing, the TLP 2.0 audience, relabelling, threads and evidence."""

__all__ = ["domain", "notify", "orm", "policy", "service", "summary", "views"]
