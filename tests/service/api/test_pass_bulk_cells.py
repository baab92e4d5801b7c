"""A bulk pass file names every bad cell of a row, also when its kind, a date or its holder
is bad: until 2026-12-07 such a row stopped at that cell, so a clerk fixed a file cell by
cell, one upload per mistake (``pass_office/bulk.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Role, TransportPass
from tests.factories import make_enterprise, make_key, make_region

URL = "/api/v1/passes/bulk"
HEADER = "kind,enterprise,producer,plate,driver_name,purpose,id_number,regions,valid_from,valid_to"


def test_every_bad_cell_of_a_row_is_named_whatever_else_is_bad(
    client: TestClient, session: Session
) -> None:
    make_region(session, code="310115", name="Pudong")
    make_enterprise(session, code="LIANHUA")
    bureau = make_key(session, Role.bureau)
    start = datetime.now(UTC).date()
    end = start + timedelta(days=7)
    long_plate = "沪A" * 20
    lines = [
        HEADER,
        # a bad kind: the enterprise, plate, ID number, regions and end are judged too
        f"lorry,NOSUCH,,{long_plate},D,p,12,999999,{start},{start - timedelta(days=2)}",
        # a bad start: the vehicle's missing plate and the unknown region are named too
        f"vehicle,LIANHUA,,,D,p,,310115;888888,someday,{end}",
        # no holder: the unknown region and the end before the start are named too
        f"vehicle,,,沪A·1,D,p,,777777,{end},{start}",
        # a good row is not named
        f"vehicle,LIANHUA,,沪A·2,D,p,,310115,{start},{end}",
    ]
    answer = client.post(
        URL,
        files={"file": ("passes.csv", ("\n".join(lines) + "\n").encode(), "text/csv")},
        headers=bureau,
    )
    assert answer.status_code == 422, answer.text
    cells = {(error["row"], error["column"]) for error in answer.json()["errors"]}
    assert cells == {
        (2, "kind"),
        (2, "enterprise"),
        (2, "plate"),
        (2, "id_number"),
        (2, "regions"),
        (2, "valid_to"),
        (3, "plate"),
        (3, "regions"),
        (3, "valid_from"),
        (4, "enterprise"),
        (4, "regions"),
        (4, "valid_to"),
    }, answer.json()["errors"]
    assert answer.json()["rows_with_errors"] == 3
    assert session.scalar(select(func.count()).select_from(TransportPass)) == 0
