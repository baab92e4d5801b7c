"""Tests of the dispatch module (routing core: pure, no database)."""
