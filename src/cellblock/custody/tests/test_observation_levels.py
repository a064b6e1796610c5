"""Observation levels from flags and placement, and the board's clock: due, overdue, out."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from cellblock.classification.models import FlagKind
from cellblock.classification.services import flag_set
from cellblock.conftest import ready_for_bed
from cellblock.custody.models import CheckStatus, Destination
from cellblock.custody.selectors.rounds import (
    Level,
    fixed_pattern,
    level_for,
    observation_board,
)
from cellblock.custody.services.movements import movement_return, movement_start
from cellblock.custody.services.rounds import round_check_record
from cellblock.custody.tests.conftest import NOW
from cellblock.facilities.services import cell_create, facility_policy_update, unit_create
from cellblock.housing.services import bed_assign

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


def _flag(kind, detail=""):
    return SimpleNamespace(kind=kind, detail=detail)


# --- Levels ---------------------------------------------------------------------------


def test_someone_with_no_flags_in_an_ordinary_unit_is_general_population():
    assert level_for([], "medium", restrictive=False) == Level.GENERAL


@pytest.mark.parametrize(
    ("detail", "level"),
    [
        ("at_risk", Level.AT_RISK),
        ("suicide_watch", Level.SUICIDE_WATCH),
        ("constant", Level.CONSTANT),
    ],
)
def test_the_suicide_risk_flag_detail_sets_the_level(detail, level):
    assert level_for([_flag(FlagKind.SUICIDE_RISK, detail)], "", restrictive=False) == level


@pytest.mark.parametrize(
    ("flags", "custody", "restrictive"),
    [
        ([], "special", False),
        ([_flag(FlagKind.RESTRICTIVE_HOUSING)], "", False),
        ([], "minimum", True),
    ],
    ids=["special custody level", "restrictive housing flag", "restrictive housing unit"],
)
def test_special_management_is_checked_as_at_risk(flags, custody, restrictive):
    assert level_for(flags, custody, restrictive=restrictive) == Level.AT_RISK


def test_the_closest_level_wins_when_several_apply():
    flags = [_flag(FlagKind.RESTRICTIVE_HOUSING), _flag(FlagKind.SUICIDE_RISK, "constant")]
    assert level_for(flags, "special", restrictive=True) == Level.CONSTANT


def test_flags_that_do_not_concern_observation_leave_the_level_alone():
    flags = [_flag(FlagKind.DIET, "no sweets"), _flag(FlagKind.ESCAPE_RISK)]
    assert level_for(flags, "maximum", restrictive=False) == Level.GENERAL


# --- The clock, one minute before / at / after the interval ---------------------------


def _row(site, booking, now=None):
    rows = observation_board(site.facility, now or NOW)
    return next(row for row in rows if row.booking.pk == booking.pk)


@pytest.mark.parametrize(
    ("minutes", "overdue", "late"), [(59, False, 0), (60, False, 0), (61, True, 1)]
)
def test_a_general_population_check_is_overdue_after_sixty_minutes(
    clock, site, hold, officer, minutes, overdue, late
):
    kakashi = hold()
    round_check_record(actor=officer, booking=kakashi, status=CheckStatus.SEEN_WELL)
    clock.shift(dt.timedelta(minutes=minutes))
    row = _row(site, kakashi, NOW + dt.timedelta(minutes=minutes))
    assert row.level == Level.GENERAL
    assert row.interval_minutes == 60
    assert row.last_seen_at == NOW
    assert row.due_at == NOW + dt.timedelta(minutes=60)
    assert row.overdue is overdue
    assert row.minutes_overdue == late


@pytest.mark.parametrize(("minutes", "overdue"), [(14, False), (15, False), (16, True)])
def test_a_suicide_watch_check_is_overdue_after_fifteen_minutes(
    clock, site, hold, officer, commander, minutes, overdue
):
    sasuke = hold("Uchiha", given_name="Sasuke")
    flag_set(
        actor=commander, booking=sasuke, kind=FlagKind.SUICIDE_RISK, detail="suicide_watch",
        reason="said he would",
    )  # fmt: skip
    round_check_record(actor=officer, booking=sasuke, status=CheckStatus.ASLEEP)
    row = _row(site, sasuke, NOW + dt.timedelta(minutes=minutes))
    assert row.level == Level.SUICIDE_WATCH
    assert row.interval_minutes == 15
    assert row.overdue is overdue


@pytest.mark.parametrize(("minutes", "overdue"), [(29, False), (30, False), (31, True)])
def test_someone_at_risk_is_overdue_after_thirty_minutes(
    clock, site, hold, officer, commander, minutes, overdue
):
    naruto = hold("Uzumaki", given_name="Naruto")
    flag_set(
        actor=commander, booking=naruto, kind=FlagKind.SUICIDE_RISK, detail="at_risk",
        reason="low mood",
    )  # fmt: skip
    round_check_record(actor=officer, booking=naruto, status=CheckStatus.SEEN_WELL)
    row = _row(site, naruto, NOW + dt.timedelta(minutes=minutes))
    assert (row.level, row.interval_minutes, row.overdue) == (Level.AT_RISK, 30, overdue)


def test_constant_observation_is_logged_at_the_policy_interval(clock, site, hold, commander):
    policy = facility_policy_update(
        actor=None, facility=site.facility, constant_observation_log_minutes=10
    )
    person = hold()
    flag_set(
        actor=commander, booking=person, kind=FlagKind.SUICIDE_RISK, detail="constant",
        reason="attempt last night",
    )  # fmt: skip
    row = _row(site, person)
    assert row.level == Level.CONSTANT
    assert row.interval_minutes == policy.constant_observation_log_minutes


def test_a_restrictive_housing_unit_makes_its_people_at_risk(site, hold, commander):
    unit = unit_create(actor=None, zone=site.zone, code="SEG", name="Segregation",
                       restrictive_housing=True)  # fmt: skip
    cell = cell_create(actor=None, unit=unit, code="SEG-1", beds=1)
    person = hold(housed=False)
    ready_for_bed(person)
    bed_assign(actor=commander, booking=person, bed=cell.beds.get(), override_reason="no room")
    assert _row(site, person).level == Level.AT_RISK


def test_the_facility_policy_sets_the_interval(clock, site, hold, officer):
    facility_policy_update(actor=None, facility=site.facility, check_interval_general_minutes=45)
    person = hold()
    round_check_record(actor=officer, booking=person, status=CheckStatus.SEEN_WELL)
    assert _row(site, person, NOW + 46 * MINUTE).overdue


def test_someone_never_checked_is_due_an_interval_after_they_were_housed(clock, site, hold):
    person = hold()
    row = _row(site, person, NOW + 61 * MINUTE)
    assert row.last_seen_at is None
    assert row.since == NOW
    assert row.overdue
    assert row.last_seen_label == "never"


def test_a_not_seen_check_does_not_restart_the_clock(clock, site, hold, officer):
    person = hold()
    round_check_record(actor=officer, booking=person, status=CheckStatus.SEEN_WELL)
    clock.shift(dt.timedelta(minutes=50))
    round_check_record(actor=officer, booking=person, status=CheckStatus.NOT_SEEN)
    row = _row(site, person, NOW + 61 * MINUTE)
    assert row.last_seen_at == NOW
    assert row.last_status == CheckStatus.NOT_SEEN
    assert row.overdue


def test_someone_out_of_their_cell_is_not_due_until_they_return(
    clock, site, hold, officer, supervisor
):
    person = hold()
    round_check_record(actor=officer, booking=person, status=CheckStatus.SEEN_WELL)
    clock.shift(dt.timedelta(minutes=30))
    movement = movement_start(
        actor=supervisor, booking=person, destination=Destination.COURT,
        expected_return_at=NOW + dt.timedelta(hours=5),
    )  # fmt: skip
    clock.shift(dt.timedelta(hours=3))
    row = _row(site, person, NOW + dt.timedelta(hours=3, minutes=30))
    assert (row.due_at, row.overdue, row.state) == (None, False, "out")
    assert row.out_destination == Destination.COURT
    back = NOW + dt.timedelta(hours=3, minutes=30)
    movement_return(actor=supervisor, movement=movement)
    # The clock restarts at the return, later than the last check.
    assert _row(site, person, back + 60 * MINUTE).due_at == back + 60 * MINUTE
    assert not _row(site, person, back + 60 * MINUTE).overdue
    assert _row(site, person, back + 61 * MINUTE).overdue


# --- Suicide watch must be irregular ---------------------------------------------------


def test_five_checks_at_the_same_interval_are_a_fixed_pattern():
    times = [NOW - dt.timedelta(minutes=10 * i, seconds=20 * (i % 2)) for i in range(5)]
    assert fixed_pattern(times) == 10


def test_irregular_checks_are_not_a_pattern():
    times = [NOW - dt.timedelta(minutes=m) for m in (0, 7, 19, 26, 38)]
    assert fixed_pattern(times) is None


def test_four_checks_are_too_few_to_call_a_pattern():
    assert fixed_pattern([NOW - dt.timedelta(minutes=10 * i) for i in range(4)]) is None


def test_the_board_flags_a_fixed_pattern_on_suicide_watch(clock, site, hold, officer, commander):
    sasuke = hold("Uchiha", given_name="Sasuke")
    flag_set(
        actor=commander, booking=sasuke, kind=FlagKind.SUICIDE_RISK, detail="suicide_watch",
        reason="said he would",
    )  # fmt: skip
    hour = NOW + dt.timedelta(hours=1)
    clock.shift(dt.timedelta(hours=1))
    for i in range(5):
        round_check_record(
            actor=officer, booking=sasuke, status=CheckStatus.SEEN_WELL,
            at=hour - dt.timedelta(minutes=12 * (4 - i)),
        )  # fmt: skip
    row = _row(site, sasuke, hour)
    assert row.fixed_pattern
    assert row.fixed_pattern_note == "fixed-interval pattern: the last 4 checks came every 12 min"
    clock.shift(dt.timedelta(minutes=5))
    round_check_record(actor=officer, booking=sasuke, status=CheckStatus.SEEN_WELL)
    assert not _row(site, sasuke, hour + dt.timedelta(minutes=5)).fixed_pattern


# --- A fixed number of queries -------------------------------------------------------


def test_the_board_costs_four_queries_however_many_are_held(
    clock, site, hold, officer, commander, django_assert_num_queries
):
    first = hold()
    flag_set(
        actor=commander, booking=first, kind=FlagKind.SUICIDE_RISK, detail="suicide_watch",
        reason="said he would",
    )  # fmt: skip
    round_check_record(actor=officer, booking=first, status=CheckStatus.SEEN_WELL)
    with django_assert_num_queries(4):
        assert len(observation_board(site.facility, NOW)) == 1
    for n in range(3):
        other = hold(f"Person{n}", given_name="Held")
        round_check_record(actor=officer, booking=other, status=CheckStatus.ASLEEP)
    with django_assert_num_queries(4):
        rows = observation_board(site.facility, NOW)
    assert len(rows) == 4


def test_the_board_of_one_cell_lists_only_its_people(clock, site, hold):
    a = hold(bed=site.cells[0].beds.get(code="B1"))
    b = hold("Other", bed=site.cells[1].beds.get(code="B1"))
    rows = observation_board(site.facility, NOW, cell=site.cells[1])
    assert [row.booking for row in rows] == [b]
    assert a not in [row.booking for row in rows]


def test_people_not_housed_are_not_on_the_board(clock, site, hold):
    hold(housed=False)
    assert observation_board(site.facility, NOW) == []
