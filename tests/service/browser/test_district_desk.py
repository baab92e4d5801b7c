"""A district's bureau signs in to the demo and works only its district: the dashboard's
map draws its one district with its own stores, its store list and alert list name no
store of another district, and the run over the whole city is not offered to it, all with
the network outside the service cut off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.access import region_subtree
from core.database import create_database_engine, create_session_factory
from models import Region, Store, User
from tests.service.browser.conftest import DESKTOP, PHONE, LiveServer, wait_until
from tests.service.browser.test_maps import DRAWN, MAP_STATE

TOKEN_PATTERN = r"PDS-\d{4}"


def _district_stores(live_server: LiveServer) -> tuple[str, str, set[str], set[str]]:
    """The district login's district name (English, Chinese), its stores' codes and the
    other stores' codes."""
    engine = create_database_engine(live_server.settings.database_url)
    with create_session_factory(engine)() as session:
        region_id = session.scalar(select(User.region_id).where(User.username == "district"))
        assert region_id is not None
        district = session.get(Region, region_id)
        assert district is not None
        inside = region_subtree(session, region_id)
        stores = session.execute(select(Store.code, Store.region_id)).all()
        name, name_zh = district.name, district.name_zh or district.name
    engine.dispose()
    own = {code for code, region in stores if region in inside}
    return name, name_zh, own, {code for code, _ in stores} - own


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_a_district_bureau_sees_its_own_district_and_nothing_of_the_others(
    open_page: Any,
    live_server: LiveServer,
    screenshots: Path,
    viewport: dict[str, int],
    locale: str,
) -> None:
    name, name_zh, own, others = _district_stores(live_server)
    assert own and others
    page = open_page("district", viewport, locale, internet=False)
    page.goto(live_server.url + "/dashboard")
    wait_until(page, DRAWN, "store-map")
    state = page.evaluate(MAP_STATE, "store-map")
    assert state["features"] == 1
    store_points = [count for series, _, count in state["series"]]
    assert 0 < store_points[0] <= len(own)
    assert page.locator("#run-monitor").count() == 0
    size = "phone" if viewport == PHONE else "desktop"
    page.screenshot(path=screenshots / f"district-dashboard-{locale}-{size}.png", full_page=True)
    for path in ("/dashboard", "/store", "/alerts/list"):
        page.goto(live_server.url + path)
        shown = set(page.evaluate(f"() => document.body.innerText.match(/{TOKEN_PATTERN}/g) || []"))
        assert not shown & others, (path, sorted(shown & others)[:5])
    page.goto(live_server.url + "/store")
    listed = set(page.evaluate(f"() => document.body.innerText.match(/{TOKEN_PATTERN}/g) || []"))
    assert listed and listed <= own
    region = page.locator("#viewer-region")
    assert region.inner_text() == (name if locale == "en-GB" else name_zh)
