"""The wholesale-hub scenario family: deterministic, well-formed, physically consistent, and
shaped like its description (the market closure starves the stalls, one chain's DC outage
hits its stores in every district, shop owners' cash runs short, stock-outs rise)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from bench.families._wholesale_hub_city import (
    CHANNEL_NIGHT_MARKET,
    CHANNEL_TRIP_MARKET,
    CHANNEL_WORKSHOP,
    KIND_SHOP,
    KIND_STALLS,
    KIND_SUPERMARKET,
    read_catalogue,
    read_districts,
)
from bench.families.model import STORE_KINDS, CityHistory
from bench.families.wholesale_hub import (
    FOLLOW_UP_DAYS,
    WARM_UP_DAYS,
    Simulation,
    generate,
    simulate,
)
from tests.bench.family_checks import assert_same_history

SEEDS = (1, 2)


@cache
def simulated(seed: int, emergency: bool) -> Simulation:
    """One simulation per seed and variant, shared by the tests (each takes a fraction of a
    second)."""
    return simulate(seed, emergency=emergency)


def event_days(history: CityHistory) -> slice:
    """The reported days of the emergency."""
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
    assert history.family == "wholesale_hub"
    assert 50 <= len(history.stores) <= 70
    assert 1_500 <= history.line_count <= 2_200
    assert history.event_start is not None and 25 <= history.event_start <= 30
    assert 45 <= history.reported_days <= 55
    assert history.follow_up_days == FOLLOW_UP_DAYS == 10
    assert set(history.stores["kind"]) == set(STORE_KINDS)
    assert history.stores["code"].str.fullmatch(r"[A-Za-z0-9_.-]{1,64}").all()
    assert history.stores["code"].is_unique
    assert set(history.stores["district"]) <= set(read_districts()["code"])
    assert history.lines["product"].isin(read_catalogue()["code"]).all()
    for name in ("stock", "sales", "price", "received", "true_stock"):
        assert getattr(history, name).dtype == np.float64, name
    assert history.reported.dtype == bool and history.disrupted.dtype == bool


@pytest.mark.parametrize("seed", SEEDS)
def test_assortments_follow_the_store_kind(seed: int) -> None:
    city = simulated(seed, False).city
    catalogue = read_catalogue().set_index("code")
    category = catalogue.loc[city.lines["product"], "category"].to_numpy()
    stall = city.line_kind == KIND_STALLS
    assert set(category[stall]) <= {"vegetables", "fruit", "meat", "eggs", "grain"}
    assert set(city.lines["product"][stall & (category == "grain")]) <= {"steamed_buns"}
    assert not city.lines["product"][stall].isin(["hairtail", "ham_sausage"]).any()
    per_store = city.lines.groupby("store").size()
    kinds = city.stores.set_index("code")["kind"]
    assert per_store[kinds[kinds == "supermarket"].index].min() >= 34
    assert per_store[kinds[kinds == "other"].index].max() <= 21
    chains = city.stores.loc[city.stores["kind"] == "supermarket", "chain"]
    assert chains.nunique() == 3


def test_the_ordinary_city_is_the_same_city_without_an_event() -> None:
    crisis, calm = simulated(1, True), simulated(1, False)
    history, ordinary = crisis.history, calm.history
    assert ordinary.event_start is None
    assert not ordinary.disrupted.any()
    assert history.disrupted.any()
    pd.testing.assert_frame_equal(history.lines, ordinary.lines)
    assert history.event_start is not None
    before = slice(0, history.event_start)
    for name in ("stock", "sales", "price", "received", "reported", "true_stock"):
        np.testing.assert_array_equal(
            getattr(history, name)[before], getattr(ordinary, name)[before], err_msg=name
        )
    after = event_days(history)
    assert not np.array_equal(history.true_stock[after], ordinary.true_stock[after])


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
    assert (closing[short] <= 1e-6).all(), "demand is lost only on an emptied shelf"


@pytest.mark.parametrize("seed", SEEDS)
def test_spoilage_breaks_the_stock_identity_of_perishables(seed: int) -> None:
    simulation = simulated(seed, False)
    life = read_catalogue().set_index("code").loc[simulation.city.lines["product"]]
    perishable = life["shelf_life_days"].to_numpy() <= 7
    spoiled = simulation.spoilage[:, perishable]
    assert (spoiled > 0).mean() > 0.3
    assert (simulation.spoilage[:, life["shelf_life_days"].to_numpy() >= 180] == 0).all()
    history = simulation.history
    posted = history.reported[1:] & history.reported[:-1] & ~np.isnan(history.received[1:])
    gap = history.stock[:-1] + history.received[1:] - history.sales[1:] - history.stock[1:]
    assert (gap[:, perishable][posted[:, perishable]] > 0.05).mean() > 0.2


@pytest.mark.parametrize("seed", SEEDS)
def test_stores_skip_whole_days_and_only_some_report_receipts(seed: int) -> None:
    history, city = simulated(seed, True).history, simulated(seed, True).city
    reported = history.reported[: history.reported_days]
    assert 0.88 <= reported.mean() <= 0.99
    for store in range(len(city.stores)):
        own = reported[:, city.line_store == store]
        assert (own.all(axis=1) | ~own.any(axis=1)).all(), "a store posts all lines or none"
    assert np.isnan(history.stock[~history.reported]).all()
    stall = city.line_kind == KIND_STALLS
    assert np.isnan(history.received[:, stall]).all(), "wet markets keep no receipts"
    receipts = ~np.isnan(history.received[history.reported])
    assert 0.2 < receipts.mean() < 0.8


@pytest.mark.parametrize("seed", SEEDS)
def test_the_market_closure_cuts_the_stalls_fresh_deliveries(seed: int) -> None:
    crisis, calm = simulated(seed, True), simulated(seed, False)
    city, event = crisis.city, crisis.event
    closed = event.market_closed[WARM_UP_DAYS:]
    assert 4 <= closed.sum() <= 12
    open_district = ~event.lockdown[city.line_district]
    stall_market = (city.channel == CHANNEL_NIGHT_MARKET) & open_district
    got = crisis.true_received[np.ix_(closed, stall_market)].sum()
    usual = calm.true_received[np.ix_(closed, stall_market)].sum()
    assert got < 0.6 * usual
    workshop = (city.channel == CHANNEL_WORKSHOP) & open_district
    if workshop.any():
        assert crisis.true_received[np.ix_(closed, workshop)].sum() > 0.8 * (
            calm.true_received[np.ix_(closed, workshop)].sum()
        )
    assert crisis.history.disrupted[city.channel == CHANNEL_NIGHT_MARKET].all()


@pytest.mark.parametrize("seed", SEEDS)
def test_the_dc_outage_hits_one_chain_in_every_district_it_serves(seed: int) -> None:
    crisis, calm = simulated(seed, True), simulated(seed, False)
    city, event = crisis.city, crisis.event
    closed = event.dc_closed[WARM_UP_DAYS:]
    assert 5 <= closed.sum() <= 10
    chain_line = city.line_chain == event.dc_chain
    assert len(np.unique(city.line_district[chain_line])) >= 3
    got = crisis.true_received[np.ix_(closed, chain_line)].sum()
    assert got <= 0.2 * calm.true_received[np.ix_(closed, chain_line)].sum()
    others = (
        (city.line_kind == KIND_SUPERMARKET)
        & ~chain_line
        & ~event.lockdown[city.line_district]
        & ~city.fresh
    )
    assert crisis.true_received[np.ix_(closed, others)].sum() > 0.8 * (
        calm.true_received[np.ix_(closed, others)].sum()
    )
    assert crisis.history.disrupted[chain_line].all()


@pytest.mark.parametrize("seed", SEEDS)
def test_shop_owners_buy_on_trips_with_limited_cash(seed: int) -> None:
    simulation = simulated(seed, False)
    city = simulation.city
    shop = city.store_kind == KIND_SHOP
    trips = simulation.ordered_value[:, shop] > 0
    assert 0.25 <= trips.mean() <= 0.55, "a trip every two or three days"
    assert (simulation.bought_value[:, shop] <= city.budget[shop][None, :] + 1e-6).all()
    partial = simulation.bought_value[:, shop] < 0.98 * simulation.ordered_value[:, shop]
    assert 0.2 < partial[trips].mean() < 0.8, "cash often limits the order"


@pytest.mark.parametrize("seed", SEEDS)
def test_panic_buying_lifts_staples_on_the_first_day(seed: int) -> None:
    crisis, calm = simulated(seed, True), simulated(seed, False)
    start = crisis.history.event_start
    assert start is not None
    staple = crisis.city.staple
    ratio = crisis.demand[start, staple].sum() / calm.demand[start, staple].sum()
    assert 1.4 <= ratio <= 2.7


@pytest.mark.parametrize("seed", SEEDS)
def test_stock_outs_rise_in_the_event_for_every_kind(seed: int) -> None:
    crisis, calm = simulated(seed, True), simulated(seed, False)
    days = event_days(crisis.history)
    out = crisis.history.true_stock[days] <= 0
    calm_out = calm.history.true_stock[days] <= 0
    for kind in (KIND_SUPERMARKET, KIND_SHOP, KIND_STALLS):
        lines = crisis.city.line_kind == kind
        assert out[:, lines].mean() > 2 * calm_out[:, lines].mean(), kind
    disrupted = crisis.history.disrupted
    assert out[:, disrupted].mean() > 3 * out[:, ~disrupted].mean()
    ordinary = crisis.history.true_stock[: crisis.history.event_start] <= 0
    assert 0.02 < ordinary.mean() < 0.12


@pytest.mark.parametrize("seed", SEEDS)
def test_disrupted_marks_market_bought_lines_the_closed_chain_and_locked_down_districts(
    seed: int,
) -> None:
    city, event = simulated(seed, True).city, simulated(seed, True).event
    expected = (
        np.isin(city.channel, (CHANNEL_NIGHT_MARKET, CHANNEL_TRIP_MARKET))
        | (city.line_chain == event.dc_chain)
        | event.lockdown[city.line_district]
    )
    np.testing.assert_array_equal(simulated(seed, True).history.disrupted, expected)
    assert 1 <= event.lockdown.sum() <= 3
    assert 0.4 < expected.mean() < 0.8


@pytest.mark.parametrize("seed", SEEDS)
def test_locked_down_districts_get_a_fraction_of_their_deliveries_at_first(seed: int) -> None:
    crisis, calm = simulated(seed, True), simulated(seed, False)
    city, event = crisis.city, crisis.event
    assert event.lockdown_start is not None
    first = event.lockdown_start - WARM_UP_DAYS
    week = slice(first + 1, first + 7)
    locked = event.lockdown[city.line_district] & (city.line_chain != event.dc_chain)
    got = crisis.true_received[week][:, locked].sum()
    assert got < 0.75 * calm.true_received[week][:, locked].sum()
    reported = crisis.history.reported[week]
    assert reported[:, locked].mean() < reported[:, ~locked].mean() + 0.02


@pytest.mark.parametrize("seed", SEEDS)
def test_fresh_food_gets_dearer_and_staples_barely(seed: int) -> None:
    simulation = simulated(seed, True)
    city, history = simulation.city, simulation.history
    start = history.event_start
    assert start is not None
    ratio = history.price[start + 5] / history.price[start - 1]
    produce = np.isin(city.category, ["vegetables", "fruit"])
    assert np.nanmedian(ratio[produce]) > 1.08
    assert np.nanmedian(ratio[city.staple]) < 1.04
