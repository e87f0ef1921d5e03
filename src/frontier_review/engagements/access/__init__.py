"""Gateway access: personal tokens, upstreams, the access-context loader, the access log and usage.

``context`` is the one loader of what decides a call or a download (the gateway, artifact
downloads and findings all use it); ``recorder`` writes and chains the access log;
``playground`` holds the chat playground's one session token and a person's access right now;
``usage`` shapes usage per participant per day into small charts for the engagement page.
"""

__all__ = ["context", "domain", "orm", "playground", "policy", "recorder", "reveals", "service", "upstreams", "usage"]
