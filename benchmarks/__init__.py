"""Performance measurements; each script prints its figures beside the baseline it names."""
