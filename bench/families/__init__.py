"""Scenario families for the alert-quality bench: cities simulated independently of the
demo generator, each from a description of a real supply chain (see README.md here)."""
