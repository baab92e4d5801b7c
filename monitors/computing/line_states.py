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
from typing import NamedTuple, cast

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
DayReader = Callable[[date, tuple[int, int]], pd.DataFrame]
"""Reads one day's lines of the stores with ids in a range, both ends included (the full
read's fast path, for one day; it may give other stores' lines too)."""


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


@dataclass
class _Block:
    """Many stores' lines as one set of matrices, so a province's states are shifted,
    corrected and read out with a few array operations instead of a loop over stores: a
    row per store × product, sorted by store then product, a column per window day."""

    store_ids: np.ndarray
    product_ids: np.ndarray
    values: dict[str, np.ndarray]

    def keys(self) -> np.ndarray:
        return _line_keys(self.store_ids, self.product_ids)

    def lines(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Store, product, day offset and values of every line held, by store, product
        and day (stock is never NULL, so a line is a cell with stock)."""
        rows, columns = np.nonzero(~np.isnan(self.values["stock"]))
        return (
            self.store_ids[rows],
            self.product_ids[rows],
            columns,
            {name: matrix[rows, columns] for name, matrix in self.values.items()},
        )

    def without_empty_rows(self) -> _Block:
        """Products with no line left in the window are dropped."""
        kept = ~np.isnan(self.values["stock"]).all(axis=1)
        if kept.all():
            return self
        return _Block(
            self.store_ids[kept],
            self.product_ids[kept],
            {name: matrix[kept] for name, matrix in self.values.items()},
        )

    def by_store(self, chosen: set[int], days: int) -> dict[int, _Lines]:
        """Each chosen store's rows (views), empty for a store with none."""
        starts = np.flatnonzero(np.diff(self.store_ids, prepend=-1)).tolist()
        ends = [*starts[1:], len(self.store_ids)] if starts else []
        found = {
            int(self.store_ids[start]): _Lines(
                self.product_ids[start:end],
                {name: matrix[start:end] for name, matrix in self.values.items()},
            )
            for start, end in zip(starts, ends, strict=True)
            if int(self.store_ids[start]) in chosen
        }
        return found | {store: _Lines.empty(days) for store in chosen - found.keys()}


def _line_keys(store_ids: np.ndarray, product_ids: np.ndarray) -> np.ndarray:
    """One sortable int64 per store × product (ids are 32-bit)."""
    return (store_ids.astype(np.int64) << 32) | product_ids.astype(np.int64)


def _day_offsets(lines: pd.DataFrame, first_day: date) -> np.ndarray:
    days = lines["report_date"].to_numpy("datetime64[D]") - np.datetime64(first_day, "D")
    return days.astype(np.int64)


def _block_of_states(states: list[_State], last_day: date, days: int) -> _Block:
    """The stores' states (in store order) shifted to end on ``last_day``."""
    counts = [len(state.product_ids) // 8 for state in states]
    store_ids = np.repeat(np.asarray([state.store_id for state in states], np.int64), counts)
    shifts = np.repeat(
        np.asarray([(last_day - state.through_date).days for state in states], np.int64), counts
    )
    values = {}
    for name in _VALUES:
        stored = b"".join(getattr(state, name) for state in states)
        old = np.frombuffer(stored, dtype=np.float64).reshape(-1, days)
        matrix = np.full(old.shape, np.nan)
        for shift in np.unique(shifts).tolist():
            if shift < days:
                rows = slice(None) if len(counts) and (shifts == shift).all() else shifts == shift
                matrix[rows, : days - shift] = old[rows, shift:]
        values[name] = matrix
    product_ids = np.frombuffer(b"".join(state.product_ids for state in states), dtype=np.int64)
    return _Block(store_ids, product_ids, values)


def _with_marked_days(
    block: _Block, marked: pd.DataFrame, lines: pd.DataFrame, first_day: date
) -> _Block:
    """The block with its stores' marked days read anew: each marked day emptied (a line
    gone from it is no line), then the day's lines now put in, a new product as a new row."""
    if not len(marked):
        return block.without_empty_rows()
    days = block.values["stock"].shape[1]
    marked_stores = marked["store_id"].to_numpy(np.int64)
    stores = np.unique(marked_stores)
    emptied = np.zeros((len(stores), days), dtype=bool)
    emptied[np.searchsorted(stores, marked_stores), _day_offsets(marked, first_day)] = True
    position = np.minimum(np.searchsorted(stores, block.store_ids), len(stores) - 1)
    touched = stores[position] == block.store_ids
    cells = np.zeros(block.values["stock"].shape, dtype=bool)
    cells[touched] = emptied[position[touched]]
    for matrix in block.values.values():
        matrix[cells] = np.nan

    keys = block.keys()
    line_keys = _line_keys(lines["store_id"].to_numpy(), lines["product_id"].to_numpy())
    added = np.setdiff1d(line_keys, keys)
    if added.size:
        keys = np.concatenate([keys, added])
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        blank = np.full((added.size, days), np.nan)
        block = _Block(
            keys >> 32,
            keys & 0xFFFFFFFF,
            {name: np.concatenate([matrix, blank])[order] for name, matrix in block.values.items()},
        )
    rows, columns = np.searchsorted(keys, line_keys), _day_offsets(lines, first_day)
    for name in _VALUES:
        block.values[name][rows, columns] = lines[name].to_numpy(np.float64)
    return block.without_empty_rows()


def _block_of_lines(frame: pd.DataFrame, first_day: date, days: int) -> _Block:
    """The lines of ``frame`` as a block (a state built from a full read)."""
    keys, rows = np.unique(
        _line_keys(frame["store_id"].to_numpy(), frame["product_id"].to_numpy()),
        return_inverse=True,
    )
    columns = _day_offsets(frame, first_day)
    values = {}
    for name in _VALUES:
        matrix = np.full((len(keys), days), np.nan)
        matrix[rows, columns] = frame[name].to_numpy(np.float64)
        values[name] = matrix
    return _Block(keys >> 32, keys & 0xFFFFFFFF, values)


def load_report_window_incremental(
    session: Session,
    *,
    store_ids: np.ndarray,
    first_day: date,
    last_day: date,
    full_reader: FullReader,
    day_reader: DayReader | None = None,
) -> IncrementalRead:
    """The lines of ``store_ids`` with ``first_day ≤ report_date ≤ last_day`` (as
    ``load_report_window`` gives them, sorted by store, product and day), read from each
    store's state and its marked days where it has a usable state; and the states brought
    up to ``last_day``. Flushes only.

    A store without a state (or with one of another window length) is read in full and
    its state built. A back-fill (``last_day`` before the state's day) is read in full
    and leaves the state and the marks alone. ``full_reader`` reads every store's window
    at once, used when most stores need a full read (the first run); ``day_reader`` a
    day's lines of the stores in an id range, used for a day marked by most stores (the
    day a run is for: every store posted), where reading the marked store-days one by
    one would turn each line into a Python row.
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
    reread = _read_marked_days(session, marked, day_reader, len(stores))
    ordered = [states[store] for store in sorted(usable)]
    block = _block_of_states(ordered, last_day, days)
    block = _with_marked_days(block, marked, reread, first_day)
    moved = {state.store_id for state in ordered if state.through_date != last_day}
    changed = moved | set(marked["store_id"].tolist())  # the rest stay as stored
    lines = block.by_store(changed, days)
    from_states = _frame(*block.lines(), first_day)

    kept = set(usable) | (set(in_full.tolist()) - back_filled)
    built = kept - usable
    built_from = full[full["store_id"].isin(built)]
    full_lines = _block_of_lines(built_from, first_day, days).by_store(built, days)
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


def _read_marked_days(
    session: Session, marked: pd.DataFrame, day_reader: DayReader | None, stores: int
) -> pd.DataFrame:
    """The lines of the marked store-days now: a day marked by at least half of the
    ``stores``, whose ids are dense, through ``day_reader``; the others one query per day
    and chunk of stores (through the unique index on store, day, product)."""
    pairs = marked[["store_id", "report_date"]].drop_duplicates()
    frames: list[pd.DataFrame] = []
    filters: list[list[object]] = []
    for day, group in pairs.groupby("report_date"):
        chosen = np.sort(group["store_id"].to_numpy())
        low, high = (int(chosen[0]), int(chosen[-1])) if len(chosen) else (0, -1)
        # Only where the stores' ids are dense: a part of a fanned-out run holds whole
        # districts whose ids interleave with others', and its id range would take in
        # most of a nation's day (measured: bench/national.py's parts 25 % slower).
        dense = (high - low + 1) <= 2 * len(chosen)
        if day_reader is not None and dense and len(chosen) * 2 >= max(stores, 2):
            lines = day_reader(cast(date, day), (low, high))
            frames.append(lines[lines["store_id"].isin(chosen)])
        else:
            filters.extend(
                [DailyReport.report_date == day, DailyReport.store_id.in_(chunk)]
                for chunk in _chunks(chosen)
            )
    return pd.concat([_select_lines(session, iter(filters)), *frames], ignore_index=True)


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
