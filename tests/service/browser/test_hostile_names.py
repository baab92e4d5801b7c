"""Names are data, never markup (issue 12, #1): a dispatcher who names a compound
``<img src=x onerror=...>`` must not run script in an admin's browser. Chromium opens the
pages with such a payload planted in every name they show (compound, store, region,
category, product, enterprise, producer), hovers the chart points that carry them, and checks
that the payload showed as text, never ran, and that the Content-Security-Policy did not
have to block anything: neither the payload nor the pages' own scripts and styles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from accounts.authentication import ensure_admin_key
from core.database import create_database_engine, create_session_factory, session_scope
from models import Compound, Enterprise, Producer, Product, ProductCategory, Region, Store
from models.compound import LockdownStatus
from models.region import RegionLevel
from tests.service.browser.conftest import DESKTOP, LiveServer, fill_sign_in

ADMIN_TOKEN = "sw_hostile_names_test_admin_token_0123456789"
RAN = "xss-ran"
BLOCKED = "Content Security Policy"


def payload(kind: str) -> str:
    """A name that runs script wherever it is put into HTML unescaped."""
    return f"{kind} <img src=x onerror=\"console.log('{RAN}:{kind}')\">"


@pytest.fixture(scope="module")
def planted(live_server: LiveServer) -> Iterator[dict[str, str]]:
    """Plant the payload in one name of each kind through the API (categories have no
    API write, so theirs goes to the table), and put the demo's names back afterwards."""
    engine = create_database_engine(live_server.settings.database_url)
    factory = create_session_factory(engine)
    with session_scope(factory) as session:
        ensure_admin_key(session, ADMIN_TOKEN)
        store = session.scalars(
            select(Store)
            .where(Store.latitude.is_not(None), Store.enterprise_id.is_not(None))
            .order_by(Store.code)
        ).first()
        district = session.scalars(
            select(Region).where(Region.level == RegionLevel.district).order_by(Region.code)
        ).first()
        compound = session.scalars(
            select(Compound)
            .where(Compound.lockdown_status == LockdownStatus.locked)
            .order_by(Compound.code)
        ).first()
        producer = session.scalars(select(Producer).order_by(Producer.code)).first()
        category = session.scalars(select(ProductCategory).order_by(ProductCategory.code)).first()
        product = session.scalars(select(Product).where(Product.code == "rice")).first()
        assert store and district and compound and producer and category and product
        enterprise = session.get(Enterprise, store.enterprise_id)
        assert enterprise is not None
        rows: dict[str, tuple[Any, str, str]] = {
            "store": (Store, store.code, store.name),
            "region": (Region, district.code, district.name),
            "compound": (Compound, compound.code, compound.name),
            "producer": (Producer, producer.code, producer.name),
            "category": (ProductCategory, category.code, category.name),
            "product": (Product, product.code, product.name),
            "enterprise": (Enterprise, enterprise.code, enterprise.name),
        }
        session.execute(
            update(ProductCategory)
            .where(ProductCategory.code == category.code)
            .values(name=payload("category"))
        )
    paths = {
        "store": f"/api/v1/stores/{store.code}",
        "region": f"/api/v1/regions/{district.code}",
        "compound": f"/api/v1/compounds/{compound.code}",
        "producer": f"/api/v1/producers/{producer.code}",
        "enterprise": f"/api/v1/enterprises/{enterprise.code}",
        "product": f"/api/v1/products/{product.code}",
    }
    with httpx.Client(
        base_url=live_server.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as api:
        for kind, path in paths.items():
            response = api.patch(path, json={"name": payload(kind)})
            assert response.status_code == 200, (kind, response.text)
    yield {kind: code for kind, (_, code, _) in rows.items()}
    with session_scope(factory) as session:
        for table, code, name in rows.values():
            session.execute(update(table).where(table.code == code).values(name=name))
    engine.dispose()


@pytest.fixture
def watched(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """Sign a demo login in, in a fresh context whose console, page errors and CSP
    violation events are collected in ``page.problems``."""
    contexts: list[Any] = []

    def open_as(username: str | None) -> Any:
        context = browser.new_context(viewport=DESKTOP, locale="en-GB")
        context.set_default_timeout(60_000)
        context.add_init_script(
            "document.addEventListener('securitypolicyviolation', (e) => console.error("
            "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI"
            " + ' at ' + e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber));"
        )
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda message: page.problems.append(message.text))
        page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
        if username is None:
            page.goto(live_server.url + "/login")
        else:
            fill_sign_in(page, live_server.url, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


FIND_POINT = """
([id, markers]) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  const option = chart.getOption();
  const has = (text, marker) => typeof text === "string" && text.indexOf(marker) >= 0;
  for (let s = 0; s < option.series.length; s++) {
    const data = option.series[s].data;
    for (let i = 0; i < data.length; i++) {
      const item = data[i];
      let value = null;
      if (Array.isArray(item) && markers.length === 2) {
        const x = option.xAxis[0].data[item[0]], y = option.yAxis[0].data[item[1]];
        const xName = typeof x === "object" ? x.value : x;
        const yName = typeof y === "object" ? y.value : y;
        if (has(xName, markers[0]) && has(yName, markers[1])) { value = [item[0], item[1]]; }
      } else if (item && has(item.name, markers[0])) {
        value = item.value.slice(0, 2);
      }
      if (value) {
        const [x, y] = chart.convertToPixel({seriesIndex: s}, value);
        const box = chart.getDom().getBoundingClientRect();
        return {x: box.left + x, y: box.top + y, series: s, index: i};
      }
    }
  }
  return null;
}
"""

SHOW_TIP = """
([id, point]) => echarts.getInstanceByDom(document.getElementById(id)).dispatchAction(
  {type: "showTip", seriesIndex: point.series, dataIndex: point.index})
"""


def hover(page: Any, chart: str, *markers: str) -> str:
    """Hover the point of ``chart`` whose name (or axis names) carry ``markers``; returns
    the tooltip's text. A point under another one is shown through ECharts' own showTip."""
    page.locator(f"#{chart} canvas").first.wait_for()
    point = page.evaluate(FIND_POINT, [chart, list(markers)])
    assert point is not None, f"no point of {markers} on #{chart}"
    page.mouse.move(point["x"], point["y"])
    page.wait_for_timeout(300)
    text = str(page.locator(f"#{chart}").inner_text())
    if markers[0] not in text:
        page.evaluate(SHOW_TIP, [chart, point])
        page.wait_for_timeout(300)
        text = str(page.locator(f"#{chart}").inner_text())
    return text


def assert_nothing_ran_or_was_blocked(page: Any) -> None:
    assert not [text for text in page.problems if RAN in text], page.problems
    assert not [text for text in page.problems if BLOCKED in text], page.problems
    assert not [text for text in page.problems if text.startswith("page error")], page.problems


def test_hovering_hostile_names_on_the_dashboard_runs_nothing(
    watched: Any, live_server: LiveServer, planted: dict[str, str]
) -> None:
    page = watched("admin")
    page.goto(live_server.url + "/dashboard")
    heatmap = hover(page, "heatmap", "category <img", "region <img")
    store = hover(page, "store-map", "store <img")
    compound = hover(page, "store-map", "compound <img")
    assert_nothing_ran_or_was_blocked(page)
    assert page.locator("img[src=x]").count() == 0
    assert payload("category") in heatmap and payload("region") in heatmap
    assert payload("store") in store and payload("compound") in compound


def test_hovering_a_hostile_producer_on_the_supply_map_runs_nothing(
    watched: Any, live_server: LiveServer, planted: dict[str, str]
) -> None:
    page = watched("bureau")
    page.goto(f"{live_server.url}/supply?product=&category=&kind=&region=")
    producer = hover(page, "producer-map", "producer <img")
    assert_nothing_ran_or_was_blocked(page)
    assert page.locator("img[src=x]").count() == 0
    assert payload("producer") in producer


def test_the_history_chart_and_its_tooltip_run_under_the_policy(
    watched: Any, live_server: LiveServer, planted: dict[str, str]
) -> None:
    page = watched("bureau")
    page.goto(f"{live_server.url}/dashboard/district/{planted['region']}")
    assert payload("region") in page.locator("h1").inner_text()
    page.goto(f"{live_server.url}/dashboard/product/{planted['product']}")
    assert payload("product") in page.locator("h1").inner_text()
    page.locator("#history canvas").first.wait_for()
    box = page.locator("#history").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.3)
    page.wait_for_timeout(300)
    assert page.locator("#history").inner_text().strip(), "the axis tooltip did not show"
    assert_nothing_ran_or_was_blocked(page)


def test_the_api_docs_run_the_vendored_swagger_ui_under_the_pages_policy(
    watched: Any, live_server: LiveServer
) -> None:
    """The vendored Swagger UI renders under the same policy as the pages, refused nothing."""
    page = watched(None)
    page.goto(live_server.url + "/docs")
    page.wait_for_selector(".swagger-ui .info")
    page.locator(".opblock-tag").nth(9).wait_for()  # ten areas of the API listed
    assert not [text for text in page.problems if BLOCKED in text], page.problems


@pytest.mark.parametrize(
    ("username", "path"),
    [
        (None, "/login"),
        ("admin", "/store"),
        ("admin", "/store/{store}"),
        ("admin", "/alerts"),
        ("admin", "/admin/stores"),
        ("admin", "/admin/keys"),
        ("admin", "/admin/thresholds"),
        ("admin", "/admin/outlines"),
        ("admin", "/dispatch"),
        ("admin", "/driver"),
        ("bureau", "/supply/restock"),
        ("bureau", "/supply/board"),
        ("bureau", "/board"),
        ("store", "/needs"),
        ("producer", "/producer"),
    ],
)
def test_pages_listing_hostile_names_show_them_as_text(
    watched: Any,
    live_server: LiveServer,
    planted: dict[str, str],
    username: str | None,
    path: str,
) -> None:
    page = watched(username)
    page.goto(live_server.url + path.format(**planted))
    page.wait_for_load_state("networkidle")
    assert page.locator("img[src=x]").count() == 0
    assert_nothing_ran_or_was_blocked(page)
