"""Benchmark suites: sealed packages, runs on Inspect AI, results that feed coverage."""
