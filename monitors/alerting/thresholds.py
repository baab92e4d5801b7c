"""Alert thresholds: DESIGN.md's defaults per category, overridable per category and product.

Bureau staff tune thresholds while an emergency unfolds, so a contradictory setting
(a critical level laxer than the warning, a negative ratio) must be refused with a
message they can act on instead of silently muting a rule. Resolution is layered:
category defaults → category overrides → product overrides, each override naming only
the fields it changes.

Low-supply levels are *days of supply*: a scope is ``low`` below the warning level and
``critical`` below the critical level. A scope is ``overstocked`` (hoarding, or stock
that will spoil) above ``overstock_factor × warning`` days: four times the cover the
bureau asks for by default, i.e. 8 days of vegetables, fruit or milk, 12 of meat or
eggs, 28 of grain or oil. A factor rather than a fixed number keeps the band above the
warning level whenever the warning level is overridden.

A restock suggestion (``supply_network``) fills a scope up to ``restock_target_days``, the
warning level plus ``restock_extra_days`` (3 by default), tuned like any threshold.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from numbers import Real
from typing import Any

import pandas as pd

from core.text import N_, Text, in_turn, phrase, verbatim

ANY_CATEGORY = "*"
"""Key of the thresholds used for a category that has no entry of its own."""


@dataclass(frozen=True)
class RuleThresholds:
    """Every per-product threshold of the alert rules (ratios are fractions: 0.15 = +15 %)."""

    low_supply_warning_days: float = 3.0
    low_supply_critical_days: float = 1.5
    overstock_factor: float = 4.0
    stockout_critical_share: float = 0.2
    price_spike_warning: float = 0.15
    price_spike_critical: float = 0.30
    price_day_over_day_warning: float = 0.10
    price_baseline_min_days: int = 3
    price_outlier_z: float = 3.5
    price_outlier_min_outlets: int = 5
    sales_surge_warning: float = 2.0
    sales_surge_critical: float = 3.0
    restock_extra_days: float = 3.0

    @property
    def overstock_days(self) -> float:
        """Days of supply above which a scope counts as overstocked."""
        return self.overstock_factor * self.low_supply_warning_days

    @property
    def restock_target_days(self) -> float:
        """Days of cover a restock suggestion fills up to: a few days above the warning
        level, so a refilled shelf does not warn again the next morning."""
        return self.low_supply_warning_days + self.restock_extra_days


THRESHOLD_FIELDS: tuple[str, ...] = tuple(field.name for field in fields(RuleThresholds))
INTEGER_FIELDS: frozenset[str] = frozenset({"price_baseline_min_days", "price_outlier_min_outlets"})
MAX_WHOLE_THRESHOLD = 1_000_000
"""Largest whole-number threshold (days, outlets): far above any real setting, and within
the 64-bit integers the thresholds' frame holds (1e308 days failed with a 500)."""
DAY_FIELDS: frozenset[str] = frozenset(
    {"low_supply_warning_days", "low_supply_critical_days", "restock_extra_days"}
)
MAX_THRESHOLD_DAYS = 365
"""Largest threshold in days of supply: a year, more than any store keeps (1e308 days
made every restock suggestion of the category vanish without a word)."""
MAX_THRESHOLD_FACTOR = 1_000
"""Largest factor, ratio or z-score: a thousandfold is far past any useful alert."""
THRESHOLD_WORDS: dict[str, str] = {
    "low_supply_warning_days": N_("low_supply_warning_days"),
    "low_supply_critical_days": N_("low_supply_critical_days"),
    "overstock_factor": N_("overstock_factor"),
    "stockout_critical_share": N_("stockout_critical_share"),
    "price_spike_warning": N_("price_spike_warning"),
    "price_spike_critical": N_("price_spike_critical"),
    "price_day_over_day_warning": N_("price_day_over_day_warning"),
    "price_baseline_min_days": N_("price_baseline_min_days"),
    "price_outlier_z": N_("price_outlier_z"),
    "price_outlier_min_outlets": N_("price_outlier_min_outlets"),
    "sales_surge_warning": N_("sales_surge_warning"),
    "sales_surge_critical": N_("sales_surge_critical"),
    "restock_extra_days": N_("restock_extra_days"),
}
"""The thresholds as people read them (the API names them by field)."""


def threshold_word(name: str) -> Text:
    """A threshold field named for people in their language (an unknown one as sent)."""
    return phrase(THRESHOLD_WORDS[name]) if name in THRESHOLD_WORDS else verbatim(name)


class InvalidThresholds(ValueError):
    """Thresholds that contradict each other or are out of range; ``problems`` lists why."""

    def __init__(self, problems: list[Text]) -> None:
        super().__init__(str(in_turn(problems)))
        self.problems = problems


def default_thresholds() -> dict[str, RuleThresholds]:
    """DESIGN.md's defaults per category; :data:`ANY_CATEGORY` covers any other category."""
    perishable = RuleThresholds(low_supply_warning_days=2.0, low_supply_critical_days=1.0)
    protein = RuleThresholds(low_supply_warning_days=3.0, low_supply_critical_days=1.5)
    staple = RuleThresholds(low_supply_warning_days=7.0, low_supply_critical_days=3.0)
    return {
        "vegetables": perishable,
        "fruit": perishable,
        "dairy": perishable,
        "meat": protein,
        "eggs": protein,
        "grain": staple,
        "edible_oil": staple,
        ANY_CATEGORY: protein,
    }


def validate_thresholds(thresholds: RuleThresholds) -> list[Text]:
    """Every problem with one set of thresholds (empty when it is usable)."""
    problems: list[Text] = []
    for name in THRESHOLD_FIELDS:
        value = getattr(thresholds, name)
        field = threshold_word(name)
        if isinstance(value, bool) or not isinstance(value, Real):
            problems.append(
                phrase("{field} must be a number, not {value!r}", field=field, value=value)
            )
        elif not math.isfinite(value):
            problems.append(phrase("{field} must be finite", field=field))
        elif value < 0:
            problems.append(
                phrase("{field} must not be negative ({value})", field=field, value=value)
            )
        elif name in INTEGER_FIELDS and not float(value).is_integer():
            problems.append(
                phrase("{field} must be a whole number ({value})", field=field, value=value)
            )
        elif name not in INTEGER_FIELDS and float(value) > (
            limit := MAX_THRESHOLD_DAYS if name in DAY_FIELDS else MAX_THRESHOLD_FACTOR
        ):
            problems.append(
                phrase(
                    "{field} must be at most {limit} ({value})",
                    field=field,
                    limit=limit,
                    value=value,
                )
            )
        elif name in INTEGER_FIELDS and float(value) > MAX_WHOLE_THRESHOLD:
            problems.append(
                phrase(
                    "{field} must be at most {limit} ({value})",
                    field=field,
                    limit=MAX_WHOLE_THRESHOLD,
                    value=value,
                )
            )
    if problems:
        return problems
    t = thresholds
    if t.low_supply_warning_days <= 0 or t.low_supply_critical_days <= 0:
        problems.append(phrase("low_supply levels must be positive numbers of days"))
    if t.low_supply_critical_days >= t.low_supply_warning_days:
        problems.append(
            phrase(
                "low_supply critical (< {critical} days) must be stricter than "
                "warning (< {warning} days)",
                critical=t.low_supply_critical_days,
                warning=t.low_supply_warning_days,
            )
        )
    if t.overstock_factor <= 1:
        problems.append(
            phrase("overstock_factor must exceed 1 ({value})", value=t.overstock_factor)
        )
    if not 0 < t.stockout_critical_share <= 1:
        problems.append(
            phrase(
                "stockout_critical_share must be in (0, 1] ({value})",
                value=t.stockout_critical_share,
            )
        )
    if t.price_spike_warning <= 0:
        problems.append(
            phrase("price_spike_warning must be positive ({value})", value=t.price_spike_warning)
        )
    if t.price_spike_critical <= t.price_spike_warning:
        problems.append(
            phrase(
                "price_spike critical (+{critical:.0%}) must be stricter than "
                "warning (+{warning:.0%})",
                critical=t.price_spike_critical,
                warning=t.price_spike_warning,
            )
        )
    if t.price_day_over_day_warning <= 0:
        problems.append(
            phrase(
                "price_day_over_day_warning must be positive ({value})",
                value=t.price_day_over_day_warning,
            )
        )
    if t.price_baseline_min_days < 1:
        problems.append(phrase("price_baseline_min_days must be at least 1"))
    if t.price_outlier_z <= 0:
        problems.append(
            phrase("price_outlier_z must be positive ({value})", value=t.price_outlier_z)
        )
    if t.price_outlier_min_outlets < 3:
        problems.append(
            phrase(
                "price_outlier_min_outlets must be at least 3 ({value})",
                value=t.price_outlier_min_outlets,
            )
        )
    if t.sales_surge_warning <= 1:
        problems.append(
            phrase("sales_surge_warning must exceed 1× ({value})", value=t.sales_surge_warning)
        )
    if t.sales_surge_critical <= t.sales_surge_warning:
        problems.append(
            phrase(
                "sales_surge critical ({critical}×) must be stricter than warning ({warning}×)",
                critical=t.sales_surge_critical,
                warning=t.sales_surge_warning,
            )
        )
    return problems


def _override(
    base: RuleThresholds, changes: Mapping[str, object], *, where: Text
) -> tuple[RuleThresholds, list[Text]]:
    """``base`` with ``changes`` applied, and the problems found (prefixed with ``where``)."""
    unknown = sorted(set(changes) - set(THRESHOLD_FIELDS))
    if unknown:
        return base, [
            phrase("{where}: unknown threshold(s) {names}", where=where, names=", ".join(unknown))
        ]
    cleaned: dict[str, object] = {}
    for name, value in changes.items():
        if name in INTEGER_FIELDS and isinstance(value, float) and value.is_integer():
            value = int(value)
        cleaned[name] = value
    result = replace(base, **cleaned)  # type: ignore[arg-type]
    return result, [
        phrase("{where}: {problem}", where=where, problem=problem)
        for problem in validate_thresholds(result)
    ]


def category_thresholds(
    *, category_overrides: Mapping[str, Mapping[str, object]] | None = None
) -> dict[str, RuleThresholds]:
    """Defaults with the category overrides applied; raises :class:`InvalidThresholds`.

    An override for a category without defaults starts from the :data:`ANY_CATEGORY`
    entry, so a new category ("condiments") can be given thresholds without code.
    """
    table, problems = _category_table(category_overrides)
    if problems:
        raise InvalidThresholds(problems)
    return table


def _category_table(
    category_overrides: Mapping[str, Mapping[str, object]] | None,
) -> tuple[dict[str, RuleThresholds], list[Text]]:
    """Defaults with the valid category overrides applied, and every problem found.

    A bad override is left out of the table (so product overrides can still be checked
    against a sane base) and reported in the problems.
    """
    table = default_thresholds()
    problems: list[Text] = []
    for category, changes in (category_overrides or {}).items():
        base = table.get(category, table[ANY_CATEGORY])
        merged, found = _override(base, changes, where=phrase("category {code}", code=category))
        problems.extend(found)
        if not found:
            table[category] = merged
    return table, problems


def _frame(table: Mapping[str, RuleThresholds]) -> pd.DataFrame:
    """Thresholds as a frame indexed by ``category``, one column per field."""
    frame = pd.DataFrame.from_records(
        [asdict(thresholds) for thresholds in table.values()],
        index=pd.Index(list(table), name="category"),
        columns=list(THRESHOLD_FIELDS),
    )
    return frame.astype(dict.fromkeys(INTEGER_FIELDS, "int64"))


def resolve_category_thresholds(
    *,
    categories: Iterable[str],
    category_overrides: Mapping[str, Mapping[str, object]] | None = None,
) -> pd.DataFrame:
    """Thresholds per category (index ``category``), for category-level supply numbers."""
    table = category_thresholds(category_overrides=category_overrides)
    wanted = list(dict.fromkeys(categories))
    frame = _frame({category: table.get(category, table[ANY_CATEGORY]) for category in wanted})
    frame.index.name = "category"
    return frame


def resolve_thresholds(
    *,
    products: pd.DataFrame,
    category_overrides: Mapping[str, Mapping[str, object]] | None = None,
    product_overrides: Mapping[int, Mapping[str, object]] | None = None,
) -> pd.DataFrame:
    """Thresholds per product (index ``product_id``; columns ``category`` + every field).

    ``products`` needs ``product_id`` and ``category``. Raises :class:`InvalidThresholds`
    listing every bad override, including overrides of unknown products, so one bad
    entry cannot hide another.
    """
    if "product_id" not in products.columns or "category" not in products.columns:
        raise ValueError("products needs columns product_id and category")
    if products["product_id"].duplicated().any():
        raise ValueError("products lists a product_id more than once")
    table, problems = _category_table(category_overrides)
    known = products["category"].where(products["category"].isin(list(table)), ANY_CATEGORY)
    by_category = _frame(table)
    resolved = by_category.reindex(known.to_numpy())
    resolved.index = pd.Index(products["product_id"].to_numpy(), name="product_id")
    resolved.insert(0, "category", products["category"].to_numpy())

    for product_id, changes in (product_overrides or {}).items():
        if product_id not in resolved.index:
            problems.append(
                phrase("product {product_id}: not in the product list", product_id=product_id)
            )
            continue
        current = resolved.loc[product_id, list(THRESHOLD_FIELDS)].to_dict()
        row: dict[str, Any] = {
            str(name): int(value) if name in INTEGER_FIELDS else float(value)
            for name, value in current.items()
        }
        base = RuleThresholds(**row)
        merged, found = _override(
            base, changes, where=phrase("product {product_id}", product_id=product_id)
        )
        problems.extend(found)
        if not found:
            resolved.loc[product_id, list(THRESHOLD_FIELDS)] = [
                getattr(merged, name) for name in THRESHOLD_FIELDS
            ]
    if problems:
        raise InvalidThresholds(problems)
    return resolved


def fallback_thresholds() -> RuleThresholds:
    """The thresholds used for a product missing from the resolved table."""
    return default_thresholds()[ANY_CATEGORY]
