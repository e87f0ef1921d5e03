"""Prerelease review engagements (DESIGN §3.4)."""
