"""Medical API: care alerts, the non-clinical instructions custody staff follow.

Anyone with ``medical.view`` reads them (the rounds page, the bed board and
the profile show them too); medical staff set and end them.  Kinds that
change housing or observation set a classification flag while in force.
"""

from __future__ import annotations

import uuid

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from ninja import Router, Status

from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.roles import Perm
from cellblock.medical.api.schemas import (
    CareAlertIn,
    CareAlertOut,
    ReasonIn,
    booking_seen,
    care_alert_out,
    facility_chosen,
)
from cellblock.medical.selectors.care import care_alerts_in_force, care_alerts_of
from cellblock.medical.selectors.record import care_alert_get_for_user
from cellblock.medical.services.care_alerts import care_alert_end, care_alert_set

router = Router()

# Who set and who ended each alert: named in the answer, read for all rows at once.
WHO = ("set_by", "ended_by")


@router.get("/care-alerts", response=list[CareAlertOut], auth=api_requires(Perm.MEDICAL_VIEW))
def list_care_alerts(request: HttpRequest, facility: uuid.UUID | None = None) -> list[CareAlertOut]:
    """Every care alert in force at the facility, by booking number: two queries."""
    chosen = facility_chosen(acting_user(request), facility, Perm.MEDICAL_VIEW)
    held = {
        booking.pk: booking
        for booking in Booking.objects.filter(facility=chosen, status__in=OPEN_STATUSES)
        .select_related("person")
        .order_by("booking_number")
    }
    in_force = care_alerts_in_force(held, clock.now())
    prefetch_related_objects([a for found in in_force.values() for a in found], *WHO)
    return [
        care_alert_out(alert, booking)
        for pk, booking in held.items()
        for alert in in_force.get(pk, [])
    ]


@router.get(
    "/bookings/{booking_number}/care-alerts", response=list[CareAlertOut],
    auth=api_requires(Perm.MEDICAL_VIEW),
)  # fmt: skip
def booking_care_alerts(request: HttpRequest, booking_number: str) -> list[CareAlertOut]:
    """One person's care alerts in force, oldest first."""
    booking = booking_seen(acting_user(request), booking_number)
    alerts = care_alerts_of(booking)
    prefetch_related_objects(alerts, *WHO)
    return [care_alert_out(alert, booking) for alert in alerts]


@router.post(
    "/bookings/{booking_number}/care-alerts", response={201: CareAlertOut},
    auth=api_requires(Perm.CLINICAL_RECORD),
)  # fmt: skip
def set_care_alert(
    request: HttpRequest, booking_number: str, payload: CareAlertIn
) -> Status[CareAlertOut]:
    """Set an instruction for custody (409 ``care_alert_exists`` if the same one is open)."""
    user = acting_user(request)
    booking = booking_seen(user, booking_number)
    alert = care_alert_set(
        actor=user, booking=booking, kind=payload.kind, instruction=payload.instruction,
        level=payload.level, until=payload.until,
    )  # fmt: skip
    return Status(201, care_alert_out(care_alert_get_for_user(user, alert.public_id)))


@router.post(
    "/care-alerts/{uuid:care_alert_id}/end", response=CareAlertOut,
    auth=api_requires(Perm.CLINICAL_RECORD),
)  # fmt: skip
def end_care_alert(
    request: HttpRequest, care_alert_id: uuid.UUID, payload: ReasonIn
) -> CareAlertOut:
    """End it (and lift the flag it set)."""
    user = acting_user(request)
    care_alert_end(
        actor=user, alert=care_alert_get_for_user(user, care_alert_id), reason=payload.reason
    )
    return care_alert_out(care_alert_get_for_user(user, care_alert_id))
