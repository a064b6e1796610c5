"""Shared fixtures of the medical tests: a frozen clock, more staff, a person held and screened."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine

from cellblock.accounts.models import User
from cellblock.booking.models import Booking, BookingStatus
from cellblock.booking.services import booking_open, booking_transition
from cellblock.conftest import SmallFacility, screen_clear
from cellblock.core.roles import Role
from cellblock.facilities.models import Bed
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create

# A Saturday evening in the test jail's zone (UTC).
NOW = dt.datetime(2026, 3, 14, 18, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    """Time stands still at NOW; ``clock.shift(dt.timedelta(...))`` travels."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def second_medic(staff_factory: Callable[..., User]) -> User:
    return staff_factory("mina_medic", Role.MEDICAL)


@pytest.fixture
def witness(staff_factory: Callable[..., User]) -> User:
    """An officer who signs refusals as the witness."""
    return staff_factory("walt_witness", Role.OFFICER)


def _free_bed(site: SmallFacility) -> Bed:
    for cell in site.cells:
        for bed in cell.beds.order_by("code"):
            if not bed.assignments.filter(ended_at__isnull=True).exists():
                return bed
    raise AssertionError("the test jail is full")


@pytest.fixture
def admit(site: SmallFacility, medic: User, clock: Any) -> Callable[..., Booking]:
    """Book someone into custody; screened clear by ``medic`` and housed unless told otherwise.

    The clock stands still first, so the booking is made at NOW, not today.
    """

    def make(
        family_name: str = "Uchiha",
        *,
        given_name: str = "Sasuke",
        born: dt.date | None = dt.date(1993, 7, 23),
        screened: bool = True,
        housed: bool = True,
    ) -> Booking:
        person = person_create(
            actor=None, facility=site.facility, given_name=given_name, family_name=family_name,
            sex="male", date_of_birth=born,
        )  # fmt: skip
        booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
        booking = booking_transition(actor=None, booking=booking, to=BookingStatus.IN_CUSTODY)
        if screened:
            screen_clear(booking, by=medic)
        if screened and housed:
            bed_assign(actor=None, booking=booking, bed=_free_bed(site))
        return booking

    return make


@pytest.fixture
def held(admit: Callable[..., Booking]) -> Booking:
    """Sasuke Uchiha (an adult here, so the test jail may house him), screened and housed."""
    return admit()
