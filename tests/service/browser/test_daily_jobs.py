"""Each role's daily job in a real browser (Chromium through Playwright, SQLite only):
a store posts its report and the bureau's dashboard shows the new days of supply
after a monitor run; the bureau acknowledges an alert; a bad form shows its error
and changes nothing; the dispatcher plans, moves a stop and commits, and the driver
marks a delivery delivered. Screenshots of the pages are saved on the way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.database import create_database_engine, create_session_factory
from models import (
    Product,
    Region,
    ReportRevision,
    ScopeLevel,
    Store,
    SupplySnapshot,
    Truck,
    User,
)
from tests.service.browser.conftest import PHONE, LiveServer, wait_until


def _district_of(live_server: LiveServer, store_code: str) -> str:
    engine = create_database_engine(live_server.settings.database_url)
    with create_session_factory(engine)() as session:
        code = session.scalar(
            select(Region.code)
            .join(SupplySnapshot, SupplySnapshot.district_id == Region.id)
            .join(Store, Store.id == SupplySnapshot.scope_id)
            .where(SupplySnapshot.scope_level == ScopeLevel.store, Store.code == store_code)
            .limit(1)
        )
    engine.dispose()
    assert code is not None
    return code


def _revisions(live_server: LiveServer, store_code: str, product: str) -> int:
    engine = create_database_engine(live_server.settings.database_url)
    with create_session_factory(engine)() as session:
        count = len(
            session.scalars(
                select(ReportRevision.id)
                .join(Store, Store.id == ReportRevision.store_id)
                .join(Product, Product.id == ReportRevision.product_id)
                .where(Store.code == store_code, Product.code == product)
            ).all()
        )
    engine.dispose()
    return count


def _todays_days_of_supply(page: Any) -> float:
    cells = page.locator("#history-table tbody tr").last.locator("td")
    return float(cells.nth(1).text_content().replace(",", ""))


def test_a_store_report_moves_the_dashboards_days_of_supply(
    open_page: Any, live_server: LiveServer, screenshots: Path
) -> None:
    district = _district_of(live_server, "PDS-0001")
    bureau = open_page("bureau")
    assert bureau.url.endswith("/dashboard")
    bureau.locator("#heatmap canvas").first.wait_for()
    worst = bureau.locator("#situations tbody tr").first.locator("a")
    worst.wait_for()  # the worst situations arrive after the page
    assert worst.get_attribute("href").startswith("/alerts?district=")
    bureau.screenshot(path=screenshots / "dashboard.png", full_page=True)
    bureau.goto(f"{live_server.url}/dashboard/district/{district}?product=pork")
    before = _todays_days_of_supply(bureau)

    store = open_page("store", PHONE)
    assert store.url.endswith("/store/PDS-0001")
    store.fill("#stock-pork", "50000")
    store.screenshot(path=screenshots / "store-report-phone.png")
    store.get_by_role("button", name="Save the report").click()
    assert "Report saved" in store.locator("#saved").text_content()

    bureau.goto(live_server.url + "/dashboard")
    bureau.get_by_role("button", name="Run the monitor now").click()
    bureau.wait_for_url("**/dashboard?ran=1")
    bureau.goto(f"{live_server.url}/dashboard/district/{district}?product=pork")
    bureau.locator("#history canvas").first.wait_for()
    bureau.screenshot(path=screenshots / "district-drill-down.png", full_page=True)
    assert _todays_days_of_supply(bureau) > before


def test_the_bureau_acknowledges_an_alert(open_page: Any, screenshots: Path) -> None:
    page = open_page("bureau")
    page.goto(page.url.rsplit("/", 1)[0] + "/alerts/list?status=firing")
    row = page.locator("table.alerts tbody tr").first
    row_id = row.get_attribute("id")
    row.get_by_placeholder("Note").fill("Called the wholesaler; truck due at 14:00")
    row.get_by_role("button", name="Acknowledge").click()
    updated = page.locator(f"#{row_id}")
    updated.get_by_text("Alert acknowledged").wait_for()
    assert "Called the wholesaler" in updated.text_content()
    page.screenshot(path=screenshots / "alerts.png")
    page.goto(page.url.split("?")[0] + "?status=acknowledged")
    assert page.locator(f"#{row_id}").count() == 1


def test_a_bad_report_shows_its_error_beside_the_field_and_changes_nothing(
    open_page: Any, live_server: LiveServer, screenshots: Path
) -> None:
    page = open_page("store")
    stored = page.input_value("#stock-rice")
    revisions = _revisions(live_server, "PDS-0001", "rice")
    page.fill("#stock-rice", "lots")
    page.get_by_role("button", name="Save the report").click()
    assert page.locator("#stock-rice-error").text_content() == "not a number"
    assert page.get_attribute("#stock-rice", "aria-invalid") == "true"
    page.locator("#stock-rice").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "store-report-error.png")
    page.goto(page.url.replace("/report", ""))
    assert page.input_value("#stock-rice") == stored
    assert _revisions(live_server, "PDS-0001", "rice") == revisions


def test_the_pages_in_chinese_and_the_admin_pages(open_page: Any, screenshots: Path) -> None:
    page = open_page("bureau", locale="zh-CN")
    assert page.locator("h1").first.text_content().startswith("总览")
    page.locator("#store-map canvas").first.wait_for()
    page.locator("#situations").wait_for()
    page.screenshot(path=screenshots / "dashboard-zh.png")
    admin = open_page("admin")
    assert admin.url.endswith("/admin/stores")
    admin.goto(admin.url.replace("/admin/stores", "/admin/thresholds"))
    admin.screenshot(path=screenshots / "admin-thresholds.png")


ROUTES_ON_DISTRICTS = """
() => {
  const option = echarts.getInstanceByDom(document.getElementById("route-map")).getOption();
  return option.geo[0].map === "districts" &&
    option.series.some((s) => s.type === "lines" && s.coordinateSystem === "geo");
}
"""


def _driver_plate(live_server: LiveServer) -> str:
    engine = create_database_engine(live_server.settings.database_url)
    with create_session_factory(engine)() as session:
        plate = session.scalar(
            select(Truck.plate)
            .join(User, User.truck_id == Truck.id)
            .where(User.username == "driver")
        )
    engine.dispose()
    assert plate is not None
    return plate


def test_the_dispatcher_commits_a_plan_and_the_driver_delivers(
    open_page: Any, live_server: LiveServer, screenshots: Path
) -> None:
    page = open_page("dispatcher")
    assert page.url.endswith("/dispatch")
    assert page.locator("#open-requests tbody tr").count() > 0
    page.fill("input[name=time_limit_s]", "2")
    page.get_by_role("button", name="Plan the day").click()
    page.wait_for_url("**/dispatch/plans/*")
    page.locator("#route-map canvas").first.wait_for()
    wait_until(page, "() => document.getElementById('route-map').dataset.districts === '10'")
    assert page.evaluate(ROUTES_ON_DISTRICTS), "the routes are not drawn on the districts"
    page.screenshot(path=screenshots / "dispatch-plan.png")

    # Move the first stop of the first route onto the demo driver's truck (or, when the
    # solver already uses that truck, onto an idle one): the page re-checks the plan.
    driver_truck = _driver_plate(live_server)
    used = set(page.locator("table.stops").evaluate_all("ts => ts.map(t => t.dataset.truck)"))
    page.locator("details.route > summary").first.click()  # each truck's stops are folded
    first_route = page.locator("table.stops").first
    truck = first_route.get_attribute("data-truck")
    stop = first_route.locator("tbody tr").first
    stop_id = stop.get_attribute("id")
    choices = page.locator("#plates option").evaluate_all("os => os.map(o => o.value)")
    target = (
        driver_truck
        if driver_truck not in used
        else next(c for c in choices if c and c not in used)
    )
    stop.get_by_label("Move to").fill(target)
    stop.get_by_role("button", name="Move").click()
    page.locator("#moved").wait_for()
    assert page.locator(f'table.stops[data-truck="{truck}"] #{stop_id}').count() == 0
    assert page.locator(f'table.stops[data-truck="{target}"] #{stop_id}').count() == 1

    page.get_by_role("button", name="Commit the plan").click()
    page.locator("#committed").wait_for()
    assert page.locator("#plan-status").text_content() == "committed"
    statuses = page.locator("td.delivery-status").all_text_contents()
    assert statuses and set(statuses) == {"assigned"}
    page.get_by_role("link", name="Printable manifests").click()
    assert page.locator("section.manifest").count() >= 1
    page.screenshot(path=screenshots / "dispatch-manifests.png")

    driver = open_page("driver", PHONE)
    assert driver.url.endswith("/driver")
    # The truck may carry the day's earlier plans too (other stories on this server, and a
    # plan goes out after the truck's committed routes): the stop to load is the first one
    # still waiting for its truck.
    waiting = driver.locator("section.stop").filter(has=driver.get_by_role("button", name="Loaded"))
    stop_id = waiting.first.get_attribute("id")
    waiting.first.get_by_role("button", name="Loaded").click()
    driver.locator(f"#{stop_id}").get_by_role("button", name="On the way").click()
    first = driver.locator(f"#{stop_id}")
    first.get_by_label("Received by").fill("Property office")
    driver.screenshot(path=screenshots / "driver-phone.png")
    first.get_by_role("button", name="Delivered").click()
    first = driver.locator(f"#{stop_id}")
    assert first.locator(".delivery-status").text_content() == "delivered"
    assert "Property office" in first.text_content()
