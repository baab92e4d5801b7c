"""Where a ticket goes: the bureau's working groups, the routing rules (category and
region → working group and level), the SLA targets per priority, and their defaults.

A rule may leave the category or the region empty (any). The rule for the region nearest
the ticket's place wins (its own region, then each parent up to the city; a rule without
region comes last); at the same region, a rule naming the category beats one that does
not. ``county`` level means the county office of the district the place lies in.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.access import Principal, require_national, require_role, within_region
from core.errors import InvalidInput
from core.lookups import get_optional_by_code, unknown_code
from core.text import field_problem, phrase
from hotline.sla import DEFAULT_POLICY, SlaPolicy, SlaTarget
from models import (
    AssignmentLevel,
    Region,
    Role,
    RoutingRule,
    SlaTargetSetting,
    TicketCategory,
    TicketPriority,
    User,
    WorkingGroup,
    WorkingGroupMember,
)
from models.base import utc_now

WORKING_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("market_monitoring", "Market monitoring and analysis", "市场监测分析组"),
    ("supply_coordination", "Supply coordination", "供应协调组"),
    ("logistics_delivery", "Logistics and delivery", "物流配送组"),
    ("publicity", "Publicity", "宣传组"),
    ("support_services", "Support services", "综合保障组"),
    ("discipline", "Discipline", "纪律监督组"),
)
"""The six working groups of the bureau (code, English name, Chinese name)."""

DEFAULT_ROUTES: dict[TicketCategory, tuple[str, AssignmentLevel]] = {
    TicketCategory.cannot_buy: ("supply_coordination", AssignmentLevel.county),
    TicketCategory.price_complaint: ("market_monitoring", AssignmentLevel.city),
    TicketCategory.store_closed_or_short: ("supply_coordination", AssignmentLevel.county),
    TicketCategory.delivery_late: ("logistics_delivery", AssignmentLevel.county),
    TicketCategory.pass_or_checkpoint: ("logistics_delivery", AssignmentLevel.city),
    TicketCategory.producer_cannot_sell: ("supply_coordination", AssignmentLevel.city),
    TicketCategory.other: ("support_services", AssignmentLevel.city),
}
"""City-wide rules ``ensure_defaults`` writes when the bureau has configured none."""

MOST_FIRST_RESPONSE_MINUTES = 60 * 24 * 30
MOST_RESOLUTION_MINUTES = 60 * 24 * 90
"""The longest SLA targets a bureau may set: a month to answer, a quarter to resolve."""
DEFAULTS_LOCK = 0x5357_4844  # the advisory lock key of the hotline's defaults ("SWHD")


@dataclass(frozen=True)
class RoutingRuleView:
    """A routing rule with codes instead of ids."""

    category: str | None
    region: str | None
    working_group: str
    level: str


@dataclass(frozen=True)
class Route:
    """Where a ticket is assigned: a working group and the level that handles it."""

    working_group_id: int
    level: AssignmentLevel


def ensure_defaults(*, session: Session) -> None:
    """Create the six working groups, city-wide routes and SLA targets where missing, so a
    fresh installation routes and times tickets without manual set-up."""
    if session.get_bind().dialect.name == "postgresql":
        # First tickets filed at once would each create the defaults (a unique violation,
        # or the default routes twice); one at a time, each reading what the last one
        # committed (SQLite's writers already take the database's write lock at BEGIN).
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DEFAULTS_LOCK})
    known = set(session.scalars(select(WorkingGroup.code)))
    for code, name, name_zh in WORKING_GROUPS:
        if code not in known:
            session.add(WorkingGroup(code=code, name=name, name_zh=name_zh))
    session.flush()
    if session.scalars(select(RoutingRule.id).limit(1)).first() is None:
        groups: dict[str, int] = {
            row.code: row.id for row in session.execute(select(WorkingGroup.code, WorkingGroup.id))
        }
        for category, (group, level) in DEFAULT_ROUTES.items():
            session.add(RoutingRule(category=category, working_group_id=groups[group], level=level))
    configured = set(session.scalars(select(SlaTargetSetting.priority)))
    for priority, target in DEFAULT_POLICY.targets.items():
        if TicketPriority(priority) not in configured:
            session.add(
                SlaTargetSetting(
                    priority=TicketPriority(priority),
                    first_response_minutes=target.first_response_minutes,
                    resolution_minutes=target.resolution_minutes,
                )
            )
    session.flush()


def region_ancestry(*, session: Session, region_id: int) -> list[Region]:
    """The region and its parents up to the city, nearest first (a few primary-key reads)."""
    chain: list[Region] = []
    current = session.get(Region, region_id)
    while current is not None and len(chain) < 16:
        chain.append(current)
        current = session.get(Region, current.parent_id) if current.parent_id else None
    return chain


def route_ticket(*, session: Session, category: TicketCategory, region_id: int) -> Route | None:
    """The working group and level the rules give a ticket, or None when no rule fits (a
    fresh installation without any rule gets the default rules first)."""
    if session.scalars(select(RoutingRule.id).limit(1)).first() is None:
        ensure_defaults(session=session)
    ancestry = [region.id for region in region_ancestry(session=session, region_id=region_id)]
    rules = session.scalars(
        select(RoutingRule).where(
            (RoutingRule.category == category) | RoutingRule.category.is_(None),
            RoutingRule.region_id.in_(ancestry) | RoutingRule.region_id.is_(None),
        )
    ).all()
    if not rules:
        return None

    def closeness(rule: RoutingRule) -> tuple[int, int, int]:
        distance = ancestry.index(rule.region_id) if rule.region_id is not None else len(ancestry)
        return (distance, 0 if rule.category is not None else 1, rule.id)

    best = min(rules, key=closeness)
    return Route(working_group_id=best.working_group_id, level=best.level)


def set_routing_rule(
    *,
    session: Session,
    principal: Principal,
    category: TicketCategory | None,
    region: str | None,
    working_group: str,
    level: AssignmentLevel,
) -> RoutingRule:
    """Create or replace the rule for one category and region, so routing follows the
    bureau's organisation without a release."""
    require_role(principal, Role.bureau)
    if region is None:
        require_national(principal)
    ensure_defaults(session=session)  # a first rule must not stand in for the defaults
    found_region = get_optional_by_code(
        session, Region, region, label=phrase("region"), field="region"
    )
    if found_region is not None and not principal.in_region(found_region.id):
        raise unknown_code(label=phrase("region"), code=region, field="region")
    group = working_group_by_code(session=session, code=working_group)
    region_id = found_region.id if found_region else None
    rule = session.scalars(
        select(RoutingRule).where(
            RoutingRule.category.is_(None)
            if category is None
            else RoutingRule.category == category,
            RoutingRule.region_id.is_(None)
            if region_id is None
            else RoutingRule.region_id == region_id,
        )
    ).first()
    if rule is None:
        rule = RoutingRule(category=category, region_id=region_id)
        session.add(rule)
    rule.working_group_id = group.id
    rule.level = level
    rule.updated_by = principal.label
    session.flush()
    return rule


def working_group_by_code(
    *, session: Session, code: str, field: str = "working_group"
) -> WorkingGroup:
    """The active working group with this code; an unknown one is a 422 naming the field."""
    group = session.scalars(
        select(WorkingGroup).where(WorkingGroup.code == code, WorkingGroup.active.is_(True))
    ).first()
    if group is None:
        raise InvalidInput(
            "unknown working group {code!r}",
            errors=[field_problem(["body", field], "unknown working group {code!r}", code=code)],
            code=code,
        )
    return group


def load_sla_policy(*, session: Session) -> SlaPolicy:
    """The bureau's SLA targets (defaults for priorities it did not set), read fresh each
    time so a change applies to every ticket at the next recomputation."""
    stored = {
        row.priority.value: SlaTarget(
            first_response_minutes=row.first_response_minutes,
            resolution_minutes=row.resolution_minutes,
        )
        for row in session.scalars(select(SlaTargetSetting))
    }
    targets = {
        priority: stored.get(priority, target)
        for priority, target in DEFAULT_POLICY.targets.items()
    }
    return SlaPolicy(targets=targets, escalation_percents=DEFAULT_POLICY.escalation_percents)


def rule_view(*, session: Session, rule: RoutingRule) -> RoutingRuleView:
    """One rule as people read it."""
    region = session.get(Region, rule.region_id) if rule.region_id else None
    group = session.get(WorkingGroup, rule.working_group_id)
    assert group is not None
    return RoutingRuleView(
        category=rule.category.value if rule.category else None,
        region=region.code if region else None,
        working_group=group.code,
        level=rule.level.value,
    )


def list_routing_rules(*, session: Session, principal: Principal) -> list[RoutingRuleView]:
    """Every routing rule, city-wide ones first, for the desk to see where tickets go (for
    a region-bound caller, the rules of its regions and those without region)."""
    require_role(principal, Role.bureau, Role.operator, Role.working_group)
    rows = session.execute(
        select(RoutingRule, Region.code, WorkingGroup.code)
        .outerjoin(Region, Region.id == RoutingRule.region_id)
        .join(WorkingGroup, WorkingGroup.id == RoutingRule.working_group_id)
        .where(RoutingRule.region_id.is_(None) | within_region(principal, RoutingRule.region_id))
        .order_by(RoutingRule.region_id.is_not(None), Region.code, RoutingRule.category)
    ).all()
    return [
        RoutingRuleView(
            category=rule.category.value if rule.category else None,
            region=region,
            working_group=group,
            level=rule.level.value,
        )
        for rule, region, group in rows
    ]


@dataclass(frozen=True)
class WorkingGroupView:
    """A working group and the usernames of its members."""

    code: str
    name: str
    name_zh: str | None
    members: list[str]


def list_working_groups(*, session: Session, principal: Principal) -> list[WorkingGroupView]:
    """The working groups and who is in each, for the desk to route and staff them."""
    require_role(principal, Role.bureau, Role.operator, Role.working_group)
    members: dict[int, list[str]] = {}
    for group_id, username in session.execute(
        select(WorkingGroupMember.working_group_id, User.username)
        .join(User, User.id == WorkingGroupMember.user_id)
        .order_by(User.username)
    ):
        members.setdefault(group_id, []).append(username)
    return [
        WorkingGroupView(
            code=group.code,
            name=group.name,
            name_zh=group.name_zh,
            members=members.get(group.id, []),
        )
        for group in session.scalars(select(WorkingGroup).order_by(WorkingGroup.code))
    ]


def add_member(*, session: Session, principal: Principal, code: str, username: str) -> None:
    """Put a working-group user in a group, so they see and work its tickets (national
    staff only: a group works tickets of every region)."""
    require_role(principal, Role.bureau)
    require_national(principal)
    ensure_defaults(session=session)  # the six groups exist before the first ticket
    group = working_group_by_code(session=session, code=code, field="working_group")
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or user.role is not Role.working_group:
        raise InvalidInput(
            "{username!r} is not a member of a working group",
            errors=[field_problem(["path", "username"], "give a member of a working group")],
            username=username,
        )
    known = session.scalars(
        select(WorkingGroupMember.id).where(
            WorkingGroupMember.working_group_id == group.id, WorkingGroupMember.user_id == user.id
        )
    ).first()
    if known is None:
        session.add(WorkingGroupMember(working_group_id=group.id, user_id=user.id))
        session.flush()


def set_sla_target(
    *,
    session: Session,
    principal: Principal,
    priority: TicketPriority,
    first_response_minutes: float,
    resolution_minutes: float,
) -> SlaTargetSetting:
    """Change one priority's targets; every ticket's clocks follow at their next read
    (national staff only: the targets are shared by every region)."""
    require_role(principal, Role.bureau)
    require_national(principal)
    problems = [
        field_problem(["body", field], "must be from 1 to {most:g} minutes", most=most)
        for field, value, most in (
            ("first_response_minutes", first_response_minutes, MOST_FIRST_RESPONSE_MINUTES),
            ("resolution_minutes", resolution_minutes, MOST_RESOLUTION_MINUTES),
        )
        if not 1 <= value <= most
    ]
    if problems:
        raise InvalidInput("an SLA target is out of range", errors=problems)
    if resolution_minutes < first_response_minutes:
        raise InvalidInput(
            "the resolution target cannot be shorter than the first response target",
            errors=[
                field_problem(["body", "resolution_minutes"], "at least the first response target")
            ],
        )
    setting = session.get(SlaTargetSetting, priority)
    if setting is None:
        setting = SlaTargetSetting(priority=priority)
        session.add(setting)
    setting.first_response_minutes = first_response_minutes
    setting.resolution_minutes = resolution_minutes
    setting.updated_by = principal.label
    setting.updated_at = utc_now()
    session.flush()
    return setting
