"""Issuing passes in bulk from a CSV or XLSX file (an episode's 800 supply vehicles at
once): every row is checked first, each bad cell reported by row and column, and nothing
is issued unless the whole file is good."""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal, require_role, within_region
from core.errors import InvalidInput
from core.tables import CellProblem, read_table, refusal_summary
from core.text import phrase
from models import Enterprise, PassKind, Producer, Role
from pass_office.authority import PassAuthority
from pass_office.issuing import new_pass_row, regions_for, save_new_passes
from pass_office.requests import (
    TEXT_LIMITS,
    PassRequest,
    Problems,
    one_spacing,
    region_problems,
    request_problems,
    required_problems,
    text_problems,
    validity_problems,
)

REQUIRED_COLUMNS = ("kind", "regions", "valid_from", "valid_to")
OPTIONAL_COLUMNS = (
    "enterprise",
    "producer",
    "plate",
    "vehicle_type",
    "driver_name",
    "driver_phone",
    "purpose",
    "goods",
    "person_name",
    "id_number",
    "employer",
    "workplace",
    "home_compound",
)
REGION_SEPARATORS = r"[;,\s]+"


@dataclass(frozen=True)
class BulkIssue:
    """What a bulk issue did: how many passes it issued and their codes, in file order."""

    issued: int
    codes: list[str]


def _instant(text: str, zone: ZoneInfo) -> datetime | None:
    """A cell as an aware instant: a date is its midnight in the city, a time without an
    offset is city time; None when it is neither (ISO 8601)."""
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=zone)


def _row_request(
    row: Mapping[Hashable, str],
    index: int,
    zone: ZoneInfo,
    *,
    known_regions: set[str],
    now: datetime,
    max_days: int,
) -> tuple[PassRequest | None, list[CellProblem]]:
    """The row's request (None when its kind or a date cannot be read) and every bad cell
    of it: a bad kind, date or holder does not hide the row's other bad cells, only what
    cannot be judged without it (the fields a kind requires, the length of validity)."""
    problems: Problems = []
    kind = PassKind(row["kind"]) if row["kind"] in {kind.value for kind in PassKind} else None
    if kind is None:
        problems.append(("kind", phrase("must be vehicle or staff")))
    valid_from, valid_to = (_instant(row[column], zone) for column in ("valid_from", "valid_to"))
    for column, instant in (("valid_from", valid_from), ("valid_to", valid_to)):
        if instant is None:
            problems.append((column, phrase("not a date or time")))
    if (row["enterprise"] == "") == (row["producer"] == ""):
        problems.append(("enterprise", phrase("give either enterprise or producer")))
    texts = {name: (row[name] or None) for name in OPTIONAL_COLUMNS}
    regions = tuple(code for code in re.split(REGION_SEPARATORS, row["regions"]) if code)
    request = None
    if kind is not None and valid_from is not None and valid_to is not None:
        request = PassRequest(
            kind=kind, regions=regions, valid_from=valid_from, valid_to=valid_to, **texts
        )
        problems += request_problems(
            request, known_regions=known_regions, now=now, max_days=max_days
        )
    else:
        # every cell that can be judged on its own, spaced as a request spaces it
        spaced = {
            name: one_spacing(value) if value is not None and name in TEXT_LIMITS else value
            for name, value in texts.items()
        }
        if kind is not None:
            problems += required_problems(kind, spaced)
        problems += text_problems(spaced)
        problems += region_problems(regions, known_regions)
        if valid_to is not None:
            problems += validity_problems(valid_from, valid_to, now=now, max_days=max_days)
    return request, [CellProblem(index, column, text) for column, text in problems]


def _holders(rows: Iterable[Any]) -> dict[str, tuple[int, bool]]:
    """Holders by code: their id and whether they are active (a deactivated enterprise or
    producer gets no new pass: its rows are refused, cell by cell)."""
    return {str(code): (int(row_id), bool(active)) for code, row_id, active in rows}


def _id(holders: Mapping[str, tuple[int, bool]], code: str) -> int | None:
    found = holders.get(code)
    return None if found is None else found[0]


def issue_passes_from_file(
    *,
    session: Session,
    principal: Principal,
    authority: PassAuthority,
    data: bytes,
    filename: str | None,
    now: datetime,
    zone: ZoneInfo,
    max_days: int,
    max_rows: int,
    max_listed_errors: int,
) -> BulkIssue:
    """Issue (approve and sign) a pass for every row of the file, or none; the bureau's."""
    require_role(principal, Role.bureau)
    frame = read_table(
        data,
        filename=filename,
        required=REQUIRED_COLUMNS,
        optional=OPTIONAL_COLUMNS,
        max_rows=max_rows,
    )
    regions = regions_for(session=session, principal=principal)
    enterprises = _holders(
        session.execute(select(Enterprise.code, Enterprise.id, Enterprise.active))
    )
    # A producer lies in a region: a region-bound bureau names only one inside it.
    producers = _holders(
        session.execute(
            select(Producer.code, Producer.id, Producer.active).where(
                within_region(principal, Producer.region_id)
            )
        )
    )
    deactivated = {
        column: {code for code, (_, active) in known.items() if not active}
        for column, known in (("enterprise", enterprises), ("producer", producers))
    }
    problems: list[CellProblem] = []
    requests: list[tuple[PassRequest, int | None, int | None]] = []
    for index, row in zip(frame.index, frame.to_dict("records"), strict=True):
        request, found = _row_request(
            row, int(index), zone, known_regions=regions, now=now, max_days=max_days
        )
        problems += found
        for column, known in (("enterprise", enterprises), ("producer", producers)):
            code = row[column]
            if code and code not in known:
                problems.append(
                    CellProblem(
                        int(index),
                        column,
                        phrase("unknown {label} {code!r}", label=phrase(column), code=code),
                    )
                )
            elif code in deactivated[column]:
                problems.append(CellProblem(int(index), column, phrase("is deactivated")))
        if request is not None:
            requests.append(
                (request, _id(enterprises, row["enterprise"]), _id(producers, row["producer"]))
            )
    if problems:
        columns = list(frame.columns)
        problems.sort(key=lambda problem: (problem.row, columns.index(problem.column)))
        raise InvalidInput(
            refusal_summary(problems),
            errors=[problem.as_problem() for problem in problems[:max_listed_errors]],
            extra={
                "error_count": len(problems),
                "rows_with_errors": len({problem.row for problem in problems}),
            },
        )
    rows = [
        new_pass_row(
            request, enterprise_id=enterprise_id, producer_id=producer_id, actor=principal.label
        )
        for request, enterprise_id, producer_id in requests
    ]
    save_new_passes(session, rows, actor=principal.label, now=now, authority=authority)
    return BulkIssue(issued=len(rows), codes=[str(row.code) for row in rows])
