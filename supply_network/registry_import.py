"""Importing a registry file (CSV or XLSX, one row per producer x product): every row is
checked first, each bad cell reported by row and column, and nothing is stored unless the
whole file is good.

A producer named in the file gets the file's fields and exactly the file's product
lines; producers not in the file are left alone. Checks run on whole columns (a county's
registry has thousands of rows).

Staff bound to a region import only inside it: a region outside it is an unknown region,
and a code held by a producer outside it is a taken code, each named by row and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, not_, select, update
from sqlalchemy.orm import Session

from core.access import Principal, require_role, within_region
from core.database import SessionFactory, mark_read_only
from core.errors import Conflict, InvalidInput
from core.tables import CellProblem, cells, read_table, refusal_summary
from core.text import echoed, is_blank, phrase, row_list
from models import Producer, ProducerKind, ProducerProduct, Region, Role
from supply_network.codes import product_ids_by_code
from supply_network.registry import MAX_LEAD_TIME_DAYS, withdraw_offers_of_dropped_products
from supply_network.rules import BoardLimits

REQUIRED_COLUMNS = (
    "code",
    "name",
    "kind",
    "region",
    "latitude",
    "longitude",
    "product",
    "daily_capacity",
)
OPTIONAL_COLUMNS = ("address", "contact_name", "contact_phone", "lead_time_days", "minimum_lot")
PRODUCER_FIELDS = (
    "name",
    "kind",
    "region",
    "latitude",
    "longitude",
    "address",
    "contact_name",
    "contact_phone",
)
"""Columns that describe the producer, so every row of one producer must agree on them."""
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
NOT_ONE_LINE = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
"""Control characters, line or paragraph separators (Unicode's Cc, Zl and Zp) and the
marks that reorder the text after them (``core.text.BIDI_CONTROLS``)."""
TEXT_LIMITS = {"name": 200, "address": 300, "contact_name": 200, "contact_phone": 64}


@dataclass(frozen=True)
class RegistryImport:
    """What an import did: rows read, producers added, changed and unchanged, and the
    product lines the imported producers now have."""

    rows: int
    inserted: int
    updated: int
    unchanged: int
    product_lines: int
    offers_withdrawn: int
    """Open offers of products the file no longer lists for their producer."""


def _numbers(
    frame: pd.DataFrame, column: str, *, required: bool
) -> tuple[pd.Series, list[CellProblem]]:
    """A column as floats (NaN where empty), and its cells that are not numbers."""
    text = frame[column]
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    problems = cells(frame.index[(text != "") & values.isna()], column, phrase("not a number"))
    if required:
        problems += cells(frame.index[text == ""], column, phrase("is required"))
    problems += cells(
        frame.index[values.notna() & ~np.isfinite(values.fillna(0))],
        column,
        phrase("must be a finite number"),
    )
    return values, problems


def check_registry_rows(
    frame: pd.DataFrame,
    *,
    region_ids: dict[str, int],
    product_ids: dict[str, int],
    limits: BoardLimits,
    taken_codes: frozenset[str] = frozenset(),
) -> tuple[pd.DataFrame, list[CellProblem]]:
    """The rows with typed columns (``region_id``, ``product_id``, numbers), and every
    bad cell, by row then column; ``taken_codes`` are producers the caller may not change
    (outside its region)."""
    problems: list[CellProblem] = []
    taken = frame["code"].isin(sorted(taken_codes))
    problems += [
        CellProblem(
            int(row),
            "code",
            phrase(
                "{label} code {code!r} is already taken",
                label=phrase("producer"),
                code=echoed(code),
            ),
        )
        for row, code in zip(
            frame.index[taken].tolist(), frame.loc[taken, "code"].tolist(), strict=True
        )
    ]
    for column in ("code", "name", "kind", "region", "product"):
        blank = frame[column].map(is_blank)  # "" and only invisible marks alike
        problems += cells(frame.index[blank], column, phrase("is required"))
    bad_code = (frame["code"] != "") & ~frame["code"].str.match(CODE.pattern)
    problems += cells(
        frame.index[bad_code], "code", phrase("must be letters, digits, '.', '_' or '-'")
    )
    # A name, an address or a contact prints on one line of pages, tables and PDFs, as
    # the API's do.
    for column in ("name", "address", "contact_name", "contact_phone"):
        broken = frame[column].str.contains(NOT_ONE_LINE, regex=True)
        problems += cells(
            frame.index[broken], column, phrase("must be one line without control characters")
        )
    for column, limit in TEXT_LIMITS.items():
        too_long = frame[column].str.len() > limit
        problems += cells(
            frame.index[too_long], column, phrase("at most {limit} characters", limit=limit)
        )
    kinds = {kind.value for kind in ProducerKind}
    bad_kind = (frame["kind"] != "") & ~frame["kind"].isin(kinds)
    problems += [
        CellProblem(
            int(row),
            "kind",
            phrase(
                "unknown kind {kind!r} (known: {known})",
                kind=echoed(kind),
                known=", ".join(sorted(kinds)),
            ),
        )
        for row, kind in zip(
            frame.index[bad_kind].tolist(), frame.loc[bad_kind, "kind"].tolist(), strict=True
        )
    ]
    for column, known, kind in (
        ("region", region_ids, "region"),
        ("product", product_ids, "product"),
    ):
        unknown = (frame[column] != "") & ~frame[column].isin(list(known))
        problems += [
            CellProblem(
                int(row),
                column,
                phrase("unknown {kind} {code!r}", kind=phrase(kind), code=echoed(code)),
            )
            for row, code in zip(
                frame.index[unknown].tolist(), frame.loc[unknown, column].tolist(), strict=True
            )
        ]
    typed = frame.copy()
    for column, low, high, required in (
        ("latitude", -90.0, 90.0, True),
        ("longitude", -180.0, 180.0, True),
        ("daily_capacity", None, limits.max_quantity, True),
        ("lead_time_days", 0.0, float(MAX_LEAD_TIME_DAYS), False),
        ("minimum_lot", 0.0, limits.max_quantity, False),
    ):
        values, found = _numbers(frame, column, required=required)
        problems += found
        if low is None:
            problems += cells(
                frame.index[values.notna() & (values <= 0)],
                column,
                phrase("must be greater than 0"),
            )
        else:
            problems += cells(
                frame.index[values < low], column, phrase("must be at least {low:g}", low=low)
            )
        problems += cells(
            frame.index[values > high], column, phrase("must be at most {high:g}", high=high)
        )
        typed[column] = values
    lead = typed["lead_time_days"]
    problems += cells(
        frame.index[lead.notna() & (lead != lead.round())],
        "lead_time_days",
        phrase("must be a whole number of days"),
    )
    problems += _repeated_products(frame)
    problems += _disagreeing_rows(frame)
    typed["region_id"] = frame["region"].map(region_ids)
    typed["product_id"] = frame["product"].map(product_ids)
    problems.sort(key=lambda problem: (problem.row, list(frame.columns).index(problem.column)))
    return typed, problems


def _repeated_products(frame: pd.DataFrame) -> list[CellProblem]:
    """A product listed twice for one producer: which line counts would be a guess."""
    keyed = frame[(frame["code"] != "") & (frame["product"] != "")]
    repeated = keyed[keyed.duplicated(["code", "product"], keep=False)]
    problems = []
    for _, rows in repeated.groupby(["code", "product"]).groups.items():
        problems += cells(
            rows[1:],
            "product",
            phrase("appears more than once ({rows})", rows=row_list(rows.tolist())),
        )
    return problems


def _disagreeing_rows(frame: pd.DataFrame) -> list[CellProblem]:
    """Rows of one producer that describe it differently from its first row."""
    keyed = frame[frame["code"] != ""]
    first = keyed.groupby("code")[list(PRODUCER_FIELDS)].transform("first")
    first_row = keyed.index.to_series().groupby(keyed["code"]).transform("first")
    problems = []
    for column in PRODUCER_FIELDS:
        differs = keyed[column] != first[column]
        problems += [
            CellProblem(
                int(row),
                column,
                phrase("differs from row {first} of the same producer", first=int(first_row[row])),
            )
            for row in keyed.index[differs]
        ]
    return problems


def _optional_text(value: str) -> str | None:
    """An empty cell as None."""
    return value or None


@dataclass(frozen=True)
class RegistryCodes:
    """The region and product codes a registry file is checked against."""

    region_ids: dict[str, int]
    product_ids: dict[str, int]


def registry_codes(session: Session, principal: Principal) -> RegistryCodes:
    """Every region's (inside the caller's, when bound to one) and product's id by code
    (two small tables)."""
    return RegistryCodes(
        region_ids={
            str(code): int(ident)
            for code, ident in session.execute(
                select(Region.code, Region.id).where(within_region(principal, Region.id))
            )
        },
        product_ids=product_ids_by_code(session),
    )


def taken_codes(session: Session, principal: Principal, codes: list[str]) -> frozenset[str]:
    """Which of ``codes`` name producers outside a region-bound caller's region (none for
    national staff): a file may not overwrite a neighbour's producer."""
    if not principal.is_region_bound or not codes:
        return frozenset()
    outside = select(Producer.code).where(
        Producer.code.in_(codes), not_(within_region(principal, Producer.region_id))
    )
    return frozenset(str(code) for code in session.scalars(outside))


def import_registry_file(
    *,
    session: Session,
    principal: Principal,
    data: bytes,
    filename: str | None,
    limits: BoardLimits,
    max_rows: int,
    max_listed_errors: int,
    read_in: SessionFactory | None = None,
) -> RegistryImport:
    """Add or update every producer of a registry file, or none; the bureau's.

    With ``read_in`` the regions and products are read in a short read-only transaction
    of their own and the file is parsed and checked outside any transaction, so a
    county's registry holds no write lock while it is checked; ``session`` then re-reads
    them and writes only if they are unchanged (409 and nothing stored otherwise)."""
    require_role(principal, Role.bureau)
    frame = read_table(
        data,
        filename=filename,
        required=REQUIRED_COLUMNS,
        optional=OPTIONAL_COLUMNS,
        max_rows=max_rows,
    )
    file_codes = sorted(set(frame["code"].tolist()) - {""})
    if read_in is None:
        codes = registry_codes(session, principal)
        taken = taken_codes(session, principal, file_codes)
    else:
        with read_in() as reading:
            mark_read_only(reading)
            codes = registry_codes(reading, principal)
            taken = taken_codes(reading, principal, file_codes)
    rows, problems = check_registry_rows(
        frame,
        region_ids=codes.region_ids,
        product_ids=codes.product_ids,
        limits=limits,
        taken_codes=taken,
    )
    if problems:
        raise InvalidInput(
            refusal_summary(problems),
            errors=[problem.as_problem() for problem in problems[:max_listed_errors]],
            extra={
                "error_count": len(problems),
                "rows_with_errors": len({problem.row for problem in problems}),
            },
        )
    if read_in is not None and (
        registry_codes(session, principal) != codes
        or taken_codes(session, principal, file_codes) != taken
    ):
        raise Conflict(
            "regions or products changed while the registry file was checked; "
            "nothing was stored, import it again"
        )
    return _store(session, rows, actor=principal.label)


def _producer_record(row: Any) -> dict[str, Any]:
    """A checked row's producer fields as the table stores them."""
    return {
        "code": row["code"],
        "name": row["name"],
        "kind": ProducerKind(row["kind"]),
        "region_id": int(row["region_id"]),
        "latitude": float(row["latitude"]),
        "longitude": float(row["longitude"]),
        "address": _optional_text(row["address"]),
        "contact_name": _optional_text(row["contact_name"]),
        "contact_phone": _optional_text(row["contact_phone"]),
    }


def _store(session: Session, rows: pd.DataFrame, *, actor: str) -> RegistryImport:
    """Write checked rows set-based: new producers inserted, known ones updated where
    they changed, and the imported producers' product lines replaced."""
    producers = rows.drop_duplicates("code")
    records = {row["code"]: _producer_record(row) for row in producers.to_dict("records")}
    lines = {
        code: sorted(
            (
                int(product_id),
                float(capacity),
                int(0 if pd.isna(lead) else lead),
                None if pd.isna(lot) else float(lot),
            )
            for product_id, capacity, lead, lot in group[
                ["product_id", "daily_capacity", "lead_time_days", "minimum_lot"]
            ].itertuples(index=False)
        )
        for code, group in rows.groupby("code")
    }
    existing = {
        producer.code: producer
        for producer in session.scalars(select(Producer).where(Producer.code.in_(list(records))))
    }
    stored_lines: dict[int, list[tuple[int, float, int, float | None]]] = {}
    for line in session.scalars(
        select(ProducerProduct).where(
            ProducerProduct.producer_id.in_([producer.id for producer in existing.values()])
        )
    ):
        stored_lines.setdefault(line.producer_id, []).append(
            (line.product_id, line.daily_capacity, line.lead_time_days, line.minimum_lot)
        )
    new = [record for code, record in records.items() if code not in existing]
    changed = [
        {"id": existing[code].id, **record}
        for code, record in records.items()
        if code in existing
        and (
            any(getattr(existing[code], name) != value for name, value in record.items())
            or sorted(stored_lines.get(existing[code].id, [])) != lines[code]
        )
    ]
    if new:
        session.execute(insert(Producer), new)
    if changed:
        session.execute(update(Producer), changed)
    ids = {
        str(code): int(ident)
        for code, ident in session.execute(
            select(Producer.code, Producer.id).where(Producer.code.in_(list(records)))
        )
    }
    touched = [ids[code] for code in records if code not in existing] + [
        item["id"] for item in changed
    ]
    if touched:
        session.execute(delete(ProducerProduct).where(ProducerProduct.producer_id.in_(touched)))
        session.execute(
            insert(ProducerProduct),
            [
                {
                    "producer_id": ids[code],
                    "product_id": product_id,
                    "daily_capacity": capacity,
                    "lead_time_days": lead,
                    "minimum_lot": lot,
                }
                for code in records
                if ids[code] in set(touched)
                for product_id, capacity, lead, lot in lines[code]
            ],
        )
    withdrawn = withdraw_offers_of_dropped_products(session, touched, actor=actor)
    session.flush()
    return RegistryImport(
        offers_withdrawn=withdrawn,
        rows=len(rows),
        inserted=len(new),
        updated=len(changed),
        unchanged=len(records) - len(new) - len(changed),
        product_lines=sum(len(lines[code]) for code in records),
    )
