"""Organizations, users, sessions and API tokens."""
