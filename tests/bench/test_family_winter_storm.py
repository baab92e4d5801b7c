"""The winter-storm family: deterministic, well-formed, physically consistent, DC trucks on
their fixed weekdays and none while the roads are closed, panic buying before landfall,
dark stores that throw out their chilled stock, and a storm that empties shelves hardest
where it hits hardest."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from bench.families._winter_storm_city import (
    CHAIN_STORE_TYPES,
    DC_DAILY,
    DC_SCHEDULED,
    DIRECT_STORE_DELIVERY,
    GREENGROCER,
    WHOLESALER,
)
from bench.families._winter_storm_event import HARD, LIGHT
from bench.families.model import CityHistory
from bench.families.winter_storm import WinterStormSimulation, generate, simulate
from tests.bench.family_checks import (
    assert_city_from_the_catalogue,
    assert_same_history,
    assert_same_until,
    weekdays,
)

SEEDS = (1, 2)


@cache
def simulated(seed: int, emergency: bool) -> WinterStormSimulation:
    """One simulation per seed and variant, shared by the tests (each well under a second)."""
    return simulate(seed, emergency=emergency)


def opening(simulation: WinterStormSimulation) -> np.ndarray:
    """(days, lines) true stock at the start of each day, before deliveries."""
    closing = simulation.history.true_stock
    return np.vstack([simulation.opening_stock[None, :], closing[:-1]])


def out_share(history: CityHistory, days: slice, lines: np.ndarray) -> float:
    """Share of line-days with true stock ≤ 0."""
    return float((history.true_stock[days][:, lines] <= 0).mean())


def storm_days(history: CityHistory) -> slice:
    """The reported days from the storm's announcement."""
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
    assert history.family == "winter_storm"
    assert 50 <= len(history.stores) <= 75
    assert 1_500 <= history.line_count <= 2_500
    assert history.event_start is not None and 26 <= history.event_start <= 30
    assert 16 <= history.reported_days - history.event_start <= 21
    assert history.follow_up_days == 10
    assert set(history.stores["kind"]) <= {"supermarket", "other", "farmers_market"}
    assert history.stores["code"].str.fullmatch(r"[A-Za-z0-9_.-]{1,64}").all()
    assert history.stores["code"].is_unique
    assert history.first_date.month in (12, 1)
    assert_city_from_the_catalogue(history)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("emergency", (True, False))
def test_stock_is_yesterdays_plus_deliveries_minus_sales_and_losses(
    seed: int, emergency: bool
) -> None:
    simulation = simulated(seed, emergency)
    closing = simulation.history.true_stock
    expected = opening(simulation) + simulation.received - simulation.sales - simulation.loss
    np.testing.assert_allclose(closing, expected, atol=1e-9)
    assert (closing >= 0).all() and (simulation.loss >= 0).all()
    assert (simulation.sales <= simulation.demand).all()
    short = simulation.sales < simulation.demand
    explained = (closing <= 1e-9) | simulation.late
    assert explained[short].all(), "demand goes unserved on an empty shelf or before a late truck"


@pytest.mark.parametrize("seed", SEEDS)
def test_without_the_storm_the_city_is_the_same_until_it_is_announced(seed: int) -> None:
    storm, calm = simulated(seed, True).history, simulated(seed, False).history
    assert calm.event_start is None and not calm.disrupted.any()
    start = storm.event_start
    assert start is not None
    assert_same_until(storm, calm, days=start)
    assert not np.array_equal(storm.true_stock[start:], calm.true_stock[start:])
    assert not simulated(seed, False).plan.roads_closed.any()


@pytest.mark.parametrize("seed", SEEDS)
def test_each_channel_feeds_its_own_lines(seed: int) -> None:
    simulation = simulated(seed, False)
    city = simulation.city
    chain = np.isin(city.line_type, CHAIN_STORE_TYPES)
    assert (city.channel[~chain] == WHOLESALER).all()
    assert set(city.channel[chain]) == {DC_SCHEDULED, DC_DAILY, DIRECT_STORE_DELIVERY}
    for name, channel in (
        ("dc_received", (DC_SCHEDULED, DC_DAILY)),
        ("vendor_received", (DIRECT_STORE_DELIVERY,)),
        ("wholesale_received", (WHOLESALER,)),
    ):
        arrived = getattr(simulation, name).sum(axis=0) > 0
        assert np.isin(city.channel[arrived], channel).all(), name
    daily = city.channel == DC_DAILY
    assert (simulation.dc_received[:, daily] > 0).mean() > 0.6, "produce and meat come nightly"


@pytest.mark.parametrize("seed", SEEDS)
def test_dc_trucks_come_only_on_the_stores_fixed_weekdays_in_ordinary_weeks(seed: int) -> None:
    for emergency in (False, True):
        simulation = simulated(seed, emergency)
        history, city = simulation.history, simulation.city
        days = history.event_start if emergency else history.simulated_days
        scheduled = city.channel == DC_SCHEDULED
        weekday = weekdays(history)[:days]
        route_day = city.delivery_weekdays[city.line_store][:, weekday].T[:, scheduled]
        came = simulation.dc_received[:days, scheduled] > 0
        assert not came[~route_day].any(), "a DC truck off the store's route days"
        assert came[route_day].mean() > 0.6
    trucks = city.delivery_weekdays[np.isin(city.store_type, CHAIN_STORE_TYPES)].sum(axis=1)
    assert set(trucks) <= {2, 3}


@pytest.mark.parametrize("seed", SEEDS)
def test_no_dc_truck_runs_while_the_roads_are_closed(seed: int) -> None:
    simulation, calm = simulated(seed, True), simulated(seed, False)
    city, plan = simulation.city, simulation.plan
    closed = simulation.plan_days(plan.roads_closed)[:, city.line_store]
    assert closed.any()
    assert not (simulation.dc_received[closed] > 0).any()
    direct = (city.channel == DIRECT_STORE_DELIVERY)[None, :] & closed
    assert (simulation.vendor_received[direct] > 0).sum() < (calm.vendor_received[direct] > 0).sum()
    hard = plan.severity == HARD
    light = plan.severity == LIGHT
    assert plan.reopen[hard].min() > plan.reopen[light].max(), "hard-hit districts reopen later"
    # Once roads and power are back the DC sends a recovery truck to every chain store,
    # route day or not.
    recovery = simulation.plan_days(plan.recovery_truck)[:, city.line_store]
    recovery &= (city.channel == DC_SCHEDULED)[None, :]
    assert recovery.any()
    assert (simulation.dc_received[recovery] > 0).mean() > 0.7


@pytest.mark.parametrize("seed", SEEDS)
def test_shoppers_clear_the_storm_goods_before_landfall(seed: int) -> None:
    simulation, calm = simulated(seed, True), simulated(seed, False)
    city, plan = simulation.city, simulation.plan
    assert plan.landfall is not None and plan.announced is not None
    assert 2 <= plan.landfall - plan.announced <= 3
    eve = simulation.history_day(plan.landfall) - 1
    storm_goods = city.panic_group >= 0
    surge = simulation.demand[eve, storm_goods].sum() / calm.demand[eve, storm_goods].sum()
    assert 1.8 < surge < 4.5
    others = ~storm_goods
    assert simulation.demand[eve, others].sum() < 1.3 * calm.demand[eve, others].sum()
    bread_milk_eggs = np.isin(city.product, ("steamed_buns", "milk", "eggs"))
    window = slice(eve - 1, eve + 4)
    assert out_share(simulation.history, window, bread_milk_eggs) > 2 * out_share(
        calm.history, window, bread_milk_eggs
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_dark_stores_sell_nothing_and_throw_out_their_chilled_stock(seed: int) -> None:
    simulation = simulated(seed, True)
    city, plan, history = simulation.city, simulation.plan, simulation.history
    dark = simulation.plan_days(plan.powerless)[: history.simulated_days]
    assert dark.any()
    dark_lines = dark[:, city.line_store]
    assert (simulation.sales[dark_lines] == 0).all()
    first_dark = simulation.plan_days(plan.chilled_lost)[:, city.line_store] & city.chilled
    assert first_dark.any()
    assert (history.true_stock[first_dark] == 0).all()
    assert history.reported[dark_lines].mean() < 0.4, "most dark stores post nothing"
    assert plan.severity[city.store_district[dark.any(axis=0)]].max() == HARD


@pytest.mark.parametrize("seed", SEEDS)
def test_the_storm_empties_shelves_hardest_where_it_hits_hardest(seed: int) -> None:
    storm_run, calm_run = simulated(seed, True), simulated(seed, False)
    storm, calm, city = storm_run.history, calm_run.history, storm_run.city
    everything = np.ones(calm.line_count, dtype=bool)
    ordinary = out_share(calm, slice(0, calm.reported_days), everything)
    assert 0.02 < ordinary < 0.08
    days = storm_days(storm)
    assert out_share(storm, days, everything) > 2.5 * out_share(calm, days, everything)
    severity = storm_run.plan.severity[city.store_district[city.line_store]]
    assert out_share(storm, days, severity == HARD) > out_share(storm, days, severity == LIGHT)
    assert out_share(storm, days, storm.disrupted) > out_share(storm, days, ~storm.disrupted)
    assert storm.disrupted.any() and not storm.disrupted.all()


@pytest.mark.parametrize("seed", SEEDS)
def test_reports_skip_days_miscount_and_losses_break_the_stock_identity(seed: int) -> None:
    simulation = simulated(seed, True)
    history, city = simulation.history, simulation.city
    posted = history.reported
    assert 0.88 < posted.mean() < 0.99
    assert np.isnan(history.stock[~posted]).all() and np.isnan(history.sales[~posted]).all()
    per_store = pd.DataFrame(posted.T).groupby(city.line_store).nunique()
    assert (per_store.max(axis=1) == 1).all(), "a store posts all its lines or none"
    assert np.isnan(history.received[:, city.line_type == GREENGROCER]).all()
    receipts = ~np.isnan(history.received[posted])
    assert 0.2 < receipts.mean() < 0.9
    both = posted[1:] & posted[:-1] & ~np.isnan(history.received[1:])
    gap = history.stock[1:] - history.stock[:-1] - history.received[1:] + history.sales[1:]
    assert 0.05 < (np.abs(gap[both]) > 1e-6).mean() < 0.95, "spoilage and miscounts show"
    chain = np.isin(city.line_type, CHAIN_STORE_TYPES)[None, :] & posted
    phantom = history.stock[chain] > history.true_stock[chain] + 0.5
    assert 0.0 < phantom.mean() < 0.2, "the chain's system misses some shrink"
    assert (history.price[posted] > 0).all()
