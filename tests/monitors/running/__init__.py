"""Tests of monitors.running."""
