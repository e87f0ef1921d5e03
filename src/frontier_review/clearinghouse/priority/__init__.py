"""Remediation priority: the documented formula (``domain.compute``) and the CISA KEV catalogue."""

from frontier_review.clearinghouse.priority.domain import Factor, Priority, PriorityInputs, compute

__all__ = ["Factor", "Priority", "PriorityInputs", "compute"]
