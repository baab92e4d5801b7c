"""A name or note holding a control character (a vertical tab pasted from a word
processor, or typed on purpose) is data in every download: openpyxl refuses such text in a
worksheet, so one district's store name or one acknowledgement note used to turn the
national bureau's XLSX downloads into a server error for everyone."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from models import RegionLevel, Role
from service.http.exports import ExportFormat, table_response
from tests.factories import make_key, make_region, make_store
from tests.service.web.helpers import make_person, sign_in

CONTROL_NAME = "Corner\x0bShop\x01"


def test_a_district_bureau_cannot_break_the_national_download_with_a_control_character(
    client: TestClient, session: Session
) -> None:
    city = make_region(session, code="CITY", level=RegionLevel.city)
    district = make_region(session, code="EAST", name="East", parent=city)
    store = make_store(session, code="S-EAST", region=district)
    district_bureau = make_key(session, Role.bureau, region=district)
    renamed = client.patch(
        f"/api/v1/stores/{store.code}", json={"name": CONTROL_NAME}, headers=district_bureau
    )
    # Names are refused with a control character now; one stored before still downloads.
    assert renamed.status_code == 422, renamed.text
    assert renamed.json()["errors"][0]["loc"] == ["body", "name"]
    store.name = CONTROL_NAME
    session.commit()

    sign_in(client, "national", make_person(session, "national", Role.bureau))
    response = client.get("/dashboard/export", params={"format": "xlsx", "table": "not-reported"})
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    names = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "Corner\ufffdShop\ufffd" in names


def test_every_download_keeps_what_a_worksheet_cannot_hold_as_a_visible_mark() -> None:
    response = table_response(
        ["Name", "Note"], [["ok", "tab\tand\x1fend"]], format=ExportFormat.xlsx, name="t"
    )
    sheet = load_workbook(io.BytesIO(response.body)).active
    assert sheet is not None
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [("ok", "tab\tand\ufffdend")]
