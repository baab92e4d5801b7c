"""The incremental-read bench runs end to end on a small province in SQLite: it builds
every store's state, then times the next day's read of it, which comes from the states
and the day's marks alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_incremental_read_bench_reads_the_next_day_from_every_store_state() -> None:
    completed = subprocess.run(
        [sys.executable, "bench/incremental_read.py", "--stores", "30", "--products", "6"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    figures = dict(line.split("=", 1) for line in completed.stdout.splitlines() if "=" in line)
    assert float(figures["read_cpu_seconds"]) > 0
    assert float(figures["read_wall_seconds"]) > 0
    assert int(figures["stores"]) == 30  # every store read from its state, none in full
    # The 14 days loaded, set back a day in the states, plus the last day read anew from
    # its marks: 15 days of 30 stores × 6 products.
    assert int(figures["lines"]) == 30 * 6 * 15
