"""Security kernel: passwords, tokens, envelope encryption and the instance keys.

What other areas may use (import the submodule; this package imports nothing at import time):

- ``service``: sealing and opening fields, the instance signing key, trusted keys, re-wrapping;
- ``envelope``: AES-256-GCM sealing and key wrapping;
- ``keyring``: where master keys come from (``KeyringSource``);
- ``passwords``: argon2id hashing and the password rule;
- ``tokens``: the ``frt_`` token format;
- ``addresses``: the one outbound address policy (``check_url``, ``forbidden_address``);
- ``ratelimit``: the sign-in rate limit (``LoginRateLimit``);
- ``tags``: ``SecurityTag``, the key-management actions.

``orm`` and ``policy`` are for the composition root and the area itself.
"""

__all__ = ["addresses", "envelope", "keyring", "passwords", "ratelimit", "service", "tags", "tokens"]
