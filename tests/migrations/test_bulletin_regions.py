"""Bulletins gain a region: an existing deployment's bulletins are filed under its one
root city, or stay the whole deployment's (NULL) when it has several; the whole
deployment's revisions stay unique; the downgrade takes the column away again."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from core.database import create_database_engine
from service.migrate import alembic_config, upgrade_to_head

BEFORE = "region_bound_staff_20261204"
BULLETIN = (
    "INSERT INTO bulletins (business_date, revision, status, figures, summary_en, summary_zh,"
    " drafted_by) VALUES ('2026-12-01', :revision, 'published', '{}', 'en', 'zh', 'test')"
)


def _roots(engine: Engine, codes: list[str]) -> list[int]:
    with engine.begin() as connection:
        for code in codes:
            connection.execute(
                text(
                    "INSERT INTO regions (code, name, level, active)"
                    " VALUES (:code, :code, 'city', :active)"
                ),
                {"code": code, "active": True},
            )
        return list(connection.scalars(text("SELECT id FROM regions ORDER BY id")))


def _bulletin_regions(engine: Engine) -> list[int | None]:
    with engine.connect() as connection:
        return list(connection.scalars(text("SELECT region_id FROM bulletins ORDER BY id")))


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
@pytest.mark.parametrize(("roots", "filed"), [(["4104"], True), (["4104", "4201"], False)])
def test_existing_bulletins_are_filed_under_the_one_root_city_and_never_guessed(
    backend_name: str,
    roots: list[str],
    filed: bool,
    empty_database_url: Callable[[str], str],
) -> None:
    url = empty_database_url(backend_name)
    command.upgrade(alembic_config(url), BEFORE)
    engine = create_database_engine(url)
    try:
        ids = _roots(engine, roots)
        with engine.begin() as connection:
            connection.execute(text(BULLETIN), {"revision": 1})
        upgrade_to_head(url)
        assert _bulletin_regions(engine) == [ids[0] if filed else None]

        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(BULLETIN), {"revision": 1})
            connection.execute(text(BULLETIN), {"revision": 1})

        command.downgrade(alembic_config(url), BEFORE)
        columns = {column["name"] for column in inspect(engine).get_columns("bulletins")}
        assert "region_id" not in columns and "business_date" in columns
    finally:
        engine.dispose()
