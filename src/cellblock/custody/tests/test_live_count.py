"""The live count: housed, in cell, out of cell, out of the facility, held without a bed."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.booking.models import BookingStatus
from cellblock.booking.services import booking_transition
from cellblock.custody.selectors.counts import Figures, live_count
from cellblock.custody.services.movements import movement_return, movement_start
from cellblock.facilities.services import cell_create, unit_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_unit(site):
    unit = unit_create(actor=None, zone=site.zone, code="A2", name="Unit A2")
    cell_create(actor=None, unit=unit, code="A2-1", beds=2)
    return unit


def _unit(count, code):
    return next(u for u in count.units if u.unit.code == code)


def test_an_empty_facility_counts_nobody_in_each_of_its_units(site, second_unit):
    count = live_count(site.facility)

    assert [u.unit.code for u in count.units] == ["A1", "A2"]
    assert all(u.figures == Figures() for u in count.units)
    assert (count.held, count.housed, count.in_cell, count.unhoused.held) == (0, 0, 0, 0)


def test_people_in_their_cells_count_as_housed_and_in_cell(site, clock, hold):
    hold("Hatake")
    hold("Uzumaki", given_name="Naruto")

    count = live_count(site.facility)

    a1 = _unit(count, "A1")
    assert (a1.housed, a1.in_cell, a1.out_of_cell, a1.out_of_facility) == (2, 2, 0, 0)
    assert (count.held, count.housed, count.in_cell) == (2, 2, 2)


def test_a_movement_moves_a_person_out_of_cell_or_out_of_the_facility(site, clock, hold, officer):
    yard = hold("Hatake")
    court = hold("Uzumaki", given_name="Naruto")
    hold("Uchiha", given_name="Sasuke")
    movement_start(actor=officer, booking=yard, destination="exercise_yard")
    movement_start(actor=officer, booking=court, destination="court")

    a1 = _unit(live_count(site.facility), "A1")

    assert (a1.housed, a1.in_cell, a1.out_of_cell, a1.out_of_facility) == (3, 1, 1, 1)


def test_a_return_puts_the_person_back_in_their_cell(site, clock, hold, officer):
    booking = hold("Hatake")
    movement = movement_start(actor=officer, booking=booking, destination="medical")
    clock.shift(dt.timedelta(minutes=20))

    movement_return(actor=officer, movement=movement)

    a1 = _unit(live_count(site.facility), "A1")
    assert (a1.housed, a1.in_cell, a1.out_of_cell) == (1, 1, 0)


def test_people_held_without_a_bed_are_counted_apart_with_where_they_are(
    site, clock, hold, officer
):
    hold("Hatake")
    waiting = hold("Uzumaki", given_name="Naruto", housed=False)
    hold("Uchiha", given_name="Sasuke", housed=False)
    movement_start(actor=officer, booking=waiting, destination="hospital")

    count = live_count(site.facility)

    assert count.unhoused == Figures(held=2, out_of_cell=0, out_of_facility=1)
    assert (count.held, count.housed, count.out_of_facility) == (3, 1, 1)


def test_released_people_leave_the_count(site, clock, hold, supervisor):
    booking = hold("Hatake")
    booking_transition(actor=None, booking=booking, to=BookingStatus.IN_CUSTODY)
    booking_transition(
        actor=supervisor, booking=booking, to=BookingStatus.RELEASED, release_type="bail"
    )

    count = live_count(site.facility)

    assert (count.held, count.housed) == (0, 0)


def test_another_facility_s_people_are_not_counted_here(site, other_site, clock, hold):
    hold("Hatake")

    assert live_count(other_site.facility).held == 0


def test_the_count_reads_the_past_from_the_histories(site, clock, hold, officer):
    booking = hold("Hatake")
    clock.shift(dt.timedelta(hours=1))
    movement = movement_start(actor=officer, booking=booking, destination="court")
    clock.shift(dt.timedelta(hours=2))
    movement_return(actor=officer, movement=movement)
    now = movement.left_at + dt.timedelta(hours=2)

    during = _unit(live_count(site.facility, at=now - dt.timedelta(hours=1)), "A1")
    before = _unit(live_count(site.facility, at=movement.left_at - dt.timedelta(minutes=1)), "A1")

    assert (during.in_cell, during.out_of_facility) == (0, 1)
    assert (before.in_cell, before.out_of_facility) == (1, 0)


def test_the_live_count_costs_two_queries_whatever_the_size(
    site, second_unit, clock, hold, officer, django_assert_num_queries
):
    for n in range(4):
        booking = hold(f"Person{n}")
        if n % 2:
            movement_start(actor=officer, booking=booking, destination="visit_room")
    hold("Waiting", housed=False)

    with django_assert_num_queries(2):
        count = live_count(site.facility)

    assert (count.held, count.out_of_cell, count.unhoused.held) == (5, 2, 1)
