"""Tests of the hotline package (SLA clocks: pure, no database)."""
