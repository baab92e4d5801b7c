"""A small city whose bureau has published the bulletins of its last days: what the PDF,
the archive and the price chart are read from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import RegionLevel, Role
from reports.upsert import store_report_lines
from tests.factories import business_today, make_key, make_product, make_region, make_store

PORK_PRICES = {0: (26.0, 30.0), 1: (21.0, 23.0), 2: (20.0, 22.0)}
"""Pork's prices at the two kinds of store, by days before today (older days: 20 and 22)."""
RICE_PRICE = 3.0


@dataclass(frozen=True)
class PublishedCity:
    days: list[date]
    bureau: dict[str, str]


def pork_price(days_ago: int, cheap: bool) -> float:
    low, high = PORK_PRICES.get(days_ago, (20.0, 22.0))
    return low if cheap else high


def make_published_city(
    client: TestClient, session: Session, *, published_days: int = 3
) -> PublishedCity:
    """Two districts (东区, 西区), three stores, pork (猪肉) and rice (大米) reported for 40
    days, and the bulletins of the last ``published_days`` days published by the bureau."""
    root = make_region(session, code="4104", name="City", level=RegionLevel.city)
    east = make_region(session, code="410401", name="East", parent=root)
    west = make_region(session, code="410402", name="West", parent=root)
    east.name_zh, west.name_zh = "东区", "西区"
    stores = [make_store(session, region=region) for region in (east, east, west)]
    pork = make_product(session, code="pork", category="meat")
    rice = make_product(session, code="rice", category="grain")
    pork.name, pork.name_zh = "Pork", "猪肉"
    rice.name, rice.name_zh = "Rice", "大米"
    today = business_today()
    rows = []
    for days_ago in range(40):
        day = today - timedelta(days=days_ago)
        for number, store in enumerate(stores):
            for product, price in (
                (pork, pork_price(days_ago, cheap=number == 0)),
                (rice, RICE_PRICE),
            ):
                rows.append(
                    {
                        "store_id": store.id,
                        "report_date": day,
                        "product_id": product.id,
                        "stock": 50.0,
                        "sales": 10.0,
                        "price": price,
                        "received": 10.0,
                    }
                )
    store_report_lines(session, pd.DataFrame(rows), submitted_by="test")
    bureau = make_key(session, Role.bureau)
    session.commit()
    days = [today - timedelta(days=back) for back in reversed(range(published_days))]
    for day in days:
        draft = client.post("/api/v1/bulletins", json={"date": day.isoformat()}, headers=bureau)
        assert draft.status_code == 201, draft.text
        published = client.post(
            f"/api/v1/bulletin-revisions/{draft.json()['id']}/publish", headers=bureau
        )
        assert published.status_code == 200, published.text
    return PublishedCity(days=days, bureau=bureau)
