"""Thresholds: DESIGN.md's defaults per category, overrides per category and product, and
every contradiction refused with a message people can act on."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from monitors.alerting.thresholds import (
    ANY_CATEGORY,
    InvalidThresholds,
    RuleThresholds,
    category_thresholds,
    default_thresholds,
    fallback_thresholds,
    resolve_category_thresholds,
    resolve_thresholds,
    validate_thresholds,
)

CATALOGUE = pd.DataFrame(
    {
        "product_id": [1, 2, 3, 4, 5],
        "category": ["vegetables", "meat", "grain", "condiments", "dairy"],
    }
)


def cell(table: pd.DataFrame, key: int | str, column: str) -> Any:
    """One value (typed loosely: pandas-stubs cannot know a cell's type)."""
    return table.at[key, column]


def levels(table: pd.DataFrame, key: int | str) -> tuple[float, float]:
    """Warning and critical low-supply days of one row."""
    return (
        float(cell(table, key, "low_supply_warning_days")),
        float(cell(table, key, "low_supply_critical_days")),
    )


def test_defaults_per_category_follow_the_design_table() -> None:
    resolved = resolve_thresholds(products=CATALOGUE)
    assert [levels(resolved, product) for product in (1, 2, 3, 5)] == [
        (2.0, 1.0),  # vegetables
        (3.0, 1.5),  # meat
        (7.0, 3.0),  # grain
        (2.0, 1.0),  # dairy
    ]
    assert levels(resolved, 4) == (3.0, 1.5)  # a category without defaults: ANY_CATEGORY
    assert resolved.loc[4, "category"] == "condiments"
    assert fallback_thresholds() == default_thresholds()[ANY_CATEGORY]
    assert default_thresholds()["grain"].overstock_days == 28.0
    assert validate_thresholds(RuleThresholds()) == []


def test_a_category_override_changes_only_the_fields_it_names() -> None:
    overrides: dict[str, dict[str, object]] = {
        "meat": {"low_supply_warning_days": 4},
        "condiments": {"price_spike_warning": 0.2},
    }
    resolved = resolve_thresholds(products=CATALOGUE, category_overrides=overrides)
    assert levels(resolved, 2) == (4.0, 1.5)
    assert resolved.loc[2, "price_spike_warning"] == 0.15
    assert levels(resolved, 1) == (2.0, 1.0)  # other categories untouched
    assert resolved.loc[4, "price_spike_warning"] == 0.2  # a new category from ANY_CATEGORY
    assert levels(resolved, 4) == (3.0, 1.5)
    by_category = resolve_category_thresholds(
        categories=["meat", "condiments", "unknown"], category_overrides=overrides
    )
    assert list(by_category.index) == ["meat", "condiments", "unknown"]
    assert levels(by_category, "meat") == (4.0, 1.5)
    assert levels(by_category, "unknown") == (3.0, 1.5)
    assert category_thresholds(category_overrides=overrides)["meat"].low_supply_warning_days == 4


def test_a_product_override_applies_on_top_of_its_category() -> None:
    resolved = resolve_thresholds(
        products=CATALOGUE,
        category_overrides={"meat": {"low_supply_warning_days": 4}},
        product_overrides={
            2: {"low_supply_critical_days": 2},
            3: {"sales_surge_warning": 2.5, "price_outlier_min_outlets": 6.0},
        },
    )
    assert levels(resolved, 2) == (4.0, 2.0)  # the category's warning, the product's critical
    assert resolved.loc[3, "sales_surge_warning"] == 2.5
    assert resolved.loc[3, "price_outlier_min_outlets"] == 6
    assert resolved["price_outlier_min_outlets"].dtype == "int64"
    assert levels(resolved, 1) == (2.0, 1.0)


def test_contradictions_and_bad_numbers_are_refused_with_every_problem() -> None:
    with pytest.raises(InvalidThresholds) as raised:
        resolve_thresholds(
            products=CATALOGUE,
            category_overrides={
                "vegetables": {"low_supply_critical_days": 2},  # not stricter than warning 2
                "meat": {"colour": 1},
            },
            product_overrides={
                3: {"price_spike_warning": -0.1},
                9: {"sales_surge_warning": 3},
            },
        )
    assert [str(problem) for problem in raised.value.problems] == [
        "category vegetables: low_supply critical (< 2 days) must be stricter than warning "
        "(< 2.0 days)",
        "category meat: unknown threshold(s) colour",
        "product 3: price_spike_warning must not be negative (-0.1)",
        "product 9: not in the product list",
    ]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"price_outlier_min_outlets": 4.5}, "price_outlier_min_outlets must be a whole number"),
        ({"price_outlier_min_outlets": "many"}, "must be a number, not 'many'"),
        ({"overstock_factor": 1.0}, "overstock_factor must exceed 1"),
        ({"stockout_critical_share": 1.5}, "stockout_critical_share must be in (0, 1]"),
        ({"sales_surge_critical": 2.0}, "sales_surge critical (2.0×) must be stricter"),
        ({"price_spike_critical": 0.1}, "price_spike critical (+10%) must be stricter"),
        ({"low_supply_warning_days": float("inf")}, "low_supply_warning_days must be finite"),
        ({"price_outlier_min_outlets": 2}, "price_outlier_min_outlets must be at least 3"),
    ],
)
def test_each_kind_of_bad_threshold_is_named(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(InvalidThresholds) as raised:
        category_thresholds(category_overrides={"meat": changes})
    assert len(raised.value.problems) == 1
    assert str(raised.value.problems[0]).startswith("category meat: ")
    assert problem in str(raised.value.problems[0])
