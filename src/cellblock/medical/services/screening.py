"""Receiving screening: record the answers, clear the person for a bed or send them out.

The answers are clinical and stay in the record: the audit log says only that
a screening was recorded, its outcome and the care alerts it set (custody sees
those anyway).  A cleared screening completes the booking's intake step
``medical_screening``, which housing waits for; a referral leaves it open, so
no bed can be assigned until a new screening clears the person.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import Booking, IntakeStepCode
from cellblock.booking.services import intake_step_complete
from cellblock.core import clock
from cellblock.core.errors import ValidationFailed
from cellblock.core.roles import Perm
from cellblock.medical import screening as rules
from cellblock.medical.models import CareAlert, ReceivingScreening, ScreeningOutcome
from cellblock.medical.services.care_alerts import alert_create, lock_open, open_alert, require

REFERRAL_NEEDED = (
    "say where the person was sent: a screening that does not clear them for housing is a "
    "referral ({reasons})."
)
REFERRAL_MAX = 500  # ReceivingScreening.referral's max_length
REFERRAL_TOO_LONG = f"must be at most {REFERRAL_MAX} characters."


def _validation_from(error: rules.ScreeningError) -> ValidationFailed:
    return ValidationFailed.for_fields({f"answers.{k}": v for k, v in error.fields.items()})


def screening_record(
    *,
    actor: User | None,
    booking: Booking,
    answers: Mapping[str, object],
    referral: str = "",
    notes: str = "",
) -> ReceivingScreening:
    """Record a receiving screening; cleared completes the intake step, and care alerts follow."""
    require(actor, Perm.CLINICAL_RECORD, booking, "Recording a receiving screening")
    try:
        result = rules.evaluate(answers)
    except rules.ScreeningError as error:
        raise _validation_from(error) from None
    referral = referral.strip()
    if result.outcome == rules.REFERRED and not referral:
        reasons = " ".join(result.refer_because)
        raise ValidationFailed.for_fields({"referral": [REFERRAL_NEEDED.format(reasons=reasons)]})
    if len(referral) > REFERRAL_MAX:
        raise ValidationFailed.for_fields({"referral": [REFERRAL_TOO_LONG]})
    with transaction.atomic():
        locked = lock_open(booking)
        screening = ReceivingScreening.objects.create(
            booking=locked, screened_at=clock.now(), screened_by=actor, outcome=result.outcome,
            answers=dict(answers), referral=referral, withdrawal_risk=result.withdrawal_risk,
            suicide_risk=result.suicide_risk, notes=notes.strip(),
        )  # fmt: skip
        # A person referred is still ours until they leave: the alerts apply meanwhile too.
        alerts = _alerts_set(actor=actor, booking=locked, screening=screening, result=result)
        # The answers, the referral and the risk levels stay out of the audit log: the
        # outcome and the custody-facing alert kinds are all it needs.
        audit_record(
            actor=actor, action="receivingscreening.record", obj=screening,
            facility=locked.facility,
            changes={"booking": locked.booking_number, "outcome": result.outcome,
                     "care_alerts": [alert.kind for alert in alerts]},
        )  # fmt: skip
        if result.outcome == ScreeningOutcome.CLEARED:
            intake_step_complete(actor=actor, booking=locked, step=IntakeStepCode.MEDICAL_SCREENING)
    return screening


def _alerts_set(
    *,
    actor: User | None,
    booking: Booking,
    screening: ReceivingScreening,
    result: rules.ScreeningResult,
) -> list[CareAlert]:
    """Set the screening's care alerts, skipping those already in force (a second screening)."""
    created = []
    for spec in result.care_alerts:
        if open_alert(booking, spec.kind, spec.instruction) is not None:
            continue
        alert = alert_create(
            actor=actor, booking=booking, kind=spec.kind, instruction=spec.instruction,
            level=spec.level, screening=screening,
        )  # fmt: skip
        created.append(alert)
    return created
