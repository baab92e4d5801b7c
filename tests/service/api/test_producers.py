"""The producer registry through the API: the bureau registers, finds and files producers,
a producer keeps its own record, and bad input changes nothing."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Producer, ProducerProduct, Product, ProposalStatus, Role
from tests.factories import make_key, make_product, make_store
from tests.supply_network.factories import (
    make_district,
    make_need,
    make_offer,
    make_producer,
    make_proposal,
)

URL = "/api/v1/producers"


@pytest.fixture
def catalogue(session: Session) -> None:
    make_product(session, code="cabbage", category="vegetables")
    make_product(session, code="pork", category="meat")
    make_product(session, code="flour", category="grain")


@pytest.fixture
def bureau(session: Session) -> dict[str, str]:
    return make_key(session, Role.bureau)


def farm(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "FARM-0001",
        "name": "Lushan Greens",
        "kind": "vegetable_grower",
        "region": "410423",
        "latitude": 33.74,
        "longitude": 112.91,
        "contact_name": "Zhao Lei",
        "contact_phone": "13912345678",
        "products": [{"product": "cabbage", "daily_capacity": 8000, "lead_time_days": 1}],
    }
    body.update(changes)
    return body


def producer_rows(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Producer)) or 0)


def assert_refused(response: Any, session: Session, *, status: int, loc: list[Any]) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert any(error["loc"] == loc for error in body["errors"]), body["errors"]


@pytest.mark.usefixtures("catalogue")
def test_bureau_registers_a_farm_reads_updates_and_deactivates_it(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    make_district(session, code="410423", name="Lushan")
    created = client.post(URL, json=farm(), headers=bureau)
    assert created.status_code == 201, created.text
    assert created.json()["products"] == [
        {
            "product": "cabbage",
            "product_name": "Product",
            "unit": "kg",
            "daily_capacity": 8000.0,
            "lead_time_days": 1,
            "minimum_lot": None,
        }
    ]
    changed = client.patch(
        f"{URL}/FARM-0001",
        json={"products": [{"product": "pork", "daily_capacity": 900, "minimum_lot": 200}]},
        headers=bureau,
    )
    assert changed.status_code == 200, changed.text
    assert [line["product"] for line in changed.json()["products"]] == ["pork"]
    gone = client.delete(f"{URL}/FARM-0001", headers=bureau)
    assert gone.json()["active"] is False
    assert client.get(f"{URL}/FARM-0001", headers=bureau).json()["name"] == "Lushan Greens"
    taken = client.post(URL, json=farm(), headers=bureau)
    assert taken.status_code == 409


@pytest.mark.usefixtures("catalogue")
def test_the_registry_is_found_by_product_category_region_and_distance(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    lushan = make_district(session, code="410423", name="Lushan", at=(33.738, 112.908))
    ye = make_district(session, code="410422", name="Ye", at=(33.626, 113.357))
    make_producer(
        session, code="NEAR", region=lushan, at=(33.75, 112.92), capacities={"cabbage": 5}
    )
    make_producer(session, code="FAR", region=ye, at=(33.62, 113.36), capacities={"pork": 5})
    make_producer(session, code="MID", region=ye, at=(33.70, 113.10), capacities={"cabbage": 5})

    def codes(**params: Any) -> list[str]:
        response = client.get(URL, params=params, headers=bureau)
        assert response.status_code == 200, response.text
        return [item["code"] for item in response.json()["items"]]

    assert codes(product="cabbage") == ["MID", "NEAR"]
    assert codes(category="meat") == ["FAR"]
    assert codes(region="410422") == ["FAR", "MID"]
    assert codes(latitude=33.74, longitude=112.91, within_km=30) == ["NEAR", "MID"]
    assert codes(around="410423", within_km=5) == ["NEAR"]
    nearest = client.get(URL, params={"around": "410422"}, headers=bureau).json()["items"]
    assert [item["code"] for item in nearest] == ["FAR", "MID", "NEAR"]
    assert nearest[0]["distance_km"] < nearest[1]["distance_km"]
    page = client.get(URL, params={"limit": 2, "offset": 2}, headers=bureau).json()
    assert page["total"] == 3 and [item["code"] for item in page["items"]] == ["NEAR"]
    unknown = client.get(URL, params={"product": "caviar"}, headers=bureau)
    assert_refused(unknown, session, status=422, loc=["query", "product"])
    pointless = client.get(URL, params={"within_km": 10}, headers=bureau)
    assert_refused(pointless, session, status=422, loc=["query", "within_km"])
    # The pointer keeps the parameter's key; the sentences name what is missing in words.
    assert pointless.json()["detail"] == (
        "a distance needs a point to measure from: a latitude and longitude, or a region"
    )
    assert pointless.json()["errors"][0]["msg"] == (
        "give a latitude and longitude, or a region to search around"
    )


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("line", "loc"),
    [
        ({"product": "caviar", "daily_capacity": 5}, ["body", "products", 0, "product"]),
        ({"product": "cabbage", "daily_capacity": -5}, ["body", "products", 0, "daily_capacity"]),
        ({"product": "cabbage", "daily_capacity": 1e12}, ["body", "products", 0, "daily_capacity"]),
        (
            {"product": "cabbage", "daily_capacity": 5, "lead_time_days": 400},
            ["body", "products", 0, "lead_time_days"],
        ),
    ],
)
def test_a_bad_product_line_is_refused_and_nothing_is_registered(
    client: TestClient,
    session: Session,
    bureau: dict[str, str],
    line: dict[str, Any],
    loc: list[Any],
) -> None:
    make_district(session, code="410423")
    response = client.post(URL, json=farm(products=[line]), headers=bureau)
    assert_refused(response, session, status=422, loc=loc)
    assert producer_rows(session) == 0


@pytest.mark.usefixtures("catalogue")
def test_a_producer_reads_and_edits_only_its_own_record(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    own = make_producer(session, code="OWN", capacities={"cabbage": 100})
    make_producer(session, code="OTHER", capacities={"cabbage": 100})
    headers = make_key(session, Role.producer, producer=own)
    assert client.get(f"{URL}/OWN", headers=headers).status_code == 200
    assert [item["code"] for item in client.get(URL, headers=headers).json()["items"]] == ["OWN"]
    assert client.get(f"{URL}/OTHER", headers=headers).status_code == 403
    other_edit = client.patch(f"{URL}/OTHER", json={"contact_phone": "1"}, headers=headers)
    assert other_edit.status_code == 403
    edited = client.patch(
        f"{URL}/OWN",
        json={
            "contact_phone": "13700000000",
            "products": [{"product": "pork", "daily_capacity": 50}],
        },
        headers=headers,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["contact_phone"] == "13700000000"
    refiled = client.patch(f"{URL}/OWN", json={"active": False, "kind": "other"}, headers=headers)
    assert_refused(refiled, session, status=403, loc=["body", "active"])
    assert client.post(URL, json=farm(), headers=headers).status_code == 403
    assert client.get(f"{URL}/OTHER", headers=bureau).json()["contact_phone"] == "13800000000"


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("role", [Role.store, Role.dispatcher, Role.driver])
def test_other_roles_cannot_read_the_registry(
    client: TestClient, session: Session, role: Role
) -> None:
    make_producer(session, code="FARM-1", capacities={"cabbage": 1})
    headers = make_key(session, role, store=make_store(session) if role is Role.store else None)
    assert client.get(URL, headers=headers).status_code == 403
    assert client.get(f"{URL}/FARM-1", headers=headers).status_code == 403


def test_a_producer_key_is_bound_to_exactly_one_producer(
    client: TestClient, session: Session
) -> None:
    make_producer(session, code="FARM-9")
    admin = make_key(session, Role.admin)
    made = client.post(
        "/api/v1/keys",
        json={"name": "farm", "role": "producer", "producer": "FARM-9"},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    assert made.json()["producer"] == "FARM-9"
    unbound = client.post("/api/v1/keys", json={"name": "x", "role": "producer"}, headers=admin)
    assert_refused(unbound, session, status=422, loc=["body", "producer"])
    wrong_role = client.post(
        "/api/v1/keys", json={"name": "x", "role": "bureau", "producer": "FARM-9"}, headers=admin
    )
    assert_refused(wrong_role, session, status=422, loc=["body", "producer"])


REGISTRY_CSV = (
    "code,name,kind,region,latitude,longitude,product,daily_capacity,lead_time_days,"
    "minimum_lot,contact_phone\n"
    "F-1,鲁山蔬菜基地,vegetable_grower,410423,33.74,112.91,cabbage,8000,1,500,13900000001\n"
    "F-1,鲁山蔬菜基地,vegetable_grower,410423,33.74,112.91,flour,100,2,,13900000001\n"
    "F-2,叶县养猪场,livestock_farm,410423,33.62,113.36,pork,600,0,,\n"
)


@pytest.mark.usefixtures("catalogue")
def test_a_gb18030_registry_file_is_imported_and_reimporting_it_changes_nothing(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    make_district(session, code="410423")
    data = REGISTRY_CSV.encode("gb18030")
    first = client.post(
        f"{URL}/import", files={"file": ("registry.csv", data, "text/csv")}, headers=bureau
    )
    assert first.status_code == 200, first.text
    assert first.json() == {
        "rows": 3,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "product_lines": 3,
        "offers_withdrawn": 0,
    }
    grower = client.get(f"{URL}/F-1", headers=bureau).json()
    assert grower["name"] == "鲁山蔬菜基地"
    assert [(line["product"], line["minimum_lot"]) for line in grower["products"]] == [
        ("cabbage", 500.0),
        ("flour", None),
    ]
    again = client.post(
        f"{URL}/import", files={"file": ("registry.csv", data, "text/csv")}, headers=bureau
    )
    assert again.json()["unchanged"] == 2 and again.json()["updated"] == 0
    smaller = REGISTRY_CSV.replace("pork,600", "pork,650").encode("gb18030")
    changed = client.post(
        f"{URL}/import", files={"file": ("registry.csv", smaller, "text/csv")}, headers=bureau
    )
    assert (changed.json()["updated"], changed.json()["unchanged"]) == (1, 1)


def _offered_on_the_board(client: TestClient) -> dict[str, float]:
    board = client.get("/api/v1/board").json()
    return {line["product"]: line["offered"] for line in board["products"] if line["offers"]}


@pytest.mark.usefixtures("catalogue")
def test_an_offer_leaves_the_board_when_its_producer_no_longer_supplies_the_product(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    """Whether the farm edits its lines or the bureau's registry file drops one, its open
    offers of that product stop being matched; what is already committed stays."""
    weidong = make_district(session, code="410423")
    cabbage, pork = (
        session.scalars(select(Product).where(Product.code == code)).one()
        for code in ("cabbage", "pork")
    )
    own = make_producer(
        session, code="F-2", region=weidong, capacities={"cabbage": 900, "pork": 600}
    )
    cabbage_offer = make_offer(session, producer=own, product=cabbage, quantity=300, committed=100)
    pork_offer = make_offer(session, producer=own, product=pork, quantity=200)
    need = make_need(session, product=cabbage, district=weidong, quantity=50)
    lapsing = make_proposal(session, offer=cabbage_offer, need=need, quantity=50)
    headers = make_key(session, Role.producer, producer=own)

    edited = client.patch(
        f"{URL}/F-2",
        json={"products": [{"product": "pork", "daily_capacity": 600}]},
        headers=headers,
    )
    assert edited.status_code == 200, edited.text
    session.expire_all()
    assert cabbage_offer.withdrawn_at is not None and cabbage_offer.committed_quantity == 100
    assert lapsing.status is ProposalStatus.superseded
    assert pork_offer.withdrawn_at is None
    assert _offered_on_the_board(client) == {"pork": 200.0}

    imported = client.post(
        f"{URL}/import",
        files={"file": ("registry.csv", REGISTRY_CSV.replace("pork,600", "flour,600"), "text/csv")},
        headers=bureau,
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["offers_withdrawn"] == 1
    session.expire_all()
    assert pork_offer.withdrawn_at is not None
    assert _offered_on_the_board(client) == {}


@pytest.mark.usefixtures("catalogue")
def test_an_xlsx_registry_is_imported(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    make_district(session, code="410423")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in REGISTRY_CSV.splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        f"{URL}/import", files={"file": ("registry.xlsx", buffer.getvalue())}, headers=bureau
    )
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 2


@pytest.mark.usefixtures("catalogue")
def test_a_registry_file_with_bad_cells_names_each_by_row_and_column_and_stores_nothing(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    make_district(session, code="410423")
    bad = (
        REGISTRY_CSV
        + "F-3,Mill,flour_mill,410423,33.9,113.2,flour,-5,1,,\n"
        + "F-4,Farm,livestock_farm,999999,95,113.2,caviar,10,1.5,,\n"
        + "F-2,叶县养猪场,livestock_farm,410423,33.62,113.36,pork,600,0,,\n"
    )
    response = client.post(
        f"{URL}/import",
        files={"file": ("registry.csv", bad.encode("gb18030"), "text/csv")},
        headers=bureau,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    cells = {(error["row"], error["column"]) for error in response.json()["errors"]}
    assert cells == {
        (5, "kind"),
        (5, "daily_capacity"),
        (6, "region"),
        (6, "latitude"),
        (6, "product"),
        (6, "lead_time_days"),
        (7, "product"),
    }
    assert response.json()["detail"].startswith("nothing was stored; 7 problems in 3 row(s)")
    assert producer_rows(session) == 0
    assert session.scalar(select(func.count()).select_from(ProducerProduct)) == 0
    header = client.post(
        f"{URL}/import",
        files={"file": ("registry.csv", b"code,name\nF-1,x\n", "text/csv")},
        headers=bureau,
    )
    assert header.status_code == 422
    assert {"kind", "region", "product"} <= {e["column"] for e in header.json()["errors"]}
    assert json.dumps(header.json()).count("missing column") == 6


@pytest.mark.usefixtures("catalogue")
def test_a_registry_name_broken_over_lines_is_refused_by_row_and_column(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    make_district(session, code="410423")
    broken = (
        REGISTRY_CSV
        + '"F-3","Mill\n\n\nof\x01Lushan",vegetable_grower,410423,33.9,113.2,cabbage,50,1,,\n'
    )
    response = client.post(
        f"{URL}/import",
        files={"file": ("registry.csv", broken.encode(), "text/csv")},
        headers=bureau,
    )
    assert response.status_code == 422, response.text
    assert [(error["row"], error["column"]) for error in response.json()["errors"]] == [(5, "name")]
    assert response.json()["errors"][0]["msg"] == "must be one line without control characters"
    assert producer_rows(session) == 0


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("\u200b\u200d", "is required"),
        ("Farm\u202eLushan", "must be one line without control characters"),
    ],
)
def test_a_registry_name_that_shows_nothing_or_reads_reversed_is_refused_by_row_and_column(
    client: TestClient, session: Session, bureau: dict[str, str], name: str, message: str
) -> None:
    make_district(session, code="410423")
    bad = REGISTRY_CSV + f'"F-3","{name}",vegetable_grower,410423,33.9,113.2,cabbage,50,1,,\n'
    response = client.post(
        f"{URL}/import", files={"file": ("registry.csv", bad.encode(), "text/csv")}, headers=bureau
    )
    assert response.status_code == 422, response.text
    assert [(error["row"], error["column"]) for error in response.json()["errors"]] == [(5, "name")]
    assert response.json()["errors"][0]["msg"] == message
    assert producer_rows(session) == 0


@pytest.mark.usefixtures("catalogue")
def test_only_the_bureau_imports_a_registry(client: TestClient, session: Session) -> None:
    producer = make_producer(session, code="OWN")
    headers = make_key(session, Role.producer, producer=producer)
    response = client.post(
        f"{URL}/import",
        files={"file": ("registry.csv", REGISTRY_CSV.encode(), "text/csv")},
        headers=headers,
    )
    assert response.status_code == 403
    assert producer_rows(session) == 1
