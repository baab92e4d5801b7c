"""Whatever goes wrong, a person reading the pages in Chinese reads it in Chinese: a bad
report, a file with bad cells, an unknown store, a refused move, a bad form on each page
and a forbidden action; the only Latin letters left are the codes and units that are
data. The API says the same thing in English, word for word as before, and so do the
English pages."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DispatchPlan, PlanRoute, PlanStop, RegionLevel, RequestPriority, Role, Truck
from models.base import utc_now
from tests.dispatch.factories import make_compound, make_depot, make_request, make_truck
from tests.factories import business_today, make_key, make_product, make_region, make_store
from tests.service.api.test_alerts import make_alert
from tests.service.web.helpers import csrf, make_person, sign_in

CHINESE = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
ZH = {"Accept-Language": "zh"}
EN = {"Accept-Language": "en"}


class _ProblemText(HTMLParser):
    """The text of a page's problems: alerts, problem boxes and messages beside fields."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if self.depth or found.get("role") == "alert" or {"problems", "field-error"} & set(classes):
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def problems_on(page: Response) -> str:
    """What a page says went wrong, as one text."""
    reader = _ProblemText()
    reader.feed(page.text)
    return " ".join(" ".join(reader.parts).split())


def assert_in_chinese(page: Response, *data: str) -> str:
    """The page's problems are worded in Chinese; only ``data`` (codes, units) is Latin."""
    text = problems_on(page)
    assert CHINESE.search(text), text
    left = text
    for datum in sorted(data, key=len, reverse=True):
        left = left.replace(datum, " ")
    assert not LATIN_WORD.findall(left), text
    return text


def assert_english_page_says(page: Response, detail: str) -> None:
    """The English page words the problem exactly as the API does."""
    assert str(escape(detail)) in page.text, (detail, problems_on(page))


@pytest.fixture
def shop(client: TestClient, session: Session) -> dict[str, str]:
    """A store with two products, its person signed in, and its API key."""
    store = make_store(session, code="PDS-0001")
    make_product(session, code="pork", category="meat")
    make_product(session, code="rice", category="grain")
    key = make_key(session, Role.store, store=store)
    session.commit()
    sign_in(client, "shop", make_person(session, "shop", Role.store, store=store))
    return key


def _report_form(client: TestClient, **fields: str) -> dict[str, str | list[str]]:
    return {
        "csrf_token": csrf(client, "/store/PDS-0001"),
        "day": business_today().isoformat(),
        "product": ["pork", "rice"],
        **fields,
    }


def test_a_bad_report_reads_in_chinese_on_the_form_and_in_english_from_the_api(
    client: TestClient, shop: dict[str, str]
) -> None:
    caviar = {"stock.caviar": "1", "sales.caviar": "1", "price.caviar": "900"}
    bad = {**_report_form(client, **caviar), "product": ["caviar"]}
    worse = {
        **bad,
        "product": ["pork", "caviar"],
        "stock.pork": "-1",
        "sales.pork": "lots",
        "price.pork": "15",
    }
    zh = client.post("/store/PDS-0001/report", data=worse, headers=ZH)
    assert zh.status_code == 422
    text = assert_in_chinese(zh, "caviar", "Product", "pork")  # data: a name, codes
    assert "未保存任何数据；2 行共 3 处问题，第一处在第 0 行 销量：不是数字" in text
    assert "Product (pork), 库存（日终）：不能为负数" in text  # the summary names the product

    api = client.put(
        f"/api/v1/stores/PDS-0001/reports/{business_today().isoformat()}",
        json={"lines": [{"product": "caviar", "stock": 1, "sales": 1, "price": 900}]},
        headers=shop,
    )
    assert api.status_code == 422
    detail = api.json()["detail"]
    assert detail == "nothing was stored; line 0, product: unknown product 'caviar'"
    en = client.post("/store/PDS-0001/report", data=bad, headers=EN)
    assert_english_page_says(en, detail)


def test_a_bad_day_on_the_report_form_reads_in_chinese(
    client: TestClient, shop: dict[str, str]
) -> None:
    form = {**_report_form(client, **{"stock.pork": "1"}), "day": "someday"}
    zh = client.post("/store/PDS-0001/report", data=form, headers=ZH)
    text = assert_in_chinese(zh, "YYYY-MM-DD", "Product", "pork", "kg")  # data: name, code, unit
    assert "营业日：不是日期（YYYY-MM-DD）" in text
    assert "Product (pork), 销量：必填" in text  # the lines are checked in the same answer


def test_an_upload_with_bad_cells_lists_each_in_chinese_and_the_api_in_english(
    client: TestClient, shop: dict[str, str]
) -> None:
    today = business_today().isoformat()
    file = (
        "store,date,product,stock,sales,price\n"
        f"PDS-0001,{today},pork,10,2,15\n"
        f"PDS-0001,{today},caviar,1,1,900\n"
        f"PDS-0001,{today},rice,5,-1,3\n"
        "PDS-0001,someday,rice,5,1,3\n"
    ).encode()

    def upload(language: dict[str, str]) -> Response:
        return client.post(
            "/store/PDS-0001/upload",
            data={"csrf_token": csrf(client, "/store/PDS-0001")},
            files={"file": ("today.csv", io.BytesIO(file), "text/csv")},
            headers=language,
        )

    zh = upload(ZH)
    assert zh.status_code == 422
    text = assert_in_chinese(zh, "caviar", "product", "sales", "date", "YYYY-MM-DD")
    assert "未知商品 'caviar'" in text and "不能为负数" in text

    api = client.post(
        "/api/v1/reports/bulk",
        files={"file": ("today.csv", io.BytesIO(file), "text/csv")},
        headers=shop,
    )
    assert api.status_code == 422
    detail = api.json()["detail"]
    assert detail == (
        "nothing was stored; 3 problems in 3 row(s), first at row 3, product: "
        "unknown product 'caviar'"
    )
    assert_english_page_says(upload(EN), detail)


def test_an_unknown_store_reads_in_chinese_and_the_api_says_it_in_english(
    client: TestClient, shop: dict[str, str]
) -> None:
    zh = client.get("/store/NOPE", headers=ZH)
    assert zh.status_code == 404
    assert "未找到门店 'NOPE'" in assert_in_chinese(zh, "NOPE")
    api = client.get("/api/v1/stores/NOPE", headers=shop)
    assert api.status_code == 404 and api.json()["detail"] == "store 'NOPE' not found"
    assert_english_page_says(client.get("/store/NOPE", headers=EN), "store 'NOPE' not found")


def _planned_day(client: TestClient, session: Session) -> tuple[int, str, str, int]:
    """A draft plan of three 300 kg requests on two 700 kg trucks: (plan, the truck with
    two stops, the request of the other, version)."""
    depot = make_depot(session, code="DEP-1")
    for plate in ("TRK-A", "TRK-B"):
        make_truck(session, depot=depot, plate=plate, capacity_kg=700)
    for index, (lat, lon) in enumerate(((33.74, 113.29), (33.75, 113.27), (33.72, 113.30))):
        compound = make_compound(session, code=f"CP-{index}", latitude=lat, longitude=lon)
        make_request(
            session,
            compound=compound,
            delivery_date=business_today(),
            kg=300,
            priority=RequestPriority.urgent if index == 0 else RequestPriority.normal,
        )
    session.commit()
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    client.post(
        "/dispatch/plans",
        data={
            "csrf_token": csrf(client, "/dispatch"),
            "day": business_today().isoformat(),
            "time_limit_s": "1",
        },
    )
    plan = session.scalars(select(DispatchPlan)).one()
    stops: dict[str, list[int]] = {}
    for plate, request_id in session.execute(
        select(Truck.plate, PlanStop.request_id)
        .join(PlanRoute, PlanRoute.truck_id == Truck.id)
        .join(PlanStop, PlanStop.route_id == PlanRoute.id)
        .where(PlanRoute.plan_id == plan.id)
    ):
        stops.setdefault(plate, []).append(request_id)
    full = max(stops, key=lambda plate: len(stops[plate]))
    other = next(plate for plate in stops if plate != full)
    return plan.id, full, str(stops[other][0]), plan.version


def test_a_refused_move_reads_in_chinese_and_the_api_says_why_in_english(
    client: TestClient, session: Session
) -> None:
    plan_id, full, request_id, version = _planned_day(client, session)

    def move(language: dict[str, str]) -> Response:
        return client.post(
            f"/dispatch/plans/{plan_id}/moves",
            data={
                "csrf_token": csrf(client, "/dispatch"),
                "request_id": request_id,
                "to_truck": full,
                "version": str(version),
            },
            headers=language,
        )

    zh = move(ZH)
    assert zh.status_code == 400
    text = assert_in_chinese(zh, full, "kg")
    assert f"车辆 {full}：载重 900 kg 超过其容量 700 kg" in text

    api = client.post(
        f"/api/v1/dispatch/plans/{plan_id}/moves",
        json={"request_id": int(request_id), "to_truck": full, "expected_version": version},
        headers=make_key(session, Role.dispatcher),
    )
    assert api.status_code == 422
    detail = api.json()["detail"]
    assert detail.startswith(f"the edit breaks 1 rule(s): vehicle {full}: load 900 kg exceeds")
    english = move(EN)
    for error in api.json()["errors"]:  # every broken rule, one by one
        assert_english_page_says(english, error["msg"])


def test_a_bad_plan_form_reads_in_chinese(client: TestClient, session: Session) -> None:
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    form = {
        "csrf_token": csrf(client, "/dispatch"),
        "day": business_today().isoformat(),
        "time_limit_s": "0",
    }
    zh = client.post("/dispatch/plans", data=form, headers=ZH)
    assert zh.status_code == 422
    assert "求解时限（秒）：必须大于或等于 1" in assert_in_chinese(zh)
    en = client.post("/dispatch/plans", data=form, headers=EN)
    assert "Time limit (seconds): Enter 1 or more" in problems_on(en)


def test_a_bad_step_on_the_drivers_page_reads_in_chinese(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    zh = client.post(
        "/driver/deliveries/1/status",
        data={"csrf_token": csrf(client, "/driver"), "status": "flying"},
        headers=ZH,
    )
    assert zh.status_code == 422
    statuses = ("assigned", "loaded", "en_route", "delivered", "failed", "cancelled")
    assert "状态：必须是以下之一：" in assert_in_chinese(zh, *statuses)


def test_a_bad_store_on_the_admin_page_reads_in_chinese_and_the_api_in_english(
    client: TestClient, session: Session
) -> None:
    make_region(session, code="EAST")
    key = make_key(session, Role.admin)
    session.commit()
    sign_in(client, "root", make_person(session, "root", Role.admin))
    numbers = {"code": "NEW-1", "name": "New", "region": "EAST", "latitude": "95"}
    zh = client.post(
        "/admin/stores",
        data={"csrf_token": csrf(client, "/admin/stores"), **numbers, "longitude": "east"},
        headers=ZH,
    )
    assert zh.status_code == 422
    assert_in_chinese(zh)

    nowhere = {"code": "NEW-1", "name": "New", "region": "NOWHERE"}
    zh = client.post(
        "/admin/stores",
        data={"csrf_token": csrf(client, "/admin/stores"), **nowhere},
        headers=ZH,
    )
    assert "未知地区 'NOWHERE'" in assert_in_chinese(zh, "NOWHERE")
    api = client.post("/api/v1/stores", json=nowhere, headers=key)
    assert api.status_code == 422 and api.json()["detail"] == "unknown region 'NOWHERE'"
    en = client.post(
        "/admin/stores",
        data={"csrf_token": csrf(client, "/admin/stores"), **nowhere},
        headers=EN,
    )
    assert_english_page_says(en, "unknown region 'NOWHERE'")


def test_contradictory_thresholds_read_in_chinese_and_the_api_in_english(
    client: TestClient, session: Session
) -> None:
    key = make_key(session, Role.admin)
    session.commit()
    sign_in(client, "root", make_person(session, "root", Role.admin))
    levels = {"low_supply_warning_days": "1", "low_supply_critical_days": "3"}

    def post(language: dict[str, str]) -> Response:
        return client.post(
            "/admin/thresholds/vegetables",
            data={"csrf_token": csrf(client, "/admin/thresholds"), **levels},
            headers=language,
        )

    zh = post(ZH)
    assert zh.status_code == 422
    text = assert_in_chinese(zh, "vegetables")
    assert "供应偏低的严重阈值（< 3.0 天）必须严于警告阈值（< 1.0 天）" in text

    api = client.put(
        "/api/v1/alert-rules/categories/vegetables",
        json={"low_supply_warning_days": 1.0, "low_supply_critical_days": 3.0},
        headers=key,
    )
    assert api.status_code == 422
    detail = api.json()["detail"]
    assert detail == (
        "1 problem(s) with the alert rules: categories.vegetables.low_supply_critical_days: "
        "low_supply critical (< 3.0 days) must be stricter than warning (< 1.0 days)"
    )
    beside = "low_supply critical (< 3.0 days) must be stricter than warning (< 1.0 days)"
    assert_english_page_says(post(EN), beside)  # beside the field the API locates it at


def test_the_alert_forms_read_in_chinese_and_the_api_in_english(
    client: TestClient, session: Session
) -> None:
    district = make_region(session, code="EAST", level=RegionLevel.district)
    alert = make_alert(session, district=district, product=make_product(session, code="pork"))
    key = make_key(session, Role.bureau)
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    token = csrf(client, "/alerts/list")

    empty_note = client.post(
        f"/alerts/{alert.id}/ack",
        data={"csrf_token": token, "note": " "},
        headers={"HX-Request": "true", **ZH},
    )
    assert "备注：1 至 2000 个字符" in assert_in_chinese(empty_note)

    bad_hours = client.post(
        "/alerts/silences",
        data={"csrf_token": token, "hours": "lots", "region": "EAST", "comment": "x"},
        headers=ZH,
    )
    assert bad_hours.status_code == 422
    assert "必须是数字" in assert_in_chinese(bad_hours)

    form = {"csrf_token": token, "hours": "24", "region": "NOWHERE", "comment": "checking"}
    zh = client.post("/alerts/silences", data=form, headers=ZH)
    assert zh.status_code == 422
    assert "未知地区 'NOWHERE'" in assert_in_chinese(zh, "NOWHERE")
    api = client.post(
        "/api/v1/silences",
        json={
            "matchers": {"region": "NOWHERE"},
            "ends_at": (utc_now() + timedelta(hours=24)).isoformat(),
            "comment": "checking",
        },
        headers=key,
    )
    assert api.status_code == 422
    detail = api.json()["detail"]
    assert detail == "the silence is invalid: matchers.region: unknown region 'NOWHERE'"
    english = client.post("/alerts/silences", data=form, headers=EN)
    assert "unknown region &#39;NOWHERE&#39;" in english.text, problems_on(english)


def test_a_sign_in_without_a_password_reads_in_chinese(client: TestClient) -> None:
    zh = client.post("/login", data={"csrf_token": csrf(client), "username": "li"}, headers=ZH)
    assert zh.status_code == 422
    assert "密码：必填" in assert_in_chinese(zh)


def test_a_forbidden_page_reads_in_chinese_and_the_api_says_why_in_english(
    client: TestClient, session: Session
) -> None:
    key = make_key(session, Role.bureau)
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    zh = client.get("/dispatch", headers=ZH)
    assert zh.status_code == 403
    assert "此操作需要以下角色之一：管理员、调度员" in assert_in_chinese(zh)
    api = client.post(
        "/api/v1/dispatch/plans", json={"date": business_today().isoformat()}, headers=key
    )
    assert api.status_code == 403
    detail = api.json()["detail"]
    assert detail == "this action needs one of the roles: admin, dispatcher"
    assert_english_page_says(client.get("/dispatch", headers=EN), detail)
    users = client.get("/api/v1/users/li", headers=key)  # the admin's alone
    assert users.json()["detail"] == "this action needs the admin role", users.text
    assert "此操作需要管理员角色" in assert_in_chinese(client.get("/admin/users", headers=ZH))
