"""The national bench runs end to end at a tiny scale on this machine's PostgreSQL and
RabbitMQ: every figure is printed as a number, and the fanned-out runs leave exactly the
snapshots and alerts of a single-process full recompute."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_SKIP_REASON
from tests.task_queue import BROKER_SKIP_REASON, BROKER_URL

ROOT = Path(__file__).resolve().parents[2]
NAMES = [
    "stores", "products", "days", "lines_per_day", "lines_loaded", "part_stores",
    "incremental_available", "post_marks_changes", "post_day_seconds",
    "daily_run_seconds_1_worker", "daily_run_seconds_2_workers", "speedup_2_workers",
    "part_overlap_2_workers",
    "full_recompute_seconds", "copy_day_seconds", "daily_run_ratio_vs_copy",
    "results_identical", "peak_mb_worker", "peak_mb_coordinator", "peak_mb_full_recompute",
]  # fmt: skip

pytestmark = [
    pytest.mark.skipif(
        POSTGRES_SKIP_REASON is not None,
        reason=f"the national bench needs PostgreSQL: {POSTGRES_SKIP_REASON}",
    ),
    pytest.mark.skipif(
        BROKER_SKIP_REASON is not None,
        reason=f"the national bench needs RabbitMQ: {BROKER_SKIP_REASON}",
    ),
]


def test_the_national_bench_prints_every_figure_and_equal_results() -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "bench/national.py",
            "--stores",
            "240",
            "--products",
            "6",
            "--part-stores",
            "60",
        ],  # fmt: skip
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SUPPLYWATCH_BROKER_URL": BROKER_URL},
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    figures = dict(line.split("=", 1) for line in completed.stdout.splitlines() if "=" in line[:40])
    assert set(NAMES) <= set(figures), completed.stdout
    numbers = {name: float(figures[name]) for name in NAMES}  # each parses as a number
    assert numbers["results_identical"] == 1, completed.stdout
    assert numbers["stores"] == 240 and numbers["days"] == 14
    assert numbers["lines_per_day"] == 240 * 6
    assert numbers["lines_loaded"] == 14 * 240 * 6
    assert numbers["peak_mb_worker"] > 0
