"""Frontier Review: the platform that runs the voluntary prerelease review framework."""

__version__ = "0.1.0"
