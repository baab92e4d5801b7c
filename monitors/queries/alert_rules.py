"""The alert rules as the bureau reads them: what is stored, the effective thresholds it
gives every category and overridden product, and who last changed each setting."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from models import Product, ProductCategory, Role
from monitors.alerting.lifecycle import RuleSettings
from monitors.alerting.rule_settings import (
    AlertRulesConfig,
    Changed,
    Changes,
    alert_rules_audit,
    effective_thresholds,
    load_alert_rules,
)
from monitors.alerting.thresholds import RuleThresholds


@dataclass(frozen=True)
class EffectiveThresholds:
    """Every category's thresholds (DESIGN.md's defaults with its override applied) and
    every overridden product's (its category's values with its override applied)."""

    categories: dict[str, RuleThresholds]
    products: dict[str, RuleThresholds]


@dataclass(frozen=True)
class AlertRulesView:
    """The stored configuration (exactly what a replacement takes), the thresholds in
    effect, and who last changed each stored setting (keys rules, categories, products)."""

    rules: dict[str, RuleSettings]
    categories: dict[str, Changes]
    products: dict[str, Changes]
    thresholds: EffectiveThresholds
    audit: dict[str, dict[str, Changed]]


def describe_alert_rules(*, session: Session, config: AlertRulesConfig) -> AlertRulesView:
    """``config`` with the thresholds it gives and the audit of what is stored: what the
    bureau checks after changing a threshold in the middle of an emergency."""
    categories = list(session.scalars(select(ProductCategory.code)))
    product_categories = dict(
        session.execute(
            select(Product.code, ProductCategory.code)
            .join(ProductCategory, Product.category_id == ProductCategory.id)
            .where(Product.code.in_(sorted(config.products)))
        ).all()
    )
    by_category, by_product, _ = effective_thresholds(
        categories=config.categories,
        products=config.products,
        product_categories=product_categories,
        known_categories=categories,
    )
    return AlertRulesView(
        rules=dict(config.rules),
        categories=config.categories,
        products=config.products,
        thresholds=EffectiveThresholds(categories=by_category, products=by_product),
        audit=alert_rules_audit(session),
    )


def read_alert_rules(*, session: Session, principal: Principal) -> AlertRulesView:
    """The effective alert rules and thresholds (the bureau and admins only)."""
    require_role(principal, Role.bureau)
    return describe_alert_rules(session=session, config=load_alert_rules(session))
