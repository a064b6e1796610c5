"""Opening a booking through the service: numbers, checklist, charges, audit, refusals."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking, BookingSequence, Charge, IntakeStep
from cellblock.booking.services import (
    ALREADY_BOOKED,
    BOOKED_IN_FUTURE,
    BookingDetails,
    ChargeData,
    booking_details_update,
    booking_open,
    booking_transition,
)
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
THEFT = ChargeData(statute="PC 484", description="Petty theft", severity="misdemeanour")
ASSAULT = ChargeData(statute="PC 245", description="Assault", severity="felony", counts=2)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _person(family="Hatake", given="Kakashi", **kwargs):
    return person_create(actor=None, facility=None, given_name=given, family_name=family, **kwargs)


def _open(site, actor, person=None, **kwargs):
    return booking_open(
        actor=actor, facility=site.facility, person=person or _person(), source="arrest", **kwargs
    )


def _counts():
    return (
        Booking.objects.count(),
        Charge.objects.count(),
        IntakeStep.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_booking_number_is_the_facility_code_the_year_and_six_digits(site, booking_clerk):
    booking = _open(site, booking_clerk)
    assert booking.booking_number == "TST-2026-000001"
    assert booking.status == "intake"
    assert booking.booked_at == NOW
    assert booking.booked_by == booking_clerk


def test_booking_numbers_follow_each_other_without_gaps(site, booking_clerk):
    numbers = [_open(site, booking_clerk, _person(f"Person{n}")).booking_number for n in range(5)]
    assert numbers == [f"TST-2026-{n:06d}" for n in range(1, 6)]


def test_each_year_starts_its_own_sequence_from_the_booking_time(site, booking_clerk):
    this_year = _open(site, booking_clerk, _person("Now"))
    last_year = _open(
        site, booking_clerk, _person("Then"), booked_at=dt.datetime(2025, 12, 31, 23, tzinfo=dt.UTC)
    )
    assert this_year.booking_number == "TST-2026-000001"
    assert last_year.booking_number == "TST-2025-000001"
    assert BookingSequence.objects.filter(facility=site.facility).count() == 2


def test_two_facilities_each_start_their_numbers_at_one(site, other_site, booking_clerk, outsider):
    ours = _open(site, booking_clerk, _person("Ours"))
    theirs = booking_open(
        actor=outsider, facility=other_site.facility, person=_person("Theirs"), source="warrant"
    )
    assert ours.booking_number == "TST-2026-000001"
    assert theirs.booking_number == "OTH-2026-000001"


def test_a_refused_booking_does_not_use_up_a_number(site, booking_clerk):
    person = _person()
    _open(site, booking_clerk, person)
    with pytest.raises(Conflict):
        _open(site, booking_clerk, person)
    assert _open(site, booking_clerk, _person("Next")).booking_number == "TST-2026-000002"


def test_a_booking_rolled_back_after_its_number_was_taken_gives_the_number_back(
    site, booking_clerk
):
    class LaterStepFailed(Exception):
        pass

    # The number is taken, then the request fails further on: the whole
    # transaction, sequence included, rolls back, so numbers stay gap-free.
    def book_then_fail() -> None:
        with transaction.atomic():
            assert _open(site, booking_clerk).booking_number == "TST-2026-000001"
            raise LaterStepFailed

    with pytest.raises(LaterStepFailed):
        book_then_fail()
    assert _open(site, booking_clerk, _person("Next")).booking_number == "TST-2026-000001"


def test_a_new_booking_carries_the_seven_step_checklist(site, booking_clerk):
    booking = _open(site, booking_clerk)
    steps = set(booking.intake_steps.values_list("step", flat=True))
    assert steps == {
        "identity",
        "charges",
        "property",
        "medical_screening",
        "classification",
        "prea_screening",
        "housing",
    }
    assert not booking.intake_steps.filter(completed_at__isnull=False).exists()


def test_the_charges_known_at_intake_are_stored_and_audited(site, booking_clerk):
    booking = _open(site, booking_clerk, charges=[THEFT, ASSAULT])
    stored = list(booking.charges.values_list("statute", "severity", "counts", "added_by"))
    assert stored == [
        ("PC 484", "misdemeanour", 1, booking_clerk.pk),
        ("PC 245", "felony", 2, booking_clerk.pk),
    ]
    events = AuditEvent.objects.filter(action="charge.add")
    assert events.count() == 2
    assert {event.changes["statute"] for event in events} == {"PC 484", "PC 245"}
    assert all(event.actor_username == "bea_booking" for event in events)


def test_opening_a_booking_is_audited_with_the_clerk_and_the_facility(site, booking_clerk):
    person = _person()
    booking = _open(
        site,
        booking_clerk,
        person,
        details=BookingDetails(committing_authority="Leaf Police", height_cm=181),
    )
    event = AuditEvent.objects.get(action="booking.open")
    assert event.actor_username == "bea_booking"
    assert event.actor_roles == Role.BOOKING
    assert event.facility == site.facility
    assert event.object_id == str(booking.public_id)
    assert event.changes["person"] == str(person.public_id)
    assert event.changes["committing_authority"] == "Leaf Police"
    assert event.changes["height_cm"] == 181


def test_an_officer_cannot_open_a_booking_and_nothing_is_written(site, officer):
    person = _person()
    before = _counts()
    with pytest.raises(PermissionDenied):
        _open(site, officer, person)
    assert _counts() == before


def test_a_booking_clerk_cannot_book_into_another_facility(site, other_site, booking_clerk):
    with pytest.raises(PermissionDenied):
        booking_open(
            actor=booking_clerk, facility=other_site.facility, person=_person(), source="arrest"
        )


def test_a_person_held_elsewhere_cannot_be_booked_here_and_the_message_names_the_booking(
    site, other_site, booking_clerk, outsider
):
    person = _person()
    held = booking_open(
        actor=outsider, facility=other_site.facility, person=person, source="arrest"
    )
    with pytest.raises(Conflict) as refused:
        _open(site, booking_clerk, person)
    assert refused.value.code == "already_booked"
    assert refused.value.message == ALREADY_BOOKED.format(
        person=person, number=held.booking_number, facility=other_site.facility
    )
    assert refused.value.extra == {"booking_number": held.booking_number}


def test_a_released_person_can_be_booked_again_under_a_new_number(site, commander):
    person = _person()
    first = _open(site, commander, person)
    booking_transition(actor=commander, booking=first, to="in_custody")
    booking_transition(actor=commander, booking=first, to="released", release_type="bail")
    second = _open(site, commander, person)
    assert second.booking_number == "TST-2026-000002"
    assert person.bookings.count() == 2


def test_a_booking_time_in_the_future_is_refused(site, booking_clerk):
    with pytest.raises(ValidationFailed) as refused:
        _open(site, booking_clerk, booked_at=NOW + dt.timedelta(minutes=5))
    assert refused.value.extra["fields"] == {"booked_at": [BOOKED_IN_FUTURE]}


def test_an_unknown_source_and_legal_status_are_refused_naming_the_choices(site, booking_clerk):
    with pytest.raises(ValidationFailed) as refused:
        booking_open(
            actor=booking_clerk, facility=site.facility, person=_person(), source="teleport",
            legal_status="limbo",
        )  # fmt: skip
    fields = refused.value.extra["fields"]
    assert "arrest" in fields["source"][0]
    assert "pretrial" in fields["legal_status"][0]


def test_an_impossible_height_or_weight_is_refused(site, booking_clerk):
    with pytest.raises(ValidationFailed) as refused:
        _open(site, booking_clerk, details=BookingDetails(height_cm=300, weight_kg=1))
    assert set(refused.value.extra["fields"]) == {"height_cm", "weight_kg"}
    assert not Booking.objects.exists()


def test_details_are_corrected_with_old_and_new_values_in_the_audit(site, booking_clerk):
    booking = _open(site, booking_clerk, details=BookingDetails(eye_colour="brown"))
    booking_details_update(
        actor=booking_clerk, booking=booking, eye_colour="grey", emergency_contact_name="Gai"
    )
    booking.refresh_from_db()
    assert booking.eye_colour == "grey"
    event = AuditEvent.objects.get(action="booking.update")
    assert event.changes == {"eye_colour": ["brown", "grey"], "emergency_contact_name": ["", "Gai"]}


def test_a_correction_that_changes_nothing_writes_nothing(site, booking_clerk):
    booking = _open(site, booking_clerk, details=BookingDetails(eye_colour="brown"))
    before = AuditEvent.objects.count()
    booking_details_update(actor=booking_clerk, booking=booking, eye_colour="brown")
    assert AuditEvent.objects.count() == before


def test_fields_that_are_not_details_cannot_be_changed_as_details(site, booking_clerk):
    booking = _open(site, booking_clerk)
    with pytest.raises(ValidationFailed) as refused:
        booking_details_update(actor=booking_clerk, booking=booking, booking_number="X-1")
    assert "booking_number" in refused.value.extra["fields"]


def test_the_details_of_a_released_booking_can_no_longer_change(site, commander):
    booking = _open(site, commander)
    booking_transition(actor=commander, booking=booking, to="in_custody")
    booking_transition(actor=commander, booking=booking, to="released", release_type="bail")
    with pytest.raises(Conflict) as refused:
        booking_details_update(actor=commander, booking=booking, build="slim")
    assert refused.value.code == "booking_closed"
