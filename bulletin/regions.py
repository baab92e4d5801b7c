"""Which region a bulletin is for: the one its request names, else the caller's own
region, else the deployment's single root city (or, with several roots, the whole
deployment, a bulletin whose region is NULL)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from core.access import Principal, region_subtree, require_in_region
from core.errors import NotFound
from core.text import phrase
from models import Bulletin, Region, Store


@dataclass(frozen=True)
class RegionLabel:
    """How a bulletin names its region: its code and its names (None: the whole
    deployment)."""

    code: str | None
    name: str | None
    name_zh: str | None
    link_code: str | None = None
    """The code a link to this region's bulletins names (None for the default region,
    whose links need no region)."""

    def in_language(self, language: str) -> str | None:
        """The region's name in ``language`` (its English name where no Chinese one)."""
        return self.name_zh if language == "zh" and self.name_zh else self.name


WHOLE_DEPLOYMENT = RegionLabel(code=None, name=None, name_zh=None)


def default_region_id(session: Session) -> int | None:
    """The single root city's id, or None (the whole deployment) when there are several
    roots or none: the region a national bulletin is for unless one is chosen."""
    roots = list(session.scalars(select(Region.id).where(Region.parent_id.is_(None)).limit(2)))
    return roots[0] if len(roots) == 1 else None


def bulletin_region_id(
    *, session: Session, principal: Principal | None, region: str | None
) -> int | None:
    """The region a bulletin request is for: ``region`` (a code) if given, else the
    caller's bound region, else the default; a region unknown or outside the caller's
    is a 404 worded alike, so a neighbour's region is not even confirmed."""
    if region is None:
        if principal is not None and principal.region_id is not None:
            return principal.region_id
        return default_region_id(session)
    found = session.scalar(select(Region.id).where(Region.code == region))
    if found is None:
        raise NotFound("{label} {code!r} not found", label=phrase("region"), code=region)
    if principal is not None:
        require_in_region(principal, found, label=phrase("region"), code=region)
    return found


def for_region(region_id: int | None) -> ColumnElement[bool]:
    """A WHERE clause keeping the bulletins of ``region_id`` (None: the whole deployment)."""
    if region_id is None:
        return Bulletin.region_id.is_(None)
    return Bulletin.region_id == region_id


def stores_in(session: Session, region_id: int | None) -> Select[int] | None:
    """The ids of the stores a bulletin of ``region_id`` covers, every store below it, as
    a query to filter by in SQL (None: every store, for the whole deployment)."""
    if region_id is None:
        return None
    subtree = sorted(region_subtree(session, region_id))
    return select(Store.id).where(Store.region_id.in_(subtree))


def region_labels(session: Session, bulletins: Iterable[Bulletin]) -> dict[int | None, RegionLabel]:
    """The label of each region the ``bulletins`` are for (None: the whole deployment)."""
    ids = {bulletin.region_id for bulletin in bulletins} - {None}
    labels: dict[int | None, RegionLabel] = {None: WHOLE_DEPLOYMENT}
    if ids:
        default = default_region_id(session)
        for region_id, code, name, name_zh in session.execute(
            select(Region.id, Region.code, Region.name, Region.name_zh).where(
                Region.id.in_(sorted(ids))
            )
        ):
            labels[region_id] = RegionLabel(
                code=code,
                name=name,
                name_zh=name_zh,
                link_code=None if region_id == default else code,
            )
    return labels


def label_of(*, session: Session, principal: Principal | None, region: str | None) -> RegionLabel:
    """The label of the region a bulletin request is for (as ``bulletin_region_id``
    chooses it), for a page to name."""
    region_id = bulletin_region_id(session=session, principal=principal, region=region)
    if region_id is None:
        return WHOLE_DEPLOYMENT
    code, name, name_zh = session.execute(
        select(Region.code, Region.name, Region.name_zh).where(Region.id == region_id)
    ).one()
    link_code = None if region_id == default_region_id(session) else code
    return RegionLabel(code=code, name=name, name_zh=name_zh, link_code=link_code)
