"""The per-line stock-out forecast and the low_supply decision on hand-made histories.

Each history is written oldest day first, as a store would have reported it, and turned
into the forecast's (lines, ages) matrices (age 0 = the business day) by ``history``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from monitors.computing.forecast import (
    MAX_HORIZON_DAYS,
    Forecast,
    ForecastSettings,
    LineHistory,
    forecast_stockouts,
    low_supply_decision,
)
from monitors.computing.forecast.demand import bridged_receipts, net_receipts

SETTINGS = ForecastSettings()
DAYS = 21
WEEKDAY = 2  # the business day is a Wednesday


def history(
    *lines: tuple[Sequence[float], Sequence[float], Sequence[float]],
    stores: Sequence[int] | None = None,
    districts: Sequence[int] | None = None,
) -> LineHistory:
    """Lines of (stock, sales, received), each oldest day first, NaN where unreported."""

    def matrix(index: int) -> np.ndarray:
        rows = [np.asarray(line[index], dtype=np.float64)[::-1] for line in lines]
        out = np.full((len(lines), DAYS), np.nan)
        for row, values in enumerate(rows):
            out[row, : len(values)] = values[:DAYS]
        return out

    return LineHistory(
        stock=matrix(0),
        sales=matrix(1),
        received=matrix(2),
        store=np.asarray(stores if stores is not None else [0] * len(lines)),
        weekday=WEEKDAY,
        district=None if districts is None else np.asarray(districts),
    )


def replenished(
    sales: Sequence[float], deliveries: Sequence[float], opening: float
) -> tuple[list[float], list[float], list[float]]:
    """Stock, sales and received of a line that sells ``sales`` and receives
    ``deliveries`` each morning, starting from ``opening``: the stock identity holds
    and sales never exceed what was on the shelf."""
    stock, sold, received = [], [], []
    level = opening
    for demand, delivery in zip(sales, deliveries, strict=True):
        level += delivery
        sale = min(demand, level)
        level -= sale
        stock.append(level)
        sold.append(sale)
        received.append(delivery)
    return stock, sold, received


def decide(
    forecast: Forecast,
    warning: float,
    *,
    previously_firing: bool = False,
    settings: ForecastSettings = SETTINGS,
) -> tuple[bool, bool, float]:
    """The decision for a one-line forecast."""
    fire, critical, projected = low_supply_decision(
        forecast=forecast,
        warning_days=np.array([warning]),
        critical_days=np.array([warning / 2]),
        previously_firing=np.array([previously_firing]),
        settings=settings,
    )
    return bool(fire[0]), bool(critical[0]), float(projected[0])


WEEK_SHAPE = [1.0, 1.05, 0.95, 1.0, 1.1, 0.9, 1.0]
"""A small weekly wobble in demand, so the spread is not zero."""


def daily_sales(mean: float, days: int = DAYS) -> list[float]:
    """Sales of a steady line with a small wobble."""
    return [round(mean * WEEK_SHAPE[day % 7], 1) for day in range(days)]


def test_a_just_in_time_line_refilled_every_morning_stays_quiet() -> None:
    # 100 a day, each morning's delivery replaces yesterday's sales: the shelf closes
    # every day with about half a day of stock and never runs out.
    sales = daily_sales(100.0)
    stock, sold, received = replenished(sales, [sales[0]] + sales[:-1], opening=50.0)
    forecast = forecast_stockouts(history=history((stock, sold, received)), settings=SETTINGS)
    assert forecast.typical_gap[0] == 1
    assert forecast.within(np.array([2.0]))[0] < SETTINGS.fire_probability
    assert decide(forecast, 2.0) == (False, False, pytest.approx(np.nan, nan_ok=True))


def test_a_weekly_line_before_its_delivery_day_stays_quiet() -> None:
    # Grain: 50 a day, 350 delivered every 7 days (ages 20, 13, 6): six days after the
    # last delivery 100 are left, two days' worth, and tomorrow is delivery day.
    sales = daily_sales(50.0)
    deliveries = [350.0 if day % 7 == 0 else 0.0 for day in range(DAYS)]
    stock, sold, received = replenished(sales, deliveries, opening=100.0)
    forecast = forecast_stockouts(history=history((stock, sold, received)), settings=SETTINGS)
    assert forecast.days_since_delivery[0] == 6
    assert forecast.typical_gap[0] == 7
    assert forecast.within(np.array([7.0]))[0] < SETTINGS.fire_probability
    fire, _, _ = decide(forecast, 7.0)
    assert not fire


def test_the_same_weekly_line_two_days_past_its_delivery_day_alerts() -> None:
    # The delivery due two days ago has not come (deliveries on days 0, 7 and 14 of 24,
    # none on day 21) and 100 are left, two days' worth: the line warns.
    sales = daily_sales(50.0, 24)
    deliveries = [350.0 if day in (0, 7, 14) else 0.0 for day in range(24)]
    stock, sold, received = replenished(sales, deliveries, opening=250.0)
    line = (stock[3:], sold[3:], received[3:])
    forecast = forecast_stockouts(history=history(line), settings=SETTINGS)
    assert forecast.days_since_delivery[0] == 9
    assert forecast.supply_short[0]
    fire, _, projected = decide(forecast, 7.0)
    assert fire
    assert projected <= 4


def test_a_line_whose_deliveries_stop_alerts_within_a_day() -> None:
    # 90 a day, each morning's delivery replacing yesterday's sales, closing with two
    # days' stock; today's delivery did not come. The first evening without it the
    # shelf holds a day's worth, and the warning opens: by tomorrow evening it is empty
    # unless the late delivery comes, which this line's history does not promise.
    sales = daily_sales(90.0)
    deliveries = [90.0] + sales[:-2] + [0.0]
    stock, sold, received = replenished(sales, deliveries, opening=180.0)
    forecast = forecast_stockouts(history=history((stock, sold, received)), settings=SETTINGS)
    assert forecast.days_since_delivery[0] == 1
    assert forecast.supply_short[0]
    fire, critical, projected = decide(forecast, 2.0)
    assert fire and not critical
    assert projected == 2


def test_a_lasting_surge_is_followed() -> None:
    # Demand doubles for the last three days and stays: the level follows it.
    sales = daily_sales(40.0)[:-3] + [82.0, 85.0, 80.0]
    stock, sold, received = replenished(sales, [sales[0]] + sales[:-1], opening=200.0)
    forecast = forecast_stockouts(history=history((stock, sold, received)), settings=SETTINGS)
    assert forecast.shifted[0] == 1
    assert forecast.level[0] == pytest.approx(80.0, rel=0.1)
    assert not forecast.burst[0]


def test_a_one_day_burst_is_not_taken_as_the_new_level() -> None:
    # One day sells 2.5 times the usual: the level stays, the day is a burst, and no
    # warning opens on it (the store reorders a burst; tomorrow shows whether it did).
    sales = daily_sales(40.0)[:-1] + [100.0]
    stock, sold, received = replenished(sales, [sales[0]] + sales[:-1], opening=120.0)
    forecast = forecast_stockouts(history=history((stock, sold, received)), settings=SETTINGS)
    assert forecast.shifted[0] == 0
    assert forecast.level[0] == pytest.approx(40.0, rel=0.1)
    assert forecast.burst[0]
    fire, _, _ = decide(forecast, 2.0)
    assert not fire


def test_an_empty_shelf_opens_no_warning_but_a_warned_one_stays_critical() -> None:
    # A new shortage on an empty shelf is the stockout rule's; a warning already open
    # stays through it, critical, instead of resolving when its shortage has come.
    sales = daily_sales(30.0)
    stock, sold, received = replenished(sales, [30.0] * 20 + [0.0], opening=10.0)
    stock[-1] = 0.0
    forecast = forecast_stockouts(history=history((stock, sold, received)), settings=SETTINGS)
    assert forecast.by_day[0, 0] == 1.0
    fire, critical, _ = decide(forecast, 2.0, previously_firing=False)
    assert not fire and not critical
    fire, critical, _ = decide(forecast, 2.0, previously_firing=True)
    assert fire and critical
    resolving = ForecastSettings(keep_through_stockout=False)
    fire, _, _ = decide(forecast, 2.0, previously_firing=True, settings=resolving)
    assert not fire


def test_an_open_warning_stays_while_the_chance_stays_above_the_keep_level() -> None:
    # Hysteresis: a chance below the opening level but above the keep level keeps an
    # open warning and opens no new one.
    sales = daily_sales(50.0)
    deliveries = [350.0 if day % 7 == 0 else 0.0 for day in range(DAYS)]
    stock, sold, received = replenished(sales, deliveries, opening=100.0)
    forecast = forecast_stockouts(history=history((stock, sold, received)), settings=SETTINGS)
    chance = float(forecast.within(np.array([7.0]))[0])
    between = ForecastSettings(
        fire_probability=min(1.0, chance + 0.01), keep_probability=max(chance - 0.01, 1e-6)
    )
    assert not decide(forecast, 7.0, settings=between)[0]
    assert decide(forecast, 7.0, previously_firing=True, settings=between)[0]


def test_a_crumb_after_a_stock_out_opens_no_warning() -> None:
    # Out yesterday, today a delivery that leaves a third of a day on the shelf: that is
    # the same shortage the stockout rule reports, not a new one.
    sales = daily_sales(60.0)
    stock, sold, received = replenished(sales, [60.0] * 19 + [0.0, 80.0], opening=30.0)
    forecast = forecast_stockouts(history=history((stock, sold, received)), settings=SETTINGS)
    assert stock[-2] == 0 and stock[-1] > 0
    assert forecast.out_recently[0]
    assert not decide(forecast, 2.0)[0]


def test_unreported_days_are_bridged_and_the_stock_carried_forward() -> None:
    sales = daily_sales(100.0)
    stock, sold, received = replenished(sales, [sales[0]] + sales[:-1], opening=50.0)
    for day in (5, 12, 20):
        stock[day] = sold[day] = received[day] = np.nan
    forecast = forecast_stockouts(history=history((stock, sold, received)), settings=SETTINGS)
    assert forecast.stock[0] == stock[19]
    assert forecast.typical_gap[0] == 1
    assert not decide(forecast, 2.0)[0]


def test_a_store_emptying_many_shelves_is_under_supply_stress() -> None:
    # Twenty lines of one store: all ordinary until two days ago, then half of them
    # empty on each of the last two days; a second store stays ordinary.
    sales = daily_sales(20.0)
    ordinary = replenished(sales, [sales[0]] + sales[:-1], opening=20.0)
    emptied = (ordinary[0][:-2] + [0.0, 0.0], ordinary[1][:-2] + [20.0, 0.0], ordinary[2])
    lines = [emptied if line % 2 else ordinary for line in range(20)] + [ordinary] * 20
    forecast = forecast_stockouts(
        history=history(*lines, stores=[0] * 20 + [1] * 20), settings=SETTINGS
    )
    assert forecast.supply_stress[:20].all()
    assert not forecast.supply_stress[20:].any()


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="keep_probability"):
        ForecastSettings(fire_probability=0.2, keep_probability=0.5)
    with pytest.raises(ValueError, match="history_days"):
        ForecastSettings(history_days=5)


def test_shapes_and_probabilities() -> None:
    sales = daily_sales(10.0)
    line = replenished(sales, [10.0] * DAYS, opening=5.0)
    forecast = forecast_stockouts(history=history(line, line, line), settings=SETTINGS)
    assert forecast.by_day.shape == (3, MAX_HORIZON_DAYS)
    assert np.all(np.diff(forecast.by_day, axis=1) >= 0)
    assert np.all((forecast.by_day >= 0) & (forecast.by_day <= 1))


def test_no_lines_and_unreported_lines() -> None:
    empty = LineHistory(
        stock=np.zeros((0, DAYS)),
        sales=np.zeros((0, DAYS)),
        received=np.zeros((0, DAYS)),
        store=np.zeros(0, dtype=np.int64),
        weekday=WEEKDAY,
        district=np.zeros(0, dtype=np.int64),
    )
    assert forecast_stockouts(history=empty, settings=SETTINGS).by_day.shape == (0, 7)
    silent = [np.nan] * DAYS
    forecast = forecast_stockouts(history=history((silent, silent, silent)), settings=SETTINGS)
    assert np.isnan(forecast.by_day).all()
    assert not decide(forecast, 2.0, previously_firing=True)[0]


def test_a_line_reporting_every_day_is_closed_day_by_day_as_a_bridge_would_close_it() -> None:
    # net_receipts bridges only lines with an unreported day between two reported ones;
    # every other line takes the plain identity. Both ways must agree on those lines.
    rng = np.random.default_rng(8)
    stock = rng.integers(0, 60, (400, DAYS)).astype(np.float64)
    sales = rng.integers(0, 30, (400, DAYS)).astype(np.float64)
    stock[:100, 15:] = np.nan  # a history shorter than the window: no bridge needed
    stock[100:200][rng.random((100, DAYS)) < 0.2] = np.nan  # gaps: bridged
    sales[rng.random((400, DAYS)) < 0.05] = np.nan  # unreported sales: the expected ones
    expected = np.full(stock.shape, 7.0)
    received = np.full(stock.shape, np.nan)
    net = net_receipts(stock, sales, received, expected)
    bridged = bridged_receipts(stock, np.where(np.isnan(sales), expected, sales))
    np.testing.assert_array_equal(net, bridged)
    assert np.isnan(net[:100, 14:]).all() and not np.isnan(net[:100, :14]).any()
    assert (
        net[200:, :-1]
        == stock[200:, :-1] - stock[200:, 1:] + np.nan_to_num(sales[200:, :-1], nan=7.0)
    ).all()
