"""Vulnerability reports under TLP 2.0: submission, triage, validation, priority, dissemination (issue 14)."""
