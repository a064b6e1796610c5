"""The restrictive-housing clock on plain facts: days in cell, contact, streaks."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.custody.selectors.solitary import Limits, Outing, day_of, days_between, streaks

ZONE = "UTC"
LIMITS = Limits(solitary_hours=22, exercise_minutes=60)
BOOKED = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def at(day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


def yard(day: int, minutes: int = 60) -> Outing:
    return Outing(at(day, 9), at(day, 9) + dt.timedelta(minutes=minutes), False, True)


def visit(day: int) -> Outing:
    return Outing(at(day, 14), at(day, 14, 30), True, False)


def clock_of(now: dt.datetime, outings=(), checks=(), booked=BOOKED, known_from=None):
    return streaks(
        zone=ZONE, booked_at=booked, outings=list(outings), welfare_checks=list(checks), now=now,
        limits=LIMITS, known_from=known_from,
    )  # fmt: skip


def one_day(day: int, now: dt.datetime, outings=(), checks=(), booked=BOOKED, released=None):
    return day_of(
        dt.date(2026, 3, day), zone=ZONE, booked_at=booked, released_at=released,
        outings=list(outings), welfare_checks=list(checks), now=now, limits=LIMITS,
    )  # fmt: skip


# --- One day ------------------------------------------------------------------------


def test_a_whole_day_in_cell_without_contact_is_a_day_of_solitary():
    day = one_day(5, now=at(10))
    assert (day.in_custody_minutes, day.out_of_cell_minutes, day.in_cell_minutes) == (1440, 0, 1440)
    assert day.solitary
    assert day.complete


def test_the_booking_day_is_too_short_to_count():
    day = one_day(1, now=at(10))
    assert day.in_custody_minutes == 14 * 60
    assert not day.solitary
    assert not day.complete


@pytest.mark.parametrize(("out", "solitary"), [(119, True), (120, True), (121, False)])
def test_two_hours_out_of_cell_end_a_day_of_solitary(out, solitary):
    day = one_day(5, now=at(10), outings=[yard(5, out)])
    assert day.out_of_cell_minutes == out
    assert day.exercise_minutes == out
    assert day.solitary is solitary


def test_meaningful_contact_or_a_welfare_check_ends_a_day_of_solitary():
    assert not one_day(5, now=at(10), outings=[visit(5)]).solitary
    assert one_day(5, now=at(10), outings=[visit(5)]).contact
    assert not one_day(5, now=at(10), checks=[at(5, 23, 59)]).solitary
    assert one_day(5, now=at(10), checks=[at(6, 0, 1)]).solitary


def test_a_movement_across_midnight_counts_on_both_days_and_overlaps_count_once():
    court = Outing(at(5, 22), at(6, 3), False, False)
    late_entry = Outing(at(5, 23), at(6, 1), False, False)
    assert one_day(5, now=at(10), outings=[court, late_entry]).out_of_cell_minutes == 120
    assert one_day(6, now=at(10), outings=[court, late_entry]).out_of_cell_minutes == 180


def test_an_open_movement_counts_until_now():
    out = Outing(at(5, 20), None, False, False)
    assert one_day(5, now=at(5, 21), outings=[out]).out_of_cell_minutes == 60


@pytest.mark.parametrize(
    ("now", "solitary", "pending"),
    [(at(5, 21, 59), False, True), (at(5, 22), True, False), (at(5, 22, 1), True, False)],
)
def test_today_counts_once_22_hours_in_cell_are_reached(now, solitary, pending):
    day = one_day(5, now=now)
    assert (day.solitary, day.pending) == (solitary, pending)


def test_today_can_no_longer_count_after_contact_or_too_long_out():
    assert not one_day(5, now=at(5, 15), outings=[visit(5)]).pending
    long_out = Outing(at(5, 1), at(5, 3, 1), False, False)
    assert not one_day(5, now=at(5, 15), outings=[long_out]).pending
    assert one_day(5, now=at(5, 15), outings=[yard(5)]).pending


def test_days_between_lists_each_day_with_its_figures():
    days = days_between(
        dt.date(2026, 3, 1), dt.date(2026, 3, 3), zone=ZONE, booked_at=BOOKED, released_at=None,
        outings=[yard(2, 45), visit(3)], welfare_checks=[], now=at(3, 18), limits=LIMITS,
    )  # fmt: skip
    assert [(d.in_custody_minutes, d.exercise_minutes, d.contact, d.solitary) for d in days] == [
        (840, 0, False, False),
        (1440, 45, False, True),
        (1080, 0, True, False),
    ]


def test_days_after_release_have_no_custody():
    released = at(3, 12)
    days = days_between(
        dt.date(2026, 3, 3), dt.date(2026, 3, 4), zone=ZONE, booked_at=BOOKED,
        released_at=released, outings=[], welfare_checks=[], now=at(10), limits=LIMITS,
    )  # fmt: skip
    assert [d.in_custody_minutes for d in days] == [720, 0]
    assert not any(d.solitary for d in days)


def test_local_days_follow_the_facility_zone():
    # Konoha-like zone nine hours ahead: the local day starts at 15:00 UTC the day before.
    day = day_of(
        dt.date(2026, 3, 5), zone="Asia/Tokyo", booked_at=BOOKED, released_at=None, outings=[],
        welfare_checks=[], now=at(10), limits=LIMITS,
    )  # fmt: skip
    assert day.starts_at == at(4, 15)


# --- Streaks ------------------------------------------------------------------------


def test_every_whole_day_in_cell_since_the_booking_day_is_in_the_streak():
    # Booked on the 1st at 10:00; at noon on the 14th: the 2nd..13th are solitary, today pending.
    result = clock_of(at(14, 12))
    assert result.solitary.count == 12
    assert result.solitary.since == at(2)
    assert result.exercise_missed.count == 12
    assert result.exercise_missed.since == at(2)
    assert result.complete


@pytest.mark.parametrize(
    ("now", "count"), [(at(14, 21, 59), 12), (at(14, 22), 13), (at(14, 22, 1), 13)]
)
def test_today_joins_the_streak_at_22_hours_in_cell(now, count):
    assert clock_of(now).solitary.count == count


def test_contact_today_breaks_the_streak_at_once():
    result = clock_of(at(14, 12), checks=[at(14, 11)])
    assert result.solitary.count == 0
    # Exercise is another matter: still missed every day.
    assert result.exercise_missed.count == 12


def test_a_day_with_contact_or_exercise_breaks_each_streak_where_it_happened():
    result = clock_of(at(14, 12), outings=[visit(8), yard(10)])
    assert (result.solitary.count, result.solitary.since) == (5, at(9))
    assert (result.exercise_missed.count, result.exercise_missed.since) == (3, at(11))


def test_short_exercise_keeps_both_streaks_going():
    result = clock_of(at(14, 12), outings=[yard(d, 30) for d in range(2, 14)])
    assert result.solitary.count == 12
    assert result.exercise_missed.count == 12


@pytest.mark.parametrize(("now", "count"), [(at(2, 23, 59), 0), (at(3), 1), (at(3, 0, 1), 1)])
def test_a_day_without_exercise_counts_once_it_is_over(now, count):
    assert clock_of(now).exercise_missed.count == count


def test_someone_booked_at_midnight_has_a_whole_first_day():
    result = clock_of(at(4, 12), booked=at(1))
    assert result.solitary.count == 3
    assert result.solitary.since == at(1)
    assert result.exercise_missed.count == 3


def test_a_streak_running_back_beyond_the_known_days_asks_for_history():
    result = clock_of(at(14, 12), known_from=dt.date(2026, 3, 13))
    assert not result.complete
    broken = clock_of(at(14, 12), outings=[visit(13), yard(13)], known_from=dt.date(2026, 3, 13))
    assert broken.complete
    assert (broken.solitary.count, broken.exercise_missed.count) == (0, 0)


def test_the_walk_back_costs_the_events_not_the_days():
    # Three years held, one visit a year ago: a quick answer all the same.
    booked = dt.datetime(2023, 3, 1, 10, tzinfo=dt.UTC)
    visit_last_year = Outing(at(1) - dt.timedelta(days=365), None, True, False)
    visit_last_year = Outing(visit_last_year.left_at, visit_last_year.left_at + MINUTE, True, False)
    result = clock_of(at(14, 12), outings=[visit_last_year], booked=booked)
    assert result.solitary.count == (at(14) - at(1) + dt.timedelta(days=365)).days - 1
