"""Tests of monitors.computing."""
