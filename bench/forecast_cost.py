"""What the stock-out forecast costs per line, and how much of it a forecast carrying its
state from day to day could save.

Issue 17's `daily_run_ratio_vs_copy` (≤ 2) needs a daily run that does little more than
read the day's lines and write their snapshots (docs/deploy.md). The forecast reads each
line's 21-day history (demand level, weekday pattern, deliveries) and then projects its
stock forward (``project_stretches``). A forecast that carried its state would still
project every line every day; only the reading of the history could shrink. This times
both apart, in one process, on the histories ``bench/national.py`` loads (the demo's
province generator, a lockdown in its last days).

Times are this process's CPU seconds (``time.process_time``), so another program on the
machine slows them less than it would wall time.

Run: ``.venv/bin/python bench/forecast_cost.py [--stores 2000] [--repeat 3]``. Ends with
``name=value`` lines: ``lines``, ``forecast_seconds`` (the best of the repeats),
``projection_seconds`` (inside it), ``history_seconds`` (the rest), the same per million
lines, ``projection_share``, and ``nation_*_cpu_seconds`` (× 6 M lines).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from monitors.computing.forecast import stockouts  # noqa: E402
from monitors.computing.forecast.settings import ForecastSettings  # noqa: E402
from monitors.computing.forecast.stockouts import LineHistory  # noqa: E402
from service.demo import generate_history  # noqa: E402

NATION_LINES = 6_000_000
"""A nation's lines a day: 100,000 stores × 60 products (issue 17)."""
DAYS = 21
"""The history the monitor reads per line (``store_supply_with_history``)."""


def line_history(stores: int, seed: int) -> LineHistory:
    """The province's reports as the forecast reads them: lines × ages, age 0 the last day."""
    end = date(2026, 3, 31)
    city = generate_history(
        stores=stores, products=60, end_date=end, days=DAYS, seed=seed, lockdown_days=4
    )
    reports = city.reports
    age = (pd.Timestamp(end) - pd.to_datetime(reports["report_date"])).dt.days.to_numpy()
    line_keys = reports["store_code"].astype(str) + "|" + reports["product_code"].astype(str)
    line, keys = pd.factorize(line_keys)
    shape = (len(keys), DAYS)

    def matrix(name: str) -> np.ndarray:
        values = np.full(shape, np.nan)
        values[line, age] = reports[name].to_numpy(dtype=np.float64)
        return values

    store_of_line = pd.Series(keys).str.split("|").str[0]
    store, _ = pd.factorize(store_of_line)
    district_of_store = city.stores.set_index("code")["district_code"]
    district, _ = pd.factorize(store_of_line.map(district_of_store))
    return LineHistory(
        stock=matrix("stock"),
        sales=matrix("sales"),
        received=matrix("received"),
        store=store.astype(np.int64),
        weekday=end.weekday(),
        district=district.astype(np.int64),
    )


def timed_forecast(history: LineHistory, settings: ForecastSettings) -> tuple[float, float]:
    """CPU seconds of one forecast, and of its projection inside it (the module's own
    function wrapped for the call, then put back)."""
    inner = stockouts.project_stretches
    spent = [0.0]

    def projection(**arguments: Any) -> np.ndarray:
        start = time.process_time()
        result = inner(**arguments)
        spent[0] += time.process_time() - start
        return result

    wrapped: Callable[..., np.ndarray] = projection
    stockouts.project_stretches = wrapped
    try:
        start = time.process_time()
        stockouts.forecast_stockouts(history=history, settings=settings)
        return time.process_time() - start, spent[0]
    finally:
        stockouts.project_stretches = inner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    arguments = parser.parse_args()

    history = line_history(arguments.stores, arguments.seed)
    lines = len(history.stock)
    settings = ForecastSettings()
    forecast, projection = min(
        (timed_forecast(history, settings) for _ in range(arguments.repeat)),
        key=lambda pair: pair[0],
    )
    reading = forecast - projection
    per_million = 1_000_000 / lines
    figures = {
        "lines": lines,
        "forecast_seconds": forecast,
        "projection_seconds": projection,
        "history_seconds": reading,
        "forecast_seconds_per_million_lines": forecast * per_million,
        "projection_seconds_per_million_lines": projection * per_million,
        "projection_share": projection / forecast,
        "nation_forecast_cpu_seconds": forecast * per_million * NATION_LINES / 1_000_000,
        "nation_projection_cpu_seconds": projection * per_million * NATION_LINES / 1_000_000,
    }
    for name, value in figures.items():
        print(f"{name}={value:.3f}" if isinstance(value, float) else f"{name}={value}")


if __name__ == "__main__":
    main()
