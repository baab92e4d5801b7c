"""Alerts grouped into situations, as Alertmanager groups them: one row per value of the
``group_by`` labels (default district × category), so the bureau reads 60 situations, not
2,000 rows.

A group tells how many open alerts it holds, its worst severity, the share of the stores
in its scope that have an open alert, the people living in its districts, since when it
has been going on and who acknowledged or was assigned it. Two aggregate queries and
three small look-ups make a page, whatever the number of alerts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import ColumnClause

from core.access import Principal, require_role, within_region
from core.errors import InvalidInput
from core.lookups import PageOf, page
from core.text import N_, FieldProblem, field_problem, in_turn, listing, phrase, verbatim
from models import (
    Alert,
    AlertRule,
    AlertStatus,
    Enterprise,
    Product,
    ProductCategory,
    Region,
    RegionLevel,
    Role,
    Severity,
    Store,
    Unit,
)
from monitors.alerting.regions import alerts_within
from monitors.queries.alerts import (
    ALERT_READERS,
    AlertView,
    StatusFilter,
    alert_views,
    in_region,
    state_conditions,
)

ASSIGNABLE_ROLES = (Role.bureau, Role.admin)
"""Who a situation may be handed to: the people who can act on alerts."""
GROUP_FIELDS = ("district", "category", "product", "rule", "store", "chain")
"""Labels alerts may be grouped by; ``chain`` is the store's enterprise."""
GROUP_FIELD_WORDS = (
    N_("district"),
    N_("category"),
    N_("product"),
    N_("rule"),
    N_("store"),
    N_("chain"),
)
"""The group fields as words for people (the pages translate them)."""
DEFAULT_GROUP_BY = ("district", "category")
MAX_TEXT_CHARS = 100

District = aliased(Region, name="district_region")
NO_NAME: ColumnClause[Any] = literal_column("NULL")
"""A key column for a label without a Chinese name (a rule, a store, a chain)."""


@dataclass(frozen=True)
class AlertGroupFilters:
    """Which alerts a grouped view (or a group action) covers; codes, not ids."""

    district: str | None = None
    product: str | None = None
    store: str | None = None
    category: str | None = None
    status: StatusFilter | None = StatusFilter.open
    severity: Severity | None = None
    rule: AlertRule | None = None
    text: str | None = None


@dataclass(frozen=True)
class GroupLabel:
    """One label of a group: the field, its code (None: the alerts have none, such as the
    district of a city-wide alert) and its names for people."""

    field: str
    code: str | None
    name: str | None
    name_zh: str | None


@dataclass(frozen=True)
class AlertGroupView:
    """One situation: its labels and what a bureau needs to judge and act on it."""

    labels: list[GroupLabel]
    alerts: int
    firing: int
    acknowledged: int
    pending: int
    worst_severity: Severity
    stores_affected: int
    stores_in_scope: int
    share_of_stores: float | None
    people: int | None
    since: datetime
    since_date: date
    last_seen_at: datetime
    acknowledged_by: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)

    @property
    def key(self) -> dict[str, str | None]:
        """The group's label codes by field: what an action on the group names."""
        return {label.field: label.code for label in self.labels}


def parse_group_by(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """The grouping fields from ``district,category`` (default when empty), or a 422
    naming each field not in the allow-list."""
    if value is None:
        return DEFAULT_GROUP_BY
    parts = value.split(",") if isinstance(value, str) else list(value)
    names = [part.strip() for part in parts if part.strip()]
    if not names:
        return DEFAULT_GROUP_BY
    unknown = [name for name in names if name not in GROUP_FIELDS]
    if unknown:
        allowed = listing([verbatim(name) for name in GROUP_FIELDS])
        raise InvalidInput(
            "cannot group alerts by {fields}; use {allowed}",
            errors=[
                field_problem(
                    ["query", "group_by"],
                    "unknown field {name!r}; use {allowed}",
                    name=name,
                    allowed=allowed,
                )
                for name in unknown
            ],
            fields=listing([verbatim(name) for name in unknown]),
            allowed=allowed,
        )
    return tuple(dict.fromkeys(names))


_KEY_COLUMNS: dict[str, tuple[Any, Any, Any, Any]] = {
    "district": (Alert.district_id, District.code, District.name, District.name_zh),
    "category": (
        Alert.category_id,
        ProductCategory.code,
        ProductCategory.name,
        ProductCategory.name_zh,
    ),
    "product": (Alert.product_id, Product.code, Product.name, Product.name_zh),
    "rule": (Alert.rule, Alert.rule, Alert.rule, NO_NAME),
    "store": (Alert.store_id, Store.code, Store.name, NO_NAME),
    "chain": (Store.enterprise_id, Enterprise.code, Enterprise.name, NO_NAME),
}
"""Per group field: the id it groups on, then its code, name and Chinese name."""


def _joined(query: Select[Any]) -> Select[Any]:
    """``query`` over alerts with the rows their labels name (outer joins: a city-wide
    alert has no district, a missing-report alert no product)."""
    return (
        query.select_from(Alert)
        .outerjoin(District, District.id == Alert.district_id)
        .outerjoin(ProductCategory, ProductCategory.id == Alert.category_id)
        .outerjoin(Product, Product.id == Alert.product_id)
        .outerjoin(Store, Store.id == Alert.store_id)
        .outerjoin(Enterprise, Enterprise.id == Store.enterprise_id)
    )


_CODE_MODELS: dict[str, tuple[Any, str]] = {
    "district": (Region, "region"),
    "product": (Product, "product"),
    "store": (Store, "store"),
    "category": (ProductCategory, "category"),
    "chain": (Enterprise, "chain"),
}


def _resolve(
    session: Session,
    codes: Mapping[str, str | None],
    *,
    where: Sequence[str],
    principal: Principal,
) -> dict[str, Any]:
    """Rows for the codes given, or one 422 naming every unknown one at ``where + name``
    (a district or store outside the caller's region reads as unknown)."""
    found: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name, code in codes.items():
        if code is None:
            continue
        model, word = _CODE_MODELS[name]
        query = select(model).where(model.code == code)
        if model is Region:
            query = query.where(within_region(principal, Region.id))
        elif model is Store:
            query = query.where(within_region(principal, Store.region_id))
        found[name] = session.scalars(query).first()
        if found[name] is None:
            problems.append(
                field_problem(
                    [*where, name], "unknown {label} {code!r}", label=phrase(word), code=code
                )
            )
    if problems:
        raise InvalidInput(in_turn([problem.text for problem in problems]), errors=problems)
    return found


def _filter_conditions(
    session: Session,
    filters: AlertGroupFilters,
    *,
    principal: Principal,
    where: Sequence[str] = ("query",),
) -> list[ColumnElement[bool]]:
    """SQL conditions selecting the alerts ``filters`` cover inside the caller's region
    (a 422 for unknown codes or an overlong text)."""
    rows = _resolve(
        session,
        {
            "district": filters.district,
            "product": filters.product,
            "store": filters.store,
            "category": filters.category,
        },
        where=where,
        principal=principal,
    )
    conditions = state_conditions(
        status=filters.status, severity=filters.severity, rule=filters.rule
    )
    conditions.append(alerts_within(principal))
    if "district" in rows:
        conditions.append(in_region(session, rows["district"]))
    if "product" in rows:
        conditions.append(Alert.product_id == rows["product"].id)
    if "store" in rows:
        conditions.append(Alert.store_id == rows["store"].id)
    if "category" in rows:
        conditions.append(Alert.category_id == rows["category"].id)
    text = (filters.text or "").strip()
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(
            "text must be at most {limit} characters",
            errors=[
                field_problem([*where, "text"], "at most {limit} characters", limit=MAX_TEXT_CHARS)
            ],
            limit=MAX_TEXT_CHARS,
        )
    if text:
        columns = (
            Alert.summary,
            Store.code,
            Store.name,
            Product.code,
            Product.name,
            Product.name_zh,
            District.code,
            District.name,
            District.name_zh,
            ProductCategory.name,
            ProductCategory.name_zh,
            Enterprise.name,
        )
        conditions.append(or_(*(column.icontains(text, autoescape=True) for column in columns)))
    return conditions


def group_conditions(
    session: Session, group: Mapping[str, str | None], *, principal: Principal
) -> list[ColumnElement[bool]]:
    """SQL conditions selecting the alerts of one group, given by its label codes (None
    for a label the alerts lack); a 422 naming ``body.group.<field>`` otherwise."""
    unknown = sorted(set(group) - set(GROUP_FIELDS))
    if unknown or not group:
        raise InvalidInput(
            "name a group by its {fields}",
            errors=[
                field_problem(
                    ["body", "group", *unknown[:1]], "use {fields}", fields=", ".join(GROUP_FIELDS)
                )
            ],
            fields=", ".join(GROUP_FIELDS),
        )
    codes = {name: code for name, code in group.items() if name != "rule"}
    rows = _resolve(session, codes, where=("body", "group"), principal=principal)
    conditions: list[ColumnElement[bool]] = []
    for name, code in group.items():
        column = _KEY_COLUMNS[name][0]
        if code is None:
            conditions.append(column.is_(None))
        elif name == "rule":
            if code not in {rule.value for rule in AlertRule}:
                raise InvalidInput(
                    "unknown rule {code!r}",
                    errors=[
                        field_problem(["body", "group", "rule"], "unknown rule {code!r}", code=code)
                    ],
                    code=code,
                )
            conditions.append(Alert.rule == AlertRule(code))
        else:
            conditions.append(column == rows[name].id)
    return conditions


def selected_alerts(
    session: Session,
    *,
    group: Mapping[str, str | None],
    filters: AlertGroupFilters,
    principal: Principal,
    where: Sequence[str] = ("body", "filters"),
) -> Select[Alert]:
    """A query of the alerts of one group within the view's filters and the caller's
    region, oldest first."""
    conditions = [
        *_filter_conditions(session, filters, principal=principal, where=where),
        *group_conditions(session, group, principal=principal),
    ]
    return _joined(select(Alert)).where(*conditions).order_by(Alert.first_seen_at, Alert.id)


def _district_of_regions(session: Session) -> dict[int, int | None]:
    """Each region's district (itself for a district; None above): where a store counts."""
    regions = {
        identifier: (parent, level)
        for identifier, parent, level in session.execute(
            select(Region.id, Region.parent_id, Region.level)
        )
    }
    districts: dict[int, int | None] = {}
    for identifier in regions:
        current: int | None = identifier
        while current is not None and regions[current][1] not in (
            RegionLevel.district,
            RegionLevel.city,
        ):
            current = regions[current][0]
        is_district = current is not None and regions[current][1] is RegionLevel.district
        districts[identifier] = current if is_district else None
    return districts


ANY = "any"
"""A store count's key for every district, or every chain."""


def _store_counts(
    session: Session, *, by_chain: bool, principal: Principal
) -> dict[tuple[Any, Any], int]:
    """Active stores (inside the caller's region) by (district, chain), each also summed
    over every district and every chain (``ANY``): the denominators of every group's
    share, one look-up per group; by district alone (every chain) unless a group names
    its chain."""
    districts = _district_of_regions(session)
    counts: dict[tuple[Any, Any], int] = defaultdict(int)
    chain = Store.enterprise_id if by_chain else literal_column(f"'{ANY}'")
    for region_id, enterprise_id, count in session.execute(
        select(Store.region_id, chain, func.count())
        .where(Store.active.is_(True), within_region(principal, Store.region_id))
        .group_by(Store.region_id, *([chain] if by_chain else []))
    ):
        district = districts.get(region_id)
        for key in {(district, enterprise_id), (district, ANY), (ANY, enterprise_id), (ANY, ANY)}:
            counts[key] += count
    return counts


def _stores_in_scope(
    counts: Mapping[tuple[Any, Any], int],
    ids: Mapping[str, Any],
    *,
    district_filter: int | None,
) -> int:
    """Active stores a group's share is taken over: its store, or the stores of its
    district and chain (the filtered district, or the city, when not grouped by it)."""
    if "store" in ids:
        return 1 if ids["store"] is not None else 0
    district = ids["district"] if "district" in ids else district_filter
    chain = ids["chain"] if "chain" in ids else ANY
    return counts.get((ANY if district is None else district, chain), 0)


def _handler_name(label: str) -> str:
    """``user:3:alice`` (an audit label) as people read it: ``alice``."""
    return label.rsplit(":", 1)[-1]


def alert_groups(
    *,
    session: Session,
    principal: Principal,
    group_by: Sequence[str] = DEFAULT_GROUP_BY,
    filters: AlertGroupFilters | None = None,
    limit: int,
    offset: int,
) -> PageOf[AlertGroupView]:
    """One page of situations, the worst first (critical, then most alerts, then oldest),
    so the bureau starts with what hurts most people longest."""
    require_role(principal, *ALERT_READERS)
    group_by = parse_group_by(list(group_by))
    filters = filters or AlertGroupFilters()
    conditions = _filter_conditions(session, filters, principal=principal)
    labelled = bool((filters.text or "").strip())
    aggregate = _situations(group_by, conditions, labelled=labelled).limit(limit).offset(offset)
    rows = session.execute(aggregate).all()
    if not rows:
        return PageOf(items=[], total=0, limit=limit, offset=offset)
    width = 4 * len(group_by)
    people = _people(
        session,
        group_by,
        conditions,
        labelled=labelled,
        keys=[tuple(row[0:width:4]) for row in rows],
    )
    acknowledged_by, assignees = _handlers(session, group_by, conditions, labelled=labelled)
    counts = _store_counts(session, by_chain="chain" in group_by, principal=principal)
    district_filter = (
        _resolve(session, {"district": filters.district}, where=("query",), principal=principal)[
            "district"
        ]
        if filters.district
        else None
    )
    items = []
    for row in rows:
        ids = tuple(row[0:width:4])
        by_field = dict(zip(group_by, ids, strict=True))
        labels = [
            _label(name, row[4 * index : 4 * index + 4]) for index, name in enumerate(group_by)
        ]
        (alerts, worst_rank, first_seen, first_date, last_seen, stores, firing, acked, pending) = (
            row[width : width + 9]
        )
        in_scope = _stores_in_scope(
            counts,
            by_field,
            district_filter=district_filter.id
            if district_filter is not None and district_filter.level is RegionLevel.district
            else None,
        )
        items.append(
            AlertGroupView(
                labels=labels,
                alerts=int(alerts),
                firing=int(firing or 0),
                acknowledged=int(acked or 0),
                pending=int(pending or 0),
                worst_severity=Severity.critical if worst_rank == 2 else Severity.warning,
                stores_affected=int(stores),
                stores_in_scope=in_scope,
                # None when no alert of the group is about a store (a district's or the
                # city's alerts, the hotline's): "0 of 12 (0 %)" read as if its stores were fine
                share_of_stores=int(stores) / in_scope if in_scope and stores else None,
                people=people.get(ids),
                since=first_seen,
                since_date=first_date,
                last_seen_at=last_seen,
                acknowledged_by=acknowledged_by.get(ids, []),
                assignees=assignees.get(ids, []),
            )
        )
    return PageOf(items=items, total=int(rows[0][-1]), limit=limit, offset=offset)


_GROUP_IDS: dict[str, Any] = {name: columns[0] for name, columns in _KEY_COLUMNS.items()}
"""Per group field: the id alerts are grouped on (a chain's is its store's enterprise)."""
_LABEL_MODELS: dict[str, Any] = {
    "district": Region,
    "category": ProductCategory,
    "product": Product,
    "store": Store,
    "chain": Enterprise,
}
"""Per group field (but the rule, its own label): the table its code and names come from."""
_NAMED_IN_CHINESE = ("district", "category", "product")


def _from_alerts(query: Select[Any], group_by: Sequence[str], *, labelled: bool) -> Select[Any]:
    """``query`` over alerts, joined to the rows their labels name only when a condition
    reads them (a text search), else to stores only when grouping by chain."""
    if labelled:
        return _joined(query)
    query = query.select_from(Alert)
    if "chain" in group_by:
        query = query.outerjoin(Store, Store.id == Alert.store_id)
    return query


def _people(
    session: Session,
    group_by: Sequence[str],
    conditions: Sequence[ColumnElement[bool]],
    *,
    labelled: bool,
    keys: Sequence[tuple[Any, ...]],
) -> dict[tuple[Any, ...], int | None]:
    """People living in each group's districts (each district once; None where no district
    says): its own district's when grouped by district, else summed in SQL so a city-wide
    product's many districts never reach Python."""
    if "district" in group_by:
        position = group_by.index("district")
        wanted = sorted({key[position] for key in keys if key[position] is not None})
        population = dict(
            session.execute(select(Region.id, Region.population).where(Region.id.in_(wanted))).all()
        )
        return {key: population.get(key[position]) or None for key in keys}
    ids = [_GROUP_IDS[name] for name in group_by]
    districts = (
        _from_alerts(
            select(
                *(column.label(f"key_{index}") for index, column in enumerate(ids)),
                Alert.district_id.label("district_id"),
            ).distinct(),
            group_by,
            labelled=labelled,
        )
        .where(*conditions, Alert.district_id.is_not(None))
        .subquery("group_districts")
    )
    columns = [districts.c[f"key_{index}"] for index in range(len(ids))]
    rows = session.execute(
        select(*columns, func.sum(Region.population))
        .join(Region, Region.id == districts.c.district_id)
        .group_by(*columns)
    )
    return {tuple(row[:-1]): int(row[-1]) if row[-1] else None for row in rows}


def _handlers(
    session: Session,
    group_by: Sequence[str],
    conditions: Sequence[ColumnElement[bool]],
    *,
    labelled: bool,
) -> tuple[dict[tuple[Any, ...], list[str]], dict[tuple[Any, ...], list[str]]]:
    """Who acknowledged and who was assigned each group's alerts, by name (only the
    alerts someone handled are read)."""
    ids = [_GROUP_IDS[name] for name in group_by]
    acknowledged_by: dict[tuple[Any, ...], set[str]] = defaultdict(set)
    assignees: dict[tuple[Any, ...], set[str]] = defaultdict(set)
    for row in session.execute(
        _from_alerts(
            select(*ids, Alert.acknowledged_by, Alert.assignee).distinct(),
            group_by,
            labelled=labelled,
        ).where(*conditions, or_(Alert.acknowledged_by.is_not(None), Alert.assignee.is_not(None)))
    ):
        key, acknowledger, assignee = tuple(row[: len(ids)]), row[-2], row[-1]
        if acknowledger:
            acknowledged_by[key].add(_handler_name(acknowledger))
        if assignee:
            assignees[key].add(assignee)
    return (
        {key: sorted(names) for key, names in acknowledged_by.items()},
        {key: sorted(names) for key, names in assignees.items()},
    )


def _situations(
    group_by: Sequence[str], conditions: Sequence[ColumnElement[bool]], *, labelled: bool
) -> Select[Any]:
    """The situations worst first: alerts grouped by their label ids alone, then each
    group named (four key columns per field: id, code, name, Chinese name) and ordered,
    so a province's tens of thousands of alerts are never joined to their names."""
    worst = func.max(case((Alert.severity == Severity.critical, 2), else_=1))

    def status_count(status: AlertStatus) -> Any:
        return func.sum(case((Alert.status == status, 1), else_=0))

    ids = [_GROUP_IDS[name] for name in group_by]
    # Per group and store first, then per group: counting the stores is then counting
    # rows, which PostgreSQL hashes, where COUNT(DISTINCT) sorts every alert.
    per_store = (
        _from_alerts(
            select(
                *(column.label(f"key_{index}") for index, column in enumerate(ids)),
                Alert.store_id.label("store_id"),
                func.count(Alert.id).label("alerts"),
                worst.label("worst"),
                func.min(Alert.first_seen_at).label("since"),
                func.min(Alert.first_date).label("since_date"),
                func.max(Alert.last_seen_at).label("last_seen"),
                status_count(AlertStatus.firing).label("firing"),
                status_count(AlertStatus.acknowledged).label("acknowledged"),
                status_count(AlertStatus.pending).label("pending"),
            ),
            group_by,
            labelled=labelled,
        )
        .where(*conditions)
        .group_by(*ids, *([] if "store" in group_by else [Alert.store_id]))
        .subquery("per_store")
    )
    keys = [per_store.c[f"key_{index}"] for index in range(len(ids))]
    grouped = (
        select(
            *keys,
            func.sum(per_store.c.alerts).label("alerts"),
            func.max(per_store.c.worst).label("worst"),
            func.min(per_store.c.since).label("since"),
            func.min(per_store.c.since_date).label("since_date"),
            func.max(per_store.c.last_seen).label("last_seen"),
            func.count(per_store.c.store_id).label("stores"),
            func.sum(per_store.c.firing).label("firing"),
            func.sum(per_store.c.acknowledged).label("acknowledged"),
            func.sum(per_store.c.pending).label("pending"),
        )
        .group_by(*keys)
        .subquery("situations")
    )
    key_columns: list[Any] = []
    labels: list[tuple[Any, ColumnElement[bool]]] = []
    for index, name in enumerate(group_by):
        key = grouped.c[f"key_{index}"]
        if name == "rule":
            key_columns += [key, key, key, NO_NAME]
            continue
        label: Any = aliased(_LABEL_MODELS[name], name=f"label_{index}")
        name_zh = label.name_zh if name in _NAMED_IN_CHINESE else NO_NAME
        key_columns += [key, label.code, label.name, name_zh]
        labels.append((label, label.id == key))
    query = select(
        *key_columns,
        grouped.c.alerts,
        grouped.c.worst,
        grouped.c.since,
        grouped.c.since_date,
        grouped.c.last_seen,
        grouped.c.stores,
        grouped.c.firing,
        grouped.c.acknowledged,
        grouped.c.pending,
        func.count().over(),
    ).select_from(grouped)
    for label, joined_on in labels:
        query = query.outerjoin(label, joined_on)
    return query.order_by(
        grouped.c.worst.desc(),
        grouped.c.alerts.desc(),
        grouped.c.since,
        *(code.asc().nulls_last() for code in key_columns[1::4]),
    )


def _label(name: str, columns: Sequence[Any]) -> GroupLabel:
    """A group's label from its four key columns (id, code, name, Chinese name)."""
    _, code, text, text_zh = columns
    if name == "rule":
        value = AlertRule(code).value if code is not None else None
        return GroupLabel(field=name, code=value, name=value, name_zh=None)
    return GroupLabel(field=name, code=code, name=text, name_zh=text_zh)


@dataclass(frozen=True)
class GroupAlertView:
    """An alert of an expanded group, named for people: store, district and product by
    name, its product's unit (for prices: ¥ per unit)."""

    alert: AlertView
    store_name: str | None
    district_name: str | None
    district_name_zh: str | None
    product_name: str | None
    product_name_zh: str | None
    unit: str | None
    unit_name_zh: str | None


def group_alerts(
    *,
    session: Session,
    principal: Principal,
    group: Mapping[str, str | None],
    filters: AlertGroupFilters | None = None,
    limit: int,
    offset: int = 0,
) -> PageOf[GroupAlertView]:
    """A page of the alerts of one group, oldest first, with names: what a row of the
    grouped view expands to (three queries and the labels' look-ups, whatever the page)."""
    require_role(principal, *ALERT_READERS)
    query = (
        selected_alerts(
            session,
            group=group,
            filters=filters or AlertGroupFilters(),
            principal=principal,
            where=("query",),
        )
        .add_columns(
            Store.name,
            District.name,
            District.name_zh,
            Product.name,
            Product.name_zh,
            Product.unit,
            Unit.name_zh,
        )
        .outerjoin(Unit, Unit.code == Product.unit)
    )
    rows, total = page(session, query, limit=limit, offset=offset)
    views = alert_views(session=session, alerts=[row[0] for row in rows])
    return PageOf(
        items=[GroupAlertView(view, *row[1:]) for view, row in zip(views, rows, strict=True)],
        total=total,
        limit=limit,
        offset=offset,
    )
