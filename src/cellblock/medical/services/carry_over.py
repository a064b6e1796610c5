"""Care alerts that follow a person to another facility of the agency on a transfer.

Custody at the receiving facility must follow the same instructions from the
first minute (a suicide watch does not pause for paperwork).  Each alert in
force is set again on the receiving booking, with its flag where the kind has
one, so ending the alert there lifts the flag as it would have here.  No
clinical text moves: care alerts are the non-clinical instructions; the
medical record itself travels as the discharge note (the transfer summary).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.medical.models import CareAlert
from cellblock.medical.services.care_alerts import alert_create, open_alert


def care_alerts_carry_over(
    *, actor: User | None, source: Booking, target: Booking
) -> list[CareAlert]:
    """Set on ``target`` (opened in this transaction) each care alert in force on ``source``."""
    now = clock.now()
    with transaction.atomic():
        in_force = CareAlert.objects.filter(
            Q(until__isnull=True) | Q(until__gt=now), booking=source, ended_at__isnull=True
        ).order_by("set_at", "id")
        carried: list[CareAlert] = []
        for alert in in_force:
            if open_alert(target, alert.kind, alert.instruction) is not None:
                continue
            copy = alert_create(
                actor=actor, booking=target, kind=alert.kind, instruction=alert.instruction,
                level=alert.level, until=alert.until,
            )  # fmt: skip
            carried.append(copy)
        if carried:
            audit_record(
                actor=actor, action="carealert.carry_over", obj=target, facility=target.facility,
                changes={"booking": target.booking_number, "from_booking": source.booking_number,
                         "care_alerts": [str(alert.public_id) for alert in carried],
                         "kinds": [alert.kind for alert in carried]},
            )  # fmt: skip
    return carried
