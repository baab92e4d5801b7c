"""The command line an operator uses: demo city, migrations, keys, users, file import."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from core.database import create_database_engine, create_session_factory
from models import ApiKey, DailyReport, Product, Store, User
from service.cli import app
from service.settings import get_settings
from tests.factories import business_today

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


def test_demo_loads_the_city_and_prints_the_logins(database: str) -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "10 districts, 40 chains with 109 stores, 13 farmers' markets" in result.output
    for login in ("admin-demo", "bureau-demo", "store-demo", "dispatcher-demo"):
        assert login in result.output
    assert count(database, Store) == 122
    assert count(database, DailyReport) > 100_000
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


def test_catalog_load_fills_a_fresh_database_once(database: str) -> None:
    first = runner.invoke(app, ["catalog", "load"])
    assert first.exit_code == 0, first.output
    assert "53 products added, 0 already there" in first.output
    assert count(database, Product) == 53
    again = runner.invoke(app, ["catalog", "load"])
    assert again.exit_code == 0, again.output
    assert "0 products added, 53 already there" in again.output
    assert count(database, Product) == 53


def test_catalog_load_refuses_a_product_in_an_unknown_category(
    database: str, tmp_path: Path
) -> None:
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "code,name_en,name_zh,category,unit,kg_per_unit,typical_price_cny,shelf_life_days\n"
        "rice,Rice,大米,grain,kg,1,5.8,365\n"
        "caviar,Caviar,鱼子酱,luxuries,kg,1,9000,30\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["catalog", "load", str(catalogue)])
    assert result.exit_code == 1
    assert "nothing was loaded" in result.output and "luxuries" in result.output
    assert count(database, Product) == 0
