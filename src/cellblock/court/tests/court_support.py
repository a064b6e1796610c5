"""Shared fixtures of the court service and API tests (cases, hearings, verdicts, holds).

A frozen clock, the test jail's court (``court.testing.court_setup``), people
held there or free, and a helper that files a case through the service.
Test modules import what they use: ``from cellblock.court.tests.court_support import ...``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
import time_machine

from cellblock.accounts.models import User
from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking
from cellblock.booking.services import ChargeData, booking_open, booking_transition
from cellblock.conftest import SmallFacility, ready_for_bed
from cellblock.court.models import Case
from cellblock.court.services.cases import CaseChargeData, case_open
from cellblock.court.testing import CourtSetup, court_setup
from cellblock.facilities.models import Bed
from cellblock.housing.services import bed_assign
from cellblock.people.models import Person
from cellblock.people.services import person_create

# A Friday morning in the test jail's zone (UTC).
NOW = dt.datetime(2026, 3, 13, 10, 0, tzinfo=dt.UTC)
DOCKET = "TST-CR-2026-0042"

THEFT = CaseChargeData(statute="PC 484", description="Theft of scrolls", severity="felony")
ASSAULT = CaseChargeData(statute="PC 240", description="Assault", severity="misdemeanour")


@pytest.fixture
def clock() -> Iterator[Any]:
    """Time stands still at NOW; ``clock.move_to(...)`` travels."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def court(site: SmallFacility) -> CourtSetup:
    """The State jurisdiction (good time 1/3 from 2000) and its District Court."""
    return court_setup(site.facility, good_time=(1, 3))


@pytest.fixture
def person() -> Callable[..., Person]:
    def make(given_name: str = "Kakashi", family_name: str = "Hatake", **more: Any) -> Person:
        more.setdefault("date_of_birth", dt.date(1996, 9, 15))
        more.setdefault("sex", "male")
        return person_create(
            actor=None, facility=None, given_name=given_name, family_name=family_name, **more
        )

    return make


def _free_bed(site: SmallFacility) -> Bed:
    for cell in site.cells:
        for bed in cell.beds.order_by("code"):
            if not bed.assignments.filter(ended_at__isnull=True).exists():
                return bed
    raise AssertionError("the test jail is full")


@pytest.fixture
def held(site: SmallFacility, person: Callable[..., Person]) -> Callable[..., Booking]:
    """Book someone (on arrest, at ``booked_at``), take them into custody and give them a bed."""

    def make(
        given_name: str = "Kakashi",
        family_name: str = "Hatake",
        *,
        booked_at: dt.datetime | None = None,
        charges: Sequence[ChargeData] = (
            ChargeData(statute="PC 484", description="Theft of scrolls", severity="felony"),
        ),
    ) -> Booking:
        someone = person(given_name, family_name)
        booking = booking_open(
            actor=None, facility=site.facility, person=someone, source="arrest",
            booked_at=booked_at, charges=charges,
        )  # fmt: skip
        booking = booking_transition(actor=None, booking=booking, to="in_custody")
        ready_for_bed(booking)
        bed_assign(actor=None, booking=booking, bed=_free_bed(site))
        return Booking.objects.select_related("person", "facility").get(pk=booking.pk)

    return make


@pytest.fixture
def file_case(site: SmallFacility, court: CourtSetup, court_clerk: User) -> Callable[..., Case]:
    """The court clerk files a case against ``person`` (two counts unless told)."""

    def make(
        person: Person,
        *,
        docket: str = DOCKET,
        charges: Sequence[CaseChargeData] = (THEFT, ASSAULT),
        parties: Sequence[tuple[Person, str]] = (),
        filed_at: dt.datetime | None = None,
    ) -> Case:
        return case_open(
            actor=court_clerk, facility=site.facility, court=court.court, docket_number=docket,
            person=person, presiding_authority="Judge Tsunade", charges=charges,
            parties=parties, filed_at=filed_at,
        )  # fmt: skip

    return make


def events(action: str, **where: Any) -> list[AuditEvent]:
    """The audit events of ``action``, oldest first."""
    return list(AuditEvent.objects.filter(action=action, **where).order_by("seq"))


def error_of(response: Any, status: int) -> dict[str, Any]:
    """The API's error answer, which must have ``status`` and the one error shape."""
    assert response.status_code == status, (response.status_code, response.content[:2000])
    body: dict[str, Any] = response.json()
    assert set(body) == {"message", "code", "extra"}, body
    return body
