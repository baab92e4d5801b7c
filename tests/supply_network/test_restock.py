"""The restock formula and the ranking of sources, on frames: what is suggested follows
max(0, target_days x expected_daily_sales - stock - in_transit), worst cover first, and
a producer that can fill the need alone comes before a nearer one that cannot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from supply_network.restock import rank_sources, suggest, worst_first


def positions(*rows: tuple[int, int, float | None, float | None]) -> pd.DataFrame:
    """Positions from (scope_id, product_id, stock, expected_daily_sales) tuples."""
    return pd.DataFrame(
        [
            {
                "scope_id": scope,
                "product_id": product,
                "stock": np.nan if stock is None else stock,
                "expected_daily_sales": np.nan if sales is None else sales,
            }
            for scope, product, stock, sales in rows
        ]
    )


NO_TRANSIT = pd.Series(dtype="float64", index=pd.MultiIndex.from_arrays([[], []]))


def test_the_suggestion_fills_up_to_the_target_days_less_stock_and_what_is_on_the_road() -> None:
    frame = positions((1, 10, 120.0, 100.0), (2, 10, 120.0, 100.0))
    transit = pd.Series([80.0], index=pd.MultiIndex.from_tuples([(1, 10)]))
    result = suggest(frame, target_days=pd.Series({10: 5.0}), in_transit=transit)
    assert result["suggested"].tolist() == [300.0, 380.0]
    assert result["target_stock"].tolist() == [500.0, 500.0]
    assert result["cover_days"].tolist() == pytest.approx([2.0, 1.2])


def test_a_well_stocked_scope_is_suggested_nothing_and_no_demand_gives_no_order() -> None:
    frame = positions((1, 10, 900.0, 100.0), (2, 10, 0.0, 0.0), (3, 10, 5.0, None))
    result = suggest(frame, target_days=pd.Series({10: 5.0}), in_transit=NO_TRANSIT)
    assert result["suggested"].tolist() == [0.0, 0.0, 0.0]
    assert worst_first(result).empty


def test_an_unknown_stock_gives_an_unknown_suggestion() -> None:
    result = suggest(
        positions((1, 10, None, 100.0)), target_days=pd.Series({10: 5.0}), in_transit=NO_TRANSIT
    )
    assert np.isnan(result["suggested"].iloc[0])
    assert worst_first(result).empty


def test_target_days_differ_by_product() -> None:
    frame = positions((1, 10, 0.0, 10.0), (1, 20, 0.0, 10.0))
    result = suggest(frame, target_days=pd.Series({10: 5.0, 20: 10.0}), in_transit=NO_TRANSIT)
    assert result["suggested"].tolist() == [50.0, 100.0]


def test_worst_cover_counting_the_road_comes_first() -> None:
    frame = positions((1, 10, 100.0, 100.0), (2, 10, 0.0, 100.0), (3, 10, 150.0, 100.0))
    transit = pd.Series([90.0], index=pd.MultiIndex.from_tuples([(1, 10)]))
    ranked = worst_first(suggest(frame, target_days=pd.Series({10: 5.0}), in_transit=transit))
    assert ranked["scope_id"].tolist() == [2, 3, 1]


def producers(*rows: tuple[str, float, float, float, float]) -> pd.DataFrame:
    """Producers from (code, latitude, longitude, daily_capacity, committed) tuples."""
    return pd.DataFrame(
        rows, columns=["code", "latitude", "longitude", "daily_capacity", "committed"]
    )


def test_a_producer_that_can_fill_the_order_alone_ranks_before_nearer_smaller_ones() -> None:
    ranked = rank_sources(
        producers(
            ("small-near", 33.75, 113.30, 100.0, 0.0),
            ("big-far", 34.10, 113.30, 5000.0, 0.0),
            ("big-mid", 33.90, 113.30, 5000.0, 4800.0),
            ("full", 33.74, 113.30, 500.0, 500.0),
        ),
        latitude=33.74,
        longitude=113.30,
        suggested=1000.0,
    )
    assert ranked["code"].tolist() == ["big-far", "small-near", "big-mid"]
    assert ranked["free_capacity"].tolist() == [5000.0, 100.0, 200.0]
    far = ranked.set_index("code").at["big-far", "distance_km"]
    assert far == pytest.approx(0.36 * 111.195 * 1.3, rel=1e-3)


def test_without_a_location_sources_rank_by_what_they_can_give() -> None:
    ranked = rank_sources(
        producers(("a", 33.0, 113.0, 100.0, 0.0), ("b", 34.0, 113.0, 900.0, 0.0)),
        latitude=None,
        longitude=None,
        suggested=50.0,
    )
    assert ranked["code"].tolist() == ["b", "a"]
    assert ranked["distance_km"].isna().all()
