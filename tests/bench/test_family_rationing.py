"""The rationing family: deterministic, well-formed, physically consistent, limits that cap
sales below demand, reserve goods only at designated stores on announced days, short hoarding
waves, and an import shock that empties grain and oil shelves while fresh food carries on."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from bench.families._rationing_city import (
    GRAIN_SHOP,
    MARKET,
    RESERVE_PRODUCTS,
    SUPERMARKET,
)
from bench.families.model import STORE_KINDS, CityHistory
from bench.families.rationing import RationingSimulation, generate, simulate
from tests.bench.family_checks import (
    assert_city_from_the_catalogue,
    assert_same_history,
    assert_same_until,
)

SEEDS = (1, 2)
LASTING_LIFT = 1.35
"""Above every lasting demand lift of the event (at most 1.3×): only waves reach it."""


@cache
def simulated(seed: int, emergency: bool) -> RationingSimulation:
    """One simulation per seed and variant, shared by the tests (each under a second)."""
    return simulate(seed, emergency=emergency)


def opening(simulation: RationingSimulation) -> np.ndarray:
    """(days, lines) true stock at the start of each day, before deliveries."""
    closing = simulation.history.true_stock
    return np.vstack([simulation.opening_stock[None, :], closing[:-1]])


def out_share(history: CityHistory, days: slice, lines: np.ndarray) -> float:
    """Share of line-days with true stock ≤ 0."""
    return float((history.true_stock[days][:, lines] <= 0).mean())


def event_days(history: CityHistory) -> slice:
    """The reported days from the event's start."""
    assert history.event_start is not None
    return slice(history.event_start, history.reported_days)


def test_a_seed_always_gives_the_same_city() -> None:
    assert_same_history(generate(7), generate(7))
    assert_same_history(generate(7, emergency=False), generate(7, emergency=False))


def test_different_seeds_give_different_cities() -> None:
    assert not simulated(1, True).history.lines.equals(simulated(2, True).history.lines)


@pytest.mark.parametrize("seed", (1, 2, 3))
def test_seeds_give_histories_of_the_agreed_shape(seed: int) -> None:
    history = generate(seed)
    history.check()
    assert history.family == "rationing"
    assert 55 <= len(history.stores) <= 75
    assert 1_500 <= history.line_count <= 2_200
    assert history.event_start is not None and 26 <= history.event_start <= 32
    assert 49 <= history.reported_days <= 54
    assert history.follow_up_days == 10
    assert set(history.stores["kind"]) == set(STORE_KINDS)
    assert history.stores["code"].str.fullmatch(r"[A-Za-z0-9_.-]{1,64}").all()
    assert history.stores["code"].is_unique
    assert_city_from_the_catalogue(history)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("emergency", (True, False))
def test_stock_is_yesterdays_plus_deliveries_minus_sales_and_spoilage(
    seed: int, emergency: bool
) -> None:
    simulation = simulated(seed, emergency)
    closing = simulation.history.true_stock
    expected = opening(simulation) + simulation.received - simulation.sales - simulation.spoilage
    np.testing.assert_allclose(closing, expected, atol=1e-9)
    assert (closing >= 0).all()
    assert (simulation.sales <= simulation.demand).all()
    limited = simulation.plan_days(simulation.plan.limited)
    cap = simulation.city.limit * np.where(limited, simulation.buyers, np.inf)
    short = simulation.sales < simulation.demand
    explained = (closing == 0) | (limited & (simulation.sales == cap))
    assert explained[short].all(), "demand goes unserved only on an empty shelf or at the limit"


@pytest.mark.parametrize("seed", SEEDS)
def test_without_the_event_the_city_is_the_same_until_it_starts(seed: int) -> None:
    event, calm = simulated(seed, True).history, simulated(seed, False).history
    assert calm.event_start is None and not calm.disrupted.any()
    start = event.event_start
    assert start is not None
    assert_same_until(event, calm, days=start)
    assert not np.array_equal(event.true_stock[start:], calm.true_stock[start:])
    assert not simulated(seed, False).plan_days(simulated(seed, False).plan.limited).any()
    assert not simulated(seed, False).reserve.any()


@pytest.mark.parametrize("seed", SEEDS)
def test_purchase_limits_cap_recorded_sales_below_demand(seed: int) -> None:
    simulation = simulated(seed, True)
    city, plan, history = simulation.city, simulation.plan, simulation.history
    limited = simulation.plan_days(plan.limited)
    first, lifted = (simulation.history_day(day) for day in plan.limits)
    assert plan.announced is not None and history.event_start is not None
    assert history.event_start < first == simulation.history_day(plan.announced) + 1
    assert not limited[:first].any() and not limited[lifted:].any()
    assert limited[first:lifted].any(axis=0).sum() > 0
    capped_lines = limited.any(axis=0)
    assert set(city.product[capped_lines]) <= {
        "rice",
        "flour",
        "noodles_dry",
        "soybean_oil",
        "blended_oil",
        "rapeseed_oil",
        "peanut_oil",
    }
    assert city.enforces_limit[city.line_store][capped_lines].all()
    cap = np.where(limited, np.nan_to_num(city.limit, posinf=0.0) * simulation.buyers, np.inf)
    assert (simulation.sales <= cap + 1e-9).all()
    # What the supermarkets' tills record obeys the limit too, and falls short of demand.
    till = history.reported & limited & (city.line_type == SUPERMARKET)[None, :]
    assert (history.sales[till] <= cap[till] + 1e-9).all()
    in_stock = history.true_stock > 0
    at_limit = limited & in_stock & (simulation.sales < simulation.demand)
    assert at_limit.sum() > 0.03 * limited.sum(), "the limit binds on shelves still stocked"
    assert simulation.sales[limited].sum() < 0.9 * simulation.demand[limited].sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_reserve_goods_reach_only_designated_stores_on_announced_days(seed: int) -> None:
    simulation = simulated(seed, True)
    city, plan, history = simulation.city, simulation.plan, simulation.history
    release = [simulation.history_day(day) for day in plan.release_days]
    assert plan.announced is not None
    assert len(release) >= 2 and release[0] > simulation.history_day(plan.announced)
    assert np.all(np.diff(release) == 7), "a weekly timetable"
    delivered = simulation.reserve > 0
    assert set(np.flatnonzero(delivered.any(axis=1))) <= set(release)
    assert not delivered[:, ~city.reserve_line].any()
    assert city.designated[city.line_store][delivered.any(axis=0)].all()
    assert set(city.product[delivered.any(axis=0)]) <= set(RESERVE_PRODUCTS)
    assert (simulation.reserve <= city.reserve_quota[None, :] + 1e-9).all()
    in_history = [day for day in release if day < history.simulated_days]
    quota = np.broadcast_to(city.reserve_quota, simulation.reserve.shape)
    given = simulation.reserve[in_history][:, city.reserve_line]
    share = given.sum() / quota[in_history][:, city.reserve_line].sum()
    assert 0.6 <= share < 0.95, "partial fills"
    assert (simulation.received >= simulation.reserve).all()
    # Every district has a designated store, and the grain bureau's ledger shows receipts.
    designated_stores = city.stores[city.designated]
    assert set(designated_stores["district"]) == set(city.stores["district"])
    posted = history.reported[:, city.reserve_line]
    assert not np.isnan(history.received[:, city.reserve_line][posted]).any()


@pytest.mark.parametrize("seed", SEEDS)
def test_hoarding_waves_are_short_sharp_and_some_hit_goods_that_are_not_short(seed: int) -> None:
    simulation, calm = simulated(seed, True), simulated(seed, False)
    city, plan = simulation.city, simulation.plan
    waves = plan.waves
    assert len(waves) >= 3
    not_short = [
        (city.import_share[np.isin(city.product, wave.products)] == 0).all() for wave in waves
    ]
    assert any(not_short), "a rumour about goods the port does not bring"
    assert plan.start is not None and waves[0].first == plan.start
    for wave in waves:
        assert 1 <= wave.length <= 3
        lines = np.isin(city.product, wave.products)
        first = simulation.history_day(wave.first)
        # Lasting lifts (reserve goods drawing shoppers, substitutes) stay at or below 1.3×.
        lifted_days = np.flatnonzero((plan.demand[:, lines] > LASTING_LIFT).any(axis=1))
        assert lifted_days.size, "the wave lifts demand"
        runs = np.split(lifted_days, np.flatnonzero(np.diff(lifted_days) > 1) + 1)
        assert max(len(run) for run in runs) <= 3, "no surge lasts beyond three days"
        peak = simulation.demand[first, lines].sum() / calm.demand[first, lines].sum()
        assert peak > 1.5
        after = first + wave.length
        settled = simulation.demand[after : after + 3, lines].sum()
        assert settled < 1.2 * calm.demand[after : after + 3, lines].sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_the_shock_empties_grain_and_oil_while_fresh_food_carries_on(seed: int) -> None:
    simulation, calm_run = simulated(seed, True), simulated(seed, False)
    city, history, calm = simulation.city, simulation.history, calm_run.history
    event = event_days(history)
    imported = city.import_share > 0
    assert out_share(history, event, imported) > out_share(calm, event, imported) + 0.15
    fresh = (city.shelf_life <= 30) & ~imported
    assert out_share(history, event, fresh) < out_share(calm, event, fresh) + 0.06
    elsewhere = imported & ~city.designated[city.line_store]
    assert out_share(history, event, city.reserve_line) < out_share(history, event, elsewhere)
    assert history.disrupted.any() and not history.disrupted[~imported].any()
    staples = np.isin(city.product, ("rice", "flour", "soybean_oil", "blended_oil"))
    assert history.disrupted[staples].all()
    # Supermarkets' fresh lines still get their DC deliveries on most event days.
    daily = fresh & (city.line_type == SUPERMARKET) & (city.review_period == 1)
    came = simulation.received[event][:, daily] > 0
    assert came.mean() > 0.75
    grain_shops = city.line_type == GRAIN_SHOP
    assert out_share(history, event, grain_shops) > 3 * out_share(calm, event, grain_shops)


@pytest.mark.parametrize("seed", SEEDS)
def test_stock_outs_rise_in_the_event_from_ordinary_levels(seed: int) -> None:
    event_run, calm = simulated(seed, True).history, simulated(seed, False).history
    everything = np.ones(calm.line_count, dtype=bool)
    ordinary = out_share(calm, slice(0, calm.reported_days), everything)
    assert 0.01 < ordinary < 0.08
    event = event_days(event_run)
    assert out_share(event_run, event, everything) > 2 * out_share(calm, event, everything)


@pytest.mark.parametrize("seed", SEEDS)
def test_reports_skip_days_miscount_and_spoilage_breaks_the_stock_identity(seed: int) -> None:
    simulation = simulated(seed, True)
    history, city = simulation.history, simulation.city
    posted = history.reported
    assert 0.88 < posted.mean() < 0.99
    assert np.isnan(history.stock[~posted]).all() and np.isnan(history.sales[~posted]).all()
    per_store = pd.DataFrame(posted.T).groupby(city.line_store).nunique()
    assert (per_store.max(axis=1) == 1).all(), "a store posts all its lines or none"
    assert np.isnan(history.received[:, city.line_type == MARKET]).all()
    receipts = ~np.isnan(history.received[posted])
    assert 0.2 < receipts.mean() < 0.9
    both = posted[1:] & posted[:-1] & ~np.isnan(history.received[1:])
    gap = history.stock[1:] - history.stock[:-1] - history.received[1:] + history.sales[1:]
    assert 0.01 < (np.abs(gap[both]) > 1e-9).mean() < 0.5, "spoilage and miscounts show"
    assert simulation.spoilage.sum() > 0
    exact = history.stock[posted] == history.true_stock[posted]
    assert 0.6 < exact.mean() < 1.0
    assert (history.price[posted] > 0).all()
