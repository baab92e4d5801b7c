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
from tests.service.browser.conftest import LiveServer
from tests.service.browser.test_daily_jobs import DESKTOP, PHONE


def _query(live_server: LiveServer, statement: Any) -> Any:
    engine = create_database_engine(live_server.settings.database_url)
    with create_session_factory(engine)() as session:
        found = session.execute(statement).first()
    engine.dispose()
    return found


def test_the_bureau_finds_supply_for_a_shortage_and_runs_the_matcher(
    sign_in: Any, live_server: LiveServer, screenshots: Path
) -> None:
    page = sign_in("bureau")
    page.goto(live_server.url + "/supply")
    page.wait_for_function("document.querySelector('#producer-map canvas') !== null")
    assert int(page.locator("#producer-count").text_content()) >= 2000
    page.screenshot(path=screenshots / "supply-network.png")

    page.goto(f"{live_server.url}/alerts?status=open&rule=low_supply")
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
    sign_in: Any, live_server: LiveServer, screenshots: Path
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

    farm = sign_in("producer")
    assert farm.url.endswith("/producer")
    farm.locator(f"#accept-{proposal_id}").click()
    assert "Proposal accepted." in farm.locator("#done").text_content()

    store = sign_in("store", PHONE)
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
