"""The ``frontier-review`` command line (Typer + Rich)."""
