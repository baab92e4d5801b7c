"""Silences: mute alerts that match a set of labels for a while, with an audit trail.

A silence only mutes notifications (as in Alertmanager): matched alerts stay in the list,
and a silenced alert that resolves still sends its resolved notification.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role, within_region
from core.errors import Conflict, InvalidInput, NotFound
from core.text import (
    N_,
    FieldProblem,
    Text,
    control_character_problem,
    field_problem,
    in_turn,
    is_blank,
    listing,
    phrase,
    verbatim,
)
from core.words import word
from models import (
    Alert,
    AlertRule,
    Product,
    ProductCategory,
    Region,
    RegionLevel,
    Severity,
    Silence,
    Store,
)
from models.base import utc_now
from monitors.alerting.acknowledgement import (
    ALERT_HANDLERS,
    MAX_NOTE_CHARS,
    OPEN_STATUSES,
    alert_event,
)
from monitors.alerting.labels import SILENCE_MATCHERS, alert_labels, silence_matches
from monitors.alerting.regions import alerts_within, confines_silence, silences_within

MAX_SILENCE_LENGTH = timedelta(days=90)
SilenceState = Literal["pending", "active", "expired"]


class SilenceNotFound(NotFound):
    """No silence with that id."""


class SilenceAlreadyExpired(Conflict):
    """Expiring a silence that has already ended."""


def silence_state(silence: Silence, *, now: datetime) -> SilenceState:
    """Whether a silence mutes alerts now, will later, or no longer does."""
    if silence.expired_by is not None or silence.ends_at <= now:
        return "expired"
    return "pending" if silence.starts_at > now else "active"


def silences_in_state(
    state: SilenceState | None, *, now: datetime, principal: Principal | None = None
) -> Select[Silence]:
    """A query of silences in ``state`` (all when None), newest first; only those
    confined inside the caller's region when ``principal`` is bound to one."""
    query = select(Silence).where(silences_within(principal)).order_by(Silence.id.desc())
    live = Silence.expired_by.is_(None)
    if state == "active":
        query = query.where(live, Silence.starts_at <= now, Silence.ends_at > now)
    elif state == "pending":
        query = query.where(live, Silence.starts_at > now, Silence.ends_at > now)
    elif state == "expired":
        query = query.where(or_(Silence.expired_by.is_not(None), Silence.ends_at <= now))
    return query


def _matcher_problems(
    session: Session, matchers: Mapping[str, Any], principal: Principal
) -> list[FieldProblem]:
    """Every problem with a silence's matchers, located at ``body.matchers.<name>``: a
    region or store outside the caller's region reads as unknown, and staff bound to a
    region must confine the silence inside it."""
    given = {name: value for name, value in matchers.items() if value is not None}
    problems: list[FieldProblem] = []

    def add(name: str, msg: Text) -> None:
        problems.append(field_problem(["body", "matchers", name], msg))

    for name in sorted(given.keys() - set(SILENCE_MATCHERS)):
        add(name, phrase("unknown matcher; use {matchers}", matchers=", ".join(SILENCE_MATCHERS)))
    if not given.keys() & set(SILENCE_MATCHERS):
        problems.append(field_problem(["body", "matchers"], "give at least one matcher"))
    for name, choices in (("rule", AlertRule), ("severity", Severity)):
        allowed = [member.value for member in choices]
        if name in given and given[name] not in allowed:
            # The values a matcher takes are codes, as sent and as labels carry them.
            add(name, phrase("must be one of {choices}", choices=listing(allowed)))
    if "region" in given:
        level = session.scalar(
            select(Region.level).where(
                Region.code == given["region"], within_region(principal, Region.id)
            )
        )
        if level is None:
            add("region", phrase("unknown region {code!r}", code=given["region"]))
        elif level not in (RegionLevel.district, RegionLevel.city):
            add(
                "region",
                phrase(
                    "{code!r} is a {level}; give a district or a city",
                    code=given["region"],
                    level=word(level),
                ),
            )
    for name, model, label in (
        ("product", Product, phrase("product")),
        ("category", ProductCategory, phrase("category")),
        ("store", Store, phrase("store")),
    ):
        if name not in given:
            continue
        query = select(model.id).where(model.code == given[name])
        if model is Store:
            query = query.where(within_region(principal, Store.region_id))
        if not session.scalar(query):
            add(name, phrase("unknown {label} {code!r}", label=label, code=given[name]))
    if not problems and not confines_silence(session, principal, given):
        problems.append(
            field_problem(["body", "matchers"], "match a region or a store inside your region")
        )
    return problems


SILENCE_FIELD_WORDS: dict[str, str] = {
    "matchers": N_("matchers"),
    "rule": N_("rule"),
    "region": N_("region"),
    "product": N_("product"),
    "category": N_("category"),
    "severity": N_("severity"),
    "store": N_("store"),
    "starts_at": N_("starts_at"),
    "ends_at": N_("ends_at"),
    "comment": N_("comment"),
}
"""A silence's fields as people read them (the API names them by these keys)."""


def _where(loc: tuple[str | int, ...]) -> Text:
    """Where a problem of a silence is (``matchers.region``), in the reader's words."""
    parts = [
        phrase(SILENCE_FIELD_WORDS[str(part)])
        if str(part) in SILENCE_FIELD_WORDS
        else verbatim(str(part))
        for part in loc
    ]
    if len(parts) == 2:
        return phrase("{field}.{part}", field=parts[0], part=parts[1])
    return parts[0] if parts else verbatim("")


def create_silence(
    session: Session,
    *,
    matchers: Mapping[str, str | None],
    ends_at: datetime,
    comment: str,
    principal: Principal,
    starts_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[Silence, list[int]]:
    """Mute alerts that match every matcher from ``starts_at`` (default now) to ``ends_at``.

    Returns the silence and the ids of the open alerts it mutes; each of those gets a
    ``silenced`` event with the comment, so its trail says who muted it and why. A pending
    silence (``starts_at`` ahead) mutes none yet: no events, no ids. ``starts_at`` lies at
    most ``MAX_SILENCE_LENGTH`` ahead, and one in the past is taken as now; the comment is
    one line that shows something. Every problem with the request is reported at once (422).
    """
    require_role(principal, *ALERT_HANDLERS)
    actor = principal.label
    now = now or utc_now()
    starts_at = starts_at or now
    if starts_at.tzinfo is not None and starts_at < now:
        # As Alertmanager does: a silence never reads as in force since before it existed.
        starts_at = now
    problems = _matcher_problems(session, matchers, principal)
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        problems.append(field_problem(["body", "ends_at"], "give times with a UTC offset"))
    else:
        if ends_at <= starts_at:
            problems.append(field_problem(["body", "ends_at"], "must be after starts_at"))
        elif ends_at - starts_at > MAX_SILENCE_LENGTH:
            days = MAX_SILENCE_LENGTH.days
            problems.append(
                field_problem(["body", "ends_at"], "at most {days} days after starts_at", days=days)
            )
        if ends_at <= now:
            problems.append(field_problem(["body", "ends_at"], "must be in the future"))
        if starts_at - now > MAX_SILENCE_LENGTH:
            # Bounded as ends_at is: one starting in year 9999 stayed pending forever.
            days = MAX_SILENCE_LENGTH.days
            problems.append(
                field_problem(["body", "starts_at"], "at most {days} days from now", days=days)
            )
    comment = comment.strip()
    if is_blank(comment) or len(comment) > MAX_NOTE_CHARS:
        problems.append(
            field_problem(["body", "comment"], "1 to {limit} characters", limit=MAX_NOTE_CHARS)
        )
    elif (control := control_character_problem(comment, ["body", "comment"])) is not None:
        problems.append(control)  # one line, as the pages' comment field is
    if problems:
        raise InvalidInput(
            "the silence is invalid: {problems}",
            errors=problems,
            problems=in_turn(
                [
                    phrase("{where}: {problem}", where=_where(p.loc[1:]), problem=p.text)
                    for p in problems
                ]
            ),
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
    if starts_at > now:
        # A pending silence mutes nothing yet: no alert's trail may say it was silenced
        # (the notifier reads only silences in force, ``active_silences``); the first run
        # after it starts writes the events (``record_started_silences``).
        session.flush()
        return silence, []
    silence.muting_recorded_at = now
    matched = open_alerts_matching(session, matchers=cleaned, principal=principal)
    session.add_all(
        alert_event(alert, kind="silenced", actor=actor, at=now, note=comment) for alert in matched
    )
    session.flush()
    return silence, [alert.id for alert in matched]


def record_started_silences(session: Session, *, now: datetime) -> int:
    """Write the ``silenced`` event, naming its author and comment, into the trail of every
    open alert a silence in force mutes when its start was not recorded yet (one that was
    pending), as creating it in force does; each silence once. Returns how many events.

    Rows are locked, skipping those another run holds, so two runs never both write them.
    """
    started = session.scalars(
        select(Silence)
        .where(
            Silence.muting_recorded_at.is_(None),
            Silence.starts_at > Silence.created_at,  # created in force: written then
            Silence.expired_by.is_(None),
            Silence.starts_at <= now,
            Silence.ends_at > now,
        )
        .order_by(Silence.id)
        .with_for_update(skip_locked=True)
    ).all()
    written = 0
    for silence in started:
        matched = open_alerts_matching(session, matchers=silence.matchers)
        session.add_all(
            alert_event(
                alert, kind="silenced", actor=silence.created_by, at=now, note=silence.comment
            )
            for alert in matched
        )
        silence.muting_recorded_at = now
        written += len(matched)
    session.flush()
    return written


def get_silence(
    session: Session, *, silence_id: int, principal: Principal | None = None
) -> Silence:
    """The silence, or a 404 (also for one not confined inside the caller's region)."""
    silence = session.scalars(
        select(Silence).where(Silence.id == silence_id, silences_within(principal))
    ).first()
    if silence is None:
        raise SilenceNotFound("silence {silence_id} not found", silence_id=silence_id)
    return silence


def expire_silence(
    session: Session, *, silence_id: int, principal: Principal, now: datetime | None = None
) -> Silence:
    """End a silence now (kept for the record, with who ended it); a 409 if it is over."""
    require_role(principal, *ALERT_HANDLERS)
    actor = principal.label
    now = now or utc_now()
    silence = session.scalars(
        select(Silence)
        .where(Silence.id == silence_id, silences_within(principal))
        .with_for_update()
    ).first()
    if silence is None:
        raise SilenceNotFound("silence {silence_id} not found", silence_id=silence_id)
    if silence_state(silence, now=now) == "expired":
        raise SilenceAlreadyExpired(
            "silence {silence_id} has already expired", silence_id=silence_id
        )
    silence.expired_by = actor
    silence.ends_at = now
    silence.starts_at = min(silence.starts_at, now)  # a pending one never starts
    silence.updated_at = now
    session.flush()
    return silence


def open_alerts_matching(
    session: Session, *, matchers: Mapping[str, Any], principal: Principal | None = None
) -> list[Alert]:
    """Open alerts a silence with these matchers mutes, newest first (only those inside
    the caller's region when ``principal`` is bound to one).

    The database narrows by every matcher; the final word is
    :func:`monitors.alerting.labels.silence_matches` on the alerts' labels, the same test the
    notifier applies, so what this shows is what gets muted.
    """
    query = select(Alert).where(Alert.status.in_(OPEN_STATUSES), alerts_within(principal))
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
    if (store := matchers.get("store")) is not None:
        query = query.where(
            Alert.store_id == select(Store.id).where(Store.code == store).scalar_subquery()
        )
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
