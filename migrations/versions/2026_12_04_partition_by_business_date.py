"""partition report lines and supply snapshots by business date on PostgreSQL

Each table becomes a range-partitioned table with one partition a month (from the oldest
stored month, or 14 months back, to three months ahead) and a default partition for a date
no month covers; its rows, columns, defaults, checks, keys, foreign keys, indexes and id
sequence are kept under the same names. The primary key of ``daily_reports`` gains
``report_date``, as PostgreSQL requires of a partitioned table's unique keys, and
``store_id``, the column a sharded deployment would distribute it by. SQLite keeps one table each.

Revision ID: partition_business_date_20261204
Revises: officers_20261204
Create Date: 2026-12-04 19:50:00+00:00
"""

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from alembic import op
from sqlalchemy import Connection, text

revision: str = "partition_business_date_20261204"
down_revision: str | None = "officers_20261204"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {"daily_reports": "report_date", "supply_snapshots": "business_date"}
MONTHS_AHEAD = 3
# A store may post up to 400 days back (SUPPLYWATCH_MAX_REPORT_AGE_DAYS' default): those
# months get their partitions too, so a backfill does not pile up in the default one.
MONTHS_BACK = 14
# Columns a key must also carry so the table can later be distributed by store (Citus
# requires the distribution column in every unique key; docs/deploy.md).
DISTRIBUTION = {"daily_reports": ("store_id",)}


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def _described(
    connection: Connection, table: str
) -> tuple[Sequence[Any], Sequence[Any], Sequence[Any]]:
    """The table's own keys (primary, unique, foreign), its other indexes and its serial
    sequences, as definitions to drop and recreate under the same names."""
    keys = connection.execute(
        text(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:table AS regclass) AND contype IN ('p', 'u', 'f') "
            "AND conparentid = 0 ORDER BY contype DESC, conname"
        ),
        {"table": table},
    ).all()
    indexes = connection.execute(
        text(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = CAST(:table AS regclass) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY 1"
        ),
        {"table": table},
    ).all()
    sequences = connection.execute(
        text(
            "SELECT a.attname, pg_get_serial_sequence(:table, a.attname) FROM pg_attribute a "
            "WHERE a.attrelid = CAST(:table AS regclass) AND a.attnum > 0 "
            "AND NOT a.attisdropped "
            "AND pg_get_serial_sequence(:table, a.attname) IS NOT NULL"
        ),
        {"table": table},
    ).all()
    return keys, indexes, sequences


def _rebuild(
    connection: Connection,
    table: str,
    *,
    partition_clause: str,
    make_partitions: Callable[[], None],
    primary_key: Callable[[str], str],
) -> None:
    """Rebuild ``table`` under its name with ``partition_clause`` (or none), keeping its
    rows, columns, defaults, checks, keys, indexes and sequences."""
    keys, indexes, sequences = _described(connection, table)
    old = f"{table}_before_rebuild"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    for name, _kind, _definition in keys:
        op.execute(f"ALTER TABLE {old} DROP CONSTRAINT {name}")
    for name, _definition in indexes:
        op.execute(f"DROP INDEX {name}")
    op.execute(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        f"{partition_clause}"
    )
    make_partitions()
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    for column_name, sequence in sequences:
        op.execute(f"ALTER SEQUENCE {sequence} OWNED BY {table}.{column_name}")
    op.execute(f"DROP TABLE {old}")
    for name, kind, definition in keys:
        if kind == "p":
            definition = primary_key(definition)
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for _name, definition in indexes:
        op.execute(definition)


def _partition(connection: Connection, table: str, column: str) -> None:
    first = connection.execute(
        text(f"SELECT date_trunc('month', min({column}))::date FROM {table}")
    ).scalar_one()
    this_month = connection.execute(
        text("SELECT date_trunc('month', current_date)::date")
    ).scalar_one()

    def make_partitions() -> None:
        month = this_month
        for _ in range(MONTHS_BACK):
            month = _previous_month(month)
        month = min(first or month, month)
        last = this_month
        for _ in range(MONTHS_AHEAD):
            last = _next_month(last)
        while month <= last:
            after = _next_month(month)
            op.execute(
                f"CREATE TABLE {table}_{month.year:04d}_{month.month:02d} PARTITION OF {table} "
                f"FOR VALUES FROM ('{month.isoformat()}') TO ('{after.isoformat()}')"
            )
            month = after
        op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")

    def with_partition_column(definition: str) -> str:
        missing = [
            name for name in (column, *DISTRIBUTION.get(table, ())) if name not in definition
        ]
        if not missing:
            return definition
        return definition.replace(")", f", {', '.join(missing)})", 1)

    _rebuild(
        connection,
        table,
        partition_clause=f" PARTITION BY RANGE ({column})",
        make_partitions=make_partitions,
        primary_key=with_partition_column,
    )


def _unpartition(connection: Connection, table: str, column: str) -> None:
    def without_partition_column(definition: str) -> str:
        if table == "daily_reports":
            return definition.replace(f", {column}, store_id)", ")")
        return definition

    _rebuild(
        connection,
        table,
        partition_clause="",
        make_partitions=lambda: None,
        primary_key=without_partition_column,
    )


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    for table, column in TABLES.items():
        _partition(connection, table, column)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    for table, column in TABLES.items():
        _unpartition(connection, table, column)
