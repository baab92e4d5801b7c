"""The dashboard lists the worst situations exactly as the alerts page orders them (open
alerts grouped by district × category), so a city with thousands of open alerts shows a
handful of rows a bureau can read, each counting its alerts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from monitors.queries.alert_groups import alert_groups
from monitors.queries.dashboard import SITUATIONS_SHOWN, dashboard_situations
from tests.monitors.queries.test_alert_groups import BUREAU, seeded_city


def test_the_dashboards_situations_are_the_alerts_pages_first_page(session: Session) -> None:
    seeded_city(session)
    every = alert_groups(session=session, principal=BUREAU, limit=100, offset=0)
    situations = dashboard_situations(session=session, principal=BUREAU)
    assert situations.total == every.total > SITUATIONS_SHOWN
    assert [group.key for group in situations.items] == [
        group.key for group in every.items[:SITUATIONS_SHOWN]
    ]
    assert sum(group.alerts for group in every.items) == 120  # every open alert, once
    assert list(situations.items[0].key) == ["district", "category"]
    assert situations.items[0].worst_severity.value == "critical"
