"""Security kernel: passwords, tokens, envelope encryption and the instance keys."""
