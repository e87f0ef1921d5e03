"""Storage: engine, sessions, the declarative base and portable column types."""
