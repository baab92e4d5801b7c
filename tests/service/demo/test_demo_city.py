"""The demo city generator: pure, deterministic, and carrying the lockdown it promises."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from service.demo import (
    REPORT_COLUMNS,
    DemoCity,
    generate_city,
    generate_history,
    generate_province_day,
)
from service.demo.dispatch import generate_dispatch
from service.demo.master import allocate

END = date(2026, 11, 23)


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return generate_city(seed=42, end_date=END)


@pytest.fixture(scope="module")
def lines(city: DemoCity) -> pd.DataFrame:
    """Reports with category, district and lockdown day, sorted per line by date."""
    reports = city.reports.merge(
        city.products[["code", "category"]].rename(columns={"code": "product_code"}),
        on="product_code",
    ).merge(
        city.stores[["code", "district_code", "kind"]].rename(columns={"code": "store_code"}),
        on="store_code",
    )
    assert city.lockdown_start is not None
    reports["day"] = [(d - city.lockdown_start).days for d in reports["report_date"]]
    reports["disrupted"] = reports["district_code"].isin(city.disrupted_districts)
    return reports.sort_values(["store_code", "product_code", "report_date"]).reset_index(drop=True)


def test_same_seed_gives_identical_frames() -> None:
    first = generate_city(seed=7, end_date=END, days=10)
    second = generate_city(seed=7, end_date=END, days=10)
    for name in ("regions", "enterprises", "stores", "products", "conversions", "reports"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    assert first.missing_last_day == second.missing_last_day
    other = generate_city(seed=8, end_date=END, days=10)
    assert not other.reports["sales"].equals(first.reports["sales"])


def test_regions_form_the_city_tree(city: DemoCity) -> None:
    regions = city.regions
    assert regions["code"].is_unique
    (city_row,) = regions[regions["level"] == "city"].itertuples()
    assert (city_row.code, city_row.name, city_row.name_zh) == (
        "410400",
        "Pingdingshan",
        "平顶山市",
    )
    districts = regions[regions["level"] == "district"]
    assert len(districts) == 10
    assert set(districts["parent_code"]) == {"410400"}
    townships = regions[regions["level"] == "township"]
    per_district = townships.groupby("parent_code").size()
    assert set(per_district.index) == set(districts["code"])
    assert per_district.between(2, 5).all()
    assert townships["code"].str.fullmatch(r"\d{9}").all()
    pairs = zip(townships["code"], townships["parent_code"], strict=True)
    assert all(code.startswith(parent) for code, parent in pairs)


def test_chains_stores_and_markets(city: DemoCity) -> None:
    enterprises, stores = city.enterprises, city.stores
    chains = enterprises[enterprises["kind"] == "chain"]
    assert len(chains) == 40
    assert chains["code"].str.fullmatch(r"CH-\d{2}").all()
    supermarkets = stores[stores["kind"] == "supermarket"]
    markets = stores[stores["kind"] == "farmers_market"]
    assert len(supermarkets) == 109
    assert len(markets) == 13
    assert set(supermarkets["enterprise_code"]) == set(chains["code"])
    operators = enterprises.set_index("code").loc[markets["enterprise_code"], "kind"]
    assert (operators == "market_operator").all()
    assert stores["code"].is_unique
    assert stores["code"].str.fullmatch(r"PDS-\d{4}").all()
    assert stores["code"].iloc[0] == "PDS-0001"
    assert stores["name"].is_unique
    # Every store sits in a township of its district, near that district's centre.
    regions = city.regions.set_index("code")
    assert (regions.loc[stores["region_code"], "level"] == "township").all()
    assert (
        regions.loc[stores["region_code"], "parent_code"].to_numpy()
        == stores["district_code"].to_numpy()
    ).all()
    centre = regions.loc[stores["district_code"], ["latitude", "longitude"]].to_numpy()
    offset = np.abs(stores[["latitude", "longitude"]].to_numpy() - centre)
    assert (offset < 0.5).all()
    # Stores follow population: Ruzhou (950,000) has more than Shilong (60,000).
    counts = stores.groupby("district_code").size()
    assert counts["410482"] > 3 * counts["410404"]
    key = stores[stores["key_supplier"]]
    assert 0 < len(key) < len(stores)
    assert key["service_officer"].notna().all()


def test_products_and_conversions(city: DemoCity) -> None:
    products = city.products
    assert len(products) >= 50
    assert products["code"].is_unique
    assert set(products["category"]) == {
        "grain", "edible_oil", "meat", "eggs", "vegetables", "fruit", "dairy",
    }  # fmt: skip
    assert (products["typical_price"] > 0).all()
    assert (products["kg_per_unit"] > 0).all()
    conversions = city.conversions
    assert len(conversions) >= 5
    assert set(conversions["product_code"]) <= set(products["code"])
    assert (conversions["factor"] > 0).all()


def test_assortment(city: DemoCity) -> None:
    carried = city.assortment.groupby("store_code").size()
    assert len(carried) == len(city.stores)
    assert carried.between(35, 53).all()
    categories = city.products.set_index("code")["category"]
    market_codes = city.stores.loc[city.stores["kind"] == "farmers_market", "code"]
    in_markets = city.assortment[city.assortment["store_code"].isin(market_codes)]
    assert set(categories[in_markets["product_code"]]) <= {"vegetables", "fruit", "meat", "eggs"}
    assert "tofu" in set(in_markets["product_code"])


def test_reports_cover_thirty_days_ending_on_end_date(city: DemoCity) -> None:
    reports = city.reports
    assert list(reports.columns) == REPORT_COLUMNS
    assert all(type(d) is date for d in reports["report_date"].unique())
    assert sorted(reports["report_date"].unique()) == [
        END - timedelta(days=i) for i in range(29, -1, -1)
    ]
    assert city.first_date == END - timedelta(days=29)
    assert not reports.duplicated(["store_code", "report_date", "product_code"]).any()
    # Every carried line is reported every day except by the stores missing the last day.
    per_day = reports.groupby("report_date").size()
    assert (per_day.iloc[:-1] == len(city.assortment)).all()
    assert per_day.iloc[-1] < len(city.assortment)


def test_numbers_are_valid_and_stock_identity_holds(lines: pd.DataFrame) -> None:
    assert (lines[["stock", "sales", "received"]] >= 0).all().all()
    assert (lines["price"] > 0).all()
    assert lines[["stock", "sales", "price", "received"]].notna().all().all()
    same_line = (lines["store_code"] == lines["store_code"].shift()) & (
        lines["product_code"] == lines["product_code"].shift()
    )
    previous = lines["stock"].shift()[same_line]
    current = lines[same_line]
    expected = (previous + current["received"] - current["sales"]).clip(lower=0)
    assert np.allclose(current["stock"], expected, atol=1e-6)
    # Sales never exceed what was on the shelf.
    assert (current["sales"] <= previous + current["received"] + 1e-6).all()


def test_weekends_sell_more(lines: pd.DataFrame) -> None:
    before = lines[lines["day"] < 0]
    weekday = pd.Series([d.weekday() for d in before["report_date"]], index=before.index)
    assert before["sales"][weekday >= 5].mean() > 1.1 * before["sales"][weekday < 5].mean()


def test_days_of_supply_are_realistic_before_the_lockdown(lines: pd.DataFrame) -> None:
    window = lines[(lines["day"] >= -14) & (lines["day"] < 0)]
    totals = window.groupby("category")[["stock", "sales"]].sum()
    # Mean end-of-day stock over mean daily sales (both summed over the same 14 days).
    days_of_supply = totals["stock"] / totals["sales"]
    for category in ("vegetables", "fruit"):
        assert 1.0 <= days_of_supply[category] <= 4.5
    for category in ("grain", "edible_oil"):
        assert 7.0 <= days_of_supply[category] <= 20.0


def test_panic_buying_at_the_start_of_the_lockdown(city: DemoCity, lines: pd.DataFrame) -> None:
    assert city.lockdown_start == END - timedelta(days=6)
    grain = lines[lines["category"] == "grain"]
    before = grain[(grain["day"] < 0) & (grain["day"] >= -14)]["sales"].mean()
    panic = grain[grain["day"].between(0, 2)]["sales"].mean()
    assert panic > 1.8 * before
    first_day = grain[grain["day"] == 0]["sales"].mean()
    assert 2.0 * before < first_day < 4.0 * before


def test_disrupted_districts_run_out_and_prices_rise(city: DemoCity, lines: pd.DataFrame) -> None:
    assert set(city.disrupted_districts) == {"410403", "410422"}  # Weidong and Ye
    last_days = lines[lines["day"] >= 5]
    out = last_days.groupby("disrupted")["stock"].apply(lambda s: float((s == 0).mean()))
    assert out[True] > 0.1
    assert out[True] > 5 * out[False]
    # Sales are capped by stock: a line out of stock sold what it had.
    fresh_out = last_days[last_days["disrupted"] & (last_days["stock"] == 0)]
    assert set(fresh_out["category"]) & {"vegetables", "fruit"}

    baseline = lines[lines["day"] < 0].groupby(["store_code", "product_code"])["price"].median()
    last = lines[lines["day"] == 6].set_index(["store_code", "product_code"])
    ratio = last["price"] / baseline.reindex(last.index)
    disrupted_ratio = ratio[last["disrupted"]].mean()
    assert 1.1 <= disrupted_ratio <= 1.4
    assert abs(ratio[~last["disrupted"]].mean() - 1.0) < 0.05


def test_a_few_stores_miss_the_last_day(city: DemoCity) -> None:
    missing = city.missing_last_day
    assert 1 <= len(missing) <= 0.05 * len(city.stores)
    assert "PDS-0001" not in missing
    last = city.reports[city.reports["report_date"] == END]
    assert not set(missing) & set(last["store_code"])
    before = city.reports[city.reports["report_date"] == END - timedelta(days=1)]
    assert set(missing) <= set(before["store_code"])


def test_short_history_and_bad_arguments() -> None:
    short = generate_city(end_date=END, days=3)
    assert short.reports["report_date"].nunique() == 3
    assert short.lockdown_start == END - timedelta(days=2)
    with pytest.raises(ValueError):
        generate_city(end_date=END, days=0)


def test_province_day_shape() -> None:
    day = generate_province_day(stores=50, products=60, report_date=END, seed=3)
    assert len(day.stores) == 50
    assert len(day.products) == 60
    assert {"rice", "rice_v2"} <= set(day.products["code"])
    assert day.products["code"].is_unique
    assert len(day.reports) == 50 * 60
    assert list(day.reports.columns) == REPORT_COLUMNS
    assert set(day.reports["report_date"]) == {END}
    assert not day.reports.duplicated(["store_code", "product_code"]).any()
    assert (day.reports["price"] > 0).all()
    assert set(day.stores["enterprise_code"]) <= set(day.enterprises["code"])
    assert set(day.stores["region_code"]) <= set(day.regions["code"])
    few = generate_province_day(stores=5, products=10, report_date=END)
    assert few.products["category"].nunique() == 7


def test_history_is_compact_and_consistent() -> None:
    history = generate_history(stores=50, products=60, end_date=END, days=14, seed=5)
    reports = history.reports
    assert len(reports) == 50 * 60 * 14
    assert reports["report_date"].nunique() == 14
    assert max(reports["report_date"]) == END
    assert reports["stock"].dtype == np.float32
    assert isinstance(reports["store_code"].dtype, pd.CategoricalDtype)
    ordered = reports.sort_values(["store_code", "product_code", "report_date"])
    stock = ordered["stock"].to_numpy(dtype=float).reshape(50 * 60, 14)
    sales = ordered["sales"].to_numpy(dtype=float).reshape(50 * 60, 14)
    received = ordered["received"].to_numpy(dtype=float).reshape(50 * 60, 14)
    assert np.allclose(stock[:, 1:], stock[:, :-1] + received[:, 1:] - sales[:, 1:], atol=1e-2)
    assert (stock >= 0).all()
    again = generate_history(stores=50, products=60, end_date=END, days=14, seed=5)
    pd.testing.assert_frame_equal(reports, again.reports)


def test_history_with_a_lockdown_disrupts_some_districts() -> None:
    history = generate_history(
        stores=200, products=20, end_date=END, days=14, seed=5, lockdown_days=7
    )
    assert history.lockdown_start == END - timedelta(days=6)
    assert len(history.disrupted_districts) >= 1


def test_allocate_keeps_the_total_and_the_minimum() -> None:
    parts = allocate(109, np.array([560, 400, 420, 60, 300]), minimum=1)
    assert parts.sum() == 109
    assert parts.min() >= 1
    with pytest.raises(ValueError):
        allocate(3, np.ones(5), minimum=1)


def test_dispatch_demo_has_locked_compounds_a_fleet_and_open_requests(city: DemoCity) -> None:
    first = generate_dispatch(city, seed=42, lockdown_start=city.lockdown_start)
    again = generate_dispatch(city, seed=42, lockdown_start=city.lockdown_start)
    pd.testing.assert_frame_equal(first.requests, again.requests)
    pd.testing.assert_frame_equal(first.items, again.items)
    compounds, trucks, depots = first.compounds, first.trucks, first.depots
    assert len(compounds) == 300 and compounds["code"].is_unique
    locked = compounds[compounds["lockdown_status"] == "locked"]
    assert 0.7 < len(locked) / len(compounds) < 0.9
    assert set(locked["lockdown_start_date"]) == {city.lockdown_start}
    assert compounds["latitude"].between(33.0, 34.5).all()
    assert compounds["longitude"].between(112.5, 113.8).all()
    assert compounds["address"].str.match(r"No\. \d+ \w+ Road, .+, .+").all()  # for the driver
    key_suppliers = set(city.stores.loc[city.stores["key_supplier"].astype(bool), "code"])
    assert set(compounds["supplier_store_code"]) <= key_suppliers
    assert len(depots) == 4 and set(depots["store_code"]) <= key_suppliers
    assert len(trucks) == 100 and trucks["plate"].is_unique
    assert set(trucks["depot_code"]) == set(depots["code"])
    requests = first.requests
    assert list(requests["compound_code"]) == list(locked["code"])
    assert (requests["window_end"] > requests["window_start"]).all()
    assert 0.05 < (requests["priority"] == "urgent").mean() < 0.15
    weights = first.items.groupby("request")["weight_kg"].sum()
    assert (weights > 0).all() and weights.sum() < trucks["capacity_kg"].sum() / 1.5
    assert set(first.items["product_code"]) <= set(city.products["code"])


def test_dispatch_demo_scales_to_the_bench_city(city: DemoCity) -> None:
    frames = generate_dispatch(city, seed=1, compounds=500, locked_share=1.0)
    assert len(frames.requests) == 500 and len(frames.trucks) == 100
