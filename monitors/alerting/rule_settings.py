"""Alert rules and thresholds: the defaults of DESIGN.md, tuned per category and product.

A configuration is validated as a whole (a critical threshold stricter than the warning one,
and so on) and every problem is reported at once; a rejected change writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.access import Principal, require_national, require_role
from core.errors import Conflict, InvalidInput, NotFound
from core.text import Text, field_problem, in_turn, phrase, verbatim
from core.words import word
from models import (
    AlertRule,
    Product,
    ProductCategory,
    Role,
    RuleSetting,
    ThresholdOverride,
)
from models.base import utc_now
from monitors.alerting.lifecycle import RuleSettings, load_rule_settings
from monitors.alerting.thresholds import (
    ANY_CATEGORY,
    INTEGER_FIELDS,
    THRESHOLD_FIELDS,
    InvalidThresholds,
    RuleThresholds,
    category_thresholds,
    default_thresholds,
    resolve_thresholds,
    threshold_word,
    validate_thresholds,
)

MAX_FOR_RUNS = 30
OverrideScope = Literal["category", "product"]
Changes = dict[str, float | int]


@dataclass(frozen=True)
class ConfigProblem:
    """One problem with a configuration: where (``("categories", "meat", field)``) and why."""

    loc: tuple[str, ...]
    msg: Text


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
        ConfigProblem(
            (*loc, name),
            phrase("unknown threshold; known: {known}", known=", ".join(THRESHOLD_FIELDS)),
        )
        for name in changes
        if name not in THRESHOLD_FIELDS
    ]
    if not changes:
        problems.append(ConfigProblem(loc, phrase("give at least one threshold to change")))
    usable = {
        name: value for name, value in _normalised(changes).items() if name in THRESHOLD_FIELDS
    }
    seen: set[str] = set()
    merged = replace(base, **usable)
    for _ in range(len(THRESHOLD_FIELDS) + 1):
        found = [p for p in validate_thresholds(merged) if str(p) not in seen]
        if not found:
            break
        reverted: dict[str, Any] = {}
        for message in found:
            seen.add(str(message))
            fields_ = _blamed(str(message), usable)
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
            problems.append(
                ConfigProblem(("categories", code), phrase("unknown category {code!r}", code=code))
            )
            continue
        by_category[code], found = _scope_check(
            by_category[code], changes, loc=("categories", code)
        )
        problems.extend(found)
    by_product: dict[str, RuleThresholds] = {}
    for code, changes in products.items():
        category = product_categories.get(code)
        if category is None:
            problems.append(
                ConfigProblem(("products", code), phrase("unknown product {code!r}", code=code))
            )
            continue
        base = by_category.get(category, defaults[ANY_CATEGORY])
        by_product[code], found = _scope_check(base, changes, loc=("products", code))
        problems.extend(
            ConfigProblem(
                p.loc,
                phrase("{problem} (against category {category})", problem=p.msg, category=category),
            )
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
            problems.append(ConfigProblem(("rules", rule), phrase("unknown rule")))
        elif not 1 <= settings.for_runs <= MAX_FOR_RUNS:
            problems.append(
                ConfigProblem(
                    ("rules", rule, "for_runs"), phrase("must be 1 to {limit}", limit=MAX_FOR_RUNS)
                )
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
            "{count} problem(s) with the alert rules: {problems}",
            errors=[field_problem(loc(p), p.msg) for p in problems],
            count=len(problems),
            problems=in_turn(
                [phrase("{where}: {problem}", where=_where(p.loc), problem=p.msg) for p in problems]
            ),
        )


def _where(loc: tuple[str, ...]) -> Text:
    """Where a problem of the configuration is, as the API names it
    (``categories.meat.low_supply_warning_days``), in the reader's words."""
    if not loc:
        return phrase("thresholds")
    kind, code, rest = loc[0], loc[1] if len(loc) > 1 else "", loc[2:]
    if kind == "categories" and len(loc) == 2:
        return phrase("categories.{code}", code=code)
    if kind == "categories" and len(rest) == 1:
        return phrase("categories.{code}.{field}", code=code, field=threshold_word(rest[0]))
    if kind == "products" and len(loc) == 2:
        return phrase("products.{code}", code=code)
    if kind == "products" and len(rest) == 1:
        return phrase("products.{code}.{field}", code=code, field=threshold_word(rest[0]))
    rule = word(AlertRule(code)) if code in set(AlertRule) else verbatim(code)
    if kind == "rules" and len(loc) == 2:
        return phrase("rules.{rule}", rule=rule)
    if kind == "rules" and rest == ("for_runs",):
        return phrase("rules.{rule}.for_runs", rule=rule)
    return verbatim(".".join(loc))


def _require_rule_editor(principal: Principal) -> None:
    """The rules are every region's: the bureau (and admins) change them, national only."""
    require_role(principal, Role.bureau)
    require_national(principal)


def replace_alert_rules(
    session: Session,
    *,
    config: AlertRulesConfig,
    principal: Principal,
    now: datetime | None = None,
) -> AlertRulesConfig:
    """Replace the whole configuration after checking all of it (422 listing every
    problem at ``body.<rules|categories|products>.<key>.<field>``); a rule left out goes
    back to its defaults and an override left out is removed."""
    _require_rule_editor(principal)
    actor = principal.label
    _raise_if(configuration_problems(session, config=config), loc=lambda p: ["body", *p.loc])
    _store(session, config=config, actor=actor, now=now or utc_now())
    return load_alert_rules(session)


def _known_code(session: Session, scope: OverrideScope, code: str) -> None:
    model = ProductCategory if scope == "category" else Product
    if session.scalar(select(model.id).where(model.code == code)) is None:
        raise NotFound("{label} {code!r} not found", label=_scope_word(scope), code=code)


def _scope_word(scope: OverrideScope) -> Text:
    return phrase("category") if scope == "category" else phrase("product")


def set_threshold_override(
    session: Session,
    *,
    scope: OverrideScope,
    code: str,
    changes: Mapping[str, Any],
    principal: Principal,
    now: datetime | None = None,
) -> AlertRulesConfig:
    """Replace one category's or product's override, checked with everything else stored:
    a category change that would contradict a stored product override is refused too
    (that problem is located at ``products.<code>.<field>``)."""
    _require_rule_editor(principal)
    actor = principal.label
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
    session: Session,
    *,
    scope: OverrideScope,
    code: str,
    principal: Principal,
    now: datetime | None = None,
) -> AlertRulesConfig:
    """Remove one override (back to the category's or the defaults' values); a 409 if a
    stored product override would then contradict its category."""
    _require_rule_editor(principal)
    actor = principal.label
    _known_code(session, scope, code)
    current = load_alert_rules(session)
    plural = "categories" if scope == "category" else "products"
    overrides = dict(getattr(current, plural))
    if overrides.pop(code, None) is None:
        raise NotFound(
            "{label} {code!r} has no threshold override", label=_scope_word(scope), code=code
        )
    config = replace(current, **{plural: overrides})
    problems = configuration_problems(session, config=config)
    if problems:
        raise Conflict(
            "removing the override of {label} {code} would break stored overrides: {problems}",
            errors=[field_problem(list(p.loc), p.msg) for p in problems],
            label=_scope_word(scope),
            code=code,
            problems=in_turn(
                [
                    phrase(
                        "{where}: {problem}",
                        where=_where(p.loc) if p.loc else verbatim(""),
                        problem=p.msg,
                    )
                    for p in problems
                ]
            ),
        )
    _store(session, config=config, actor=actor, now=now or utc_now())
    return load_alert_rules(session)
