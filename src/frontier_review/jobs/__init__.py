"""Background jobs on huey: SQLite storage by default, Redis when ``FR_REDIS_URL`` is set."""
