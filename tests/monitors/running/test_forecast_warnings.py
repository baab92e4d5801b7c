"""The store ``low_supply`` warning comes from each line's stock-out forecast in a real run,
on both databases: quiet for a shelf refilled every morning, loud (with its reasons) for a
shelf whose deliveries stopped; the cover rule stays available by setting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.text import stored_text
from models import AlertRule, AlertStatus, SupplySnapshot
from monitors.computing.supply import SupplySettings
from monitors.running.runs import MonitorConfig, compute_day
from service.configuration import monitor_config
from service.settings import Settings
from service.web.i18n import translator
from tests.monitors.running.test_runs import D, city, history, open_alerts, snapshot

__all__ = ["city"]  # the fixture, shared with the run tests

COVER = MonitorConfig(supply=SupplySettings(warning_method="cover"))


def store_warnings(session: Session) -> list[Any]:
    return [a for a in open_alerts(session, AlertRule.low_supply) if a.scope_level == "store"]


def run_with(session: Session, config: MonitorConfig | None = None) -> None:
    session.expire_all()
    compute_day(session, business_date=D, run_id=None, config=config or MonitorConfig())
    session.expire_all()


def just_in_time(days: int) -> list[tuple[float, float]]:
    """Sells 10 a day, closes with 8 and is refilled to 18 every morning."""
    return [(8.0, 10.0)] * days


def test_a_shelf_refilled_every_morning_gets_no_warning_though_under_a_day_of_cover(
    session: Session, city: dict[str, Any]
) -> None:
    history(session, city["a"], city["cabbage"].id, just_in_time(21))
    run_with(session)
    assert snapshot(session, "store", city["a"].id, city["cabbage"].id).days_of_supply == 0.8
    assert store_warnings(session) == []


def test_the_cover_rule_warns_on_the_same_shelf_when_chosen(
    session: Session, city: dict[str, Any]
) -> None:
    history(session, city["a"], city["cabbage"].id, just_in_time(21))
    run_with(session, MonitorConfig(supply=SupplySettings(warning_method="cover", resupply_days=0)))
    [warning] = store_warnings(session)
    assert warning.value == 0.8 and "days of supply" in warning.summary


def test_a_shelf_whose_deliveries_stopped_warns_when_it_will_run_out_and_why_in_both_languages(
    session: Session, city: dict[str, Any]
) -> None:
    # Refilled to 40 every morning for two weeks and a half, then nothing came for three
    # days: 30 → 22 → 14 → 6, selling 8 a day against 10 usually.
    days = [(30.0, 10.0)] * 18 + [(22.0, 8.0), (14.0, 8.0), (6.0, 8.0)]
    history(session, city["a"], city["cabbage"].id, days)
    run_with(session)
    [warning] = store_warnings(session)
    assert warning.status is AlertStatus.firing
    assert warning.value == 0.6  # days of supply, as DESIGN.md defines them: 6 ÷ 10
    run_out = D + timedelta(days=1)
    assert f"projected to run out on {run_out:%A} {run_out.isoformat()}" in warning.summary
    assert "0.6 days of sales left (stock 6.0, selling 10.0/day)" in warning.summary
    assert "last delivery 3 day(s) ago, usually every 1.0 day(s)" in warning.summary
    assert warning.severity.value == "critical"  # the stock-out falls within a day
    # The same words kept as message ids and values, for a Chinese page.
    assert warning.summary_text is not None
    words = stored_text(warning.summary_text)
    assert words.render() == warning.summary  # the English the API answers with
    chinese = words.render(translator("zh"), "zh")
    weekday = "星期" + "一二三四五六日"[run_out.weekday()]
    assert f"预计 {run_out.isoformat()}（{weekday}）售罄" in chinese
    assert "剩余 0.6 天的销量（库存 6.0，日销 10.0）" in chinese
    assert "；上次到货在 3 天前，通常每 1.0 天到货一次" in chinese
    assert not any(english in chinese for english in ("run out", "selling", "delivery", "day(s)"))


def test_days_of_supply_in_the_snapshots_do_not_depend_on_the_warning_method(
    session: Session, city: dict[str, Any]
) -> None:
    days = [(30.0, 10.0)] * 18 + [(22.0, 8.0), (14.0, 8.0), (6.0, 8.0)]
    history(session, city["a"], city["cabbage"].id, days)
    history(session, city["b"], city["rice"].id, [(50.0, 10.0)] * 10)
    run_with(session)
    by_forecast = sorted(
        (row.scope_level, row.scope_id, row.item_id, row.days_of_supply, row.status)
        for row in session.query(SupplySnapshot).all()
    )
    run_with(session, COVER)
    by_cover = sorted(
        (row.scope_level, row.scope_id, row.item_id, row.days_of_supply, row.status)
        for row in session.query(SupplySnapshot).all()
    )
    assert by_forecast == by_cover and by_forecast


def test_the_service_setting_chooses_the_warning_method() -> None:
    assert monitor_config(Settings()).supply.warning_method == "forecast"
    chosen = monitor_config(Settings(low_supply_method="cover"))
    assert chosen.supply.warning_method == "cover"


def test_a_warned_shelf_that_empties_keeps_its_warning_critical_beside_the_stockout(
    session: Session, city: dict[str, Any]
) -> None:
    # Warned the day before with 6 left of 10 a day; the next day the shelf is empty.
    city["cabbage"].name = "Savoy cabbage"  # the words name the product, not its code
    days = [(30.0, 10.0)] * 18 + [(22.0, 8.0), (14.0, 8.0), (6.0, 8.0)]
    history(session, city["a"], city["cabbage"].id, days, last=D - timedelta(days=1))
    compute_day(session, business_date=D - timedelta(days=1), run_id=None, config=MonitorConfig())
    session.expire_all()
    [warned] = store_warnings(session)
    history(session, city["a"], city["cabbage"].id, [(0.0, 6.0)], last=D)
    run_with(session)
    # One alert for the one shortage: not resolved when the shelf empties ("all clear" at
    # the worst moment) and opened anew on the next crumb.
    [still] = store_warnings(session)
    assert still.id == warned.id and still.status is AlertStatus.firing
    assert still.severity.value == "critical"
    assert "Savoy cabbage: out of stock, as warned (stock 0.0, selling" in still.summary
    assert "the warning stays until the shelf is refilled and safe" in still.summary
    assert still.summary_text is not None  # the words follow the English when it changes
    assert stored_text(still.summary_text).render() == still.summary
    assert "已如预警售罄" in stored_text(still.summary_text).render(translator("zh"), "zh")
    stockouts = [a for a in open_alerts(session, AlertRule.stockout) if a.scope_level == "store"]
    assert [a.store_id for a in stockouts] == [city["a"].id]
