"""Evidence: the append-only ledger that makes every finding and decision tamper-evident."""
