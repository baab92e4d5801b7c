"""Set-based upsert of validated report lines, with revisions of every changed value.

Lines go into a per-connection temporary staging table (PostgreSQL: COPY; SQLite: one
executemany), then a fixed handful of statements count, record revisions and upsert
with ``INSERT … ON CONFLICT`` — never a query per row. A single store's report on
PostgreSQL skips the staging table: one statement of data-modifying CTEs over arrays
(``replace_report``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

import pandas as pd
from sqlalchemy import (
    Column,
    Date,
    Float,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.bulk import insert_frame
from models import DailyReport, ReportRevision, RevisionKind
from models.base import utc_now
from models.types import UTCDateTime
from reports.changes import mark_changed
from reports.validation import CheckedReport

_staging_metadata = MetaData()
staging = Table(
    "report_staging",
    _staging_metadata,
    Column("store_id", Integer, nullable=False),
    Column("report_date", Date, nullable=False),
    Column("product_id", Integer, nullable=False),
    Column("stock", Float, nullable=False),
    Column("sales", Float, nullable=False),
    Column("price", Float, nullable=False),
    Column("received", Float),
    prefixes=["TEMPORARY"],
)
_COLUMNS = ["store_id", "report_date", "product_id", "stock", "sales", "price", "received"]


@dataclass(frozen=True)
class IngestCounts:
    """What an ingest did: lines new, changed, identical to what was stored, removed."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged


def _prepare_staging(session: Session) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "CREATE TEMPORARY TABLE IF NOT EXISTS report_staging ("
            "store_id integer NOT NULL, report_date date NOT NULL, product_id integer NOT NULL, "
            "stock double precision NOT NULL, sales double precision NOT NULL, "
            "price double precision NOT NULL, received double precision) ON COMMIT DELETE ROWS"
        )
        connection.exec_driver_sql("TRUNCATE report_staging")
    else:
        connection.exec_driver_sql(
            "CREATE TEMPORARY TABLE IF NOT EXISTS report_staging ("
            "store_id INTEGER NOT NULL, report_date DATE NOT NULL, product_id INTEGER NOT NULL, "
            "stock FLOAT NOT NULL, sales FLOAT NOT NULL, price FLOAT NOT NULL, received FLOAT)"
        )
        connection.exec_driver_sql("DELETE FROM report_staging")


def _load_staging(session: Session, rows: pd.DataFrame) -> None:
    frame = rows[_COLUMNS].astype({"store_id": "int64", "product_id": "int64"})
    insert_frame(session.connection(), "report_staging", frame)


STORE_DAY_LOCKS = 1024
"""Advisory lock slots for store-days on PostgreSQL: two store-days that share a slot only
wait for each other, and a bulk file never holds more locks than this."""
_STORE_DAY_LOCK_SPACE = 0x5357  # "SW": this service's first key of the two-key locks
_ORDINAL_2000 = date(2000, 1, 1).toordinal()
_LOCK_SLOTS = text(
    "SELECT pg_advisory_xact_lock(:space, slot) FROM (SELECT slot FROM "
    "unnest(CAST(:slots AS integer[])) AS slot ORDER BY slot) AS ordered"
)  # built once: the slots of every report request


def lock_store_days(session: Session, store_days: Iterable[tuple[int, date]]) -> None:
    """Wait until no other transaction writes these store-days, and hold them until commit.

    PostgreSQL runs READ COMMITTED: without this, two writers of one store-day both read
    the report as it was and both write (the stored report mixes the two bodies, a
    revision's old value is not the last new one). Slots are taken in order, so writers
    of several store-days never deadlock. SQLite needs nothing: its writers take the
    database's write lock one at a time."""
    if session.get_bind().dialect.name != "postgresql":
        return
    slots = sorted(
        {
            (store_id * 40_009 + day.toordinal() - _ORDINAL_2000) % STORE_DAY_LOCKS
            for store_id, day in store_days
        }
    )
    if slots:
        session.execute(_LOCK_SLOTS, {"space": _STORE_DAY_LOCK_SPACE, "slots": slots})


def store_report_lines(
    session: Session,
    rows: pd.DataFrame,
    *,
    submitted_by: str,
    replace: tuple[int, date] | None = None,
) -> IngestCounts:
    """Upsert canonical rows; with ``replace`` (store id, day), also drop that report's
    lines that ``rows`` no longer has. Changed and removed values become revisions.

    Flushes only; the caller's unit of work commits.
    """
    now = utc_now()
    store_days = [
        (int(store_id), _as_date(day))
        for store_id, day in rows[["store_id", "report_date"]]
        .drop_duplicates()
        .itertuples(index=False)
    ] + ([replace] if replace else [])
    lock_store_days(session, store_days)
    _prepare_staging(session)
    if len(rows):
        _load_staging(session, rows)
    report = DailyReport
    same_line = and_(
        report.store_id == staging.c.store_id,
        report.report_date == staging.c.report_date,
        report.product_id == staging.c.product_id,
    )
    changed = or_(
        report.stock.is_distinct_from(staging.c.stock),
        report.sales.is_distinct_from(staging.c.sales),
        report.price.is_distinct_from(staging.c.price),
        report.received.is_distinct_from(staging.c.received),
    )
    counted = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((report.id.is_(None), 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(report.id.is_not(None), changed), 1), else_=0)), 0),
        ).select_from(staging.outerjoin(report, same_line))
    ).one()
    total, inserted, updated = int(counted[0]), int(counted[1]), int(counted[2])

    if updated:
        session.execute(
            insert(ReportRevision).from_select(
                [
                    "store_id",
                    "report_date",
                    "product_id",
                    "kind",
                    "changed_at",
                    "changed_by",
                    "old_stock",
                    "old_sales",
                    "old_price",
                    "old_received",
                    "old_submitted_by",
                    "new_stock",
                    "new_sales",
                    "new_price",
                    "new_received",
                ],
                select(
                    staging.c.store_id,
                    staging.c.report_date,
                    staging.c.product_id,
                    literal(RevisionKind.updated.value),
                    literal(now, type_=ReportRevision.changed_at.type),
                    literal(submitted_by),
                    report.stock,
                    report.sales,
                    report.price,
                    report.received,
                    report.submitted_by,
                    staging.c.stock,
                    staging.c.sales,
                    staging.c.price,
                    staging.c.received,
                )
                .select_from(staging.join(report, same_line))
                .where(changed),
            )
        )

    if inserted or updated:
        dialect = session.connection().dialect.name
        statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(report)
        upsert = statement.from_select(
            [*_COLUMNS, "submitted_by", "created_at", "updated_at"],
            select(
                *(staging.c[name] for name in _COLUMNS),
                literal(submitted_by),
                literal(now, type_=report.created_at.type),
                literal(now, type_=report.updated_at.type),
            ).where(true()),
        )
        excluded = upsert.excluded
        upsert = upsert.on_conflict_do_update(
            index_elements=["store_id", "report_date", "product_id"],
            set_={
                "stock": excluded.stock,
                "sales": excluded.sales,
                "price": excluded.price,
                "received": excluded.received,
                "submitted_by": excluded.submitted_by,
                "updated_at": excluded.updated_at,
            },
            where=or_(
                report.stock.is_distinct_from(excluded.stock),
                report.sales.is_distinct_from(excluded.sales),
                report.price.is_distinct_from(excluded.price),
                report.received.is_distinct_from(excluded.received),
            ),
        )
        session.execute(upsert)

    deleted = 0
    if replace is not None:
        store_id, day = replace
        gone = and_(
            report.store_id == store_id,
            report.report_date == day,
            report.product_id.not_in(select(staging.c.product_id)),
        )
        deleted = session.execute(select(func.count()).select_from(report).where(gone)).scalar_one()
        if deleted:
            session.execute(
                insert(ReportRevision).from_select(
                    [
                        "store_id",
                        "report_date",
                        "product_id",
                        "kind",
                        "changed_at",
                        "changed_by",
                        "old_stock",
                        "old_sales",
                        "old_price",
                        "old_received",
                        "old_submitted_by",
                    ],
                    select(
                        report.store_id,
                        report.report_date,
                        report.product_id,
                        literal(RevisionKind.deleted.value),
                        literal(now, type_=ReportRevision.changed_at.type),
                        literal(submitted_by),
                        report.stock,
                        report.sales,
                        report.price,
                        report.received,
                        report.submitted_by,
                    ).where(gone),
                )
            )
            session.execute(delete(report).where(gone))
    if inserted or updated or deleted:
        # Every store-day of the call, changed or not: a superset costs a re-read, never
        # a wrong number, and needs no second pass over the staging table.
        mark_changed(session, store_days)
    session.flush()
    return IngestCounts(
        inserted=inserted, updated=updated, unchanged=total - inserted - updated, deleted=deleted
    )


def _as_date(value: date | pd.Timestamp) -> date:
    """A frame's day (a date or a pandas timestamp) as a date."""
    return value.date() if isinstance(value, pd.Timestamp) else value


class StoredLine(NamedTuple):
    """A report line as stored after a write: the values, who last changed them and when
    (a named tuple: one is built per line of every report, ten times cheaper than a frozen
    dataclass)."""

    product_id: int
    stock: float
    sales: float
    price: float
    received: float | None
    submitted_by: str
    updated_at: datetime


_STORED_FIELDS = 7  # StoredLine's fields, the first columns of a replaced report's rows

# One round trip replaces a store's day on PostgreSQL: compare with what is stored,
# record revisions of changed and removed lines, upsert, delete, and return every line.
# With ``keep_others`` (a correction) nothing is deleted and the day's other lines are
# returned as they are: the store-day lock is held, so nobody changed them meanwhile.
# Data-modifying CTEs run once and see the same snapshot, so ``existing`` is the report
# as it was before this statement. A report that changed anything marks its store-day
# for the incremental monitor (``marked``, as ``reports.changes.mark_changed`` does).
_REPLACE_REPORT = text(
    """
WITH incoming AS (
    SELECT * FROM unnest(
        CAST(:product_ids AS integer[]), CAST(:stock AS double precision[]),
        CAST(:sales AS double precision[]), CAST(:price AS double precision[]),
        CAST(:received AS double precision[])
    ) AS line (product_id, stock, sales, price, received)
),
existing AS (
    SELECT product_id, stock, sales, price, received, submitted_by, updated_at
    FROM daily_reports WHERE store_id = :store_id AND report_date = :day
),
compared AS (
    SELECT incoming.*,
        existing.product_id IS NULL AS is_new,
        existing.product_id IS NOT NULL
            AND (existing.stock, existing.sales, existing.price, existing.received)
            IS DISTINCT FROM (incoming.stock, incoming.sales, incoming.price, incoming.received)
            AS is_changed,
        existing.stock AS old_stock, existing.sales AS old_sales,
        existing.price AS old_price, existing.received AS old_received,
        existing.submitted_by AS old_submitted_by, existing.updated_at AS old_updated_at
    FROM incoming LEFT JOIN existing USING (product_id)
),
gone AS (
    DELETE FROM daily_reports
    WHERE NOT :keep_others AND store_id = :store_id AND report_date = :day
        AND product_id <> ALL (CAST(:product_ids AS integer[]))
    RETURNING product_id, stock, sales, price, received, submitted_by
),
written AS (
    INSERT INTO daily_reports (store_id, report_date, product_id, stock, sales, price,
        received, submitted_by, created_at, updated_at)
    SELECT :store_id, :day, product_id, stock, sales, price, received, :submitted_by,
        :now, :now
    FROM compared WHERE is_new OR is_changed
    ON CONFLICT (store_id, report_date, product_id) DO UPDATE SET
        stock = excluded.stock, sales = excluded.sales, price = excluded.price,
        received = excluded.received, submitted_by = excluded.submitted_by,
        updated_at = excluded.updated_at
    RETURNING 1
),
revised AS (
    INSERT INTO report_revisions (store_id, report_date, product_id, kind, changed_at,
        changed_by, old_stock, old_sales, old_price, old_received, old_submitted_by,
        new_stock, new_sales, new_price, new_received)
    SELECT :store_id, :day, product_id, :updated, :now, :submitted_by, old_stock, old_sales,
        old_price, old_received, old_submitted_by, stock, sales, price, received
    FROM compared WHERE is_changed
    UNION ALL
    SELECT :store_id, :day, product_id, :deleted, :now, :submitted_by, stock, sales, price,
        received, submitted_by, NULL, NULL, NULL, NULL
    FROM gone
    RETURNING 1
),
marked AS (
    -- reports.changes.mark_changed, inside this one statement (one round trip a report)
    INSERT INTO report_changes (store_id, report_date, changed_at)
    SELECT :store_id, :day, :now
    WHERE EXISTS (SELECT FROM written) OR EXISTS (SELECT FROM gone)
    RETURNING 1
)
SELECT product_id, stock, sales, price, received,
    CASE WHEN is_new OR is_changed THEN :submitted_by ELSE old_submitted_by END
        AS submitted_by,
    CASE WHEN is_new OR is_changed THEN :now ELSE old_updated_at END AS updated_at,
    is_new, is_changed, (SELECT count(*) FROM gone) AS deleted
FROM compared
UNION ALL
SELECT product_id, stock, sales, price, received, submitted_by, updated_at,
    false, false, 0
FROM existing
WHERE :keep_others AND product_id <> ALL (CAST(:product_ids AS integer[]))
"""
).columns(updated_at=UTCDateTime())


def _array_literal(values: Sequence[float | None]) -> str:
    """PostgreSQL's text form of an array of numbers (``{1.5,NULL,2}``), cast in SQL.

    psycopg's list adapter runs a regular expression over every element, most of the
    client's cost for a report; ``repr`` of a finite float reads back exactly.
    """
    return "{" + ",".join("NULL" if value is None else repr(value) for value in values) + "}"


def replace_report(
    session: Session,
    *,
    store_id: int,
    day: date,
    report: CheckedReport,
    submitted_by: str,
    keep_others: bool = False,
) -> tuple[IngestCounts, list[StoredLine]]:
    """Make ``report`` the store's whole report for ``day``: new lines are added, changed
    ones updated and missing ones deleted, each change kept as a revision. Returns the
    counts and every line of the day as stored now.

    With ``keep_others`` (a correction) only ``report``'s lines are added or updated and
    the day's other lines stay as they are, counted unchanged: nothing is deleted, and
    nothing read before the store-day lock is written back.

    PostgreSQL does it in one statement (a report is one request among thousands at
    closing time); elsewhere it goes through the set-based ``store_report_lines``.
    Flushes only; the caller's unit of work commits.
    """
    if session.get_bind().dialect.name != "postgresql":
        return _replace_report_through_staging(
            session,
            store_id=store_id,
            day=day,
            report=report,
            submitted_by=submitted_by,
            keep_others=keep_others,
        )
    lock_store_days(session, [(store_id, day)])
    now = utc_now()
    result = session.execute(
        _REPLACE_REPORT,
        {
            "store_id": store_id,
            "day": day,
            "product_ids": _array_literal(report.product_ids),
            **{name: _array_literal(values) for name, values in report.numbers.items()},
            "submitted_by": submitted_by,
            "now": now,
            "updated": RevisionKind.updated.value,
            "deleted": RevisionKind.deleted.value,
            "keep_others": keep_others,
        },
    ).all()
    inserted = sum(1 for row in result if row.is_new)
    updated = sum(1 for row in result if row.is_changed)
    counts = IngestCounts(
        inserted=inserted,
        updated=updated,
        unchanged=len(result) - inserted - updated,
        deleted=int(result[0].deleted) if result else 0,
    )
    return counts, [StoredLine(*row[:_STORED_FIELDS]) for row in result]


def _replace_report_through_staging(
    session: Session,
    *,
    store_id: int,
    day: date,
    report: CheckedReport,
    submitted_by: str,
    keep_others: bool,
) -> tuple[IngestCounts, list[StoredLine]]:
    rows = pd.DataFrame(
        {"store_id": store_id, "report_date": day, "product_id": report.product_ids}
        | {name: pd.Series(values, dtype="float64") for name, values in report.numbers.items()}
    )
    counts = store_report_lines(
        session, rows, submitted_by=submitted_by, replace=None if keep_others else (store_id, day)
    )
    stored = session.execute(
        select(
            DailyReport.product_id,
            DailyReport.stock,
            DailyReport.sales,
            DailyReport.price,
            DailyReport.received,
            DailyReport.submitted_by,
            DailyReport.updated_at,
        ).where(DailyReport.store_id == store_id, DailyReport.report_date == day)
    )
    lines = [StoredLine(*row) for row in stored]
    if keep_others:  # the day's other lines are unchanged too
        counts = IngestCounts(
            inserted=counts.inserted,
            updated=counts.updated,
            unchanged=len(lines) - counts.inserted - counts.updated,
        )
    return counts, lines
