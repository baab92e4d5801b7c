"""The supply network in a real browser (Chromium through Playwright, SQLite, the demo
city): the bureau finds supply for a shortage alert, posts the need and runs the matcher;
the demo farm accepts the demo store's proposal and ships, the store accepts and
receives; anyone reads the board, in Chinese too.
Screenshots of the pages are saved on the way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.database import create_database_engine, create_session_factory
from models import (
    Product,
    Proposal,
    ProposalStatus,
    Store,
    SupplyNeed,
    SupplyOffer,
    User,
)
from tests.service.browser.conftest import DESKTOP, PHONE, LiveServer


def _query(live_server: LiveServer, statement: Any) -> Any:
    engine = create_database_engine(live_server.settings.database_url)
    with create_session_factory(engine)() as session:
        found = session.execute(statement).first()
    engine.dispose()
    return found


def test_the_bureau_finds_supply_for_a_shortage_and_runs_the_matcher(
    open_page: Any, live_server: LiveServer, screenshots: Path
) -> None:
    page = open_page("bureau")
    page.goto(live_server.url + "/supply")
    page.locator("#producer-map canvas").first.wait_for()
    assert int(page.locator("#producer-count").text_content()) >= 2000
    page.screenshot(path=screenshots / "supply-network.png")

    page.goto(f"{live_server.url}/alerts/list?status=open&rule=low_supply")
    link = page.locator("a.find-supply").first
    target = link.get_attribute("href")
    assert target is not None and target.startswith("/supply/restock/alerts/")
    link.click()
    page.wait_for_url(f"**{target}")
    assert float(page.locator("#suggested").text_content().replace(",", "")) > 0
    assert page.locator("#sources tbody tr").count() > 0
    page.screenshot(path=screenshots / "find-supply.png", full_page=True)
    if page.locator("#post-need").count():
        page.get_by_role("button", name="Post this need").click()
        page.wait_for_url("**/supply/board?need=*")
        assert "Need posted on the board" in page.locator("#posted").text_content()

    page.goto(live_server.url + "/supply/board")
    page.get_by_role("button", name="Run matching").click()
    page.wait_for_url("**/supply/board?run=*")
    assert page.locator("#proposals tbody tr").count() > 0
    page.screenshot(path=screenshots / "supply-board.png")

    page.goto(live_server.url + "/supply/restock")
    assert page.locator("#restock tbody tr").count() > 0


def test_a_farm_and_a_store_close_a_deal_shipped_and_received(
    open_page: Any, live_server: LiveServer, screenshots: Path
) -> None:
    waiting = _query(
        live_server,
        select(Proposal.id, Product.code)
        .join(SupplyOffer, SupplyOffer.id == Proposal.offer_id)
        .join(SupplyNeed, SupplyNeed.id == Proposal.need_id)
        .join(Store, Store.id == SupplyNeed.store_id)
        .join(Product, Product.id == SupplyNeed.product_id)
        .join(User, User.producer_id == SupplyOffer.producer_id)
        .where(
            User.username == "producer",
            Store.code == "PDS-0001",
            Proposal.status == ProposalStatus.proposed,
        )
        .order_by(Proposal.id),
    )
    if waiting is None:
        pytest.skip("the matcher made no proposal from the demo farm to the demo store")
    proposal_id = waiting[0]

    farm = open_page("producer")
    assert farm.url.endswith("/producer")
    farm.locator(f"#accept-{proposal_id}").click()
    assert "Proposal accepted." in farm.locator("#done").text_content()

    store = open_page("store", PHONE)
    store.goto(live_server.url + "/needs")
    store.locator(f"#accept-{proposal_id}").click()
    assert "Proposal accepted." in store.locator("#done").text_content()

    farm.goto(live_server.url + "/producer")
    farm.screenshot(path=screenshots / "producer-page.png", full_page=True)
    row = farm.locator("#orders tbody tr").first
    row.get_by_role("button", name="Mark shipped").click()
    assert "Shipment recorded." in farm.locator("#done").text_content()

    store.goto(live_server.url + "/needs")
    store.locator("#orders tbody tr").first.get_by_role("button", name="Mark received").click()
    assert "Receipt recorded." in store.locator("#done").text_content()
    store.screenshot(path=screenshots / "store-needs-phone.png")
    assert store.locator("#orders tbody tr").count() == 0


def test_anyone_reads_the_board_and_in_chinese(
    browser: Any, live_server: LiveServer, screenshots: Path
) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/board")
    assert page.locator("h1").text_content().startswith("供需对接平台")
    assert page.locator("table.board-offers").count() > 0
    assert "登录后可查看生产者联系方式" in page.content()
    page.screenshot(path=screenshots / "board-zh.png")
    context.close()


def test_a_farm_lowers_an_offers_price_on_a_phone_in_chinese(
    open_page: Any, screenshots: Path
) -> None:
    """The farm opens "修改供货" under one of its offers, types a lower price and saves;
    the page says so and the offer's row shows the new price, all within a phone's width."""
    farm = open_page("producer", PHONE, "zh-CN")
    change = farm.locator("details.change-offer").first
    change.locator("summary").click()
    price = change.locator("input[name=price]")
    lower = round(float(price.input_value()) * 0.9, 2)
    price.fill(f"{lower:g}")
    farm.screenshot(path=screenshots / "producer-change-offer-zh-phone.png", full_page=True)
    change.get_by_role("button", name="保存供货").click()
    assert (
        farm.locator("#done").text_content() == "供货信息已修改：买方在供需平台上看到的已是新内容。"
    )
    assert f"¥{lower:,.2f}" in farm.locator("#offers").inner_text()
    assert farm.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
