"""SLA clocks of hotline tickets, recomputed from each ticket's own audit trail.

Two clocks per ticket, as help desks (Zammad, osTicket, GLPI, Request Tracker) define
them, in real minutes because the line runs 24 hours (no business calendar):

- **first response**: from creation to the first public reply or call-back to the
  caller (``replied_to_caller`` or ``called_back``);
- **resolution**: from creation to resolution (``resolved``); a ``reopened`` event
  resumes it, and the time the ticket spent resolved does not count.

Rules, applied to the trail in time order:

- Both clocks pause while the ticket waits on the caller (a ``status_changed`` to
  ``waiting_on_caller``) and resume when a later ``status_changed`` moves it to any
  other status. ``resolved`` and ``reopened`` also end the wait: a reopened ticket is
  back with the desk.
- Only the ``resolved`` event resolves; other statuses only start or end the wait.
- The first-response clock does not run while the ticket is resolved either, so a
  ticket resolved without a reply keeps its response clock where it stood; a reply
  sent later (or after a reopen) ends it at that elapsed time.
- ``merged`` (into another ticket) stops both clocks for good; later events of that
  trail are ignored. A clock still open at the merge, within its target, is
  ``stopped``; one already past its target stays ``breached``.
- A ``priority_changed`` applies the new priority's targets to the whole elapsed time:
  the targets are re-read from the policy at ``now``, the history is not rewritten.
  Hence changing the policy and recomputing gives the right answer for every ticket.
- Events after ``now`` are not yet known and are left out, so the same trail answers
  "what did the clocks say at 09:00?". Events stamped before the ticket's ``created``
  (clocks of two systems) take effect at the creation. Events at the same instant keep
  their input order, except that ``created`` comes first.

States: ``running`` and ``paused`` (open, within target), ``met`` (ended within
target), ``breached`` (elapsed time beyond the target, whether the clock ended or not),
``stopped`` (merged away while within target). Escalation levels are the policy's
percentages of the target reached (by default 75 and 100, else 0); a clock that is
exactly at its target has escalated to 100 but is breached only once it passes it.

Vectorised: one ``lexsort`` of the events, forward-filled state arrays, and
``np.add.reduceat`` sums per ticket; no Python loop per ticket (100,000 tickets with
8 events each take well under the 5 s the service allows; see ``bench/tickets_sla.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

PRIORITIES = ("urgent", "high", "normal", "low")
EVENT_KINDS = (
    "created",
    "status_changed",
    "priority_changed",
    "replied_to_caller",
    "called_back",
    "resolved",
    "reopened",
    "merged",
)
WAITING_STATUS = "waiting_on_caller"
CLOCKS = ("first_response", "resolution")
CLOCK_STATES = ("running", "paused", "met", "breached", "stopped")
EVENT_COLUMNS = ("ticket_id", "at", "kind")

_CREATED, _STATUS, _PRIORITY, _REPLIED, _CALLED, _RESOLVED, _REOPENED, _MERGED = range(8)
_NANOSECONDS_PER_MINUTE = 60 * 1_000_000_000

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class SlaTarget:
    """Targets of one priority, in minutes of running clock."""

    first_response_minutes: float
    resolution_minutes: float


@dataclass(frozen=True)
class SlaPolicy:
    """Targets per priority and the percentages of a target at which a ticket escalates."""

    targets: Mapping[str, SlaTarget]
    escalation_percents: tuple[float, ...] = (75.0, 100.0)

    def __post_init__(self) -> None:
        """Refuse a policy that could not be applied: empty, non-positive or unsorted."""
        if not self.targets:
            raise ValueError("an SLA policy needs targets for at least one priority")
        for priority, target in self.targets.items():
            if target.first_response_minutes <= 0 or target.resolution_minutes <= 0:
                raise ValueError(f"SLA targets of {priority!r} must be positive minutes")
        percents = list(self.escalation_percents)
        if any(percent <= 0 for percent in percents) or percents != sorted(set(percents)):
            raise ValueError("escalation percents must be positive and strictly increasing")


DEFAULT_POLICY = SlaPolicy(
    targets={
        "urgent": SlaTarget(first_response_minutes=15, resolution_minutes=4 * 60),
        "high": SlaTarget(first_response_minutes=60, resolution_minutes=8 * 60),
        "normal": SlaTarget(first_response_minutes=4 * 60, resolution_minutes=24 * 60),
        "low": SlaTarget(first_response_minutes=8 * 60, resolution_minutes=72 * 60),
    }
)


@dataclass(frozen=True)
class _Trail:
    """The known events of all tickets, sorted by ticket then time, as parallel arrays."""

    ticket: IntArray
    at: IntArray
    kind: IntArray
    waiting_status: BoolArray
    priority: IntArray
    starts: IntArray
    ends: IntArray


def compute_sla_clocks(
    *,
    events: pd.DataFrame,
    policy: SlaPolicy,
    now: datetime | pd.Timestamp,
    default_priority: str = "normal",
) -> pd.DataFrame:
    """Return each ticket's first-response and resolution clocks at ``now``, per the policy.

    ``events`` has one row per audit event: ``ticket_id``, ``at`` (UTC instant; naive
    values are read as UTC), ``kind`` (one of ``EVENT_KINDS``), ``status`` (the new
    status of a ``status_changed``) and ``priority`` (of ``created``, where a missing
    one means ``default_priority``, and of ``priority_changed``). Each ticket has exactly
    one ``created`` event; tickets created after ``now`` are left out.

    The result has one row per ticket (index ``ticket_id``, sorted): ``priority`` and,
    for each clock in ``CLOCKS``, ``<clock>_elapsed_minutes``, ``_target_minutes``,
    ``_remaining_minutes`` (negative when overdue), ``_due_at`` (``now`` + remaining
    while the clock is running, else NaT), ``_percent_used``, ``_state`` (one of
    ``CLOCK_STATES``) and ``_escalation_level`` (0 or a reached escalation percent).
    Recomputing it is how the clocks follow a policy change.
    """
    now_ns = _utc_nanoseconds(now)
    priority_names = list(policy.targets)
    if default_priority not in policy.targets:
        raise ValueError(f"the default priority {default_priority!r} has no SLA target")
    trail, ticket_ids = _sorted_trail(
        events=events,
        now_ns=now_ns,
        priority_names=priority_names,
        default_priority_code=priority_names.index(default_priority),
    )
    first_response_targets = np.array(
        [policy.targets[name].first_response_minutes for name in priority_names], dtype=float
    )
    resolution_targets = np.array(
        [policy.targets[name].resolution_minutes for name in priority_names], dtype=float
    )
    thresholds = np.asarray(policy.escalation_percents, dtype=float)

    waiting = _carried_state(
        affects=np.isin(trail.kind, (_CREATED, _STATUS, _RESOLVED, _REOPENED)),
        values=(trail.kind == _STATUS) & trail.waiting_status,
    )
    resolved = _carried_state(
        affects=np.isin(trail.kind, (_CREATED, _RESOLVED, _REOPENED)),
        values=trail.kind == _RESOLVED,
    )
    priority_now = trail.priority[
        _last_affecting_row(affects=np.isin(trail.kind, (_CREATED, _PRIORITY)))
    ][trail.ends]
    responses = np.isin(trail.kind, (_REPLIED, _CALLED)).astype(np.int64)
    responded = _group_cumsum(values=responses, starts=trail.starts, ends=trail.ends) > 0
    merged = trail.kind == _MERGED

    resolution_runs = ~waiting & ~resolved & ~merged
    response_runs = resolution_runs & ~responded
    segment_ends = np.empty_like(trail.at)
    segment_ends[:-1] = trail.at[1:]
    segment_ends[trail.ends] = now_ns
    durations = segment_ends - trail.at

    result = pd.DataFrame(
        {"priority": pd.Categorical.from_codes(priority_now, categories=pd.Index(priority_names))},
        index=pd.Index(ticket_ids, name="ticket_id"),
    )
    for clock, runs, finished, targets in (
        ("first_response", response_runs, responded, first_response_targets),
        ("resolution", resolution_runs, resolved, resolution_targets),
    ):
        elapsed_ns = np.add.reduceat(np.where(runs, durations, 0), trail.starts)
        target_minutes = targets[priority_now]
        columns = _clock_columns(
            clock=clock,
            elapsed_ns=elapsed_ns,
            target_minutes=target_minutes,
            finished=finished[trail.ends],
            running=runs[trail.ends],
            stopped=merged[trail.ends],
            thresholds=thresholds,
            now_ns=now_ns,
        )
        columns.index = result.index
        result = pd.concat([result, columns], axis=1)
    return result


def _utc_nanoseconds(instant: datetime | pd.Timestamp) -> int:
    """Return an instant as nanoseconds since the epoch in UTC (naive instants are UTC)."""
    timestamp = pd.Timestamp(instant)
    if timestamp.tzinfo is None:
        timestamp = timestamp.tz_localize("UTC")
    return int(timestamp.tz_convert("UTC").as_unit("ns").value)


def _sorted_trail(
    *,
    events: pd.DataFrame,
    now_ns: int,
    priority_names: list[str],
    default_priority_code: int,
) -> tuple[_Trail, pd.Index]:
    """Return the validated events known at ``now`` in clock order, cut at each merge."""
    missing = [column for column in EVENT_COLUMNS if column not in events.columns]
    if missing:
        raise ValueError(f"ticket events lack the columns {missing}")
    ticket, ticket_ids = pd.factorize(events["ticket_id"], sort=True)
    ticket = ticket.astype(np.int64)
    at = pd.DatetimeIndex(pd.to_datetime(events["at"], utc=True)).as_unit("ns").asi8.copy()
    kind = pd.Index(EVENT_KINDS).get_indexer(pd.Index(events["kind"])).astype(np.int64)
    if (kind < 0).any():
        unknown = sorted(set(events["kind"][kind < 0].astype(str)))
        raise ValueError(f"unknown ticket event kinds {unknown}")
    status = events["status"] if "status" in events.columns else pd.Series(None, index=events.index)
    waiting_status = (status == WAITING_STATUS).to_numpy(dtype=bool)
    priority = _priority_codes(
        events=events, kind=kind, priority_names=priority_names, default=default_priority_code
    )

    created = kind == _CREATED
    created_count = np.bincount(ticket[created], minlength=len(ticket_ids))
    if (created_count != 1).any():
        wrong = list(ticket_ids[created_count != 1][:5])
        raise ValueError(f"each ticket needs exactly one created event; not so for {wrong}")
    created_at = np.empty(len(ticket_ids), dtype=np.int64)
    created_at[ticket[created]] = at[created]
    known = (at <= now_ns) & (created_at[ticket] <= now_ns)
    kept_tickets = np.flatnonzero(created_at <= now_ns)
    ticket_ids = ticket_ids[kept_tickets]
    renumber = np.full(len(created_at), -1, dtype=np.int64)
    renumber[kept_tickets] = np.arange(len(kept_tickets))

    ticket = renumber[ticket[known]]
    at = np.maximum(at[known], created_at[kept_tickets][ticket])
    kind, waiting_status, priority = kind[known], waiting_status[known], priority[known]
    position = np.arange(len(ticket))
    order = np.lexsort((position, kind != _CREATED, at, ticket))
    ticket, at, kind = ticket[order], at[order], kind[order]
    waiting_status, priority = waiting_status[order], priority[order]

    starts, ends = _group_bounds(ticket)
    merges = (kind == _MERGED).astype(np.int64)
    after_merge = _group_cumsum(values=merges, starts=starts, ends=ends) - merges > 0
    if after_merge.any():
        keep = ~after_merge
        ticket, at, kind = ticket[keep], at[keep], kind[keep]
        waiting_status, priority = waiting_status[keep], priority[keep]
        starts, ends = _group_bounds(ticket)
    trail = _Trail(
        ticket=ticket,
        at=at,
        kind=kind,
        waiting_status=waiting_status,
        priority=priority,
        starts=starts,
        ends=ends,
    )
    return trail, ticket_ids


def _priority_codes(
    *, events: pd.DataFrame, kind: IntArray, priority_names: list[str], default: int
) -> IntArray:
    """Return each event's priority as an index into the policy's priorities (-1 for none)."""
    if "priority" not in events.columns:
        codes = np.full(len(kind), -1, dtype=np.int64)
    else:
        values = events["priority"]
        codes = pd.Index(priority_names).get_indexer(pd.Index(values)).astype(np.int64)
        unknown = (codes < 0) & values.notna().to_numpy()
        if unknown.any():
            names = sorted(set(values[unknown].astype(str)))
            raise ValueError(f"priorities {names} have no SLA target in the policy")
    if ((kind == _PRIORITY) & (codes < 0)).any():
        raise ValueError("a priority_changed event needs the new priority")
    return np.where((kind == _CREATED) & (codes < 0), default, codes)


def _group_bounds(ticket: IntArray) -> tuple[IntArray, IntArray]:
    """Return the first and last row of each ticket's run in an array sorted by ticket."""
    if len(ticket) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    boundaries = np.flatnonzero(ticket[1:] != ticket[:-1]) + 1
    starts = np.concatenate(([0], boundaries)).astype(np.int64)
    ends = np.concatenate((boundaries - 1, [len(ticket) - 1])).astype(np.int64)
    return starts, ends


def _group_cumsum(*, values: IntArray, starts: IntArray, ends: IntArray) -> IntArray:
    """Return the running total of ``values`` within each ticket, inclusive of the row."""
    totals = np.cumsum(values)
    before_group = totals[starts] - values[starts]
    return totals - np.repeat(before_group, ends - starts + 1)


def _last_affecting_row(*, affects: BoolArray) -> IntArray:
    """Return, per row, the latest row at or before it that set the state being tracked.

    Every ticket begins with its ``created`` row, which sets every state, so the running
    maximum never reaches back into the previous ticket.
    """
    rows = np.where(affects, np.arange(len(affects)), 0)
    return np.maximum.accumulate(rows) if len(rows) else rows


def _carried_state(*, affects: BoolArray, values: BoolArray) -> BoolArray:
    """Return a state that rows with ``affects`` set to ``values`` and other rows carry on."""
    return values[_last_affecting_row(affects=affects)]


def _clock_columns(
    *,
    clock: str,
    elapsed_ns: IntArray,
    target_minutes: npt.NDArray[np.float64],
    finished: BoolArray,
    running: BoolArray,
    stopped: BoolArray,
    thresholds: npt.NDArray[np.float64],
    now_ns: int,
) -> pd.DataFrame:
    """Return one clock's result columns from its elapsed time, target and final state."""
    target_ns = np.rint(target_minutes * _NANOSECONDS_PER_MINUTE).astype(np.int64)
    breached = elapsed_ns > target_ns
    state_codes = np.select(
        [breached, finished, stopped, running],
        [CLOCK_STATES.index(name) for name in ("breached", "met", "stopped", "running")],
        default=CLOCK_STATES.index("paused"),
    )
    percent_used = 100.0 * elapsed_ns / target_ns
    levels = np.concatenate(([0.0], thresholds))
    whole_levels = all(float(level).is_integer() for level in levels)
    reached = np.searchsorted(thresholds, percent_used, side="right")
    remaining_ns = target_ns - elapsed_ns
    is_running = state_codes == CLOCK_STATES.index("running")
    due_ns = np.where(is_running, now_ns + remaining_ns, np.iinfo(np.int64).min)
    columns = {
        "elapsed_minutes": elapsed_ns / _NANOSECONDS_PER_MINUTE,
        "target_minutes": target_minutes,
        "remaining_minutes": remaining_ns / _NANOSECONDS_PER_MINUTE,
        "due_at": pd.DatetimeIndex(due_ns.view("datetime64[ns]")).tz_localize("UTC"),
        "percent_used": percent_used,
        "state": pd.Categorical.from_codes(state_codes, categories=pd.Index(CLOCK_STATES)),
        "escalation_level": levels[reached].astype(np.int64) if whole_levels else levels[reached],
    }
    return pd.DataFrame({f"{clock}_{name}": values for name, values in columns.items()})
