"""The tamper-evident audit log: hash chain, signed checkpoints, verification, export."""
