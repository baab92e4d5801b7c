"""Reading the report window incrementally: each store's kept state plus its marked days.

A full read of the window is every line of the last ``horizon_days`` days (84 M at
national size) although a day adds one day of lines and a few corrections. So a run
keeps, per store, the window it read as products × days matrices
(``monitor_line_states``), and next time shifts them to the new day and re-reads only
the store-days the report write path marked as changed (``report_changes``). The frame
it returns is the one a full read gives for those stores, sorted by store, product, day.

Marks are read before any line, and exactly the marks read are deleted: a mark committed
later (with lines this run may or may not have seen) stays for the next run, so no write
is ever lost to a race. Marks of days after the run's day stay too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from models import DailyReport, MonitorLineState, ReportChange, Store
from models.base import utc_now

REPORT_COLUMNS = ["store_id", "product_id", "report_date", "stock", "sales", "price"]
"""The columns of the window's frame, as ``inputs.load_report_window`` gives them."""

_CHUNK = 5_000
"""Ids per ``IN`` list: well below SQLite's parameter limit, few statements per run."""
_VALUES = ("stock", "sales", "price")

FullReader = Callable[[], pd.DataFrame]
"""Reads the whole window of every store (the run's fast full read)."""


@dataclass
class IncrementalRead:
    """The window's lines of the stores asked for, and where they came from (run counts)."""

    reports: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Lines:
    """One store's lines as matrices: sorted product ids × window days."""

    product_ids: np.ndarray
    values: dict[str, np.ndarray]

    @classmethod
    def empty(cls, days: int) -> _Lines:
        return cls(np.empty(0, dtype=np.int64), {name: np.empty((0, days)) for name in _VALUES})

    def with_products(self, product_ids: np.ndarray) -> _Lines:
        """The matrices with a row for each of ``product_ids`` too (new rows empty)."""
        wanted = np.union1d(self.product_ids, product_ids)
        if len(wanted) == len(self.product_ids):
            return self
        rows = np.searchsorted(wanted, self.product_ids)
        values = {}
        for name, matrix in self.values.items():
            grown = np.full((len(wanted), matrix.shape[1]), np.nan)
            grown[rows] = matrix
            values[name] = grown
        return _Lines(wanted, values)

    def without_empty_rows(self) -> _Lines:
        """Products with no line left in the window are dropped (stock is never NULL)."""
        kept = ~np.isnan(self.values["stock"]).all(axis=1)
        if kept.all():
            return self
        return _Lines(self.product_ids[kept], {name: m[kept] for name, m in self.values.items()})


def load_report_window_incremental(
    session: Session,
    *,
    store_ids: np.ndarray,
    first_day: date,
    last_day: date,
    full_reader: FullReader,
) -> IncrementalRead:
    """The lines of ``store_ids`` with ``first_day ≤ report_date ≤ last_day`` (as
    ``load_report_window`` gives them, sorted by store, product and day), read from each
    store's state and its marked days where it has a usable state; and the states brought
    up to ``last_day``. Flushes only.

    A store without a state (or with one of another window length) is read in full and
    its state built. A back-fill (``last_day`` before the state's day) is read in full
    and leaves the state and the marks alone. ``full_reader`` reads every store's window
    at once, used when most stores need a full read (the first run).
    """
    days = (last_day - first_day).days + 1
    stores = np.unique(np.asarray(store_ids, dtype=np.int64))
    marks = _read_marks(session, stores, last_day)  # before any line: see the module doc
    states = _read_states(session, stores)
    usable = {
        store
        for store, state in states.items()
        if state.days == days and state.through_date <= last_day
    }
    back_filled = {store for store, state in states.items() if state.through_date > last_day}
    in_full = np.asarray([store for store in stores.tolist() if store not in usable], np.int64)
    full = _read_full(session, in_full, (first_day, last_day), stores, full_reader)

    marked = marks[marks["store_id"].isin(usable) & (marks["report_date"] >= first_day)]
    reread = _read_marked_days(session, marked, first_day)
    lines: dict[int, _Lines] = {}
    changed: set[int] = set()  # states moved or corrected; the rest stay as stored
    for store, state, store_marks, store_lines in _usable_states(states, usable, marked, reread):
        lines[store] = _updated(state, store_marks, store_lines, first_day, last_day)
        if store_marks or state.through_date != last_day:
            changed.add(store)
    from_states = _lines_frame(lines, first_day)

    kept = set(usable) | (set(in_full.tolist()) - back_filled)
    built = kept - usable
    full_lines = {store: _Lines.empty(days) for store in built}  # no lines is a state too
    full_lines.update(_matrices_of(full[full["store_id"].isin(built)], first_day, days))
    _write_states(
        session, {**{store: lines[store] for store in changed}, **full_lines}, last_day, days
    )
    consumed = marks.loc[marks["store_id"].isin(kept), "id"].to_numpy()
    _delete_marks(session, consumed)

    reports = _sorted_by_store(pd.concat([from_states, full], ignore_index=True))
    return IncrementalRead(
        reports=reports,
        counts={
            "states_used": len(usable),
            "stores_read_in_full": len(in_full),
            "lines_read": len(reread) + len(full),
            "lines_read_from_marks": len(reread),
            "lines_read_in_full": len(full),
            "lines_from_states": len(from_states) - len(reread),
            "marks_consumed": len(consumed),
            "states_written": len(changed) + len(full_lines),
        },
    )


def forget_states(session: Session, *, store_ids: np.ndarray, last_day: date) -> dict[str, int]:
    """After a run that read the window in full: drop the stores' states and their marks
    up to ``last_day``. Those states no longer follow the reports once their marks stop
    being consumed, and without this the marks of a service that runs with incremental
    reads off grow with every write. A store without a state is read in full by the next
    incremental run, so no mark is needed for it. Flushes only."""
    stores = np.unique(np.asarray(store_ids, dtype=np.int64))
    states = marks = 0
    for chunk in _chunks(stores):
        states += _deleted(
            session.execute(delete(MonitorLineState).where(MonitorLineState.store_id.in_(chunk)))
        )
        marks += _deleted(
            session.execute(
                delete(ReportChange).where(
                    ReportChange.store_id.in_(chunk), ReportChange.report_date <= last_day
                )
            )
        )
    session.flush()
    return {"states_forgotten": states, "marks_forgotten": marks}


def _deleted(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _chunks(ids: np.ndarray) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK].tolist()


def _read_marks(session: Session, stores: np.ndarray, last_day: date) -> pd.DataFrame:
    """``id, store_id, report_date`` of the stores' marks up to ``last_day``."""
    rows = [
        row
        for chunk in _chunks(stores)
        for row in session.execute(
            select(ReportChange.id, ReportChange.store_id, ReportChange.report_date).where(
                ReportChange.store_id.in_(chunk), ReportChange.report_date <= last_day
            )
        )
    ]
    return pd.DataFrame(
        [tuple(row) for row in rows], columns=["id", "store_id", "report_date"]
    ).astype({"id": "int64", "store_id": "int64"})


class _State(NamedTuple):
    """A stored state as read (plain rows: no ORM objects that a later read would reuse)."""

    store_id: int
    through_date: date
    days: int
    product_ids: bytes
    stock: bytes
    sales: bytes
    price: bytes


def _read_states(session: Session, stores: np.ndarray) -> dict[int, _State]:
    table = MonitorLineState
    return {
        row[0]: _State(*row)
        for chunk in _chunks(stores)
        for row in session.execute(
            select(
                table.store_id,
                table.through_date,
                table.days,
                table.product_ids,
                table.stock,
                table.sales,
                table.price,
            ).where(table.store_id.in_(chunk))
        )
    }


def _read_full(
    session: Session,
    in_full: np.ndarray,
    window: tuple[date, date],
    stores: np.ndarray,
    full_reader: FullReader,
) -> pd.DataFrame:
    """The whole window of the ``in_full`` stores, sorted by store, product and day:
    through the run's full read when they are most of the stores, else by store id."""
    first_day, last_day = window
    if not len(in_full):
        empty = np.empty(0, np.int64)
        return _frame(empty, empty, empty, {}, first_day)
    if len(in_full) * 2 >= len(stores):
        frame = full_reader()
        frame = frame[frame["store_id"].isin(in_full)]
    else:
        frame = _select_lines(
            session,
            (
                [
                    DailyReport.report_date.between(first_day, last_day),
                    DailyReport.store_id.in_(chunk),
                ]
                for chunk in _chunks(in_full)
            ),
        )
    return _sorted_lines(frame)


def _select_lines(session: Session, filters: Iterator[list[object]]) -> pd.DataFrame:
    """Report lines of each set of ``filters`` (few stores or store-days: plain rows)."""
    rows = [
        tuple(row)
        for where in filters
        for row in session.execute(
            select(
                DailyReport.store_id,
                DailyReport.product_id,
                DailyReport.report_date,
                DailyReport.stock,
                DailyReport.sales,
                DailyReport.price,
            ).where(*where)  # type: ignore[arg-type]
        )
    ]
    frame = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    return frame.astype(
        {
            "store_id": np.int32,
            "product_id": np.int32,
            "report_date": "datetime64[ns]",
            "stock": np.float64,
            "sales": np.float64,
            "price": np.float64,
        }
    )


def _sorted_lines(frame: pd.DataFrame) -> pd.DataFrame:
    order = np.lexsort(
        (
            frame["report_date"].to_numpy(),
            frame["product_id"].to_numpy(),
            frame["store_id"].to_numpy(),
        )
    )
    return frame.iloc[order].reset_index(drop=True)


def _sorted_by_store(frame: pd.DataFrame) -> pd.DataFrame:
    """Stores in id order, each store's lines kept in their order (two sorted runs)."""
    order = np.argsort(frame["store_id"].to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def _read_marked_days(session: Session, marked: pd.DataFrame, first_day: date) -> pd.DataFrame:
    """The lines of the marked store-days now, one query per day and chunk of stores
    (through the unique index on store, day, product)."""
    pairs = marked[["store_id", "report_date"]].drop_duplicates()
    frame = _select_lines(
        session,
        (
            [DailyReport.report_date == day, DailyReport.store_id.in_(chunk)]
            for day, group in pairs.groupby("report_date")
            for chunk in _chunks(np.sort(group["store_id"].to_numpy()))
        ),
    )
    return frame


def _usable_states(
    states: dict[int, _State],
    usable: set[int],
    marked: pd.DataFrame,
    reread: pd.DataFrame,
) -> Iterator[tuple[int, _State, list[date], pd.DataFrame]]:
    """Each usable state in store order with its marked days and their lines now."""
    days_of = marked.groupby("store_id")["report_date"].agg(lambda days: sorted(set(days)))
    lines_of = dict(tuple(reread.groupby("store_id"))) if len(reread) else {}
    for store in sorted(usable):
        yield (
            store,
            states[store],
            list(days_of.get(store, [])),
            lines_of.get(store, reread.iloc[:0]),
        )


def _updated(
    state: _State,
    marked_days: list[date],
    lines: pd.DataFrame,
    first_day: date,
    last_day: date,
) -> _Lines:
    """A store's state shifted to end on ``last_day``, its marked days read anew."""
    days = state.days
    product_ids = np.frombuffer(state.product_ids, dtype=np.int64)
    shift = (last_day - state.through_date).days
    values = {}
    for name in _VALUES:
        old = np.frombuffer(getattr(state, name), dtype=np.float64).reshape(-1, days)
        matrix = np.full(old.shape, np.nan)
        if shift < days:
            matrix[:, : days - shift] = old[:, shift:]
        values[name] = matrix
    current = _Lines(product_ids.copy(), values)
    if marked_days:
        columns = [(day - first_day).days for day in marked_days]
        for matrix in current.values.values():
            matrix[:, columns] = np.nan  # a line gone from a marked day is no line
        current = current.with_products(lines["product_id"].to_numpy(np.int64))
        rows = np.searchsorted(current.product_ids, lines["product_id"].to_numpy(np.int64))
        columns_of_lines = (
            lines["report_date"].to_numpy("datetime64[D]") - np.datetime64(first_day, "D")
        ).astype(np.int64)
        for name in _VALUES:
            current.values[name][rows, columns_of_lines] = lines[name].to_numpy(np.float64)
    return current.without_empty_rows()


def _matrices_of(frame: pd.DataFrame, first_day: date, days: int) -> dict[int, _Lines]:
    """Each store's lines of ``frame`` (sorted by store) as matrices."""
    result: dict[int, _Lines] = {}
    store_ids = frame["store_id"].to_numpy()
    bounds = np.flatnonzero(np.diff(store_ids)) + 1
    for part in np.split(np.arange(len(frame)), bounds) if len(frame) else []:
        lines = frame.iloc[part]
        product_ids = np.unique(lines["product_id"].to_numpy(np.int64))
        rows = np.searchsorted(product_ids, lines["product_id"].to_numpy(np.int64))
        columns = (
            lines["report_date"].to_numpy("datetime64[D]") - np.datetime64(first_day, "D")
        ).astype(np.int64)
        values = {}
        for name in _VALUES:
            matrix = np.full((len(product_ids), days), np.nan)
            matrix[rows, columns] = lines[name].to_numpy(np.float64)
            values[name] = matrix
        result[int(store_ids[part[0]])] = _Lines(product_ids, values)
    return result


def _lines_frame(lines: dict[int, _Lines], first_day: date) -> pd.DataFrame:
    """The lines the matrices hold, by store, product and day (as a full read gives them
    once sorted)."""
    stores, products, offsets = [], [], []
    values: dict[str, list[np.ndarray]] = {name: [] for name in _VALUES}
    for store in sorted(lines):
        store_lines = lines[store]
        rows, columns = np.nonzero(~np.isnan(store_lines.values["stock"]))
        stores.append(np.full(len(rows), store, dtype=np.int64))
        products.append(store_lines.product_ids[rows])
        offsets.append(columns)
        for name in _VALUES:
            values[name].append(store_lines.values[name][rows, columns])
    if not stores:
        empty = np.empty(0, np.int64)
        return _frame(empty, empty, empty, {}, first_day)
    return _frame(
        np.concatenate(stores),
        np.concatenate(products),
        np.concatenate(offsets),
        {name: np.concatenate(parts) for name, parts in values.items()},
        first_day,
    )


def _frame(
    stores: np.ndarray,
    products: np.ndarray,
    offsets: np.ndarray,
    values: dict[str, np.ndarray],
    first_day: date,
) -> pd.DataFrame:
    dates = offsets.astype("timedelta64[D]") + np.datetime64(first_day, "D")
    return pd.DataFrame(
        {
            "store_id": stores.astype(np.int32),
            "product_id": products.astype(np.int32),
            "report_date": dates.astype("datetime64[ns]"),
            **{name: values.get(name, np.empty(0)).astype(np.float64) for name in _VALUES},
        },
        columns=REPORT_COLUMNS,
    )


def _write_states(session: Session, lines: dict[int, _Lines], last_day: date, days: int) -> None:
    """Replace the stores' states with ``lines`` as of ``last_day``."""
    ids = np.asarray(sorted(lines), dtype=np.int64)
    regions = {
        store: region
        for chunk in _chunks(ids)
        for store, region in session.execute(
            select(Store.id, Store.region_id).where(Store.id.in_(chunk))
        )
    }
    for chunk in _chunks(ids):
        session.execute(delete(MonitorLineState).where(MonitorLineState.store_id.in_(chunk)))
    now = utc_now()
    rows = [
        {
            "store_id": store,
            "region_id": regions[store],
            "through_date": last_day,
            "days": days,
            "product_ids": lines[store].product_ids.astype(np.int64).tobytes(),
            **{name: np.ascontiguousarray(lines[store].values[name]).tobytes() for name in _VALUES},
            "updated_at": now,
        }
        for store in ids.tolist()
    ]
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(MonitorLineState), rows[start : start + _CHUNK])
    session.flush()


def _delete_marks(session: Session, ids: np.ndarray) -> None:
    for chunk in _chunks(np.sort(ids)):
        session.execute(delete(ReportChange).where(ReportChange.id.in_(chunk)))
