"""What people do with alerts: acknowledge them, silence them by matchers, and tune the
rules and thresholds the monitor applies.

Plain functions over a session (no HTTP): the API, the CLI and the web pages share them.
They only flush; the caller's unit of work commits, so a rejected change writes nothing.
Every change names its actor, and changes to alerts leave an :class:`AlertEvent`, so the
audit trail of an alert tells who acknowledged or silenced it and why.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertStatus,
    Product,
    ProductCategory,
    Region,
    RegionLevel,
    RuleSetting,
    Severity,
    Silence,
    ThresholdOverride,
)
from models.base import utc_now
from monitors.labels import SILENCE_MATCHERS, alert_labels, silence_matches
from monitors.lifecycle import RuleSettings, load_rule_settings
from monitors.thresholds import (
    ANY_CATEGORY,
    INTEGER_FIELDS,
    THRESHOLD_FIELDS,
    InvalidThresholds,
    RuleThresholds,
    category_thresholds,
    default_thresholds,
    resolve_thresholds,
    validate_thresholds,
)
from service.errors import Conflict, InvalidInput, NotFound

MAX_NOTE_CHARS = 2000
MAX_SILENCE_LENGTH = timedelta(days=90)
MAX_FOR_RUNS = 30
OPEN_STATUSES = (AlertStatus.pending, AlertStatus.firing, AlertStatus.acknowledged)
SilenceState = Literal["pending", "active", "expired"]
OverrideScope = Literal["category", "product"]
Changes = dict[str, float | int]


class AlertNotFound(NotFound):
    """No alert with that id."""


class AlertStateConflict(Conflict):
    """The alert is not in a state that allows this action (acknowledging a resolved one)."""


class SilenceNotFound(NotFound):
    """No silence with that id."""


class SilenceAlreadyExpired(Conflict):
    """Expiring a silence that has already ended."""


# --- acknowledgement -------------------------------------------------------------------


def _locked_alert(session: Session, alert_id: int) -> Alert:
    """The alert, row-locked on PostgreSQL so a monitor run cannot change it under us."""
    alert = session.scalars(select(Alert).where(Alert.id == alert_id).with_for_update()).first()
    if alert is None:
        raise AlertNotFound(f"alert {alert_id} not found")
    return alert


def _event(alert: Alert, *, kind: str, actor: str, at: datetime, note: str | None) -> AlertEvent:
    return AlertEvent(
        alert_id=alert.id,
        at=at,
        kind=kind,
        actor=actor,
        severity=alert.severity.value,
        value=alert.value,
        note=note,
    )


def _clean_note(note: str, *, field: str = "note") -> str:
    note = note.strip()
    if not 1 <= len(note) <= MAX_NOTE_CHARS:
        raise InvalidInput(
            f"{field} must be 1 to {MAX_NOTE_CHARS} characters",
            errors=[{"loc": ["body", field], "msg": f"1 to {MAX_NOTE_CHARS} characters"}],
        )
    return note


def acknowledge_alert(
    session: Session, *, alert_id: int, note: str, actor: str, now: datetime | None = None
) -> Alert:
    """Mark a firing alert as being handled, so colleagues do not chase it twice.

    Only a firing (or already acknowledged: the note is replaced) alert can be
    acknowledged; a pending one has not fired and a resolved one is over, so both are
    a 409. The monitor keeps it acknowledged while the condition holds.
    """
    note = _clean_note(note)
    alert = _locked_alert(session, alert_id)
    if alert.status not in (AlertStatus.firing, AlertStatus.acknowledged):
        reason = {
            AlertStatus.pending: "it is pending (its condition has not held long enough to fire)",
            AlertStatus.resolved: "it is resolved (its condition has cleared)",
        }[alert.status]
        raise AlertStateConflict(f"alert {alert_id} cannot be acknowledged: {reason}")
    now = now or utc_now()
    alert.status = AlertStatus.acknowledged
    alert.acknowledged_at = now
    alert.acknowledged_by = actor
    alert.acknowledgement_note = note
    session.add(_event(alert, kind="acknowledged", actor=actor, at=now, note=note))
    session.flush()
    return alert


def unacknowledge_alert(
    session: Session,
    *,
    alert_id: int,
    actor: str,
    note: str | None = None,
    now: datetime | None = None,
) -> Alert:
    """Put an acknowledged alert back to firing (nobody is handling it after all)."""
    note = _clean_note(note) if note is not None else None
    alert = _locked_alert(session, alert_id)
    if alert.status is not AlertStatus.acknowledged:
        raise AlertStateConflict(
            f"alert {alert_id} is {alert.status.value}, not acknowledged; nothing to undo"
        )
    now = now or utc_now()
    alert.status = AlertStatus.firing
    alert.acknowledged_at = None
    alert.acknowledged_by = None
    alert.acknowledgement_note = None
    session.add(_event(alert, kind="unacknowledged", actor=actor, at=now, note=note))
    session.flush()
    return alert


# --- silences --------------------------------------------------------------------------


def silence_state(silence: Silence, *, now: datetime) -> SilenceState:
    """Whether a silence mutes alerts now, will later, or no longer does."""
    if silence.expired_by is not None or silence.ends_at <= now:
        return "expired"
    return "pending" if silence.starts_at > now else "active"


def silences_in_state(state: SilenceState | None, *, now: datetime) -> Select[Silence]:
    """A query of silences in ``state`` (all when None), newest first."""
    query = select(Silence).order_by(Silence.id.desc())
    live = Silence.expired_by.is_(None)
    if state == "active":
        query = query.where(live, Silence.starts_at <= now, Silence.ends_at > now)
    elif state == "pending":
        query = query.where(live, Silence.starts_at > now, Silence.ends_at > now)
    elif state == "expired":
        query = query.where(or_(Silence.expired_by.is_not(None), Silence.ends_at <= now))
    return query


def _matcher_problems(session: Session, matchers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every problem with a silence's matchers, located at ``body.matchers.<name>``."""
    given = {name: value for name, value in matchers.items() if value is not None}
    problems: list[dict[str, Any]] = []

    def add(name: str, msg: str) -> None:
        problems.append({"loc": ["body", "matchers", name], "msg": msg})

    for name in sorted(given.keys() - set(SILENCE_MATCHERS)):
        add(name, f"unknown matcher; use {', '.join(SILENCE_MATCHERS)}")
    if not given.keys() & set(SILENCE_MATCHERS):
        problems.append({"loc": ["body", "matchers"], "msg": "give at least one matcher"})
    for name, choices in (("rule", AlertRule), ("severity", Severity)):
        allowed = [member.value for member in choices]
        if name in given and given[name] not in allowed:
            add(name, f"must be one of {', '.join(allowed)}")
    if "region" in given:
        level = session.scalar(select(Region.level).where(Region.code == given["region"]))
        if level is None:
            add("region", f"unknown region {given['region']!r}")
        elif level not in (RegionLevel.district, RegionLevel.city):
            add("region", f"{given['region']!r} is a {level.value}; give a district or a city")
    for name, model in (("product", Product), ("category", ProductCategory)):
        if name in given and not session.scalar(select(model.id).where(model.code == given[name])):
            add(name, f"unknown {name} {given[name]!r}")
    return problems


def create_silence(
    session: Session,
    *,
    matchers: Mapping[str, str | None],
    ends_at: datetime,
    comment: str,
    actor: str,
    starts_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[Silence, list[int]]:
    """Mute alerts that match every matcher from ``starts_at`` (default now) to ``ends_at``.

    Returns the silence and the ids of the open alerts it matches; each of those gets a
    ``silenced`` event with the comment, so its trail says who muted it and why. Every
    problem with the request is reported at once (422).
    """
    now = now or utc_now()
    starts_at = starts_at or now
    problems = _matcher_problems(session, matchers)
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        problems.append({"loc": ["body", "ends_at"], "msg": "give times with a UTC offset"})
    else:
        if ends_at <= starts_at:
            problems.append({"loc": ["body", "ends_at"], "msg": "must be after starts_at"})
        elif ends_at - starts_at > MAX_SILENCE_LENGTH:
            days = MAX_SILENCE_LENGTH.days
            problems.append(
                {"loc": ["body", "ends_at"], "msg": f"at most {days} days after starts_at"}
            )
        if ends_at <= now:
            problems.append({"loc": ["body", "ends_at"], "msg": "must be in the future"})
    comment = comment.strip()
    if not 1 <= len(comment) <= MAX_NOTE_CHARS:
        problems.append({"loc": ["body", "comment"], "msg": f"1 to {MAX_NOTE_CHARS} characters"})
    if problems:
        raise InvalidInput(
            "the silence is invalid: "
            + "; ".join(f"{'.'.join(map(str, p['loc'][1:]))}: {p['msg']}" for p in problems),
            errors=problems,
        )
    cleaned = {name: str(value) for name, value in matchers.items() if value is not None}
    silence = Silence(
        matchers=cleaned,
        starts_at=starts_at,
        ends_at=ends_at,
        comment=comment,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(silence)
    matched = open_alerts_matching(session, matchers=cleaned)
    session.add_all(
        _event(alert, kind="silenced", actor=actor, at=now, note=comment) for alert in matched
    )
    session.flush()
    return silence, [alert.id for alert in matched]


def get_silence(session: Session, *, silence_id: int) -> Silence:
    """The silence, or a 404."""
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise SilenceNotFound(f"silence {silence_id} not found")
    return silence


def expire_silence(
    session: Session, *, silence_id: int, actor: str, now: datetime | None = None
) -> Silence:
    """End a silence now (kept for the record, with who ended it); a 409 if it is over."""
    now = now or utc_now()
    silence = session.scalars(
        select(Silence).where(Silence.id == silence_id).with_for_update()
    ).first()
    if silence is None:
        raise SilenceNotFound(f"silence {silence_id} not found")
    if silence_state(silence, now=now) == "expired":
        raise SilenceAlreadyExpired(f"silence {silence_id} has already expired")
    silence.expired_by = actor
    silence.ends_at = now
    silence.starts_at = min(silence.starts_at, now)  # a pending one never starts
    silence.updated_at = now
    session.flush()
    return silence


def open_alerts_matching(session: Session, *, matchers: Mapping[str, Any]) -> list[Alert]:
    """Open alerts a silence with these matchers mutes, newest first.

    The database narrows by every matcher; the final word is
    :func:`monitors.labels.silence_matches` on the alerts' labels, the same test the
    notifier applies, so what this shows is what gets muted.
    """
    query = select(Alert).where(Alert.status.in_(OPEN_STATUSES))
    if (rule := matchers.get("rule")) is not None:
        query = query.where(Alert.rule == AlertRule(rule))
    if (severity := matchers.get("severity")) is not None:
        query = query.where(Alert.severity == Severity(severity))
    if (product := matchers.get("product")) is not None:
        query = query.where(
            Alert.product_id == select(Product.id).where(Product.code == product).scalar_subquery()
        )
    if (category := matchers.get("category")) is not None:
        category_id = select(ProductCategory.id).where(ProductCategory.code == category)
        query = query.where(Alert.category_id == category_id.scalar_subquery())
    if (region := matchers.get("region")) is not None:
        region_id = select(Region.id).where(Region.code == region).scalar_subquery()
        query = query.where(
            or_(
                Alert.district_id == region_id,
                and_(Alert.scope_level == "city", Alert.scope_id == region_id),
            )
        )
    alerts = list(session.scalars(query.order_by(Alert.last_seen_at.desc(), Alert.id.desc())))
    labels = alert_labels(session, alerts)
    return [alert for alert in alerts if silence_matches(matchers, labels[alert.id])]


# --- rule settings and thresholds ------------------------------------------------------


@dataclass(frozen=True)
class ConfigProblem:
    """One problem with a configuration: where (``("categories", "meat", field)``) and why."""

    loc: tuple[str, ...]
    msg: str


@dataclass(frozen=True)
class AlertRulesConfig:
    """Rule settings for every rule, and the threshold overrides by category and product
    code, each naming only the fields it changes (exactly what is stored)."""

    rules: dict[str, RuleSettings]
    categories: dict[str, Changes]
    products: dict[str, Changes]


@dataclass(frozen=True)
class Changed:
    """Who last changed a setting, and when."""

    updated_at: datetime
    updated_by: str


def _normalised(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Whole-number floats of integer fields as ints, so 3.0 days is stored as 3."""
    return {
        name: int(value)
        if name in INTEGER_FIELDS and isinstance(value, float) and value.is_integer()
        else value
        for name, value in changes.items()
    }


def _blamed(problem: str, changed: Iterable[str]) -> list[str]:
    """The changed fields a problem of :func:`validate_thresholds` is about: the fields it
    names, else those of the rule it starts with (``low_supply critical …``), critical
    first, because that is the level people usually move."""
    changed = list(changed)
    words = set(re.findall(r"[a-z_]+", problem))
    named = [name for name in changed if name in words]
    if named:
        return named
    rule = problem.split(" ", 1)[0]
    family = [name for name in changed if name.startswith(f"{rule}_") and "_over_" not in name]
    return sorted(family, key=lambda name: "critical" not in name)


def _scope_check(
    base: RuleThresholds, changes: Mapping[str, Any], *, loc: tuple[str, ...]
) -> tuple[RuleThresholds, list[ConfigProblem]]:
    """``base`` with the acceptable ``changes`` applied, and every problem with the rest.

    :func:`validate_thresholds` stops at the first kind of problem (bad numbers before
    contradictions), so the fields a problem blames are set back to ``base`` and the
    rest checked again until nothing new turns up: every problem is listed at once.
    """
    problems = [
        ConfigProblem((*loc, name), f"unknown threshold; known: {', '.join(THRESHOLD_FIELDS)}")
        for name in changes
        if name not in THRESHOLD_FIELDS
    ]
    if not changes:
        problems.append(ConfigProblem(loc, "give at least one threshold to change"))
    usable = {
        name: value for name, value in _normalised(changes).items() if name in THRESHOLD_FIELDS
    }
    seen: set[str] = set()
    merged = replace(base, **usable)
    for _ in range(len(THRESHOLD_FIELDS) + 1):
        found = [p for p in validate_thresholds(merged) if p not in seen]
        if not found:
            break
        reverted: dict[str, Any] = {}
        for message in found:
            seen.add(message)
            fields_ = _blamed(message, usable)
            problems.append(ConfigProblem((*loc, *fields_[:1]), message))
            reverted |= {name: getattr(base, name) for name in fields_}
        if not reverted:
            break  # a problem of the base itself: nothing here to set back
        usable = {name: value for name, value in usable.items() if name not in reverted}
        merged = replace(base, **usable)
    return merged, problems


def _catalogue(
    session: Session, product_codes: Collection[str]
) -> tuple[dict[str, int], dict[str, tuple[int, str]]]:
    """Category ids by code, and (id, category code) of the given products by code."""
    categories = {
        code: id_ for id_, code in session.execute(select(ProductCategory.id, ProductCategory.code))
    }
    products: dict[str, tuple[int, str]] = {}
    if product_codes:
        rows = session.execute(
            select(Product.code, Product.id, ProductCategory.code)
            .join(ProductCategory, Product.category_id == ProductCategory.id)
            .where(Product.code.in_(sorted(product_codes)))
        )
        products = {code: (id_, category) for code, id_, category in rows}
    return categories, products


def effective_thresholds(
    *,
    categories: Mapping[str, Mapping[str, Any]],
    products: Mapping[str, Mapping[str, Any]],
    product_categories: Mapping[str, str],
    known_categories: Collection[str],
) -> tuple[dict[str, RuleThresholds], dict[str, RuleThresholds], list[ConfigProblem]]:
    """Thresholds per category (all known ones) and per overridden product, and every
    problem with the overrides, each product checked against its category's effective
    values (DESIGN.md defaults → category override → product override)."""
    defaults = default_thresholds()
    problems: list[ConfigProblem] = []
    by_category = {code: defaults.get(code, defaults[ANY_CATEGORY]) for code in known_categories}
    for code, changes in categories.items():
        if code not in known_categories:
            problems.append(ConfigProblem(("categories", code), f"unknown category {code!r}"))
            continue
        by_category[code], found = _scope_check(
            by_category[code], changes, loc=("categories", code)
        )
        problems.extend(found)
    by_product: dict[str, RuleThresholds] = {}
    for code, changes in products.items():
        category = product_categories.get(code)
        if category is None:
            problems.append(ConfigProblem(("products", code), f"unknown product {code!r}"))
            continue
        base = by_category.get(category, defaults[ANY_CATEGORY])
        by_product[code], found = _scope_check(base, changes, loc=("products", code))
        problems.extend(
            ConfigProblem(p.loc, f"{p.msg} (against category {category})")
            if len(p.loc) > 2 and p.loc[2] in THRESHOLD_FIELDS
            else p
            for p in found
        )
    return by_category, by_product, problems


def _resolver_problems(
    categories: Mapping[str, Changes],
    products: Mapping[str, Changes],
    catalogue: Mapping[str, tuple[int, str]],
) -> list[ConfigProblem]:
    """What the monitor's own resolver says about the configuration: the last word, so
    nothing is stored that would make a monitor run fail."""
    frame = pd.DataFrame(
        [(catalogue[code][0], catalogue[code][1]) for code in products],
        columns=["product_id", "category"],
    )
    try:
        category_thresholds(category_overrides=categories)
        resolve_thresholds(
            products=frame,
            category_overrides=categories,
            product_overrides={catalogue[code][0]: changes for code, changes in products.items()},
        )
    except InvalidThresholds as error:
        return [ConfigProblem((), problem) for problem in error.problems]
    return []


def load_alert_rules(session: Session) -> AlertRulesConfig:
    """The stored configuration: every rule's settings (defaults where none is stored) and
    the threshold overrides by current category and product code."""
    categories: dict[str, Changes] = {}
    products: dict[str, Changes] = {}
    rows = session.execute(
        select(ThresholdOverride.changes, ProductCategory.code, Product.code)
        .outerjoin(ProductCategory, ThresholdOverride.category_id == ProductCategory.id)
        .outerjoin(Product, ThresholdOverride.product_id == Product.id)
        .order_by(ThresholdOverride.scope_key)
    )
    for changes, category, product in rows:
        if product is not None:
            products[product] = dict(changes)
        elif category is not None:
            categories[category] = dict(changes)
    return AlertRulesConfig(
        rules=load_rule_settings(session), categories=categories, products=products
    )


def alert_rules_audit(session: Session) -> dict[str, dict[str, Changed]]:
    """Who last changed each stored rule setting and override (keys ``rules``,
    ``categories``, ``products``), for the bureau's own accountability."""
    audit: dict[str, dict[str, Changed]] = {"rules": {}, "categories": {}, "products": {}}
    for row in session.scalars(select(RuleSetting)):
        audit["rules"][row.rule.value] = Changed(row.updated_at, row.updated_by)
    rows = session.execute(
        select(ThresholdOverride, ProductCategory.code, Product.code)
        .outerjoin(ProductCategory, ThresholdOverride.category_id == ProductCategory.id)
        .outerjoin(Product, ThresholdOverride.product_id == Product.id)
    )
    for override, category, product in rows:
        kind, code = ("products", product) if product is not None else ("categories", category)
        if code is not None:
            audit[kind][code] = Changed(override.updated_at, override.updated_by)
    return audit


def configuration_problems(session: Session, *, config: AlertRulesConfig) -> list[ConfigProblem]:
    """Every problem with ``config``: unknown rules, codes and fields, ``for_runs`` out of
    1–30, and thresholds that are negative or contradict each other."""
    problems: list[ConfigProblem] = []
    for rule, settings in config.rules.items():
        if rule not in {member.value for member in AlertRule}:
            problems.append(ConfigProblem(("rules", rule), "unknown rule"))
        elif not 1 <= settings.for_runs <= MAX_FOR_RUNS:
            problems.append(
                ConfigProblem(("rules", rule, "for_runs"), f"must be 1 to {MAX_FOR_RUNS}")
            )
    category_ids, catalogue = _catalogue(session, config.products)
    _, _, found = effective_thresholds(
        categories=config.categories,
        products=config.products,
        product_categories={code: category for code, (_, category) in catalogue.items()},
        known_categories=category_ids,
    )
    problems.extend(found)
    if not problems:
        problems.extend(_resolver_problems(config.categories, config.products, catalogue))
    return problems


def _store(session: Session, *, config: AlertRulesConfig, actor: str, now: datetime) -> None:
    """Write ``config`` over what is stored; a concurrent change of the same settings is a
    409 (try again), not a 500."""
    try:
        with session.begin_nested():
            _write(session, config=config, actor=actor, now=now)
    except IntegrityError as error:
        raise Conflict("the alert rules were changed at the same time; try again") from error


def _write(session: Session, *, config: AlertRulesConfig, actor: str, now: datetime) -> None:
    """Write ``config`` over what is stored, touching (and re-signing) only what changed."""
    stored = {row.rule.value: row for row in session.scalars(select(RuleSetting))}
    for rule in AlertRule:
        wanted = config.rules.get(rule.value, RuleSettings())
        row = stored.get(rule.value)
        if row is None and wanted == RuleSettings():
            continue
        if row is None:
            row = RuleSetting(rule=rule)
            session.add(row)
        elif (row.enabled, row.for_runs) == (wanted.enabled, wanted.for_runs):
            continue
        row.enabled, row.for_runs = wanted.enabled, wanted.for_runs
        row.updated_at, row.updated_by = now, actor

    category_ids, catalogue = _catalogue(session, config.products)
    wanted_rows: dict[tuple[str, int], tuple[str, Changes]] = {
        ("category", category_ids[code]): (f"category:{code}", _normalised(changes))
        for code, changes in config.categories.items()
    }
    wanted_rows |= {
        ("product", catalogue[code][0]): (f"product:{code}", _normalised(changes))
        for code, changes in config.products.items()
    }
    existing: dict[tuple[str, int], ThresholdOverride] = {}
    for override in session.scalars(select(ThresholdOverride)):
        key = (
            ("product", override.product_id)
            if override.product_id is not None
            else ("category", override.category_id or 0)
        )
        if key in wanted_rows and key not in existing:
            existing[key] = override
        else:
            session.delete(override)
    session.flush()  # deletes first: a re-added scope key must not clash with its old row
    for (kind, id_), (scope_key, changes) in wanted_rows.items():
        found = existing.get((kind, id_))
        if found is None:
            override = ThresholdOverride(
                category_id=id_ if kind == "category" else None,
                product_id=id_ if kind == "product" else None,
            )
            session.add(override)
        elif found.changes == changes and found.scope_key == scope_key:
            continue
        else:
            override = found
        override.scope_key, override.changes = scope_key, changes
        override.updated_at, override.updated_by = now, actor
    session.flush()


def _raise_if(problems: list[ConfigProblem], *, loc: Any) -> None:
    if problems:
        raise InvalidInput(
            f"{len(problems)} problem(s) with the alert rules: "
            + "; ".join(f"{'.'.join(p.loc) or 'thresholds'}: {p.msg}" for p in problems),
            errors=[{"loc": loc(p), "msg": p.msg} for p in problems],
        )


def replace_alert_rules(
    session: Session, *, config: AlertRulesConfig, actor: str, now: datetime | None = None
) -> AlertRulesConfig:
    """Replace the whole configuration after checking all of it (422 listing every
    problem at ``body.<rules|categories|products>.<key>.<field>``); a rule left out goes
    back to its defaults and an override left out is removed."""
    _raise_if(configuration_problems(session, config=config), loc=lambda p: ["body", *p.loc])
    _store(session, config=config, actor=actor, now=now or utc_now())
    return load_alert_rules(session)


def _known_code(session: Session, scope: OverrideScope, code: str) -> None:
    model = ProductCategory if scope == "category" else Product
    if session.scalar(select(model.id).where(model.code == code)) is None:
        raise NotFound(f"{scope} {code!r} not found")


def set_threshold_override(
    session: Session,
    *,
    scope: OverrideScope,
    code: str,
    changes: Mapping[str, Any],
    actor: str,
    now: datetime | None = None,
) -> AlertRulesConfig:
    """Replace one category's or product's override, checked with everything else stored:
    a category change that would contradict a stored product override is refused too
    (that problem is located at ``products.<code>.<field>``)."""
    _known_code(session, scope, code)
    current = load_alert_rules(session)
    plural = "categories" if scope == "category" else "products"
    overrides = {**getattr(current, plural), code: dict(changes)}
    config = replace(current, **{plural: overrides})

    def loc(problem: ConfigProblem) -> list[str]:
        if problem.loc[:2] == (plural, code):
            return ["body", *problem.loc[2:]]
        return list(problem.loc)

    _raise_if(configuration_problems(session, config=config), loc=loc)
    _store(session, config=config, actor=actor, now=now or utc_now())
    return load_alert_rules(session)


def delete_threshold_override(
    session: Session, *, scope: OverrideScope, code: str, actor: str, now: datetime | None = None
) -> AlertRulesConfig:
    """Remove one override (back to the category's or the defaults' values); a 409 if a
    stored product override would then contradict its category."""
    _known_code(session, scope, code)
    current = load_alert_rules(session)
    plural = "categories" if scope == "category" else "products"
    overrides = dict(getattr(current, plural))
    if overrides.pop(code, None) is None:
        raise NotFound(f"{scope} {code!r} has no threshold override")
    config = replace(current, **{plural: overrides})
    problems = configuration_problems(session, config=config)
    if problems:
        raise Conflict(
            f"removing the override of {scope} {code} would break stored overrides: "
            + "; ".join(f"{'.'.join(p.loc)}: {p.msg}" for p in problems),
            errors=[{"loc": list(p.loc), "msg": p.msg} for p in problems],
        )
    _store(session, config=config, actor=actor, now=now or utc_now())
    return load_alert_rules(session)
