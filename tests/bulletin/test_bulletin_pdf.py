"""The published bulletin as a PDF anyone may download: its summary and tables in Chinese
(rendered with the CJK font) or English, the numbers the page shows; drafts stay private."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.bulletin.factories import make_published_city
from tests.factories import business_today
from tests.pdfs import pdf_text, require_cjk_font


@pytest.fixture(autouse=True)
def cjk_font() -> Path:
    return require_cjk_font()


def test_anyone_downloads_the_published_bulletin_as_a_chinese_pdf(
    client: TestClient, session: Session
) -> None:
    make_published_city(client, session, published_days=1)
    today = business_today().isoformat()
    bulletin = client.get(f"/api/v1/bulletins/{today}").json()
    answer = client.get(f"/api/v1/bulletins/{today}/pdf")  # no key: public
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    text = pdf_text(answer.content)
    flat = "".join(text.split())
    for expected in ("每日保供公告", "零售价格", "猪肉", "大米", "东区", "西区", "危机"):
        assert expected in text, expected
    assert "".join(bulletin["summary_zh"].split())[:40] in flat
    pork = next(row for row in bulletin["figures"]["prices"] if row["product"] == "pork")
    # 27.33 = (26 + 26 + 30) / 3, per kilogram in the unit's Chinese name (not "/kg")
    assert f"¥{pork['average_price']:,.2f}/千克" in text and "/kg" not in text
    assert "每千克" in bulletin["summary_zh"] and "每kg" not in bulletin["summary_zh"]
    assert f"{pork['min_price']:,.2f} – {pork['max_price']:,.2f}" in text
    assert f"{pork['change_vs_previous_day_percent']:+.1f}" in text
    page = client.get("/bulletin", headers={"Accept-Language": "zh"})
    assert f'href="/api/v1/bulletins/{today}/pdf?lang=zh"' in page.text


def test_the_english_pdf_carries_the_english_summary_and_words(
    client: TestClient, session: Session
) -> None:
    make_published_city(client, session, published_days=1)
    today = business_today().isoformat()
    bulletin = client.get(f"/api/v1/bulletins/{today}").json()
    text = pdf_text(client.get(f"/api/v1/bulletins/{today}/pdf", params={"lang": "en"}).content)
    assert "Daily supply bulletin" in text and "Retail prices" in text and "Pork" in text
    assert " ".join(bulletin["summary_en"].split()[:6]) in " ".join(text.split())


def test_no_pdf_of_an_unpublished_day_or_in_an_unknown_language(
    client: TestClient, session: Session
) -> None:
    city = make_published_city(client, session, published_days=1)
    yesterday = city.days[0].toordinal() - 1
    missing = client.get(f"/api/v1/bulletins/{city.days[0].fromordinal(yesterday)}/pdf")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = client.get(f"/api/v1/bulletins/{city.days[0]}/pdf", params={"lang": "fr"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["loc"] == ["query", "lang"]


def test_a_correction_prints_its_revision_note_and_the_editors_words_as_plain_text(
    client: TestClient, session: Session
) -> None:
    city = make_published_city(client, session, published_days=1)
    today = business_today().isoformat()
    first = client.get(f"/api/v1/bulletins/{today}/pdf")  # made once, then kept
    assert first.headers["cache-control"] == "public, max-age=300"
    assert client.get(f"/api/v1/bulletins/{today}/pdf").content == first.content
    note = "门店3更正了猪肉价格"
    correction = client.post(
        "/api/v1/bulletins", json={"date": today, "correction_note": note}, headers=city.bureau
    ).json()
    words = "<b>猪肉</b>价格=SUM(A1:A9)，已核实。"
    edited = client.patch(
        f"/api/v1/bulletin-revisions/{correction['id']}",
        json={"summary_zh": words},
        headers=city.bureau,
    )
    assert edited.status_code == 200, edited.text
    client.post(f"/api/v1/bulletin-revisions/{correction['id']}/publish", headers=city.bureau)
    text = pdf_text(client.get(f"/api/v1/bulletins/{today}/pdf").content)  # a new revision
    assert f"修订版 2: {note}" in text and note not in pdf_text(first.content)
    assert words in "".join(text.split())


def test_words_the_pdf_cannot_print_are_refused_where_they_are_typed(
    client: TestClient, session: Session
) -> None:
    """An emoji or an Arabic greeting showed on the page and vanished from the PDF with
    only a log line; the PDF must say what the page says."""
    city = make_published_city(client, session, published_days=1)
    today = business_today().isoformat()
    note = "猪肉价格更正 😀"
    refused = client.post(
        "/api/v1/bulletins", json={"date": today, "correction_note": note}, headers=city.bureau
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["body", "correction_note"]
    assert "😀" in refused.json()["detail"]
    correction = client.post(
        "/api/v1/bulletins",
        json={"date": today, "correction_note": "猪肉价格更正 – ¥ 12.5 · é"},
        headers=city.bureau,
    )
    assert correction.status_code == 201, correction.text
    summary = {"summary_en": "Prices hold. مرحبا بالعالم 👨‍👩‍👧"}
    edited = client.patch(
        f"/api/v1/bulletin-revisions/{correction.json()['id']}", json=summary, headers=city.bureau
    )
    assert edited.status_code == 422, edited.text
    assert edited.json()["errors"][0]["loc"] == ["body", "summary_en"]
    assert "م ر ح ب ا ل ع 👨" in edited.json()["errors"][0]["msg"]
    revisions = client.get(f"/api/v1/bulletins/{today}/revisions", headers=city.bureau).json()
    assert all("مرحبا" not in revision["summary_en"] for revision in revisions)
