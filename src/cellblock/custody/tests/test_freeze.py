"""While a formal count is open, people stay where they are, except in an emergency."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import BookingStatus
from cellblock.booking.services import booking_transition
from cellblock.conftest import ready_for_bed
from cellblock.core.errors import Conflict
from cellblock.custody.freeze import COUNT_IN_PROGRESS
from cellblock.custody.models import Movement
from cellblock.custody.services.counts import (
    count_cancel,
    count_clear,
    count_sheet_record,
    count_start,
)
from cellblock.custody.services.movements import movement_return, movement_start
from cellblock.housing.models import BedAssignment
from cellblock.housing.services import bed_assign

pytestmark = pytest.mark.django_db

API = "/api"
EMERGENCY = "Cardiac arrest: ambulance called"


@pytest.fixture
def held(clock, hold):
    booking = hold("Hatake", bed=None)
    booking_transition(actor=None, booking=booking, to=BookingStatus.IN_CUSTODY)
    return booking


@pytest.fixture
def counting(site, held, supervisor):
    count = count_start(actor=supervisor, facility=site.facility, method="head")
    count.facility = site.facility
    return count


def _free_bed(site):
    return site.cells[1].beds.get(code="B2")


def _refusal(what):
    return COUNT_IN_PROGRESS.format(facility="Test Jail", since="12:00", what=what)


def test_a_bed_move_is_refused_during_a_count(site, held, counting, supervisor):
    ready_for_bed(held)
    with pytest.raises(Conflict) as refused:
        bed_assign(actor=supervisor, booking=held, bed=_free_bed(site))

    assert refused.value.code == "count_in_progress"
    assert refused.value.message == _refusal("moving people between beds")
    assert refused.value.extra == {"count": str(counting.public_id), "method": "head"}


def test_a_bed_move_goes_ahead_in_an_emergency_recorded_in_the_audit_event(
    site, held, counting, supervisor
):
    ready_for_bed(held)
    bed_assign(actor=supervisor, booking=held, bed=_free_bed(site), emergency_reason=EMERGENCY)

    assert BedAssignment.objects.get(booking=held, ended_at__isnull=True).bed == _free_bed(site)
    event = AuditEvent.objects.filter(action="housing.assign").latest("seq")
    assert event.changes["emergency"] == EMERGENCY


def test_a_release_is_refused_during_a_count(site, held, counting, supervisor):
    with pytest.raises(Conflict) as refused:
        booking_transition(
            actor=supervisor, booking=held, to=BookingStatus.RELEASED, release_type="bail"
        )

    assert refused.value.code == "count_in_progress"
    assert refused.value.message == _refusal("releases")
    held.refresh_from_db()
    assert held.status == BookingStatus.IN_CUSTODY


def test_a_release_goes_ahead_in_an_emergency_recorded_in_the_audit_event(
    site, held, counting, supervisor
):
    booking_transition(
        actor=supervisor, booking=held, to=BookingStatus.RELEASED, release_type="transfer",
        emergency_reason="Court order: transfer to hospital now",
    )  # fmt: skip

    held.refresh_from_db()
    assert held.status == BookingStatus.RELEASED
    event = AuditEvent.objects.get(action="booking.released")
    assert event.changes["emergency"] == "Court order: transfer to hospital now"


def test_taking_someone_out_is_refused_during_a_count(site, held, counting, officer):
    with pytest.raises(Conflict) as refused:
        movement_start(actor=officer, booking=held, destination="exercise_yard")

    assert refused.value.code == "count_in_progress"
    assert refused.value.message == _refusal("taking people out of their cells")
    assert not Movement.objects.exists()


def test_taking_someone_out_goes_ahead_in_an_emergency_recorded_on_it_and_audited(
    site, held, counting, officer
):
    movement = movement_start(
        actor=officer, booking=held, destination="hospital", emergency_reason=EMERGENCY
    )

    assert movement.emergency_reason == EMERGENCY
    event = AuditEvent.objects.get(action="movement.start")
    assert event.changes["emergency"] == EMERGENCY


def test_an_emergency_reason_without_a_count_is_not_recorded(site, held, officer):
    movement = movement_start(
        actor=officer, booking=held, destination="hospital", emergency_reason=EMERGENCY
    )

    assert movement.emergency_reason == ""
    assert "emergency" not in AuditEvent.objects.get(action="movement.start").changes


def test_a_return_is_accepted_during_a_count(site, held, supervisor, officer, clock):
    movement = movement_start(actor=officer, booking=held, destination="court")
    count_start(actor=supervisor, facility=site.facility, method="head")
    clock.shift(dt.timedelta(minutes=10))

    back = movement_return(actor=officer, movement=movement)

    assert back.returned_at is not None


def test_movement_resumes_once_the_count_is_cleared(site, held, counting, supervisor, officer):
    sheet = counting.sheets.get()
    sheet.count = counting
    count_sheet_record(actor=officer, sheet=sheet, counted=1)
    count_clear(actor=supervisor, count=counting)

    ready_for_bed(held)
    bed_assign(actor=supervisor, booking=held, bed=_free_bed(site))
    movement_start(actor=officer, booking=held, destination="exercise_yard")


def test_movement_resumes_once_the_count_is_cancelled(site, held, counting, supervisor, officer):
    count_cancel(actor=supervisor, count=counting, reason="Lockdown")

    movement_start(actor=officer, booking=held, destination="exercise_yard")


def test_the_housing_api_refuses_a_move_during_a_count(
    site, held, counting, supervisor, client_for
):
    response = client_for(supervisor).post(
        f"{API}/housing/moves",
        {"booking": held.booking_number, "to_bed": str(_free_bed(site).public_id)},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "count_in_progress"
