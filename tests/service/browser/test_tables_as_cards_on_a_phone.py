"""On a phone (Chromium, 390 px, English and Chinese) the bureau reads two tables that used
to squeeze into narrow columns: the alert list's active silences, which it silences from an
alert and then expires, and a revoked pass's history in the pass office. Each row is a card,
each cell shows its column's name above it, and the page never scrolls sideways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.database import create_database_engine, create_session_factory
from models import PassStatus, TransportPass
from service.translations import translations
from tests.service.browser.conftest import PHONE, LiveServer, plan_the_day

CELLS = """(table) => {
  const page = document.documentElement;
  const cells = Array.from(document.querySelectorAll(table + ' tbody td'));
  return {
    sideways: page.scrollWidth - page.clientWidth,
    width: window.innerWidth,
    cells: cells.map((cell) => {
      const box = cell.getBoundingClientRect();
      const before = getComputedStyle(cell, '::before');
      return {
        label: cell.dataset.label || null,
        shown: before.display === 'none' ? null : before.content,
        buttons: cell.querySelectorAll('button').length,
        left: box.left, right: box.right,
      };
    }),
  };
}"""
"""Each cell of ``table``'s body: its label, what its ::before shows, where it sits."""


def _read_as_cards(
    page: Any,
    table: str,
    labels: list[str],
    *,
    some_rows_without_action: bool = False,
    action_buttons: int = 1,
) -> None:
    """Every cell of ``table`` is on screen under its visible label, or holds its row's
    ``action_buttons`` buttons (or, with ``some_rows_without_action``, none: a row no
    longer open to one)."""
    assert page.locator(f"{table} thead").is_hidden()
    placed = page.evaluate(CELLS, table)
    assert placed["sideways"] <= 1, placed
    assert placed["cells"], placed
    for cell in placed["cells"]:
        assert 0 <= cell["left"] and cell["right"] <= placed["width"] + 1, cell
        if cell["label"] is None:
            # the row's own action, named by its button
            assert cell["buttons"] == action_buttons or (
                some_rows_without_action and not cell["buttons"]
            ), cell
        else:
            assert cell["label"] in labels, cell
            assert cell["shown"] == f'"{cell["label"]}"', cell
    seen = {cell["label"] for cell in placed["cells"] if cell["label"]}
    assert seen == set(labels), seen


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        (
            "en-GB",
            {
                "like": "Silence alerts like this",
                "silence": "Silence",
                "expire": "Expire",
                "yes": "Yes, go ahead",
                "labels": ["Matchers", "Comment", "Ends"],
            },
        ),
        (
            "zh-CN",
            {
                "like": "静默同类预警",
                "silence": "静默",
                "expire": "提前结束",
                "yes": "确定，继续",
                "labels": ["匹配条件", "说明", "结束于"],
            },
        ),
    ],
)
def test_the_bureau_reads_and_expires_an_active_silence_on_a_phone(
    open_page: Any, screenshots: Path, locale: str, words: dict[str, Any]
) -> None:
    page = open_page("bureau", PHONE, locale=locale)
    page.goto(page.url.rsplit("/", 1)[0] + "/alerts/list")
    comment = f"known shortage, trucks on the way ({locale})"
    first = page.locator("table.alerts tbody tr").first
    first.locator("details summary", has_text=words["like"]).click()
    first.locator("input[name=comment]").fill(comment)
    with page.expect_navigation():
        first.get_by_role("button", name=words["silence"], exact=True).click()
    silence = page.locator("table#silences tbody tr", has_text=comment)
    silence.wait_for()
    _read_as_cards(page, "table#silences", words["labels"])
    silence.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / f"alert-silences-phone-{locale}.png", full_page=False)

    silence.get_by_role("button", name=words["expire"]).click()
    dialog = page.locator("dialog#confirm")
    dialog.wait_for(state="visible")
    with page.expect_navigation():
        dialog.get_by_role("button", name=words["yes"]).click()
    assert page.locator("table#silences tbody tr", has_text=comment).count() == 0


def _revoked_pass(live_server: LiveServer) -> str:
    """The code of the demo's revoked pass, whose history has a reason."""
    engine = create_database_engine(live_server.settings.database_url)
    with create_session_factory(engine)() as session:
        code = session.scalars(
            select(TransportPass.code).where(TransportPass.status == PassStatus.revoked)
        ).first()
    engine.dispose()
    assert code is not None
    return code


@pytest.mark.parametrize(
    ("locale", "labels"),
    [
        ("en-GB", ["When", "Who", "From", "To", "Reason"]),
        ("zh-CN", ["时间", "操作人", "从", "至", "原因"]),
    ],
)
def test_the_bureau_reads_a_passs_history_on_a_phone(
    open_page: Any, live_server: LiveServer, screenshots: Path, locale: str, labels: list[str]
) -> None:
    code = _revoked_pass(live_server)
    page = open_page("bureau", PHONE, locale=locale)
    page.goto(f"{live_server.url}/pass-office/passes/{code}")
    page.locator("table#history").scroll_into_view_if_needed()
    _read_as_cards(page, "table#history", labels)
    assert page.locator("table#history tbody tr").count() >= 2  # issued, then revoked
    page.screenshot(path=screenshots / f"pass-history-phone-{locale}.png", full_page=False)


NEEDS_TABLES = {
    "en-GB": {
        "table#awaiting": [
            "#",
            "Product",
            "From",
            "To",
            "Quantity",
            "Price",
            "Road km",
            "Other side",
        ],
        "table#restock": ["Store", "Product", "Cover (days)", "Suggested"],
        "table#needs": [
            "#",
            "Buyer",
            "Product",
            "Quantity",
            "Committed",
            "Highest price",
            "Needed by",
            "Status",
        ],
    },
    "zh-CN": {
        "table#awaiting": ["#", "商品", "从", "至", "数量", "价格", "公路里程（公里）", "对方"],
    },
}


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_a_chain_reads_its_needs_and_proposals_on_a_phone(
    open_page: Any, live_server: LiveServer, screenshots: Path, locale: str
) -> None:
    """The chain's "Needs and supply" page used to squeeze its tables into one-character
    columns and its store select (the chain's longest store name) pushed the page
    sideways; now each row is a card and the form shrinks to the phone."""
    page = open_page("chain", PHONE, locale=locale)
    page.goto(live_server.url + "/needs")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    store = page.locator("select[name=store]").bounding_box()
    assert store is not None and store["x"] + store["width"] <= PHONE["width"], store
    for table in ("table#awaiting", "table#orders", "table#restock", "table#needs"):
        assert page.locator(table).count() == 0 or "cards" in (
            page.locator(table).get_attribute("class") or ""
        ), table
    checked = 0
    for table, labels in NEEDS_TABLES[locale].items():
        if not page.locator(f"{table} tbody tr").count():
            continue
        assert page.locator(f"{table} thead").is_hidden()
        placed = page.evaluate(CELLS, table)
        assert placed["sideways"] <= 1, placed
        for cell in placed["cells"]:
            assert 0 <= cell["left"] and cell["right"] <= placed["width"] + 1, cell
            if cell["label"] is not None:
                assert cell["label"] in labels, cell
                assert cell["shown"] == f'"{cell["label"]}"', cell
        checked += 1
    assert checked, "the demo chain has proposals, suggestions or needs to read"
    page.screenshot(path=screenshots / f"needs-phone-{locale}.png", full_page=False)


@pytest.mark.parametrize(
    ("locale", "labels"),
    [
        ("en-GB", ["Producer", "Kind", "Region", "Products (capacity per day)", "Contact"]),
        ("zh-CN", ["生产者", "类型", "地区", "产品（日供应能力）", "联系人"]),
    ],
)
def test_the_bureau_reads_the_producer_registry_on_a_phone(
    open_page: Any, live_server: LiveServer, screenshots: Path, locale: str, labels: list[str]
) -> None:
    """The supply network's registry squeezed each producer's products into a column a
    word wide (one row a phone screen tall) and cut its contact off at the right edge;
    now each producer is a card."""
    page = open_page("bureau", PHONE, locale=locale)
    page.goto(live_server.url + "/supply")
    page.locator("table#producers").scroll_into_view_if_needed()
    _read_as_cards(page, "table#producers", labels)
    page.screenshot(path=screenshots / f"producers-phone-{locale}.png", full_page=False)


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_a_store_reads_the_public_board_on_a_phone(
    open_page: Any, live_server: LiveServer, screenshots: Path, locale: str
) -> None:
    """The public board's offers (producer, left, price, dates, contact) squeezed into
    narrow columns with the contact cut off at the right; now each offer is a card."""
    page = open_page("store", PHONE, locale=locale)
    page.goto(live_server.url + "/board")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    table = "table.board-offers"
    placed = page.evaluate(CELLS, table)
    assert page.locator(table).first.locator("thead").is_hidden()
    assert placed["cells"], placed
    for cell in placed["cells"]:
        assert 0 <= cell["left"] and cell["right"] <= placed["width"] + 1, cell
        assert cell["label"] is None or cell["shown"] == f'"{cell["label"]}"', cell
    page.screenshot(path=screenshots / f"public-board-phone-{locale}.png", full_page=False)


@pytest.mark.parametrize(
    ("locale", "labels"),
    [
        ("en-GB", ["Pass", "Kind", "Plate or holder", "Holder", "Regions", "Valid", "State"]),
        ("zh-CN", ["通行证", "类型", "车牌或持证人", "持证单位", "区域", "有效期", "状态"]),
    ],
)
def test_the_bureau_reads_the_pass_office_on_a_phone(
    open_page: Any, live_server: LiveServer, screenshots: Path, locale: str, labels: list[str]
) -> None:
    """The pass office's applications and passes squeezed eight columns into a phone
    (车辆通行证 one character a line, the purpose cut off at the right); now each
    application and each pass is a card."""
    page = open_page("bureau", PHONE, locale=locale)
    page.goto(live_server.url + "/pass-office")
    _read_as_cards(page, "table#passes", labels)
    assert page.locator("table#applications thead").is_hidden()
    placed = page.evaluate(CELLS, "table#applications")
    assert placed["cells"], "the demo has applications waiting"
    for cell in placed["cells"]:
        assert 0 <= cell["left"] and cell["right"] <= placed["width"] + 1, cell
    page.screenshot(path=screenshots / f"pass-office-phone-{locale}.png", full_page=False)


@pytest.mark.parametrize(
    ("locale", "tables"),
    [
        (
            "en-GB",
            {
                "table#open-requests": ["Compound", "Priority", "Window", "kg", "Items"],
                "table#trucks": ["Truck", "Depot", "Capacity (kg)", "Status", "Shift", "Crew"],
            },
        ),
        (
            "zh-CN",
            {
                "table#open-requests": ["小区", "优先级", "时间窗", "千克", "物资"],
                "table#trucks": ["车辆", "仓库", "载重（千克）", "状态", "班次", "司乘"],
            },
        ),
    ],
)
def test_a_dispatcher_reads_the_open_requests_and_the_trucks_on_a_phone(
    open_page: Any, live_server: LiveServer, screenshots: Path, locale: str, tables: dict[str, Any]
) -> None:
    """The dispatch board's requests and trucks squeezed into a sideways-scrolling table
    that cut the items and the shifts off on a phone; each is now a card."""
    page = open_page("dispatcher", PHONE, locale=locale)
    page.goto(live_server.url + "/dispatch")
    for table, labels in tables.items():
        page.locator(table).scroll_into_view_if_needed()
        _read_as_cards(page, table, labels)
    page.screenshot(path=screenshots / f"dispatch-board-phone-{locale}.png", full_page=False)


@pytest.mark.parametrize(
    ("locale", "labels"),
    [
        ("en-GB", ["Compound", "Priority", "kg", "Why"]),
        ("zh-CN", ["小区", "优先级", "千克", "原因"]),
    ],
)
def test_a_dispatcher_reads_a_drafts_unassigned_requests_on_a_phone(
    open_page: Any, live_server: LiveServer, screenshots: Path, locale: str, labels: list[str]
) -> None:
    """A draft's unassigned requests (here one the dispatcher took off a truck) scrolled
    sideways on a phone, the reason and the "which trucks could take it?" button off the
    right edge; each is now a card."""
    page = open_page("dispatcher", PHONE, locale=locale)
    plan_the_day(page, live_server)
    card = page.locator("details.route").first
    card.locator("summary").click()
    stop = card.locator("table.stops tbody tr").first
    with page.expect_navigation():
        stop.locator("form.inline button[type=submit]").click()  # no truck: off the plan
    page.locator("table#unassigned").scroll_into_view_if_needed()
    _read_as_cards(page, "table#unassigned", labels)
    page.screenshot(path=screenshots / f"dispatch-plan-unassigned-phone-{locale}.png")


@pytest.mark.parametrize(
    ("locale", "labels"),
    [
        ("en-GB", ["#", "Product", "Quantity", "Committed", "Price", "Window", "Status"]),
        ("zh-CN", ["#", "商品", "数量", "已承诺量", "价格", "时间窗", "状态"]),
    ],
)
def test_a_producer_reads_its_offers_on_a_phone(
    open_page: Any, live_server: LiveServer, screenshots: Path, locale: str, labels: list[str]
) -> None:
    """A farm's own offers squeezed eight columns into a phone (鸡腿 one character a line,
    the dates four lines tall), and in Chinese its committed quantity was headed 确认于
    ("confirmed at"); each offer is now a card with its Change form (folded) and Withdraw
    button inside the screen, and the quantity is 已承诺量 (the plan board's commit time
    keeps 确认于)."""
    page = open_page("producer", PHONE, locale=locale)
    page.goto(live_server.url + "/producer")
    page.locator("table#offers").scroll_into_view_if_needed()
    # Other stories on the same demo day withdraw or fill some of the farm's offers.
    _read_as_cards(page, "table#offers", labels, some_rows_without_action=True, action_buttons=2)
    page.screenshot(path=screenshots / f"producer-offers-phone-{locale}.png", full_page=False)


@pytest.mark.parametrize(
    ("locale", "labels"),
    [
        ("en-GB", ["Code", "Name", "Region", "Enterprise", "Lines today", "Last update"]),
        ("zh-CN", ["编码", "名称", "地区", "企业", "今日行数", "最后更新"]),
    ],
)
def test_a_chain_reads_which_of_its_stores_reported_today_as_cards_on_a_phone(
    open_page: Any, live_server: LiveServer, locale: str, labels: list[str]
) -> None:
    """The chain's store list squeezed each region to a character a line (河/东/街/道) and
    hid the lines reported today behind a scroll bar; each store is now a card."""
    page = open_page("chain", PHONE, locale)
    page.goto(live_server.url + "/store")
    _read_as_cards(page, "#stores", labels)


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_a_store_reads_the_days_prices_in_the_public_bulletin_as_cards_on_a_phone(
    open_page: Any, live_server: LiveServer, locale: str
) -> None:
    """The bulletin's price table was wider than a phone: the changes and the signal hid
    behind a scroll bar; each product is now a card, every figure under its name."""
    say = translations(locale[:2]).gettext
    span = f"{say('Lowest')} – {say('highest')}"
    labels = [say("Product"), say("Average"), span, f"{say('vs. previous day')} %"]
    labels += [f"{say('vs. a week before')} %", say("Signal")]
    page = open_page("store", PHONE, locale)
    page.goto(live_server.url + "/bulletin")
    _read_as_cards(page, "#prices", labels)


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_the_bureau_reads_the_supply_boards_proposals_and_orders_as_cards_on_a_phone(
    open_page: Any, live_server: LiveServer, locale: str
) -> None:
    """The supply board's proposals (eleven columns) squeezed each product to a character
    a line (牛/肉) and hid quantity, price and answers behind a scroll bar; each proposal
    and each order is now a card, every value under its column's name."""
    say = translations(locale[:2]).gettext
    page = open_page("bureau", PHONE, locale)
    page.goto(live_server.url + "/supply/board")
    proposals = ["#", "Product", "From", "To", "Quantity", "Price", "Road km", "Priority"]
    proposals += ["Producer", "Buyer", "Status"]
    if page.locator("#proposals").count():
        _read_as_cards(page, "#proposals", [say(word) for word in proposals])
    if page.locator("#orders").count():
        orders = ["#", "Product", "From", "To", "Committed", "Shipped", "Received", "Status"]
        _read_as_cards(page, "#orders", [say(word) for word in orders])
    assert page.locator("#proposals, #orders").count(), "the demo board has neither"


RESTOCK_LABELS = [
    "Where",
    "Product",
    "Stock",
    "Expected daily sales",
    "In transit",
    "Cover (days)",
    "Target (days)",
    "Suggested",
]


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_the_bureau_reads_the_restock_suggestions_on_a_phone(
    open_page: Any, live_server: LiveServer, screenshots: Path, locale: str
) -> None:
    """The restock list's nine columns squeezed product names to one character a line on
    a phone; each suggestion is a card now, its "Find supply" link across the card."""
    say = translations(locale[:2]).gettext
    page = open_page("bureau", PHONE, locale=locale)
    page.goto(live_server.url + "/supply/restock")
    assert page.locator("table#restock tbody tr").count() > 0
    assert page.locator("table#restock thead").is_hidden()
    placed = page.evaluate(CELLS, "table#restock")
    assert placed["sideways"] <= 1, placed
    for cell in placed["cells"]:
        assert 0 <= cell["left"] and cell["right"] <= placed["width"] + 1, cell
        if cell["label"] is not None:
            assert cell["shown"] == f'"{cell["label"]}"', cell
    seen = {cell["label"] for cell in placed["cells"] if cell["label"]}
    assert seen == {say(label) for label in RESTOCK_LABELS}, seen
    page.screenshot(path=screenshots / f"restock-phone-{locale}.png", full_page=False)


LINES_OF = """(selector) => Array.from(document.querySelectorAll(selector)).map((cell) => {
  const style = getComputedStyle(cell);
  const line = parseFloat(style.lineHeight) || 1.4 * parseFloat(style.fontSize);
  const inner = cell.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  return Math.round(inner / line);
})"""
"""How many lines each cell matching ``selector`` takes."""


def test_a_wide_table_on_a_phone_scrolls_sideways_instead_of_a_character_a_line(
    open_page: Any, live_server: LiveServer
) -> None:
    page = open_page("bureau", PHONE, locale="zh-CN")
    page.goto(live_server.url + "/dashboard")
    page.locator("#heatmap-table").evaluate("(t) => t.closest('details').open = true")
    names = page.evaluate(LINES_OF, "#heatmap-table tbody th")
    assert names and max(names) == 1, names  # 新华区 on one line, not 新/华/区
    assert page.evaluate(LINES_OF, "#heatmap-table thead th") == [1] * len(
        page.locator("#heatmap-table thead th").all()
    )
    sideways = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert sideways <= 1  # the table's own box scrolls, not the page
