"""Every `SUPPLYWATCH_*` variable the README and the docs tell an operator to set is one
the service reads: a renamed or removed setting cannot linger in the instructions."""

from __future__ import annotations

import re
from pathlib import Path

from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
READ_BY_THE_TESTS = {"TEST_POSTGRES_URL", "SCREENSHOTS"}
"""Variables the test suite reads, not the service."""


def test_every_documented_variable_is_a_setting_of_the_service() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    named: dict[str, set[str]] = {}
    for page in pages:
        text = page.read_text(encoding="utf-8")
        # Full names, and the README table's shortened ones (`..._MONITOR_PART_STORES`).
        for name in re.findall(r"SUPPLYWATCH_([A-Z0-9_]+)", text) + re.findall(
            r"`\.\.\._([A-Z0-9_]+)`", text
        ):
            named.setdefault(name, set()).add(page.name)
    assert "MONITOR_FORECAST_THREADS" in named and "DATABASE_URL" in named
    unknown = {
        name: sorted(where)
        for name, where in named.items()
        if name.lower() not in Settings.model_fields and name not in READ_BY_THE_TESTS
    }
    assert unknown == {}
