"""Tests of monitors.alerting."""
