"""Models and their versions (release candidates), with declared facts and provenance."""
