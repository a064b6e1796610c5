"""Medical API: one person's medical state for custody, and the whole record for medical staff.

``GET /bookings/{number}/summary`` is what custody staff see: the screening
done or due, care alerts, the next appointment, the health assessment's due
date, the sick calls waiting (no complaint).  ``GET /bookings/{number}/record``
is the clinical record: medical staff of the facility, or a commander by an
open break-glass (403 ``clinical_only`` for anyone else); every read is audited.
"""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from ninja import Router

from cellblock.booking.models import IntakeStepCode
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.roles import Perm
from cellblock.medical.api.schemas import (
    RecordOut,
    SummaryOut,
    booking_seen,
    break_glass_out,
    care_alert_out,
    consent_out,
    encounter_clinical_out,
    encounter_out,
    injury_out,
    note_out,
    screening_out,
    screening_state_out,
    sick_call_clinical_out,
    sick_call_out,
    vitals_out,
)
from cellblock.medical.models import ReceivingScreening, SickCall
from cellblock.medical.selectors.care import care_alerts_of
from cellblock.medical.selectors.clinic import QUEUED, health_assessment_due, next_encounters
from cellblock.medical.selectors.record import medical_record

router = Router()


@router.get(
    "/bookings/{booking_number}/summary", response=SummaryOut,
    auth=api_requires(Perm.MEDICAL_VIEW),
)  # fmt: skip
def summary(request: HttpRequest, booking_number: str) -> SummaryOut:
    """Custody's view: screened or not, care alerts, the next appointment; no clinical text."""
    booking = booking_seen(acting_user(request), booking_number)
    now = clock.now()
    latest = (
        ReceivingScreening.objects.filter(booking=booking)
        .select_related("screened_by")
        .order_by("-screened_at", "-pk")
        .first()
    )
    due = health_assessment_due(booking)
    upcoming = next_encounters([booking.pk], now).get(booking.pk)
    if upcoming is not None:
        upcoming.booking = booking
    alerts = care_alerts_of(booking)
    # Who set and ended each alert: read for all of them at once, not one query an alert.
    prefetch_related_objects(alerts, "set_by", "ended_by")
    queued = SickCall.objects.filter(booking=booking, status__in=QUEUED).select_related(
        "booking__person", "booking__facility", "filed_by", "triaged_by", "closed_by", "encounter"
    )
    return SummaryOut(
        booking_number=booking.booking_number, person=booking.person.full_name,
        facility=booking.facility.public_id,
        screening=screening_state_out(latest) if latest is not None else None,
        screening_due=booking.intake_steps.filter(
            step=IntakeStepCode.MEDICAL_SCREENING, completed_at__isnull=True
        ).exists(),
        health_assessment_due_at=due, health_assessment_overdue=due is not None and now > due,
        care_alerts=[care_alert_out(alert, booking) for alert in alerts],
        next_encounter=encounter_out(upcoming) if upcoming is not None else None,
        sick_calls=[sick_call_out(call) for call in queued],
    )  # fmt: skip


@router.get(
    "/bookings/{booking_number}/record", response=RecordOut,
    auth=api_requires(Perm.MEDICAL_VIEW),
)  # fmt: skip
def record(request: HttpRequest, booking_number: str) -> RecordOut:
    """The clinical record: medical staff, or a commander by break-glass; the read is audited."""
    user = acting_user(request)
    booking = booking_seen(user, booking_number)
    found = medical_record(user=user, booking=booking)
    # Every part is of this booking: say so once rather than a query per row.
    for part in (found.encounters, found.injuries, found.consents, found.sick_calls):
        for item in part:
            item.booking = booking
    return RecordOut(
        booking_number=booking.booking_number, person=booking.person.full_name,
        facility=booking.facility.public_id,
        access=break_glass_out(found.access, clock.now()) if found.access else None,
        screenings=[screening_out(s, booking) for s in found.screenings],
        encounters=[encounter_clinical_out(e) for e in found.encounters],
        notes=[note_out(n) for n in found.notes], vitals=[vitals_out(v) for v in found.vitals],
        injuries=[injury_out(i) for i in found.injuries],
        consents=[consent_out(c) for c in found.consents],
        care_alerts=[care_alert_out(a, booking) for a in found.care_alerts],
        sick_calls=[sick_call_clinical_out(s) for s in found.sick_calls],
    )  # fmt: skip
