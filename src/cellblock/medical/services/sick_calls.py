"""Sick calls: a person asks to see medical staff, and the queue medics work through.

Anyone who files requests for people in custody files a sick call (officers,
the visits desk, medical staff; a kiosk as the system).  Medical staff triage
it (routine, urgent, emergency), schedule an encounter for it (the encounter
services), or close it without one, saying why.  The complaint is clinical:
audit entries carry the booking number, how it came, the urgency and times.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.core.errors import Conflict, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.medical.models import SickCall, SickCallStatus, SickCallUrgency, SickCallVia
from cellblock.medical.selectors.clinic import QUEUED
from cellblock.medical.services import recording

FILE_DENIED = "Filing a sick call at {facility} needs an officer, the visits desk or medical staff."
COMPLAINT_REQUIRED = "is required: write down what the person says is wrong, in their words."
TRIAGE_URGENCIES = [
    SickCallUrgency.ROUTINE, SickCallUrgency.URGENT, SickCallUrgency.EMERGENCY,
]  # fmt: skip
CLOSE_REASON_REQUIRED = "is required: say why it is closed without an encounter."
NOT_OPEN = "This sick call is {status}: {action} needs a sick call still in the queue."
SCHEDULED_ALREADY = (
    "This sick call has an encounter scheduled ({when}): cancel the encounter to close it."
)
FILING = "sick calls are filed"


def _locked(sick_call: SickCall) -> SickCall:
    """The row locked; what may change under the lock (its encounter) is read afterwards."""
    return (
        SickCall.objects.select_for_update(of=("self",))
        .select_related("booking__facility", "booking__person")
        .get(pk=sick_call.pk)
    )


def _label(sick_call: SickCall) -> str:
    when = recording.local(sick_call.filed_at, sick_call.booking.facility)
    return f"{sick_call.booking.booking_number}: sick call {when}"


def _require_queued(sick_call: SickCall, action: str) -> None:
    if sick_call.status not in QUEUED:
        raise Conflict(
            NOT_OPEN.format(status=sick_call.get_status_display().lower(), action=action),
            code="sick_call_closed", extra={"status": sick_call.status},
        )  # fmt: skip


def sick_call_file(
    *,
    actor: User | None,
    booking: Booking,
    complaint: str,
    via: str,
    filed_at: dt.datetime | None = None,
) -> SickCall:
    """Put the person in the sick-call queue (``filed_at``: when the slip was handed in)."""
    facility = booking.facility
    recording.require(actor, facility, [Perm.REQUEST_FILE, Perm.CLINICAL_RECORD], FILE_DENIED)
    errors: dict[str, list[str]] = {}
    complaint = complaint.strip()
    if not complaint:
        errors["complaint"] = [COMPLAINT_REQUIRED]
    recording.choice(via, SickCallVia.values, "via", errors)
    when = recording.moment(filed_at, errors, field="filed_at", booking=booking)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = recording.locked_open_booking(booking, FILING)
        sick_call = SickCall.objects.create(
            booking=locked, filed_at=when, filed_by=actor, via=via, complaint=complaint
        )
        audit_record(
            actor=actor, action="sickcall.file", obj=sick_call, facility=facility,
            object_label=_label(sick_call),
            changes={"booking": locked.booking_number, "via": via, "filed_at": when},
        )  # fmt: skip
    return sick_call


def sick_call_triage(*, actor: User | None, sick_call: SickCall, urgency: str) -> SickCall:
    """How soon medical staff must see the person."""
    facility = sick_call.booking.facility
    recording.require_clinical(actor, facility)
    errors: dict[str, list[str]] = {}
    recording.choice(urgency, TRIAGE_URGENCIES, "urgency", errors)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = _locked(sick_call)
        _require_queued(locked, "triage")
        before = locked.urgency
        locked.urgency, locked.triaged_at, locked.triaged_by = urgency, clock.now(), actor
        locked.save(update_fields=["urgency", "triaged_at", "triaged_by"])
        audit_record(
            actor=actor, action="sickcall.triage", obj=locked, facility=facility,
            object_label=_label(locked),
            changes={"booking": locked.booking.booking_number, "urgency": [before, urgency]},
        )  # fmt: skip
    return locked


def sick_call_close(*, actor: User | None, sick_call: SickCall, reason: str) -> SickCall:
    """Out of the queue without an encounter: resolved, withdrawn, the person released."""
    facility = sick_call.booking.facility
    recording.require_clinical(actor, facility)
    reason = recording.required_text(reason, field="reason", missing=CLOSE_REASON_REQUIRED)
    with transaction.atomic():
        locked = _locked(sick_call)
        _require_queued(locked, "closing it")
        if locked.status == SickCallStatus.SCHEDULED and locked.encounter is not None:
            raise Conflict(
                SCHEDULED_ALREADY.format(
                    when=recording.local(locked.encounter.scheduled_for, facility)
                ),
                code="sick_call_scheduled",
                extra={"encounter": str(locked.encounter.public_id)},
            )
        before = locked.status
        locked.status, locked.closed_at, locked.closed_by = (
            SickCallStatus.CLOSED, clock.now(), actor,
        )  # fmt: skip
        locked.close_reason = reason
        locked.save(update_fields=["status", "closed_at", "closed_by", "close_reason"])
        audit_record(
            actor=actor, action="sickcall.close", obj=locked, facility=facility,
            object_label=_label(locked), reason=reason,
            changes={
                "booking": locked.booking.booking_number, "status": [before, SickCallStatus.CLOSED],
            },
        )  # fmt: skip
    return locked
