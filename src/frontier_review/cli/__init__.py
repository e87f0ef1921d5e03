"""The ``frontier-review`` command line (click)."""
