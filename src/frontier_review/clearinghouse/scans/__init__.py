"""Scan deconfliction (issue 14 item 6): planned scans, their overlaps, objections.

What other areas may use (import the submodule):

- ``service``: the use cases (``register_scan``, ``change_scan``, ``cancel_scan``, ``object_to_scan``,
  ``withdraw_objection``, ``resolve_overlap``, ``get_scan``, ``list_overlaps``) and their views;
- ``browse``: the scans table's page (``page_scans``), the calendar and audit-target names;
- ``domain``: CIDR and domain parsing, windows and the overlap rule;
- ``summary``: counts for a home page (``attention``);
- ``tags``: ``ClearinghouseScanTag``.

``orm``, ``policy``, ``api``, ``web`` and ``schemas`` are for the composition root and the slice itself.
"""

__all__ = ["browse", "domain", "service", "summary", "tags"]
