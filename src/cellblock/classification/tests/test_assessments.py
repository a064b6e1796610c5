"""Assessments through the services: the scored level, overrides and their approval, reviews."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking, IntakeStep, IntakeStepCode
from cellblock.booking.services import ChargeData, booking_open, booking_transition, charge_add
from cellblock.classification.instrument import NIC_CUSTODY_V1
from cellblock.classification.models import (
    Assessment,
    AssessmentReason,
    AssessmentStatus,
    Instrument,
    ReviewTrigger,
)
from cellblock.classification.selectors import (
    DueKind,
    classification_queue,
    latest_assessment,
    overdue_counts,
    pending_overrides,
)
from cellblock.classification.services import (
    NO_SECOND_PERSON,
    NOT_PENDING,
    SUPERSEDED,
    assessment_override_decide,
    assessment_record,
    instrument_publish,
    review_trigger_raise,
)
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.facilities.services import facility_policy_update
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

# The first answer of every item is worth nothing.
NOTHING = {item["code"]: item["answers"][0]["code"] for item in NIC_CUSTODY_V1["items"]}
# 4 + 3 = 7 points: medium.
VIOLENT = {**NOTHING, "current_offence": "high", "prior_assaultive": "moderate"}
# 7 + 7 = 14 points: maximum.
ESCAPER = {**NOTHING, "institutional_violence": "assault_weapon_or_injury",
           "escape_history": "secure_recent"}  # fmt: skip


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cleo(staff_factory):
    return staff_factory("cleo_classification", Role.CLASSIFICATION)


@pytest.fixture
def booking(site, clock, booking_clerk):
    person = person_create(actor=None, facility=None, given_name="Rock", family_name="Lee")
    return booking_open(
        actor=booking_clerk, facility=site.facility, person=person, source="arrest",
        charges=[ChargeData("PC 245", "Assault", "felony", case_number="KON-1")],
    )  # fmt: skip


def _custody_level(booking) -> str:
    return Booking.objects.get(pk=booking.pk).custody_level


def _fields(raised) -> dict[str, list[str]]:
    return raised.value.extra["fields"]


def _with_override(booking, assessor, level="maximum", reason="gang leader, intelligence report"):
    return assessment_record(
        actor=assessor, booking=booking, answers=VIOLENT, override_level=level,
        override_reason=reason,
    )  # fmt: skip


# --- The initial assessment ---------------------------------------------------------------


def test_the_initial_assessment_sets_the_custody_level_and_completes_the_checklist_step(
    booking, cleo
):
    assessment = assessment_record(actor=cleo, booking=booking, answers=VIOLENT)

    assert (assessment.total, assessment.scored_level, assessment.level) == (7, "medium", "medium")
    assert assessment.reason == AssessmentReason.INITIAL
    assert assessment.status == AssessmentStatus.SCORED
    assert assessment.item_points["current_offence"] == 4
    assert _custody_level(booking) == "medium"
    step = IntakeStep.objects.get(booking=booking, step=IntakeStepCode.CLASSIFICATION)
    assert (step.completed_at, step.completed_by) == (NOW, cleo)
    assert step.note == "scored medium (7)"


def test_the_assessment_is_audited_with_its_actor_and_the_level_it_put_in_force(booking, cleo):
    assessment = assessment_record(actor=cleo, booking=booking, answers=ESCAPER)

    event = AuditEvent.objects.get(action="classification.assess")
    assert event.actor == cleo
    assert event.object_id == str(assessment.public_id)
    assert event.changes == {
        "booking": booking.booking_number, "instrument": "nic-custody v1", "total": 14,
        "scored_level": "maximum", "custody_level": [None, "maximum"],
        "override_requested": None, "superseded": None,
    }  # fmt: skip


def test_the_first_assessment_publishes_the_shipped_instrument_once(booking, cleo):
    assessment_record(actor=cleo, booking=booking, answers=NOTHING)
    assessment_record(actor=cleo, booking=booking, answers=VIOLENT)

    instrument = Instrument.objects.get()
    assert (instrument.code, instrument.version, instrument.published_by) == (
        "nic-custody", 1, None,
    )  # fmt: skip
    assert set(Assessment.objects.values_list("instrument", flat=True)) == {instrument.pk}


def test_a_later_version_of_the_instrument_scores_the_next_assessment(booking, cleo):
    assessment_record(actor=cleo, booking=booking, answers=VIOLENT)
    instrument_publish(
        actor=None, definition={**NIC_CUSTODY_V1, "version": 2,
                                "cut_points": {"minimum": 2, "medium": 6}},
    )  # fmt: skip
    again = assessment_record(actor=cleo, booking=booking, answers=VIOLENT)

    assert (again.instrument.version, again.scored_level) == (2, "maximum")
    first = Assessment.objects.exclude(pk=again.pk).get()
    # The earlier assessment keeps the version it was scored on.
    assert (first.instrument.version, first.scored_level) == (1, "medium")


def test_an_officer_cannot_record_an_assessment(booking, officer):
    with pytest.raises(PermissionDenied):
        assessment_record(actor=officer, booking=booking, answers=NOTHING)
    assert not Assessment.objects.exists()


def test_unanswered_items_are_named_and_nothing_is_written(booking, cleo):
    answers = dict(NOTHING)
    del answers["escape_history"]
    with pytest.raises(ValidationFailed) as raised:
        assessment_record(actor=cleo, booking=booking, answers={**answers, "shoe": "big"})
    assert _fields(raised) == {
        "answers.shoe": ["is not an item of this instrument."],
        "answers.escape_history": ["must be answered."],
    }
    assert not Assessment.objects.exists()
    assert _custody_level(booking) == ""


def test_a_closed_booking_is_not_assessed(booking, cleo, booking_clerk):
    booking_transition(actor=booking_clerk, booking=booking, to="cancelled", reason="wrong person")
    with pytest.raises(Conflict) as raised:
        assessment_record(actor=cleo, booking=booking, answers=NOTHING)
    assert raised.value.code == "booking_closed"


# --- Overrides ------------------------------------------------------------------------------


def test_an_override_without_a_reason_is_refused_naming_override_reason(booking, cleo):
    with pytest.raises(ValidationFailed) as raised:
        _with_override(booking, cleo, reason="  ")
    assert raised.value.status == 400
    assert _fields(raised) == {"override_reason": ["an override up or down needs a reason."]}
    assert not Assessment.objects.exists()


def test_an_override_reason_without_a_level_names_override_level(booking, cleo):
    with pytest.raises(ValidationFailed) as raised:
        _with_override(booking, cleo, level="")
    assert set(_fields(raised)) == {"override_level"}


def test_an_override_to_a_level_that_does_not_exist_is_refused(booking, cleo):
    with pytest.raises(ValidationFailed) as raised:
        _with_override(booking, cleo, level="supermax")
    assert _fields(raised) == {
        "override_level": ["must be one of minimum, medium, maximum, special."]
    }


def test_an_override_to_the_scored_level_is_refused(booking, cleo):
    with pytest.raises(ValidationFailed) as raised:
        _with_override(booking, cleo, level="medium")
    assert _fields(raised) == {
        "override_level": ["is the scored level (medium): no override needed."]
    }


def test_while_an_override_waits_the_scored_level_is_in_force(booking, cleo, site):
    assessment = _with_override(booking, cleo)

    assert assessment.status == AssessmentStatus.OVERRIDE_PENDING
    assert assessment.level == "medium"
    assert _custody_level(booking) == "medium"
    assert list(pending_overrides(site.facility)) == [assessment]
    event = AuditEvent.objects.get(action="classification.assess")
    assert event.changes["override_requested"] == "maximum"
    assert event.reason == "gang leader, intelligence report"


def test_the_assessor_cannot_approve_their_own_override(booking, commander):
    assessment = _with_override(booking, commander)
    with pytest.raises(Conflict) as raised:
        assessment_override_decide(actor=commander, assessment=assessment, approve=True)
    assert raised.value.status == 409
    assert raised.value.code == "override_needs_second_person"
    assert raised.value.message == NO_SECOND_PERSON.format(user="cara_commander")
    assert _custody_level(booking) == "medium"


def test_an_officer_cannot_decide_an_override(booking, cleo, officer):
    assessment = _with_override(booking, cleo)
    with pytest.raises(PermissionDenied) as raised:
        assessment_override_decide(actor=officer, assessment=assessment, approve=True)
    assert raised.value.status == 403
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.OVERRIDE_PENDING


def test_classification_staff_cannot_approve_either(booking, cleo, staff_factory):
    colleague = staff_factory("clara_classification", Role.CLASSIFICATION)
    assessment = _with_override(booking, cleo)
    with pytest.raises(PermissionDenied):
        assessment_override_decide(actor=colleague, assessment=assessment, approve=True)


def test_a_supervisor_approves_and_the_override_level_takes_effect(booking, cleo, supervisor, site):
    assessment = _with_override(booking, cleo)
    decided = assessment_override_decide(
        actor=supervisor, assessment=assessment, approve=True, note="agreed"
    )

    assert decided.status == AssessmentStatus.OVERRIDE_APPROVED
    assert (decided.scored_level, decided.level) == ("medium", "maximum")
    assert (decided.decided_by, decided.decided_at, decided.decision_note) == (
        supervisor, NOW, "agreed",
    )  # fmt: skip
    assert _custody_level(booking) == "maximum"
    assert list(pending_overrides(site.facility)) == []
    event = AuditEvent.objects.get(action="classification.override_approve")
    assert event.actor == supervisor
    assert event.changes["custody_level"] == ["medium", "maximum"]


def test_a_commander_who_did_not_assess_may_approve_an_override_down(booking, cleo, commander):
    assessment = assessment_record(
        actor=cleo, booking=booking, answers=ESCAPER, override_level="medium",
        override_reason="escape was 11 months ago, from an open camp",
    )  # fmt: skip
    assessment_override_decide(actor=commander, assessment=assessment, approve=True)
    assert _custody_level(booking) == "medium"


def test_a_refusal_needs_a_note_and_keeps_the_scored_level(booking, cleo, supervisor):
    assessment = _with_override(booking, cleo)
    with pytest.raises(ValidationFailed) as raised:
        assessment_override_decide(actor=supervisor, assessment=assessment, approve=False)
    assert _fields(raised) == {"note": ["say why the override is refused."]}

    refused = assessment_override_decide(
        actor=supervisor, assessment=assessment, approve=False, note="no evidence of gang role"
    )
    assert refused.status == AssessmentStatus.OVERRIDE_REFUSED
    assert refused.level == "medium"
    assert _custody_level(booking) == "medium"
    assert AuditEvent.objects.get(action="classification.override_refuse").actor == supervisor


def test_an_override_is_decided_once(booking, cleo, supervisor, commander):
    assessment = _with_override(booking, cleo)
    assessment_override_decide(actor=supervisor, assessment=assessment, approve=True)
    with pytest.raises(Conflict) as raised:
        assessment_override_decide(actor=commander, assessment=assessment, approve=False, note="x")
    assert raised.value.code == "override_not_pending"
    assert raised.value.message == NOT_PENDING.format(status="override approved")


def test_an_assessment_without_an_override_has_nothing_to_approve(booking, cleo, supervisor):
    assessment = assessment_record(actor=cleo, booking=booking, answers=NOTHING)
    with pytest.raises(Conflict) as raised:
        assessment_override_decide(actor=supervisor, assessment=assessment, approve=True)
    assert raised.value.code == "override_not_pending"


def test_a_newer_assessment_supersedes_a_pending_override(booking, cleo, supervisor, site, clock):
    old = _with_override(booking, cleo)
    clock.shift(HOUR)
    newer = assessment_record(actor=cleo, booking=booking, answers=ESCAPER)

    assert _custody_level(booking) == "maximum"
    with pytest.raises(Conflict) as raised:
        assessment_override_decide(actor=supervisor, assessment=old, approve=True)
    assert raised.value.code == "assessment_superseded"
    assert raised.value.message == SUPERSEDED.format(booking=booking)
    assert _custody_level(booking) == "maximum"
    # The history says so, and the new scoring's audit event names what it overtook.
    old.refresh_from_db()
    assert old.status == AssessmentStatus.SUPERSEDED
    event = AuditEvent.objects.filter(action="classification.assess").latest("seq")
    assert event.changes["superseded"] == [str(old.public_id)]
    # Nobody is asked to decide an override that can no longer be decided.
    assert list(pending_overrides(site.facility)) == []
    assert latest_assessment(booking) == newer


def test_a_newer_assessment_with_its_own_override_is_the_one_waiting(
    booking, cleo, supervisor, site, clock
):
    _with_override(booking, cleo)
    clock.shift(HOUR)
    newer = _with_override(booking, cleo, level="special", reason="threats against him")
    assert list(pending_overrides(site.facility)) == [newer]
    assessment_override_decide(actor=supervisor, assessment=newer, approve=True)
    assert _custody_level(booking) == "special"


def test_a_newer_assessment_replaces_an_approved_override(booking, cleo, supervisor, clock):
    assessment_override_decide(
        actor=supervisor, assessment=_with_override(booking, cleo), approve=True
    )
    clock.shift(DAY)
    assessment_record(actor=cleo, booking=booking, answers=NOTHING)
    assert _custody_level(booking) == "minimum"


# --- Reassessment --------------------------------------------------------------------------


def test_a_new_charge_before_the_first_assessment_makes_no_review_due(booking, booking_clerk):
    charge_add(
        actor=booking_clerk, booking=booking,
        data=ChargeData("PC 459", "Burglary", "felony", case_number="KON-2"),
    )  # fmt: skip
    assert not ReviewTrigger.objects.exists()


def test_a_new_charge_after_the_assessment_makes_a_reassessment_due(
    booking, cleo, booking_clerk, site, clock
):
    assessment_record(actor=cleo, booking=booking, answers=NOTHING)
    clock.shift(DAY)
    charge_add(
        actor=booking_clerk, booking=booking,
        data=ChargeData("PC 187", "Attempted murder", "felony", case_number="KON-9"),
    )  # fmt: skip

    trigger = ReviewTrigger.objects.get()
    assert (trigger.reason, trigger.detail) == (
        AssessmentReason.NEW_CHARGE, "PC 187 Attempted murder",
    )  # fmt: skip
    assert trigger.raised_by == booking_clerk
    assert trigger.due_at == NOW + DAY + 48 * HOUR
    assert trigger.satisfied_by is None
    [row] = [r for r in classification_queue(site.facility, NOW + DAY) if r.kind == DueKind.EVENT]
    assert (row.booking, row.due_at, row.overdue) == (booking, trigger.due_at, False)
    assert row.detail == "New charge: PC 187 Attempted murder"
    assert AuditEvent.objects.get(action="classification.review_due").actor == booking_clerk


def test_the_next_assessment_satisfies_the_trigger_and_says_why_it_was_done(
    booking, cleo, booking_clerk, site, clock
):
    assessment_record(actor=cleo, booking=booking, answers=NOTHING)
    charge_add(
        actor=booking_clerk, booking=booking,
        data=ChargeData("PC 187", "Attempted murder", "felony"),
    )  # fmt: skip
    clock.shift(3 * DAY)
    assert overdue_counts(site.facility, NOW + 3 * DAY).classification == 1

    again = assessment_record(actor=cleo, booking=booking, answers=VIOLENT)

    assert again.reason == AssessmentReason.NEW_CHARGE
    assert ReviewTrigger.objects.get().satisfied_by == again
    assert overdue_counts(site.facility, NOW + 3 * DAY).classification == 0
    kinds = {row.kind for row in classification_queue(site.facility, NOW + 3 * DAY)}
    assert DueKind.EVENT not in kinds


def test_a_verdict_or_incident_may_make_a_review_due_but_not_an_initial(booking, cleo):
    assessment_record(actor=cleo, booking=booking, answers=NOTHING)
    trigger = review_trigger_raise(
        actor=cleo, booking=booking, reason=AssessmentReason.INCIDENT, detail="fight in the yard"
    )
    assert trigger is not None
    assert trigger.reason == "incident"
    with pytest.raises(ValidationFailed):
        review_trigger_raise(actor=cleo, booking=booking, reason="initial", detail="again")


def test_the_scheduled_review_is_due_after_the_policy_days(booking, cleo, site, commander):
    facility_policy_update(actor=commander, facility=site.facility, classification_review_days=30)
    assessment = assessment_record(actor=cleo, booking=booking, answers=NOTHING)
    assert assessment.review_due_at == NOW + 30 * DAY

    def review_rows(at):
        return [r for r in classification_queue(site.facility, at) if r.kind == DueKind.REVIEW]

    # Not yet within the week's horizon; then due; then overdue.
    assert review_rows(NOW + 22 * DAY) == []
    [due] = review_rows(NOW + 24 * DAY)
    assert (due.due_at, due.overdue) == (NOW + 30 * DAY, False)
    [late] = review_rows(NOW + 31 * DAY)
    assert late.overdue
    assert overdue_counts(site.facility, NOW + 31 * DAY).classification == 1


def test_the_default_review_period_is_ninety_days_and_a_reassessment_restarts_it(
    booking, cleo, clock
):
    first = assessment_record(actor=cleo, booking=booking, answers=NOTHING)
    assert first.review_due_at == NOW + 90 * DAY
    clock.shift(80 * DAY)
    again = assessment_record(actor=cleo, booking=booking, answers=NOTHING)
    assert again.reason == AssessmentReason.SCHEDULED
    assert again.review_due_at == NOW + 170 * DAY


def test_the_initial_assessment_is_due_48_hours_after_booking_and_then_overdue(booking, site):
    def initial_rows(at):
        return [r for r in classification_queue(site.facility, at) if r.kind == DueKind.INITIAL]

    [row] = initial_rows(NOW)
    assert (row.due_at, row.overdue) == (NOW + 48 * HOUR, False)
    assert initial_rows(NOW + 49 * HOUR)[0].overdue
    assert overdue_counts(site.facility, NOW + 49 * HOUR).classification == 1
