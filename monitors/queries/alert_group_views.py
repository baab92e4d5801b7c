"""What the grouped alerts view shows beside its rows: the groups as an exported table,
and the choices its filters and its assign action offer, by name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from core.access import Principal, require_role, within_region
from core.text import N_
from models import Product, ProductCategory, Region, RegionLevel, User
from monitors.queries.alert_groups import ASSIGNABLE_ROLES, NO_NAME, AlertGroupView
from monitors.queries.alerts import ALERT_READERS

GROUP_COLUMNS = (
    N_("open alerts"),
    N_("worst severity"),
    N_("stores affected"),
    N_("stores in scope"),
    N_("share of stores (%)"),
    N_("people"),
    N_("since"),
    N_("acknowledged by"),
    N_("assigned to"),
)
"""The figures of a group as an exported table's columns, after its labels."""
GROUP_COLUMN_TITLES = (
    N_("Open alerts"),
    N_("Worst severity"),
    N_("Stores affected"),
    N_("Stores in scope"),
    N_("Share of stores (%)"),
    N_("People"),
    N_("Since"),
    N_("Acknowledged by"),
    N_("Assigned to"),
)
"""Those columns titled for people, as the page's spreadsheet export heads them."""
GROUP_FIELD_TITLES = {
    "district": N_("District"),
    "category": N_("Category"),
    "product": N_("Product"),
    "rule": N_("Rule"),
    "store": N_("Store"),
    "chain": N_("Chain"),
}
"""The grouping fields titled as the page's column heads."""


def group_table(
    groups: Sequence[AlertGroupView], *, language: str = "en"
) -> list[list[str | int | float | None]]:
    """Groups as table rows (label names, then :data:`GROUP_COLUMNS`), for an export."""
    rows: list[list[str | int | float | None]] = []
    for group in groups:
        names: list[str | int | float | None] = [
            (label.name_zh if language == "zh" else None) or label.name or label.code
            for label in group.labels
        ]
        share = round(group.share_of_stores * 100, 1) if group.share_of_stores is not None else None
        rows.append(
            [
                *names,
                group.alerts,
                group.worst_severity.value,
                group.stores_affected,
                group.stores_in_scope,
                share,
                group.people,
                group.since.isoformat(timespec="minutes"),
                ", ".join(group.acknowledged_by),
                ", ".join(group.assignees),
            ]
        )
    return rows


@dataclass(frozen=True)
class NamedCode:
    """A choice for a filter: its code and its names."""

    code: str
    name: str
    name_zh: str | None


@dataclass(frozen=True)
class GroupViewChoices:
    """What the grouped view's filters offer: districts, categories, products, and the
    bureau users a situation may be assigned to."""

    districts: list[NamedCode]
    categories: list[NamedCode]
    products: list[NamedCode]
    assignees: list[NamedCode]


def group_view_choices(*, session: Session, principal: Principal) -> GroupViewChoices:
    """The grouped view's choices, by name (four small queries): the districts and the
    people inside the caller's region only."""
    require_role(principal, *ALERT_READERS)

    def named(query: Executable) -> list[NamedCode]:
        return [NamedCode(code, name, name_zh) for code, name, name_zh in session.execute(query)]

    return GroupViewChoices(
        districts=named(
            select(Region.code, Region.name, Region.name_zh)
            .where(
                Region.level == RegionLevel.district,
                Region.active.is_(True),
                within_region(principal, Region.id),
            )
            .order_by(Region.code)
        ),
        categories=named(
            select(ProductCategory.code, ProductCategory.name, ProductCategory.name_zh).order_by(
                ProductCategory.code
            )
        ),
        products=named(
            select(Product.code, Product.name, Product.name_zh)
            .where(Product.active.is_(True))
            .order_by(Product.name)
        ),
        assignees=named(
            select(User.username, func.coalesce(User.full_name, User.username), NO_NAME)
            .where(
                User.active.is_(True),
                User.role.in_(ASSIGNABLE_ROLES),
                within_region(principal, User.region_id),
            )
            .order_by(User.username)
        ),
    )
