"""Tests of the dispatch reads the API and the pages share."""
