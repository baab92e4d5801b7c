"""Days of supply per store × product and as district/city ratios of sums.

Every expected number is worked out by hand in the comment next to it.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from monitors.alerting.thresholds import resolve_category_thresholds, resolve_thresholds
from monitors.computing.aggregates import AGGREGATE_COLUMNS, aggregate_supply
from monitors.computing.status_bands import supply_status
from monitors.computing.supply import STORE_SUPPLY_COLUMNS, SupplySettings, store_supply
from tests.monitors.helpers import D, history, products, reports, stores

SETTINGS = SupplySettings()


def supply(frame: pd.DataFrame, store_table: pd.DataFrame, **changes: Any) -> pd.DataFrame:
    settings = SupplySettings(**changes) if changes else SETTINGS
    return store_supply(reports=frame, stores=store_table, business_day=D, settings=settings)


def one(rows: pd.DataFrame, store: int, product: int = 7) -> pd.Series:
    match = rows[(rows["store_id"] == store) & (rows["product_id"] == product)]
    assert len(match) == 1, f"expected one row for store {store}, product {product}"
    return match.iloc[0]


def test_expected_daily_sales_leaves_out_out_of_stock_days() -> None:
    # Sales 10, 10, 10, 2, 10 where the day with 2 ended at stock 0: the store ran dry,
    # so that day says nothing about demand. Median (and mean) of the other four = 10, not
    # 42 / 5 = 8.4 or the median of all five, 10 by chance: see the next test.
    frame = reports(history(1, 7, sales=[10, 10, 10, 2, 10], stock=[5, 5, 5, 0, 5]))
    row = one(supply(frame, stores((1, 10))), 1)
    assert row["expected_daily_sales"] == pytest.approx(10.0)
    assert row["observations"] == 4
    assert row["out_of_stock_days"] == 1
    assert bool(row["trusted"])
    assert row["days_of_supply"] == pytest.approx(0.5)  # 5 / 10


def test_out_of_stock_days_are_left_out_of_the_median_too() -> None:
    # Sales 12, 11, 2, 10, 30 (oldest first); the day with 2 ended at stock 0. Median of
    # 12, 11, 10, 30 = (11 + 12) / 2 = 11.5; counting the dry day, the median of
    # 2, 10, 11, 12, 30 would be 11.
    frame = reports(history(1, 7, sales=[12, 11, 2, 10, 30], stock=[5, 5, 0, 5, 5]))
    row = one(supply(frame, stores((1, 10))), 1)
    assert row["expected_daily_sales"] == pytest.approx(11.5)
    assert row["observations"] == 4
    assert row["days_of_supply"] == pytest.approx(5 / 11.5)


def test_a_few_panic_days_do_not_inflate_the_median() -> None:
    # Four usual days of 10, then panic buying at 31, 26, 19 (oldest first). Median = 10:
    # the stock still lasts 40 / 10 = 4 days at the usual pace. The mean, 116 / 7 = 16.57,
    # would read 40 / 16.57 = 2.41 days for three days, then go on inflating the week.
    frame = reports(history(1, 7, sales=[10, 10, 10, 10, 31, 26, 19], stock=40))
    row = one(supply(frame, stores((1, 10))), 1)
    assert row["expected_daily_sales"] == pytest.approx(10.0)
    assert row["days_of_supply"] == pytest.approx(4.0)
    mean = one(supply(frame, stores((1, 10)), expected_sales="mean"), 1)
    assert mean["expected_daily_sales"] == pytest.approx(116 / 7)


def test_window_is_the_last_reported_in_stock_days_not_calendar_days() -> None:
    # Reports on ages 0, 1, 4..11 (no report on D-2, D-3), sales = age. The last seven
    # reported days are ages 0, 1, 4, 5, 6, 7, 8: median 5, mean (0+1+4+5+6+7+8) / 7 =
    # 31/7. A calendar window D-6..D would hold ages 0, 1, 4, 5, 6 only: median 4.
    ages = [0, 1, 4, 5, 6, 7, 8, 9, 10, 11]
    frame = reports(
        *[history(1, 7, sales=[age], stock=50, end=D - timedelta(days=age)) for age in ages]
    )
    row = one(supply(frame, stores((1, 10))), 1)
    assert row["expected_daily_sales"] == pytest.approx(5.0)
    assert row["observations"] == 7
    mean = one(supply(frame, stores((1, 10)), expected_sales="mean"), 1)
    assert mean["expected_daily_sales"] == pytest.approx(31 / 7)


def test_out_of_stock_days_push_the_window_further_back() -> None:
    # Ten days, sales = 1..10 oldest first; D-2 and D-1 ended at stock 0 (sales 8 and 9).
    # In-stock days newest first: 10, 7, 6, 5, 4, 3, 2 (the 9 and 8 are left out): median
    # 5, mean 37/7.
    sales = list(range(1, 11))
    stock = [20] * 7 + [0, 0, 20]
    frame = reports(history(1, 7, sales=sales, stock=stock))
    row = one(supply(frame, stores((1, 10))), 1)
    assert row["expected_daily_sales"] == pytest.approx(5.0)
    assert row["observations"] == 7
    mean = one(supply(frame, stores((1, 10)), expected_sales="mean"), 1)
    assert mean["expected_daily_sales"] == pytest.approx(37 / 7)


def test_lookback_bounds_how_far_the_window_reaches() -> None:
    # lookback 5: only ages 0..4 may be used even though 7 days exist; sales = age.
    sales = [6, 5, 4, 3, 2, 1, 0]  # oldest (age 6) first
    frame = reports(history(1, 7, sales=sales, stock=50))
    row = one(supply(frame, stores((1, 10)), window_days=7, lookback_days=7), 1)
    assert row["expected_daily_sales"] == pytest.approx(3.0)  # median of 0..6
    row = one(supply(frame, stores((1, 10)), window_days=5, lookback_days=5), 1)
    assert row["expected_daily_sales"] == pytest.approx(2.0)  # median of 0..4
    assert row["observations"] == 5


def test_stock_is_carried_forward_flagged_stale_and_expires() -> None:
    # Each store reports stock 40, sales 10 for three days, ending k days before D.
    frame = reports(
        *[
            history(store, 7, sales=[10, 10, 10], stock=40, end=D - timedelta(days=age))
            for store, age in ((1, 0), (2, 2), (3, 3), (4, 7))
        ]
    )
    rows = supply(frame, stores((1, 10), (2, 10), (3, 10), (4, 10)))
    fresh, carried, expired = one(rows, 1), one(rows, 2), one(rows, 3)

    assert not fresh["stale"] and fresh["stock"] == 40 and fresh["report_age_days"] == 0
    assert carried["stale"] and carried["stock"] == 40  # 2 days old: carried
    assert carried["report_age_days"] == 2
    assert carried["last_report_date"] == pd.Timestamp(D - timedelta(days=2))
    assert carried["days_of_supply"] == pytest.approx(4.0)  # 40 / 10
    assert math.isnan(carried["sales_today"])  # nothing reported on D
    assert expired["stale"] and math.isnan(expired["stock"])  # 3 days old: unknown
    assert math.isnan(expired["price"]) and math.isnan(expired["days_of_supply"])
    assert expired["expected_daily_sales"] == pytest.approx(10.0)  # demand is still known
    assert 4 not in set(rows["store_id"])  # a week old: no longer carried at all

    status = supply_status(
        supply=rows, thresholds=resolve_thresholds(products=products((7, "meat")))
    )
    assert list(status) == ["adequate", "adequate", "unknown"]


@pytest.mark.filterwarnings("error")
def test_zero_sales_means_no_demand_without_a_division_error() -> None:
    frame = reports(
        history(1, 7, sales=[0, 0, 0], stock=50),
        # in stock two days ago, selling nothing; empty now, still selling nothing
        history(2, 7, sales=[0, 0, 0], stock=[5, 5, 0]),
    )
    rows = supply(frame, stores((1, 10), (2, 10)))
    idle, emptied = one(rows, 1), one(rows, 2)
    assert idle["expected_daily_sales"] == 0.0 and math.isnan(idle["days_of_supply"])
    assert not idle["stocked_out"]
    assert emptied["expected_daily_sales"] == 0.0 and not emptied["stocked_out"]
    status = supply_status(
        supply=rows, thresholds=resolve_thresholds(products=products((7, "meat")))
    )
    assert list(status) == ["no_demand", "no_demand"]


def test_stockouts_with_demand_and_with_unobservable_demand() -> None:
    frame = reports(
        history(1, 7, sales=[10, 10, 4], stock=[20, 10, 0]),  # sold out today: demand 10
        history(2, 7, sales=[3, 0, 0], stock=[0, 0, 0]),  # never in stock in the lookback
    )
    rows = supply(frame, stores((1, 10), (2, 10)))
    sold_out, dry = one(rows, 1), one(rows, 2)
    assert sold_out["stocked_out"] and sold_out["expected_daily_sales"] == 10.0
    assert sold_out["days_of_supply"] == 0.0
    # no in-stock day to learn demand from: a long stockout must not read as "no demand"
    assert dry["stocked_out"] and dry["observations"] == 0
    assert math.isnan(dry["expected_daily_sales"]) and math.isnan(dry["days_of_supply"])
    status = supply_status(
        supply=rows, thresholds=resolve_thresholds(products=products((7, "meat")))
    )
    assert list(status) == ["stocked_out", "stocked_out"]


def test_a_single_day_of_history_is_used_but_not_trusted() -> None:
    row = one(supply(reports(history(1, 7, sales=[5], stock=10)), stores((1, 10))), 1)
    assert row["expected_daily_sales"] == 5.0 and row["observations"] == 1
    assert not row["trusted"]
    assert row["days_of_supply"] == 2.0
    assert math.isnan(row["prior_daily_sales"]) and row["prior_observations"] == 0
    assert not row["prior_trusted"]
    assert math.isnan(row["price_previous"]) and math.isnan(row["price_baseline"])
    assert row["price_baseline_observations"] == 0


def test_peak_days_of_supply_looks_back_to_the_last_day_not_refilled() -> None:
    # Every store sells 10 a day (expected 10); eight days, oldest first. A day is refilled
    # when its deliveries, stock − previous stock + sales, reach 0.6 × 10 = 6.
    frame = reports(
        # Just in time: stock 10 every day, so 10 delivered each day from age 6 to D
        # (age 7 has no previous day): all seven days of the window refilled → NaN.
        history(1, 7, sales=[10] * 8, stock=10),
        # Deliveries stop on D: 20 − 30 + 10 = 0 delivered → peak = D's own 20 / 10 = 2.
        history(2, 7, sales=[10] * 8, stock=[30] * 7 + [20]),
        # D-1 brought nothing (15 − 40 + 10 = −15); D brought 15 − 15 + 10 = 10 ≥ 6, but
        # the shortage stands: highest stock since D-1 = 15 → 1.5.
        history(3, 7, sales=[10] * 8, stock=[40] * 6 + [15, 15]),
        # D-1 brought nothing, D a large delivery (35 − 15 + 10 = 30): highest stock
        # since D-1 is D's 35 → 3.5, days of supply back up too.
        history(4, 7, sales=[10] * 8, stock=[40] * 6 + [15, 35]),
        # Small deliveries (3 then 4, below 6) while the stock falls 25 → 18 → 12: D was
        # not refilled, so peak = days of supply = 12 / 10.
        history(5, 7, sales=[10] * 8, stock=[40] * 5 + [25, 18, 12]),
    )
    rows = supply(frame, stores(*[(store, 10) for store in range(1, 6)]))
    assert math.isnan(one(rows, 1)["peak_days_of_supply"])
    assert one(rows, 1)["days_of_supply"] == pytest.approx(1.0)
    assert one(rows, 2)["peak_days_of_supply"] == pytest.approx(2.0)
    assert one(rows, 3)["peak_days_of_supply"] == pytest.approx(1.5)
    assert one(rows, 3)["days_of_supply"] == pytest.approx(1.5)
    assert one(rows, 4)["peak_days_of_supply"] == pytest.approx(3.5)
    assert one(rows, 5)["peak_days_of_supply"] == pytest.approx(1.2)


def test_the_look_back_for_a_day_not_refilled_stops_at_a_stockout() -> None:
    # Sales 10 a day; D-1 ended at 0 (the stockout rule's day). Store 1 got 15 on D
    # (5 − 0 + 10 ≥ 6): refilled since the stock-out → NaN, although D-2 brought
    # nothing. Store 2 got 2 + 3 − 0 = 5 < 6 on D (selling 3, ending at 2): not refilled,
    # peak = 2 / 10 (expected: median of six days of 10 and D's 3; D-1 is left out).
    frame = reports(
        history(1, 7, sales=[10] * 8, stock=[40] * 5 + [20, 0, 5]),
        history(2, 7, sales=[10] * 7 + [3], stock=[40] * 5 + [20, 0, 2]),
    )
    rows = supply(frame, stores((1, 10), (2, 10)))
    assert math.isnan(one(rows, 1)["peak_days_of_supply"])
    assert one(rows, 1)["days_of_supply"] == pytest.approx(0.5)
    assert one(rows, 2)["expected_daily_sales"] == pytest.approx(10.0)
    assert one(rows, 2)["peak_days_of_supply"] == pytest.approx(0.2)


def test_a_gap_in_the_reports_counts_as_a_day_not_refilled() -> None:
    # Stock 10, sales 10 every day, but no report on D-3: D-3's deliveries and D-2's
    # (no previous stock) are unknown, so D-2 is the last day not refilled; the highest
    # stock since then is 10 → 10 / 10 = 1. Turning the check off gives days of supply.
    ages = [0, 1, 2, 4, 5, 6, 7, 8]
    frame = reports(
        *[history(1, 7, sales=[10], stock=10, end=D - timedelta(days=age)) for age in ages]
    )
    assert one(supply(frame, stores((1, 10))), 1)["peak_days_of_supply"] == pytest.approx(1.0)
    steady = reports(history(1, 7, sales=[10] * 8, stock=10))
    assert math.isnan(one(supply(steady, stores((1, 10))), 1)["peak_days_of_supply"])
    unchecked = one(supply(steady, stores((1, 10)), resupply_days=0), 1)
    assert unchecked["peak_days_of_supply"] == pytest.approx(1.0)


def test_sales_today_and_the_prior_yardstick() -> None:
    row = one(supply(reports(history(1, 7, sales=[10, 10, 10, 30], stock=100)), stores((1, 10))), 1)
    assert row["sales_today"] == 30.0
    assert row["expected_daily_sales"] == pytest.approx(10.0)  # median of 10, 10, 10, 30
    assert row["prior_daily_sales"] == pytest.approx(10.0)  # the three days before D
    mean = one(
        supply(
            reports(history(1, 7, sales=[10, 10, 10, 30], stock=100)),
            stores((1, 10)),
            expected_sales="mean",
        ),
        1,
    )
    assert mean["expected_daily_sales"] == pytest.approx(15.0)  # (10+10+10+30) / 4
    assert row["prior_observations"] == 3 and row["prior_trusted"]


def test_price_baseline_is_the_median_of_the_fourteen_days_before_d() -> None:
    # 16 days: age 15 at 100 (outside), ages 14..8 at 10, ages 7..1 at 12, D at 50.
    prices = [100.0] + [10.0] * 7 + [12.0] * 7 + [50.0]
    row = one(
        supply(reports(history(1, 7, sales=[5] * 16, stock=50, price=prices)), stores((1, 10))), 1
    )
    assert row["price_baseline"] == pytest.approx(11.0)  # median of seven 10s and seven 12s
    assert row["price_baseline_observations"] == 14
    assert row["price_previous"] == 12.0
    assert row["price"] == 50.0


def test_price_baseline_with_gaps_and_previous_price_within_the_carry_horizon() -> None:
    frame = reports(
        history(
            1, 7, sales=[5, 5, 5], stock=50, price=[9.0, 30.0, 10.0], end=D - timedelta(days=2)
        ),
        history(1, 7, sales=[5], stock=50, price=[11.0]),
    )
    row = one(supply(frame, stores((1, 10))), 1)
    assert row["price_baseline"] == 10.0  # median of 9, 30, 10 (ages 4, 3, 2)
    assert row["price_baseline_observations"] == 3
    assert row["price_previous"] == 10.0  # D-1 missing; D-2 is within stale_after_days
    old = reports(
        history(1, 7, sales=[5], stock=50, price=[9.0], end=D - timedelta(days=3)),
        history(1, 7, sales=[5], stock=50, price=[11.0]),
    )
    assert math.isnan(one(supply(old, stores((1, 10))), 1)["price_previous"])


def test_inactive_unknown_stores_and_future_lines_are_ignored() -> None:
    frame = reports(
        history(1, 7, sales=[10, 10, 10], stock=30),
        history(1, 7, sales=[1000], stock=30, end=D + timedelta(days=1)),  # after D
        history(2, 7, sales=[10], stock=30),  # inactive store
        history(9, 7, sales=[10], stock=30),  # not in the store table
    )
    rows = supply(frame, stores((1, 10), (2, 10, False)))
    assert list(rows["store_id"]) == [1]
    assert one(rows, 1)["expected_daily_sales"] == 10.0


def test_duplicate_lines_are_refused() -> None:
    line = history(1, 7, sales=[10], stock=30)
    with pytest.raises(ValueError, match="duplicate"):
        supply(reports(line, line), stores((1, 10)))


def test_plain_date_objects_and_empty_input() -> None:
    frame = reports(history(1, 7, sales=[10, 10, 10, 2, 10], stock=[5, 5, 5, 0, 5]))
    frame["report_date"] = frame["report_date"].dt.date
    assert one(supply(frame, stores((1, 10))), 1)["expected_daily_sales"] == 10.0

    empty = supply(reports(), stores((1, 10)))
    assert empty.empty and tuple(empty.columns) == STORE_SUPPLY_COLUMNS


def test_settings_refuse_contradictions() -> None:
    with pytest.raises(ValueError, match="min_observations"):
        SupplySettings(window_days=3, min_observations=4)
    with pytest.raises(ValueError, match="lookback_days"):
        SupplySettings(window_days=7, lookback_days=5)
    with pytest.raises(ValueError, match="expected_sales"):
        SupplySettings(expected_sales="mode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="resupply_days"):
        SupplySettings(resupply_days=-1)
    with pytest.raises(ValueError, match="resupply_share"):
        SupplySettings(resupply_share=0.0)


# --- aggregates ------------------------------------------------------------------------


def district_rows() -> tuple[pd.DataFrame, pd.DataFrame]:
    """District 10: stores 1, 2 fresh; 3 carried from yesterday; 4 silent; 5 inactive.
    District 20: store 6 fresh."""
    table = stores((1, 10), (2, 10), (3, 10), (4, 10), (5, 10, False), (6, 20))
    frame = reports(
        history(1, 7, sales=[10, 10, 10], stock=10),  # expected 10, DOS 1
        history(2, 7, sales=[30, 30, 30], stock=90),  # expected 30, DOS 3
        history(3, 7, sales=[10, 10, 10], stock=20, end=D - timedelta(days=1)),  # carried
        history(5, 7, sales=[50, 50, 50], stock=500),  # inactive: must not count
        history(6, 7, sales=[10, 10, 10], stock=70),
    )
    return supply(frame, table), table


def test_district_days_of_supply_is_a_ratio_of_sums() -> None:
    # Two stores: stock 10 / expected 10 (DOS 1) and 90 / 30 (DOS 3).
    # Ratio of sums (10+90)/(10+30) = 2.5; the mean of ratios would say 2.0.
    table = stores((1, 10), (2, 10))
    rows = supply(
        reports(
            history(1, 7, sales=[10, 10, 10], stock=10), history(2, 7, sales=[30, 30, 30], stock=90)
        ),
        table,
    )
    result = aggregate_supply(
        store_rows=rows,
        stores=table,
        products=products((7, "meat")),
        level="district",
        by="product",
    )
    assert tuple(result.columns) == AGGREGATE_COLUMNS
    (row,) = result.itertuples()
    assert row.stock == 100.0 and row.expected_daily_sales == 40.0
    assert row.days_of_supply == pytest.approx(2.5)
    assert row.days_of_supply != pytest.approx(rows["days_of_supply"].mean())


def test_coverage_and_store_counts_per_district() -> None:
    rows, table = district_rows()
    result = aggregate_supply(
        store_rows=rows,
        stores=table,
        products=products((7, "meat")),
        level="district",
        by="product",
    ).set_index("scope_id")
    ten = result.loc[10]
    assert ten["stores_total"] == 4  # stores 1-4; store 5 is inactive
    assert ten["stores_carrying"] == 3  # 4 never reported the product
    assert ten["stores_reporting"] == 2  # 3's stock is yesterday's
    assert ten["stores_stale"] == 1
    assert ten["stores_counted"] == 3
    assert ten["coverage"] == pytest.approx(0.5)  # 2 of 4
    assert ten["stock"] == 120.0 and ten["expected_daily_sales"] == 50.0  # 10+90+20, 10+30+10
    assert ten["days_of_supply"] == pytest.approx(2.4)
    assert result.loc[20, "coverage"] == 1.0 and result.loc[20, "days_of_supply"] == 7.0


def test_city_level_spans_every_active_store() -> None:
    rows, table = district_rows()
    (row,) = aggregate_supply(
        store_rows=rows, stores=table, products=products((7, "meat")), level="city", by="product"
    ).itertuples()
    assert row.scope_level == "city" and row.scope_id == 0  # one city, id 0 by default
    assert row.stores_total == 5 and row.stores_reporting == 3
    assert row.coverage == pytest.approx(0.6)
    assert row.days_of_supply == pytest.approx(190 / 60)  # (10+90+20+70) / (10+30+10+10)


def test_a_store_with_only_one_of_the_two_numbers_is_left_out_of_both_sums() -> None:
    table = stores((1, 10), (2, 10))
    rows = supply(
        reports(
            history(1, 7, sales=[10, 10, 10], stock=30),
            history(2, 7, sales=[10, 10, 10], stock=500, end=D - timedelta(days=3)),  # expired
        ),
        table,
    )
    (row,) = aggregate_supply(
        store_rows=rows,
        stores=table,
        products=products((7, "meat")),
        level="district",
        by="product",
    ).itertuples()
    assert row.stores_counted == 1 and row.stock == 30.0 and row.days_of_supply == 3.0


def test_category_totals_are_weighted_to_kilograms() -> None:
    # Product 8 is sold in 0.5 kg packs: 40 packs = 20 kg, 10 packs/day = 5 kg/day.
    # Meat: (10 + 20) kg / (10 + 5) kg/day = 2.0 days; raw units would give 50/20 = 2.5.
    table = stores((1, 10))
    rows = supply(
        reports(
            history(1, 7, sales=[10, 10, 10], stock=10), history(1, 8, sales=[10, 10, 10], stock=40)
        ),
        table,
    )
    catalogue = products((7, "meat", 1.0), (8, "meat", 0.5))
    (row,) = aggregate_supply(
        store_rows=rows, stores=table, products=catalogue, level="district", by="category"
    ).itertuples()
    assert row.category == "meat" and row.product_id is pd.NA
    assert row.stock == 30.0 and row.expected_daily_sales == 15.0
    assert row.days_of_supply == pytest.approx(2.0)
    assert row.stores_carrying == 1 and row.stores_reporting == 1


def test_stocked_out_stores_and_scopes() -> None:
    table = stores((1, 10), (2, 10), (3, 20))
    rows = supply(
        reports(
            history(1, 7, sales=[10, 10, 5], stock=[10, 5, 0]),
            history(2, 7, sales=[10, 10, 5], stock=[10, 5, 0]),
            history(1, 8, sales=[10, 10, 10], stock=30),  # store 1 still has other meat
            history(3, 7, sales=[10, 10, 10], stock=0),  # never in stock
        ),
        table,
    )
    catalogue = products((7, "meat"), (8, "meat"))
    by_product = aggregate_supply(
        store_rows=rows, stores=table, products=catalogue, level="district", by="product"
    ).set_index(["scope_id", "product_id"])
    assert by_product.loc[(10, 7), "stores_stocked_out"] == 2
    assert by_product.loc[(10, 7), "stocked_out"] and by_product.loc[(10, 7), "stock"] == 0.0
    assert by_product.loc[(20, 7), "stocked_out"]  # demand unobserved, stock known to be 0
    status = supply_status(
        supply=by_product.reset_index(), thresholds=resolve_thresholds(products=catalogue)
    )
    assert list(status) == ["stocked_out", "adequate", "stocked_out"]

    by_category = aggregate_supply(
        store_rows=rows, stores=table, products=catalogue, level="district", by="category"
    ).set_index("scope_id")
    # store 1 still has product 8, so only store 2 has no meat at all
    assert by_category.loc[10, "stores_stocked_out"] == 1
    assert not by_category.loc[10, "stocked_out"]


def test_status_bands_at_their_boundaries() -> None:
    # vegetables: low < 2 days, critical < 1, overstocked > 4 × 2 = 8 days
    days = [0.0, 0.999, 1.0, 1.999, 2.0, 8.0, 8.001]
    frame = pd.DataFrame(
        {
            "category": "vegetables",
            "stock": [d * 10 for d in days],
            "expected_daily_sales": 10.0,
            "days_of_supply": days,
            "stocked_out": [True, False, False, False, False, False, False],
        }
    )
    table = resolve_category_thresholds(categories=["vegetables"])
    status = supply_status(supply=frame, thresholds=table)
    assert list(status) == [
        "stocked_out",
        "critical",
        "low",
        "low",
        "adequate",
        "adequate",
        "overstocked",
    ]
    assert list(status.cat.categories) == [
        "stocked_out",
        "critical",
        "low",
        "adequate",
        "overstocked",
        "no_demand",
        "unknown",
    ]


def test_status_of_unknown_categories_uses_the_fallback_levels() -> None:
    frame = pd.DataFrame(
        {
            "category": ["condiments"],
            "stock": [25.0],
            "expected_daily_sales": [10.0],
            "days_of_supply": [2.5],  # fallback: low < 3, critical < 1.5
            "stocked_out": [False],
        }
    )
    table = resolve_category_thresholds(categories=["vegetables"])
    assert list(supply_status(supply=frame, thresholds=table)) == ["low"]


def test_numbers_are_float64_and_counts_integers() -> None:
    rows, _ = district_rows()
    assert rows["stock"].dtype == np.float64 and rows["observations"].dtype == np.int32
    assert rows["stale"].dtype == bool and rows["trusted"].dtype == bool
