"""computing."""
