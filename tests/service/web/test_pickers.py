"""Type-ahead pickers: a form's field offers the regions, stores, compounds, products,
enterprises and producers whose code starts with, or whose name holds, what was typed,
each by its name (in the page's language) while the form still sends the code. A
resident on the public form is offered districts and stores only; a city's bureau never a
neighbour city's places, chains or farms; nobody is offered what they may not read."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import Product, Region, RegionLevel, Role, Store, Ticket
from tests.dispatch.factories import make_compound
from tests.factories import make_enterprise, make_product, make_region, make_store
from tests.service.web.helpers import csrf, make_person, sign_in
from tests.supply_network.factories import make_producer

OPTION = re.compile(r'<option value="([^"]*)" label="([^"]*)">')


def offered(html: str, datalist: str | None = None) -> dict[str, str]:
    """The options offered (value: label), in one datalist of a page or in a fragment."""
    if datalist is not None:
        found = re.search(rf'<datalist id="{datalist}">(.*?)</datalist>', html, re.S)
        assert found, f"no datalist {datalist}"
        html = found.group(1)
    return dict(OPTION.findall(html))


def named_store(session: Session, code: str, name: str, region: Region, **more: object) -> Store:
    store = make_store(session, code=code, region=region, **more)  # type: ignore[arg-type]
    store.name = name
    session.flush()
    return store


@pytest.fixture
def two_cities(session: Session) -> dict[str, Region]:
    """Pingdingshan (4104: Weidong 卫东区 and its street Donggao) and Anyang (4105:
    Wenfeng), each with a store, a compound, a chain's store and a farm; committed."""
    pds = make_region(session, code="4104", name="Pingdingshan", level=RegionLevel.city)
    pds.name_zh = "平顶山市"
    anyang = make_region(session, code="4105", name="Anyang", level=RegionLevel.city)
    weidong = make_region(session, code="410403", name="Weidong", parent=pds)
    weidong.name_zh = "卫东区"
    street = make_region(
        session, code="41040301", name="Donggao Street", level=RegionLevel.township, parent=weidong
    )
    street.name_zh = "东高街道"
    wenfeng = make_region(session, code="410502", name="Wenfeng", parent=anyang)
    wenfeng.name_zh = "文峰区"
    named_store(session, "PDS-0001", "Renmin Supermarket", street)
    named_store(session, "PDS-0002", "Renmin Market (closed)", street, active=False)
    named_store(session, "AY-0001", "Renmin Supermarket Anyang", wenfeng)
    make_compound(session, code="CP-PDS", region=street).name = "Jianshe Compound"
    make_compound(session, code="CP-AY", region=wenfeng).name = "Jianshe Compound Anyang"
    named_store(
        session,
        "PDS-0003",
        "Lianhua Weidong",
        weidong,
        enterprise=make_enterprise(session, code="LIANHUA", name="Lianhua Chain"),
    )
    named_store(
        session,
        "AY-0002",
        "Dennis Wenfeng",
        wenfeng,
        enterprise=make_enterprise(session, code="DENNIS", name="Dennis Chain"),
    )
    make_producer(session, code="FARM-PDS", region=weidong).name = "Green Valley Farm PDS"
    make_producer(session, code="FARM-AY", region=wenfeng).name = "Green Valley Farm Anyang"
    session.commit()
    return {"pds": pds, "anyang": anyang, "weidong": weidong}


def test_a_resident_typing_part_of_a_name_is_offered_districts_and_active_stores(
    client: TestClient, session: Session, two_cities: dict[str, Region]
) -> None:
    districts = offered(client.get("/choices/region", params={"q": "wei"}).text)
    assert districts == {"410403": "Weidong · Pingdingshan"}
    by_code = offered(client.get("/choices/region", params={"q": "410403"}).text)
    assert list(by_code)[0] == "410403"  # the exact code first, then the street below it
    assert "4104" not in offered(client.get("/choices/region", params={"q": "4104"}).text)
    stores = offered(client.get("/choices/store", params={"q": "renmin super"}).text)
    assert stores == {
        "PDS-0001": "Renmin Supermarket · Weidong",
        "AY-0001": "Renmin Supermarket Anyang · Wenfeng",
    }
    # htmx sends the field's value under its own name, the kind
    assert offered(client.get("/choices/store", params={"store": "AY-"}).text) == {
        "AY-0001": "Renmin Supermarket Anyang · Wenfeng",
        "AY-0002": "Dennis Wenfeng · Wenfeng",
    }


def test_the_public_form_offers_choices_before_typing_and_files_a_store_typed_by_name(
    client: TestClient, session: Session, two_cities: dict[str, Region]
) -> None:
    client.cookies.set("supplywatch_lang", "zh")
    form = client.get("/hotline/report").text
    assert 'list="region-choices"' in form and 'hx-get="/choices/store"' in form
    assert offered(form, "region-choices")["410403"] == "卫东区 · 平顶山市"
    assert offered(form, "store-choices")["PDS-0001"] == "Renmin Supermarket · 卫东区"
    assert "门店（选填）" in form and "代码" not in form
    filed = client.post(
        "/hotline/report",
        data={
            "csrf_token": csrf(client, "/hotline/report"),
            "category": "store_closed_or_short",
            "text": "关门了",
            "region": "卫东区",
            "store": "renmin supermarket",
        },
    )
    assert filed.status_code == 201, filed.text
    ticket = session.scalars(select(Ticket)).one()
    store = session.get(Store, ticket.store_id)
    assert store is not None and store.code == "PDS-0001"


def eggs_and_an_operator(client: TestClient, session: Session) -> Product:
    """The product eggs, and the client signed in as operator "hu"."""
    eggs = make_product(session, code="eggs", category="eggs")
    eggs.name = "Eggs"
    session.commit()
    sign_in(client, "hu", make_person(session, "hu", Role.operator))
    return eggs


def test_labels_are_chinese_on_chinese_pages(
    client: TestClient, session: Session, two_cities: dict[str, Region]
) -> None:
    eggs_and_an_operator(client, session).name_zh = "鸡蛋"
    session.commit()
    client.cookies.set("supplywatch_lang", "zh")
    assert offered(client.get("/choices/region", params={"q": "东高"}).text) == {
        "41040301": "东高街道 · 卫东区"
    }
    assert offered(client.get("/choices/product", params={"q": "鸡"}).text) == {
        "eggs": "鸡蛋 · 蛋类"
    }
    form = client.get("/hotline/tickets/new").text
    assert offered(form, "compound-choices")["CP-PDS"] == "Jianshe Compound · 卫东区"
    assert "涉及对象（选填）" in form


def test_a_city_bureau_is_never_offered_a_neighbour_citys_places_chains_or_farms(
    client: TestClient, session: Session, two_cities: dict[str, Region]
) -> None:
    create_user(
        session,
        username="pds-bureau",
        password="pds-bureau-password",
        role=Role.bureau,
        region_id=two_cities["pds"].id,
    )
    session.commit()
    sign_in(client, "pds-bureau", "pds-bureau-password")
    for kind, typed, ours in (
        ("store", "renmin", {"PDS-0001"}),
        ("compound", "jianshe", {"CP-PDS"}),
        ("enterprise", "chain", {"LIANHUA"}),
        ("producer", "green valley", {"FARM-PDS"}),
        ("region", "", {"4104", "410403", "41040301"}),
    ):
        answer = client.get(f"/choices/{kind}", params={"q": typed})
        assert answer.status_code == 200
        assert set(offered(answer.text)) == ours, kind
        assert "Anyang" not in answer.text and "Wenfeng" not in answer.text
    assert offered(client.get("/choices/store", params={"q": "AY-0001"}).text) == {}
    # A carrier with no store anywhere is nobody's neighbour: the city's pass holder too.
    make_enterprise(session, code="SF-EXPRESS", name="Shunfeng Carrier")
    session.commit()
    carriers = client.get("/choices/enterprise", params={"q": "carrier"}).text
    assert set(offered(carriers)) == {"SF-EXPRESS"}
    alerts = client.get("/alerts").text
    assert set(offered(alerts, "filter-store-choices")) == {"PDS-0001", "PDS-0003"}
    issue = client.get("/pass-office/issue").text
    assert set(offered(issue, "f-enterprise-choices")) == {"LIANHUA", "SF-EXPRESS"}
    assert set(offered(issue, "f-producer-choices")) == {"FARM-PDS"}
    assert "Holder: an enterprise or a producer<" in issue
    settings = client.get("/hotline/settings").text
    assert set(offered(settings, "rule-region-choices")) == {"4104", "410403", "41040301"}
    network = client.get("/supply").text
    assert "Wenfeng" not in offered(network, "filter-region-choices").values()
    assert set(offered(network, "lockdown-region-choices")) == {"4104", "410403", "41040301"}


def test_anonymous_users_cannot_list_compounds_enterprises_or_producers(
    client: TestClient, session: Session, two_cities: dict[str, Region]
) -> None:
    for kind in ("compound", "enterprise", "producer", "product"):
        refused = client.get(f"/choices/{kind}", params={"q": "a"}, follow_redirects=False)
        assert refused.status_code == 303, kind
        assert refused.headers["location"].startswith("/login")
        assert "Jianshe" not in refused.text and "Chain" not in refused.text
    assert client.get("/choices/nothing", params={"q": "a"}).status_code == 404


def test_an_operator_may_not_list_enterprises_or_producers(
    client: TestClient, session: Session, two_cities: dict[str, Region]
) -> None:
    make_person(session, "hu", Role.operator)
    sign_in(client, "hu", "hu-password")
    for kind in ("enterprise", "producer"):
        refused = client.get(f"/choices/{kind}", params={"q": "chain"})
        assert refused.status_code == 403, kind
        assert "Lianhua" not in refused.text and "Green Valley" not in refused.text
    assert set(offered(client.get("/choices/compound", params={"q": "CP-"}).text)) == {
        "CP-AY",
        "CP-PDS",
    }


def test_the_desk_files_the_codes_its_pickers_fill(
    client: TestClient, session: Session, two_cities: dict[str, Region]
) -> None:
    eggs_and_an_operator(client, session)
    form = client.get("/hotline/tickets/new").text
    assert offered(form, "product-choices")["eggs"] == "Eggs · Eggs"
    assert offered(form, "store-choices")["PDS-0003"] == "Lianhua Weidong · Weidong"
    filed = client.post(
        "/hotline/tickets/new",
        data={
            "csrf_token": csrf(client, "/hotline/tickets/new"),
            "category": "cannot_buy",
            "text": "no eggs",
            "region": "410403",
            "store": "PDS-0003",
            "compound": "CP-PDS",
            "product": "eggs",
        },
        follow_redirects=False,
    )
    assert filed.status_code == 303, filed.text
    ticket = session.scalars(select(Ticket)).one()
    assert ticket.store_id is not None and ticket.compound_id is not None
    assert ticket.product_id is not None
    # The ticket's own page links a store or a compound the same way, by name.
    page = client.get(filed.headers["location"]).text
    assert offered(page, "link-store-choices")["PDS-0001"] == "Renmin Supermarket · Weidong"
    assert "CP-PDS" in offered(page, "link-compound-choices")
    assert "Store code" not in page and "Compound code" not in page
