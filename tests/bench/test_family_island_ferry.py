"""The island-ferry scenario family: deterministic, well-formed, physically consistent,
ferry goods only after sailings, and a typhoon that keeps the ships in port, floods some
townships, cuts off islets and leaves a backlog of partial loads."""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from bench.families._island_ferry_event import disrupted_lines
from bench.families._island_ferry_island import (
    CHAINS,
    CHANNEL_CONSIGNMENT,
    CHANNEL_LOCAL_DAILY,
    CHANNEL_MARKET_FERRY,
    CHANNEL_VAN,
    KIND_MARKET,
    KIND_SUPERMARKET,
    SAILING_WEEKDAYS,
    SOURCE_FARM,
    SOURCE_FERRY,
    TOWNS,
)
from bench.families.island_ferry import IslandFerrySimulation, generate, simulate
from bench.families.model import STORE_KINDS
from tests.bench.family_checks import assert_same_history, assert_same_until, weekdays

SEEDS = (1, 2)


@cache
def simulated(seed: int, emergency: bool) -> IslandFerrySimulation:
    """One simulation per seed and variant, shared by the tests (each takes well under 1 s)."""
    return simulate(seed, emergency=emergency)


def test_a_seed_always_gives_the_same_island() -> None:
    assert_same_history(generate(7), generate(7))
    np.testing.assert_array_equal(generate(7).disrupted, generate(7).disrupted)
    assert_same_history(generate(7, emergency=False), generate(7, emergency=False))


def test_different_seeds_give_different_islands() -> None:
    first, second = simulated(1, True).history, simulated(2, True).history
    assert not first.lines.equals(second.lines)


@pytest.mark.parametrize("seed", (1, 2, 3))
def test_seeds_give_histories_of_the_agreed_shape(seed: int) -> None:
    history = generate(seed)
    history.check()
    assert history.family == "island_ferry"
    assert 50 <= len(history.stores) <= 70
    assert 1_500 <= history.line_count <= 2_200
    assert history.event_start is not None and 25 <= history.event_start <= 32
    assert 48 <= history.reported_days <= 54
    assert history.follow_up_days == 10
    assert history.date_of(0).month in (7, 8), "typhoon season"
    assert set(history.stores["kind"]) == set(STORE_KINDS)
    assert history.stores["code"].str.fullmatch(r"[A-Za-z0-9_.-]{1,64}").all()
    assert history.stores["code"].is_unique
    with (resources.files("service") / "data" / "districts.csv").open(encoding="utf-8") as file:
        districts = set(pd.read_csv(file, dtype={"code": str})["code"])
    assert set(history.stores["district"]) == districts, "the ten towns sit on the ten codes"
    with (resources.files("service") / "data" / "products.csv").open(encoding="utf-8") as file:
        assert history.lines["product"].isin(pd.read_csv(file)["code"]).all()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("emergency", (True, False))
def test_stock_is_yesterdays_plus_deliveries_minus_sales_and_spoilage(
    seed: int, emergency: bool
) -> None:
    simulation = simulated(seed, emergency)
    closing = simulation.history.true_stock
    opening = np.vstack([simulation.opening_stock[None, :], closing[:-1]])
    expected = opening + simulation.true_received - simulation.true_sales - simulation.spoilage
    np.testing.assert_allclose(closing, expected, atol=1e-6)
    assert (closing >= -1e-9).all()
    assert (simulation.true_sales <= simulation.demand + 1e-9).all()
    short = simulation.true_sales < simulation.demand - 1e-9
    assert (closing[short] <= 1e-9).all(), "demand is lost only on an emptied shelf"


@pytest.mark.parametrize("seed", SEEDS)
def test_without_the_typhoon_the_island_is_the_same_until_the_warning(seed: int) -> None:
    storm, calm = simulated(seed, True).history, simulated(seed, False).history
    assert calm.event_start is None and not calm.disrupted.any()
    assert storm.event_start is not None
    assert_same_until(storm, calm, days=storm.event_start)
    assert not np.array_equal(storm.true_stock, calm.true_stock)


@pytest.mark.parametrize("seed", SEEDS)
def test_ferry_goods_reach_shelves_only_the_day_after_a_booked_sailing(seed: int) -> None:
    simulation = simulated(seed, False)
    island, history = simulation.island, simulation.history
    weekday = weekdays(history)
    after_sailing = np.zeros(history.simulated_days, dtype=bool)
    after_sailing[1:] = np.isin(weekday[:-1], SAILING_WEEKDAYS)
    received = simulation.true_received
    consignment = island.channel == CHANNEL_CONSIGNMENT
    for store, booked in enumerate(island.store_consignment_weekdays):
        here = consignment & (island.line_store == store)
        if not here.any():
            continue
        allowed = np.zeros(history.simulated_days, dtype=bool)
        allowed[1:] = np.isin(weekday[:-1], booked)
        assert not (received[~allowed][:, here] > 0).any()
        assert (received[allowed][:, here] > 0).mean() > 0.6, "most sailings refill most lines"
    fruit = island.channel == CHANNEL_MARKET_FERRY
    assert not (received[~after_sailing][:, fruit] > 0).any()
    # the saw-tooth: consignment stock is highest on arrival days, lowest the evening before
    stock = history.true_stock[:, consignment]
    arrival = simulation.consignment_day[:, island.line_store[consignment]]
    before = np.zeros_like(arrival)
    before[:-1] = arrival[1:]
    assert stock[arrival].mean() > 1.3 * stock[before].mean()
    assert set(weekday[simulation.consignment_day.any(axis=1)]) <= {1, 3, 5}
    assert (simulation.deck_fill < 1).any(), "deck space is sometimes short"


@pytest.mark.parametrize("seed", SEEDS)
def test_nothing_ferry_borne_arrives_while_the_ferries_are_in_port(seed: int) -> None:
    simulation = simulated(seed, True)
    island, typhoon, received = simulation.island, simulation.typhoon, simulation.true_received
    start = simulation.history.event_start
    assert start is not None and 3 <= typhoon.cancel_days <= 8
    in_port = slice(start + 2, start + 2 + typhoon.cancel_days)
    assert not typhoon.sailing[start + 1 : start + 1 + typhoon.cancel_days].any()
    by_ship = np.isin(island.channel, (CHANNEL_CONSIGNMENT, CHANNEL_MARKET_FERRY))
    assert received[in_port][:, by_ship].sum() == 0
    fresh_by_van = (
        (island.channel == CHANNEL_VAN)
        & (island.line_source == SOURCE_FERRY)
        & (island.shelf_life < 120)
    )
    assert received[in_port][:, fresh_by_van].sum() == 0
    local = island.channel == CHANNEL_LOCAL_DAILY
    assert received[in_port][:, local].sum() > 0, "island farms and workshops still deliver"
    for town in typhoon.islets_cut:
        cut_days = typhoon.cut_off[:, town]
        assert cut_days.sum() >= typhoon.cancel_days
        here = island.line_town == town
        own_farm = (island.line_source == SOURCE_FARM) & (island.channel != CHANNEL_VAN)
        assert received[cut_days][:, here & ~own_farm].sum() == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_the_first_ships_after_the_storm_bring_partial_loads_staples_first(seed: int) -> None:
    storm, calm = simulated(seed, True), simulated(seed, False)
    island, typhoon = storm.island, storm.typhoon
    start = storm.history.event_start
    assert start is not None and 6 <= typhoon.backlog_days <= 9
    first = start + 2 + typhoon.cancel_days
    backlog = typhoon.ferry_fill[first : first + typhoon.backlog_days]
    assert (backlog < 1).all() and (np.diff(backlog, axis=0) >= 0).all()
    assert backlog[0, island.staple].mean() > backlog[0, ~island.staple].mean() + 0.15
    assert typhoon.sailing[first - 1], "an extra sailing clears the port"
    consignment = island.channel == CHANNEL_CONSIGNMENT
    arrived = storm.consignment_day[first, island.line_store] & consignment
    assert arrived.any()
    asked = storm.ordered[first, arrived]
    got = storm.true_received[first, arrived]
    assert (got <= asked + 0.5).all()
    assert got.sum() < 0.8 * asked.sum(), "the first ship carries part of each order"
    week = slice(first, first + typhoon.backlog_days)
    ordinary_fill = (
        calm.true_received[week, consignment].sum() / calm.ordered[week, consignment].sum()
    )
    backlog_fill = (
        storm.true_received[week, consignment].sum() / storm.ordered[week, consignment].sum()
    )
    assert backlog_fill < ordinary_fill - 0.15


@pytest.mark.parametrize("seed", SEEDS)
def test_stock_outs_rise_in_the_typhoon_and_least_in_inland_farm_townships(seed: int) -> None:
    storm, calm = simulated(seed, True).history, simulated(seed, False).history
    island = simulated(seed, True).island
    start = storm.event_start
    assert start is not None
    event = slice(start, storm.reported_days)
    out_storm = (storm.true_stock[event] <= 0).mean(axis=0)
    out_calm = (calm.true_stock[event] <= 0).mean(axis=0)
    assert out_storm.mean() > out_calm.mean() + 0.05
    disrupted = storm.disrupted
    assert (out_storm - out_calm)[disrupted].mean() > (out_storm - out_calm)[~disrupted].mean()
    inland = np.isin(island.line_town, [i for i, t in enumerate(TOWNS) if t.inland_farming])
    rise = out_storm - out_calm
    assert rise[inland].mean() < rise[~inland].mean()
    ordinary = calm.true_stock[: storm.reported_days] <= 0
    assert 0.01 <= ordinary.mean() <= 0.08
    for kind in STORE_KINDS:
        assert ordinary[:, island.line_kind == kind].mean() <= 0.1


@pytest.mark.parametrize("seed", SEEDS)
def test_panic_before_landfall_and_stranded_tourists_after(seed: int) -> None:
    typhoon, island = simulated(seed, True).typhoon, simulated(seed, True).island
    start = simulated(seed, True).history.event_start
    assert start is not None and 1 <= typhoon.panic_days <= 2
    panic = typhoon.demand[start : start + typhoon.panic_days]
    assert (panic[:, island.staple] >= 1.5).all() and (panic[:, island.staple] <= 4).all()
    assert typhoon.landfall[typhoon.landfall_start]
    coastal = np.array([t.coastal for t in TOWNS])
    lift = typhoon.stranded_lift[-1]
    assert ((lift[coastal] >= 0.1) & (lift[coastal] <= 0.3)).all()
    assert np.isnan(lift[~coastal]).all()
    inland_farm = np.array([t.inland_farming for t in TOWNS])
    assert (typhoon.source_share[:, inland_farm, SOURCE_FARM] >= 0.75).all()
    for town in typhoon.flooded:
        assert not TOWNS[town].inland_farming
        low = typhoon.source_share[:, town, SOURCE_FARM] <= 0.8
        assert low.sum() >= 7, "a flooded township loses 20-60 % of its farm supply a week"


@pytest.mark.parametrize("seed", SEEDS)
def test_disrupted_marks_lines_whose_supply_fell_below_half_for_three_days(seed: int) -> None:
    simulation = simulated(seed, True)
    island, typhoon, history = simulation.island, simulation.typhoon, simulation.history
    np.testing.assert_array_equal(history.disrupted, disrupted_lines(typhoon))
    by_ship = np.isin(island.channel, (CHANNEL_CONSIGNMENT, CHANNEL_MARKET_FERRY))
    assert history.disrupted[by_ship].all(), "every ship-borne line loses its ferries"
    dry_by_van = (
        (island.channel == CHANNEL_VAN)
        & (island.line_source == SOURCE_FERRY)
        & (island.shelf_life >= 120)
    )
    outside_islets = ~np.isin(island.line_town, typhoon.islets_cut)
    assert not history.disrupted[dry_by_van & outside_islets].any(), "the warehouse rations"
    assert 0.3 < history.disrupted.mean() < 0.8


@pytest.mark.parametrize("seed", SEEDS)
def test_reports_have_gaps_counting_errors_spoilage_and_optional_receipts(seed: int) -> None:
    simulation = simulated(seed, True)
    history, island = simulation.history, simulation.island
    posted = history.reported
    assert np.isnan(history.stock[~posted]).all() and np.isnan(history.sales[~posted]).all()
    assert 0.9 <= posted.mean() < 0.99
    per_store = pd.DataFrame(posted.T).groupby(island.line_store).nunique()
    assert (per_store.max(axis=1) == 1).all(), "a store posts all its lines or none"
    receipts = ~np.isnan(history.received[posted])
    assert 0.1 < receipts.mean() < 0.8
    assert np.isnan(history.received[:, island.line_kind == KIND_MARKET]).all()
    # spoilage: supermarkets count exactly, so dry goods add up and perishables do not
    keeps = (island.line_kind == KIND_SUPERMARKET) & island.store_reports_received[
        island.line_store
    ]
    both = posted[1:] & posted[:-1]
    residual = history.stock[1:] - (history.stock[:-1] + history.received[1:] - history.sales[1:])
    dry = keeps & (island.shelf_life >= 120)
    fresh = keeps & (island.shelf_life <= 7)
    assert (np.abs(residual[:, dry][both[:, dry]]) < 0.25).all()
    assert (np.abs(residual[:, fresh][both[:, fresh]]) > 0.25).mean() > 0.3
    exact = np.isclose(history.stock[posted], np.round(history.true_stock[posted], 1))
    assert 0.5 < exact.mean() < 1.0, "shops and markets count by hand"


def test_the_chains_book_sailings_the_ferry_makes() -> None:
    for _, booked in CHAINS:
        assert set(booked) <= set(SAILING_WEEKDAYS)
