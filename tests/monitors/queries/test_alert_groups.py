"""Situations are grouped in SQL on the alerts' label ids: on a seeded city, every grouping
the page offers gives exactly the groups counted one alert at a time, in the same order."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal
from models import (
    Alert,
    AlertRule,
    AlertStatus,
    Enterprise,
    Product,
    ProductCategory,
    Region,
    RegionLevel,
    Role,
    Severity,
    Store,
)
from monitors.queries.alert_groups import AlertGroupFilters, alert_groups, parse_group_by
from service.web.alert_groups import GROUPINGS
from tests.factories import make_enterprise, make_product, make_region, make_store
from tests.service.api.test_alerts import NOW, make_alert

BUREAU = Principal(kind="user", id=1, name="li", role=Role.bureau)
RULES = (AlertRule.low_supply, AlertRule.stockout, AlertRule.price_spike)
STATUSES = (AlertStatus.firing, AlertStatus.acknowledged, AlertStatus.pending)


def seeded_city(session: Session) -> None:
    """Three districts, two chains and independents, four products, and 120 open alerts on
    stores, districts and the city, with random rules, severities, statuses and times."""
    chance = random.Random(13)
    city = make_region(session, code="CITY", level=RegionLevel.city)
    districts = [make_region(session, code=f"D{n}", name=f"D{n}", parent=city) for n in range(3)]
    chains = [make_enterprise(session, code=f"CH{n}", name=f"Chain {n}") for n in range(2)]
    stores = [
        make_store(
            session, code=f"S{n:02d}", region=districts[n % 3], enterprise=[*chains, None][n % 3]
        )
        for n in range(9)
    ]
    products = [
        make_product(session, code=f"p{n}", category=("meat", "vegetables")[n % 2])
        for n in range(4)
    ]
    session.flush()
    for n in range(120):
        where = chance.random()
        scope: dict[str, Any] = (
            {"store": chance.choice(stores)}
            if where < 0.8
            else {"district": chance.choice(districts)}
            if where < 0.95
            else {"city": city}
        )
        rule = chance.choice(RULES)
        make_alert(
            session,
            rule=rule,
            severity=chance.choice((Severity.warning, Severity.critical)),
            status=chance.choice(STATUSES),
            product=chance.choice(products) if n % 10 else None,
            last_seen_at=NOW - timedelta(minutes=chance.randrange(0, 5000)),
            **scope,
        )
    make_alert(session, store=stores[0], product=products[0], status=AlertStatus.resolved)
    session.flush()


def counted_one_at_a_time(session: Session, group_by: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The groups in Python, straight from the open alerts: label codes, alerts, worst
    severity, stores, firing, acknowledged, pending and since, in the page's order (worst,
    most alerts, oldest, then by codes with the missing ones last)."""
    codes: dict[Any, dict[int | None, str]] = {
        model: dict(session.execute(select(model.id, model.code)).all())
        for model in (Region, ProductCategory, Product, Store, Enterprise)
    }
    chain_of: dict[int | None, int | None] = dict(
        session.execute(select(Store.id, Store.enterprise_id)).all()
    )
    groups: dict[tuple[Any, ...], list[Alert]] = defaultdict(list)
    for alert in session.scalars(select(Alert).where(Alert.status != AlertStatus.resolved)):
        chain = chain_of.get(alert.store_id)
        labels = {
            "district": codes[Region].get(alert.district_id),
            "category": codes[ProductCategory].get(alert.category_id),
            "product": codes[Product].get(alert.product_id),
            "rule": alert.rule.value,
            "store": codes[Store].get(alert.store_id),
            "chain": codes[Enterprise].get(chain) if chain else None,
        }
        groups[tuple(labels[name] for name in group_by)].append(alert)
    rows = []
    for key, alerts in groups.items():
        critical = any(alert.severity is Severity.critical for alert in alerts)
        rows.append(
            (
                key,
                len(alerts),
                Severity.critical if critical else Severity.warning,
                len({alert.store_id for alert in alerts if alert.store_id}),
                *(sum(alert.status is status for alert in alerts) for status in STATUSES),
                min(alert.first_seen_at for alert in alerts),
            )
        )
    return sorted(
        rows,
        key=lambda row: (
            row[2] is not Severity.critical,
            -row[1],
            row[-1],
            *((code is None, code or "") for code in row[0]),
        ),
    )


@pytest.mark.parametrize("grouping", GROUPINGS)
def test_every_grouping_gives_the_groups_counted_one_alert_at_a_time(
    session: Session, grouping: str
) -> None:
    seeded_city(session)
    group_by = parse_group_by(grouping)
    expected = counted_one_at_a_time(session, group_by)

    found = alert_groups(
        session=session,
        principal=BUREAU,
        group_by=group_by,
        filters=AlertGroupFilters(),
        limit=1000,
        offset=0,
    )
    assert found.total == len(expected) > 1
    assert [
        (
            tuple(label.code for label in group.labels),
            group.alerts,
            group.worst_severity,
            group.stores_affected,
            group.firing,
            group.acknowledged,
            group.pending,
            group.since,
        )
        for group in found.items
    ] == expected
