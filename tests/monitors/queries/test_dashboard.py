"""The dashboard lists the first open alerts exactly as the alert list orders them, and
counts them all, without sorting every open alert of a province."""

from __future__ import annotations

from sqlalchemy.orm import Session

from monitors.queries.alerts import StatusFilter, list_alerts
from monitors.queries.dashboard import ALERTS_SHOWN, dashboard_overview
from tests.factories import business_today
from tests.monitors.queries.test_alert_groups import BUREAU, seeded_city


def test_the_first_open_alerts_are_the_alert_lists_first_page(session: Session) -> None:
    seeded_city(session)
    listed = list_alerts(
        session=session,
        principal=BUREAU,
        status=StatusFilter.open,
        limit=ALERTS_SHOWN,
        offset=0,
    )
    overview = dashboard_overview(session=session, principal=BUREAU, today=business_today())
    assert overview.alerts.total == listed.total == 120
    assert [alert.id for alert in overview.alerts.items] == [alert.id for alert in listed.items]
    assert len(overview.alerts.items) == ALERTS_SHOWN
    assert overview.alerts.items[0].severity.value == "critical"
