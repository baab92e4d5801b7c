"""The supply network in the pages: the bureau finds supply for a shortage and runs the
matcher, a producer offers, accepts and ships, a store asks, accepts and receives (and its
next report starts from what arrived), and anyone reads the public board."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import (
    AlertRule,
    Producer,
    Product,
    Region,
    Role,
    ScopeLevel,
    Store,
    SupplyNeed,
    SupplyOffer,
    SupplyOrder,
)
from service.translations import translations
from supply_network.board import UNMET_REASON_WORDS, UnmetReason
from tests.factories import business_today, make_product, make_store
from tests.service.web.helpers import csrf, make_person, sign_in
from tests.supply_network.factories import (
    make_alert,
    make_district,
    make_need,
    make_offer,
    make_producer,
    make_proposal,
    make_snapshot,
)

TODAY = business_today()


@dataclass
class Scene:
    cabbage: Product
    district: Region
    store: Store
    farm: Producer


@pytest.fixture
def scene(session: Session) -> Scene:
    cabbage = make_product(session, code="cabbage", category="vegetables")
    cabbage.typical_price = 2.0
    district = make_district(session, code="410403", name="Weidong")
    store = make_store(session, code="PDS-0001", region=district)
    farm = make_producer(session, code="FARM-1", capacities={"cabbage": 5000})
    make_snapshot(
        session,
        level=ScopeLevel.district,
        scope_id=district.id,
        product=cabbage,
        district=district,
        stock=120.0,
        expected_daily_sales=100.0,
    )
    make_snapshot(
        session,
        level=ScopeLevel.store,
        scope_id=store.id,
        product=cabbage,
        district=district,
        stock=10.0,
        expected_daily_sales=20.0,
    )
    session.commit()
    return Scene(cabbage, district, store, farm)


def producer_person(session: Session, farm: Producer) -> str:
    create_user(
        session,
        username="farmer",
        password="farmer-password",
        role=Role.producer,
        producer_id=farm.id,
    )
    session.commit()
    return "farmer-password"


def test_the_bureau_finds_supply_from_a_shortage_alert_and_posts_the_need(
    client: TestClient, session: Session, scene: Scene
) -> None:
    alert = make_alert(
        session,
        rule=AlertRule.low_supply,
        level=ScopeLevel.district,
        scope_id=scene.district.id,
        product=scene.cabbage,
        district=scene.district,
    )
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    alerts = client.get("/alerts/list").text
    assert f'href="/supply/restock/alerts/{alert.id}"' in alerts
    found = client.get(f"/supply/restock/alerts/{alert.id}")
    assert found.status_code == 200, found.text
    assert '<span class="value" id="suggested">380</span>' in found.text
    assert "FARM-1" in found.text and "can send it all" in found.text
    posted = client.post(
        "/supply/restock/district/410403/cabbage/need",
        data={"csrf_token": csrf(client, "/supply/restock"), "alert_id": str(alert.id)},
    )
    assert posted.status_code == 200 and posted.url.path == "/supply/board"
    need = session.scalars(select(SupplyNeed)).one()
    assert (need.quantity, need.alert_id, need.max_price) == (380.0, alert.id, 2.6)
    listing = client.get("/supply/restock").text
    assert "/supply/restock/district/410403/cabbage" in listing


def test_the_bureau_runs_matching_from_the_board_and_sees_the_proposals(
    client: TestClient, session: Session, scene: Scene
) -> None:
    make_offer(session, producer=scene.farm, product=scene.cabbage, quantity=500)
    make_need(session, product=scene.cabbage, store=scene.store, district=scene.district)
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    assert client.get("/supply").status_code == 200
    ran = client.post(
        "/supply/match-runs",
        data={"csrf_token": csrf(client, "/supply/board"), "maximum_distance_km": "100"},
    )
    assert ran.status_code == 200 and ran.url.path == "/supply/board"
    assert 'id="run-summary"' in ran.text
    assert re.search(r"<strong>1</strong>\s*proposals", ran.text)
    bad = client.post(
        "/supply/match-runs",
        data={"csrf_token": csrf(client, "/supply/board"), "maximum_distance_km": "-4"},
    )
    assert bad.status_code == 422


def test_a_producer_offers_accepts_and_ships_in_its_pages(
    client: TestClient, session: Session, scene: Scene
) -> None:
    sign_in(client, "farmer", producer_person(session, scene.farm))
    home = client.get("/producer")
    assert home.status_code == 200 and "FARM-1" in home.text
    token = csrf(client, "/producer")
    refused = client.post(
        "/producer/offers",
        data={
            "csrf_token": token,
            "product": "cabbage",
            "quantity": "-3",
            "price": "1.8",
            "available_from": TODAY.isoformat(),
            "available_to": TODAY.isoformat(),
        },
    )
    assert refused.status_code == 422
    assert "Nothing was changed." in refused.text
    assert session.scalar(select(func.count()).select_from(SupplyOffer)) == 0
    posted = client.post(
        "/producer/offers",
        data={
            "csrf_token": token,
            "product": "cabbage",
            "quantity": "400",
            "price": "1.8",
            "available_from": TODAY.isoformat(),
            "available_to": TODAY.isoformat(),
        },
    )
    assert posted.status_code == 200 and "Offer posted." in posted.text
    offer = session.scalars(select(SupplyOffer)).one()
    need = make_need(session, product=scene.cabbage, store=scene.store, district=scene.district)
    proposal = make_proposal(session, offer=offer, need=need, quantity=50)
    session.commit()
    accepted = client.post(
        f"/producer/proposals/{proposal.id}/accepted", data={"csrf_token": token}
    )
    assert "Proposal accepted." in accepted.text
    twice = client.post(f"/producer/proposals/{proposal.id}/accepted", data={"csrf_token": token})
    assert twice.status_code == 409 and "already answered" in twice.text
    assert client.get("/supply").status_code == 403
    assert client.get("/needs").status_code == 403


def test_a_store_asks_accepts_receives_and_its_report_starts_from_what_arrived(
    client: TestClient, session: Session, scene: Scene
) -> None:
    offer = make_offer(session, producer=scene.farm, product=scene.cabbage, quantity=500)
    sign_in(client, "clerk", make_person(session, "clerk", Role.store, store=scene.store))
    page = client.get("/needs")
    assert page.status_code == 200 and "PDS-0001" in page.text
    token = csrf(client, "/needs")
    asked = client.post(
        "/needs",
        data={
            "csrf_token": token,
            "store": "PDS-0001",
            "product": "cabbage",
            "quantity": "60",
            "max_price": "2.5",
            "needed_by": TODAY.isoformat(),
        },
    )
    assert asked.status_code == 200 and "Need posted." in asked.text
    other = make_store(session, code="PDS-0002", region=scene.district)
    session.commit()
    foreign = client.post(
        "/needs",
        data={
            "csrf_token": token,
            "store": other.code,
            "product": "cabbage",
            "quantity": "60",
            "max_price": "2.5",
            "needed_by": TODAY.isoformat(),
        },
    )
    assert foreign.status_code == 403
    need = session.scalars(select(SupplyNeed)).one()
    proposal = make_proposal(session, offer=offer, need=need, quantity=60)
    session.commit()
    farmer = producer_person(session, scene.farm)
    producer_client = TestClient(client.app)
    sign_in(producer_client, "farmer", farmer)
    producer_token = csrf(producer_client, "/producer")
    producer_client.post(
        f"/producer/proposals/{proposal.id}/accepted", data={"csrf_token": producer_token}
    )
    accepted = client.post(f"/needs/proposals/{proposal.id}/accepted", data={"csrf_token": token})
    assert "Proposal accepted." in accepted.text
    order = session.scalars(select(SupplyOrder)).one()
    producer_client.post(
        f"/producer/orders/{order.id}/ship", data={"csrf_token": producer_token, "quantity": "60"}
    )
    too_much = client.post(
        f"/needs/orders/{order.id}/receive", data={"csrf_token": token, "quantity": "61"}
    )
    assert too_much.status_code == 422
    received = client.post(
        f"/needs/orders/{order.id}/receive", data={"csrf_token": token, "quantity": "60"}
    )
    assert "Receipt recorded." in received.text
    report = client.get("/store/PDS-0001").text
    assert 'name="received.cabbage" value="60"' in report


def test_anyone_reads_the_public_board_and_only_people_signed_in_see_contacts(
    client: TestClient, session: Session, scene: Scene
) -> None:
    make_offer(session, producer=scene.farm, product=scene.cabbage, quantity=500)
    make_need(session, product=scene.cabbage, store=scene.store, district=scene.district)
    session.commit()
    anonymous = client.get("/board")
    assert anonymous.status_code == 200
    assert "Green Valley Farm" in anonymous.text and "13800000000" not in anonymous.text
    client.cookies.set("supplywatch_lang", "zh")
    assert "供需对接平台" in client.get("/board").text
    client.cookies.delete("supplywatch_lang")
    sign_in(client, "clerk", make_person(session, "clerk", Role.store, store=scene.store))
    assert "13800000000" in client.get("/board").text


def test_the_public_board_lists_products_closed_and_filters_by_name_not_code(
    client: TestClient, session: Session, scene: Scene
) -> None:
    pork = make_product(session, code="pork", category="meat")
    pork.name_zh = "猪肉"
    session.flush()
    make_offer(session, producer=scene.farm, product=scene.cabbage, quantity=500)
    make_offer(session, producer=scene.farm, product=pork, quantity=80)
    make_need(session, product=scene.cabbage, store=scene.store, district=scene.district)
    session.commit()
    both = client.get("/board").text
    opened = re.findall(r'<details class="card board-product" id="board-(\w+)" (open)?', both)
    assert sorted(opened) == [("cabbage", ""), ("pork", "")]
    assert 'id="board-hint"' in both
    assert '<option value="410403" >Weidong</option>' in both
    assert '<option value="vegetables" >' in both
    one = client.get("/board", params={"product": "pork"}, headers={"Accept-Language": "zh"}).text
    assert re.findall(r'id="board-(\w+)" (open)?', one) == [("pork", "open")]
    assert '<option value="pork" selected>猪肉</option>' in one


def test_a_bad_registry_file_in_the_page_lists_its_cells_and_stores_nothing(
    client: TestClient, session: Session, scene: Scene
) -> None:
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    before = session.scalar(select(func.count()).select_from(Producer))
    response = client.post(
        "/supply/producers/import",
        data={"csrf_token": csrf(client, "/supply")},
        files={
            "file": (
                "registry.csv",
                b"code,name,kind,region,latitude,longitude,product,daily_capacity\n"
                b"F-9,Farm,farm,410403,33.7,113.3,cabbage,10\n",
                "text/csv",
            )
        },
    )
    assert response.status_code == 422
    assert "<td>2</td><td>kind</td><td>unknown kind &#39;farm&#39;" in response.text
    client.cookies.set("supplywatch_lang", "zh")
    chinese = client.post(
        "/supply/producers/import",
        data={"csrf_token": csrf(client, "/supply")},
        files={"file": ("registry.csv", b"code,name\nF-9,Farm\n", "text/csv")},
    )
    assert "缺少列 &#39;kind&#39;" in chinese.text
    assert session.scalar(select(func.count()).select_from(Producer)) == before


def test_the_bureau_reads_what_a_registry_import_did_in_one_chinese_sentence(
    client: TestClient, session: Session, scene: Scene
) -> None:
    """ "名录已导入: 1 新增, 0 更新, 0 未变." was glued from words in English order."""
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    client.cookies.set("supplywatch_lang", "zh")
    response = client.post(
        "/supply/producers/import",
        data={"csrf_token": csrf(client, "/supply")},
        files={
            "file": (
                "registry.csv",
                b"code,name,kind,region,latitude,longitude,product,daily_capacity\n"
                b"F-9,Farm,vegetable_grower,410403,33.7,113.3,cabbage,10\n",
                "text/csv",
            )
        },
    )
    assert response.status_code == 200, response.text
    notice = response.text.split('id="imported">', 1)[1].split("</p>", 1)[0]
    assert notice == "名录已导入：新增 1 条，更新 0 条，未变 0 条。"


def test_a_store_sees_each_problem_of_a_refused_need_beside_its_field_and_keeps_its_typing(
    client: TestClient, session: Session, scene: Scene
) -> None:
    """A need with letters for a quantity and a day long gone used to say "quantity is not a
    number" at the top of the page, by the field's code, one problem at a time, on an
    emptied form; now every problem sits beside its field and the form keeps what was
    typed, in both languages."""
    sign_in(client, "clerk", make_person(session, "clerk", Role.store, store=scene.store))
    before = session.scalar(select(func.count()).select_from(SupplyNeed))
    typed = {
        "csrf_token": csrf(client, "/needs"),
        "store": "PDS-0001",
        "product": "cabbage",
        "quantity": "abc",
        "max_price": "2.5",
        "needed_by": (TODAY - timedelta(days=30)).isoformat(),
    }
    refused = client.post("/needs", data=typed)
    assert refused.status_code == 422
    page = refused.text
    assert "Correct the fields marked below" in page
    assert '<a href="#need-title">Go to the need you posted</a>' in page  # far below
    assert "quantity:" not in page and "quantity is not" not in page
    assert 'aria-invalid="true" aria-describedby="need-quantity-error"' in page
    assert 'id="need-quantity-error">Enter a number</span>' in page
    assert 'aria-describedby="need-needed_by-error"' in page
    assert 'value="abc"' in page and 'value="2.5"' in page
    assert '<option value="cabbage" selected>' in page
    client.cookies.set("supplywatch_lang", "zh")
    chinese = client.post("/needs", data=typed).text
    assert 'id="need-quantity-error">必须是数字</span>' in chinese
    assert "quantity" not in chinese.split('id="problem"', 1)[1].split("</div>", 1)[0]
    assert session.scalar(select(func.count()).select_from(SupplyNeed)) == before


def test_a_need_left_short_reads_by_product_name_unit_and_reason_in_both_languages(
    client: TestClient, session: Session, scene: Scene
) -> None:
    """The board's "needs left short" used to read "#1 cabbage: 400.0 · no_offer", the
    product's code and the matcher's reason code, in English and Chinese alike."""
    scene.cabbage.name, scene.cabbage.name_zh = "Chinese cabbage", "大白菜"
    make_need(session, product=scene.cabbage, store=scene.store, district=scene.district)
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    ran = client.post(
        "/supply/match-runs",
        data={"csrf_token": csrf(client, "/supply/board"), "maximum_distance_km": "100"},
    )
    assert ran.status_code == 200, ran.text
    short = re.search(r'<ul id="unmet">(.*?)</ul>', ran.text, re.S)
    assert short is not None, ran.text
    assert "Chinese cabbage:" in short[1] and " kg · no open offer of the product" in short[1]
    assert "no_offer" not in short[1] and not re.search(r"#\d+ cabbage:", short[1])
    chinese = client.get("/supply/board", headers={"Accept-Language": "zh-CN"}).text
    short = re.search(r'<ul id="unmet">(.*?)</ul>', chinese, re.S)
    assert short is not None
    assert "大白菜:" in short[1] and "该商品暂无有效报价" in short[1], short[1]


def test_every_reason_a_need_is_left_short_reads_in_words_in_both_languages() -> None:
    chinese = translations("zh").gettext
    assert set(UNMET_REASON_WORDS) == set(UnmetReason)
    for reason, words in UNMET_REASON_WORDS.items():
        assert "_" not in words and chinese(words) != words, reason


@pytest.mark.parametrize("side", ["store", "producer"])
def test_declining_a_proposal_asks_first(
    client: TestClient, session: Session, scene: Scene, side: str
) -> None:
    """A decline closes the proposal for both sides for good, and its button sat next to
    Accept with nothing asked: on a phone one slip lost the deal."""
    offer = make_offer(session, producer=scene.farm, product=scene.cabbage, quantity=500)
    need = make_need(session, product=scene.cabbage, store=scene.store, district=scene.district)
    proposal = make_proposal(session, offer=offer, need=need, quantity=60)
    session.commit()
    if side == "store":
        sign_in(client, "clerk", make_person(session, "clerk", Role.store, store=scene.store))
        page, base = client.get("/needs").text, "/needs/proposals"
    else:
        sign_in(client, "farmer", producer_person(session, scene.farm))
        page, base = client.get("/producer").text, "/producer/proposals"
    decline = re.search(rf'<form method="post" action="{base}/{proposal.id}/declined"[^>]*>', page)
    assert decline is not None, page
    assert f'data-confirm="Decline proposal #{proposal.id}?' in decline[0]
    accept = re.search(rf'<form method="post" action="{base}/{proposal.id}/accepted"[^>]*>', page)
    assert accept is not None and "data-confirm" not in accept[0]  # accepting asks nothing


def test_the_supply_pages_name_a_producers_region_in_chinese_on_a_chinese_page(
    client: TestClient, session: Session, scene: Scene
) -> None:
    """The walk saw "Xinglong Street" and "Fuqiang Town" on the Chinese registry, board
    and producer pages although every town has its Chinese name (兴隆街道)."""
    region = session.get(Region, scene.farm.region_id)
    assert region is not None
    region.name, region.name_zh = "Xinglong Street", "兴隆街道"
    make_offer(session, producer=scene.farm, product=scene.cabbage, quantity=500)
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    client.cookies.set("supplywatch_lang", "zh")
    network = client.get("/supply").text
    assert ">兴隆街道</td>" in network, network
    assert "(兴隆街道)" in client.get("/supply/board").text
    assert ", 兴隆街道)" in client.get("/board").text
    client.cookies.set("supplywatch_lang", "en")
    assert ">Xinglong Street</td>" in client.get("/supply").text
    assert ", Xinglong Street)" in client.get("/board").text
    client.cookies.delete("supplywatch_lang")
    client.post("/logout", data={"csrf_token": csrf(client, "/supply")})
    sign_in(client, "farmer", producer_person(session, scene.farm))
    client.cookies.set("supplywatch_lang", "zh")
    assert ", 兴隆街道)</span></h1>" in client.get("/producer").text


def test_the_restock_page_and_the_supply_map_name_a_producers_town_in_chinese(
    client: TestClient, session: Session, scene: Scene
) -> None:
    """The walk saw "(FARM-1, Xinglong Street)" among the candidate sources of a Chinese
    restock page, and the same English town in the tooltips of both producer maps."""
    region = session.get(Region, scene.farm.region_id)
    assert region is not None
    region.name, region.name_zh = "Xinglong Street", "兴隆街道"
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    client.cookies.set("supplywatch_lang", "zh")
    restock = client.get("/supply/restock/district/410403/cabbage").text
    assert "(FARM-1, 兴隆街道)" in restock, restock
    assert '"region": "兴隆街道"' in restock
    assert '"region": "兴隆街道"' in client.get("/supply").text
    client.cookies.set("supplywatch_lang", "en")
    restock = client.get("/supply/restock/district/410403/cabbage").text
    assert "(FARM-1, Xinglong Street)" in restock and '"region": "Xinglong Street"' in restock
    assert '"region": "Xinglong Street"' in client.get("/supply").text


def test_the_restock_pages_name_the_district_in_chinese_on_a_chinese_page(
    client: TestClient, session: Session, scene: Scene
) -> None:
    """A Chinese restock list and suggestion page headed the district in English
    ("Find supply: ... · Weidong"); they now name it 卫东区, English where none is set."""
    scene.district.name_zh = "卫东区"
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    client.cookies.set("supplywatch_lang", "zh")
    detail = client.get("/supply/restock/district/410403/cabbage").text
    heading = detail[detail.index("<h1>") : detail.index("</h1>")]
    assert "· 卫东区 <span" in heading and "Weidong" not in heading, heading
    listed = client.get("/supply/restock", params={"level": "district"}).text
    assert (
        '<td class="wide" data-label="地点">卫东区 <span class="muted">(410403)</span></td>'
        in listed
    ), listed
    client.cookies.set("supplywatch_lang", "en")
    detail = client.get("/supply/restock/district/410403/cabbage").text
    assert "· Weidong <span" in detail[detail.index("<h1>") : detail.index("</h1>")]


def test_the_boards_name_a_buyers_district_in_chinese_on_a_chinese_page(
    client: TestClient, session: Session, scene: Scene
) -> None:
    """The walk saw "(Weidong)" after each buyer on the Chinese public board, and the
    bureau's own need for the district read "Weidong (Weidong)"; both now read 卫东区."""
    scene.district.name_zh = "卫东区"
    offer = make_offer(session, producer=scene.farm, product=scene.cabbage, quantity=500)
    store_need = make_need(
        session, product=scene.cabbage, store=scene.store, district=scene.district
    )
    bureau_need = make_need(session, product=scene.cabbage, district=scene.district)
    deal = make_proposal(session, offer=offer, need=store_need, quantity=20)
    make_proposal(session, offer=offer, need=bureau_need, quantity=50)  # the latest run
    session.commit()
    client.cookies.set("supplywatch_lang", "zh")
    page = client.get("/board").text
    public = page[page.index('class="board-needs') :]
    assert 'Store <span class="muted">(卫东区)</span>' in public, public
    assert '卫东区 <span class="muted">(卫东区)</span>' in public
    assert "Weidong" not in public
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    board = client.get("/supply/board").text
    needs = board[board.index('id="open-needs"') :]
    assert '卫东区 <span class="muted">(卫东区)</span>' in needs, needs
    proposals = board[
        board.index('id="proposals"') : board.index("</table>", board.index('id="proposals"'))
    ]
    assert '卫东区 <span class="muted">(卫东区)</span>' in proposals, proposals
    client.cookies.set("supplywatch_lang", "en")
    assert 'Weidong <span class="muted">(Weidong)</span>' in client.get("/board").text
    client.post("/logout", data={"csrf_token": csrf(client, "/supply")})
    sign_in(client, "clerk", make_person(session, "clerk", Role.store, store=scene.store))
    client.post(f"/needs/proposals/{deal.id}/accepted", data={"csrf_token": csrf(client, "/needs")})
    client.post("/logout", data={"csrf_token": csrf(client, "/needs")})
    sign_in(client, "farmer", producer_person(session, scene.farm))
    token = csrf(client, "/producer")
    client.post(f"/producer/proposals/{deal.id}/accepted", data={"csrf_token": token})
    client.cookies.set("supplywatch_lang", "zh")
    producer = client.get("/producer").text
    assert 'Store <span class="muted">(卫东区)</span>' in producer, producer


def test_a_farm_that_accepts_first_is_told_the_deal_waits_for_the_store(
    client: TestClient, session: Session, scene: Scene
) -> None:
    """A farm accepted a proposal, saw only "Proposal accepted." and the proposal gone
    from its list with no order to ship: it reads as lost. Now the page says it waits
    for the other side, and the store that accepts second is told it is an order."""
    offer = make_offer(session, producer=scene.farm, product=scene.cabbage, quantity=500)
    need = make_need(session, product=scene.cabbage, store=scene.store, district=scene.district)
    proposal = make_proposal(session, offer=offer, need=need, quantity=40)
    sign_in(client, "farmer", producer_person(session, scene.farm))
    accepted = client.post(
        f"/producer/proposals/{proposal.id}/accepted",
        data={"csrf_token": csrf(client, "/producer")},
    )
    assert accepted.status_code == 200
    assert "once the other side accepts too" in accepted.text
    assert session.scalar(select(func.count()).select_from(SupplyOrder)) == 0

    store = TestClient(client.app)
    sign_in(store, "clerk", make_person(session, "clerk", Role.store, store=scene.store))
    ordered = store.post(
        f"/needs/proposals/{proposal.id}/accepted", data={"csrf_token": csrf(store, "/needs")}
    )
    assert "Proposal accepted. Both sides have accepted: it is an order now." in ordered.text
    assert session.scalar(select(func.count()).select_from(SupplyOrder)) == 1


def test_the_restock_pages_and_the_board_name_the_unit_in_the_readers_language(
    client: TestClient, session: Session, scene: Scene
) -> None:
    """A Chinese restock list, suggestion and supply board read "380 kg", the units table's
    code, although the table names every unit in Chinese (千克); English keeps the code."""
    make_offer(session, producer=scene.farm, product=scene.cabbage, quantity=500)
    make_need(session, product=scene.cabbage, store=scene.store, district=scene.district)
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    restock = "/supply/restock/district/410403/cabbage"
    for language, kg in (("zh", "千克"), ("en", "kg")):
        client.cookies.set("supplywatch_lang", language)
        listed = client.get("/supply/restock", params={"level": "district"}).text
        suggested = re.search(r"<strong>[\d,]+</strong> ([^<]*)</td>", listed)
        assert suggested is not None and suggested[1] == kg, listed
        detail = client.get(restock).text
        assert re.search(rf'<span class="label">[^<]* \({kg}\)</span>', detail), detail
        board = client.get("/supply/board").text
        offers = board[board.index('id="open-offers"') : board.index('id="open-needs"')]
        needs = board[board.index('id="open-needs"') :]
        assert f'<td class="num">500 {kg}</td>' in offers, offers
        assert re.search(rf'<td class="num">[\d,]+ {kg}</td>', needs), needs
        if language == "zh":
            assert " kg<" not in listed + detail + board
