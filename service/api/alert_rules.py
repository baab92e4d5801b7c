"""Alert rules: which rules run, how long a condition must hold before it fires, and the
thresholds per category and product that the bureau tunes while an emergency unfolds.

``GET`` shows the effective configuration; ``PUT`` replaces it whole, and the
per-scope routes change one override. Every change is checked against everything else
(a product override against its category's effective values) and refused with every
problem listed, so a typo cannot silently mute a rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Response, status
from pydantic import BaseModel, Field, StrictFloat, StringConstraints
from sqlalchemy.orm import Session

from core.access import require_role
from models import AlertRule, Role
from monitors.alerting.lifecycle import RuleSettings
from monitors.alerting.rule_settings import (
    MAX_FOR_RUNS,
    AlertRulesConfig,
    delete_threshold_override,
    replace_alert_rules,
    set_threshold_override,
)
from monitors.alerting.thresholds import THRESHOLD_FIELDS, RuleThresholds
from monitors.queries import alert_rules
from monitors.queries.alert_rules import AlertRulesView, describe_alert_rules
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import CODE_PATTERN, PROBLEM_RESPONSES, ReadModel, StrictModel

router = APIRouter(prefix="/alert-rules", tags=["alerts"], responses=PROBLEM_RESPONSES)

ThresholdChanges = dict[str, StrictFloat]
"""Only the thresholds an override changes, by field name (ratios as fractions)."""
ScopeCode = Annotated[str, Path(pattern=CODE_PATTERN)]
CodeKey = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
_CHANGES_DOC = f"Thresholds to change; fields: {', '.join(THRESHOLD_FIELDS)}"


class RuleSettingBody(StrictModel):
    enabled: bool = True
    for_runs: int = Field(
        default=1,
        ge=1,
        le=MAX_FOR_RUNS,
        description="Consecutive business days the condition must hold before it fires",
    )


class AlertRulesIn(StrictModel):
    """The whole configuration; a rule left out goes back to its defaults and an override
    left out is removed."""

    rules: dict[AlertRule, RuleSettingBody] = Field(default_factory=dict)
    categories: dict[CodeKey, ThresholdChanges] = Field(
        default_factory=dict, description=f"By category code. {_CHANGES_DOC}"
    )
    products: dict[CodeKey, ThresholdChanges] = Field(
        default_factory=dict, description=f"By product code. {_CHANGES_DOC}"
    )


class Changed(ReadModel):
    updated_at: datetime
    updated_by: str


class Audit(ReadModel):
    rules: dict[str, Changed]
    categories: dict[str, Changed]
    products: dict[str, Changed]


class EffectiveThresholds(BaseModel):
    categories: dict[str, RuleThresholds] = Field(
        description="Every category: DESIGN.md's defaults with its override applied"
    )
    products: dict[str, RuleThresholds] = Field(
        description="Every overridden product: its category's values with its override applied"
    )


class AlertRulesRead(BaseModel):
    """``rules``, ``categories`` and ``products`` are exactly what ``PUT`` takes."""

    rules: dict[str, RuleSettingBody]
    categories: dict[str, dict[str, float]]
    products: dict[str, dict[str, float]]
    thresholds: EffectiveThresholds
    audit: Audit = Field(description="Who last changed each stored setting, and when")


def _rendered(view: AlertRulesView) -> AlertRulesRead:
    return AlertRulesRead(
        rules={
            rule: RuleSettingBody(enabled=settings.enabled, for_runs=settings.for_runs)
            for rule, settings in view.rules.items()
        },
        categories=view.categories,
        products=view.products,
        thresholds=EffectiveThresholds(
            categories=view.thresholds.categories, products=view.thresholds.products
        ),
        audit=Audit(
            **{
                kind: {key: Changed.model_validate(changed) for key, changed in entries.items()}
                for kind, entries in view.audit.items()
            }
        ),
    )


def _read(session: Session, config: AlertRulesConfig) -> AlertRulesRead:
    return _rendered(describe_alert_rules(session=session, config=config))


@router.get("", summary="The effective alert rules and thresholds")
def read_alert_rules(session: SessionDep, principal: PrincipalDep) -> AlertRulesRead:
    return _rendered(alert_rules.read_alert_rules(session=session, principal=principal))


@router.put("", summary="Replace the alert rules and threshold overrides whole")
def put_alert_rules(
    body: AlertRulesIn, session: SessionDep, principal: PrincipalDep
) -> AlertRulesRead:
    require_role(principal, Role.bureau)
    config = AlertRulesConfig(
        rules={
            rule.value: RuleSettings(enabled=settings.enabled, for_runs=settings.for_runs)
            for rule, settings in body.rules.items()
        },
        categories={code: dict(changes) for code, changes in body.categories.items()},
        products={code: dict(changes) for code, changes in body.products.items()},
    )
    return _read(session, replace_alert_rules(session, config=config, principal=principal))


Scope = Literal["categories", "products"]


@router.put(
    "/{scope}/{code}",
    summary="Replace one category's or product's threshold override",
)
def put_override(
    scope: Scope,
    code: ScopeCode,
    changes: Annotated[ThresholdChanges, Body(description=_CHANGES_DOC)],
    session: SessionDep,
    principal: PrincipalDep,
) -> AlertRulesRead:
    require_role(principal, Role.bureau)
    config = set_threshold_override(
        session,
        scope="category" if scope == "categories" else "product",
        code=code,
        changes=changes,
        principal=principal,
    )
    return _read(session, config)


@router.delete(
    "/{scope}/{code}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove one category's or product's threshold override",
)
def delete_override(
    scope: Scope, code: ScopeCode, session: SessionDep, principal: PrincipalDep
) -> Response:
    require_role(principal, Role.bureau)
    delete_threshold_override(
        session,
        scope="category" if scope == "categories" else "product",
        code=code,
        principal=principal,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
