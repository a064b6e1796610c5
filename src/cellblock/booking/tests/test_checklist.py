"""The intake checklist: deadlines from policy, states over time, and the overdue list."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.booking import checklist
from cellblock.booking.checklist import StepState, owner_label, recorded_steps
from cellblock.booking.models import IntakeStep
from cellblock.booking.selectors import (
    booking_checklist,
    bookings_with_overdue_steps,
    checklist_summary,
)
from cellblock.booking.services import (
    ChargeData,
    booking_charges_complete,
    booking_identity_confirm,
    booking_open,
    booking_transition,
    intake_step_complete,
)
from cellblock.conftest import ready_for_bed
from cellblock.facilities.services import facility_policy_update
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

BOOKED = dt.datetime(2026, 3, 14, 8, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
BOOKING_STEPS = {"identity", "charges", "property"}
CLASSIFICATION_STEPS = {"classification", "prea_screening"}
# Every step is recorded by an installed module: the module-not-installed tests take one away.
ALL_STEPS = BOOKING_STEPS | {"medical_screening"} | CLASSIFICATION_STEPS | {"housing"}
NOT_INSTALLED = {"medical_screening"}


@pytest.fixture
def clock():
    with time_machine.travel(BOOKED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def medical_not_installed(monkeypatch):
    """As if the medical module were not installed: nobody records the receiving screening."""
    monkeypatch.setattr(checklist, "recorded_steps", lambda: frozenset(ALL_STEPS - NOT_INSTALLED))


def _booking(facility, family="Hatake", booked_at=None, charges=()):
    person = person_create(actor=None, facility=None, given_name="Kakashi", family_name=family)
    return booking_open(
        actor=None, facility=facility, person=person, source="arrest", booked_at=booked_at,
        charges=charges,
    )  # fmt: skip


def _due(booking):
    return dict(IntakeStep.objects.filter(booking=booking).values_list("step", "due_at"))


def _states(booking):
    return {row.step.step: row.state for row in booking_checklist(booking)}


def test_deadlines_follow_the_default_policy_from_the_booking_time(clock, site):
    booked = BOOKED - 3 * HOUR
    due = _due(_booking(site.facility, booked_at=booked))
    assert due == {
        "identity": booked + 8 * HOUR,
        "charges": booked + 8 * HOUR,
        "property": booked + 8 * HOUR,
        "medical_screening": booked + 8 * HOUR,
        "housing": booked + 8 * HOUR,
        "classification": booked + 48 * HOUR,
        "prea_screening": booked + 72 * HOUR,
    }


def test_deadlines_follow_the_facility_s_own_policy(clock, site):
    facility_policy_update(
        actor=None, facility=site.facility, intake_completion_hours=4,
        classification_initial_hours=24, prea_screening_hours=36,
    )  # fmt: skip
    due = _due(_booking(site.facility))
    assert due["identity"] == BOOKED + 4 * HOUR
    assert due["housing"] == BOOKED + 4 * HOUR
    assert due["classification"] == BOOKED + 24 * HOUR
    assert due["prea_screening"] == BOOKED + 36 * HOUR


def test_the_booking_medical_classification_and_housing_modules_record_every_step():
    assert recorded_steps() == ALL_STEPS
    assert {spec.code for spec in checklist.STEPS} == ALL_STEPS


def test_steps_are_open_until_their_deadline_and_overdue_after_it(clock, site):
    booking = _booking(site.facility)
    clock.move_to(BOOKED + 8 * HOUR)
    states = _states(booking)
    assert {states[code] for code in (*BOOKING_STEPS, "housing")} == {StepState.OPEN}
    clock.move_to(BOOKED + 8 * HOUR + dt.timedelta(seconds=1))
    states = _states(booking)
    assert {states[code] for code in (*BOOKING_STEPS, "housing")} == {StepState.OVERDUE}


def test_steps_of_modules_not_installed_stay_pending_past_any_deadline(
    clock, site, medical_not_installed
):
    booking = _booking(site.facility)
    clock.move_to(BOOKED + 30 * 24 * HOUR)
    states = _states(booking)
    assert {states[code] for code in NOT_INSTALLED} == {StepState.PENDING}


def test_a_step_done_late_is_done_not_overdue(clock, site, booking_clerk):
    booking = _booking(site.facility)
    clock.move_to(BOOKED + 10 * HOUR)
    booking_identity_confirm(actor=booking_clerk, booking=booking, method="fingerprints")
    assert _states(booking)["identity"] == StepState.DONE
    step = IntakeStep.objects.get(booking=booking, step="identity")
    assert step.completed_at == BOOKED + 10 * HOUR
    assert step.completed_by == booking_clerk


def test_the_summary_counts_each_state(clock, site, booking_clerk):
    booking = _booking(site.facility, charges=[ChargeData("KL 1", "Theft", "felony")])
    booking_charges_complete(actor=booking_clerk, booking=booking)
    clock.move_to(BOOKED + 9 * HOUR)
    # Classification (48 h) and PREA screening (72 h) are still open at 9 h.
    assert checklist_summary(booking_checklist(booking)) == {
        StepState.DONE: 1,
        StepState.OVERDUE: 4,
        StepState.OPEN: 2,
        StepState.PENDING: 0,
    }


def test_the_summary_counts_a_step_of_a_module_not_installed_as_pending(
    clock, site, booking_clerk, medical_not_installed
):
    booking = _booking(site.facility, charges=[ChargeData("KL 1", "Theft", "felony")])
    booking_charges_complete(actor=booking_clerk, booking=booking)
    clock.move_to(BOOKED + 9 * HOUR)
    assert checklist_summary(booking_checklist(booking)) == {
        StepState.DONE: 1,
        StepState.OVERDUE: 3,
        StepState.OPEN: 2,
        StepState.PENDING: 1,
    }


def test_a_bed_assignment_completes_the_housing_step(clock, site, supervisor):
    booking = _booking(site.facility)
    bed = site.cells[0].beds.get(code="B1")
    clock.move_to(BOOKED + 2 * HOUR)
    ready_for_bed(booking)
    bed_assign(actor=supervisor, booking=booking, bed=bed)
    step = IntakeStep.objects.get(booking=booking, step="housing")
    assert step.completed_at == BOOKED + 2 * HOUR
    assert step.completed_by == supervisor
    assert step.note == "A1-1/B1"
    assert _states(booking)["housing"] == StepState.DONE


def test_a_move_keeps_the_first_housing_completion(clock, site, supervisor):
    booking = _booking(site.facility)
    ready_for_bed(booking)
    bed_assign(actor=supervisor, booking=booking, bed=site.cells[0].beds.get(code="B1"))
    clock.move_to(BOOKED + 5 * HOUR)
    bed_assign(actor=supervisor, booking=booking, bed=site.cells[1].beds.get(code="B2"))
    step = IntakeStep.objects.get(booking=booking, step="housing")
    assert (step.completed_at, step.note) == (BOOKED, "A1-1/B1")


def test_a_step_missing_from_an_older_booking_is_added_when_completed(clock, site):
    booking = _booking(site.facility)
    IntakeStep.objects.filter(booking=booking, step="property").delete()
    step = intake_step_complete(actor=None, booking=booking, step="property", note="signed")
    assert step.completed_at == BOOKED
    assert step.due_at == BOOKED + 8 * HOUR


def test_the_overdue_list_holds_only_overdue_steps(clock, site, booking_clerk):
    late = _booking(site.facility, "Late")
    booking_identity_confirm(actor=booking_clerk, booking=late, method="registry card")
    clock.move_to(BOOKED + 6 * HOUR)
    _booking(site.facility, "Recent")
    clock.move_to(BOOKED + 100 * HOUR)
    overdue = bookings_with_overdue_steps(site.facility)
    # "Recent" is overdue too (booked 94 h ago): both are listed, oldest first.
    assert [entry.booking.person.family_name for entry in overdue] == ["Late", "Recent"]
    # At 100 h the 48 h classification and the 72 h PREA screening are late too.
    late_steps = {"medical_screening", "housing"} | CLASSIFICATION_STEPS
    assert {step.step for step in overdue[0].overdue_steps} == {"charges", "property"} | late_steps
    assert {step.step for step in overdue[1].overdue_steps} == BOOKING_STEPS | late_steps


def test_the_overdue_list_leaves_out_steps_of_modules_not_installed(
    clock, site, medical_not_installed
):
    _booking(site.facility)
    clock.move_to(BOOKED + 100 * HOUR)
    [entry] = bookings_with_overdue_steps(site.facility)
    assert {step.step for step in entry.overdue_steps} == ALL_STEPS - NOT_INSTALLED


def test_the_overdue_list_leaves_out_bookings_within_their_deadlines(clock, site):
    _booking(site.facility)
    clock.move_to(BOOKED + 7 * HOUR)
    assert bookings_with_overdue_steps(site.facility) == []


def test_the_overdue_list_leaves_out_closed_bookings_and_other_facilities(
    clock, site, other_site, commander
):
    cancelled = _booking(site.facility, "Cancelled")
    booking_transition(actor=commander, booking=cancelled, to="cancelled", reason="error")
    _booking(other_site.facility, "Elsewhere")
    clock.move_to(BOOKED + 9 * HOUR)
    assert bookings_with_overdue_steps(site.facility) == []
    assert len(bookings_with_overdue_steps(other_site.facility)) == 1


def test_the_overdue_list_costs_two_queries_however_long(clock, site, django_assert_num_queries):
    for n in range(12):
        _booking(site.facility, f"Person{n}")
    clock.move_to(BOOKED + 9 * HOUR)
    with django_assert_num_queries(2):
        overdue = bookings_with_overdue_steps(site.facility)
        names = [entry.booking.person.family_name for entry in overdue]
        steps = [len(entry.overdue_steps) for entry in overdue]
    assert len(names) == 12
    assert set(steps) == {5}


def test_each_step_names_the_module_that_records_it():
    assert owner_label("identity") == "Booking"
    assert owner_label("housing") == "Housing"
    assert owner_label("classification") == "Classification"
    assert owner_label("medical_screening") == "Medical"
