"""District and city low-supply summaries name their region, as the rules write them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from core.text import stored_text
from monitors.alerting.thresholds import resolve_thresholds
from monitors.computing.aggregates import aggregate_supply
from monitors.computing.candidates import thresholds_for
from monitors.computing.evaluation import evaluate_rules
from monitors.computing.reporting import store_reporting
from monitors.computing.shortage_rules import low_supply_at_stores
from monitors.computing.supply import SupplySettings, store_supply
from service.web.i18n import translator
from tests.monitors.helpers import D, history, products, reports, stores

MEAT = products((7, "meat")).assign(code=["pork"])
REGIONS = pd.DataFrame(
    {"region_id": [1, 10], "name": ["Pingdingshan", "Weidong"], "code": ["410400", "410403"]}
)


def low_supply_candidates(regions: pd.DataFrame | None) -> pd.DataFrame:
    """The district and city low_supply candidates of two short stores."""
    frame = reports(
        history(1, 7, sales=[10, 10, 10], stock=10),
        history(2, 7, sales=[10, 10, 10], stock=4),
    )
    table = stores((1, 10), (2, 10)).assign(city_id=1)
    rows = store_supply(reports=frame, stores=table, business_day=D, settings=SupplySettings())
    aggregates = pd.concat(
        [
            aggregate_supply(
                store_rows=rows, stores=table, products=MEAT, level=level, by="product"
            )
            for level in ("district", "city")
        ],
        ignore_index=True,
    )
    on_time = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
    reporting = store_reporting(
        stores=table,
        submissions=pd.DataFrame(
            [(store, pd.Timestamp(D), on_time) for store in (1, 2)],
            columns=["store_id", "report_date", "first_received_at"],
        ),
        business_day=D,
        cutoff=datetime(2026, 5, 11, 2, 0, tzinfo=UTC),
    )
    candidates = evaluate_rules(
        store_rows=rows,
        aggregates=aggregates,
        stores=table,
        products=MEAT,
        thresholds=resolve_thresholds(products=MEAT),
        reporting=reporting,
        business_day=D,
        regions=regions,
    )
    return candidates[
        (candidates["rule"] == "low_supply") & (candidates["scope_level"] != "store")
    ].set_index("scope_level")


def low_supply_summaries(regions: pd.DataFrame | None) -> dict[str, str]:
    """The district and city low_supply summaries of two short stores, by scope level."""
    found = low_supply_candidates(regions)["summary"]
    return {str(level): str(text) for level, text in found.items()}


def test_district_and_city_summaries_name_their_region() -> None:
    summaries = low_supply_summaries(REGIONS)
    assert summaries == {
        "district": "District Weidong (410403) pork: 0.7 days of supply (stock 14.0 for "
        "20.0/day over 2 stores; 2 of 2 reported today), below 1.5",
        "city": "City Pingdingshan (410400) pork: 0.7 days of supply (stock 14.0 for "
        "20.0/day over 2 stores; 2 of 2 reported today), below 1.5",
    }


def test_without_region_names_a_summary_gives_the_scope_id() -> None:
    summaries = low_supply_summaries(None)
    assert summaries["district"].startswith("district 10 pork: 0.7 days of supply")
    assert summaries["city"].startswith("city 1 pork: 0.7 days of supply")
    unnamed = low_supply_summaries(REGIONS[REGIONS["region_id"] == 1])
    assert unnamed["district"].startswith("district 10 pork:")
    assert unnamed["city"].startswith("City Pingdingshan (410400) pork:")


def test_a_chinese_reader_sees_the_districts_chinese_name_and_chinese_words() -> None:
    named = REGIONS.assign(name_zh=["平顶山市", "卫东区"])
    texts = low_supply_candidates(named)["summary_text"]
    district = stored_text(json.loads(texts["district"])).render(translator("zh"), "zh")
    assert district == (
        "卫东区（410403） pork：可供应 0.7 天（2 家门店库存 14.0，日销 20.0；"
        "今日 2 家中 2 家已报送），低于 1.5 天"
    )
    city = stored_text(json.loads(texts["city"])).render(translator("zh"), "zh")
    assert city.startswith("平顶山市（410400） pork：可供应 0.7 天")


def forecast_rows(**changed: list[Any]) -> pd.DataFrame:
    """Two store lines the forecast warns about (store 1 and 2, pork, district 10)."""
    rows = {
        "store_id": [1, 2],
        "product_id": [7, 7],
        "district_id": [10, 10],
        "low_supply_fires": [True, True],
        "low_supply_critical": [False, True],
        "days_of_supply": [1.5, 0.6],
        "last_report_date": pd.to_datetime([D, D]),
        "report_age_days": [0, 0],
        "projected_stockout_days": [2.0, 1.0],
        "stockout_chance": [0.7, 0.9],
        "delivery_fill": [0.4, np.nan],
        "days_since_delivery": [0.0, 3.0],
        "typical_delivery_gap": [3.0, np.nan],
        "supply_stress": [False, True],
        "stock": [15.0, 6.0],
        "expected_daily_sales": [10.0, 10.0],
        "stale": [False, False],
        **changed,
    }
    return pd.DataFrame(rows)


def test_a_forecast_warning_says_a_delivery_came_today_and_only_what_is_known() -> None:
    candidates = low_supply_at_stores(
        rows=forecast_rows(),
        th=thresholds_for(resolve_thresholds(products=MEAT), pd.Series([7, 7])),
        stores=stores((1, 10), (2, 10)),
        products=MEAT,
    )
    today, stopped = candidates["summary"].tolist()
    assert "; delivered today, usually every 3.0 day(s); the last deliveries filled 40 %" in today
    assert "0 day(s) ago" not in today
    assert stopped.endswith(
        "; last delivery 3 day(s) ago; many shelves empty in this store or district lately"
    )
    chinese = [
        stored_text(json.loads(text)).render(translator("zh"), "zh")
        for text in candidates["summary_text"]
    ]
    assert "；今天有到货，通常每 3.0 天到货一次" in chinese[0]
    assert chinese[1].endswith("；上次到货在 3 天前；该门店或区县近来多处货架售空")
