"""In-app notifications: what happened that a person should look at.

What other areas may use (import the submodule; this package imports nothing at import time):

- ``service``: ``notify`` (to any ``Addressee``), ``list_mine``, ``unread_count``, ``mark_all_read``;
- ``email``: the outbound mail queue (``queue_email``, ``list_mail_to``, ``MailView``).

``orm`` and ``web`` are for the composition root and the area itself.
"""

__all__ = ["email", "service"]
