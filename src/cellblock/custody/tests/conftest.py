"""Shared fixtures of the custody tests: a frozen clock and people held in the test jail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine

from cellblock.booking.models import Booking
from cellblock.booking.services import booking_open
from cellblock.conftest import SmallFacility, ready_for_bed
from cellblock.facilities.models import Bed
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create

# A Saturday noon in the test jail's zone (UTC): shifts 06/14/22, meals 07/12/17:30.
NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    """Time stands still at NOW; ``clock.shift(dt.timedelta(...))`` travels."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _free_beds(site: SmallFacility) -> Iterator[Bed]:
    for cell in site.cells:
        for bed in cell.beds.order_by("code"):
            if not bed.assignments.filter(ended_at__isnull=True).exists():
                yield bed


@pytest.fixture
def hold(site: SmallFacility) -> Callable[..., Booking]:
    """Book someone at the test jail and house them in the next free bed (or ``bed``)."""

    def make(
        family_name: str = "Hatake",
        *,
        given_name: str = "Kakashi",
        sex: str = "male",
        born: dt.date | None = dt.date(1996, 9, 15),
        bed: Bed | None = None,
        housed: bool = True,
    ) -> Booking:
        person = person_create(
            actor=None, facility=site.facility, given_name=given_name, family_name=family_name,
            sex=sex, date_of_birth=born,
        )  # fmt: skip
        booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
        if housed:
            ready_for_bed(booking)
            bed_assign(actor=None, booking=booking, bed=bed or next(_free_beds(site)))
        return booking

    return make
