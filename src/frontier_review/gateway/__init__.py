"""The OpenAI-compatible model gateway: every call authenticated, admitted, metered, audited."""
