"""Shared fixtures of the release tests: a frozen clock, people held, court records, a checklist.

Court records (cases, counts, sentences, holds, release dates) are written
straight into the tables here: these tests are about releasing people, not
about how the court records came to be.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.accounts.models import User
from cellblock.booking.models import Booking, BookingStatus, Charge
from cellblock.booking.services import PropertyData, booking_transition, property_item_add
from cellblock.core import clock as core_clock
from cellblock.court.models import (
    Case,
    CaseCharge,
    Hold,
    ReleaseDate,
    Sentence,
    Verdict,
)
from cellblock.court.testing import court_setup
from cellblock.custody.tests import conftest as custody
from cellblock.custody.tests.conftest import NOW
from cellblock.release.models import Release, ReleaseStepCode
from cellblock.release.services import steps
from cellblock.release.services.checklist import steps_of
from cellblock.visits.tests import conftest as visits

TODAY = NOW.date()

# Fixtures shared with the custody and visits tests: the frozen clock, people held in the
# test jail, a visit room and visitors.
clock = custody.clock
hold = custody.hold
contact_room = visits.contact_room
make_visitor = visits.make_visitor

DISCHARGE_TEXT = "Chakra exhaustion; rest two days. Sharingan eye drops twice a day."


@pytest.fixture
def kakashi(clock, hold) -> Booking:
    """Kakashi Hatake, housed in the test jail and in custody."""
    return in_custody(hold("Hatake", given_name="Kakashi"))


def in_custody(booking: Booking) -> Booking:
    return booking_transition(actor=None, booking=booking, to=BookingStatus.IN_CUSTODY)


def dated(booking: Booking, release_on: dt.date | None) -> ReleaseDate:
    """The booking's computed release date, as the court's computation would store it."""
    row, _ = ReleaseDate.objects.update_or_create(
        booking=booking, defaults={"release_on": release_on, "computed_at": core_clock.now()}
    )
    return row


def a_case(booking: Booking, *, docket: str = "CR-2026-001", verdict: str = Verdict.GUILTY):
    """A case against the booking's person on its first charge (or a new one), one count."""
    setup = court_setup(booking.facility)
    charge = booking.charges.first() or Charge.objects.create(
        booking=booking, statute="KON 12", description="Property damage", severity="felony",
        added_at=core_clock.now(),
    )  # fmt: skip
    case = Case.objects.create(
        agency=booking.facility.agency, court=setup.court, docket_number=docket,
        person=booking.person, facility=booking.facility, presiding_authority="Tsunade",
        filed_at=core_clock.now() - dt.timedelta(days=30),
    )  # fmt: skip
    count = CaseCharge.objects.create(
        case=case, count_number=1, statute=charge.statute, description=charge.description,
        severity=charge.severity, booking_charge=charge, verdict=verdict,
        verdict_at=None if verdict == Verdict.PENDING else core_clock.now(),
    )  # fmt: skip
    return case, count


def sentenced(booking: Booking, *, release_on: dt.date, docket: str = "CR-2026-001") -> Sentence:
    """A guilty count with an active sentence, and the release date it gives."""
    case, count = a_case(booking, docket=docket)
    sentence = Sentence.objects.create(
        case=case, charge=count, person=booking.person, jurisdiction=case.court.jurisdiction,
        imposed_on=TODAY - dt.timedelta(days=20), starts_on=TODAY - dt.timedelta(days=20),
        term_months=6, imposed_by="Tsunade", recorded_at=core_clock.now(),
    )  # fmt: skip
    dated(booking, release_on)
    return sentence


def pending(booking: Booking, *, docket: str = "CR-2026-077") -> CaseCharge:
    """A count of another case still awaiting its verdict."""
    return a_case(booking, docket=docket, verdict=Verdict.PENDING)[1]


def warrant(booking: Booking, reference: str = "W-4471") -> Hold:
    return Hold.objects.create(
        booking=booking, kind="warrant", issued_by="Sand Village Court", reference=reference,
        placed_at=core_clock.now(),
    )  # fmt: skip


def gear(booking: Booking, cash: str | None = "120.00") -> None:
    """His ninja tools and, if any, the cash counted at intake."""
    property_item_add(
        actor=None, booking=booking,
        data=PropertyData(kind="taken", description="Ninja tool pouch", bag_number="B-7"),
    )  # fmt: skip
    if cash is not None:
        property_item_add(
            actor=None, booking=booking,
            data=PropertyData(kind="taken", description="Cash", cash_amount=cash),
        )  # fmt: skip


def work_checklist(release: Release, *, by: User, medic: User) -> Release:
    """Tick every step the release needs (the holds step is read from the court records)."""
    needed = steps_of(release)
    if ReleaseStepCode.PROPERTY_RETURNED in needed:
        steps.release_property_return(actor=by, release=release, signed=True)
    if ReleaseStepCode.MONEY_RETURNED in needed:
        cash = steps.cash_on_record(release.booking)
        steps.release_money_return(actor=by, release=release, amount=cash)
    if ReleaseStepCode.MEDICAL_DISCHARGE in needed:
        steps.release_medical_discharge(actor=medic, release=release, text=DISCHARGE_TEXT)
    if ReleaseStepCode.VISITS_CANCELLED in needed:
        steps.release_visits_cancel(actor=by, release=release)
    return release
