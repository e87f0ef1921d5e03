"""AI-enabled intrusion reports and their referral to law enforcement (EO §4; issue 14 item 7).

What other areas may use (import the submodule):

- ``service``: use cases (``report_incident``, ``get_incident``, ``page_incidents``, ``triage``,
  ``relabel``, ``refer``, ``acknowledge``) and the views they return;
- ``domain``: ``IncidentStatus``, ``Detection``, ``Tlp``, ``incident_link``;
- ``observables``: the typed indicators (``Kind``, ``Observable``, ``normalise``), with their STIX 2.1 names;
- ``tags``: ``IncidentTag``, the actions recorded;
- ``browse``: names of audit targets (``name_incidents``).

``orm``, ``policy``, ``api``, ``web``, ``schemas``, ``views`` and ``notify`` are for the composition root and the area itself.
"""

__all__ = ["browse", "domain", "observables", "service", "tags"]
