"""Every demo login reads its main pages in English and in Chinese, and no page shows a
value the tables hold by its code ("en_route", "partly_matched", "proposed"): each state,
reason, role, kind or severity reads as words. The site is the demo city (SQLite only, for
time) with a day's draft plan that left requests off, the driver's truck on its way, and
a producer's offer half taken, so the rarer states are on the pages too."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import models
from core.database import create_database_engine, create_session_factory, session_scope
from dispatch.planning import PlanOptions, create_draft
from models import (
    Producer,
    SupplyOffer,
    Truck,
    TruckStatus,
    User,
)
from service.app import create_app
from service.configuration import business_today
from service.demo import DEMO_LOGINS
from service.settings import Settings
from tests.demo_city import commit_one_stop, load_demo_day
from tests.service.web.helpers import csrf, sign_in

PAGE_ENUMS: list[type[enum.StrEnum]] = sorted(
    {
        kind
        for kind in vars(models).values()
        if isinstance(kind, type) and issubclass(kind, enum.StrEnum) and kind is not enum.StrEnum
    },
    key=lambda kind: kind.__name__,
)
"""Every enum the tables hold: none of their codes may be a page's words."""
EXTRA_PAGES = {
    "bureau": ["/alerts/list", "/dashboard/situations", "/supply/board", "/officers/coverage"],
    "dispatcher": ["/dispatch/plans/{draft}", "/dispatch/plans/{committed}/manifests"],
}
"""Pages a login reaches from its main ones: the lists behind the dashboard and the plans."""
FRAGMENTS = {"/dashboard/situations"}
"""Of those, the ones a page fetches with htmx (opened directly, they lead to the page)."""
LINK = re.compile(r'<a href="(/[^"?#]*)"')
CODE = re.compile(r"[A-Za-z_]+")
HTML_LANG = re.compile(r'<html lang="([^"]+)"')


class VisibleText(HTMLParser):
    """The text a reader sees: no tags, no attribute values, no scripts, and not the
    header (its user name is data: the demo users are named after their roles)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "header", "template"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "header", "template"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    """The page's text nodes as a reader sees them."""
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


@dataclass(frozen=True)
class Page:
    login: str
    path: str
    language: str
    html_lang: str
    texts: list[str]


def _prepare_the_day(settings: Settings) -> dict[str, int]:
    """The demo day with what the plain demo lacks: a draft plan of two trucks that
    leaves requests off, a plan committed on the driver's truck, a truck out of service
    and the demo producer's first offer half taken."""
    engine = create_database_engine(settings.database_url)
    today = business_today(settings)
    with session_scope(create_session_factory(engine)) as session:
        driver = session.scalars(select(User).where(User.username == "driver")).one()
        truck = session.get_one(Truck, driver.truck_id)
        committed = commit_one_stop(session, settings, plate=truck.plate)
        plates = session.scalars(
            select(Truck.plate).where(Truck.id != truck.id).order_by(Truck.plate).limit(3)
        ).all()
        draft = create_draft(
            session=session,
            options=PlanOptions(plan_date=today, truck_plates=list(plates[:2]), time_limit_s=1),
            created_by="test",
        )
        assert draft.unassigned, "two trucks should leave some of the day's requests off"
        session.scalars(
            select(Truck).where(Truck.plate == plates[2])
        ).one().status = TruckStatus.out_of_service
        producer = session.scalars(select(User.producer_id).where(User.username == "producer"))
        offer = session.scalars(
            select(SupplyOffer)
            .join(Producer)
            .where(Producer.id == producer.one(), SupplyOffer.withdrawn_at.is_(None))
            .order_by(SupplyOffer.id)
        ).first()
        assert offer is not None
        offer.committed_quantity = offer.quantity / 2
        found = {
            "draft": draft.id,
            "committed": committed.plan_id,
            "delivery": committed.delivery_id,
        }
    engine.dispose()
    return found


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Page]]:
    """Each demo login's main pages (home and every page its menu links to) in both
    languages, after the driver loaded a delivery and set off with it."""
    folder = tmp_path_factory.mktemp("page-words")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'city.db'}",
        log_json=False,
        log_level="WARNING",
        passes_signing_key_file=folder / "signing.pem",
    )
    load_demo_day(settings)
    ids = _prepare_the_day(settings)

    found: list[Page] = []
    with TestClient(create_app(settings)) as client:
        for login in DEMO_LOGINS:
            client.cookies.clear()
            signed_in = sign_in(client, login.username, login.password)
            assert signed_in.status_code == 303, (login.username, signed_in.text)
            home = signed_in.headers["location"]
            if login.username == "driver":
                for step in ("loaded", "en_route"):
                    moved = client.post(
                        f"/driver/deliveries/{ids['delivery']}/status",
                        data={"status": step, "csrf_token": csrf(client, "/driver")},
                    )
                    assert moved.status_code == 200, moved.text
            menu = client.get(home).text
            nav = menu[menu.index("<nav") : menu.index("</nav>")]
            paths = [home, *LINK.findall(nav)]
            paths += [path.format(**ids) for path in EXTRA_PAGES.get(login.username, [])]
            for path in dict.fromkeys(paths):
                for language in ("en", "zh"):
                    htmx = {"HX-Request": "true"} if path in FRAGMENTS else {}
                    response = client.get(path, headers={"Accept-Language": language, **htmx})
                    assert response.status_code == 200, (login.username, path, language)
                    html_lang = HTML_LANG.search(response.text)
                    found.append(
                        Page(
                            login.username,
                            path,
                            language,
                            html_lang.group(1) if html_lang else "",
                            visible_text(response.text),
                        )
                    )
    yield found


def _codes_shown(page: Page, codes: set[str]) -> list[str]:
    """The text nodes of ``page`` that show one of ``codes`` as a word of their own."""
    return [text for text in page.texts if any(token in codes for token in CODE.findall(text))]


@pytest.mark.parametrize("kind", PAGE_ENUMS, ids=lambda kind: kind.__name__)
def test_english_pages_show_no_code_of(kind: type[enum.StrEnum], pages: list[Page]) -> None:
    codes = {member.value for member in kind if "_" in member.value}
    shown = {
        f"{page.login} {page.path}": _codes_shown(page, codes)
        for page in pages
        if page.language == "en"
    }
    assert not {where: texts for where, texts in shown.items() if texts}


LONGEST_WORDING = 3
"""A Chinese text node with more English words than this is data (a caller's own words,
the report file's column names), not a value shown by its code."""


@pytest.mark.parametrize("kind", PAGE_ENUMS, ids=lambda kind: kind.__name__)
def test_chinese_pages_show_no_code_of(kind: type[enum.StrEnum], pages: list[Page]) -> None:
    codes = {member.value for member in kind}
    shown = {
        f"{page.login} {page.path}": [
            text
            for text in page.texts
            if len(tokens := CODE.findall(text)) <= LONGEST_WORDING
            and any(token in codes for token in tokens)
        ]
        for page in pages
        if page.language == "zh"
    }
    assert not {where: texts for where, texts in shown.items() if texts}


def test_the_pages_were_read_in_both_languages(pages: list[Page]) -> None:
    assert {page.login for page in pages} == {login.username for login in DEMO_LOGINS}
    for page in pages:  # a fragment (the dashboard's situations) has no <html> of its own
        assert page.html_lang in ("", {"en": "en", "zh": "zh-CN"}[page.language]), page
    assert sum(bool(page.html_lang) for page in pages) > len(pages) / 2
    drafted = {page.path for page in pages if page.path.startswith("/dispatch/plans/")}
    assert len(drafted) == 2, drafted


def test_the_test_reads_visible_text_only() -> None:
    texts = visible_text(
        '<header>bureau</header><p class="st-no_demand" data-x="en_route">no demand</p>'
        "<script>var a = 'en_route'</script>"
    )
    assert texts == ["no demand"]
    assert Path(__file__).name.startswith("test_")
