"""The bureau drafts the day's bulletin from the stores' reports, edits its summary and
publishes it; anyone reads it (API, page, Atom feed) without signing in; a published
bulletin is frozen and a correction is a new revision with its reason."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from models import Bulletin, Product, Region, RegionLevel, Role, ScopeLevel, SupplySnapshot
from monitors.running.runs import MonitorConfig, run_monitor
from reports.upsert import store_report_lines
from tests.factories import business_today, make_key, make_product, make_region, make_store
from tests.service.web.helpers import csrf, make_person, sign_in

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def city(session: Session) -> Region:
    """Two districts, three stores, pork and rice: steady prices for five weeks, then pork
    up 40 % on the last day."""
    root = make_region(session, code="4104", name="City", level=RegionLevel.city)
    east = make_region(session, code="410401", name="East", parent=root)
    west = make_region(session, code="410402", name="West", parent=root)
    stores = [make_store(session, region=region) for region in (east, east, west)]
    pork = make_product(session, code="pork", category="meat")
    rice = make_product(session, code="rice", category="grain")
    today = business_today()
    rows = []
    for days_ago in range(40):
        day = today - timedelta(days=days_ago)
        for store in stores:
            for product, price in ((pork, 20.0), (rice, 3.0)):
                rows.append(
                    {
                        "store_id": store.id,
                        "report_date": day,
                        "product_id": product.id,
                        "stock": 50.0,
                        "sales": 10.0,
                        "price": price * (1.4 if product is pork and days_ago == 0 else 1.0),
                        "received": 10.0,
                    }
                )
    store_report_lines(session, pd.DataFrame(rows), submitted_by="test")
    session.commit()
    return root


def _draft(client: TestClient, headers: dict[str, str], **body: str) -> dict[str, object]:
    answer = client.post(
        "/api/v1/bulletins", json={"date": business_today().isoformat(), **body}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


@pytest.mark.usefixtures("city")
def test_the_bureau_publishes_the_days_bulletin_and_anyone_reads_it(
    client: TestClient, session: Session
) -> None:
    bureau = make_key(session, Role.bureau)
    session.commit()
    draft = _draft(client, bureau)
    assert draft["status"] == "draft" and draft["revision"] == 1
    figures = draft["figures"]
    assert isinstance(figures, dict)
    pork = next(row for row in figures["prices"] if row["product"] == "pork")
    assert pork["average_price"] == pytest.approx(28.0)
    assert pork["change_vs_previous_day_percent"] == pytest.approx(40.0)
    assert pork["band"] == "crisis"
    assert figures["city_coverage"] == {
        "expected_outlets": 3,
        "reported_outlets": 3,
        "coverage_percent": 100.0,
    }
    assert "3 of the 3 outlets" in str(draft["summary_en"])
    assert "crisis 1" in str(draft["summary_en"])

    unpublished = client.get(f"/api/v1/bulletins/{business_today()}")
    assert unpublished.status_code == 404
    edited = client.patch(
        f"/api/v1/bulletin-revisions/{draft['id']}",
        json={"summary_en": "Pork is up 40 % today; rice is steady."},
        headers=bureau,
    )
    assert edited.status_code == 200, edited.text
    published = client.post(f"/api/v1/bulletin-revisions/{draft['id']}/publish", headers=bureau)
    assert published.status_code == 200 and published.json()["status"] == "published"

    public = client.get(f"/api/v1/bulletins/{business_today()}")  # no key
    assert public.status_code == 200
    assert public.json()["summary_en"] == "Pork is up 40 % today; rice is steady."
    listed = client.get("/api/v1/bulletins").json()
    assert [item["business_date"] for item in listed["items"]] == [business_today().isoformat()]
    assert "figures" not in listed["items"][0]  # the tables are the day's read, not the list's
    assert listed["items"][0]["summary_en"] == public.json()["summary_en"]
    page = client.get("/bulletin", headers={"Accept-Language": "zh"})
    assert page.status_code == 200
    assert "每日保供公告" in page.text and "危机" in page.text


def test_a_district_cannot_break_the_public_feed_with_a_control_character(
    client: TestClient, session: Session, city: Region
) -> None:
    east = session.scalars(select(Region).where(Region.code == "410401")).one()
    district = make_key(session, Role.bureau, region=east)
    session.commit()
    draft = _draft(client, district)
    refused = client.patch(
        f"/api/v1/bulletin-revisions/{draft['id']}",
        json={"summary_en": "East is fine \u0001\u000b today."},
        headers=district,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["body", "summary_en"]
    lines = client.patch(
        f"/api/v1/bulletin-revisions/{draft['id']}",
        json={"summary_zh": "东区供应正常。\n肉价平稳。"},
        headers=district,
    )
    assert lines.status_code == 200, lines.text
    # A summary stored before the refusal existed still leaves a readable feed.
    session.execute(
        update(Bulletin).where(Bulletin.id == draft["id"]).values(summary_en="old \u0001 text")
    )
    session.commit()
    client.post(f"/api/v1/bulletin-revisions/{draft['id']}/publish", headers=district)
    feed = client.get("/bulletin/feed.atom")
    assert feed.status_code == 200
    entry = ElementTree.fromstring(feed.content).find(f"{ATOM}entry")
    assert entry is not None and entry.findtext(f"{ATOM}summary") == "old \ufffd text"


@pytest.mark.usefixtures("city")
def test_a_published_bulletin_is_frozen_and_a_correction_needs_its_reason(
    client: TestClient, session: Session
) -> None:
    bureau = make_key(session, Role.bureau)
    session.commit()
    first = _draft(client, bureau)
    client.post(f"/api/v1/bulletin-revisions/{first['id']}/publish", headers=bureau)
    reversed_note = client.post(
        "/api/v1/bulletins",
        json={"date": business_today().isoformat(), "correction_note": "fixed \u202eetad"},
        headers=bureau,
    )
    assert reversed_note.status_code == 422, reversed_note.text
    frozen = client.patch(
        f"/api/v1/bulletin-revisions/{first['id']}", json={"summary_en": "x"}, headers=bureau
    )
    assert frozen.status_code == 409
    assert frozen.headers["content-type"] == "application/problem+json"
    no_reason = client.post(
        "/api/v1/bulletins", json={"date": business_today().isoformat()}, headers=bureau
    )
    assert no_reason.status_code == 409
    invisible_reason = client.post(
        "/api/v1/bulletins",
        json={"date": business_today().isoformat(), "correction_note": "\u200b"},
        headers=bureau,
    )
    assert invisible_reason.status_code == 409, invisible_reason.text
    correction = _draft(client, bureau, correction_note="store 3 corrected its pork price")
    assert correction["revision"] == 2
    assert client.get(f"/api/v1/bulletins/{business_today()}").json()["revision"] == 1
    client.post(f"/api/v1/bulletin-revisions/{correction['id']}/publish", headers=bureau)
    now = client.get(f"/api/v1/bulletins/{business_today()}").json()
    assert (now["revision"], now["correction_note"]) == (2, "store 3 corrected its pork price")
    revisions = client.get(f"/api/v1/bulletins/{business_today()}/revisions", headers=bureau)
    assert [item["revision"] for item in revisions.json()] == [1, 2]

    feed = ElementTree.fromstring(client.get("/bulletin/feed.atom").content)
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == (
        f"Supply bulletin {business_today().isoformat()} (revision 2)"
    )


@pytest.mark.usefixtures("city")
def test_only_the_bureau_drafts_and_nothing_is_written_for_a_refusal(
    client: TestClient, session: Session
) -> None:
    store_key = make_key(session, Role.store, store=make_store(session))
    bureau = make_key(session, Role.bureau)
    session.commit()
    refused = client.post(
        "/api/v1/bulletins", json={"date": business_today().isoformat()}, headers=store_key
    )
    assert refused.status_code == 403
    future = client.post(
        "/api/v1/bulletins",
        json={"date": (business_today() + timedelta(days=1)).isoformat()},
        headers=bureau,
    )
    assert future.status_code == 422
    assert future.json()["errors"][0]["loc"] == ["body", "date"]
    hidden = client.get(f"/api/v1/bulletins/{business_today()}/revisions", headers=store_key)
    assert hidden.status_code == 403
    assert (
        client.get(f"/api/v1/bulletins/{business_today()}/revisions", headers=bureau).json() == []
    )


@pytest.mark.usefixtures("city")
def test_the_bureau_drafts_edits_and_publishes_in_its_pages(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    desk = "/bulletins/editor"
    assert client.get(desk).status_code == 200
    drafted = client.post(
        f"{desk}/drafts", data={"csrf_token": csrf(client, desk), "day": str(business_today())}
    )
    assert drafted.status_code == 200, drafted.text
    draft = {"id": session.scalars(select(Bulletin.id)).one()}
    saved = client.post(
        f"{desk}/{draft['id']}/summary",
        data={
            "csrf_token": csrf(client, desk),
            "day": str(business_today()),
            "summary_en": "Pork dearer.",
            "summary_zh": "猪肉涨价。",
        },
    )
    assert saved.status_code == 200 and "Pork dearer." in saved.text
    client.post(
        f"{desk}/{draft['id']}/publish",
        data={"csrf_token": csrf(client, desk), "day": str(business_today())},
    )
    refused = client.post(
        f"{desk}/{draft['id']}/summary",
        data={"csrf_token": csrf(client, desk), "day": str(business_today()), "summary_en": "x"},
    )
    assert refused.status_code == 409 and 'id="problem"' in refused.text
    client.cookies.clear()
    public = client.get(f"/bulletin/{business_today()}", headers={"Accept-Language": "zh"})
    assert public.status_code == 200 and "猪肉涨价。" in public.text


def test_a_bulletin_for_a_day_older_than_any_report_may_be_is_refused(
    client: TestClient, session: Session
) -> None:
    bureau = make_key(session, Role.bureau)
    session.commit()
    refused = client.post("/api/v1/bulletins", json={"date": "1374-11-25"}, headers=bureau)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["body", "date"]


@pytest.mark.usefixtures("city")
def test_the_bulletins_days_of_supply_follow_the_monitors_expected_sales(
    client: TestClient, session: Session, session_factory: sessionmaker[Session]
) -> None:
    today = business_today()
    run_monitor(
        factory=session_factory, business_date=today, config=MonitorConfig(), trigger="test"
    )
    expected = session.execute(
        select(Product.code, func.sum(SupplySnapshot.expected_daily_sales))
        .join(Product, Product.id == SupplySnapshot.item_id)
        .where(
            SupplySnapshot.business_date == today,
            SupplySnapshot.scope_level == ScopeLevel.store,
            SupplySnapshot.item_kind == "product",
        )
        .group_by(Product.code)
    ).all()
    assert {code for code, _ in expected} == {"pork", "rice"}
    bureau = make_key(session, Role.bureau)
    session.commit()
    figures = _draft(client, bureau)["figures"]
    assert isinstance(figures, dict)
    by_category = {row["category"]: row for row in figures["city_category_supply"]}
    for code, category in (("pork", "meat"), ("rice", "grain")):
        sales = dict(expected)[code]
        assert sales is not None
        assert by_category[category]["stock"] == pytest.approx(150.0)
        assert by_category[category]["days_of_supply"] == pytest.approx(150.0 / float(sales))
