"""Shared kernel: ids, clock, errors, permissions, principals, decisions and TLP 2.0 audiences."""
