"""PREA screening (28 CFR 115.41): criteria, risk flags, the sensitive answers, the clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import IntakeStep, IntakeStepCode
from cellblock.booking.services import booking_open, booking_transition
from cellblock.classification.models import Flag, FlagKind, FlagOrigin, PreaKind, PreaScreening
from cellblock.classification.prea import (
    ABUSER_CRITERIA,
    ABUSER_THRESHOLD,
    DECISIVE_ABUSER,
    DECISIVE_VICTIM,
    VICTIM_CRITERIA,
    VICTIM_THRESHOLD,
    ScreeningError,
    screen,
)
from cellblock.classification.selectors import DueKind, classification_queue, overdue_counts
from cellblock.classification.services import (
    FIRST_IS_INITIAL,
    INITIAL_DONE,
    flag_lift,
    flag_set,
    prea_screening_record,
    prea_screenings_read,
)
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

NO = {code: False for code in [*VICTIM_CRITERIA, *ABUSER_CRITERIA]}
# Three victimisation criteria: high victim risk by number.
VULNERABLE = {**NO, "age": True, "physical_build": True, "first_incarceration": True}
# Prior sexual abuse alone: high abuser risk.
PREDATOR = {**NO, "prior_sexual_abuse": True}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cleo(staff_factory):
    return staff_factory("cleo_classification", Role.CLASSIFICATION)


def _book(site, given="Sasuke", family="Uchiha"):
    person = person_create(actor=None, facility=None, given_name=given, family_name=family)
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


@pytest.fixture
def booking(site, clock):
    return _book(site)


def _open_flags(booking) -> set[str]:
    return set(
        Flag.objects.filter(booking=booking, lifted_at__isnull=True).values_list("kind", flat=True)
    )


# --- The criteria (pure) -------------------------------------------------------------


def test_the_ten_victimisation_and_three_abusiveness_criteria_of_115_41():
    assert len(VICTIM_CRITERIA) == 10
    assert len(ABUSER_CRITERIA) == 3
    assert not set(VICTIM_CRITERIA) & set(ABUSER_CRITERIA)


@settings(max_examples=150, deadline=None, database=None)
@given(st.fixed_dictionaries({code: st.booleans() for code in NO}))
def test_a_risk_is_high_on_a_decisive_criterion_or_enough_criteria(answers):
    result = screen(answers)
    victim = {code for code in VICTIM_CRITERIA if answers[code]}
    abuser = {code for code in ABUSER_CRITERIA if answers[code]}
    assert (result.victim_score, result.abuser_score) == (len(victim), len(abuser))
    assert result.victim_risk == (bool(victim & DECISIVE_VICTIM) or len(victim) >= VICTIM_THRESHOLD)
    assert result.abuser_risk == (bool(abuser & DECISIVE_ABUSER) or len(abuser) >= ABUSER_THRESHOLD)


@pytest.mark.parametrize(
    ("yes", "victim_risk", "abuser_risk"),
    [
        ([], False, False),
        (["prior_victimisation"], True, False),
        (["age", "disability"], False, False),
        (["age", "disability", "own_perception"], True, False),
        (["prior_sexual_abuse"], False, True),
        (["prior_violent_convictions"], False, False),
        (["prior_violent_convictions", "institutional_violence"], False, True),
    ],
)
def test_the_thresholds_at_their_edges(yes, victim_risk, abuser_risk):
    result = screen({**NO, **dict.fromkeys(yes, True)})
    assert (result.victim_risk, result.abuser_risk) == (victim_risk, abuser_risk)


def test_every_unanswered_or_unknown_criterion_is_named():
    answers = {**NO, "astrology": True, "age": "yes"}
    del answers["disability"]
    with pytest.raises(ScreeningError) as raised:
        screen(answers)
    assert raised.value.errors == {
        "answers.astrology": ["is not a PREA screening criterion."],
        "answers.age": ["must be answered yes (true) or no (false)."],
        "answers.disability": ["must be answered yes (true) or no (false)."],
    }


# --- Recording a screening ---------------------------------------------------------------


def test_the_initial_screening_completes_the_checklist_step_and_sets_the_victim_flag(booking, cleo):
    screening = prea_screening_record(actor=cleo, booking=booking, answers=VULNERABLE)

    assert screening.kind == PreaKind.INITIAL
    assert (screening.victim_score, screening.victim_risk, screening.abuser_risk) == (
        3, True, False,
    )  # fmt: skip
    step = IntakeStep.objects.get(booking=booking, step=IntakeStepCode.PREA_SCREENING)
    assert (step.completed_at, step.completed_by) == (NOW, cleo)
    flag = Flag.objects.get(booking=booking, kind=FlagKind.PREA_VICTIM)
    assert (flag.origin, flag.set_by) == (FlagOrigin.PREA_SCREENING, cleo)
    assert _open_flags(booking) == {FlagKind.PREA_VICTIM}


def test_a_medic_may_screen_and_an_officer_may_not(booking, medic, officer):
    prea_screening_record(actor=medic, booking=booking, answers=NO)
    with pytest.raises(PermissionDenied):
        prea_screening_record(actor=officer, booking=booking, answers=NO)
    assert PreaScreening.objects.count() == 1


def test_a_screening_with_answers_missing_is_refused_naming_them(booking, cleo):
    answers = dict(NO)
    del answers["civil_immigration"]
    with pytest.raises(ValidationFailed) as raised:
        prea_screening_record(actor=cleo, booking=booking, answers=answers)
    assert raised.value.extra["fields"] == {
        "answers.civil_immigration": ["must be answered yes (true) or no (false)."]
    }
    assert not PreaScreening.objects.exists()


def test_later_screenings_set_and_lift_the_flags(booking, cleo, clock):
    prea_screening_record(actor=cleo, booking=booking, answers=VULNERABLE)
    clock.shift(10 * DAY)
    second = prea_screening_record(actor=cleo, booking=booking, answers=PREDATOR)
    assert second.kind == PreaKind.REASSESSMENT
    assert _open_flags(booking) == {FlagKind.PREA_ABUSER}
    lifted = Flag.objects.get(booking=booking, kind=FlagKind.PREA_VICTIM)
    assert lifted.lifted_at == NOW + 10 * DAY
    assert lifted.lift_reason == "PREA screening (Reassessment (30 days)) of 2026-03-24."

    clock.shift(DAY)
    third = prea_screening_record(actor=cleo, booking=booking, answers=NO)
    assert third.kind == PreaKind.REFERRAL
    assert _open_flags(booking) == set()


def test_a_screening_that_confirms_a_risk_keeps_the_flag_it_already_has(booking, cleo, clock):
    prea_screening_record(actor=cleo, booking=booking, answers=PREDATOR)
    first = Flag.objects.get(kind=FlagKind.PREA_ABUSER)
    clock.shift(DAY)
    prea_screening_record(actor=cleo, booking=booking, answers=PREDATOR)
    assert list(Flag.objects.filter(kind=FlagKind.PREA_ABUSER)) == [first]
    assert first.lifted_at is None


def test_prea_flags_are_not_set_or_lifted_by_hand(booking, cleo, commander):
    with pytest.raises(ValidationFailed) as raised:
        flag_set(actor=commander, booking=booking, kind="prea_victim", reason="looks young")
    assert set(raised.value.extra["fields"]) == {"kind"}
    prea_screening_record(actor=cleo, booking=booking, answers=VULNERABLE)
    with pytest.raises(Conflict) as conflict:
        flag_lift(
            actor=commander, flag=Flag.objects.get(kind=FlagKind.PREA_VICTIM), reason="fine now"
        )
    assert conflict.value.code == "flag_derived"


def test_the_answers_stay_out_of_the_audit_log(booking, cleo):
    screening = prea_screening_record(
        actor=cleo, booking=booking, answers={**VULNERABLE, "lgbti_or_nonconforming": True}
    )
    event = AuditEvent.objects.get(action="prea.screen")
    assert event.actor == cleo
    assert event.object_id == str(screening.public_id)
    assert event.changes == {
        "booking": booking.booking_number, "kind": "initial", "victim_risk": True,
        "abuser_risk": False,
    }  # fmt: skip
    # No event of the screening (flags and checklist included) names a criterion it answered.
    logged = " ".join(
        f"{event.changes} {event.reason}" for event in AuditEvent.objects.filter(occurred_at=NOW)
    )
    for code in ("lgbti", "physical_build", "first_incarceration"):
        assert code not in logged


def test_reading_the_answers_is_for_screeners_and_auditors_and_each_read_is_audited(
    booking, cleo, auditor, officer
):
    prea_screening_record(actor=cleo, booking=booking, answers=VULNERABLE)

    [screening] = prea_screenings_read(actor=auditor, booking=booking)
    assert screening.answers == VULNERABLE
    event = AuditEvent.objects.get(action="booking.read")
    assert event.actor == auditor
    assert event.changes == {"section": "prea_screening"}
    assert event.object_label == f"PREA screenings of {booking.booking_number}"

    with pytest.raises(PermissionDenied):
        prea_screenings_read(actor=officer, booking=booking)
    assert AuditEvent.objects.filter(action="booking.read").count() == 1


# --- Due and overdue -------------------------------------------------------------------------


def _prea_rows(site, at):
    return [
        row
        for row in classification_queue(site.facility, at)
        if row.kind in (DueKind.PREA_INITIAL, DueKind.PREA_REASSESSMENT)
    ]


def test_the_initial_screening_is_due_within_72_hours_and_overdue_after(site, booking):
    [row] = _prea_rows(site, NOW)
    assert (row.kind, row.due_at, row.overdue) == (DueKind.PREA_INITIAL, NOW + 72 * HOUR, False)
    assert overdue_counts(site.facility, NOW + 72 * HOUR).prea == 0
    assert overdue_counts(site.facility, NOW + 73 * HOUR).prea == 1
    [late] = _prea_rows(site, NOW + 73 * HOUR)
    assert late.overdue


def test_after_the_initial_screening_the_30_day_reassessment_comes_due(site, booking, cleo):
    prea_screening_record(actor=cleo, booking=booking, answers=NO)
    assert _prea_rows(site, NOW + DAY) == []
    # Listed once it is within the week ahead.
    [row] = _prea_rows(site, NOW + 23 * DAY)
    assert (row.kind, row.due_at, row.overdue) == (
        DueKind.PREA_REASSESSMENT, NOW + 30 * DAY, False,
    )  # fmt: skip
    assert overdue_counts(site.facility, NOW + 31 * DAY).prea == 1


def test_the_reassessment_clears_the_queue(site, booking, cleo, clock):
    prea_screening_record(actor=cleo, booking=booking, answers=NO)
    clock.shift(29 * DAY)
    prea_screening_record(actor=cleo, booking=booking, answers=NO)
    assert _prea_rows(site, NOW + 40 * DAY) == []
    assert overdue_counts(site.facility, NOW + 40 * DAY).prea == 0


def test_overdue_counts_cover_everyone_held_and_not_the_released(site, clock, cleo, commander):
    held = [_book(site, given=name) for name in ("Ino", "Shikamaru", "Choji")]
    prea_screening_record(actor=cleo, booking=held[0], answers=NO)
    booking_transition(actor=commander, booking=held[2], to="cancelled", reason="wrong person")
    counts = overdue_counts(site.facility, NOW + 4 * DAY)
    assert counts.prea == 1
    # The classification of all but the cancelled booking is overdue too.
    assert counts.classification == 2


def test_the_queue_costs_the_same_queries_however_many_are_held(
    site, clock, cleo, django_assert_max_num_queries
):
    for name in ("Ino", "Shikamaru"):
        prea_screening_record(actor=cleo, booking=_book(site, given=name), answers=NO)
    with django_assert_max_num_queries(8) as few:
        classification_queue(site.facility, NOW + 40 * DAY)
    for name in ("Neji", "Tenten", "Lee", "Hinata", "Kiba"):
        prea_screening_record(actor=cleo, booking=_book(site, given=name), answers=NO)
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = classification_queue(site.facility, NOW + 40 * DAY)
    assert len([r for r in rows if r.kind == DueKind.PREA_REASSESSMENT]) == 7


def test_the_first_screening_is_the_initial_one_and_there_is_only_one(site, cleo, clock):
    booking = _book(site)
    with pytest.raises(ValidationFailed) as first:
        prea_screening_record(actor=cleo, booking=booking, answers=NO, kind="referral")
    assert first.value.extra["fields"] == {"kind": [FIRST_IS_INITIAL]}
    prea_screening_record(actor=cleo, booking=booking, answers=NO)
    with pytest.raises(ValidationFailed) as again:
        prea_screening_record(actor=cleo, booking=booking, answers=NO, kind="initial")
    assert again.value.extra["fields"] == {"kind": [INITIAL_DONE]}
