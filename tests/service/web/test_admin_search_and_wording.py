"""An admin finds a store among many by code or name, and a bad form says what to type
instead of pydantic's wording (issue 13, point 11); the API keeps pydantic's English."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Role, Store, User
from tests.factories import make_key, make_product, make_region, make_store
from tests.service.web.helpers import csrf, make_person, sign_in

ZH = {"Accept-Language": "zh"}


def _listed(html: str) -> list[str]:
    return re.findall(r'<a href="/admin/stores/([^"/]+)/edit">', html)


def test_an_admin_finds_a_store_by_part_of_its_code_or_name(
    client: TestClient, session: Session
) -> None:
    east = make_region(session, code="EAST")
    for number in range(1, 13):
        store = make_store(session, code=f"PDS-{number:04d}", region=east)
        store.name = f"Market {number}"
    make_store(session, code="GARDEN-1", region=east).name = "Peony garden store"
    session.commit()
    sign_in(client, "root", make_person(session, "root", Role.admin))

    everything = client.get("/admin/stores").text
    assert len(_listed(everything)) == 13
    assert 'id="admin-search"' in everything and 'id="search-result"' not in everything

    by_code = client.get("/admin/stores", params={"q": "PDS-001"}).text
    assert _listed(by_code) == ["PDS-0010", "PDS-0011", "PDS-0012"]
    assert '<p role="status" id="search-result">3 stores found</p>' in by_code
    assert 'value="PDS-001"' in by_code  # the search stays in its box

    by_name = client.get("/admin/stores", params={"q": "Peony"}, headers=ZH).text
    assert _listed(by_name) == ["GARDEN-1"]
    assert "找到 1 家门店" in by_name
    assert _listed(client.get("/admin/stores", params={"q": "  "}).text) == _listed(everything)


def test_an_admin_reads_each_stores_region_by_name_beside_its_code(
    client: TestClient, session: Session
) -> None:
    """The stores' list showed a store's region as its code only ("410402004")."""
    town = make_region(session, code="410402004", name="Hedong Street")
    town.name_zh = "河东街道"
    make_store(session, code="PDS-0001", region=town)
    session.commit()
    sign_in(client, "root", make_person(session, "root", Role.admin))
    english = client.get("/admin/stores").text
    assert '<td data-label="Region">Hedong Street (410402004)</td>' in english
    chinese = client.get("/admin/stores", headers=ZH).text
    assert '<td data-label="地区">河东街道 (410402004)</td>' in chinese


def test_a_store_clerk_cannot_search_the_stores(client: TestClient, session: Session) -> None:
    store = make_store(session, code="PDS-0001")
    session.commit()
    sign_in(client, "clerk", make_person(session, "clerk", Role.store, store=store))
    assert client.get("/admin/stores", params={"q": "PDS"}).status_code == 403


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'<span class="field-error" id="f-{field}-error">([^<]*)</span>', html)
    assert found, f"no problem beside {field}"
    return found.group(1)


def test_a_bad_store_form_says_what_to_type_and_saves_nothing(
    client: TestClient, session: Session
) -> None:
    make_region(session, code="EAST")
    key = make_key(session, Role.admin)
    session.commit()
    sign_in(client, "root", make_person(session, "root", Role.admin))
    form = {"code": "new store!", "name": "", "region": "EAST", "latitude": "95", "longitude": "x"}

    bad = client.post("/admin/stores", data={"csrf_token": csrf(client, "/admin/stores"), **form})
    assert bad.status_code == 422
    assert _field_error(bad.text, "code") == (
        "Use up to 64 letters, digits or - _ ., starting with a letter or a digit, no spaces"
    )
    assert _field_error(bad.text, "name") == "Fill this in"
    assert _field_error(bad.text, "latitude") == "Enter 90 or less"
    assert _field_error(bad.text, "longitude") == "Enter a number"
    assert "should match pattern" not in bad.text and "Input should" not in bad.text
    assert session.scalar(select(Store.id).where(Store.code == "new store!")) is None

    api = client.post(
        "/api/v1/stores", json={**form, "latitude": 95, "longitude": 0, "name": "x"}, headers=key
    )
    assert api.status_code == 422
    assert "String should match pattern" in api.text  # the API keeps pydantic's English


def test_a_short_password_and_a_bad_username_read_plainly_in_chinese(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "root", make_person(session, "root", Role.admin))
    bad = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf(client, "/admin/users"),
            "username": "a b",
            "password": "short",
            "role": "bureau",
        },
        headers=ZH,
    )
    assert bad.status_code == 422
    assert _field_error(bad.text, "password") == "至少 8 个字符"
    assert _field_error(bad.text, "username") == (
        "请使用 2 到 64 个字母、数字或 - _ . @，以字母或数字开头，不含空格"
    )
    assert session.scalar(select(User.id).where(User.username == "a b")) is None


def _cells(html: str) -> list[list[str]]:
    body = html.split('<table id="admin-rows" class="cards">', 1)[1].split("</table>", 1)[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td data-label=\"[^\"]*\">(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    ]


def test_the_admin_reads_categories_roles_and_store_kinds_by_name_in_chinese(
    client: TestClient, session: Session
) -> None:
    make_product(session, code="PORK", category="meat")
    make_store(session, code="PDS-0001", region=make_region(session, code="EAST"))
    session.commit()
    sign_in(client, "root", make_person(session, "root", Role.admin))

    products = _cells(client.get("/admin/products", headers=ZH).text)
    assert products[0][0] == "PORK" and products[0][3] == "肉禽水产"
    users = _cells(client.get("/admin/users", headers=ZH).text)
    assert users[0][0] == "root" and users[0][2] == "管理员"
    stores = _cells(client.get("/admin/stores", headers=ZH).text)
    assert stores[0][0] == "PDS-0001" and stores[0][2] == "超市"

    english = _cells(client.get("/admin/products").text)
    assert english[0][3] == "Meat, poultry and fish"
    assert _cells(client.get("/admin/users").text)[0][2] == "admin"


def test_the_admin_headings_take_a_full_width_colon_in_chinese(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "root", make_person(session, "root", Role.admin))
    assert "<h1>Admin: Stores</h1>" in client.get("/admin/stores").text
    chinese = client.get("/admin/stores", headers=ZH).text
    assert "<h1>管理：门店</h1>" in chinese and "<title>管理：门店" in chinese


def test_a_chinese_admin_adds_a_product_choosing_its_category_by_name_and_is_told_it_is_saved(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "root", make_person(session, "root", Role.admin))
    form = client.get("/admin/products", headers=ZH).text
    assert '<select id="f-category" name="category"' in form
    assert '<option value="meat" >肉禽水产</option>' in form  # a name, not a code to type
    assert 'name="category" type="text"' not in form
    saved = client.post(
        "/admin/products",
        data={
            "csrf_token": csrf(client, "/admin/products"),
            "code": "duck",
            "name": "Duck",
            "category": "meat",
            "unit": "kg",
            "kg_per_unit": "1",
        },
        headers=ZH,
    )
    assert saved.status_code == 200
    assert '<p class="notice" role="status" id="created">已保存。</p>' in saved.text


def test_a_chinese_admin_reads_each_products_unit_and_deactivates_it_by_its_chinese_name(
    client: TestClient, session: Session
) -> None:
    """The products' unit column read "kg" and the deactivation asked "停用 apple？" by the
    product's code on the Chinese page; it reads 千克, and asks by the product's name."""
    apple = make_product(session, code="apple", category="fruit")
    apple.name, apple.name_zh = "Apple", "苹果"
    session.commit()
    sign_in(client, "root", make_person(session, "root", Role.admin))

    chinese = client.get("/admin/products", headers=ZH).text
    assert _cells(chinese)[0][:5] == ["apple", "Apple", "苹果", "水果", "千克"]
    assert 'data-confirm="停用 苹果？' in chinese and "停用 apple？" not in chinese
    english = client.get("/admin/products").text
    assert _cells(english)[0][4] == "kg"
    assert 'data-confirm="Deactivate Apple? ' in english
