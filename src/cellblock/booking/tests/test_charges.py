"""Charges at intake: add, take back a mistake, and declare the list complete."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Charge, IntakeStep
from cellblock.booking.services import (
    NO_CHARGES,
    ChargeData,
    booking_charges_complete,
    booking_open,
    booking_transition,
    charge_add,
    charge_remove,
)
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
THEFT = ChargeData(statute="KL 12.1", description="Theft of scrolls", severity="felony")


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _booking(site, legal_status="pretrial", charges=(), family="Hatake"):
    person = person_create(actor=None, facility=None, given_name="Kakashi", family_name=family)
    return booking_open(
        actor=None, facility=site.facility, person=person, source="arrest",
        legal_status=legal_status, charges=charges,
    )  # fmt: skip


def _step(booking, code):
    return IntakeStep.objects.get(booking=booking, step=code)


def _post(client, url, payload=None):
    return client.post(url, payload or {}, content_type="application/json")


def test_a_clerk_adds_a_charge_and_it_is_audited(site, booking_clerk, client_for):
    booking = _booking(site)
    response = _post(
        client_for(booking_clerk),
        f"/api/bookings/{booking.booking_number}/charges",
        {"statute": "KL 3.4", "description": "Trespass", "severity": "infraction", "counts": 3},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["statute"], body["severity"], body["counts"]) == ("KL 3.4", "infraction", 3)
    charge = Charge.objects.get(public_id=body["id"])
    assert charge.booking == booking
    assert charge.added_by == booking_clerk
    event = AuditEvent.objects.get(action="charge.add")
    assert event.actor_username == "bea_booking"
    assert event.changes["booking"] == booking.booking_number
    assert event.changes["statute"] == "KL 3.4"


def test_an_officer_cannot_add_a_charge(site, officer, client_for):
    booking = _booking(site)
    response = _post(
        client_for(officer),
        f"/api/bookings/{booking.booking_number}/charges",
        {"statute": "KL 3.4", "description": "Trespass", "severity": "infraction"},
    )
    assert response.status_code == 403
    assert not Charge.objects.exists()


def test_a_charge_with_an_unknown_severity_is_refused_naming_the_field(site, booking_clerk):
    booking = _booking(site)
    with pytest.raises(ValidationFailed) as refused:
        charge_add(
            actor=booking_clerk, booking=booking,
            data=ChargeData(statute="X", description="Y", severity="capital"),
        )  # fmt: skip
    assert set(refused.value.extra["fields"]) == {"severity"}
    assert "felony, misdemeanour, infraction" in refused.value.message


def test_charges_cannot_be_added_to_a_closed_booking(site, commander):
    booking = _booking(site)
    booking_transition(actor=commander, booking=booking, to="cancelled", reason="wrong person")
    with pytest.raises(Conflict) as refused:
        charge_add(actor=commander, booking=booking, data=THEFT)
    assert refused.value.code == "booking_closed"


def test_a_charge_entered_by_mistake_is_removed_during_intake_with_a_reason(
    site, booking_clerk, client_for
):
    booking = _booking(site, charges=[THEFT])
    charge = booking.charges.get()
    response = _post(
        client_for(booking_clerk),
        f"/api/bookings/{booking.booking_number}/charges/{charge.public_id}/remove",
        {"reason": "entered on the wrong booking"},
    )
    assert response.status_code == 204, response.content
    assert not Charge.objects.exists()
    event = AuditEvent.objects.get(action="charge.remove")
    assert event.reason == "entered on the wrong booking"
    assert event.actor_username == "bea_booking"
    assert event.object_id == str(charge.public_id)
    assert event.changes == {"booking": booking.booking_number, "statute": "KL 12.1"}


def test_removing_a_charge_needs_a_reason(site, booking_clerk, client_for):
    booking = _booking(site, charges=[THEFT])
    charge = booking.charges.get()
    url = f"/api/bookings/{booking.booking_number}/charges/{charge.public_id}/remove"
    blank = _post(client_for(booking_clerk), url, {"reason": "  "})
    assert blank.status_code == 400
    assert "reason" in blank.json()["extra"]["fields"]
    missing = _post(client_for(booking_clerk), url, {})
    assert missing.status_code == 400
    assert "reason" in missing.json()["extra"]["fields"]
    assert Charge.objects.count() == 1


def test_a_charge_cannot_be_removed_once_the_person_is_in_custody(site, commander):
    booking = _booking(site, charges=[THEFT])
    booking_transition(actor=commander, booking=booking, to="in_custody")
    with pytest.raises(Conflict) as refused:
        charge_remove(actor=commander, charge=booking.charges.get(), reason="dropped")
    assert refused.value.code == "charge_locked"
    assert Charge.objects.count() == 1


def test_an_officer_cannot_remove_a_charge(site, officer):
    booking = _booking(site, charges=[THEFT])
    with pytest.raises(PermissionDenied):
        charge_remove(actor=officer, charge=booking.charges.get(), reason="typo")


def test_a_charge_of_another_booking_is_not_found_under_this_one(site, booking_clerk, client_for):
    mine = _booking(site, charges=[THEFT])
    theirs = _booking(site, charges=[THEFT], family="Uchiha")
    response = _post(
        client_for(booking_clerk),
        f"/api/bookings/{mine.booking_number}/charges/{theirs.charges.get().public_id}/remove",
        {"reason": "typo"},
    )
    assert response.status_code == 404
    assert Charge.objects.count() == 2


def test_declaring_the_charges_complete_marks_the_step_done(site, booking_clerk, client_for):
    booking = _booking(site, charges=[THEFT, THEFT])
    response = _post(
        client_for(booking_clerk), f"/api/bookings/{booking.booking_number}/checklist/charges"
    )
    assert response.status_code == 200, response.content
    charges = next(step for step in response.json() if step["step"] == "charges")
    assert charges["state"] == "done"
    assert charges["note"] == "2 charges"
    assert charges["completed_by"] == "bea_booking"
    event = AuditEvent.objects.get(action="intake.step_complete")
    assert event.changes["step"] == "charges"
    assert event.changes["late"] is False


def test_the_charges_step_is_refused_while_no_charge_is_recorded(site, booking_clerk, client_for):
    booking = _booking(site)
    response = _post(
        client_for(booking_clerk), f"/api/bookings/{booking.booking_number}/checklist/charges"
    )
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {"charges": [NO_CHARGES]}
    assert _step(booking, "charges").completed_at is None


def test_a_hold_for_another_agency_needs_no_charges(site, booking_clerk):
    booking = _booking(site, legal_status="hold")
    step = booking_charges_complete(actor=booking_clerk, booking=booking)
    assert step.completed_at == NOW
    assert step.note == "0 charges"


def test_completing_the_charges_twice_keeps_the_first_completion(site, booking_clerk, commander):
    booking = _booking(site, charges=[THEFT])
    booking_charges_complete(actor=booking_clerk, booking=booking)
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        booking_charges_complete(actor=commander, booking=booking)
    step = _step(booking, "charges")
    assert (step.completed_at, step.completed_by) == (NOW, booking_clerk)
    assert AuditEvent.objects.filter(action="intake.step_complete").count() == 1


def test_a_charges_step_completed_after_its_deadline_is_recorded_as_late(site, booking_clerk):
    booking = _booking(site, charges=[THEFT])
    with time_machine.travel(NOW + dt.timedelta(hours=9), tick=False):
        booking_charges_complete(actor=booking_clerk, booking=booking)
    event = AuditEvent.objects.get(action="intake.step_complete")
    assert event.changes["late"] is True
