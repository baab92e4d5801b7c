"""The county-routes scenario family: deterministic, well-formed, physically consistent,
trucks that come on their weekdays, and a snowstorm that cuts the snowed-in townships."""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from bench.families._county_routes_area import (
    CHANNEL_REORDER_POINT,
    CHANNEL_ROUTE,
    CHANNEL_WHOLESALE_MARKET,
    KIND_RURAL_MARKET,
)
from bench.families.county_routes import CountyRoutesSimulation, generate, simulate
from bench.families.model import STORE_KINDS
from tests.bench.family_checks import assert_same_history, weekdays

SEEDS = (1, 2)


@cache
def simulated(seed: int, emergency: bool) -> CountyRoutesSimulation:
    """One simulation per seed and variant, shared by the tests (each takes about a second)."""
    return simulate(seed, emergency=emergency)


def test_a_seed_always_gives_the_same_county() -> None:
    assert_same_history(generate(7), generate(7))
    assert_same_history(generate(7, emergency=False), generate(7, emergency=False))


def test_different_seeds_give_different_counties() -> None:
    first, second = simulated(1, True).history, simulated(2, True).history
    assert not first.lines.equals(second.lines)


@pytest.mark.parametrize("seed", (1, 2, 3))
def test_seeds_give_histories_of_the_agreed_shape(seed: int) -> None:
    history = generate(seed)
    history.check()
    assert history.family == "county_routes"
    assert 1_200 <= history.line_count <= 2_500
    assert history.event_start is not None and 23 <= history.event_start <= 28
    assert 30 <= history.reported_days <= 45
    assert history.follow_up_days == 7
    assert set(history.stores["kind"]) == set(STORE_KINDS)
    assert history.stores["code"].str.fullmatch(r"[A-Za-z0-9_.-]{1,64}").all()
    assert history.stores["code"].is_unique
    with (resources.files("service") / "data" / "districts.csv").open(encoding="utf-8") as file:
        districts = set(pd.read_csv(file, dtype={"code": str})["code"])
    assert set(history.stores["district"]) <= districts
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
    assert (simulation.true_sales <= opening + simulation.true_received + 1e-9).all()
    short = simulation.true_sales < simulation.demand - 1e-9
    assert (closing[short] <= 1e-9).all(), "demand is lost only on an emptied shelf"


@pytest.mark.parametrize("seed", SEEDS)
def test_the_wholesalers_truck_comes_only_on_each_townships_route_weekdays(seed: int) -> None:
    simulation = simulated(seed, False)
    area = simulation.area
    weekday = weekdays(simulation.history)
    route_lines = np.flatnonzero(area.channel == CHANNEL_ROUTE)
    for line in route_lines:
        delivered = simulation.true_received[:, line] > 0
        allowed = np.isin(weekday, area.route_weekdays[area.line_township[line]])
        assert not (delivered & ~allowed).any(), area.lines.iloc[line].tolist()
    visit_days = simulation.route_visit.sum()
    regular_days = sum(np.isin(weekday, route).sum() for route in area.route_weekdays)
    assert 0.9 * regular_days <= visit_days <= regular_days
    delivered_share = (simulation.true_received[:, route_lines] > 0).sum() / (
        simulation.route_visit[:, area.line_township[route_lines]].sum()
    )
    assert delivered_share > 0.5, "most visits top up most lines: stock jumps on route days"


@pytest.mark.parametrize("seed", SEEDS)
def test_in_the_storm_the_truck_comes_on_route_days_a_day_late_or_to_catch_up(seed: int) -> None:
    simulation = simulated(seed, True)
    area, storm = simulation.area, simulation.storm
    weekday = weekdays(simulation.history)
    regular = np.array([np.isin(weekday, route) for route in area.route_weekdays]).T
    slipped = np.zeros(regular.shape, dtype=bool)
    slipped[1:] = regular[:-1] & storm.delayed[:-1]
    assert slipped.any(), "snow on open roads delays some visits"
    allowed = (regular & ~storm.delayed & ~storm.closed) | slipped | storm.catch_up
    assert not (simulation.route_visit & ~allowed).any()
    route_lines = area.channel == CHANNEL_ROUTE
    delivered = simulation.true_received[:, route_lines] > 0
    assert not (delivered & ~allowed[:, area.line_township[route_lines]]).any()


@pytest.mark.parametrize("seed", SEEDS)
def test_rural_markets_trade_and_report_only_on_market_days(seed: int) -> None:
    simulation = simulated(seed, False)
    area, history = simulation.area, simulation.history
    rural = area.line_kind == KIND_RURAL_MARKET
    township = area.line_township[rural]
    trading = (
        np.arange(history.simulated_days)[:, None] - area.market_phase[township][None, :]
    ) % area.market_cycle[township][None, :] == 0
    assert (simulation.demand[:, rural][~trading] == 0).all()
    assert (simulation.true_received[:, rural][~trading] == 0).all()
    assert not history.reported[:, rural][~trading].any()
    assert simulation.true_sales[:, rural][trading].sum() > 0
    assert np.isnan(history.received[:, rural]).all(), "market offices keep no receipts"


@pytest.mark.parametrize("seed", SEEDS)
def test_the_snowstorm_cuts_deliveries_to_snowed_in_townships_until_the_catch_up(
    seed: int,
) -> None:
    storm_run, calm_run = simulated(seed, True), simulated(seed, False)
    area, history, storm = storm_run.area, storm_run.history, storm_run.storm
    assert history.event_start is not None
    assert storm.cut_townships
    np.testing.assert_array_equal(
        history.disrupted, np.isin(area.line_township, storm.cut_townships)
    )
    assert 0.05 < history.disrupted.mean() < 0.5
    closed_line_days = storm.closed[:, area.line_township]
    assert closed_line_days[: history.event_start].sum() == 0
    received = storm_run.true_received
    dry = np.isin(area.channel, (CHANNEL_ROUTE, CHANNEL_REORDER_POINT))
    assert (received[:, dry][closed_line_days[:, dry]] == 0).all()
    from_outside = (area.channel == CHANNEL_WHOLESALE_MARKET) & ~area.local_produce
    assert (received[:, from_outside][closed_line_days[:, from_outside]] == 0).all()
    local = (area.channel == CHANNEL_WHOLESALE_MARKET) & area.local_produce
    assert received[:, local][closed_line_days[:, local]].sum() > 0, "local produce still comes"
    for township in storm.cut_townships:
        reopening = np.flatnonzero(storm.catch_up[:, township])
        if reopening.size:
            route_here = (area.channel == CHANNEL_ROUTE) & (area.line_township == township)
            assert storm_run.route_visit[reopening[0], township]
            assert received[reopening[0], route_here].sum() > 0
    event = slice(history.event_start, history.reported_days)
    cut = history.disrupted
    out_in_storm = (history.true_stock[event][:, cut] <= 0).mean()
    out_without = (calm_run.history.true_stock[event][:, cut] <= 0).mean()
    assert out_in_storm > out_without + 0.1
    open_roads = ~storm.closed[history.event_start, area.line_township]
    assert received[history.event_start + 1 : history.event_start + 4, open_roads].sum() > 0


@pytest.mark.parametrize("seed", SEEDS)
def test_some_places_panic_briefly_and_others_keep_a_lasting_lift(seed: int) -> None:
    storm = simulated(seed, True).storm
    area, history = simulated(seed, True).area, simulated(seed, True).history
    assert storm.panic_townships and storm.shifted_townships
    assert not set(storm.shifted_townships) & set(storm.cut_townships)
    touched = set(storm.cut_townships) | set(storm.panic_townships) | set(storm.shifted_townships)
    assert len(touched) < len(area.townships), "some townships live through the storm untouched"
    last = storm.demand[history.simulated_days - 1]
    for township in storm.shifted_townships:
        lift = last[area.line_township == township]
        assert (lift >= 1.15 - 1e-9).all() and (lift <= 1.3 + 1e-9).all()
    assert history.event_start is not None
    for township in storm.panic_townships:
        here = area.line_township == township
        peak = storm.demand[history.event_start : history.event_start + 2, here].max()
        assert peak >= 1.5 - 1e-9
        assert storm.demand[history.event_start + 6 :, here].max() <= 1.0 + 1e-9


@pytest.mark.parametrize("seed", SEEDS)
def test_without_the_storm_the_county_lives_through_ordinary_weeks(seed: int) -> None:
    storm_run, calm_run = simulated(seed, True), simulated(seed, False)
    calm = calm_run.history
    assert calm.event_start is None
    assert not calm.disrupted.any()
    assert not calm_run.storm.closed.any()
    start = storm_run.history.event_start
    assert start is not None and calm.reported_days == storm_run.history.reported_days
    np.testing.assert_array_equal(calm.true_stock[:start], storm_run.history.true_stock[:start])
    out = calm.true_stock[: calm.reported_days] <= 0
    assert 0.02 <= out.mean() <= 0.12
    for kind in np.unique(calm_run.area.line_kind):
        assert out[:, calm_run.area.line_kind == kind].mean() <= 0.2


@pytest.mark.parametrize("seed", SEEDS)
def test_reports_have_gaps_counting_errors_and_optional_receipts(seed: int) -> None:
    simulation = simulated(seed, True)
    history, area = simulation.history, simulation.area
    posted = history.reported
    assert np.isnan(history.stock[~posted]).all() and np.isnan(history.sales[~posted]).all()
    not_rural = area.line_kind != KIND_RURAL_MARKET
    assert 0.85 <= posted[:, not_rural].mean() < 0.99
    per_store = pd.DataFrame(posted.T).groupby(area.line_store).nunique()
    assert (per_store.max(axis=1) == 1).all(), "a store posts all its lines or none"
    receipts = ~np.isnan(history.received[posted])
    assert 0.1 < receipts.mean() < 0.8
    exact = np.isclose(history.stock[posted], np.round(history.true_stock[posted], 1))
    assert 0.6 < exact.mean() < 1.0
