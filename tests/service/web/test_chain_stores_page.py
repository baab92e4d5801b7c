"""A chain's clerk sees every store of the chain with what each reported today, and
uploads one file for the whole chain (issue 13, point 9)."""

from __future__ import annotations

import re

import pandas as pd
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import DailyReport, Role, Store
from reports.upsert import store_report_lines
from tests.factories import (
    business_today,
    make_enterprise,
    make_product,
    make_region,
    make_store,
)
from tests.service.web.helpers import csrf, sign_in


def _chain(client: TestClient, session: Session) -> None:
    """A chain of two stores (CH-A reported two lines today, CH-B nothing), a store of
    another owner, and the chain's clerk signed in."""
    chain = make_enterprise(session, name="Fresh Mart")
    first = make_store(session, code="CH-A", enterprise=chain)
    make_store(session, code="CH-B", enterprise=chain)
    make_store(session, code="OTHER-1")
    products = [make_product(session, code=code).id for code in ("pork", "beef")]
    store_report_lines(
        session,
        pd.DataFrame(
            {
                "store_id": first.id,
                "report_date": business_today(),
                "product_id": products,
                "stock": [10.0, 5.0],
                "sales": [2.0, 1.0],
                "price": [14.0, 30.0],
                "received": [0.0, 0.0],
            }
        ),
        submitted_by="test",
    )
    create_user(
        session,
        username="chain",
        password="chain-password",
        role=Role.store,
        enterprise_id=chain.id,
    )
    session.commit()
    sign_in(client, "chain", "chain-password")


def _rows(page: str) -> dict[str, str]:
    """The store list's rows by store code, as text (without the cells' column names,
    which a phone shows above each value)."""
    table = page.split('<table id="stores"', 1)[1].split("</table>", 1)[0]
    table = re.sub(r' data-label="[^"]*"', "", table)
    rows = table.split("<tr>")[2:]
    return {row.split('href="/store/', 1)[1].split('"', 1)[0]: row for row in rows}


def _lines_today(session: Session) -> int | None:
    return session.scalar(select(func.count()).where(DailyReport.report_date == business_today()))


def _upload(client: TestClient, text: str, *, language: str = "en") -> Response:
    """Post ``text`` as the chain's CSV file from its store list."""
    return client.post(
        "/store/upload",
        data={"csrf_token": csrf(client, "/store")},
        files={"file": ("chain.csv", text.encode(), "text/csv")},
        headers={"Accept-Language": language},
    )


def test_a_chain_sees_which_of_its_stores_reported_today(
    client: TestClient, session: Session
) -> None:
    _chain(client, session)
    page = client.get("/store").text
    rows = _rows(page)
    assert sorted(rows) == ["CH-A", "CH-B"]  # never another owner's store
    assert '<td class="num">2</td>' in rows["CH-A"]
    assert "not reported yet" in rows["CH-B"] and "<td>–</td>" in rows["CH-B"]
    assert "1 / 2" in page
    assert 'action="/store/upload"' in page


def test_a_chain_reads_its_stores_towns_in_chinese(client: TestClient, session: Session) -> None:
    """The walk saw the Chinese store list name every town in English (Hedong Street,
    Fuqiang Town) under a "区县" heading; it now says 地区 and 河东街道."""
    _chain(client, session)
    town = make_region(session, code="410403001", name="Hedong Street")
    town.name_zh = "河东街道"
    store = session.scalars(select(Store).where(Store.code == "CH-A")).one()
    store.region_id = town.id
    session.commit()
    client.cookies.set("supplywatch_lang", "zh")
    page = client.get("/store").text
    assert "<th>地区</th>" in page and "<th>区县</th>" not in page
    assert "<td>河东街道</td>" in _rows(page)["CH-A"]
    client.cookies.set("supplywatch_lang", "en")
    assert "<td>Hedong Street</td>" in _rows(client.get("/store").text)["CH-A"]


def test_a_chain_uploads_one_file_for_all_its_stores(client: TestClient, session: Session) -> None:
    _chain(client, session)
    today = business_today().isoformat()
    text = (
        "store,date,product,stock,sales,price\n"
        f"CH-A,{today},pork,11,2,14\n"
        f"CH-B,{today},pork,7,1,14\n"
        f"CH-B,{today},beef,3,1,30\n"
    )
    response = _upload(client, text)
    assert response.status_code == 200, response.text
    assert response.text.index('id="uploaded"') < response.text.index('id="stores-title"')
    assert "File stored: 3 rows" in response.text
    assert '<td class="num">2</td>' in _rows(response.text)["CH-B"]
    assert _lines_today(session) == 4


def test_a_chain_file_with_another_owners_store_stores_nothing(
    client: TestClient, session: Session
) -> None:
    _chain(client, session)
    today = business_today().isoformat()
    text = (
        "store,date,product,stock,sales,price\n"
        f"CH-B,{today},pork,7,1,14\n"
        f"OTHER-1,{today},pork,1,1,1\n"
    )
    response = _upload(client, text, language="zh")
    assert response.status_code == 403
    assert response.text.index('id="upload-problem"') < response.text.index('id="stores-title"')
    assert "<td>3</td><td>store</td>" in response.text
    assert _lines_today(session) == 2


def test_a_chain_reads_what_its_file_did_in_one_chinese_sentence(
    client: TestClient, session: Session
) -> None:
    """ "文件已保存: 3 行 (3 新增, 0 更新, 0 未变)" was glued from words in English order."""
    _chain(client, session)
    today = business_today().isoformat()
    text = (
        "store,date,product,stock,sales,price\n"
        f"CH-A,{today},beef,3,1,30\n"
        f"CH-B,{today},pork,7,1,14\n"
    )
    response = _upload(client, text, language="zh")
    assert response.status_code == 200, response.text
    notice = response.text.split('id="uploaded">', 1)[1].split("</p>", 1)[0]
    assert notice == "文件已保存：共 2 行（新增 1 行，更新 1 行，未变 0 行）。"
