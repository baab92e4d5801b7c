"""The bulletin's archive for residents and the media: every published day by date, and a
price chart per product (the city-wide average with the lowest to highest outlet as a
band) from the published bulletins, in English and Chinese, with the JSON behind it."""

from __future__ import annotations

import json
import re
from statistics import mean

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.bulletin.factories import make_published_city, pork_price
from tests.factories import business_today

PRICES = "/api/v1/bulletin-products/{product}/prices"


def expected_pork(days_ago: int) -> tuple[float, float, float]:
    """Average, lowest and highest pork price of the three stores (the first one cheap)."""
    prices = [pork_price(days_ago, cheap=number == 0) for number in range(3)]
    return mean(prices), min(prices), max(prices)


def test_a_products_published_prices_come_oldest_first_with_the_outlets_range(
    client: TestClient, session: Session
) -> None:
    city = make_published_city(client, session, published_days=3)
    answer = client.get(PRICES.format(product="pork"))  # no key: public
    assert answer.status_code == 200, answer.text
    history = answer.json()
    assert (history["product"], history["name_zh"], history["unit"]) == ("pork", "猪肉", "kg")
    assert [point["business_date"] for point in history["points"]] == [
        day.isoformat() for day in city.days
    ]
    for point, days_ago in zip(history["points"], (2, 1, 0), strict=True):
        average, low, high = expected_pork(days_ago)
        assert point["average_price"] == pytest.approx(average)
        assert (point["min_price"], point["max_price"]) == (low, high)
        assert point["outlets_priced"] == 3
    assert history["points"][-1]["band"] == "crisis"
    latest = client.get(PRICES.format(product="pork"), params={"days": 1}).json()
    assert [point["business_date"] for point in latest["points"]] == [city.days[-1].isoformat()]


def test_an_unknown_product_or_a_bad_span_is_refused_clearly(
    client: TestClient, session: Session
) -> None:
    make_published_city(client, session, published_days=1)
    unknown = client.get(PRICES.format(product="caviar"))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert "caviar" in unknown.json()["detail"]
    too_long = client.get(PRICES.format(product="pork"), params={"days": 0})
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["loc"] == ["query", "days"]
    assert client.get("/bulletin/products/caviar").status_code == 404


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("Bulletin archive", "Published days", "Pork")),
        ("zh", ("公告归档", "已发布日期", "猪肉")),
    ],
)
def test_the_archive_lists_every_published_day_with_its_files_and_the_price_charts(
    client: TestClient, session: Session, language: str, words: tuple[str, ...]
) -> None:
    city = make_published_city(client, session, published_days=3)
    page = client.get("/bulletin/archive", headers={"Accept-Language": language})
    assert page.status_code == 200, page.text
    for word in words:
        assert word in page.text
    days = re.findall(r'<a href="/bulletin/(\d{4}-\d{2}-\d{2})">', page.text)
    assert days == [day.isoformat() for day in reversed(city.days)]
    for day in city.days:
        assert f'href="/api/v1/bulletins/{day}/pdf?lang={language}"' in page.text
    assert 'href="/bulletin/products/pork"' in page.text
    assert 'href="/bulletin/products/rice"' in page.text
    latest = client.get("/bulletin", headers={"Accept-Language": language})
    assert 'href="/bulletin/archive"' in latest.text
    assert 'href="/bulletin/products/pork"' in latest.text


@pytest.mark.parametrize(
    ("language", "title"), [("en", "Price over time: Pork"), ("zh", "价格走势：猪肉")]
)
def test_the_price_chart_page_carries_the_published_numbers_in_its_chart_and_table(
    client: TestClient, session: Session, language: str, title: str
) -> None:
    city = make_published_city(client, session, published_days=3)
    page = client.get("/bulletin/products/pork", headers={"Accept-Language": language})
    assert page.status_code == 200, page.text
    assert title in page.text
    assert '<script src="/static/js/price-chart.js" defer></script>' in page.text
    found = re.search(
        r'<script type="application/json" id="price-chart-data">(.*?)</script>', page.text
    )
    assert found is not None
    chart = json.loads(found.group(1))
    assert chart["points"] == [day.isoformat() for day in city.days]
    for index, days_ago in enumerate((2, 1, 0)):
        average, low, high = expected_pork(days_ago)
        assert chart["average"][index] == pytest.approx(average)
        assert (chart["low"][index], chart["high"][index]) == (low, high)
        assert f"{low:,.2f} – {high:,.2f}" in page.text
        assert f"¥{average:,.2f}" in page.text


def test_the_archive_before_any_bulletin_says_so(client: TestClient) -> None:
    page = client.get("/bulletin/archive", headers={"Accept-Language": "zh"})
    assert page.status_code == 200
    assert "尚未发布任何公告" in page.text
    assert business_today().isoformat() not in page.text
