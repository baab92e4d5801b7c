"""The driver-shortage family: deterministic, well-formed, physically consistent, brand trucks
that fill to par on route days, and a shortage that misses stops, hits far districts hardest
and leaves the markets' local supply almost alone."""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from bench.families._driver_shortage_city import (
    CHANNEL_CASH_CARRY,
    CHANNEL_DC,
    CHANNEL_DSD,
    KIND_MARKET,
    KIND_OTHER,
    KIND_SUPERMARKET,
)
from bench.families.driver_shortage import (
    WARM_UP_DAYS,
    DriverShortageSimulation,
    generate,
    simulate,
)
from bench.families.model import STORE_KINDS, CityHistory
from tests.bench.family_checks import assert_same_history

SEEDS = (1, 2)


@cache
def simulated(seed: int, emergency: bool) -> DriverShortageSimulation:
    """One simulation per seed and variant, shared by the tests (each well under a second)."""
    return simulate(seed, emergency=emergency)


def opening(simulation: DriverShortageSimulation) -> np.ndarray:
    """(days, lines) true stock at the start of each day, before deliveries."""
    closing = simulation.history.true_stock
    return np.vstack([simulation.opening_stock[None, :], closing[:-1]])


def out_share(history: CityHistory, days: slice, lines: np.ndarray) -> float:
    """Share of line-days with true stock ≤ 0."""
    return float((history.true_stock[days][:, lines] <= 0).mean())


def test_a_seed_always_gives_the_same_city() -> None:
    assert_same_history(generate(7), generate(7))
    assert_same_history(generate(7, emergency=False), generate(7, emergency=False))


def test_different_seeds_give_different_cities() -> None:
    assert not simulated(1, True).history.lines.equals(simulated(2, True).history.lines)


@pytest.mark.parametrize("seed", (1, 2, 3))
def test_seeds_give_histories_of_the_agreed_shape(seed: int) -> None:
    history = generate(seed)
    history.check()
    assert history.family == "driver_shortage"
    assert 50 <= len(history.stores) <= 70
    assert 1_500 <= history.line_count <= 2_200
    assert history.event_start is not None and 25 <= history.event_start <= 32
    assert 48 <= history.reported_days <= 52
    assert history.follow_up_days == 10
    assert set(history.stores["kind"]) == set(STORE_KINDS)
    assert history.stores["code"].str.fullmatch(r"[A-Za-z0-9_.-]{1,64}").all()
    assert history.stores["code"].is_unique
    with (resources.files("service") / "data" / "districts.csv").open(encoding="utf-8") as file:
        districts = set(pd.read_csv(file, dtype={"code": str})["code"])
    assert set(history.stores["district"]) == districts
    with (resources.files("service") / "data" / "products.csv").open(encoding="utf-8") as file:
        assert history.lines["product"].isin(pd.read_csv(file)["code"]).all()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("emergency", (True, False))
def test_stock_is_yesterdays_plus_deliveries_minus_sales_and_spoilage(
    seed: int, emergency: bool
) -> None:
    simulation = simulated(seed, emergency)
    closing = simulation.history.true_stock
    start = opening(simulation)
    expected = start + simulation.received - simulation.sales - simulation.spoilage
    np.testing.assert_allclose(closing, expected, atol=1e-9)
    assert (closing >= 0).all()
    assert (simulation.sales <= simulation.demand).all()
    short = simulation.sales < simulation.demand
    assert (closing[short] == 0).all(), "demand is lost only on an emptied shelf"


@pytest.mark.parametrize("seed", SEEDS)
def test_without_the_event_the_city_is_the_same_until_it_starts(seed: int) -> None:
    event, calm = simulated(seed, True).history, simulated(seed, False).history
    assert calm.event_start is None and not calm.disrupted.any()
    start = event.event_start
    assert start is not None and calm.reported_days == event.reported_days
    pd.testing.assert_frame_equal(event.lines, calm.lines)
    for name in ("stock", "sales", "price", "received", "reported", "true_stock"):
        np.testing.assert_array_equal(
            getattr(event, name)[:start], getattr(calm, name)[:start], err_msg=name
        )
    assert not np.array_equal(event.true_stock[start:], calm.true_stock[start:])


@pytest.mark.parametrize("seed", SEEDS)
def test_brand_trucks_fill_to_par_only_on_route_days_in_ordinary_weeks(seed: int) -> None:
    simulation = simulated(seed, False)
    city = simulation.city
    dsd = city.channel == CHANNEL_DSD
    route = simulation.route_day[:, dsd]
    delivered = simulation.received[:, dsd] > 0
    assert not (delivered & ~route).any(), "no brand truck off its route days"
    assert (simulation.dsd_visit[:, dsd] == route).all(), "every stop made in ordinary weeks"
    morning = opening(simulation)[:, dsd] + simulation.received[:, dsd]
    below = route & (opening(simulation)[:, dsd] < city.par[dsd][None, :])
    at_par = morning[below] == np.broadcast_to(city.par[dsd], route.shape)[below]
    assert at_par.mean() > 0.9, "the driver tops the shelf up to par"
    supermarket_daily = (
        dsd
        & (city.line_kind == KIND_SUPERMARKET)
        & np.isin(city.lines["product"], ("milk", "steamed_buns"))
    )
    assert simulation.route_day[:, supermarket_daily].all(), "milk and buns daily to big stores"
    small = dsd & (city.line_kind == KIND_OTHER)
    assert 1 <= city.route_weekday[small].sum(axis=1).min()
    assert city.route_weekday[small].sum(axis=1).max() <= 3, "small shops 1-3 visits a week"


@pytest.mark.parametrize("seed", SEEDS)
def test_in_the_shortage_stops_are_missed_and_par_fills_fall(seed: int) -> None:
    simulation = simulated(seed, True)
    city, history, plan = simulation.city, simulation.history, simulation.plan
    start = history.event_start
    assert start is not None
    dsd = city.channel == CHANNEL_DSD
    missed = simulation.route_day & ~simulation.dsd_visit
    assert not missed[:start].any()
    event = slice(start, history.reported_days)
    small, big = dsd & (city.line_kind == KIND_OTHER), dsd & (city.line_kind == KIND_SUPERMARKET)
    assert missed[event][:, dsd].sum() / simulation.route_day[event][:, dsd].sum() > 0.2
    first_days = slice(start, start + plan.build_days // 2)
    early_small = (
        missed[first_days][:, small].sum() / simulation.route_day[first_days][:, small].sum()
    )
    early_big = missed[first_days][:, big].sum() / simulation.route_day[first_days][:, big].sum()
    assert early_small > early_big, "small stores lose their stops first"
    need = np.maximum(city.par[None, :] - opening(simulation), 0)
    visited = simulation.dsd_visit & dsd[None, :] & (need > 0)
    fill = simulation.received / np.where(need > 0, need, 1)
    worst = slice(start + plan.build_days, plan.recovery[0] - WARM_UP_DAYS)
    assert fill[:start][visited[:start]].mean() > 0.95
    assert 0.4 < fill[worst][visited[worst]].mean() < 0.85, "trucks run part-loaded"


@pytest.mark.parametrize("seed", SEEDS)
def test_far_districts_are_hit_harder_than_the_core_and_markets_barely(seed: int) -> None:
    simulation, calm = simulated(seed, True), simulated(seed, False).history
    city, history = simulation.city, simulation.history
    assert history.event_start is not None
    event = slice(history.event_start, history.reported_days)
    remote = city.store_remoteness[city.line_store]
    market = city.line_kind == KIND_MARKET
    core, far = (remote == 0) & ~market, (remote >= 0.8) & ~market
    assert out_share(history, event, far) > out_share(history, event, core) + 0.03
    assert history.disrupted[far].mean() > history.disrupted[core].mean() + 0.15
    assert not history.disrupted[market].any()
    market_rise = out_share(history, event, market) - out_share(calm, event, market)
    shop_rise = out_share(history, event, ~market) - out_share(calm, event, ~market)
    assert market_rise < 0.05 and shop_rise > 0.1
    for channel in (CHANNEL_DSD, CHANNEL_DC, CHANNEL_CASH_CARRY):
        lines = city.channel == channel
        assert out_share(history, event, lines) > out_share(calm, event, lines) + 0.08


@pytest.mark.parametrize("seed", SEEDS)
def test_stock_outs_rise_in_the_event_from_ordinary_levels(seed: int) -> None:
    event_run, calm = simulated(seed, True).history, simulated(seed, False).history
    assert event_run.event_start is not None
    everything = np.ones(calm.line_count, dtype=bool)
    ordinary = out_share(calm, slice(0, calm.reported_days), everything)
    assert 0.01 < ordinary < 0.08
    event = slice(event_run.event_start, event_run.reported_days)
    assert out_share(event_run, event, everything) > 3 * out_share(calm, event, everything)


@pytest.mark.parametrize("seed", SEEDS)
def test_panic_lifts_staples_then_a_lasting_tenth(seed: int) -> None:
    simulation = simulated(seed, True)
    plan, city = simulation.plan, simulation.city
    first, last = plan.panic
    assert 2 <= last - first <= 4
    staple = city.staple
    assert set(city.lines["product"][staple]) >= {"milk", "steamed_buns", "eggs", "rice"}
    panic = plan.demand[first:last][:, staple]
    assert panic.min() >= 1.5 and panic.max() <= 2.5
    assert (plan.demand[last:, staple] == 1.1).all()
    assert (plan.demand[:, ~staple] == 1.0).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_reports_skip_days_miscount_and_spoilage_breaks_the_stock_identity(seed: int) -> None:
    simulation = simulated(seed, True)
    history, city = simulation.history, simulation.city
    posted = history.reported
    assert 0.85 < posted.mean() < 0.99
    assert np.isnan(history.stock[~posted]).all() and np.isnan(history.sales[~posted]).all()
    per_store = pd.DataFrame(posted.T).groupby(city.line_store).nunique()
    assert (per_store.max(axis=1) == 1).all(), "a store posts all its lines or none"
    assert np.isnan(history.received[:, city.line_kind == KIND_MARKET]).all()
    receipts = ~np.isnan(history.received[posted])
    assert 0.1 < receipts.mean() < 0.8
    both = posted[1:] & posted[:-1] & ~np.isnan(history.received[1:])
    gap = history.stock[1:] - history.stock[:-1] - history.received[1:] + history.sales[1:]
    assert 0.02 < (np.abs(gap[both]) > 1e-9).mean() < 0.5, "spoilage and miscounts show"
    assert simulation.spoilage.sum() > 0
    exact = history.stock[posted] == history.true_stock[posted]
    assert 0.6 < exact.mean() < 1.0
