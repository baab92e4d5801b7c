"""The suite's own clock guard: a run that starts near midnight in the city stays in one day."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.conftest import CITY_ZONE, RUN_ROOM, keep_the_run_in_one_business_day


def test_a_run_starting_late_in_the_evening_is_moved_back_so_it_ends_before_midnight() -> None:
    late = datetime(2026, 12, 4, 23, 40, tzinfo=CITY_ZONE)
    traveller = keep_the_run_in_one_business_day(late)
    assert traveller is not None
    try:
        moved = datetime.now(CITY_ZONE)
        assert moved.date().isoformat() == "2026-12-04"
        room = datetime(2026, 12, 5, tzinfo=CITY_ZONE) - moved
        assert RUN_ROOM - timedelta(seconds=5) < room <= RUN_ROOM
    finally:
        traveller.stop()


def test_a_run_with_room_before_midnight_keeps_the_real_clock() -> None:
    morning = datetime(2026, 12, 4, 9, 0, tzinfo=CITY_ZONE)
    assert keep_the_run_in_one_business_day(morning) is None
