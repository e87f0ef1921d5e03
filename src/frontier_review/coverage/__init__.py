"""Covered-frontier-model determination: policies as code, evaluation, inquiries, determinations."""
