"""Tests of the adapters: API, pages, CLI and the demo city."""
