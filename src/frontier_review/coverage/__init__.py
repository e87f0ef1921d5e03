"""Covered-frontier-model determination: policies as code, evaluation, inquiries, determinations.

What other areas may use (import the submodule; this package imports nothing at import time):

- ``results``: benchmarks and results; system reads of benchmark metadata as ``BenchmarkView``
  (``find_benchmark``, ``get_benchmark``, ``get_benchmark_by_id``, ``list_benchmarks_by_id``, …);
- ``policies``: published coverage policies (``PolicyView``, ``publish_policy``, ``get_policy``, …);
- ``determinations``: determinations and reassessment (``DeterminationView``, ``record_determination``, …);
- ``inquiries``: a developer's coverage questions (``InquiryView``, ``file_inquiry``, …);
- ``criteria``: the pure policy evaluator (``Policy``, ``Evidence``, ``evaluate``);
- ``policy_file``: parsing policy files (``parse_policy``, ``PolicyInvalid``);
- ``policy``: ``Sensitivity``, the resource other areas' benchmark rules are decided on;
- ``tags``: ``CoverageTag``, the actions coverage records;
- ``summary``: the inquiries pending for the home page (``pending_inquiries``);
- ``browse``: the inquiry and policy tables' pages, benchmarks for other areas' tables
  (``benchmark_ids_by_name``, ``benchmark_ids_matching``) and names of audit targets.

``orm``, ``api``, ``web``, ``version_page`` and ``schemas`` are for the composition root and the area itself.
"""

__all__ = ["browse", "criteria", "determinations", "inquiries", "policies", "policy", "policy_file", "results", "summary", "tags"]
