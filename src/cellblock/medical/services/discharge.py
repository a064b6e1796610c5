"""The discharge note: what a person leaving custody needs to know about their care.

Written by medical staff for the release checklist (a transfer's copy is the
transfer summary).  The text, the medication and the follow-up are clinical
(``models.CLINICAL_FIELDS``): the audit event and the checklist carry the
note's id, its author and its time, never what it says.
"""

from __future__ import annotations

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.core.errors import ValidationFailed
from cellblock.medical.models import DischargeNote
from cellblock.medical.services import recording

TEXT_REQUIRED = "is required: what the person needs to know on leaving (care to continue, or none)."
TEXT_MAX = 10_000
# DischargeNote.medication and .follow_up hold 500 characters.
SHORT_MAX = 500


def discharge_note_record(
    *,
    actor: User,
    booking: Booking,
    text: str,
    medication: str = "",
    follow_up: str = "",
) -> DischargeNote:
    """Write the discharge note of an open booking (medical staff only)."""
    recording.require_clinical(actor, booking.facility)
    errors: dict[str, list[str]] = {}
    text = recording.text(text, TEXT_MAX, "text", errors)
    if not text and "text" not in errors:
        errors["text"] = [TEXT_REQUIRED]
    medication = recording.text(medication, SHORT_MAX, "medication", errors)
    follow_up = recording.text(follow_up, SHORT_MAX, "follow_up", errors)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = recording.locked_open_booking(booking, "discharge notes are written")
        note = DischargeNote.objects.create(
            booking=locked, text=text, medication=medication, follow_up=follow_up,
            recorded_at=clock.now(), recorded_by=actor,
        )  # fmt: skip
        audit_record(
            actor=actor, action="dischargenote.record", obj=note, facility=locked.facility,
            object_label=f"{locked.booking_number}: discharge note",
            changes={"booking": locked.booking_number},
        )  # fmt: skip
    return note
