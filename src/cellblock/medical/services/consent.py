"""Consent and refusal: what the person agreed to or refused, signed by two members of staff.

A record is general (all care, or "every provider except X") or about one
named treatment.  The newest general record governs the scheduling warnings,
so a new general record withdraws the open general ones (reason
"superseded"); treatment records stand side by side.  A refusal is signed by
the medic recording it and a witness, another member of staff of the
facility: the person often will not sign.  Consent is the person's to give
when the provider comes, so a refusal on record warns the scheduler
(medical/rules.py); it never stops a booking.
"""

from __future__ import annotations

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.core.errors import Conflict, ValidationFailed
from cellblock.medical.models import (
    ConsentDecision,
    ConsentRecord,
    ConsentScope,
    Encounter,
)
from cellblock.medical.services import recording

WITNESS_REQUIRED = "is required for a refusal: a second member of staff signs it with the recorder."
WITNESS_IS_RECORDER = (
    "must be someone other than {recorder}, who records it: a refusal is signed by two people."
)
WITNESS_NOT_STAFF = "{who} holds no role at {facility}: the witness must be staff there."
TREATMENT_REQUIRED = "is required when the record is about one treatment: name it."
TREATMENT_ON_GENERAL = "must be empty on a general record, which covers all care."
EXCEPT_ONLY_GENERAL_REFUSAL = (
    'only goes with a general refusal ("refuses every provider except ...").'
)
EXCEPT_NOT_CLINICIAN = (
    "{who} does not record clinical care at {facility}: the one provider accepted must be "
    "medical staff there."
)
REASON_REQUIRED = "is required: say why the record no longer stands."
ALREADY_WITHDRAWN = "This record was withdrawn on {when} by {who}."
SUPERSEDED = "superseded"
RECORDING = "consent and refusal are recorded"


def consent_errors(
    *,
    actor: User,
    booking: Booking,
    decision: str,
    scope: str,
    treatment: str,
    except_provider: User | None,
    witness: User | None,
    encounter: Encounter | None,
) -> dict[str, list[str]]:
    """Every rule a new consent record breaks, per field."""
    facility = booking.facility
    errors: dict[str, list[str]] = {}
    recording.choice(decision, ConsentDecision.values, "decision", errors)
    recording.choice(scope, ConsentScope.values, "scope", errors)
    treatment = recording.text(treatment, 300, "treatment", errors)
    if scope == ConsentScope.TREATMENT and not treatment:
        errors.setdefault("treatment", []).append(TREATMENT_REQUIRED)
    elif scope == ConsentScope.GENERAL and treatment:
        errors.setdefault("treatment", []).append(TREATMENT_ON_GENERAL)
    if except_provider is not None:
        if decision != ConsentDecision.REFUSAL or scope != ConsentScope.GENERAL:
            errors["except_provider"] = [EXCEPT_ONLY_GENERAL_REFUSAL]
        elif not recording.is_clinician(except_provider, facility):
            errors["except_provider"] = [
                EXCEPT_NOT_CLINICIAN.format(
                    who=recording.name(except_provider), facility=facility.name
                )
            ]
    if witness is None:
        if decision == ConsentDecision.REFUSAL:
            errors["witness"] = [WITNESS_REQUIRED]
    elif witness.pk == actor.pk:
        errors["witness"] = [WITNESS_IS_RECORDER.format(recorder=recording.name(actor))]
    elif not recording.is_staff_at(witness, facility):
        errors["witness"] = [
            WITNESS_NOT_STAFF.format(who=recording.name(witness), facility=facility.name)
        ]
    recording.same_booking(encounter, booking, errors)
    return errors


def consent_write(
    *,
    actor: User,
    booking: Booking,
    decision: str,
    scope: str,
    treatment: str,
    except_provider: User | None,
    statement: str,
    person_signed: bool,
    witness: User | None,
    encounter: Encounter | None,
) -> ConsentRecord:
    """Store a checked record, inside the caller's transaction with the booking locked."""
    facility = booking.facility
    now = clock.now()
    superseded: list[str] = []
    if scope == ConsentScope.GENERAL:
        # The newest general record governs: the ones before it step aside, on the record.
        for old in ConsentRecord.objects.filter(
            booking=booking, scope=ConsentScope.GENERAL, withdrawn_at__isnull=True
        ).select_for_update():
            _withdraw(actor=actor, record=old, reason=SUPERSEDED, booking=booking)
            superseded.append(str(old.public_id))
    record = ConsentRecord.objects.create(
        booking=booking, decision=decision, scope=scope, treatment=treatment.strip(),
        except_provider=except_provider, statement=statement.strip(),
        person_signed=person_signed, recorded_at=now, recorded_by=actor, witness=witness,
        encounter=encounter,
    )  # fmt: skip
    audit_record(
        actor=actor, action="consentrecord.record", obj=record, facility=facility,
        object_label=_label(record, booking),
        changes={
            "booking": booking.booking_number, "decision": decision, "scope": scope,
            "except_provider": except_provider.get_username() if except_provider else None,
            "witness": witness.get_username() if witness else None,
            "person_signed": person_signed,
            "encounter": str(encounter.public_id) if encounter else None,
            "supersedes": superseded,
        },
    )  # fmt: skip
    return record


def consent_record(
    *,
    actor: User,
    booking: Booking,
    decision: str,
    scope: str,
    treatment: str = "",
    except_provider: User | None = None,
    statement: str = "",
    person_signed: bool = False,
    witness: User | None = None,
    encounter: Encounter | None = None,
) -> ConsentRecord:
    """Record what the person consents to or refuses; a refusal is witnessed."""
    recording.require_clinical(actor, booking.facility)
    errors = consent_errors(
        actor=actor, booking=booking, decision=decision, scope=scope, treatment=treatment,
        except_provider=except_provider, witness=witness, encounter=encounter,
    )  # fmt: skip
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = recording.locked_open_booking(booking, RECORDING)
        return consent_write(
            actor=actor, booking=locked, decision=decision, scope=scope, treatment=treatment,
            except_provider=except_provider, statement=statement, person_signed=person_signed,
            witness=witness, encounter=encounter,
        )  # fmt: skip


def _label(record: ConsentRecord, booking: Booking) -> str:
    return f"{booking.booking_number}: {record.get_decision_display().lower()}"


def _withdraw(*, actor: User, record: ConsentRecord, reason: str, booking: Booking) -> None:
    record.withdrawn_at, record.withdrawn_by = clock.now(), actor
    record.withdrawal_reason = reason
    record.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    audit_record(
        actor=actor, action="consentrecord.withdraw", obj=record, facility=booking.facility,
        reason=reason, object_label=_label(record, booking),
        changes={"booking": booking.booking_number, "withdrawn_at": record.withdrawn_at},
    )  # fmt: skip


def consent_withdraw(*, actor: User, record: ConsentRecord, reason: str) -> ConsentRecord:
    """The record no longer stands (the person changed their mind, or it was made in error)."""
    booking = record.booking
    recording.require_clinical(actor, booking.facility)
    reason = recording.required_text(reason, field="reason", missing=REASON_REQUIRED)
    with transaction.atomic():
        locked = (
            ConsentRecord.objects.select_for_update(of=("self",))
            .select_related("booking__facility")
            .get(pk=record.pk)
        )
        if locked.withdrawn_at is not None:
            raise Conflict(
                ALREADY_WITHDRAWN.format(
                    when=recording.local(locked.withdrawn_at, locked.booking.facility),
                    who=locked.withdrawn_by or "the system",
                ),
                code="consent_withdrawn",
            )
        _withdraw(actor=actor, record=locked, reason=reason, booking=locked.booking)
    return locked
