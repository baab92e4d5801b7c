"""The worst uploads one can build within the upload cap get a short refusal: still naming
row and column, at most a megabyte, and nothing stored (issue 12, rows 2 and 3)."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.worst_uploads import (
    distinct_bad_cells_csv,
    identical_rows_csv,
    inflated_cell_xlsx,
    wide_header_csv,
)
from models import DailyReport, Producer, Role, Store
from tests.factories import (
    business_today,
    days_ago,
    make_enterprise,
    make_key,
    make_product,
    make_store,
)
from tests.service.web.helpers import csrf, make_person, sign_in
from tests.supply_network.factories import make_district

BULK = "/api/v1/reports/bulk"
MEGABYTE = 1_000_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def city(session: Session) -> None:
    make_store(session, code="A-1", enterprise=make_enterprise(session, code="CH-01"))
    make_product(session, code="pork", category="meat")


@pytest.fixture
def bureau(session: Session) -> dict[str, str]:
    return make_key(session, Role.bureau)


def stored(session: Session, model: Any = DailyReport) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def assert_short_refusal(response: Any, *, status: int = 422) -> dict[str, Any]:
    """The refusal is problem+json of at most a megabyte; returns its body."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    assert len(response.content) <= MEGABYTE, len(response.content)
    return dict(response.json())


@pytest.mark.usefixtures("city")
def test_twenty_thousand_identical_rows_are_refused_in_a_short_answer_naming_rows(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    data = identical_rows_csv(store="A-1", day=business_today(), product="pork")
    response = client.post(BULK, files={"file": ("same.csv", data, "text/csv")}, headers=bureau)
    body = assert_short_refusal(response)
    assert body["error_count"] == 20_000 and body["rows_with_errors"] == 20_000
    first = body["errors"][0]
    assert (first["row"], first["column"]) == (2, "product")
    assert first["msg"] == (
        "appears more than once (2, 3, 4, 5, 6, 7, 8, 9, 10, 11 … and 19,990 more)"
    )
    assert body["detail"].startswith("nothing was stored; 20000 problems in 20000 row(s)")
    assert stored(session) == 0


@pytest.mark.usefixtures("city")
def test_a_row_longer_than_its_header_is_named_by_row_not_read_one_column_off(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    """A row with values too many is named by its row, first data row or later; no cell
    is read shifted (a price as a product) and nothing is stored."""
    day = business_today().isoformat()
    header = "store_code,report_date,product,stock,sales,price\n"
    good, long = f"A-1,{day},pork,95,22,15.2\n", f"A-1,{day},pork,95,22,15.2,9,9,9\n"
    for rows, row in ((long, 2), (good + long, 3)):
        data = (header + rows).encode()
        sent = client.post(BULK, files={"file": ("long.csv", data, "text/csv")}, headers=bureau)
        body = assert_short_refusal(sent)
        assert [(error["loc"], error.get("row")) for error in body["errors"]] == [
            (["file", row], row)
        ]
        assert "more values than the header's 6 columns" in body["errors"][0]["msg"]
        assert stored(session) == 0


@pytest.mark.usefixtures("city")
def test_two_files_in_one_upload_are_refused_not_the_first_one_silently_dropped(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    day = business_today().isoformat()
    header = "store,date,product,stock,sales,price\n"
    monday, tuesday = (f"{header}A-1,{day},pork,{stock},22,15.2\n".encode() for stock in (95, 80))
    files = [("file", ("mon.csv", monday, "text/csv")), ("file", ("tue.csv", tuesday, "text/csv"))]
    for path in (BULK, "/api/v1/reports/bulk-jobs"):
        body = assert_short_refusal(client.post(path, files=files, headers=bureau))
        assert [error["loc"] for error in body["errors"]] == [["body", "file"]]
        assert body["errors"][0]["msg"] == "sent more than once"
    assert stored(session) == 0
    one = client.post(BULK, files={"file": ("mon.csv", monday, "text/csv")}, headers=bureau)
    assert one.status_code in (200, 201), one.text


@pytest.mark.usefixtures("city")
def test_many_distinct_long_bad_cells_are_listed_by_row_and_column_as_short_prefixes(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    data = distinct_bad_cells_csv(day=business_today(), rows=2_000)
    response = client.post(BULK, files={"file": ("bad.csv", data, "text/csv")}, headers=bureau)
    body = assert_short_refusal(response)
    assert body["error_count"] >= 2_000 * 2
    by_cell = {(error["row"], error["column"]): error["msg"] for error in body["errors"]}
    assert by_cell[(2, "store")] == "unknown store '" + "S" * 40 + "…'"
    assert by_cell[(2, "product")] == "unknown product '" + "P" * 40 + "…'"
    assert by_cell[(2, "stock")] == "not a number"
    assert all(len(error["msg"]) <= 500 for error in body["errors"])
    assert len(body["detail"]) <= 500
    assert stored(session) == 0


@pytest.mark.usefixtures("city")
def test_a_workbook_that_unpacks_a_200_mb_cell_is_refused_before_it_is_read(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    data = inflated_cell_xlsx(store="A-1", day=business_today())
    assert len(data) < 300_000
    response = client.post(BULK, files={"file": ("bomb.xlsx", data, XLSX)}, headers=bureau)
    body = assert_short_refusal(response, status=413)
    (problem,) = body["errors"]
    assert problem["loc"] == ["file"]
    assert "xl/worksheets/sheet1.xml" in problem["msg"] and "100 times" in problem["msg"]
    assert "AAAA" not in response.text
    assert stored(session) == 0


@pytest.mark.usefixtures("city")
def test_a_long_cell_in_a_small_workbook_is_named_by_row_and_column_with_a_short_prefix(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    data = inflated_cell_xlsx(store="A-1", day=business_today(), cell_bytes=5_000, column="unit")
    response = client.post(BULK, files={"file": ("long.xlsx", data, XLSX)}, headers=bureau)
    body = assert_short_refusal(response)
    (problem,) = body["errors"]
    assert (problem["row"], problem["column"]) == (2, "unit")
    assert problem["msg"] == "longer than 1000 characters ('" + "A" * 40 + "…')"
    assert stored(session) == 0


def test_a_header_of_one_huge_name_is_echoed_as_a_short_prefix(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    header = "store,date,product,stock,sales,price," + "Z" * 2_000_000
    data = (header + "\nA-1,2030-01-01,pork,1,1,1,x\n").encode()
    response = client.post(BULK, files={"file": ("wide.csv", data, "text/csv")}, headers=bureau)
    body = assert_short_refusal(response)
    unknown = [error for error in body["errors"] if error["msg"].startswith("unknown column")]
    assert unknown[0]["column"] == "z" * 40 + "…"
    assert len(response.content) < 10_000
    assert stored(session) == 0


@pytest.mark.usefixtures("city")
def test_a_store_posting_a_header_of_200_000_columns_is_refused_by_the_header_width(
    client: TestClient, session: Session
) -> None:
    store = session.scalars(select(Store).where(Store.code == "A-1")).one()
    store_key = make_key(session, Role.store, store=store)
    data = wide_header_csv(store="A-1", day=business_today(), product="pork")
    response = client.post(BULK, files={"file": ("wide.csv", data, "text/csv")}, headers=store_key)
    body = assert_short_refusal(response)
    assert body["detail"] == "the header has 200008 columns; at most 64 are accepted"
    assert body["errors"] == [{"loc": ["file", "header"], "msg": "more than 64 columns"}]
    assert stored(session) == 0


def test_a_registry_whose_header_repeats_columns_names_each_repeated_column_once(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    make_district(session, code="410423")
    make_product(session, code="pork", category="meat")
    header = "code,name,kind,region,latitude,longitude,product,daily_capacity,name,name,kind"
    data = (header + "\nF-1,Farm,livestock_farm,410423,33.6,113.3,pork,600,a,b,c\n").encode()
    response = client.post(
        "/api/v1/producers/import",
        files={"file": ("registry.csv", data, "text/csv")},
        headers=bureau,
    )
    body = assert_short_refusal(response)
    assert [error["msg"] for error in body["errors"]] == [
        "column 'kind' appears twice",
        "column 'name' appears twice",
    ]
    assert stored(session, Producer) == 0


def test_a_registry_header_of_70_columns_is_refused_by_its_width(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    header = "code,name,kind,region,latitude,longitude,product,daily_capacity"
    header += "".join(f",extra{index}" for index in range(62))
    response = client.post(
        "/api/v1/producers/import",
        files={"file": ("registry.csv", (header + "\n").encode(), "text/csv")},
        headers=bureau,
    )
    body = assert_short_refusal(response)
    assert body["detail"] == "the header has 70 columns; at most 64 are accepted"
    assert stored(session, Producer) == 0


def test_a_registry_of_twenty_thousand_identical_rows_gets_a_short_answer(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    make_district(session, code="410423")
    make_product(session, code="pork", category="meat")
    header = "code,name,kind,region,latitude,longitude,product,daily_capacity"
    line = "F-1,Farm,livestock_farm,410423,33.6,113.3,pork,600\n"
    data = (header + "\n" + line * 20_000).encode()
    response = client.post(
        "/api/v1/producers/import",
        files={"file": ("registry.csv", data, "text/csv")},
        headers=bureau,
    )
    body = assert_short_refusal(response)
    first = body["errors"][0]
    assert (first["row"], first["column"]) == (3, "product")
    assert first["msg"] == (
        "appears more than once (2, 3, 4, 5, 6, 7, 8, 9, 10, 11 … and 19,990 more)"
    )
    assert stored(session, Producer) == 0


def test_a_registry_workbook_bomb_is_refused_before_it_is_read(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    data = inflated_cell_xlsx(store="A-1", day=business_today(), cell_bytes=50 * 1024 * 1024)
    response = client.post(
        "/api/v1/producers/import",
        files={"file": ("registry.xlsx", data, XLSX)},
        headers=bureau,
    )
    body = assert_short_refusal(response, status=413)
    assert body["errors"][0]["loc"] == ["file"]
    assert stored(session, Producer) == 0


@pytest.mark.usefixtures("city")
def test_the_store_page_shows_twenty_thousand_identical_rows_in_a_short_page(
    client: TestClient, session: Session
) -> None:
    store = make_store(session, code="PDS-0001")
    sign_in(client, "shop", make_person(session, "shop", Role.store, store=store))
    data = identical_rows_csv(store="PDS-0001", day=business_today(), product="pork")
    response = client.post(
        "/store/PDS-0001/upload",
        data={"csrf_token": csrf(client, "/store/PDS-0001")},
        files={"file": ("same.csv", data, "text/csv")},
    )
    assert response.status_code == 422
    assert len(response.content) <= MEGABYTE, len(response.content)
    assert "and 19,990 more" in response.text
    assert stored(session) == 0


@pytest.mark.usefixtures("city")
def test_a_store_reading_chinese_sees_a_workbook_bomb_refused_by_its_limit(
    client: TestClient, session: Session
) -> None:
    store = make_store(session, code="PDS-0001")
    sign_in(client, "shop", make_person(session, "shop", Role.store, store=store))
    data = inflated_cell_xlsx(store="PDS-0001", day=business_today())
    response = client.post(
        "/store/PDS-0001/upload",
        data={"csrf_token": csrf(client, "/store/PDS-0001")},
        files={"file": ("bomb.xlsx", data, XLSX)},
        headers={"Accept-Language": "zh"},
    )
    assert response.status_code == 413
    assert len(response.content) <= MEGABYTE
    assert "解压后超过压缩大小的 100 倍" in response.text
    assert "AAAA" not in response.text
    assert stored(session) == 0


@pytest.mark.usefixtures("city")
def test_a_quote_that_never_closes_is_named_by_the_row_where_it_opens(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    """pandas said only "EOF inside string starting at row 1", counting its own way."""
    day = business_today().isoformat()
    data = (
        f"store,date,product,stock,sales,price\nA-1,{day},pork,95,22,15.2\n"
        f'A-1,"{day},pork,80,20,15.0\nA-1,{day},pork,70,20,15.0\n'
    ).encode()
    sent = client.post(BULK, files={"file": ("open.csv", data, "text/csv")}, headers=bureau)
    body = assert_short_refusal(sent)
    assert [(error["loc"], error["row"]) for error in body["errors"]] == [(["file", 3], 3)]
    assert body["detail"] == "nothing was stored; a quote opens in row 3 and never closes"
    assert stored(session) == 0


@pytest.mark.usefixtures("city")
def test_a_formula_a_script_wrote_without_its_value_is_named_not_called_missing(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    """A workbook written by a script keeps only the formula; its cell read as empty and
    was refused as "is required", which sent the chain looking for a value it had typed."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["store", "date", "product", "stock", "sales", "price"])
    sheet.append(["A-1", business_today().isoformat(), "pork", "=90+5", 22, 15.2])
    sheet.append(["A-1", business_today().isoformat(), "pork", 80, "=SUM(E2:E2)", 15.0])
    buffer = io.BytesIO()
    book.save(buffer)
    files = {"file": ("script.xlsx", buffer.getvalue(), XLSX)}
    body = assert_short_refusal(client.post(BULK, files=files, headers=bureau))
    assert [(error["row"], error["column"]) for error in body["errors"]] == [
        (2, "stock"),
        (3, "sales"),
    ]
    assert body["errors"][0]["msg"] == "a formula with no saved value"
    assert "save it, or paste the values" in body["detail"]
    assert stored(session) == 0


@pytest.mark.usefixtures("city")
@pytest.mark.parametrize(
    ("text", "rows"),
    [
        pytest.param("{header}\n{good}\n\n\n{bad}\n", [5], id="blank-lines"),
        pytest.param("{header}\r\n{good}\r\n\r\n{bad}\r\n", [4], id="crlf"),
        pytest.param("\n{header}\n{bad}\n   \n{bad2}\n", [3, 5], id="before-header-and-spaces"),
        pytest.param(
            '{header},unit\n{good},"kg\n\nkg"\n\n{bad},kg\n', [2, 4], id="quoted-line-breaks"
        ),
    ],
)
def test_a_csv_with_blank_lines_names_each_bad_row_as_a_spreadsheet_shows_it(
    client: TestClient, session: Session, bureau: dict[str, str], text: str, rows: list[int]
) -> None:
    """A blank line is a row in a spreadsheet; a quoted cell spanning lines stays one row
    (the row where it starts). pandas skipped blank lines and the refusal named the rows
    counted without them."""
    data = text.format(
        header="store,date,product,stock,sales,price",
        good=f"A-1,{days_ago(1).isoformat()},pork,95,22,15.2",
        bad=f"A-1,{days_ago(2).isoformat()},pork,-5,22,15.2",
        bad2=f"A-1,{days_ago(3).isoformat()},pork,80,many,15.2",
    ).encode()
    sent = client.post(BULK, files={"file": ("blank.csv", data, "text/csv")}, headers=bureau)
    body = assert_short_refusal(sent)
    assert sorted({error["row"] for error in body["errors"]}) == rows, body
    assert f"row {rows[0]}," in body["detail"]
    assert stored(session) == 0


@pytest.mark.usefixtures("city")
def test_a_workbook_with_empty_rows_names_each_bad_row_by_its_sheet_row(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    """Row 3 is left out of the sheet's XML (openpyxl writes no empty rows) and row 5 is
    there with nothing in it: the bad lines are still named rows 4 and 6."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["store", "date", "product", "stock", "sales", "price"])
    sheet.append(["A-1", days_ago(1).isoformat(), "pork", 95, 22, 15.2])
    sheet.append([])
    sheet.append(["A-1", days_ago(2).isoformat(), "pork", -5, 22, 15.2])
    sheet.append([None, None])
    sheet.append(["A-1", days_ago(3).isoformat(), "pork", 80, "many", 15.2])
    buffer = io.BytesIO()
    book.save(buffer)
    files = {"file": ("gaps.xlsx", buffer.getvalue(), XLSX)}
    body = assert_short_refusal(client.post(BULK, files=files, headers=bureau))
    assert [(error["row"], error["column"]) for error in body["errors"]] == [
        (4, "stock"),
        (6, "sales"),
    ]
    assert stored(session) == 0


@pytest.mark.usefixtures("city")
def test_a_workbook_that_states_too_few_rows_is_read_to_its_last_row(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    """A tool that writes ``<dimension ref="A1:F2"/>`` for a sheet of five rows: the
    streaming reader stopped at row 2 and stored one line, answered as a success."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["store", "date", "product", "stock", "sales", "price"])
    for days in (1, 2, 3):
        sheet.append(["A-1", days_ago(days).isoformat(), "pork", 95, 22, 15.2])
    sheet.append(["A-1", days_ago(4).isoformat(), "pork", 80, "many", 15.2])
    buffer = io.BytesIO()
    book.save(buffer)
    understated = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as original,
        zipfile.ZipFile(understated, "w") as copy,
    ):
        for item in original.infolist():
            content = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:F2"', content)
                assert b'<dimension ref="A1:F2"' in content
            copy.writestr(item, content)
    files = {"file": ("understated.xlsx", understated.getvalue(), XLSX)}
    body = assert_short_refusal(client.post(BULK, files=files, headers=bureau))
    assert [(error["row"], error["column"]) for error in body["errors"]] == [(5, "sales")]
    assert stored(session) == 0
