"""The schema comes only from migrations, and they match the models exactly."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import models
from core.database import create_database_engine
from core.partitions import is_partition_name
from service.migrate import current_revisions, head_revisions, upgrade_to_head


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_upgrade_head_on_empty_database_leaves_no_autogenerate_diff(
    backend_name: str, empty_database_url: Callable[[str], str]
) -> None:
    url = empty_database_url(backend_name)
    upgrade_to_head(url)
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, type_, _parents: (
                        not (type_ == "table" and is_partition_name(name))
                    ),
                },
            )
            diff = compare_metadata(context, models.Base.metadata)
            assert current_revisions(connection) == head_revisions()
    finally:
        engine.dispose()
    assert diff == []


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_upgrade_is_repeatable(backend_name: str, empty_database_url: Callable[[str], str]) -> None:
    url = empty_database_url(backend_name)
    upgrade_to_head(url)
    upgrade_to_head(url)


def _pairs_on_migrated_postgresql(
    empty_database_url: Callable[[str], str], *queries: str
) -> list[dict[str, str]]:
    """Each query's two-column rows as a dict, on a fresh PostgreSQL database at head."""
    url = empty_database_url("postgresql")
    upgrade_to_head(url)
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return [
                {str(key): str(value) for key, value in connection.exec_driver_sql(query).all()}
                for query in queries
            ]
    finally:
        engine.dispose()


def test_the_monitor_state_matrices_are_kept_lz4_compressed_on_postgresql(
    empty_database_url: Callable[[str], str],
) -> None:
    available, columns = _pairs_on_migrated_postgresql(
        empty_database_url,
        "SELECT name, 'lz4' = ANY(enumvals) FROM pg_settings "
        "WHERE name = 'default_toast_compression'",
        "SELECT attname, attcompression::text || attstorage::text FROM pg_attribute "
        "WHERE attrelid = 'monitor_line_states'::regclass "
        "AND attname IN ('product_ids', 'stock', 'sales', 'price')",
    )
    if available != {"default_toast_compression": "True"}:
        pytest.skip("this PostgreSQL was built without lz4: the matrices stay EXTERNAL")
    # 'l' lz4, 'x' extended: compressed in line or out of it, no longer stored raw.
    assert columns == dict.fromkeys(("product_ids", "stock", "sales", "price"), "lx")


def test_the_monitor_states_are_an_unlogged_cache_on_postgresql(
    empty_database_url: Callable[[str], str],
) -> None:
    (persistence,) = _pairs_on_migrated_postgresql(
        empty_database_url,
        "SELECT relname, relpersistence::text FROM pg_class "
        "WHERE relname IN ('monitor_line_states', 'report_changes')",
    )
    # The states are rebuilt from the report lines when lost; the change marks are not.
    assert persistence == {"monitor_line_states": "u", "report_changes": "p"}
