"""The command line an operator uses: demo city, migrations, keys, users, file import."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from core.database import create_database_engine, create_session_factory, session_scope
from masterdata.products import update_product
from models import (
    ApiKey,
    BackgroundJob,
    DailyReport,
    JobKind,
    JobStatus,
    PlanJob,
    Product,
    ProductUnitConversion,
    RegionLevel,
    Store,
    TransportPass,
    User,
)
from models.base import utc_now
from service.cli import CLI_PRINCIPAL, app, served_at
from service.settings import Settings, get_settings
from tests.factories import business_today, make_region

runner = CliRunner()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest,
    empty_database_url: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    url = empty_database_url(request.param)
    monkeypatch.setenv("SUPPLYWATCH_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def count(url: str, model: object) -> int:
    engine = create_database_engine(url)
    with create_session_factory(engine)() as session:
        total = int(session.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]
    engine.dispose()
    return total


def _terminal_columns(text: str) -> int:
    """Columns a terminal gives ``text``: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def test_demo_loads_the_city_and_prints_the_logins(database: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "10 districts, 40 chains with 109 stores, 13 farmers' markets" in result.output
    for login in ("admin-demo", "bureau-demo", "store-demo", "dispatcher-demo"):
        assert login in result.output
    keys_section = result.output.split("API keys", 1)[1].split("\n\n", 1)[0]
    key_columns = {
        _terminal_columns(line[: line.index("sw_")])
        for line in keys_section.splitlines()
        if "sw_" in line
    }
    assert len(key_columns) == 1, "every key starts in the same column, a plate like 豫D too"
    assert count(database, Store) == 122
    assert count(database, DailyReport) > 100_000
    # The demo's passes name the demo city's bureau, as a checkpoint's verify prints it.
    engine = create_database_engine(database)
    with engine.connect() as connection:
        token = connection.scalar(
            select(TransportPass.token).where(TransportPass.token.is_not(None))
        )
    engine.dispose()
    keys, revoked = str(tmp_path / "keys.json"), str(tmp_path / "revoked.cose")
    exported = runner.invoke(app, ["passes", "export", "--keys", keys, "--revoked", revoked])
    assert exported.exit_code == 0, exported.output
    verified = runner.invoke(
        app, ["passes", "verify", str(token), "--keys", keys, "--revoked", revoked]
    )
    assert "issuer=CN-410400-SWB" in verified.output.splitlines(), verified.output
    again = runner.invoke(app, ["demo", "--no-serve"])
    assert again.exit_code == 1
    assert "already has stores" in again.output


def test_keys_create_prints_the_key_alone_on_the_last_line(database: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["keys", "create", "--role", "bureau", "--name", "ops"])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("sw_") and " " not in last
    assert count(database, ApiKey) == 1
    refused = runner.invoke(app, ["keys", "create", "--role", "store", "--store", "NOPE"])
    assert refused.exit_code == 2
    assert "unknown store" in refused.output


def test_users_create_stores_a_person(database: str) -> None:
    runner.invoke(app, ["db", "upgrade"])
    result = runner.invoke(
        app, ["users", "create", "--username", "li", "--role", "bureau", "--password", "long-pw-1"]
    )
    assert result.exit_code == 0, result.output
    assert count(database, User) == 1
    short = runner.invoke(
        app, ["users", "create", "--username", "x", "--role", "bureau", "--password", "short"]
    )
    assert short.exit_code == 2


def test_an_operator_binds_a_bureau_key_and_a_person_to_a_region_from_the_command_line(
    database: str,
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = create_database_engine(database)
    with session_scope(create_session_factory(engine)) as session:
        city = make_region(session, code="CLI-CITY", level=RegionLevel.city)
        city_id = city.id
    engine.dispose()
    key = runner.invoke(app, ["keys", "create", "--role", "bureau", "--region", "CLI-CITY"])
    assert key.exit_code == 0, key.output
    person = runner.invoke(
        app,
        [
            "users", "create", "--username", "desk", "--role", "bureau",
            "--password", "long-pw-1", "--region", "CLI-CITY",
        ],
    )  # fmt: skip
    assert person.exit_code == 0, person.output
    engine = create_database_engine(database)
    with create_session_factory(engine)() as session:
        assert session.scalar(select(ApiKey.region_id)) == city_id
        assert session.scalar(select(User.region_id).where(User.username == "desk")) == city_id
    engine.dispose()
    unknown = runner.invoke(app, ["keys", "create", "--role", "bureau", "--region", "NOWHERE"])
    assert unknown.exit_code == 2 and "unknown region" in unknown.output
    wrong_role = runner.invoke(
        app, ["keys", "create", "--role", "dispatcher", "--region", "CLI-CITY"]
    )
    assert wrong_role.exit_code == 2
    assert "only the admin and bureau roles are bound to a region" in wrong_role.output


def test_import_stores_a_file_or_nothing(database: str, tmp_path: Path) -> None:
    runner.invoke(app, ["demo", "--no-serve", "--days", "8"])
    before = count(database, DailyReport)
    today = business_today().isoformat()
    good = tmp_path / "good.csv"
    good.write_text(
        "store,date,product,stock,sales,price\n"
        f"PDS-0001,{today},rice,1,1,6\nPDS-0002,{today},rice,2,1,6\n"
    )
    result = runner.invoke(app, ["import", str(good)])
    assert result.exit_code == 0, result.output
    assert "imported 2 rows: 0 inserted, 2 updated, 0 unchanged" in result.output
    assert rice_stock(database) == 1
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"store,date,product,stock,sales,price\nPDS-0001,{today},rice,5,1,6\n"
        f"PDS-0002,{today},rice,x,1,6\n"
    )
    refused = runner.invoke(app, ["import", str(bad)])
    assert refused.exit_code == 2
    assert "row 3, stock: not a number" in refused.output
    assert rice_stock(database) == 1
    assert count(database, DailyReport) == before


def rice_stock(url: str) -> float:
    engine = create_database_engine(url)
    with create_session_factory(engine)() as session:
        stock = session.scalar(
            select(DailyReport.stock)
            .join(Store, Store.id == DailyReport.store_id)
            .join(Product, Product.id == DailyReport.product_id)
            .where(
                Store.code == "PDS-0001",
                Product.code == "rice",
                DailyReport.report_date == business_today(),
            )
        )
    engine.dispose()
    return float(stock or 0)


CATALOGUE_HEADER = (
    "code,name_en,name_zh,category,unit,kg_per_unit,typical_price_cny,shelf_life_days\n"
)


def product(url: str, code: str) -> Product:
    engine = create_database_engine(url)
    with create_session_factory(engine)() as session:
        found = session.scalars(select(Product).where(Product.code == code)).one()
    engine.dispose()
    return found


def test_catalog_load_fills_a_fresh_database_once(database: str) -> None:
    first = runner.invoke(app, ["catalog", "load"])
    assert first.exit_code == 0, first.output
    assert "53 products added, 0 updated, 0 unchanged" in first.output
    assert count(database, Product) == 53
    assert count(database, ProductUnitConversion) > 0  # a bag of rice, a box of eggs
    again = runner.invoke(app, ["catalog", "load"])
    assert again.exit_code == 0, again.output
    assert "0 products added, 0 updated, 53 unchanged" in again.output
    assert "differ" not in again.output
    assert count(database, Product) == 53


def test_catalog_load_keeps_an_admin_edit_unless_told_to_update(database: str) -> None:
    assert runner.invoke(app, ["catalog", "load"]).exit_code == 0
    engine = create_database_engine(database)
    with session_scope(create_session_factory(engine)) as session:
        update_product(
            session=session,
            principal=CLI_PRINCIPAL,
            code="rice",
            changes={"typical_price": 7.2, "name": "Rice (northeast)"},
        )
    engine.dispose()

    kept = runner.invoke(app, ["catalog", "load"])
    assert kept.exit_code == 0, kept.output
    assert "0 products added, 0 updated, 52 unchanged" in kept.output
    assert "1 differ from the file and were kept as they are" in kept.output
    assert kept.output.rstrip().endswith(": rice")
    assert (product(database, "rice").typical_price, product(database, "rice").name) == (
        7.2,
        "Rice (northeast)",
    )

    updated = runner.invoke(app, ["catalog", "load", "--update"])
    assert updated.exit_code == 0, updated.output
    assert "0 products added, 1 updated, 52 unchanged" in updated.output
    assert (product(database, "rice").typical_price, product(database, "rice").name) == (
        5.8,
        "Rice",
    )


def test_catalog_load_adds_the_products_of_a_bureau_file(database: str, tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        CATALOGUE_HEADER + "rice,Rice,大米,grain,kg,1,5.8,365\nmillet,Millet,,grain,kg,1,,\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["catalog", "load", "--file", str(catalogue)])
    assert result.exit_code == 0, result.output
    assert "2 products added, 0 updated, 0 unchanged" in result.output
    millet = product(database, "millet")
    assert (millet.name_zh, millet.typical_price, millet.shelf_life_days) == (None, None, None)


def test_catalog_load_refuses_a_bad_file_whole_naming_each_row_and_column(
    database: str, tmp_path: Path
) -> None:
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        CATALOGUE_HEADER + "rice,Rice,大米,grain,kg,1,5.8,365\n"
        "caviar,Caviar,鱼子酱,luxuries,kg,1,9000,30\n"
        "flour,Flour,面粉,grain,kg,heavy,4.6,270\n"
        "rice,Rice again,大米,grain,kg,1,5.8,365.5\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["catalog", "load", "--file", str(catalogue)])
    assert result.exit_code == 2
    assert "nothing was loaded" in result.output
    assert "row 3, category: unknown category 'luxuries'" in result.output
    assert "row 4, kg_per_unit: not a number" in result.output
    assert "row 5, code: appears more than once (2, 5)" in result.output
    assert "row 5, shelf_life_days: must be a whole number of days" in result.output
    assert count(database, Product) == 0

    missing = tmp_path / "missing.csv"
    missing.write_text("code,name_en,category,unit\nrice,Rice,grain,kg\n", encoding="utf-8")
    refused = runner.invoke(app, ["catalog", "load", "--file", str(missing)])
    assert refused.exit_code == 2
    assert "missing column 'kg_per_unit'" in refused.output
    assert count(database, Product) == 0


def test_catalog_load_refuses_to_change_a_products_canonical_unit(
    database: str, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["catalog", "load"]).exit_code == 0
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        CATALOGUE_HEADER
        + "yuba,Yuba,腐竹,vegetables,kg,1,30,180\nrice,Rice,大米,grain,jin,0.5,2.9,365\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["catalog", "load", "--update", "--file", str(catalogue)])
    assert result.exit_code == 2
    assert "row 3, unit: is 'kg' in the database" in result.output
    assert count(database, Product) == 53
    assert product(database, "rice").unit == "kg"


def test_db_prune_jobs_deletes_only_jobs_that_ended_long_ago(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPPLYWATCH_JOB_RETENTION_DAYS", "7")
    get_settings.cache_clear()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    now = utc_now()
    long_ago, lately = now - timedelta(days=8), now - timedelta(days=6)
    engine = create_database_engine(database)
    with session_scope(create_session_factory(engine)) as session:
        for status, finished in [
            (JobStatus.succeeded, long_ago),  # goes, with its file
            (JobStatus.failed, long_ago),  # goes
            (JobStatus.succeeded, lately),  # stays: within the retention
            (JobStatus.running, None),  # stays: still running, however old
        ]:
            session.add(
                BackgroundJob(
                    kind=JobKind.plan_passes_pdf,
                    status=status,
                    submitted_by="ops",
                    principal={},
                    params={},
                    output=b"%PDF-1.7" if status is JobStatus.succeeded else None,
                    created_at=long_ago,
                    finished_at=finished,
                )
            )
        for status, finished in [(JobStatus.failed, long_ago), (JobStatus.queued, None)]:
            session.add(
                PlanJob(
                    status=status,
                    requested_by="ops",
                    options={},
                    created_at=long_ago,
                    finished_at=finished,
                )
            )
    engine.dispose()

    result = runner.invoke(app, ["db", "prune-jobs"])
    assert result.exit_code == 0, result.output
    assert "deleted 2 background job(s) and 1 plan job(s)" in result.output
    assert "more than 7 day(s) ago" in result.output
    assert (count(database, BackgroundJob), count(database, PlanJob)) == (2, 1)
    again = runner.invoke(app, ["db", "prune-jobs"])
    assert "deleted 0 background job(s) and 0 plan job(s)" in again.output


def test_the_demo_links_to_the_port_it_serves_on_unless_a_public_url_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`demo --port 8103` gives a ticket's follow link and the bulletin feed's links on
    port 8103, not the default 8000; a configured public URL (behind a proxy) wins."""
    monkeypatch.delenv("SUPPLYWATCH_BASE_URL", raising=False)
    assert served_at(Settings(), "http://127.0.0.1:8103").base_url == "http://127.0.0.1:8103"
    monkeypatch.setenv("SUPPLYWATCH_BASE_URL", "https://supply.example.gov.cn")
    public = served_at(Settings(), "http://127.0.0.1:8103")
    assert public.base_url == "https://supply.example.gov.cn"
