"""The forecast-cost bench splits one forecast's time into the projection and the reading
of the history, on lines laid out as the monitor lays them out."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import numpy as np

from service.demo import generate_history

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("forecast_cost", ROOT / "bench/forecast_cost.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bench_lays_each_lines_days_out_by_age_as_the_monitor_reads_them() -> None:
    history = _bench().line_history(stores=6, seed=3)
    reports = generate_history(
        stores=6, products=60, end_date=date(2026, 3, 31), days=21, seed=3, lockdown_days=4
    ).reports
    assert history.stock.shape == (6 * 60, 21)
    first = reports.iloc[0]
    last_day = reports[
        (reports["store_code"] == first["store_code"])
        & (reports["product_code"] == first["product_code"])
        & (reports["report_date"] == date(2026, 3, 31))
    ]
    oldest = reports[
        (reports["store_code"] == first["store_code"])
        & (reports["product_code"] == first["product_code"])
    ].iloc[0]
    assert history.stock[0, 20] == np.float64(np.float32(oldest["stock"]))
    if len(last_day):
        assert history.sales[0, 0] == np.float64(np.float32(last_day.iloc[0]["sales"]))
    assert set(np.unique(history.store)) == set(range(6))


def test_the_forecast_cost_bench_prints_the_projection_as_part_of_the_forecast() -> None:
    completed = subprocess.run(
        [sys.executable, "bench/forecast_cost.py", "--stores", "10", "--repeat", "1"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    figures = dict(line.split("=", 1) for line in completed.stdout.splitlines() if "=" in line)
    assert int(figures["lines"]) == 10 * 60
    forecast, projection = float(figures["forecast_seconds"]), float(figures["projection_seconds"])
    assert 0 < projection < forecast
    assert abs(float(figures["history_seconds"]) - (forecast - projection)) < 0.002
    assert 0 < float(figures["projection_share"]) < 1
