"""The release checklist: the steps each kind needs, what holds a person, and each step's record."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import BookingStatus, PropertyItem
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.medical.models import DischargeNote
from cellblock.release.models import ReleaseStep, ReleaseStepCode
from cellblock.release.services import checklist, releases, steps
from cellblock.visits.models import VisitStatus
from cellblock.visits.tests.day_support import booked

from .conftest import (
    DISCHARGE_TEXT,
    NOW,
    TODAY,
    dated,
    gear,
    pending,
    sentenced,
    warrant,
    work_checklist,
)

pytestmark = pytest.mark.django_db

ALL_STEPS = [
    "holds_clear", "property_returned", "money_returned", "medical_discharge", "visits_cancelled",
]  # fmt: skip


def _states(release):
    return {state.code: state for state in checklist.release_steps(release)}


def _refusal(release, actor):
    with pytest.raises(Conflict) as refused:
        releases.release_complete(actor=actor, release=release)
    return refused.value


# --- Refused with the step named ----------------------------------------------------------


def test_a_release_with_unchecked_steps_is_refused_naming_each_step(kakashi, supervisor):
    release = releases.release_start(
        actor=supervisor, booking=kakashi, kind="bail", authority="Bond receipt 88"
    )

    refused = _refusal(release, supervisor)

    assert refused.code == "release_checklist_incomplete"
    assert refused.message == (
        "The release checklist is not complete: Property returned and signed for; "
        "Money returned; Medical discharge note; Upcoming visits cancelled."
    )
    assert refused.extra == {
        "steps": ["property_returned", "money_returned", "medical_discharge", "visits_cancelled"],
        "blockers": [],
    }
    kakashi.refresh_from_db()
    assert kakashi.status == BookingStatus.IN_CUSTODY
    assert not AuditEvent.objects.filter(action="release.complete").exists()


def test_the_one_step_left_open_is_the_one_named(kakashi, supervisor, officer, medic):
    gear(kakashi)
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")
    steps.release_property_return(actor=officer, release=release, signed=True)
    steps.release_money_return(actor=officer, release=release, amount="120.00")
    steps.release_medical_discharge(actor=medic, release=release, text=DISCHARGE_TEXT)

    refused = _refusal(release, supervisor)

    assert refused.message == "The release checklist is not complete: Upcoming visits cancelled."
    assert refused.extra["steps"] == ["visits_cancelled"]


def test_a_warrant_holds_the_person_and_is_named_beside_the_step(
    kakashi, supervisor, officer, medic
):
    sentenced(kakashi, release_on=TODAY)
    warrant(kakashi)
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="time_served")
    work_checklist(release, by=officer, medic=medic)

    holds = _states(release)["holds_clear"]
    refused = _refusal(release, supervisor)

    assert (holds.done, holds.blockers) == (False, ["Warrant W-4471 from Sand Village Court"])
    assert refused.code == "release_checklist_incomplete"
    assert refused.message == (
        "The release checklist is not complete: No open holds, warrants or other cases "
        "(Warrant W-4471 from Sand Village Court)."
    )
    assert refused.extra == {
        "steps": ["holds_clear"],
        "blockers": ["Warrant W-4471 from Sand Village Court"],
    }


def test_a_count_awaiting_its_verdict_holds_time_served_but_not_bail(kakashi, supervisor):
    pending(kakashi, docket="CR-2026-077")
    time_served = releases.release_start(actor=supervisor, booking=kakashi, kind="time_served")

    assert _states(time_served)["holds_clear"].blockers == [
        "case CR-2026-077 count 1 (KON 12) awaits its verdict"
    ]

    releases.release_cancel(actor=supervisor, release=time_served, reason="Wrong kind")
    bail = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")
    assert _states(bail)["holds_clear"].done


def test_a_bailed_person_still_serving_a_sentence_is_not_released(kakashi, supervisor):
    sentenced(kakashi, release_on=TODAY + dt.timedelta(days=40), docket="CR-2026-009")
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")

    holds = _states(release)["holds_clear"]

    assert holds.blockers == ["serving a sentence in case CR-2026-009 until 2026-04-23"]


def test_a_sentence_whose_date_has_come_does_not_hold_an_acquittal(kakashi, supervisor):
    sentenced(kakashi, release_on=TODAY, docket="CR-2026-009")
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="acquittal")

    assert _states(release)["holds_clear"].done


# --- Which steps each kind needs ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "extra", "needed"),
    [
        ("time_served", {}, ALL_STEPS),
        ("bail", {}, ALL_STEPS),
        ("acquittal", {}, ALL_STEPS),
        ("assignment", {"assignment_rank": "S"}, ALL_STEPS),
        (
            "assignment",
            {"assignment_rank": "A", "expected_return_at": NOW + dt.timedelta(days=3)},
            ["holds_clear", "medical_discharge", "visits_cancelled"],
        ),
        (
            "furlough",
            {"expected_return_at": NOW + dt.timedelta(days=2)},
            ["holds_clear", "medical_discharge", "visits_cancelled"],
        ),
    ],
)
def test_each_kind_of_release_needs_its_own_steps(kakashi, commander, kind, extra, needed):
    release = releases.release_start(actor=commander, booking=kakashi, kind=kind, **extra)

    assert [s.code for s in checklist.release_steps(release) if s.required] == needed


def test_a_transfer_hands_over_property_money_and_a_medical_summary(
    kakashi, supervisor, other_site
):
    release = releases.release_start(
        actor=supervisor, booking=kakashi, kind="transfer", to_facility=other_site.facility
    )

    states = checklist.release_steps(release)

    assert [(s.code, s.label) for s in states if s.required] == [
        ("property_returned", "Property handed over with the person"),
        ("money_returned", "Money handed over with the person"),
        ("medical_discharge", "Medical transfer summary"),
        ("visits_cancelled", "Upcoming visits cancelled"),
    ]


def test_a_step_the_kind_does_not_need_is_refused(kakashi, supervisor, officer):
    furlough = releases.release_start(
        actor=supervisor, booking=kakashi, kind="furlough",
        expected_return_at=NOW + dt.timedelta(days=2),
    )  # fmt: skip

    with pytest.raises(Conflict) as refused:
        steps.release_property_return(actor=officer, release=furlough, signed=True)

    assert refused.value.code == "release_step_not_needed"
    assert refused.value.message == (
        "A release of this kind (furlough) has no step "
        "\u201cProperty returned and signed for\u201d."
    )


# --- Property -----------------------------------------------------------------------------


def test_property_is_returned_only_once_the_person_signs_for_it(kakashi, supervisor, officer):
    gear(kakashi)
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")

    with pytest.raises(ValidationFailed) as unsigned:
        steps.release_property_return(actor=officer, release=release, signed=False)
    assert unsigned.value.extra["fields"] == {
        "signed": ["the person must sign for their property before it counts as returned."]
    }
    assert PropertyItem.objects.filter(booking=kakashi, returned_at__isnull=True).count() == 2

    step = steps.release_property_return(
        actor=officer, release=release, signed=True, note="Bag B-7 opened in front of him"
    )

    assert step.note == "2 items returned, signed for by the person: Bag B-7 opened in front of him"
    assert not PropertyItem.objects.filter(booking=kakashi, returned_at__isnull=True).exists()
    assert set(PropertyItem.objects.values_list("returned_by__username", flat=True)) == {
        "olly_officer"
    }
    assert AuditEvent.objects.filter(action="property.return").count() == 2
    event = AuditEvent.objects.get(action="release.step")
    assert (event.actor, event.changes["step"], event.changes["items_returned"]) == (
        officer, "property_returned", 2,
    )  # fmt: skip


def test_a_step_is_recorded_once(kakashi, supervisor, officer):
    gear(kakashi)
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")
    steps.release_property_return(actor=officer, release=release, signed=True)

    with pytest.raises(Conflict) as again:
        steps.release_property_return(actor=officer, release=release, signed=True)

    assert again.value.code == "release_step_done"
    assert again.value.message == (
        "Property returned and signed for was already recorded (2026-03-14 12:00 by olly_officer)."
    )


# --- Money --------------------------------------------------------------------------------


def test_money_other_than_the_cash_counted_at_intake_needs_a_reason(
    kakashi, supervisor, booking_clerk
):
    gear(kakashi, cash="120.00")
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")

    with pytest.raises(ValidationFailed) as unexplained:
        steps.release_money_return(actor=booking_clerk, release=release, amount="100")
    assert unexplained.value.extra["fields"]["note"] == [
        "the amount differs from the 120.00 counted at intake: say why (spent, seized, paid out)."
    ]

    step = steps.release_money_return(
        actor=booking_clerk, release=release, amount="100", note="20.00 spent at the commissary"
    )

    assert (step.amount, step.note) == (
        Decimal("100.00"),
        "100.00 handed over: 20.00 spent at the commissary",
    )


def test_a_negative_amount_names_the_field(kakashi, supervisor, officer):
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")

    with pytest.raises(ValidationFailed) as refused:
        steps.release_money_return(actor=officer, release=release, amount="-5")

    assert refused.value.extra["fields"] == {"amount": ["must be between 0 and 9,999,999,999.99."]}


# --- Medical discharge --------------------------------------------------------------------


def test_the_discharge_note_is_medical_and_the_step_keeps_none_of_its_text(
    kakashi, supervisor, officer, commander, medic
):
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")
    for custody in (officer, supervisor, commander):
        with pytest.raises(PermissionDenied):
            steps.release_medical_discharge(actor=custody, release=release, text="Fine.")

    step = steps.release_medical_discharge(
        actor=medic, release=release, text=DISCHARGE_TEXT, medication="Eye drops",
        follow_up="Village clinic in a week",
    )  # fmt: skip

    note = DischargeNote.objects.get(booking=kakashi)
    assert (note.text, note.medication, note.recorded_by) == (DISCHARGE_TEXT, "Eye drops", medic)
    assert step.note == "Discharge note by mo_medic"
    trail = json.dumps(list(AuditEvent.objects.values("changes", "reason", "object_label")))
    for clinical in ("Chakra", "Eye drops", "clinic"):
        assert clinical not in trail
    assert AuditEvent.objects.get(action="dischargenote.record").actor == medic


def test_a_discharge_note_needs_its_text(kakashi, supervisor, medic):
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")

    with pytest.raises(ValidationFailed) as refused:
        steps.release_medical_discharge(actor=medic, release=release, text="  ")

    assert list(refused.value.extra["fields"]) == ["text"]
    assert not ReleaseStep.objects.filter(step=ReleaseStepCode.MEDICAL_DISCHARGE).exists()


# --- Visits -------------------------------------------------------------------------------


def test_upcoming_visits_are_cancelled_for_the_release(
    kakashi, supervisor, officer, contact_room, make_visitor
):
    ino = make_visitor("Ino", "Yamanaka")
    past = booked(kakashi, [ino], room=contact_room, starts_at=NOW - dt.timedelta(days=1))
    past.status = VisitStatus.COMPLETED
    past.save(update_fields=["status"])
    tomorrow = booked(
        kakashi, [ino], room=contact_room, starts_at=NOW + dt.timedelta(days=1), listed=False
    )
    next_week = booked(
        kakashi, [ino], room=contact_room, starts_at=NOW + dt.timedelta(days=7), listed=False
    )
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")

    step = steps.release_visits_cancel(actor=officer, release=release)

    assert step.note == "2 visits cancelled"
    for visit in (tomorrow, next_week):
        visit.refresh_from_db()
        assert (visit.status, visit.cancel_reason) == ("cancelled", "Release on 2026-03-14")
    past.refresh_from_db()
    assert past.status == VisitStatus.COMPLETED
    cancelled = AuditEvent.objects.filter(action="visit.cancel")
    assert [e.changes["because"] for e in cancelled] == ["release", "release"]


def test_a_furlough_calls_off_only_the_visits_while_away(
    kakashi, commander, officer, contact_room, make_visitor
):
    ino = make_visitor("Ino", "Yamanaka")
    while_away = booked(kakashi, [ino], room=contact_room, starts_at=NOW + dt.timedelta(days=1))
    after = booked(
        kakashi, [ino], room=contact_room, starts_at=NOW + dt.timedelta(days=5), listed=False
    )
    furlough = releases.release_start(
        actor=commander, booking=kakashi, kind="furlough",
        expected_return_at=NOW + dt.timedelta(days=3),
    )  # fmt: skip

    steps.release_visits_cancel(actor=officer, release=furlough)

    while_away.refresh_from_db()
    after.refresh_from_db()
    assert (while_away.status, after.status) == ("cancelled", "scheduled")


def test_visits_are_not_cancelled_in_the_middle_of_one(
    kakashi, supervisor, officer, contact_room, make_visitor
):
    visit = booked(kakashi, [make_visitor()], room=contact_room, starts_at=NOW)
    visit.status, visit.started_at = VisitStatus.IN_PROGRESS, NOW
    visit.save(update_fields=["status", "started_at"])
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")

    with pytest.raises(Conflict) as refused:
        steps.release_visits_cancel(actor=officer, release=release)

    assert refused.value.code == "visit_in_progress"


def test_steps_stop_once_the_release_is_cancelled(kakashi, supervisor, officer):
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="bail")
    releases.release_cancel(actor=supervisor, release=release, reason="Bond withdrawn")

    with pytest.raises(Conflict) as refused:
        steps.release_visits_cancel(actor=officer, release=release)

    assert refused.value.code == "release_not_preparing"


def test_a_release_date_alone_never_ticks_a_step(kakashi, supervisor):
    dated(kakashi, TODAY)
    release = releases.release_start(actor=supervisor, booking=kakashi, kind="time_served")

    done = [state.code for state in checklist.release_steps(release) if state.done]

    assert done == ["holds_clear"]
