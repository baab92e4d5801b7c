"""Report lines and supply snapshots live in monthly partitions on PostgreSQL: the upgrade
keeps every line, next months' partitions are made ahead, a line no month covers is kept
and given its month, and months past the retention leave the live tables for an archive.

PostgreSQL only (SQLite keeps one table, checked last); skipped with the reason when no
PostgreSQL answers at SUPPLYWATCH_TEST_POSTGRES_URL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from core.database import create_database_engine, create_session_factory, session_scope
from core.partitions import add_months, is_partition_name, month_start, partition_name
from models import DailyReport
from service.cli import app
from service.migrate import alembic_config, upgrade_to_head
from service.scheduling import build_scheduler
from service.settings import Settings, get_settings
from tests.factories import business_today, make_product, make_store

BEFORE_PARTITIONING = "officers_20261204"
runner = CliRunner()


@pytest.fixture
def postgres_url(
    empty_database_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    url = empty_database_url("postgresql")
    monkeypatch.setenv("SUPPLYWATCH_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = create_database_engine(postgres_url)
    yield engine
    engine.dispose()


def post_lines(engine: Engine, days: list[date]) -> list[int]:
    """Store one line a day for one store and product; returns their ids."""
    with session_scope(create_session_factory(engine)) as session:
        store, product = make_store(session), make_product(session)
        lines = [
            DailyReport(
                store_id=store.id,
                report_date=day,
                product_id=product.id,
                stock=10.0,
                sales=2.0,
                price=5.0,
                submitted_by="test",
            )
            for day in days
        ]
        session.add_all(lines)
        session.flush()
        return [line.id for line in lines]


def partitions_of(engine: Engine, table: str) -> set[str]:
    with engine.connect() as connection:
        return set(
            connection.scalars(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = CAST(:table AS regclass)"
                ),
                {"table": table},
            )
        )


def lines_in(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608


def test_month_arithmetic_and_partition_names() -> None:
    assert add_months(date(2026, 11, 1), 2) == date(2027, 1, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert month_start(date(2026, 12, 31)) == date(2026, 12, 1)
    assert partition_name("daily_reports", date(2027, 3, 1)) == "daily_reports_2027_03"
    assert is_partition_name("daily_reports_2027_03")
    assert is_partition_name("supply_snapshots_default")
    assert not is_partition_name("daily_reports")
    assert not is_partition_name("report_revisions_2027_03")


def test_upgrading_moves_every_stored_line_into_its_month(
    postgres_url: str, engine: Engine
) -> None:
    config = alembic_config(postgres_url)
    command.upgrade(config, BEFORE_PARTITIONING)
    this_month = month_start(business_today())
    days = [add_months(this_month, -4) + timedelta(days=9), business_today()]
    before_ids = post_lines(engine, days)

    upgrade_to_head(postgres_url)

    reports = partitions_of(engine, "daily_reports")
    for offset in range(-4, 3):  # 3 ahead of the server's month, the city's may be next
        assert partition_name("daily_reports", add_months(this_month, offset)) in reports
    assert "daily_reports_default" in reports
    assert "supply_snapshots_default" in partitions_of(engine, "supply_snapshots")
    assert lines_in(engine, partition_name("daily_reports", add_months(this_month, -4))) == 1
    assert lines_in(engine, partition_name("daily_reports", this_month)) == 1
    with engine.connect() as connection:
        key = connection.scalar(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'pk_daily_reports' AND conparentid = 0"
            )
        )
        unique = connection.scalar(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'uq_daily_reports_line' AND conparentid = 0"
            )
        )
    assert key == "PRIMARY KEY (id, report_date, store_id)"
    assert unique == "UNIQUE (store_id, report_date, product_id)"
    # The id sequence went with the table: new lines carry on after the old ones.
    (new_id,) = post_lines(engine, [business_today()])
    assert new_id > max(before_ids)


def test_downgrading_puts_the_lines_back_in_one_table(postgres_url: str, engine: Engine) -> None:
    upgrade_to_head(postgres_url)
    ids = post_lines(engine, [date(2019, 3, 10), business_today()])
    runner.invoke(app, ["db", "partitions"])

    command.downgrade(alembic_config(postgres_url), BEFORE_PARTITIONING)

    assert partitions_of(engine, "daily_reports") == set()
    assert lines_in(engine, "daily_reports") == 2
    (new_id,) = post_lines(engine, [business_today()])
    assert new_id > max(ids)
    upgrade_to_head(postgres_url)
    assert lines_in(engine, "daily_reports_2019_03") == 1


def test_a_line_no_month_covers_is_kept_then_given_its_own_partition(
    postgres_url: str, engine: Engine
) -> None:
    upgrade_to_head(postgres_url)
    long_ago = date(2019, 3, 10)
    post_lines(engine, [long_ago, business_today()])
    assert lines_in(engine, "daily_reports_default") == 1

    result = runner.invoke(app, ["db", "partitions"])

    assert result.exit_code == 0, result.output
    assert "daily_reports_2019_03" in result.output
    assert "lines moved out of a default partition: 1" in result.output
    assert lines_in(engine, "daily_reports_default") == 0
    assert lines_in(engine, "daily_reports_2019_03") == 1
    assert lines_in(engine, "daily_reports") == 2
    again = runner.invoke(app, ["db", "partitions"])
    assert "partitions created: none" in again.output
    further = runner.invoke(app, ["db", "partitions", "--months-ahead", "5"])
    in_five_months = add_months(month_start(business_today()), 5)
    assert partition_name("daily_reports", in_five_months) in further.output
    assert partition_name("supply_snapshots", in_five_months) in further.output


def test_months_past_the_retention_go_to_the_archive_and_the_window_stays(
    postgres_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade_to_head(postgres_url)
    today = business_today()
    this_month = month_start(today)
    old_day = add_months(this_month, -5) + timedelta(days=3)
    kept_day = add_months(this_month, -1) + timedelta(days=20)
    post_lines(engine, [old_day, kept_day, today - timedelta(days=13), today])
    monkeypatch.setenv("SUPPLYWATCH_REPORT_RETENTION_MONTHS", "1")
    monkeypatch.setenv("SUPPLYWATCH_MAX_REPORT_AGE_DAYS", "28")
    get_settings.cache_clear()

    result = runner.invoke(app, ["db", "partitions"])

    assert result.exit_code == 0, result.output
    old = partition_name("daily_reports", month_start(old_day))
    assert f"supplywatch_archive.{old}" in result.output
    assert lines_in(engine, "daily_reports") == 3  # the old line left the live table...
    assert lines_in(engine, f"supplywatch_archive.{old}") == 1  # ...for the archive
    assert old not in partitions_of(engine, "daily_reports")
    previous = partition_name("daily_reports", add_months(this_month, -1))
    assert previous in partitions_of(engine, "daily_reports")

    # A line for an archived month (the clock or the settings changed) is still stored,
    # then archived beside the first archive of that month.
    post_lines(engine, [old_day])
    again = runner.invoke(app, ["db", "partitions"])
    assert f"supplywatch_archive.{old}_archived_" in again.output, again.output
    assert lines_in(engine, "daily_reports") == 3
    assert lines_in(engine, f"supplywatch_archive.{old}") == 1
    post_lines(engine, [old_day])  # and once more the same day
    third = runner.invoke(app, ["db", "partitions"])
    assert f"supplywatch_archive.{old}_archived_{today:%Y%m%d}_2" in third.output, third.output
    assert lines_in(engine, "daily_reports") == 3


def test_retention_below_one_month_is_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="report_retention_months"):
        Settings(report_retention_months=0)


def test_retention_cannot_archive_a_month_a_store_may_still_post_for() -> None:
    with pytest.raises(ValueError, match="keep at least 15 months"):
        Settings(report_retention_months=12, max_report_age_days=400)
    assert Settings(report_retention_months=15, max_report_age_days=400)
    assert Settings(report_retention_months=2, max_report_age_days=56)


def test_the_scheduler_makes_next_months_partitions_before_a_run(
    postgres_url: str, engine: Engine
) -> None:
    upgrade_to_head(postgres_url)
    furthest = partition_name("daily_reports", add_months(month_start(business_today()), 3))
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {furthest}"))
    factory = create_session_factory(engine)

    build_scheduler(get_settings(), factory).tick(run_due=True, delivery_due=False)

    assert furthest in partitions_of(engine, "daily_reports")
    with engine.connect() as connection:
        status = connection.scalar(text("SELECT status FROM monitor_runs ORDER BY id DESC"))
    assert status == "succeeded"


def test_sqlite_keeps_one_table_and_says_so(
    empty_database_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPPLYWATCH_DATABASE_URL", empty_database_url("sqlite"))
    get_settings.cache_clear()
    try:
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        result = runner.invoke(app, ["db", "partitions"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "SQLite keeps one table per kind" in result.output


def test_todays_line_and_a_backfill_a_store_may_post_land_in_their_months(
    postgres_url: str, engine: Engine
) -> None:
    upgrade_to_head(postgres_url)
    today = business_today()
    backfill = today - timedelta(days=get_settings().max_report_age_days)
    ids = post_lines(engine, [today, backfill])
    with engine.connect() as connection:
        homes = [
            connection.scalar(
                text("SELECT tableoid::regclass::text FROM daily_reports WHERE id = :id"),
                {"id": line_id},
            )
            for line_id in ids
        ]
    assert homes == [
        partition_name("daily_reports", month_start(today)),
        partition_name("daily_reports", month_start(backfill)),
    ]
    assert lines_in(engine, "daily_reports_default") == 0
