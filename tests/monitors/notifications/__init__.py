"""Tests of webhook notifications."""
