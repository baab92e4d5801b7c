"""Look-ups every domain shares: find by code, page a query, map clashes, region subtrees.

Plain functions over a session, so the API, the CLI and the pages resolve codes the
same way and give the same errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from core.text import Text, field_problem
from models import Region

ModelT = TypeVar("ModelT")
ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class PageOf(Generic[ItemT]):
    """One page of a listing as a domain returns it: the items and how many match in all."""

    items: list[ItemT]
    total: int
    limit: int
    offset: int


class HasCode(Protocol):
    code: Any


_BY_CODE: dict[type[Any], Select[Any]] = {}
"""Each model's select by code, built once: building it and its cache key cost about as
much as running it (a store is looked up on every report request)."""


def _by_code(model: type[ModelT]) -> Select[ModelT]:
    """The select of ``model``'s row whose code is the ``code`` parameter."""
    statement = _BY_CODE.get(model)
    if statement is None:
        statement = _BY_CODE.setdefault(
            model,
            select(model).where(model.code == bindparam("code")),  # type: ignore[attr-defined]
        )
    return statement


def get_by_code(session: Session, model: type[ModelT], code: str, *, label: Text) -> ModelT:
    """The row of ``model`` with this code, or a 404 naming what was looked for."""
    found = session.scalars(_by_code(model), {"code": code}).first()
    if found is None:
        raise NotFound("{label} {code!r} not found", label=label, code=code)
    return found


def get_optional_by_code(
    session: Session, model: type[ModelT], code: str | None, *, label: Text, field: str
) -> ModelT | None:
    """Resolve a code given in a request body; a 422-worthy 404 names the field."""
    if code is None:
        return None
    found = session.scalars(select(model).where(model.code == code)).first()  # type: ignore[attr-defined]
    if found is None:
        raise unknown_code(label=label, code=code, field=field)
    return found


def unknown_code(*, label: Text, code: object, field: str) -> InvalidInput:
    """The 422 for a code given in a body that names nothing, or nothing inside the
    caller's region: worded alike, so a neighbour's things are not confirmed to exist."""
    return InvalidInput(
        "unknown {label} {code!r}",
        errors=[field_problem(["body", field], "unknown {label} {code!r}", label=label, code=code)],
        label=label,
        code=code,
    )


def page(session: Session, query: Select, *, limit: int, offset: int) -> tuple[Sequence[Any], int]:
    """One page of ``query`` and the total number of rows it matches."""
    total = session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    rows = session.execute(query.limit(limit).offset(offset)).all()
    return rows, int(total)


def add_with_unique_code(session: Session, row: HasCode, *, label: Text) -> None:
    """Add a new row whose code must be unused; a clash is a 409 naming the code."""
    model = type(row)
    taken = session.scalars(select(model).where(func.lower(model.code) == row.code.lower())).first()
    if taken is not None and taken.code == row.code:
        raise Conflict("{label} code {code!r} is already taken", label=label, code=row.code)
    if taken is not None:
        # PDS-0001 and pds-0001 side by side would read as one store in lists, audit
        # trails and passes: a code differing only in case is refused.
        raise Conflict(
            "{label} code {code!r} differs only in case from {taken!r}, which exists",
            label=label,
            code=row.code,
            taken=taken.code,
        )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise Conflict(
            "{label} code {code!r} is already taken", label=label, code=row.code
        ) from error


def region_subtree_ids(session: Session, region_id: int) -> list[int]:
    """Ids of a region and every region below it (the tree is small: read it whole)."""
    children: dict[int | None, list[int]] = {}
    for identifier, parent in session.execute(select(Region.id, Region.parent_id)):
        children.setdefault(parent, []).append(identifier)
    found, stack = [], [region_id]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def apply_changes(row: object, changes: dict[str, Any], *, required: tuple[str, ...]) -> None:
    """Set the fields a PATCH sent; a null for a required field is refused, not stored."""
    for name, value in changes.items():
        if value is None and name in required:
            raise InvalidInput(
                "{name} cannot be null",
                errors=[field_problem(["body", name], "cannot be null")],
                name=name,
            )
        setattr(row, name, value)
