"""Tests of the bulletin package (figures and summary sentences: pure, no database)."""
