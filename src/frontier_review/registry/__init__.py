"""Models and their versions (release candidates), with declared facts and provenance.

What other areas may use (import the submodule; this package imports nothing at import time):

- ``service``: use cases and views (``ModelView``, ``VersionView``, ``FactView``), and system
  reads returning ``VersionRef`` (``get_version_ref``, ``list_version_refs``, ``list_current_facts``, …);
- ``domain``: ``VersionStatus``, ``next_status``, ``ModelRef``;
- ``events``: ``VersionStatusChanged``, published when a version is released or withdrawn;
- ``facts``: the fact catalogue (``CATALOGUE``, ``FactSpec``, ``normalise_value``, …);
- ``tags``: ``RegistryTag``, the actions the registry records;
- ``summary``: versions by id in one query, for summary pages (``version_refs``);
- ``browse``: the models table's page (``page_versions``), versions matching a search
  (``version_ids_matching``) and names of audit targets.

``orm``, ``policy``, ``api``, ``web`` and ``schemas`` are for the composition root and the area itself.
"""

__all__ = ["browse", "domain", "events", "facts", "service", "summary", "tags"]
