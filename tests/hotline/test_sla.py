"""SLA clocks from audit trails: one hand-made trail per rule, and the vectorised code
checked against a plain per-ticket reference written here from the rules alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.sla import CLOCKS, SlaPolicy, SlaTarget, compute_sla_clocks

START = datetime.fromisoformat("2024-05-01T08:00:00+00:00")
POLICY = SlaPolicy(
    targets={
        "urgent": SlaTarget(first_response_minutes=15, resolution_minutes=60),
        "high": SlaTarget(first_response_minutes=30, resolution_minutes=120),
        "normal": SlaTarget(first_response_minutes=60, resolution_minutes=240),
        "low": SlaTarget(first_response_minutes=120, resolution_minutes=480),
    }
)
KINDS_AFTER_CREATION = [
    "status_changed",
    "priority_changed",
    "replied_to_caller",
    "called_back",
    "resolved",
    "reopened",
    "merged",
]
STATUSES = ["waiting_on_caller", "in_progress", "open"]


@dataclass(frozen=True)
class Event:
    """One audit event, with its time in minutes after START."""

    ticket_id: int
    minute: int
    kind: str
    status: str | None = None
    priority: str | None = None

    @property
    def at(self) -> datetime:
        """Return the event's instant."""
        return START + timedelta(minutes=self.minute)


def events_frame(events: list[Event]) -> pd.DataFrame:
    """Return the events as the frame compute_sla_clocks reads, in the given order."""
    return pd.DataFrame(
        {
            "ticket_id": [event.ticket_id for event in events],
            "at": pd.to_datetime([event.at for event in events], utc=True),
            "kind": [event.kind for event in events],
            "status": [event.status for event in events],
            "priority": [event.priority for event in events],
        }
    )


def clocks(events: list[Event], *, now_minute: int, policy: SlaPolicy = POLICY) -> pd.DataFrame:
    """Return the computed clocks of the events at START + now_minute."""
    now = START + timedelta(minutes=now_minute)
    return compute_sla_clocks(events=events_frame(events), policy=policy, now=now)


def at_minute(minute: float) -> pd.Timestamp:
    """Return START + minute as the timestamp the result uses."""
    return pd.Timestamp(START) + pd.Timedelta(minutes=minute)


def test_a_wait_on_the_caller_pauses_both_clocks_and_a_status_change_resumes_them() -> None:
    result = clocks(
        [
            Event(1, 0, "created", priority="normal"),
            Event(1, 10, "status_changed", status="waiting_on_caller"),
            Event(1, 40, "status_changed", status="in_progress"),
        ],
        now_minute=50,
    ).loc[1]
    assert result["first_response_elapsed_minutes"] == 20
    assert result["resolution_elapsed_minutes"] == 20
    assert result["first_response_state"] == "running"
    assert result["first_response_due_at"] == at_minute(50 + 40)
    assert result["resolution_due_at"] == at_minute(50 + 220)
    assert result["first_response_percent_used"] == pytest.approx(100 * 20 / 60)


def test_several_pauses_add_up_and_a_ticket_still_waiting_is_paused_with_no_due_instant() -> None:
    result = clocks(
        [
            Event(1, 0, "created", priority="high"),
            Event(1, 5, "status_changed", status="waiting_on_caller"),
            Event(1, 15, "status_changed", status="open"),
            Event(1, 20, "status_changed", status="waiting_on_caller"),
            Event(1, 60, "status_changed", status="in_progress"),
            Event(1, 70, "status_changed", status="waiting_on_caller"),
        ],
        now_minute=200,
    ).loc[1]
    assert result["resolution_elapsed_minutes"] == 5 + 5 + 10
    assert result["resolution_state"] == "paused"
    assert pd.isna(result["resolution_due_at"])
    assert result["first_response_elapsed_minutes"] == 20
    assert result["first_response_state"] == "paused"
    assert result["first_response_remaining_minutes"] == 10


def test_a_reopen_resumes_the_resolution_clock_without_the_time_spent_resolved() -> None:
    result = clocks(
        [
            Event(1, 0, "created", priority="normal"),
            Event(1, 10, "replied_to_caller"),
            Event(1, 30, "resolved"),
            Event(1, 90, "reopened"),
        ],
        now_minute=100,
    ).loc[1]
    assert result["resolution_elapsed_minutes"] == 30 + 10
    assert result["resolution_state"] == "running"
    assert result["resolution_due_at"] == at_minute(100 + 200)
    assert result["first_response_elapsed_minutes"] == 10
    assert result["first_response_state"] == "met"


def test_a_resolved_clock_is_met_within_its_target_and_breached_beyond_it() -> None:
    result = clocks(
        [
            Event(1, 0, "created", priority="urgent"),
            Event(1, 5, "called_back"),
            Event(1, 60, "resolved"),
            Event(2, 0, "created", priority="urgent"),
            Event(2, 16, "replied_to_caller"),
            Event(2, 61, "resolved"),
        ],
        now_minute=500,
    )
    assert list(result["first_response_state"]) == ["met", "breached"]
    assert list(result["resolution_state"]) == ["met", "breached"]
    assert list(result["resolution_elapsed_minutes"]) == [60, 61]
    assert result["resolution_due_at"].isna().all()
    assert list(result["resolution_escalation_level"]) == [100, 100]
    assert list(result["first_response_escalation_level"]) == [0, 100]


def test_escalation_is_reached_at_75_and_100_percent_and_a_breach_only_past_the_target() -> None:
    trail = [Event(1, 0, "created", priority="normal")]
    at_74 = clocks(trail, now_minute=44).loc[1]
    at_75 = clocks(trail, now_minute=45).loc[1]
    at_100 = clocks(trail, now_minute=60).loc[1]
    past = clocks(trail, now_minute=61).loc[1]
    assert at_74["first_response_escalation_level"] == 0
    assert at_75["first_response_escalation_level"] == 75
    assert (at_100["first_response_escalation_level"], at_100["first_response_state"]) == (
        100,
        "running",
    )
    assert at_100["first_response_due_at"] == at_minute(60)
    assert (past["first_response_state"], past["first_response_remaining_minutes"]) == (
        "breached",
        -1,
    )
    assert pd.isna(past["first_response_due_at"])


def test_a_priority_change_applies_the_new_targets_to_the_whole_elapsed_time() -> None:
    result = clocks(
        [
            Event(1, 0, "created", priority="low"),
            Event(1, 20, "priority_changed", priority="urgent"),
        ],
        now_minute=30,
    ).loc[1]
    assert result["priority"] == "urgent"
    assert result["first_response_target_minutes"] == 15
    assert result["first_response_elapsed_minutes"] == 30
    assert result["first_response_state"] == "breached"
    assert result["resolution_target_minutes"] == 60
    assert result["resolution_escalation_level"] == 0
    assert result["resolution_due_at"] == at_minute(30 + 30)


def test_a_response_after_resolution_ends_the_clock_at_the_time_it_had_run() -> None:
    result = clocks(
        [
            Event(1, 0, "created", priority="high"),
            Event(1, 20, "resolved"),
            Event(1, 50, "replied_to_caller"),
            Event(2, 0, "created", priority="high"),
            Event(2, 35, "resolved"),
        ],
        now_minute=60,
    )
    assert list(result["first_response_elapsed_minutes"]) == [20, 35]
    assert list(result["first_response_state"]) == ["met", "breached"]
    assert list(result["resolution_state"]) == ["met", "met"]


def test_a_resolved_ticket_without_a_response_keeps_its_response_clock_paused() -> None:
    result = clocks(
        [Event(1, 0, "created", priority="low"), Event(1, 20, "resolved")],
        now_minute=300,
    ).loc[1]
    assert result["first_response_elapsed_minutes"] == 20
    assert result["first_response_state"] == "paused"


def test_a_merge_stops_both_clocks_and_later_events_of_the_trail_are_ignored() -> None:
    result = clocks(
        [
            Event(1, 0, "created", priority="normal"),
            Event(1, 30, "merged"),
            Event(1, 40, "replied_to_caller"),
            Event(1, 45, "reopened"),
            Event(2, 0, "created", priority="urgent"),
            Event(2, 20, "merged"),
            Event(3, 0, "created", priority="normal"),
            Event(3, 10, "called_back"),
            Event(3, 30, "merged"),
        ],
        now_minute=1000,
    )
    assert list(result["first_response_elapsed_minutes"]) == [30, 20, 10]
    assert list(result["first_response_state"]) == ["stopped", "breached", "met"]
    assert list(result["resolution_elapsed_minutes"]) == [30, 20, 30]
    assert list(result["resolution_state"]) == ["stopped", "stopped", "stopped"]
    assert result["resolution_due_at"].isna().all()


def test_events_out_of_order_in_the_input_give_the_same_clocks_as_in_order() -> None:
    ordered = [
        Event(7, 0, "created", priority="normal"),
        Event(7, 10, "status_changed", status="waiting_on_caller"),
        Event(7, 25, "status_changed", status="in_progress"),
        Event(7, 40, "replied_to_caller"),
        Event(7, 70, "resolved"),
        Event(9, 5, "created", priority="high"),
        Event(9, 30, "called_back"),
    ]
    shuffled = [ordered[index] for index in (4, 6, 1, 3, 5, 0, 2)]
    expected = clocks(ordered, now_minute=120)
    pd.testing.assert_frame_equal(clocks(shuffled, now_minute=120), expected)
    assert expected.loc[7, "first_response_elapsed_minutes"] == 25
    assert expected.loc[7, "resolution_elapsed_minutes"] == 55


def test_events_after_now_are_unknown_and_events_before_creation_count_from_it() -> None:
    result = clocks(
        [
            Event(1, 10, "created", priority="normal"),
            Event(1, 5, "status_changed", status="waiting_on_caller"),
            Event(1, 30, "status_changed", status="open"),
            Event(1, 50, "replied_to_caller"),
            Event(2, 45, "created", priority="normal"),
        ],
        now_minute=40,
    )
    assert list(result.index) == [1]
    assert result.loc[1, "first_response_elapsed_minutes"] == 10
    assert result.loc[1, "first_response_state"] == "running"


def test_a_policy_change_is_applied_by_recomputing_the_same_trails() -> None:
    trail = [
        Event(1, 0, "created", priority="normal"),
        Event(1, 50, "replied_to_caller"),
        Event(1, 100, "resolved"),
    ]
    before = clocks(trail, now_minute=120).loc[1]
    stricter = SlaPolicy(
        targets={
            **POLICY.targets,
            "normal": SlaTarget(first_response_minutes=40, resolution_minutes=90),
        },
        escalation_percents=(50.0, 100.0),
    )
    after = clocks(trail, now_minute=120, policy=stricter).loc[1]
    assert (before["first_response_state"], before["resolution_state"]) == ("met", "met")
    assert (after["first_response_state"], after["resolution_state"]) == ("breached", "breached")
    assert after["first_response_target_minutes"] == 40
    assert after["resolution_percent_used"] == pytest.approx(100 * 100 / 90)
    assert before["first_response_escalation_level"] == 75
    assert after["first_response_escalation_level"] == 100


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([Event(1, 0, "replied_to_caller")], "exactly one created"),
        ([Event(1, 0, "created"), Event(1, 1, "created")], "exactly one created"),
        ([Event(1, 0, "created"), Event(1, 5, "escalated")], "unknown ticket event kinds"),
        ([Event(1, 0, "created", priority="critical")], "no SLA target"),
        ([Event(1, 0, "created"), Event(1, 3, "priority_changed")], "needs the new priority"),
    ],
)
def test_a_trail_that_cannot_be_read_is_refused(events: list[Event], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        clocks(events, now_minute=10)


def test_a_policy_that_cannot_be_applied_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        SlaPolicy(targets={"normal": SlaTarget(first_response_minutes=0, resolution_minutes=5)})
    with pytest.raises(ValueError, match="increasing"):
        SlaPolicy(targets=POLICY.targets, escalation_percents=(100.0, 75.0))


# A plain per-ticket reference, written from the rules in hotline/sla.py's docstring.


def reference_clocks(
    events: list[Event], *, now_minute: int, policy: SlaPolicy
) -> dict[int, dict[str, object]]:
    """Return the clocks of every ticket by walking each trail event by event."""
    results: dict[int, dict[str, object]] = {}
    for ticket_id in sorted({event.ticket_id for event in events}):
        positioned = [
            (position, event)
            for position, event in enumerate(events)
            if event.ticket_id == ticket_id
        ]
        creation = next(event for _, event in positioned if event.kind == "created")
        if creation.minute > now_minute:
            continue
        known = [(position, event) for position, event in positioned if event.minute <= now_minute]
        known.sort(
            key=lambda pair: (
                max(pair[1].minute, creation.minute),
                pair[1].kind != "created",
                pair[0],
            )
        )
        waiting = resolved = responded = merged = False
        priority = creation.priority or "normal"
        response_minutes = resolution_minutes = 0
        clock_minute = creation.minute
        for _, event in known:
            minute = max(event.minute, creation.minute)
            if not waiting and not resolved:
                resolution_minutes += minute - clock_minute
                if not responded:
                    response_minutes += minute - clock_minute
            clock_minute = minute
            if event.kind == "status_changed":
                waiting = event.status == "waiting_on_caller"
            elif event.kind == "priority_changed":
                priority = event.priority or priority
            elif event.kind in ("replied_to_caller", "called_back"):
                responded = True
            elif event.kind == "resolved":
                resolved, waiting = True, False
            elif event.kind == "reopened":
                resolved, waiting = False, False
            elif event.kind == "merged":
                merged = True
                break
        if not merged and not waiting and not resolved:
            resolution_minutes += now_minute - clock_minute
            if not responded:
                response_minutes += now_minute - clock_minute
        target = policy.targets[priority]
        row: dict[str, object] = {"priority": priority}
        for clock, elapsed, target_minutes, finished in (
            ("first_response", response_minutes, target.first_response_minutes, responded),
            ("resolution", resolution_minutes, target.resolution_minutes, resolved),
        ):
            running = not merged and not waiting and not resolved and not finished
            if elapsed > target_minutes:
                state = "breached"
            elif finished:
                state = "met"
            elif merged:
                state = "stopped"
            else:
                state = "running" if running else "paused"
            percent = 100 * elapsed / target_minutes
            reached = [level for level in policy.escalation_percents if percent >= level]
            row[f"{clock}_elapsed_minutes"] = elapsed
            row[f"{clock}_state"] = state
            row[f"{clock}_escalation_level"] = max(reached, default=0)
            row[f"{clock}_due_at"] = (
                at_minute(now_minute + target_minutes - elapsed) if state == "running" else None
            )
        results[ticket_id] = row
    return results


@st.composite
def trails(draw: st.DrawFn) -> tuple[list[Event], int]:
    """Draw the trails of a few tickets, shuffled, and a moment to look at them."""
    ticket_count = draw(st.integers(min_value=1, max_value=4))
    priorities = st.sampled_from(list(POLICY.targets))
    events = [
        Event(
            ticket,
            draw(st.integers(min_value=0, max_value=200)),
            "created",
            priority=draw(st.none() | priorities),
        )
        for ticket in range(ticket_count)
    ]
    for _ in range(draw(st.integers(min_value=0, max_value=24))):
        kind = draw(st.sampled_from(KINDS_AFTER_CREATION))
        events.append(
            Event(
                draw(st.integers(min_value=0, max_value=ticket_count - 1)),
                draw(st.integers(min_value=0, max_value=400)),
                kind,
                status=draw(st.sampled_from(STATUSES)) if kind == "status_changed" else None,
                priority=draw(priorities) if kind == "priority_changed" else None,
            )
        )
    shuffled = draw(st.permutations(events))
    return list(shuffled), draw(st.integers(min_value=0, max_value=450))


@settings(max_examples=300, deadline=None)
@given(trails())
def test_the_vectorised_clocks_equal_the_per_ticket_reference(
    drawn: tuple[list[Event], int],
) -> None:
    events, now_minute = drawn
    policy = SlaPolicy(targets=POLICY.targets, escalation_percents=(50.0, 75.0, 100.0))
    computed = clocks(events, now_minute=now_minute, policy=policy)
    expected = reference_clocks(events, now_minute=now_minute, policy=policy)
    assert list(computed.index) == list(expected)
    for ticket_id, row in expected.items():
        actual = computed.loc[ticket_id]
        assert actual["priority"] == row["priority"]
        for clock in CLOCKS:
            assert actual[f"{clock}_elapsed_minutes"] == row[f"{clock}_elapsed_minutes"]
            assert actual[f"{clock}_state"] == row[f"{clock}_state"]
            assert actual[f"{clock}_escalation_level"] == row[f"{clock}_escalation_level"]
            due = actual[f"{clock}_due_at"]
            assert (None if pd.isna(due) else due) == row[f"{clock}_due_at"]
