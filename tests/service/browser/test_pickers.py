"""A type-ahead picker in a real browser (Chromium, SQLite, the demo city): a resident on a
phone, in Chinese, types part of a store's name into the public hotline form, the list of
suggestions follows the typing (htmx asks the server), the resident picks the store, and
the ticket filed carries it.

Headless Chromium draws no popup for a ``<datalist>``, so the pick is made as the browser
makes it: the chosen option's value goes into the field (an ``input`` event)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from core.database import create_database_engine, create_session_factory
from models import Region, Store, Ticket
from tests.service.browser.conftest import PHONE, LiveServer

WEIDONG = "410403"


def _a_weidong_store(live_server: LiveServer) -> tuple[str, str]:
    """The code and name of Weidong's last active store by code: not among the first
    choices the form shows before anything is typed."""
    engine = create_database_engine(live_server.settings.database_url)
    parent = aliased(Region)
    with create_session_factory(engine)() as session:
        code, name = session.execute(
            select(Store.code, Store.name)
            .join(Region, Region.id == Store.region_id)
            .outerjoin(parent, parent.id == Region.parent_id)
            .where(Store.active.is_(True))
            .where((Region.code == WEIDONG) | (parent.code == WEIDONG))
            .order_by(Store.code.desc())
            .limit(1)
        ).one()
    engine.dispose()
    return code, name


def _store_of_ticket(live_server: LiveServer, number: str) -> str | None:
    engine = create_database_engine(live_server.settings.database_url)
    with create_session_factory(engine)() as session:
        code = session.scalar(
            select(Store.code)
            .join(Ticket, Ticket.store_id == Store.id)
            .where(Ticket.number == number)
        )
    engine.dispose()
    return code


def _options(page: Any, datalist: str) -> dict[str, str]:
    found: dict[str, str] = page.eval_on_selector_all(
        f"#{datalist} option",
        "options => Object.fromEntries(options.map(o => [o.value, o.label]))",
    )
    return found


def test_a_resident_types_part_of_a_store_name_and_picks_it(
    browser: Any, live_server: LiveServer, screenshots: Path
) -> None:
    code, name = _a_weidong_store(live_server)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(live_server.url + "/hotline/report")
    assert page.locator("label[for=store]").inner_text() == "门店（选填）"
    assert code not in _options(page, "store-choices")  # the first choices, before typing
    page.select_option("#category", "store_closed_or_short")
    page.fill("#text", "超市关门了，门口也没有告示")

    page.locator("#region").press_sequentially("卫东")
    page.wait_for_selector(f'#region-choices option[value="{WEIDONG}"]', state="attached")
    assert _options(page, "region-choices")[WEIDONG].startswith("卫东区")
    page.fill("#region", WEIDONG)  # picked

    typed = name[1:-1].lower()  # part of the name, in another case
    page.locator("#store").press_sequentially(typed)
    page.wait_for_selector(f'#store-choices option[value="{code}"]', state="attached")
    offered = _options(page, "store-choices")
    assert offered[code] == f"{name} · 卫东区"
    assert all(
        typed in label.lower() or value.lower().startswith(typed)
        for value, label in offered.items()
    )
    page.screenshot(path=str(screenshots / "hotline-store-picker-zh.png"), full_page=True)
    page.fill("#store", code)  # picked
    page.get_by_role("button", name="提交").click()

    number = page.locator("#ticket-number").inner_text()
    assert number.startswith("HL")
    assert _store_of_ticket(live_server, number) == code
    context.close()
