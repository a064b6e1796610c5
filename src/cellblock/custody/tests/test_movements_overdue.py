"""Overdue returns: out past the expected return plus the policy's grace."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.booking.models import BookingStatus
from cellblock.booking.services import booking_transition
from cellblock.custody.selectors.movements import (
    is_overdue,
    open_movements,
    overdue_movements,
    return_grace,
)
from cellblock.custody.services.movements import movement_return, movement_start
from cellblock.facilities.services import facility_policy_update

from .conftest import NOW

pytestmark = pytest.mark.django_db

BACK = NOW + dt.timedelta(hours=2)


@pytest.fixture
def at_court(clock, hold, officer):
    booking = hold("Hatake")
    return movement_start(
        actor=officer, booking=booking, destination="court", expected_return_at=BACK
    )


@pytest.mark.parametrize(("minutes_after", "overdue"), [(14, False), (15, True), (16, True)])
def test_a_return_is_overdue_from_the_expected_time_plus_the_grace(
    site, at_court, minutes_after, overdue
):
    now = BACK + dt.timedelta(minutes=minutes_after)

    found = overdue_movements(site.facility, now)

    assert [m.pk for m in found] == ([at_court.pk] if overdue else [])
    assert is_overdue(at_court, return_grace(site.facility), now) is overdue


def test_the_grace_is_the_facility_s_policy(site, at_court, commander):
    facility_policy_update(actor=commander, facility=site.facility, movement_return_grace_minutes=0)

    assert overdue_movements(site.facility, BACK) != []
    assert overdue_movements(site.facility, BACK - dt.timedelta(minutes=1)) == []


def test_a_movement_without_an_expected_return_is_never_overdue(site, clock, hold, officer):
    booking = hold("Uzumaki", given_name="Naruto")
    movement_start(actor=officer, booking=booking, destination="assignment")

    assert overdue_movements(site.facility, NOW + dt.timedelta(days=30)) == []


def test_the_return_ends_the_overdue(site, at_court, officer, clock):
    clock.move_to(BACK + dt.timedelta(minutes=40))

    movement_return(actor=officer, movement=at_court)

    assert overdue_movements(site.facility, BACK + dt.timedelta(hours=1)) == []


def test_a_released_person_is_not_waited_for(site, at_court, supervisor):
    booking_transition(actor=None, booking=at_court.booking, to=BookingStatus.IN_CUSTODY)
    booking_transition(
        actor=supervisor, booking=at_court.booking, to=BookingStatus.RELEASED,
        release_type="acquittal",
    )  # fmt: skip

    assert open_movements(site.facility) == []
    assert overdue_movements(site.facility, BACK + dt.timedelta(hours=1)) == []


def test_the_lists_show_where_the_person_sleeps_in_one_query(
    site, at_court, clock, hold, officer, django_assert_num_queries
):
    for n in range(3):
        movement_start(actor=officer, booking=hold(f"Person{n}"), destination="exercise_yard")

    with django_assert_num_queries(1):
        found = open_movements(site.facility)
        rows = [
            (m.booking.person.family_name, getattr(m, "unit_code"), getattr(m, "cell_code"))  # noqa: B009
            for m in found
        ]

    assert rows[0] == ("Hatake", "A1", "A1-1")
    assert len(rows) == 4
    with django_assert_num_queries(2):
        overdue = overdue_movements(site.facility, BACK + dt.timedelta(hours=1))
        assert [m.booking.person.family_name for m in overdue] == ["Hatake"]
