"""Monthly partitions of the day-keyed tables on PostgreSQL: made ahead of the days that
will fill them, and detached into an archive schema once older than the retention.

A monitor run reads 14 days, a national deployment stores 6 M report lines a day: range
partitions by business date let a run's reads touch one or two months' tables, and let
old months leave the live tables as a catalogue change instead of a DELETE of millions
of rows. SQLite keeps one table per kind; everything here is a no-op there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, text

# The partitioned tables and the business-date column each is partitioned on.
PARTITIONED_TABLES: dict[str, str] = {
    "daily_reports": "report_date",
    "supply_snapshots": "business_date",
}
ARCHIVE_SCHEMA = "supplywatch_archive"
DEFAULT_MONTHS_AHEAD = 3
UPKEEP_LOCK = 0x5057_5041  # the advisory lock key of partition upkeep ("SWPA")
_PARTITION_NAME = re.compile(
    r"^(?P<table>"
    + "|".join(PARTITIONED_TABLES)
    + r")_(?:(?P<year>\d{4})_(?P<month>\d{2})|default)$"
)


def is_partition_name(name: str | None) -> bool:
    """True for a partition's table name (``daily_reports_2026_12``, ``…_default``), which
    the models do not declare: schema comparisons skip them."""
    return name is not None and _PARTITION_NAME.match(name) is not None


def month_start(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month``'s (negative: before)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    """The name of ``table``'s partition holding ``month``."""
    return f"{table}_{month.year:04d}_{month.month:02d}"


@dataclass
class PartitionUpkeep:
    """What one upkeep did: partitions made, lines moved out of a default partition, and
    partitions archived."""

    created: list[str] = field(default_factory=list)
    moved_rows: int = 0
    archived: list[str] = field(default_factory=list)

    def as_counts(self) -> dict[str, object]:
        """For logs and the command's output."""
        return {"created": self.created, "moved_rows": self.moved_rows, "archived": self.archived}


def is_partitioned(connection: Connection, table: str) -> bool:
    """Whether ``table`` is a partitioned table here (never on SQLite)."""
    if connection.dialect.name != "postgresql":
        return False
    found = connection.execute(
        text(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = :table AND c.relnamespace = current_schema()::regnamespace"
        ),
        {"table": table},
    ).first()
    return found is not None


def partition_months(connection: Connection, table: str) -> list[date]:
    """The months that have a partition of ``table`` attached, oldest first."""
    names = connection.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = :table AND p.relnamespace = current_schema()::regnamespace"
        ),
        {"table": table},
    ).all()
    months = []
    for name in names:
        found = _PARTITION_NAME.match(name)
        if found and found["year"]:
            months.append(date(int(found["year"]), int(found["month"]), 1))
    return sorted(months)


def _default_months(connection: Connection, table: str, column: str) -> list[date]:
    """The months of the rows that fell into ``table``'s default partition."""
    rows = connection.scalars(
        text(
            f"SELECT DISTINCT date_trunc('month', {column})::date "  # noqa: S608 - our names
            f"FROM {table}_default"
        )
    ).all()
    return sorted(rows)


def _create_partition(connection: Connection, table: str, month: date) -> str:
    name = partition_name(table, month)
    connection.execute(
        text(
            f"CREATE TABLE {name} PARTITION OF {table} "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{add_months(month, 1).isoformat()}')"
        )
    )
    return name


def _move_out_of_default(connection: Connection, table: str, column: str, month: date) -> int:
    """Give a month whose rows landed in the default partition its own partition, moving
    them into it; one transaction, so no reader ever sees them missing."""
    default = f"{table}_default"
    first, after = month.isoformat(), add_months(month, 1).isoformat()
    connection.execute(text(f"ALTER TABLE {table} DETACH PARTITION {default}"))
    _create_partition(connection, table, month)
    where = f"{column} >= '{first}' AND {column} < '{after}'"
    moved = connection.execute(
        text(f"INSERT INTO {table} SELECT * FROM {default} WHERE {where}")  # noqa: S608
    ).rowcount
    connection.execute(text(f"DELETE FROM {default} WHERE {where}"))  # noqa: S608
    connection.execute(text(f"ALTER TABLE {table} ATTACH PARTITION {default} DEFAULT"))
    return int(moved)


def make_partitions(
    connection: Connection,
    *,
    today: date,
    oldest_day: date,
    months_ahead: int = DEFAULT_MONTHS_AHEAD,
) -> PartitionUpkeep:
    """Make every partitioned table's partitions from ``oldest_day``'s month (the oldest
    day a store may post for, so a backfill lands in its month) to ``months_ahead``
    months after this one, and give any month whose lines fell into the default
    partition (a date no partition covered) its own; commits nothing."""
    upkeep = PartitionUpkeep()
    for table, column in PARTITIONED_TABLES.items():
        if not is_partitioned(connection, table):
            continue
        existing = set(partition_months(connection, table))
        for month in _default_months(connection, table, column):
            if month not in existing:
                upkeep.moved_rows += _move_out_of_default(connection, table, column, month)
                upkeep.created.append(partition_name(table, month))
                existing.add(month)
        month, last = month_start(min(oldest_day, today)), add_months(today, months_ahead)
        while month <= last:
            if month not in existing:
                upkeep.created.append(_create_partition(connection, table, month))
                existing.add(month)
            month = add_months(month, 1)
    return upkeep


def _archived(connection: Connection, name: str) -> bool:
    found = connection.execute(
        text(
            "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relname = :name"
        ),
        {"schema": ARCHIVE_SCHEMA, "name": name},
    ).first()
    return found is not None


def _rename_with_indexes(connection: Connection, name: str, new_name: str) -> None:
    """Rename a detached partition and its indexes, whose names the archive holds already."""
    indexes = connection.scalars(
        text(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = CAST(:name AS regclass) ORDER BY 1"
        ),
        {"name": name},
    ).all()
    for number, index in enumerate(indexes, start=1):
        connection.execute(text(f"ALTER INDEX {index} RENAME TO {new_name}_index_{number}"))
    connection.execute(text(f"ALTER TABLE {name} RENAME TO {new_name}"))


def archive_old_partitions(
    connection: Connection, *, today: date, retention_months: int
) -> list[str]:
    """Detach the partitions of months that ended more than ``retention_months`` whole
    months before this one and move them to the archive schema, where ``pg_dump -n``
    takes them away; the live tables and every read stop seeing those lines."""
    if retention_months < 1:
        raise ValueError("retention_months must be at least 1: the monitor reads 14 days")
    oldest_kept = add_months(month_start(today), -retention_months)
    archived: list[str] = []
    for table in PARTITIONED_TABLES:
        if not is_partitioned(connection, table):
            continue
        for month in partition_months(connection, table):
            if month >= oldest_kept:
                continue
            name = partition_name(table, month)
            connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {ARCHIVE_SCHEMA}"))
            connection.execute(text(f"ALTER TABLE {table} DETACH PARTITION {name}"))
            archived_name, copies = name, 1
            while _archived(connection, archived_name):  # archived before: keep every copy
                archived_name = f"{name}_archived_{today:%Y%m%d}" + (
                    f"_{copies}" if copies > 1 else ""
                )
                copies += 1
            if archived_name != name:
                _rename_with_indexes(connection, name, archived_name)
            connection.execute(text(f"ALTER TABLE {archived_name} SET SCHEMA {ARCHIVE_SCHEMA}"))
            archived.append(f"{ARCHIVE_SCHEMA}.{archived_name}")
    return archived


def keep_partitions(
    connection: Connection,
    *,
    today: date,
    oldest_day: date,
    retention_months: int | None,
    months_ahead: int = DEFAULT_MONTHS_AHEAD,
) -> PartitionUpkeep:
    """The daily upkeep: partitions ahead, then (when a retention is set) the archive.
    Two upkeeps at once (the scheduler and the command) wait for each other."""
    if connection.dialect.name != "postgresql":
        return PartitionUpkeep()
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPKEEP_LOCK})
    upkeep = make_partitions(
        connection, today=today, oldest_day=oldest_day, months_ahead=months_ahead
    )
    if retention_months is not None:
        upkeep.archived = archive_old_partitions(
            connection, today=today, retention_months=retention_months
        )
    return upkeep
