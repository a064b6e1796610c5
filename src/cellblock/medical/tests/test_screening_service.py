"""Recording a receiving screening: it clears a person for a bed, or refers them elsewhere."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking, BookingStatus, IntakeStep, IntakeStepCode
from cellblock.booking.services import booking_open, booking_transition
from cellblock.classification.models import Flag, FlagKind, FlagOrigin
from cellblock.conftest import screen_clear
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.housing.services import bed_assign
from cellblock.medical import screening as rules
from cellblock.medical.models import CareAlert, ReceivingScreening, ScreeningOutcome
from cellblock.medical.screening import CLEAR_ANSWERS
from cellblock.medical.services import screening as service
from cellblock.medical.services.screening import screening_record
from cellblock.medical.tests.conftest import NOW
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

REFERRAL = "Sent to St Jude's emergency department by ambulance."


def answers(**changes: object) -> dict[str, object]:
    return {**CLEAR_ANSWERS, **changes}


@pytest.fixture
def held(admit) -> Booking:
    """Itachi Uchiha, an adult in custody, screened clear and housed (the shared ``held`` is 15)."""
    return admit(given_name="Itachi", born=dt.date(1990, 6, 9))


@pytest.fixture
def arrival(site) -> Booking:
    """Naruto Uzumaki, just booked: at intake, not yet screened."""
    person = person_create(actor=None, facility=site.facility, given_name="Naruto",
                           family_name="Uzumaki", sex="male")  # fmt: skip
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


def step(booking: Booking) -> IntakeStep:
    return IntakeStep.objects.get(booking=booking, step=IntakeStepCode.MEDICAL_SCREENING)


def lower_bed(site):
    return site.cells[0].beds.get(code="B1")


def test_a_medic_clears_a_person_at_intake_and_the_step_is_done(arrival, medic, clock):
    assert arrival.status == BookingStatus.INTAKE

    found = screening_record(actor=medic, booking=arrival, answers=CLEAR_ANSWERS, notes="Calm.")

    found.refresh_from_db()
    assert found.outcome == ScreeningOutcome.CLEARED
    assert (found.screened_by, found.screened_at) == (medic, NOW)
    assert found.answers == CLEAR_ANSWERS
    assert (found.withdrawal_risk, found.suicide_risk, found.notes) == ("none", "none", "Calm.")
    assert (step(arrival).completed_by, step(arrival).completed_at) == (medic, found.screened_at)


def test_a_cleared_person_may_be_housed(arrival, site, medic):
    screening_record(actor=medic, booking=arrival, answers=CLEAR_ANSWERS)

    assignment = bed_assign(actor=None, booking=arrival, bed=lower_bed(site))

    assert assignment.bed == lower_bed(site)


def test_the_system_may_record_a_screening(arrival):
    found = screening_record(actor=None, booking=arrival, answers=CLEAR_ANSWERS)

    assert found.screened_by is None
    assert step(arrival).completed_at is not None


def test_a_person_in_custody_may_be_screened_again_and_the_step_keeps_its_first_time(
    held, medic, second_medic, clock
):
    first_done = step(held).completed_at
    clock.shift(3600)

    again = screening_record(actor=second_medic, booking=held, answers=CLEAR_ANSWERS)

    assert again.outcome == ScreeningOutcome.CLEARED
    assert ReceivingScreening.objects.filter(booking=held).count() == 2
    assert (step(held).completed_at, step(held).completed_by) == (first_done, medic)


def test_the_screen_clear_helper_of_the_test_suite_clears(arrival, medic):
    screen_clear(arrival, by=medic)

    assert step(arrival).completed_at is not None


def test_a_referral_says_where_the_person_was_sent(arrival, medic):
    with pytest.raises(ValidationFailed) as caught:
        screening_record(actor=medic, booking=arrival, answers=answers(bleeding=True))

    assert caught.value.extra["fields"] == {
        "referral": [service.REFERRAL_NEEDED.format(reasons=rules.REFER_BLEEDING)]
    }
    assert not ReceivingScreening.objects.exists()


def test_a_referred_person_is_refused_a_bed_until_a_new_screening_clears_them(
    arrival, site, medic, clock
):
    referred = screening_record(actor=medic, booking=arrival, referral=REFERRAL,
                                answers=answers(conscious=False))  # fmt: skip

    assert (referred.outcome, referred.referral) == (ScreeningOutcome.REFERRED, REFERRAL)
    assert step(arrival).completed_at is None
    with pytest.raises(Conflict) as caught:
        bed_assign(actor=None, booking=arrival, bed=lower_bed(site))
    assert caught.value.code == "intake_before_housing"
    assert caught.value.extra["steps"] == [IntakeStepCode.MEDICAL_SCREENING.label]

    clock.shift(6 * 3600)
    screening_record(actor=medic, booking=arrival, answers=CLEAR_ANSWERS)

    assert bed_assign(actor=None, booking=arrival, bed=lower_bed(site)).booking == arrival


def test_a_person_too_ill_to_be_asked_is_referred_on_the_clearance_answers(arrival, medic):
    found = screening_record(actor=medic, booking=arrival, referral=REFERRAL, answers={
        "conscious": False, "bleeding": True, "severely_intoxicated": False, "withdrawing": False,
    })  # fmt: skip

    assert found.outcome == ScreeningOutcome.REFERRED
    assert (found.withdrawal_risk, found.suicide_risk) == ("", "")


def test_bad_answers_are_refused_each_under_its_question_and_nothing_is_stored(arrival, medic):
    with pytest.raises(ValidationFailed) as caught:
        screening_record(actor=medic, booking=arrival,
                         answers=answers(conscious="yes", suicide_risk="high"))  # fmt: skip

    assert caught.value.extra["fields"] == {
        "answers.conscious": [rules.NOT_BOOL],
        "answers.suicide_observation": [rules.OBSERVATION_NEEDED],
    }
    assert not ReceivingScreening.objects.exists()
    assert step(arrival).completed_at is None


def test_a_referral_too_long_is_refused(arrival, medic):
    with pytest.raises(ValidationFailed) as caught:
        screening_record(actor=medic, booking=arrival, answers=answers(withdrawing=True),
                         referral="x" * 501)  # fmt: skip

    assert caught.value.extra["fields"] == {"referral": [service.REFERRAL_TOO_LONG]}


def test_a_closed_booking_cannot_be_screened(arrival, medic):
    booking_transition(actor=None, booking=arrival, to=BookingStatus.CANCELLED,
                       reason="Opened by mistake.")  # fmt: skip

    with pytest.raises(Conflict) as caught:
        screening_record(actor=medic, booking=arrival, answers=CLEAR_ANSWERS)

    assert caught.value.code == "booking_closed"


@pytest.mark.parametrize(
    "persona", ["officer", "supervisor", "commander", "booking_clerk", "auditor", "outsider"]
)
def test_only_medical_staff_record_a_screening(persona, arrival, request):
    actor = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied) as caught:
        screening_record(actor=actor, booking=arrival, answers=CLEAR_ANSWERS)

    assert (caught.value.status, caught.value.code) == (403, "missing_role")
    assert "clinical.record" in caught.value.message
    assert not ReceivingScreening.objects.exists()


# --- Care alerts from the answers ----------------------------------------------------------

EVERY_NEED = answers(
    suicide_risk="high", suicide_observation="constant", withdrawal_risk="high",
    needs_lower_bunk=True, needs_wheelchair_cell=True, pregnant="yes",
)  # fmt: skip


def test_the_answers_set_care_alerts_and_their_flags(arrival, medic):
    found = screening_record(actor=medic, booking=arrival, answers=EVERY_NEED)

    alerts = {alert.kind: alert for alert in CareAlert.objects.filter(booking=arrival)}
    assert set(alerts) == {"suicide_watch", "medical_monitoring", "lower_bunk",
                           "wheelchair_cell", "restraint_limit"}  # fmt: skip
    assert all(alert.screening == found and alert.set_by == medic for alert in alerts.values())
    assert alerts["suicide_watch"].level == "constant"
    assert alerts["restraint_limit"].instruction == "No leg irons or waist chains."
    assert alerts["restraint_limit"].flag is None
    flags = {(flag.kind, flag.detail): flag for flag in Flag.objects.filter(booking=arrival)}
    assert set(flags) == {
        (FlagKind.SUICIDE_RISK, "constant"), (FlagKind.MEDICAL_NEED, "medical-monitoring"),
        (FlagKind.MEDICAL_NEED, "lower-bunk"), (FlagKind.DISABILITY_NEED, "wheelchair-cell"),
    }  # fmt: skip
    assert {flag.origin for flag in flags.values()} == {FlagOrigin.MEDICAL}
    assert alerts["lower_bunk"].flag == flags[(FlagKind.MEDICAL_NEED, "lower-bunk")]


def test_a_second_screening_skips_the_alerts_already_in_force(arrival, medic, clock):
    first = screening_record(actor=medic, booking=arrival, answers=answers(needs_lower_bunk=True))
    clock.shift(3600)

    both = answers(needs_lower_bunk=True, needs_monitoring=True)
    second = screening_record(actor=medic, booking=arrival, answers=both)

    alerts = CareAlert.objects.filter(booking=arrival, ended_at__isnull=True)
    assert sorted((a.kind, a.screening_id) for a in alerts) == sorted(
        [("lower_bunk", first.pk), ("medical_monitoring", second.pk)]
    )
    assert Flag.objects.filter(booking=arrival, detail="lower-bunk").count() == 1


def test_a_referred_person_is_watched_while_still_here(arrival, medic):
    screening_record(actor=medic, booking=arrival, referral=REFERRAL,
                     answers=answers(withdrawing=True, suicide_risk="moderate",
                                     suicide_observation="at_risk"))  # fmt: skip

    assert CareAlert.objects.get(booking=arrival).kind == "suicide_watch"
    assert step(arrival).completed_at is None


# --- The audit log ---------------------------------------------------------------------------

SECRETS = {
    "current_illness": "Fever and a cough for three days",
    "injuries": "Cut over the left eyebrow",
    "medications": "Methadone 60 mg daily",
    "mental_health": "Hears voices at night",
    "disability_needs": "Uses a cane",
}


def audit_text() -> str:
    return " ".join(f"{event.reason} {event.changes}" for event in AuditEvent.objects.all())


def test_the_audit_says_a_screening_was_recorded_and_its_outcome_only(arrival, medic):
    found = screening_record(
        actor=medic, booking=arrival, referral=REFERRAL, notes="Private note on the family",
        answers=answers(**SECRETS, withdrawing=True, withdrawal_risk="high", suicide_risk="high",
                        suicide_observation="suicide_watch", needs_lower_bunk=True),
    )  # fmt: skip

    event = AuditEvent.objects.get(action="receivingscreening.record")
    assert event.actor == medic
    assert event.object_id == str(found.public_id)
    assert event.changes == {
        "booking": arrival.booking_number, "outcome": "referred",
        "care_alerts": ["suicide_watch", "medical_monitoring", "lower_bunk"],
    }  # fmt: skip
    logged = audit_text()
    for secret in [*SECRETS.values(), REFERRAL, "Private note", "high", "Methadone"]:
        assert secret not in logged
