"""Alert rules, thresholds, reporting rates and fingerprints, against hand-computed values."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from core.text import stored_text
from monitors.alerting.thresholds import (
    InvalidThresholds,
    RuleThresholds,
    default_thresholds,
    resolve_category_thresholds,
    resolve_thresholds,
    validate_thresholds,
)
from monitors.computing.aggregates import aggregate_supply
from monitors.computing.candidates import ALERT_COLUMNS, alert_fingerprint
from monitors.computing.evaluation import evaluate_rules
from monitors.computing.reporting import (
    ReportingSettings,
    report_cutoff,
    reporting_rates,
    store_reporting,
)
from monitors.computing.supply import SupplySettings, store_supply
from tests.monitors.helpers import D, history, products, reports, stores

CUTOFF = datetime(2026, 5, 11, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai on D+1
MEAT = products((7, "meat"))


def submissions(*rows: tuple[int, int, datetime]) -> pd.DataFrame:
    """Submissions from (store_id, days before D, first_received_at) tuples."""
    return pd.DataFrame(
        [(store, pd.Timestamp(D - timedelta(days=age)), at) for store, age, at in rows],
        columns=["store_id", "report_date", "first_received_at"],
    )


def everyone_reported(store_table: pd.DataFrame) -> pd.DataFrame:
    on_time = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
    return store_reporting(
        stores=store_table,
        submissions=submissions(*[(store, 0, on_time) for store in store_table["store_id"]]),
        business_day=D,
        cutoff=CUTOFF,
    )


def evaluate(
    frame: pd.DataFrame,
    store_table: pd.DataFrame,
    catalogue: pd.DataFrame = MEAT,
    *,
    thresholds: pd.DataFrame | None = None,
    reporting: pd.DataFrame | None = None,
    regions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The whole pure pipeline: store rows → aggregates → rules."""
    rows = store_supply(
        reports=frame, stores=store_table, business_day=D, settings=SupplySettings()
    )
    aggregates = pd.concat(
        [
            aggregate_supply(
                store_rows=rows, stores=store_table, products=catalogue, level=level, by="product"
            )
            for level in ("district", "city")
        ],
        ignore_index=True,
    )
    result = evaluate_rules(
        store_rows=rows,
        aggregates=aggregates,
        stores=store_table,
        products=catalogue,
        thresholds=resolve_thresholds(products=catalogue) if thresholds is None else thresholds,
        reporting=everyone_reported(store_table) if reporting is None else reporting,
        business_day=D,
        regions=regions,
    )
    # Every summary kept as words renders to the English the API answers with.
    worded = [stored_text(json.loads(text)).render() for text in result["summary_text"]]
    assert worded == result["summary"].tolist()
    return result


def cell(frame: pd.DataFrame, index: Any, column: str) -> Any:
    """One value of ``frame`` (typed loosely: pandas-stubs cannot know a cell's type)."""
    return frame.at[index, column]


def cells(frame: pd.DataFrame, index: Any, *columns: str) -> list[Any]:
    return [cell(frame, index, column) for column in columns]


def outcome(frame: pd.DataFrame, index: Any) -> list[Any]:
    """Severity, value and threshold of one candidate."""
    return cells(frame, index, "severity", "value", "threshold")


def fired(result: pd.DataFrame, rule: str, scope_level: str = "store") -> pd.DataFrame:
    """The candidates of one rule at one scope level, indexed by scope id."""
    chosen = result[(result["rule"] == rule) & (result["scope_level"] == scope_level)]
    return chosen.set_index("scope_id")


# --- thresholds ------------------------------------------------------------------------


def test_defaults_follow_the_design_table() -> None:
    table = default_thresholds()
    for category in ("vegetables", "fruit", "dairy"):
        assert (
            table[category].low_supply_warning_days,
            table[category].low_supply_critical_days,
        ) == (2, 1)
        assert table[category].overstock_days == 8
    for category in ("meat", "eggs"):
        assert (
            table[category].low_supply_warning_days,
            table[category].low_supply_critical_days,
        ) == (3, 1.5)
    for category in ("grain", "edible_oil"):
        assert (
            table[category].low_supply_warning_days,
            table[category].low_supply_critical_days,
        ) == (7, 3)
        assert table[category].overstock_days == 28
    meat = table["meat"]
    assert (meat.price_spike_warning, meat.price_spike_critical) == (0.15, 0.30)
    assert meat.price_day_over_day_warning == 0.10
    assert (meat.sales_surge_warning, meat.sales_surge_critical) == (2.0, 3.0)
    assert meat.stockout_critical_share == 0.2
    assert (meat.price_outlier_z, meat.price_outlier_min_outlets) == (3.5, 5)
    assert all(validate_thresholds(thresholds) == [] for thresholds in table.values())


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"low_supply_warning_days": 1.0, "low_supply_critical_days": 2.0}, "low_supply critical"),
        ({"low_supply_warning_days": 2.0, "low_supply_critical_days": 2.0}, "low_supply critical"),
        ({"price_spike_warning": -0.1}, "price_spike_warning must not be negative"),
        ({"price_spike_critical": 0.15}, "price_spike critical"),
        ({"sales_surge_critical": 2.0}, "sales_surge critical"),
        ({"sales_surge_warning": 1.0, "sales_surge_critical": 3.0}, "sales_surge_warning"),
        ({"stockout_critical_share": 1.5}, "stockout_critical_share"),
        ({"overstock_factor": 1.0}, "overstock_factor"),
        ({"low_supply_warning_days": float("nan")}, "must be finite"),
        ({"price_outlier_min_outlets": 4.5}, "whole number"),
        ({"price_outlier_min_outlets": 2}, "price_outlier_min_outlets must be at least 3"),
        ({"price_outlier_z": True}, "must be a number"),
    ],
)
def test_validation_rejects_contradictions_and_out_of_range_values(
    changes: dict[str, object], fragment: str
) -> None:
    problems = [str(p) for p in validate_thresholds(RuleThresholds(**changes))]  # type: ignore[arg-type]
    assert any(fragment in problem for problem in problems), problems


def test_resolution_applies_category_then_product_overrides() -> None:
    catalogue = products((1, "vegetables"), (2, "vegetables"), (3, "condiments"))
    table = resolve_thresholds(
        products=catalogue,
        category_overrides={"vegetables": {"low_supply_warning_days": 3}},
        product_overrides={2: {"low_supply_critical_days": 2.0, "price_outlier_min_outlets": 7.0}},
    )
    assert table.index.name == "product_id"
    assert cells(table, 1, "low_supply_warning_days", "low_supply_critical_days") == [3, 1]
    assert cells(table, 2, "low_supply_warning_days", "low_supply_critical_days") == [3, 2]
    assert cell(table, 2, "price_outlier_min_outlets") == 7
    assert table["price_outlier_min_outlets"].dtype == "int64"
    # a category without defaults gets the fallback levels and keeps its own name
    assert cell(table, 3, "category") == "condiments"
    assert cells(table, 3, "low_supply_warning_days", "low_supply_critical_days") == [
        3,
        1.5,
    ]


def test_resolution_lists_every_bad_override() -> None:
    with pytest.raises(InvalidThresholds) as raised:
        resolve_thresholds(
            products=MEAT,
            category_overrides={"meat": {"low_supply_critical_days": 5}},
            product_overrides={99: {"low_supply_warning_days": 1}, 7: {"colour": 1}},
        )
    problems = [str(problem) for problem in raised.value.problems]
    assert len(problems) == 3
    assert any(p.startswith("category meat: low_supply critical") for p in problems)
    assert any(p.startswith("product 99: not in the product list") for p in problems)
    assert any(p.startswith("product 7: unknown threshold(s) colour") for p in problems)


def test_category_thresholds_for_a_new_category_start_from_the_fallback() -> None:
    table = resolve_category_thresholds(
        categories=["grain", "condiments"],
        category_overrides={"condiments": {"low_supply_warning_days": 10}},
    )
    assert table.index.name == "category"
    assert cell(table, "grain", "low_supply_warning_days") == 7
    assert cell(table, "condiments", "low_supply_warning_days") == 10
    assert cell(table, "condiments", "low_supply_critical_days") == 1.5


# --- low_supply ------------------------------------------------------------------------


def test_low_supply_at_store_scope_with_inclusive_boundaries() -> None:
    # meat: warning below 3 days, critical below 1.5; every store sells 10 a day
    stock_by_store = {1: 30, 2: 29, 3: 15, 4: 14}  # 3.0 none, 2.9 and 1.5 warning, 1.4 critical
    frame = reports(
        *[history(store, 7, sales=[10, 10, 10], stock=s) for store, s in stock_by_store.items()],
        history(5, 7, sales=[10], stock=5),  # 0.5 days but one day of history: untrusted
        history(6, 7, sales=[10, 10, 5], stock=[10, 10, 0]),  # stocked out: stockout's job
    )
    table = stores(*[(store, 10) for store in range(1, 7)])
    alerts = fired(evaluate(frame, table), "low_supply")
    assert sorted(alerts.index) == [2, 3, 4]
    assert outcome(alerts, 2) == ["warning", 2.9, 3.0]
    assert outcome(alerts, 3) == ["warning", 1.5, 3.0]
    assert outcome(alerts, 4) == ["critical", 1.4, 1.5]
    assert cell(alerts, 4, "district_id") == 10 and cell(alerts, 4, "category") == "meat"
    assert cell(alerts, 4, "summary") == (
        "store 4 product 7: 1.4 days of supply (stock 14.0, selling 10.0/day), below 1.5"
    )


def test_a_store_refilled_every_day_is_not_running_out() -> None:
    # meat, warning below 3 days; both stores sell 10 a day and end D with 20 (2 days).
    # Store 1 has ended every day at 20 for a week: 10 delivered each morning, just in
    # time. Store 2 ended at 40 until D-1 and got nothing on D (20 − 40 + 10 = −10 < 6).
    frame = reports(
        history(1, 7, sales=[10] * 8, stock=20),
        history(2, 7, sales=[10] * 8, stock=[40] * 7 + [20]),
    )
    alerts = fired(evaluate(frame, stores((1, 10), (2, 10))), "low_supply")
    assert list(alerts.index) == [2]
    assert outcome(alerts, 2) == ["warning", 2.0, 3.0]


def test_low_supply_at_district_and_city_scope_uses_ratio_of_sums() -> None:
    # district 10: (10 + 4) / (10 + 10) = 0.7 → critical; district 20: 90 / 10 = 9 → fine;
    # city: 104 / 30 = 3.47 → fine (the mean of ratios, (1 + 0.4 + 9) / 3 = 3.47 too, by chance)
    frame = reports(
        history(1, 7, sales=[10, 10, 10], stock=10),
        history(2, 7, sales=[10, 10, 10], stock=4),
        history(3, 7, sales=[10, 10, 10], stock=90),
    )
    table = stores((1, 10), (2, 10), (3, 20))
    result = evaluate(frame, table)
    district = fired(result, "low_supply", "district")
    assert list(district.index) == [10]
    assert cell(district, 10, "severity") == "critical"
    assert cell(district, 10, "value") == pytest.approx(0.7)
    assert cell(district, 10, "threshold") == 1.5 and cell(district, 10, "district_id") == 10
    assert fired(result, "low_supply", "city").empty

    # district 20 down to 26: 2.6 → warning; city (10 + 4 + 26) / 30 = 1.33 → critical
    frame.loc[frame["store_id"] == 3, "stock"] = 26.0
    result = evaluate(frame, table)
    assert fired(result, "low_supply", "district").loc[20, "severity"] == "warning"
    city = fired(result, "low_supply", "city")
    assert cell(city, 0, "severity") == "critical" and cell(city, 0, "value") == pytest.approx(
        40 / 30
    )
    assert pd.isna(cell(city, 0, "district_id"))


def test_a_product_override_changes_what_fires() -> None:
    frame = reports(history(1, 7, sales=[10, 10, 10], stock=40))  # 4 days: fine for meat
    table = stores((1, 10))
    assert fired(evaluate(frame, table), "low_supply").empty
    stricter = resolve_thresholds(
        products=MEAT, product_overrides={7: {"low_supply_warning_days": 5}}
    )
    alerts = fired(evaluate(frame, table, thresholds=stricter), "low_supply")
    assert cells(alerts, 1, "severity", "threshold") == ["warning", 5.0]


# --- stockout --------------------------------------------------------------------------


def test_stockout_escalates_when_a_fifth_of_the_district_is_out() -> None:
    def carrying(store: int, out: bool) -> list[dict[str, object]]:
        return history(store, 7, sales=[10, 10, 10], stock=[30, 20, 0] if out else 30)

    frame = reports(
        # district 10: 1 of 5 stores out = 20 % → critical
        *[carrying(store, out=store == 1) for store in range(1, 6)],
        # district 20: 1 of 6 stores out = 16.7 % → warning
        *[carrying(store, out=store == 11) for store in range(11, 17)],
        # no demand (sold nothing while in stock), now empty: not a stockout
        history(21, 7, sales=[0, 0, 0], stock=[5, 5, 0]),
    )
    table = stores(*[(s, 10) for s in range(1, 6)], *[(s, 20) for s in range(11, 17)], (21, 30))
    alerts = fired(evaluate(frame, table), "stockout")
    assert sorted(alerts.index) == [1, 11]
    assert outcome(alerts, 1) == ["critical", 0.2, 0.2]
    assert cell(alerts, 11, "severity") == "warning"
    assert cell(alerts, 11, "value") == pytest.approx(1 / 6) and cell(alerts, 11, "threshold") == 0
    assert cell(alerts, 1, "summary") == (
        "store 1 product 7: out of stock (usually sells 10.0/day); "
        "1 of 5 stores carrying it in district 10 are out (20 %)"
    )
    regions = pd.DataFrame(
        {"region_id": [10, 20], "name": ["Weidong", "Xinhua"], "code": ["410403", "410405"]}
    )
    named = fired(evaluate(frame, table, regions=regions), "stockout")
    assert cell(named, 1, "summary") == (
        "store 1 product 7: out of stock (usually sells 10.0/day); "
        "1 of 5 stores carrying it in District Weidong (410403) are out (20 %)"
    )


# --- price_spike -----------------------------------------------------------------------


def priced(store: int, earlier: list[float], today: float) -> list[dict[str, object]]:
    prices = [*earlier, today]
    return history(store, 7, sales=[10] * len(prices), stock=100, price=prices)


def test_price_spike_against_the_median_of_the_days_before() -> None:
    # 13 days at 10 and yesterday at 11: median 10, so +15 % is 11.5 and +30 % is 13.0;
    # day over day from 11: 11.5 is +4.5 %, 11.49 is +4.45 %, 13.0 is +18 %.
    earlier = [10.0] * 13 + [11.0]
    frame = reports(priced(1, earlier, 11.5), priced(2, earlier, 13.0), priced(3, earlier, 11.49))
    alerts = fired(evaluate(frame, stores((1, 10), (2, 10), (3, 10))), "price_spike")
    assert sorted(alerts.index) == [1, 2]
    assert cell(alerts, 1, "severity") == "warning" and cell(alerts, 1, "value") == 11.5
    assert cell(alerts, 1, "threshold") == pytest.approx(11.5)
    assert cell(alerts, 2, "severity") == "critical"
    assert cell(alerts, 2, "threshold") == pytest.approx(13.0)
    assert cell(alerts, 2, "summary") == (
        "store 2 product 7: price 13.0; +30 % on the median 10.0 of 14 earlier days;"
        " +18 % on the day before (11.0)"
    )


def test_price_spike_day_over_day() -> None:
    # 14 days at 10: 11.0 is +10 % on both the median (below 15 %) and the day before.
    frame = reports(priced(1, [10.0] * 14, 11.0), priced(2, [10.0] * 14, 10.99))
    alerts = fired(evaluate(frame, stores((1, 10), (2, 10))), "price_spike")
    assert list(alerts.index) == [1]
    assert cell(alerts, 1, "severity") == "warning"
    assert cell(alerts, 1, "threshold") == pytest.approx(11.0)
    assert cell(alerts, 1, "summary").endswith("; +10 % on the day before (10.0)")


def test_price_spike_outlier_among_the_districts_outlets() -> None:
    # District 10, six outlets today: 9.8, 10, 10, 10.1, 10.2, 20. Median 10.05;
    # deviations 0.25, 0.05, 0.05, 0.05, 0.15, 9.95 → MAD 0.1.
    # z(20) = 0.6745 × 9.95 / 0.1 = 67.1 → warning; z(10.2) = 1.01 → nothing.
    # The level crossed is 10.05 + 3.5 × 0.1 / 0.6745 = 10.5689.
    district_10 = {1: 9.8, 2: 10.0, 3: 10.0, 4: 10.1, 5: 10.2, 6: 20.0}
    # District 20: four outlets only → no cross-section. District 30: MAD 0 → skipped.
    district_20 = {11: 10.0, 12: 10.0, 13: 10.1, 14: 50.0}
    district_30 = {21: 10.0, 22: 10.0, 23: 10.0, 24: 10.0, 25: 20.0}
    # District 40: a price far *below* the others is a unit mistake, not a spike.
    district_40 = {31: 1.0, 32: 9.8, 33: 10.0, 34: 10.0, 35: 10.1, 36: 10.2}
    prices = {**district_10, **district_20, **district_30, **district_40}
    frame = reports(*[priced(store, [], price) for store, price in prices.items()])
    table = stores(
        *[(s, 10) for s in district_10],
        *[(s, 20) for s in district_20],
        *[(s, 30) for s in district_30],
        *[(s, 40) for s in district_40],
    )
    alerts = fired(evaluate(frame, table), "price_spike")
    assert list(alerts.index) == [6]
    assert cell(alerts, 6, "severity") == "warning" and cell(alerts, 6, "value") == 20.0
    assert cell(alerts, 6, "threshold") == pytest.approx(10.05 + 3.5 * 0.1 / 0.6745)
    assert "robust z 67.1 against 6 outlets in the district (median 10.05)" in cell(
        alerts, 6, "summary"
    )


# --- sales_surge -----------------------------------------------------------------------


def test_sales_surge_against_the_days_before_with_inclusive_boundaries() -> None:
    frame = reports(
        history(1, 7, sales=[10, 10, 10, 20], stock=100),  # 2.0× → warning
        history(2, 7, sales=[10, 10, 10, 19.9], stock=100),  # 1.99× → nothing
        history(3, 7, sales=[10, 10, 10, 30], stock=100),  # 3.0× → critical
        history(4, 7, sales=[10, 10, 50], stock=100),  # two days before: untrusted
    )
    alerts = fired(evaluate(frame, stores((1, 10), (2, 10), (3, 10), (4, 10))), "sales_surge")
    assert sorted(alerts.index) == [1, 3]
    assert outcome(alerts, 1) == ["warning", 2.0, 2.0]
    assert outcome(alerts, 3) == ["critical", 3.0, 3.0]
    assert cell(alerts, 3, "summary") == (
        "store 3 product 7: sold 30.0 today, 3.0× the usual 10.0/day (threshold 3.0×)"
    )


# --- missing_report and reporting rates -----------------------------------------------


def reporting_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    table = stores((1, 10), (2, 10), (3, 10), (4, 10), (5, 10, False), (6, 10), (7, 20))
    early = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
    late = datetime(2026, 5, 11, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai on D+1
    sent = submissions(
        (1, 0, early),  # on time
        (2, 1, early),  # yesterday only → 1 day missing
        (3, 2, early),  # two days ago → D and D-1 missing
        (4, 0, late),  # D, but after the cut-off
        (7, 0, CUTOFF),  # exactly at the cut-off: on time
        (9, 0, early),  # unknown store: ignored
    )
    return table, sent


def test_missing_report_escalates_after_two_days() -> None:
    table, sent = reporting_case()
    reporting = store_reporting(stores=table, submissions=sent, business_day=D, cutoff=CUTOFF)
    assert reporting.set_index("store_id")["consecutive_missing_days"].to_dict() == {
        1: 0,
        2: 1,
        3: 2,
        4: 0,
        6: 7,
        7: 0,
    }
    result = evaluate(reports(), table, reporting=reporting)
    alerts = fired(result, "missing_report")
    assert sorted(alerts.index) == [2, 3, 6]  # 4 reported late: the condition has cleared
    assert outcome(alerts, 2) == ["warning", 1.0, 1.0]
    assert outcome(alerts, 3) == ["critical", 2.0, 2.0]
    assert (
        cell(alerts, 6, "summary")
        == "store 6 has not reported 2026-05-10 (at least 7 day(s) in a row)"
    )
    assert alerts["product_id"].isna().all() and alerts["category"].isna().all()
    assert (alerts["district_id"] == 10).all()


def test_reporting_rates_follow_dhis2_definitions() -> None:
    table, sent = reporting_case()
    rates = reporting_rates(stores=table, submissions=sent, business_day=D, cutoff=CUTOFF)
    rates = rates.set_index("district_id")
    # district 10: active stores 1, 2, 3, 4, 6; received 1 and 4; on time 1 only
    assert cells(rates, 10, "expected", "received", "on_time") == [5, 2, 1]
    assert cell(rates, 10, "reporting_rate") == pytest.approx(0.4)
    assert cell(rates, 10, "on_time_rate") == pytest.approx(0.2)
    assert cells(rates, 20, "expected", "received", "on_time") == [1, 1, 1]


def test_cutoff_is_ten_in_the_morning_local_time_on_the_next_day() -> None:
    cutoff = report_cutoff(business_day=D, timezone="Asia/Shanghai", settings=ReportingSettings())
    assert cutoff == CUTOFF and cutoff.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="missing_critical_days"):
        ReportingSettings(missing_critical_days=1)


# --- fingerprints and the result frame -------------------------------------------------


def test_fingerprints_are_stable_and_distinct_across_scopes() -> None:
    frame = reports(
        history(1, 7, sales=[10, 10, 10], stock=5),
        history(10, 7, sales=[10, 10, 10], stock=5),
        history(10, 8, sales=[10, 10, 10], stock=5),
    )
    table = stores((1, 10), (10, 10))
    catalogue = products((7, "meat"), (8, "meat"))
    first = evaluate(frame, table, catalogue)
    second = evaluate(frame.sample(frac=1.0, random_state=3), table, catalogue)
    assert first["fingerprint"].tolist() == second["fingerprint"].tolist()
    assert first["fingerprint"].is_unique  # store 10 vs district 10, product 7 vs 8, ...
    key = "low_supply|store|1|7"
    expected = hashlib.sha256(key.encode()).hexdigest()[:32]
    assert alert_fingerprint(rule="low_supply", scope_level="store", scope_id=1, product_id=7) == (
        expected
    )
    store_one = first[(first["scope_level"] == "store") & (first["scope_id"] == 1)]
    assert store_one["fingerprint"].tolist() == [expected]
    district = first[(first["scope_level"] == "district") & (first["product_id"] == 7)]
    assert district["fingerprint"].iloc[0] == alert_fingerprint(
        rule="low_supply", scope_level="district", scope_id=10, product_id=7
    )
    assert (
        alert_fingerprint(rule="missing_report", scope_level="store", scope_id=1, product_id=None)
        == hashlib.sha256(b"missing_report|store|1|-").hexdigest()[:32]
    )


def test_nothing_to_report_gives_an_empty_frame_with_every_column() -> None:
    frame = reports(history(1, 7, sales=[10, 10, 10], stock=50))
    result = evaluate(frame, stores((1, 10)))
    assert result.empty and tuple(result.columns) == ALERT_COLUMNS


def test_critical_first_and_codes_label_the_summaries() -> None:
    frame = reports(
        history(1, 7, sales=[10, 10, 10], stock=25),  # 2.5 days: warning
        history(2, 7, sales=[10, 10, 10], stock=5),  # 0.5 days: critical
    )
    table = stores((1, 10), (2, 10)).assign(code=["PDS-0001", "PDS-0002"])
    catalogue = MEAT.assign(code=["pork"])
    result = evaluate(frame, table, catalogue)
    assert result["severity"].tolist()[0] == "critical"
    assert (result["severity"] == "critical").is_monotonic_decreasing
    store_alerts = fired(result, "low_supply")
    assert cell(store_alerts, 2, "summary").startswith("PDS-0002 pork: 0.5 days of supply")
    assert not math.isnan(cell(store_alerts, 1, "value"))


def test_a_non_numeric_override_is_reported_not_crashed_on() -> None:
    with pytest.raises(InvalidThresholds) as raised:
        resolve_thresholds(
            products=MEAT, category_overrides={"meat": {"price_outlier_min_outlets": "many"}}
        )
    assert [str(problem) for problem in raised.value.problems] == [
        "category meat: price_outlier_min_outlets must be a number, not 'many'"
    ]
