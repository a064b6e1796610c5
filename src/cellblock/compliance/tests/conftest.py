"""Fixtures of the compliance tests: the custody clock and people, the lower level, and facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.conftest import SmallFacility
from cellblock.custody.tests.conftest import NOW, clock, hold  # noqa: F401  (shared fixtures)
from cellblock.facilities import services as facility_services
from cellblock.facilities.models import Cell

from .support import lower_level, put_in_isolation, restrain


@pytest.fixture
def isolation(site: SmallFacility) -> Cell:
    """The lower level's isolation cell: restricted zone, restrictive housing, no lighting."""
    return lower_level(site)


@pytest.fixture
def naruto(clock, hold: Callable[..., Booking], isolation: Cell, officer: User) -> Booking:  # noqa: F811
    """Case file 2: a ten-year-old booked 90 days ago into the dark cell, chained, forgotten."""
    ninety_days_ago = NOW - dt.timedelta(days=90)
    clock.move_to(ninety_days_ago)
    booking = hold("Uzumaki", given_name="Naruto", born=dt.date(2015, 10, 10), housed=False)
    put_in_isolation(booking, isolation)
    restrain(booking, at=ninety_days_ago, by=officer)
    clock.move_to(NOW)
    return booking


@pytest.fixture
def gate_post(site: SmallFacility, isolation: Cell) -> object:
    return facility_services.post_create(
        actor=None, facility=site.facility, code="GATE", name="Lower level gate",
        required_officers=2, zone=isolation.unit.zone,
    )  # fmt: skip
