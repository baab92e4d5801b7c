"""The bulletin PDF keeps printing whatever text is stored: a cell too tall for a page is
cut, never a 500 for the whole day. Any TrueType font lays the tables out, so these tests
run without the CJK font too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.documents import DEFAULT_FONT_FILE
from models import Region
from service.app import create_app
from service.settings import Settings
from tests.bulletin.factories import make_published_city
from tests.factories import business_today
from tests.pdfs import pdf_text

FALLBACK_FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.fixture
def client(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    font = next((f for f in (DEFAULT_FONT_FILE, FALLBACK_FONT_FILE) if f.exists()), None)
    if font is None:
        pytest.skip("neither the CJK font nor DejaVu Sans is installed")
    app = create_app(
        settings.model_copy(update={"pdf_font_file": font}), session_factory=session_factory
    )
    with TestClient(app) as test_client:
        yield test_client


def test_a_district_name_stored_with_many_line_breaks_still_prints_in_both_languages(
    client: TestClient, session: Session
) -> None:
    make_published_city(client, session, published_days=1)
    east = session.scalars(select(Region).where(Region.code == "410401")).one()
    east.name, east.name_zh = "East" + "\n" * 150 + "end", "东区" + "\n" * 150 + "end"
    session.commit()
    today = business_today().isoformat()
    for language in ("zh", "en"):
        answer = client.get(f"/api/v1/bulletins/{today}/pdf", params={"lang": language})
        assert answer.status_code == 200, (language, answer.text[:300])
        assert "City" in pdf_text(answer.content)  # the page headed by the city's name
    english = pdf_text(client.get(f"/api/v1/bulletins/{today}/pdf", params={"lang": "en"}).content)
    assert "West" in english and "East" in english
