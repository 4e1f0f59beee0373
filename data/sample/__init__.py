"""The synthetic sample ledger (fictional enterprises)."""
