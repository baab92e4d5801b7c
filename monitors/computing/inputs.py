"""Reading what a monitor run needs into data frames, with few, set-based queries.

Report lines of the look-back window are the bulk of it (8.4 M rows for a province):
they reach numpy as fixed-width binary records (PostgreSQL) or through one cursor into
a typed array (SQLite), never as millions of Python row objects.

On PostgreSQL the window is read by several connections at once, each a share of the
stores, and gives the submissions from the same lines (each carries its arrival): one
backend packs records on one core, so this is what lets a run use the machine, and a
third scan for the submissions only competed with them. The readers import the run's
snapshot (``pg_export_snapshot``, as ``pg_dump --jobs`` does), so they see exactly the
data the run's transaction sees, not a moment later.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from models import (
    Alert,
    AlertRule,
    AlertStatus,
    DailyReport,
    Product,
    ProductCategory,
    Region,
    RegionLevel,
    Store,
    ThresholdOverride,
)
from monitors.computing.frames import frame_of_rows
from monitors.computing.line_states import (
    REPORT_COLUMNS,
    forget_states,
    load_report_window_incremental,
)


def load_regions(session: Session) -> pd.DataFrame:
    """Every region with its district and city ancestors (``district_id``, ``city_id``)."""
    regions = frame_of_rows(
        session.execute(
            select(
                Region.id, Region.code, Region.parent_id, Region.level, Region.name, Region.name_zh
            )
        ),
        ["region_id", "code", "parent_id", "level", "name", "name_zh"],
    )
    if regions.empty:
        return regions.assign(
            district_id=pd.Series(dtype="Int64"), city_id=pd.Series(dtype="Int64")
        )
    regions["level"] = regions["level"].map(lambda level: getattr(level, "value", level))
    parent = dict(zip(regions["region_id"], regions["parent_id"], strict=True))
    level = dict(zip(regions["region_id"], regions["level"], strict=True))

    def ancestor(region_id: int, wanted: str) -> int | None:
        current: int | None = region_id
        for _ in range(16):  # the tree is shallow; the bound guards against a cycle
            if current is None or pd.isna(current):
                return None
            if level.get(current) == wanted:
                return int(current)
            current = parent.get(current)
        return None

    regions["district_id"] = pd.array(
        [ancestor(r, RegionLevel.district.value) for r in regions["region_id"]], dtype="Int64"
    )
    regions["city_id"] = pd.array(
        [ancestor(r, RegionLevel.city.value) for r in regions["region_id"]], dtype="Int64"
    )
    return regions


def load_stores(session: Session, regions: pd.DataFrame) -> pd.DataFrame:
    """Stores in id order with their district and city (a store sits in a township or
    district)."""
    stores = frame_of_rows(
        session.execute(
            select(Store.id, Store.code, Store.region_id, Store.active).order_by(Store.id)
        ),
        ["store_id", "code", "region_id", "active"],
    ).astype({"store_id": "int64", "region_id": "int64", "active": "bool"})
    ancestors = regions.set_index("region_id")[["district_id", "city_id"]]
    stores = stores.join(ancestors, on="region_id")
    # A store filed directly under a city has no district; it counts for the city only.
    stores["district_id"] = stores["district_id"].astype("Int64")
    stores["city_id"] = stores["city_id"].astype("Int64")
    return stores


def load_products(session: Session) -> pd.DataFrame:
    """Products with their names, category code and id, and weight per unit."""
    return frame_of_rows(
        session.execute(
            select(
                Product.id,
                Product.code,
                Product.name,
                Product.name_zh,
                ProductCategory.code,
                ProductCategory.id,
                Product.kg_per_unit,
                Product.active,
            ).join(ProductCategory, Product.category_id == ProductCategory.id)
        ),
        [
            "product_id",
            "code",
            "name",
            "name_zh",
            "category",
            "category_id",
            "kg_per_unit",
            "active",
        ],
    ).astype(
        {"product_id": "int64", "category_id": "int64", "kg_per_unit": "float64", "active": "bool"}
    )


@dataclass(frozen=True)
class RunInputs:
    """The report lines a run reads, in parts of consecutive stores (in store id order),
    the submissions, and how many connections read the lines (kept in the run's counts)."""

    report_parts: list[pd.DataFrame]
    submissions: pd.DataFrame
    report_connections: int
    read_counts: dict[str, int] = field(default_factory=dict)
    """Where an incremental read found the lines (``line_states``); empty for a full read."""

    @property
    def report_lines(self) -> int:
        return sum(len(part) for part in self.report_parts)


def load_run_inputs(
    session: Session,
    *,
    store_ids: np.ndarray,
    report_days: tuple[date, date],
    submission_days: tuple[date, date] | None,
    parts: int = 1,
    connections: int = 2,
    only_listed: bool = False,
    incremental: bool = False,
) -> RunInputs:
    """The report window in about ``parts`` parts of consecutive stores, and the
    submissions, read in parallel where that is safe. ``store_ids`` are the stores the
    run knows (lines of other stores are left out, as the computation ignores them).

    On PostgreSQL, ``connections`` extra connections that share the session's snapshot
    each read a share of the stores and turn it into frames on their own thread; when
    every store is read and the submission days lie in the window, the lines carry their
    ``created_at`` and the readers give the submissions too, else the session's own
    connection reads them meanwhile. It falls back to reading
    everything on the session's connection on SQLite, with ``connections`` below 2, and
    when the session's transaction has written anything or sits in a savepoint: a
    reader would not see those writes.

    ``only_listed``: keep the lines of exactly ``store_ids`` (one part of a fanned-out
    run; the reads take the id range between its lowest and highest store). No
    ``submission_days``: no submissions are read (an empty frame).

    ``incremental``: read each store's kept state and its changed days instead
    (``line_states``); stores without a state are read in full, on several connections
    as above when they are most of the stores. The states are written (flushed). It
    returns exactly the lines of ``store_ids``. Without it, the stores' states and their
    marks up to the last day are dropped (``forget_states``), so marks do not pile up.
    """
    first_day, last_day = report_days
    stores = np.sort(np.asarray(store_ids, dtype=np.int64))

    def only_these(frame: pd.DataFrame) -> pd.DataFrame:
        if not only_listed:
            return frame
        return frame[np.isin(frame["store_id"].to_numpy(), stores)].reset_index(drop=True)

    def submissions_read() -> pd.DataFrame:
        if submission_days is None:
            return _no_submissions()
        return load_submissions(session, first_day=submission_days[0], last_day=submission_days[1])

    if incremental:
        return _load_incrementally(
            session,
            stores=stores,
            report_days=report_days,
            submissions_read=submissions_read,
            parts=parts,
            connections=connections,
        )
    with _snapshot_readers(session, connections) as readers:
        if not readers:
            reports = only_these(
                load_report_window(session, first_day=first_day, last_day=last_day)
            )
            return RunInputs(
                report_parts=list(store_parts(reports, _highest_ids(stores, parts))),
                submissions=submissions_read(),
                report_connections=1,
                read_counts=forget_states(session, store_ids=stores, last_day=last_day),
            )
        shares = [share for share in np.array_split(stores, len(readers)) if len(share)]
        # Every store's lines of the submission days pass by anyway: their arrival times
        # ride along, instead of a third scan of the table competing with the readers.
        arrival_days = (
            submission_days
            if submission_days is not None
            and shares
            and not only_listed
            and first_day <= submission_days[0]
            and submission_days[1] <= last_day
            else None
        )

        def read(reader: Connection, share: np.ndarray) -> tuple[list[pd.DataFrame], pd.DataFrame]:
            blocks = _postgresql_report_blocks(
                reader,
                first_day=first_day,
                last_day=last_day,
                stores=(int(share[0]), int(share[-1])),
                arrivals=arrival_days is not None,
            )
            store_ids, records = _postgresql_lines(
                blocks,
                _POSTGRESQL_ARRIVAL_RECORD if arrival_days is not None else _POSTGRESQL_RECORD,
            )
            arrivals = (
                _first_arrivals(store_ids, records, first_day, arrival_days)
                if arrival_days is not None
                else _no_submissions()
            )
            frame = only_these(_report_frame(store_ids, records, first_day))
            return list(store_parts(frame, _highest_ids(share, parts // len(shares)))), arrivals

        # One part of the stores per reader (more, smaller queries measured slower);
        # each reader's lines arrive grouped by store, so its parts are slices.
        with ThreadPoolExecutor(max_workers=max(len(shares), 1)) as pool:
            reading = [pool.submit(read, *pair) for pair in zip(readers, shares, strict=False)]
            queried = submissions_read() if arrival_days is None else None
            report_parts: list[pd.DataFrame] = []
            arrivals: list[pd.DataFrame] = []
            for future in reading:
                share_parts, share_arrivals = future.result()
                report_parts.extend(share_parts)
                arrivals.append(share_arrivals)
        submissions = queried if queried is not None else pd.concat(arrivals, ignore_index=True)
    return RunInputs(
        report_parts=report_parts or [_report_frame(*_postgresql_lines([]), first_day)],
        submissions=submissions,
        report_connections=max(len(shares), 1),
        # After the readers are done: a write before them would end the shared snapshot.
        read_counts=forget_states(session, store_ids=stores, last_day=last_day),
    )


def _load_incrementally(
    session: Session,
    *,
    stores: np.ndarray,
    report_days: tuple[date, date],
    submissions_read: Callable[[], pd.DataFrame],
    parts: int,
    connections: int,
) -> RunInputs:
    first_day, last_day = report_days
    used = [1]

    def read_full() -> pd.DataFrame:
        # Called after the marks were read, so the readers' snapshot holds every line
        # a consumed mark stands for.
        with _snapshot_readers(session, connections) as readers:
            if not readers:
                return load_report_window(session, first_day=first_day, last_day=last_day)
            shares = [share for share in np.array_split(stores, len(readers)) if len(share)]
            used[0] = max(len(shares), 1)

            def read(reader: Connection, share: np.ndarray) -> pd.DataFrame:
                blocks = _postgresql_report_blocks(
                    reader,
                    first_day=first_day,
                    last_day=last_day,
                    stores=(int(share[0]), int(share[-1])),
                )
                return _report_frame(*_postgresql_lines(blocks), first_day)

            with ThreadPoolExecutor(max_workers=used[0]) as pool:
                frames = list(pool.map(read, readers, shares))
            return pd.concat(frames, ignore_index=True) if frames else _empty_window(first_day)

    def read_day(day: date, store_range: tuple[int, int]) -> pd.DataFrame:
        # Only the run's stores: a part of a fanned-out run must not read a nation's day.
        connection = session.connection()
        if connection.dialect.name != "postgresql":
            return load_report_window(session, first_day=day, last_day=day)
        blocks = _postgresql_report_blocks(
            connection, first_day=day, last_day=day, stores=store_range
        )
        return _report_frame(*_postgresql_lines(blocks), day)

    read = load_report_window_incremental(
        session,
        store_ids=stores,
        first_day=first_day,
        last_day=last_day,
        full_reader=read_full,
        day_reader=read_day,
    )
    return RunInputs(
        report_parts=list(store_parts(read.reports, _highest_ids(stores, parts))),
        submissions=submissions_read(),
        report_connections=used[0],
        read_counts=read.counts,
    )


def _empty_window(first_day: date) -> pd.DataFrame:
    return _report_frame(*_postgresql_lines([]), first_day)


def _highest_ids(stores: np.ndarray, parts: int) -> list[int]:
    """The highest id of each of up to ``parts`` runs of consecutive ``stores``."""
    return [int(run[-1]) for run in np.array_split(stores, max(parts, 1)) if len(run)]


def store_parts(reports: pd.DataFrame, highest: list[int]) -> Iterator[pd.DataFrame]:
    """The lines of ``reports`` in parts by store: part k holds stores with ids up to
    ``highest[k]`` (and above the previous part's); lines of stores above the last are
    left out. Lines grouped by store in id order are cut into slices (no copy)."""
    if not highest:
        yield reports
        return
    ids = reports["store_id"].to_numpy()
    if ids.size < 2 or bool((ids[1:] >= ids[:-1]).all()):
        start = 0
        for end in np.searchsorted(ids, highest, side="right"):
            yield reports.iloc[start:end]
            start = int(end)
        return
    lowest = None
    for high in highest:
        inside = ids <= high if lowest is None else (ids > lowest) & (ids <= high)
        yield reports[inside]
        lowest = high


def _postgresql_lines(
    stores: list[tuple[int, bytes]], record: np.dtype[np.void] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(store, block) pairs as the store id of every line and one record array (of
    ``record``, default the report fields); the blocks are let go once joined, so the
    lines are held twice at most."""
    record = _POSTGRESQL_RECORD if record is None else record
    store_ids = np.fromiter((store_id for store_id, _ in stores), dtype=np.int32, count=len(stores))
    counts = (
        np.fromiter((len(block) for _, block in stores), dtype=np.int64, count=len(stores))
        // record.itemsize
    )
    joined = b"".join([block for _, block in stores])
    stores.clear()
    return np.repeat(store_ids, counts), np.frombuffer(joined, dtype=record)


def _no_submissions() -> pd.DataFrame:
    """The submissions of a run that reads none."""
    return pd.DataFrame(columns=["store_id", "report_date", "first_received_at"])


_MICROSECONDS_1970_TO_2000 = 946_684_800_000_000


def _first_arrivals(
    store_ids: np.ndarray, records: np.ndarray, first_day: date, days: tuple[date, date]
) -> pd.DataFrame:
    """When each store's report for each of ``days`` first arrived, from lines read with
    their ``created_at``: the frame :func:`load_submissions` gives (in store, day order)."""
    lowest = (days[0] - first_day).days
    span = (days[1] - days[0]).days + 1
    day = records["day"].astype(np.int64) - lowest
    inside = (day >= 0) & (day < span)
    # Lines come grouped by store: a store's n-th block of lines is its position.
    change = store_ids[1:] != store_ids[:-1]
    starts = np.flatnonzero(np.r_[True, change])[: store_ids.size]
    block = np.cumsum(np.r_[False, change])[: store_ids.size]
    first = np.full(len(starts) * span, np.iinfo(np.int64).max)
    np.minimum.at(
        first, block[inside] * span + day[inside], records["created"][inside].astype(np.int64)
    )
    found = np.flatnonzero(first != np.iinfo(np.int64).max)
    stores = store_ids[starts][found // span].astype(np.int64)
    offsets = (found % span + lowest).astype("timedelta64[D]") + np.datetime64(first_day, "D")
    order = np.lexsort((offsets, stores))
    return pd.DataFrame(
        {
            "store_id": stores[order],
            "report_date": offsets[order].astype("datetime64[ns]"),
            "first_received_at": pd.to_datetime(
                first[found][order] + _MICROSECONDS_1970_TO_2000, unit="us", utc=True
            ),
        }
    )


_SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9A-F]+)?$")


@contextmanager
def _snapshot_readers(session: Session, count: int) -> Iterator[list[Connection]]:
    """``count`` connections that see what the session sees, or none where they cannot."""
    connection = session.connection()
    if (
        count < 2
        or connection.dialect.name != "postgresql"
        or connection.in_nested_transaction()
        or connection.scalar(text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL"))
    ):
        yield []
        return
    snapshot = str(connection.scalar(text("SELECT pg_export_snapshot()")))
    if not _SNAPSHOT_ID.match(snapshot):  # it is embedded in SQL below
        raise ValueError(f"unexpected snapshot id {snapshot!r}")
    with ExitStack() as stack:
        readers = []
        for _ in range(count):
            reader = stack.enter_context(connection.engine.connect())
            reader.execution_options(isolation_level="REPEATABLE READ")
            reader.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            readers.append(reader)
        yield readers


def load_report_window(session: Session, *, first_day: date, last_day: date) -> pd.DataFrame:
    """Report lines with ``first_day ≤ report_date ≤ last_day``, compactly typed, read on
    the session's own connection.

    The lines never pass through Python objects one by one (millions of them would
    take longer than the whole computation): PostgreSQL packs each store's lines
    into one binary block that numpy reads as it is; SQLite's cursor fills a typed
    numpy array directly. Dates travel as day offsets from ``first_day``.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        store_ids, records = _postgresql_lines(
            _postgresql_report_blocks(connection, first_day=first_day, last_day=last_day)
        )
    else:
        records = _sqlite_report_records(connection, first_day=first_day, last_day=last_day)
        store_ids = records["store_id"]
    return _report_frame(store_ids, records, first_day)


def _report_frame(store_ids: np.ndarray, records: np.ndarray, first_day: date) -> pd.DataFrame:
    days = records["day"].astype("timedelta64[D]") + np.datetime64(first_day, "D")
    return pd.DataFrame(
        {
            "store_id": store_ids.astype(np.int32, copy=False),
            "product_id": records["product_id"].astype(np.int32),
            "report_date": days.astype("datetime64[ns]"),
            "stock": records["stock"].astype(np.float64),
            "sales": records["sales"].astype(np.float64),
            "price": records["price"].astype(np.float64),
        },
        columns=REPORT_COLUMNS,
        copy=False,  # the columns are fresh; stacking them into blocks would copy 300 MB
    )


_REPORT_FIELDS = [
    ("product_id", "i4"),
    ("day", "i4"),
    ("stock", "f8"),
    ("sales", "f8"),
    ("price", "f8"),
]
# PostgreSQL's binary send functions write big-endian ("network order") values; a store's
# lines come as one block, so the store id is not repeated in each record.
_POSTGRESQL_RECORD = np.dtype([(name, ">" + kind) for name, kind in _REPORT_FIELDS])
# With ``arrivals``, each line also carries its ``created_at`` (microseconds since 2000).
_POSTGRESQL_ARRIVAL_RECORD = np.dtype(
    [(name, ">" + kind) for name, kind in [*_REPORT_FIELDS, ("created", "i8")]]
)
_SQLITE_RECORD = np.dtype(
    [("store_id", "=i4")] + [(name, "=" + kind) for name, kind in _REPORT_FIELDS]
)


def _postgresql_report_blocks(
    connection: Connection,
    *,
    first_day: date,
    last_day: date,
    stores: tuple[int, int] | None = None,
    arrivals: bool = False,
) -> list[tuple[int, bytes]]:
    """Each store's id and its lines as one ``bytea`` of fixed-width records (stores of
    the ``stores`` id range, both ends included, if given), fetched in binary: as text
    each byte would travel as two hex digits, coded by the server and decoded here. A
    plain query, so it also works inside a savepoint, unlike a server-side cursor.

    Product id and day go out as one int8 (high and low halves: in network order, the
    same bytes as two int4s): every function call and concatenation per line counts.
    ``arrivals``: each record also ends with the line's ``created_at``.
    """
    arrival = " || timestamptz_send(created_at)" if arrivals else ""
    query = (
        "SELECT store_id, string_agg(int8send((product_id::int8 << 32) "
        "| (report_date - %(first_day)s)) || float8send(stock) "
        f"|| float8send(sales) || float8send(price){arrival}, ''::bytea) "
        "FROM daily_reports WHERE report_date BETWEEN %(first_day)s AND %(last_day)s "
    )
    parameters: dict[str, Any] = {"first_day": first_day, "last_day": last_day}
    if stores is not None:
        query += "AND store_id BETWEEN %(lowest)s AND %(highest)s "
        parameters.update(lowest=stores[0], highest=stores[1])
    dbapi = connection.connection.driver_connection
    assert dbapi is not None
    with dbapi.cursor(binary=True) as cursor:
        # Streamed (single-row mode): libpq lets go of each store's block once it is
        # read, instead of holding the whole result beside these bytes.
        return [
            (int(store_id), block)
            for store_id, block in cursor.stream(query + "GROUP BY store_id", parameters)
        ]


def _sqlite_report_records(
    connection: Connection, *, first_day: date, last_day: date
) -> np.ndarray:
    """The cursor's rows straight into a typed array (no row objects, no frame of them)."""
    dbapi = connection.connection.driver_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        earliest, latest = cursor.execute(
            "SELECT min(report_date), max(report_date) FROM daily_reports"
        ).fetchone()
        # SQLite reads a window that covers most of the table three times faster by
        # scanning it than through the date index (one row lookup per line); "+" keeps
        # it off the index. A short window over a long history still uses the index.
        column = "report_date"
        if earliest is not None:
            held = (date.fromisoformat(latest) - date.fromisoformat(earliest)).days + 1
            wanted = (min(last_day, date.fromisoformat(latest)) - first_day).days + 1
            if wanted * 2 >= held:
                column = "+report_date"
        cursor.execute(
            "SELECT store_id, product_id, "
            "CAST(julianday(report_date) - julianday(?) AS INTEGER), stock, sales, price "
            f"FROM daily_reports WHERE {column} BETWEEN ? AND ?",
            (first_day.isoformat(), first_day.isoformat(), last_day.isoformat()),
        )
        return np.fromiter(cursor, dtype=_SQLITE_RECORD)
    finally:
        cursor.close()


def load_submissions(session: Session, *, first_day: date, last_day: date) -> pd.DataFrame:
    """When each store's report for each day first arrived (for on-time rates).

    On PostgreSQL days and instants travel as integers (day offset, microseconds since
    1970) and are converted column by column: as Python dates and datetimes the 90,000
    store-days of a province took most of a second of the run's only busy thread.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        dbapi = connection.connection.driver_connection
        assert dbapi is not None
        with dbapi.cursor(binary=True) as cursor:
            cursor.execute(
                "SELECT store_id, report_date - %(first_day)s, "
                "(extract(epoch FROM min(created_at)) * 1000000)::int8 "
                "FROM daily_reports WHERE report_date BETWEEN %(first_day)s AND %(last_day)s "
                "GROUP BY store_id, report_date",
                {"first_day": first_day, "last_day": last_day},
            )
            # Plain tuples: numpy probes every SQLAlchemy row for array attributes, and
            # each miss raises inside (six per row, seconds for a province).
            rows = cursor.fetchall()
        values = np.array(rows, dtype=np.int64).reshape(-1, 3)
        days = values[:, 1].astype("timedelta64[D]") + np.datetime64(first_day, "D")
        return pd.DataFrame(
            {
                "store_id": values[:, 0],
                "report_date": days.astype("datetime64[ns]"),
                "first_received_at": pd.to_datetime(values[:, 2], unit="us", utc=True),
            }
        )
    first_arrivals = session.execute(
        select(
            DailyReport.store_id,
            DailyReport.report_date,
            func.min(DailyReport.created_at),
        )
        .where(DailyReport.report_date.between(first_day, last_day))
        .group_by(DailyReport.store_id, DailyReport.report_date)
    )
    frame = frame_of_rows(first_arrivals, ["store_id", "report_date", "first_received_at"])
    frame["first_received_at"] = pd.to_datetime(frame["first_received_at"], utc=True)
    return frame


def load_threshold_overrides(
    session: Session,
) -> tuple[dict[str, dict[str, object]], dict[int, dict[str, object]]]:
    """Stored overrides as (by category code, by product id)."""
    by_category: dict[str, dict[str, object]] = {}
    by_product: dict[int, dict[str, object]] = {}
    category_codes = dict(session.execute(select(ProductCategory.id, ProductCategory.code)).all())
    for override in session.scalars(select(ThresholdOverride)):
        if override.product_id is not None:
            by_product[override.product_id] = dict(override.changes)
        elif override.category_id is not None:
            by_category[str(category_codes[override.category_id])] = dict(override.changes)
    return by_category, by_product


def window_start(business_date: date, days: int) -> date:
    """The first day of a ``days``-long window ending on ``business_date``."""
    return business_date - timedelta(days=days - 1)


def load_open_store_warnings(session: Session) -> pd.DataFrame:
    """``store_id, product_id`` of the store ``low_supply`` alerts open now: the memory the
    forecast's hysteresis keeps a warning with."""
    rows = session.execute(
        select(Alert.store_id, Alert.product_id).where(
            Alert.rule == AlertRule.low_supply,
            Alert.scope_level == "store",
            Alert.status != AlertStatus.resolved,
        )
    ).all()
    return frame_of_rows(rows, ["store_id", "product_id"])
