"""The bulletin's figures on a small city worked out by hand, and its sentences traced back
to the tables.

The city: outlets A and B in district east, C and D in west (all four expected to report;
D never does) and E in west (not expected, reports anyway); products rice (grain), pork
(meat) and eggs (eggs); the bulletin day is 10 May, so D−1 is 9 May and D−7 is 3 May.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from bulletin.numbers import (
    BulletinNumbers,
    PriceBands,
    compute_bulletin_numbers,
    compute_price_baselines,
    compute_price_signal_bands,
)
from bulletin.summary import TEMPLATES, summary_sentences

DAY = date(2024, 5, 10)
NAN = float("nan")
OUTLETS = pd.DataFrame(
    {
        "outlet": ["A", "B", "C", "D", "E"],
        "district": ["east", "east", "west", "west", "west"],
        "expected_to_report": [True, True, True, True, False],
    }
)
PRODUCTS = pd.DataFrame(
    {"product": ["rice", "pork", "eggs"], "category": ["grain", "meat", "eggs"]}
)
# outlet, product, day of May, price, stock, expected daily sales
LINES = [
    ("A", "rice", 10, 5.00, 100, 10),
    ("B", "rice", 10, 5.50, 10, 10),
    ("C", "rice", 10, 6.00, 60, 20),
    ("E", "rice", 10, 5.50, 40, NAN),
    ("A", "pork", 10, 30.0, 50, 5),
    ("C", "pork", 10, 34.0, 0, 5),
    ("B", "eggs", 10, 10.10, 30, 0),
    ("A", "rice", 9, 5.00, 120, 10),
    ("B", "rice", 9, 5.00, 30, 10),
    ("C", "rice", 9, 5.00, 90, 20),
    ("A", "pork", 9, NAN, 50, 5),
    ("C", "pork", 9, NAN, 10, 5),
    ("B", "eggs", 9, 10.00, 30, 0),
    ("A", "rice", 3, 4.00, 100, 10),
    ("C", "rice", 3, 6.00, 100, 10),
    ("A", "pork", 3, 25.0, 100, 10),
    ("B", "pork", 3, 27.0, 100, 10),
    ("A", "rice", 4, 99.0, 1, 1),
]
BASELINES = pd.DataFrame(
    {"baseline_median": [5.0, 26.0, 10.0], "baseline_scale": [0.25, 2.0, 0.5]},
    index=pd.Index(["rice", "pork", "eggs"], name="product"),
)


def report_lines(lines: Sequence[tuple[str, str, int, float, float, float]]) -> pd.DataFrame:
    """Return hand-written lines as the report frame the bulletin reads."""
    return pd.DataFrame(
        {
            "outlet": [line[0] for line in lines],
            "product": [line[1] for line in lines],
            "business_date": pd.to_datetime([date(2024, 5, line[2]) for line in lines]),
            "price": [float(line[3]) for line in lines],
            "stock": [float(line[4]) for line in lines],
            "expected_daily_sales": [float(line[5]) for line in lines],
        }
    )


@pytest.fixture(scope="module")
def numbers() -> BulletinNumbers:
    return compute_bulletin_numbers(
        reports=report_lines(LINES),
        outlets=OUTLETS,
        products=PRODUCTS,
        business_date=DAY,
        baselines=BASELINES,
    )


def test_average_min_and_max_price_over_the_outlets_that_reported_it(
    numbers: BulletinNumbers,
) -> None:
    rice = numbers.prices.loc["rice"]
    assert rice["average_price"] == pytest.approx((5.00 + 5.50 + 6.00 + 5.50) / 4)
    assert (rice["min_price"], rice["max_price"], rice["outlets_priced"]) == (5.0, 6.0, 4)
    pork = numbers.prices.loc["pork"]
    assert pork["average_price"] == pytest.approx(32.0)
    assert (pork["min_price"], pork["max_price"], pork["outlets_priced"]) == (30.0, 34.0, 2)


def test_changes_against_the_previous_day_and_the_week_before(numbers: BulletinNumbers) -> None:
    rice = numbers.prices.loc["rice"]
    assert rice["previous_day_price"] == pytest.approx(5.0)
    assert rice["change_vs_previous_day"] == pytest.approx(0.5)
    assert rice["change_vs_previous_day_percent"] == pytest.approx(10.0)
    assert rice["week_before_price"] == pytest.approx(5.0)
    assert rice["change_vs_week_before_percent"] == pytest.approx(10.0)
    pork = numbers.prices.loc["pork"]
    assert pork["change_vs_week_before"] == pytest.approx(6.0)
    assert pork["change_vs_week_before_percent"] == pytest.approx(100 * 6 / 26)


def test_a_product_missing_yesterday_has_no_change_and_no_previous_band(
    numbers: BulletinNumbers,
) -> None:
    pork = numbers.prices.loc["pork"]
    assert np.isnan(pork["previous_day_price"])
    assert np.isnan(pork["change_vs_previous_day"])
    assert np.isnan(pork["change_vs_previous_day_percent"])
    assert pd.isna(pork["previous_day_band"])
    assert pork["band"] == "crisis"
    assert "pork" not in set(numbers.notable_moves.query("kind == 'price'")["product"])


def test_signal_and_band_of_each_product(numbers: BulletinNumbers) -> None:
    prices = numbers.prices
    assert prices.loc["rice", "signal"] == pytest.approx((5.5 - 5.0) / 0.25)
    assert (prices.loc["rice", "previous_day_band"], prices.loc["rice", "band"]) == (
        "normal",
        "crisis",
    )
    assert prices.loc["eggs", "signal"] == pytest.approx(0.2)
    assert numbers.band_counts.to_dict() == {"normal": 1, "stress": 0, "alert": 0, "crisis": 2}


def test_band_edges_follow_the_cut_points() -> None:
    baselines = pd.DataFrame(
        {"baseline_median": [10.0], "baseline_scale": [2.0]},
        index=pd.Index(["flour"], name="product"),
    )
    observed = [8.0, 10.49, 10.5, 11.99, 12.0, 13.99, 14.0, NAN]
    prices = pd.Series(observed, index=["flour"] * len(observed))
    signal, band = compute_price_signal_bands(
        prices=prices, baselines=baselines, bands=PriceBands()
    )
    assert list(band.astype(object).fillna("none")) == [
        "normal",
        "normal",
        "stress",
        "stress",
        "alert",
        "alert",
        "crisis",
        "none",
    ]
    assert signal.iloc[2] == pytest.approx(0.25)
    tighter = compute_price_signal_bands(
        prices=prices, baselines=baselines, bands=PriceBands(stress=0.5, alert=0.75, crisis=1.0)
    )[1]
    assert list(tighter.astype(object).fillna("none"))[1:5] == [
        "normal",
        "normal",
        "alert",
        "crisis",
    ]
    with pytest.raises(ValueError, match="increase"):
        PriceBands(stress=1.0, alert=1.0, crisis=2.0)


def test_the_baseline_is_the_median_of_daily_city_averages_with_a_robust_scale() -> None:
    # rice city averages per day: 5.0, 5.2, 5.1, 5.0, 6.0 (each the mean of two outlets)
    # pork city averages per day: 20, 22, 21, 25, 19; eggs: 10, 10, 10 (a flat baseline)
    rice_days = [(4.8, 5.2), (5.2, 5.2), (5.0, 5.2), (5.0, 5.0), (6.0, 6.0)]
    pork_days = [(20, 20), (21, 23), (21, 21), (24, 26), (19, 19)]
    lines = []
    for day, ((rice_a, rice_b), (pork_a, pork_b)) in enumerate(
        zip(rice_days, pork_days, strict=True), start=1
    ):
        lines += [("A", "rice", day, rice_a, 1, 1), ("B", "rice", day, rice_b, 1, 1)]
        lines += [("A", "pork", day, pork_a, 1, 1), ("B", "pork", day, pork_b, 1, 1)]
        if day <= 3:
            lines.append(("A", "eggs", day, 10.0, 1, 1))
    lines.append(("A", "rice", 6, 50.0, 1, 1))
    lines.append(("B", "rice", 2, NAN, 1, 1))
    baselines = compute_price_baselines(
        reports=report_lines(lines), baseline_start=date(2024, 5, 1), baseline_end=date(2024, 5, 5)
    )
    rice, pork, eggs = (baselines.loc[name] for name in ("rice", "pork", "eggs"))
    assert rice["baseline_median"] == pytest.approx(5.1)
    assert rice["baseline_mad"] == pytest.approx(0.1)
    assert rice["baseline_scale"] == pytest.approx(0.05 * 5.1)
    assert rice["baseline_days"] == 5
    assert pork["baseline_median"] == pytest.approx(21.0)
    assert pork["baseline_mad"] == pytest.approx(1.0)
    assert pork["baseline_scale"] == pytest.approx(1.4826)
    assert (eggs["baseline_mad"], eggs["baseline_scale"], eggs["baseline_days"]) == (0.0, 0.5, 3)


def test_a_flat_baseline_does_not_make_a_cent_a_crisis(numbers: BulletinNumbers) -> None:
    eggs = numbers.prices.loc["eggs"]
    assert eggs["baseline_scale"] == pytest.approx(0.5)
    assert eggs["band"] == "normal"
    assert numbers.category_prices.loc["eggs", "worst_band"] == "normal"


def test_days_of_supply_is_a_ratio_of_sums_not_a_mean_of_ratios(numbers: BulletinNumbers) -> None:
    rice = numbers.city_supply.loc["rice"]
    assert rice["stock"] == 210
    assert rice["stock_with_sales_estimate"] == 170
    assert rice["expected_daily_sales"] == 40
    assert rice["days_of_supply"] == pytest.approx(170 / 40)
    mean_of_ratios = (100 / 10 + 10 / 10 + 60 / 20) / 3
    assert rice["days_of_supply"] != pytest.approx(mean_of_ratios)
    assert rice["previous_day_days_of_supply"] == pytest.approx(240 / 40)
    assert rice["days_of_supply_change_percent"] == pytest.approx(100 * (4.25 - 6) / 6)
    assert numbers.district_supply.loc[("east", "rice"), "days_of_supply"] == pytest.approx(5.5)
    west_rice = numbers.district_supply.loc[("west", "rice"), ["stock", "days_of_supply"]]
    assert list(west_rice) == [100, 3.0]
    assert numbers.city_category_supply.loc["grain", "days_of_supply"] == pytest.approx(4.25)
    assert numbers.district_category_supply.loc[("west", "meat"), "days_of_supply"] == 0
    assert numbers.city_supply["days_of_supply"].isna()["eggs"]


def test_coverage_counts_expected_outlets_that_reported(numbers: BulletinNumbers) -> None:
    assert numbers.city_coverage.to_dict() == {
        "expected_outlets": 4,
        "reported_outlets": 3,
        "coverage_percent": 75.0,
    }
    assert numbers.district_coverage.to_dict(orient="index") == {
        "east": {"expected_outlets": 2, "reported_outlets": 2, "coverage_percent": 100.0},
        "west": {"expected_outlets": 2, "reported_outlets": 1, "coverage_percent": 50.0},
    }


def test_category_prices_are_geometric_means_of_the_products_relatives(
    numbers: BulletinNumbers,
) -> None:
    categories = numbers.category_prices
    assert categories.loc["grain", "price_index"] == pytest.approx(110.0)
    assert categories.loc["meat", "price_index"] == pytest.approx(100 * 32 / 26)
    assert categories["change_vs_previous_day_percent"].isna()["meat"]
    assert categories.loc["meat", "change_vs_week_before_percent"] == pytest.approx(100 * 6 / 26)
    assert categories.loc["meat", "products_crisis"] == 1


def test_notable_moves_rank_price_and_band_moves_first_then_supply_drops(
    numbers: BulletinNumbers,
) -> None:
    moves = numbers.notable_moves
    assert list(zip(moves["kind"], moves["product"], moves["district"], strict=True)) == [
        ("price", "rice", None),
        ("days_of_supply", "pork", "west"),
        ("days_of_supply", "rice", "west"),
        ("days_of_supply", "rice", None),
        ("days_of_supply", "rice", "east"),
    ]
    first = moves.loc[1]
    assert (first["previous_band"], first["band"], first["band_steps"]) == ("normal", "crisis", 3)
    assert first["change_percent"] == pytest.approx(10.0)
    assert moves.loc[2, "change_percent"] == pytest.approx(-100.0)
    assert (moves.loc[4, "previous_value"], moves.loc[4, "value"]) == (
        pytest.approx(6.0),
        pytest.approx(4.25),
    )


def test_business_days_given_as_dates_give_the_same_figures(numbers: BulletinNumbers) -> None:
    reports = report_lines(LINES)
    reports["business_date"] = [stamp.date() for stamp in reports["business_date"]]
    again = compute_bulletin_numbers(
        reports=reports, outlets=OUTLETS, products=PRODUCTS, business_date=DAY, baselines=BASELINES
    )
    pd.testing.assert_frame_equal(again.prices, numbers.prices)
    pd.testing.assert_frame_equal(again.district_supply, numbers.district_supply)


def test_lines_naming_unknown_outlets_or_products_are_refused() -> None:
    for line, message in (
        (("Z", "rice", 10, 5.0, 1, 1), "outlets that are not listed"),
        (("A", "caviar", 10, 5.0, 1, 1), "products that are not listed"),
    ):
        with pytest.raises(ValueError, match=message):
            compute_bulletin_numbers(
                reports=report_lines([*LINES, line]),
                outlets=OUTLETS,
                products=PRODUCTS,
                business_date=DAY,
                baselines=BASELINES,
            )


NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
NAMES = {
    "en": ({"rice": "Rice", "pork": "Pork", "eggs": "Eggs"}, "kg", {"east": "East District"}),
    "zh": ({"rice": "大米", "pork": "猪肉", "eggs": "鸡蛋"}, "公斤", {"east": "东区"}),
}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_number_in_a_summary_sentence_is_a_cell_of_the_tables(
    numbers: BulletinNumbers, language: str
) -> None:
    product_names, unit, district_names = NAMES[language]
    sentences = summary_sentences(
        numbers=numbers,
        language=language,
        product_names=product_names,
        units=dict.fromkeys(product_names, unit),
        district_names=district_names,
    )
    assert [sentence.message_id for sentence in sentences] == [
        "coverage",
        "bands",
        "price_up_band_changed",
        "supply_drop_district",
        "supply_drop_district",
        "supply_drop_city",
        "supply_drop_district",
        "lowest_supply",
    ]
    for sentence in sentences:
        assert sentence.text
        words = sentence.text.replace(DAY.isoformat(), "")
        printed = sorted(NUMBER.findall(words))
        assert printed == sorted(fact.text for fact in sentence.facts), sentence.text
        for fact in sentence.facts:
            table = getattr(numbers, fact.table)
            cell = table[fact.column] if fact.row is None else table.loc[fact.row, fact.column]
            shown = abs(cell) if fact.unsigned else cell
            assert f"{shown:,.{fact.decimals}f}" == fact.text
    assert sentences[0].text == TEMPLATES["coverage"][language].format(
        date="2024-05-10", reported="3", expected="4", coverage="75.0"
    )
    assert "¥5.50" in sentences[2].text and "¥0.50" in sentences[2].text
    assert product_names["pork"] in sentences[3].text and district_names["east"] not in (
        sentences[3].text
    )


def test_a_day_without_notable_moves_says_so(numbers: BulletinNumbers) -> None:
    quiet = replace(numbers, notable_moves=numbers.notable_moves.iloc[0:0])
    sentences = summary_sentences(
        numbers=quiet, language="en", product_names={}, units={}, max_moves=5
    )
    assert [sentence.message_id for sentence in sentences] == [
        "coverage",
        "bands",
        "no_moves",
        "lowest_supply",
    ]
    assert sentences[2].text == "No notable price or supply moves on 2024-05-10."


def test_a_product_without_a_baseline_has_no_band_and_its_move_says_no_band() -> None:
    numbers = compute_bulletin_numbers(
        reports=report_lines(LINES),
        outlets=OUTLETS,
        products=PRODUCTS,
        business_date=DAY,
        baselines=BASELINES.drop(index="rice"),
    )
    rice = numbers.prices.loc["rice"]
    assert pd.isna(rice["signal"]) and pd.isna(rice["band"])
    assert numbers.band_counts.sum() == 2
    first_move = numbers.notable_moves.loc[1]
    assert (first_move["product"], first_move["change_percent"]) == ("rice", pytest.approx(10.0))
    sentences = summary_sentences(
        numbers=numbers, language="en", product_names={"rice": "Rice"}, units={"rice": "kg"}
    )
    assert sentences[2].message_id == "price_up_no_baseline"
    assert sentences[2].text == (
        "Rice: average price ¥5.50 per kg, up 10.0% (¥0.50) on the previous day."
    )


def test_a_baseline_period_without_prices_gives_no_baselines() -> None:
    baselines = compute_price_baselines(
        reports=report_lines(LINES), baseline_start=date(2024, 4, 1), baseline_end=date(2024, 4, 7)
    )
    assert baselines.empty
    assert list(baselines.columns) == [
        "baseline_median",
        "baseline_mad",
        "baseline_scale",
        "baseline_days",
    ]
