"""Consent and refusal: signed by the recorder and, for a refusal, a witness."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_transition
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.medical.models import ConsentRecord
from cellblock.medical.services.consent import consent_record, consent_withdraw

# Time stands still on 14 March 2026 from the first fixture on.
pytestmark = [pytest.mark.usefixtures("clock"), pytest.mark.django_db]


@pytest.fixture
def held(admit):
    """Sasuke Uchiha as an adult: the test jail has adult units only (conftest's is 15)."""
    return admit(born=dt.date(1996, 7, 23))


@pytest.fixture
def sakura(staff_factory):
    return staff_factory("sakura_haruno", Role.MEDICAL)


@pytest.fixture
def record(held, medic, witness):
    def make(**kwargs):
        values = {"decision": "refusal", "scope": "general", "witness": witness, **kwargs}
        return consent_record(actor=medic, booking=held, **values)

    return make


def audited(action):
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


def test_he_refuses_every_medic_except_sakura(record, medic, witness, sakura, held):
    refusal = record(except_provider=sakura, statement="Only her.", person_signed=False)

    assert (refusal.decision, refusal.scope, refusal.except_provider) == (
        "refusal", "general", sakura,
    )  # fmt: skip
    assert (refusal.recorded_by, refusal.witness) == (medic, witness)
    event = audited("consentrecord.record")
    assert event.changes == {
        "booking": held.booking_number, "decision": "refusal", "scope": "general",
        "except_provider": "sakura_haruno", "witness": "walt_witness", "person_signed": False,
        "encounter": None, "supersedes": [],
    }  # fmt: skip
    assert "Only her" not in f"{event.reason} {event.changes} {event.object_label}"


def test_a_refusal_needs_a_witness_who_is_not_the_recorder(record, medic):
    with pytest.raises(ValidationFailed) as missing:
        record(witness=None)
    with pytest.raises(ValidationFailed) as same:
        record(witness=medic)

    assert missing.value.extra["fields"] == {
        "witness": [
            "is required for a refusal: a second member of staff signs it with the recorder."
        ]
    }
    assert same.value.extra["fields"] == {
        "witness": [
            "must be someone other than Mo Medic, who records it: a refusal is signed by two "
            "people."
        ]
    }
    assert not ConsentRecord.objects.exists()


def test_the_witness_is_staff_of_the_facility(record, outsider):
    with pytest.raises(ValidationFailed) as refused:
        record(witness=outsider)

    assert refused.value.extra["fields"] == {
        "witness": ["Otto Outsider holds no role at Test Jail: the witness must be staff there."]
    }


def test_a_consent_needs_no_witness(record):
    consent = record(decision="consent", witness=None)

    assert consent.witness is None


def test_the_one_provider_accepted_must_be_a_medic_here(record, officer):
    with pytest.raises(ValidationFailed) as refused:
        record(except_provider=officer)

    assert refused.value.extra["fields"] == {
        "except_provider": [
            "Olly Officer does not record clinical care at Test Jail: the one provider accepted "
            "must be medical staff there."
        ]
    }


@pytest.mark.parametrize(
    "values",
    [
        {"decision": "consent"},
        {"scope": "treatment", "treatment": "Stitches"},
    ],
)
def test_an_exception_only_goes_with_a_general_refusal(record, sakura, values):
    with pytest.raises(ValidationFailed) as refused:
        record(except_provider=sakura, **values)

    assert refused.value.extra["fields"]["except_provider"] == [
        'only goes with a general refusal ("refuses every provider except ...").'
    ]


def test_a_treatment_record_names_the_treatment(record):
    with pytest.raises(ValidationFailed) as refused:
        record(scope="treatment", treatment="  ")

    assert refused.value.extra["fields"] == {
        "treatment": ["is required when the record is about one treatment: name it."]
    }


def test_a_general_record_names_no_treatment(record):
    with pytest.raises(ValidationFailed) as refused:
        record(treatment="Stitches")

    assert "treatment" in refused.value.extra["fields"]


@pytest.mark.parametrize(("field", "value"), [("decision", "maybe"), ("scope", "some")])
def test_decision_and_scope_are_from_the_list(record, field, value):
    with pytest.raises(ValidationFailed) as refused:
        record(**{field: value})

    assert field in refused.value.extra["fields"]


def test_a_new_general_record_withdraws_the_one_before(record, sakura):
    first = record(except_provider=sakura)

    second = record(decision="consent", witness=None)

    first.refresh_from_db()
    assert first.withdrawn_at is not None
    assert first.withdrawal_reason == "superseded"
    assert second.withdrawn_at is None
    assert audited("consentrecord.withdraw").reason == "superseded"
    assert audited("consentrecord.record").changes["supersedes"] == [str(first.public_id)]


def test_treatment_records_stand_side_by_side(record):
    stitches = record(scope="treatment", treatment="Stitches")
    general = record()

    stitches.refresh_from_db()
    assert stitches.withdrawn_at is None
    assert general.withdrawn_at is None


def test_a_record_is_withdrawn_with_a_reason_once(record, medic, second_medic):
    refusal = record()

    withdrawn = consent_withdraw(actor=medic, record=refusal, reason="Recorded in error")

    assert withdrawn.withdrawn_by == medic
    assert audited("consentrecord.withdraw").reason == "Recorded in error"
    with pytest.raises(Conflict) as again:
        consent_withdraw(actor=second_medic, record=refusal, reason="Again")
    assert again.value.code == "consent_withdrawn"
    assert again.value.message == "This record was withdrawn on 2026-03-14 18:00 by Mo Medic."


def test_a_withdrawal_says_why(record, medic):
    with pytest.raises(ValidationFailed) as refused:
        consent_withdraw(actor=medic, record=record(), reason="")

    assert refused.value.extra["fields"] == {
        "reason": ["is required: say why the record no longer stands."]
    }


@pytest.mark.parametrize("who", ["commander", "supervisor", "officer", "auditor"])
def test_consent_is_recorded_by_medical_staff_only(held, witness, who, request):
    with pytest.raises(PermissionDenied) as refused:
        consent_record(
            actor=request.getfixturevalue(who), booking=held, decision="refusal",
            scope="general", witness=witness,
        )  # fmt: skip

    assert refused.value.code == "missing_role"


def test_no_new_record_once_he_is_released(record, held):
    booking_transition(actor=None, booking=held, to="released", release_type="bail")

    with pytest.raises(Conflict) as refused:
        record()

    assert refused.value.code == "booking_closed"
    assert refused.value.message == (
        f"Sasuke Uchiha ({held.booking_number}) is no longer held: consent and refusal are "
        "recorded only while the booking is open."
    )
