"""The release board: due today, due soon, overdue, early and away, with time travel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cellblock.core import clock as core_clock
from cellblock.court.models import ReleaseDateChange
from cellblock.release.selectors import BOARD_QUERIES, release_board
from cellblock.release.services import releases

from .conftest import NOW, TODAY, dated, in_custody, pending, warrant, work_checklist

pytestmark = pytest.mark.django_db


def _board(site):
    return release_board(site.facility, core_clock.now())


def _numbers(rows):
    return [(row.name, row.days) for row in rows]


@pytest.fixture
def naruto(clock, hold):
    return in_custody(hold("Uzumaki", given_name="Naruto", born=dt.date(2000, 10, 10)))


def test_a_release_date_moves_from_due_soon_to_today_to_overdue(site, clock, kakashi):
    dated(kakashi, TODAY + dt.timedelta(days=1))

    assert _numbers(_board(site).due_soon) == [("Kakashi Hatake", 1)]

    clock.move_to(NOW + dt.timedelta(days=1))
    today = _board(site)
    assert (_numbers(today.due_today), today.due_soon, today.overdue) == (
        [("Kakashi Hatake", 0)], [], [],
    )  # fmt: skip

    clock.move_to(NOW + dt.timedelta(days=3))
    late = _board(site)
    assert _numbers(late.overdue) == [("Kakashi Hatake", -2)]
    assert late.overdue[0].release_on == TODAY + dt.timedelta(days=1)
    assert late.overdue[0].cell == "A1-1"
    assert late.due_today == []


def test_someone_held_on_a_warrant_past_the_date_is_not_overdue(site, clock, kakashi):
    dated(kakashi, TODAY - dt.timedelta(days=1))
    warrant(kakashi)

    board = _board(site)

    assert board.overdue == []


def test_a_pending_count_is_shown_beside_a_date_due_soon(site, clock, kakashi):
    dated(kakashi, TODAY + dt.timedelta(days=2))
    pending(kakashi, docket="CR-2026-077")

    row = _board(site).due_soon[0]

    assert row.blockers == ["case CR-2026-077 count 1 (KON 12) awaits its verdict"]


def test_dates_beyond_the_policy_window_are_not_yet_on_the_board(site, clock, kakashi):
    policy = site.facility.policy
    policy.release_due_soon_days = 3
    policy.save(update_fields=["release_due_soon_days"])
    dated(kakashi, TODAY + dt.timedelta(days=4))

    assert _board(site).due_soon == []

    clock.move_to(NOW + dt.timedelta(days=1))
    assert _numbers(_board(site).due_soon) == [("Kakashi Hatake", 3)]


def test_days_are_counted_on_the_facility_clock(site, clock, kakashi):
    site.facility.timezone = "Asia/Tokyo"
    site.facility.save(update_fields=["timezone"])
    dated(kakashi, TODAY + dt.timedelta(days=1))
    # 23:30 UTC on the 14th is 08:30 on the 15th in Konoha's (Tokyo's) zone.
    clock.move_to(dt.datetime(2026, 3, 14, 23, 30, tzinfo=dt.UTC))

    board = _board(site)

    assert (board.today, _numbers(board.due_today)) == (
        dt.date(2026, 3, 15), [("Kakashi Hatake", 0)],
    )  # fmt: skip


def test_a_release_for_time_served_prepared_before_the_date_is_early(
    site, clock, kakashi, supervisor
):
    dated(kakashi, TODAY + dt.timedelta(days=20))
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="time_served")

    board = _board(site)

    assert _numbers(board.early) == [("Kakashi Hatake", 20)]
    assert board.early[0].release == release
    assert board.due_soon == []

    clock.move_to(NOW + dt.timedelta(days=20))
    on_the_day = _board(site)
    assert (on_the_day.early, _numbers(on_the_day.due_today)) == ([], [("Kakashi Hatake", 0)])
    assert on_the_day.due_today[0].release == release


def test_a_release_to_an_assignment_long_before_the_date_is_under_way_not_early(
    site, clock, kakashi, commander
):
    dated(kakashi, TODAY + dt.timedelta(days=500))
    release = releases.release_start(
        actor=commander, booking=kakashi, kind="assignment", assignment_rank="S",
        reason="A mission beyond S-rank",
    )  # fmt: skip

    board = _board(site)

    assert board.early == []
    assert _numbers(board.under_way) == [("Kakashi Hatake", 500)]
    assert board.under_way[0].release == release


def test_someone_away_on_a_furlough_is_listed_with_the_return_not_as_overdue(
    site, clock, kakashi, supervisor, officer, medic
):
    dated(kakashi, TODAY - dt.timedelta(days=1))
    due_back = NOW + dt.timedelta(days=2)
    furlough = releases.release_start(
        actor=supervisor, booking=kakashi, kind="furlough", expected_return_at=due_back
    )
    work_checklist(furlough, by=officer, medic=medic)
    releases.release_complete(actor=supervisor, release=furlough)

    board = _board(site)

    assert board.overdue == []
    assert [(r.name, r.due_back, r.days) for r in board.away] == [("Kakashi Hatake", due_back, 2)]

    clock.move_to(NOW + dt.timedelta(days=3))
    assert _numbers(_board(site).away) == [("Kakashi Hatake", -1)]


def test_unreviewed_date_changes_are_counted(site, clock, kakashi):
    ReleaseDateChange.objects.create(
        booking=kakashi, previous_on=None, new_on=TODAY, cause="sentence",
        cause_detail="Sentence imposed", computed_at=NOW,
    )  # fmt: skip

    assert _board(site).changes_unreviewed == 1


def test_the_board_costs_the_same_queries_for_one_or_many(
    site, clock, hold, supervisor, django_assert_num_queries
):
    def book(name, days):
        booking = in_custody(hold(name, given_name="Test", bed=None, housed=False))
        dated(booking, TODAY + dt.timedelta(days=days))
        warrant(booking, reference=f"W-{name}")
        return booking

    first = book("One", -1)
    releases.release_start(actor=supervisor, booking=first, kind="bail")
    with CaptureQueriesContext(connection) as one:
        _board(site)

    for n, days in enumerate((-3, 0, 0, 2, 5)):
        booking = book(f"Many{n}", days)
        releases.release_start(actor=supervisor, booking=booking, kind="bail")
    with django_assert_num_queries(len(one.captured_queries)):
        board = _board(site)

    assert len(one.captured_queries) == BOARD_QUERIES
    assert (len(board.due_today), len(board.due_soon)) == (2, 2)
