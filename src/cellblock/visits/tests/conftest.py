"""Shared fixtures of the visits tests: the test jail's visit rooms and its visitors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from cellblock.conftest import SmallFacility
from cellblock.core import clock as core_clock
from cellblock.custody.tests.conftest import NOW, clock, hold  # noqa: F401  (shared fixtures)
from cellblock.people.services import person_create
from cellblock.visits.models import RoomKind, Visitor, VisitorStatus, VisitRoom

# Tomorrow at 14:00: inside the booking window (24 hours to 14 days ahead) and room hours.
TOMORROW_2PM = NOW + dt.timedelta(days=1, hours=2)


@pytest.fixture
def contact_room(site: SmallFacility) -> VisitRoom:
    return VisitRoom.objects.create(
        facility=site.facility, code="VR1", name="Visit room 1", kind=RoomKind.CONTACT, capacity=2
    )


@pytest.fixture
def booths(site: SmallFacility) -> VisitRoom:
    return VisitRoom.objects.create(
        facility=site.facility, code="BTH", name="Booths", kind=RoomKind.NON_CONTACT, capacity=4
    )


@pytest.fixture
def legal_room(site: SmallFacility) -> VisitRoom:
    return VisitRoom.objects.create(
        facility=site.facility, code="LGL", name="Counsel room", kind=RoomKind.LEGAL, capacity=1
    )


@pytest.fixture
def make_visitor(site: SmallFacility) -> Callable[..., Visitor]:
    """A visitor registered at the test jail, approved unless ``status`` says otherwise."""

    def make(
        given_name: str = "Ino",
        family_name: str = "Yamanaka",
        *,
        born: dt.date | None = dt.date(1990, 9, 23),
        status: str = VisitorStatus.APPROVED,
        id_number: str = "",
    ) -> Visitor:
        person = person_create(
            actor=None, facility=site.facility, given_name=given_name,
            family_name=family_name, date_of_birth=born,
        )  # fmt: skip
        return Visitor.objects.create(
            facility=site.facility, person=person, status=status,
            id_kind="village_registry" if id_number else "", id_number=id_number,
            registered_at=core_clock.now(),
        )  # fmt: skip

    return make
