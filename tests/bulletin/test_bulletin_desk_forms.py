"""The bulletin desk as the bureau's editor meets it: summaries that are empty or too
long are both named beside their text boxes, in the editor's language, with what was
typed kept; every change that goes through is said in words; the region is chosen by
name, not typed as a code."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bulletin.publishing import MAX_SUMMARY_CHARS
from models import Bulletin, Role
from tests.bulletin.test_publishing import city  # noqa: F401  (the fixture)
from tests.factories import business_today
from tests.service.web.helpers import csrf, make_person, sign_in

DESK = "/bulletins/editor"
ZH = {"Accept-Language": "zh"}


def _draft(client: TestClient, session: Session) -> int:
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    drafted = client.post(
        f"{DESK}/drafts", data={"csrf_token": csrf(client, DESK), "day": str(business_today())}
    )
    assert drafted.status_code == 200, drafted.text
    assert 'id="done"' in drafted.text and "The draft is computed." in drafted.text
    return int(session.scalars(select(Bulletin.id)).one())


def beside(page: str, field: str) -> str:
    found = re.search(rf'<span class="field-error" id="{field}-error">([^<]*)</span>', page)
    return found.group(1) if found else ""


@pytest.mark.usefixtures("city")
def test_editor_sees_both_bad_summaries_beside_their_boxes_in_chinese_with_the_text_kept(
    client: TestClient, session: Session
) -> None:
    draft = _draft(client, session)
    long_english = "Pork dearer. " * (MAX_SUMMARY_CHARS // 10)
    refused = client.post(
        f"{DESK}/{draft}/summary",
        data={
            "csrf_token": csrf(client, DESK),
            "day": str(business_today()),
            "summary_en": long_english,
            "summary_zh": "  ",
        },
        headers=ZH,
    )
    assert refused.status_code == 422
    assert beside(refused.text, "summary_en") == f"最多 {MAX_SUMMARY_CHARS} 个字符"
    assert beside(refused.text, "summary_zh") == "必填"
    assert "summary_en" not in refused.text.split('id="problem"')[1].split("</div>")[0]
    assert long_english.strip() in refused.text  # what was typed, not the stored draft
    session.expire_all()
    assert session.get(Bulletin, draft).summary_en != long_english.strip()  # type: ignore[union-attr]


@pytest.mark.usefixtures("city")
def test_editor_is_told_in_words_that_the_summary_was_saved_and_the_bulletin_published(
    client: TestClient, session: Session
) -> None:
    draft = _draft(client, session)
    saved = client.post(
        f"{DESK}/{draft}/summary",
        data={
            "csrf_token": csrf(client, DESK),
            "day": str(business_today()),
            "summary_en": "Pork dearer.",
            "summary_zh": "猪肉涨价。",
        },
        headers=ZH,
    )
    assert saved.status_code == 200 and "摘要已保存。" in saved.text
    published = client.post(
        f"{DESK}/{draft}/publish",
        data={"csrf_token": csrf(client, DESK), "day": str(business_today())},
    )
    assert "Published: the bulletin is public." in published.text


@pytest.mark.usefixtures("city")
def test_editor_chooses_the_region_by_name_not_by_code(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    page = client.get(DESK, headers=ZH).text
    assert '<select name="region" id="desk-region">' in page
    assert 'type="text" name="region"' not in page
    assert ">East</option>" in page and ">West</option>" in page
