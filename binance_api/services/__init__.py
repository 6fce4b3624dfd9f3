"""Data access (warehouse snapshots), the ML read side and the response cache."""
