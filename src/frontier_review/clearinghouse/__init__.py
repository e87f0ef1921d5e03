"""The Treasury-led vulnerability clearinghouse (EO §2(d), §4).

Reports under TLP 2.0, validation, remediation priority, patch distribution, scan
deconfliction, AI-enabled intrusion reports and subscriptions. Each sub-package is a slice of
its own (``reports``, ``priority``, ``scans``, ``incidents``, ``subscriptions``); their public
faces are their ``__init__`` modules.
"""
