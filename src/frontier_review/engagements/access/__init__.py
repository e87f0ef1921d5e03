"""Gateway access: personal tokens, upstreams, the access-context loader, the access log and usage.

``context`` is the one loader of what decides a call or a download (the gateway, artifact
downloads and findings all use it); ``recorder`` writes and chains the access log; ``usage``
shapes usage per participant per day into small charts for the engagement page.
"""

__all__ = ["context", "domain", "orm", "policy", "recorder", "reveals", "service", "upstreams", "usage"]
