"""A district's bureau or admin never reads another district's data by any route, list or
filter.

The demo city is loaded (stores, alerts, compounds, producers, tickets, passes, bulletins);
a bureau key and person, and an admin key and person, are bound to one district. Every GET
route the app serves, API and pages, is then called the way a curious user would: plain,
with each identifier of a thing outside the district in its path, and with filters naming
one. No successful answer may name a store, compound, producer, ticket or pass outside.
The same crawl by a national bureau must find those names, so the check can fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.routing import Route

from accounts.authentication import create_api_key, create_user
from core.access import region_subtree
from core.database import create_database_engine, create_session_factory, session_scope
from models import (
    Alert,
    Compound,
    Producer,
    Product,
    Region,
    RegionLevel,
    Role,
    Store,
    Ticket,
)
from models.transport_pass import TransportPass
from service.app import create_app
from service.configuration import business_today
from service.settings import Settings
from tests.demo_city import load_demo_day

TOKEN = re.compile(r"[A-Za-z0-9_\-]+")
FILTERS = {
    "store": "store",
    "region": "region",
    "district": "region",
    "city": "region",
    "scope": "region",
    "compound": "compound",
    "producer": "producer",
    "q": "store",
}
"""The filters a list may take, and the kind of outside thing each is asked to name."""
SKIPPED_PREFIXES = ("/static", "/docs", "/redoc", "/openapi", "/api/docs")
PASSWORD = "district-desk-password"
STAFF = (Role.bureau, Role.admin)


@dataclass
class Outside:
    """What lies outside the bound district: names a leak would show, and one identifier
    of each kind (a store's code, a compound's id, ...) to ask for."""

    markers: set[str] = field(default_factory=set)
    by_kind: dict[str, str] = field(default_factory=dict)

    @property
    def identifiers(self) -> list[str]:
        return list(dict.fromkeys(self.by_kind.values()))


@dataclass
class City:
    settings: Settings
    today: date
    district_code: str
    district_keys: dict[Role, dict[str, str]]
    national_key: dict[str, str]
    district_cookies: dict[Role, str]
    national_cookie: str
    outside: Outside
    product_code: str


def _outside(session: Session, district: Region) -> Outside:
    inside = region_subtree(session, district.id)
    found = Outside()
    kinds: list[tuple[str, Any, str]] = [
        ("store", Store, "code"),
        ("compound", Compound, "code"),
        ("producer", Producer, "code"),
        ("ticket", Ticket, "number"),
    ]
    for kind, model, column in kinds:
        rows = session.execute(
            select(getattr(model, column), model.id).where(model.region_id.not_in(inside))
        ).all()
        assert rows, f"the demo city has {kind}s outside the district"
        found.markers.update(str(name) for name, _ in rows)
        found.by_kind[kind] = str(rows[0][0])
        found.by_kind[f"{kind}_id"] = str(rows[0][1])
    producer_passes = session.scalars(
        select(TransportPass.code)
        .join(Producer, Producer.id == TransportPass.producer_id)
        .where(Producer.region_id.not_in(inside), TransportPass.code.is_not(None))
    ).all()
    found.markers.update(str(code) for code in producer_passes)
    if producer_passes:
        found.by_kind["pass"] = str(producer_passes[0])
    outside_store_alert = session.scalar(
        select(Alert.id)
        .join(Store, Store.id == Alert.store_id)
        .where(Store.region_id.not_in(inside))
        .limit(1)
    )
    assert outside_store_alert is not None
    found.by_kind["alert_id"] = str(outside_store_alert)
    sibling = session.scalar(
        select(Region.code).where(Region.level == RegionLevel.district, Region.id != district.id)
    )
    assert sibling is not None
    found.by_kind["region"] = sibling
    return found


def _busiest_district(session: Session) -> Region:
    districts = session.scalars(select(Region).where(Region.level == RegionLevel.district)).all()
    return max(
        districts,
        key=lambda district: len(
            session.scalars(
                select(Store.id).where(Store.region_id.in_(region_subtree(session, district.id)))
            ).all()
        ),
    )


def _session_cookie(client: TestClient, username: str) -> str:
    signed_in = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    token: str = signed_in.json()["token"]
    return token


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def city(
    request: pytest.FixtureRequest,
    empty_database_url: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[City]:
    url = empty_database_url(request.param)
    folder: Path = tmp_path_factory.mktemp("tenancy")
    settings = Settings(
        database_url=url,
        log_json=False,
        log_level="WARNING",
        passes_signing_key_file=folder / "signing.pem",
    )
    load_demo_day(settings, days=6)
    today = business_today(settings)
    engine = create_database_engine(url)
    factory = create_session_factory(engine)
    with session_scope(factory) as session:
        district = _busiest_district(session)
        outside = _outside(session, district)
        district_secrets = {}
        for role in STAFF:
            _, district_secrets[role] = create_api_key(
                session, name=f"district {role.value}", role=role, region_id=district.id
            )
            create_user(
                session,
                username=f"district-{role.value}",
                password=PASSWORD,
                role=role,
                region_id=district.id,
            )
        _, national_secret = create_api_key(session, name="national desk", role=Role.bureau)
        create_user(session, username="national-desk", password=PASSWORD, role=Role.bureau)
        district_code = district.code
        product_code = session.scalars(select(Product.code).order_by(Product.id)).first()
        assert product_code is not None
    engine.dispose()
    with TestClient(create_app(settings)) as client:
        district_cookies = {
            role: _session_cookie(client, f"district-{role.value}") for role in STAFF
        }
        national_cookie = _session_cookie(client, "national-desk")
    yield City(
        settings=settings,
        today=today,
        district_code=district_code,
        district_keys={
            role: {"Authorization": f"Bearer {secret}"} for role, secret in district_secrets.items()
        },
        national_key={"Authorization": f"Bearer {national_secret}"},
        district_cookies=district_cookies,
        national_cookie=national_cookie,
        outside=outside,
        product_code=product_code,
    )


@dataclass(frozen=True)
class Leak:
    url: str
    status: int
    names: tuple[str, ...]


def _walk(routes: list[Any], prefix: str) -> Iterator[str]:
    """Every GET path, through routers included in routers (FastAPI keeps an included
    router whole and records the prefix it was included under)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute | Route) and "GET" in (route.methods or set()):
            yield prefix + route.path


def _get_routes(client: TestClient) -> list[str]:
    paths = set(_walk(client.app.routes, ""))  # type: ignore[attr-defined]
    assert len(paths) > 50, paths
    return sorted(path for path in paths if not path.startswith(SKIPPED_PREFIXES))


PARAMETER = re.compile(r"\{([^}:]+)(:[^}]*)?\}")


def _urls(path: str, city: City, *, plain_only: bool) -> Iterator[tuple[str, str | None]]:
    """(url, the outside identifier it names) for a route: plain, and with each filter
    naming an outside thing, when it has no parameter; else with each outside identifier
    (and a product, which every district shares) in its path."""
    parameters = PARAMETER.findall(path)
    if not parameters:
        yield path, None
        if not plain_only:
            for name, kind in FILTERS.items():
                yield f"{path}?{name}={city.outside.by_kind[kind]}", city.outside.by_kind[kind]
        return
    if plain_only:
        return
    fixed = {
        "day": city.today.isoformat(),
        "date": city.today.isoformat(),
        "product": city.product_code,
        "extension": "csv",
        "language": "en",
    }
    for identifier in [*city.outside.identifiers, city.product_code]:
        for level in ("store", "district"):
            url = path
            for name, _ in parameters:
                value = level if name == "level" else fixed.get(name, identifier)
                url = PARAMETER.sub(value, url, count=1)
            yield url, identifier
            if "{level}" not in path:
                break


def _crawl(
    client: TestClient, city: City, *, headers: dict[str, str], cookie: str, plain_only: bool
) -> tuple[list[Leak], set[str]]:
    """Every successful answer naming something outside, beyond the identifier the URL
    itself asked for (a page may echo what was typed into it), and the routes that
    answered successfully at all."""
    public = TestClient(client.app)
    leaks: list[Leak] = []
    answered: set[str] = set()
    for path in _get_routes(client):
        for url, asked in _urls(path, city, plain_only=plain_only):
            if public.get(url, follow_redirects=False).status_code == 200:
                continue  # a public route: the board and bulletins anyone may read
            client.cookies.clear()
            if path.startswith("/api/"):
                response = client.get(url, headers=headers)
            else:
                client.cookies.set("supplywatch_session", cookie)
                response = client.get(url, follow_redirects=True)
            if response.status_code >= 300:
                continue
            answered.add(path)
            names = set(TOKEN.findall(response.text)) & (city.outside.markers - {asked})
            if names:
                leaks.append(Leak(url, response.status_code, tuple(sorted(names)[:5])))
    return leaks, answered


@pytest.mark.parametrize("role", STAFF, ids=[role.value for role in STAFF])
def test_a_district_bureau_or_admin_never_reads_another_districts_data_by_any_route(
    city: City, role: Role
) -> None:
    with TestClient(create_app(city.settings)) as client:
        leaks, answered = _crawl(
            client,
            city,
            headers=city.district_keys[role],
            cookie=city.district_cookies[role],
            plain_only=False,
        )
    assert len(answered) >= 60, sorted(answered)  # the district's desk works: not all refusals
    assert leaks == [], "\n".join(f"{leak.url} ({leak.status}): {leak.names}" for leak in leaks)


def test_the_same_crawl_by_a_national_bureau_finds_the_other_districts(city: City) -> None:
    with TestClient(create_app(city.settings)) as client:
        seen, _ = _crawl(
            client, city, headers=city.national_key, cookie=city.national_cookie, plain_only=True
        )
    routes = {leak.url for leak in seen}
    assert len(routes) >= 10, routes
