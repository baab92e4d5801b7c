"""The daily bulletin's figures for one province day.

Builds synthetic report lines for a province (default 10,000 outlets in 100 districts ×
60 products in 7 categories × 14 business days = 8.4 M lines; 3 % of outlet-days not
reported, 5 % of lines without a price; prices steady for the first 6 days, the
baseline period, then rising for a third of the products from day 7 as a crisis would)
and times, on the whole frame:

- ``compute_price_baselines`` over the 6 pre-crisis days;
- ``compute_bulletin_numbers`` for the last day (prices, changes, bands, days of supply,
  coverage, notable moves);
- ``summary_sentences`` in English and Chinese.

Target: at most 5 s for the three together. Prints each run and ends with

    bulletin_seconds=   the fastest run of all three steps together
    report_lines=       lines in the input frame

Usage: ``.venv/bin/python bench/bulletin_numbers.py [--outlets N] [--products P]
[--days D] [--repeat R] [--seed S]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bulletin.numbers import (  # noqa: E402
    BulletinNumbers,
    compute_bulletin_numbers,
    compute_price_baselines,
)
from bulletin.summary import summary_sentences  # noqa: E402

CATEGORIES = ("grain", "edible_oil", "meat", "eggs", "vegetables", "fruit", "dairy")
BASELINE_DAYS = 6


def synthetic_province(
    *, outlets: int, products: int, days: int, last_day: date, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return report lines, outlets and products of a synthetic province, as the core reads them."""
    random = np.random.default_rng(seed)
    product_codes = [f"product_{number:02d}" for number in range(products)]
    districts = np.array([f"district_{number:03d}" for number in range(100)], dtype=object)
    outlet_table = pd.DataFrame(
        {
            "outlet": np.arange(outlets),
            "district": districts[random.integers(0, len(districts), size=outlets)],
            "expected_to_report": random.random(outlets) < 0.98,
        }
    )
    product_table = pd.DataFrame(
        {
            "product": product_codes,
            "category": [CATEGORIES[number % len(CATEGORIES)] for number in range(products)],
        }
    )
    base_price = random.uniform(3, 60, size=products)
    daily_sales = random.uniform(5, 150, size=products)
    crisis_rise = np.where(random.random(products) < 1 / 3, random.uniform(0.02, 0.06, products), 0)
    outlet_level = random.normal(1.0, 0.05, size=outlets)

    day_index = np.repeat(np.arange(days), outlets * products)
    outlet_index = np.tile(np.repeat(np.arange(outlets), products), days)
    product_index = np.tile(np.arange(products), outlets * days)
    crisis_days = np.maximum(day_index - (BASELINE_DAYS - 1), 0)
    price = (
        base_price[product_index]
        * outlet_level[outlet_index]
        * random.normal(1.0, 0.01, size=len(day_index))
        * (1 + crisis_rise[product_index]) ** crisis_days
    )
    price[random.random(len(price)) < 0.05] = np.nan
    expected = daily_sales[product_index] * random.uniform(0.5, 1.5, size=len(day_index))
    stock = expected * random.uniform(0.0, 10.0, size=len(day_index)) / (1 + 0.1 * crisis_days)
    reported_outlet_days = random.random((days, outlets)) >= 0.03
    kept = reported_outlet_days[day_index, outlet_index]
    first_day = np.datetime64(last_day - timedelta(days=days - 1), "ns")
    lines = pd.DataFrame(
        {
            "outlet": outlet_index[kept],
            "product": pd.Categorical.from_codes(
                product_index[kept], categories=pd.Index(product_codes)
            ),
            "business_date": first_day + day_index[kept].astype("timedelta64[D]"),
            "price": price[kept],
            "stock": stock[kept],
            "expected_daily_sales": expected[kept],
        }
    )
    return lines, outlet_table, product_table


def bulletin_day(
    *,
    lines: pd.DataFrame,
    outlets: pd.DataFrame,
    products: pd.DataFrame,
    last_day: date,
    days: int,
) -> tuple[BulletinNumbers, int]:
    """Return the last day's bulletin figures and the number of sentences written about it."""
    first_day = last_day - timedelta(days=days - 1)
    baselines = compute_price_baselines(
        reports=lines,
        baseline_start=first_day,
        baseline_end=first_day + timedelta(days=BASELINE_DAYS - 1),
    )
    numbers = compute_bulletin_numbers(
        reports=lines,
        outlets=outlets,
        products=products,
        business_date=last_day,
        baselines=baselines,
    )
    names = {str(code): str(code) for code in products["product"]}
    units = dict.fromkeys(names, "kg")
    sentences = [
        sentence
        for language in ("en", "zh")
        for sentence in summary_sentences(
            numbers=numbers, language=language, product_names=names, units=units
        )
    ]
    return numbers, len(sentences)


def main() -> None:
    """Time a province day's bulletin figures and print the figures for scripts."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--outlets", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=60)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    last_day = date(2024, 5, 14)
    lines, outlets, products = synthetic_province(
        outlets=args.outlets,
        products=args.products,
        days=args.days,
        last_day=last_day,
        seed=args.seed,
    )
    timings = []
    for run in range(1, args.repeat + 1):
        started = time.perf_counter()
        numbers, sentence_count = bulletin_day(
            lines=lines, outlets=outlets, products=products, last_day=last_day, days=args.days
        )
        timings.append(time.perf_counter() - started)
        print(
            f"run {run}: {timings[-1]:.3f} s, {len(numbers.prices)} products, "
            f"{len(numbers.district_supply)} district × product rows, "
            f"{len(numbers.notable_moves)} notable moves, {sentence_count} sentences",
            flush=True,
        )
    print(f"bands: {numbers.band_counts.to_dict()}")
    print(f"coverage: {numbers.city_coverage.to_dict()}")
    print(f"bulletin_seconds={min(timings):.3f}")
    print(f"report_lines={len(lines)}")


if __name__ == "__main__":
    main()
