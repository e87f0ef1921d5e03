"""Shared kernel: ids, clock, errors, permissions, principals and decisions."""
