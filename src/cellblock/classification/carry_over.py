"""Flags that follow a person to another facility of the agency on a transfer.

The receiving booking starts with the flags in force on the sending one, so
the receiving facility houses and watches the person as the sender did from
the first minute.  Not every flag is copied as it stands:

- the juvenile flag comes from the date of birth: opening the receiving
  booking derives it again (``on_booking_opened``);
- a flag set by a medical care alert follows its alert
  (``medical/services/carry_over.py``), so ending the alert there lifts it;
- flags set by hand and by PREA screening are copied with their origin,
  detail, reason and end, so a new screening at the receiver replaces them
  as it would its own.
"""

from __future__ import annotations

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import Booking
from cellblock.classification.models import Flag, FlagOrigin
from cellblock.classification.selectors import active_flags_q
from cellblock.core import clock

# Origins whose flags are copied; the others are derived again at the receiver.
CARRIED_ORIGINS = (FlagOrigin.STAFF, FlagOrigin.PREA_SCREENING)
CARRIED_REASON = "From {booking} ({facility}): {reason}"
REASON_MAX = 500  # Flag.reason's max_length


def flags_carry_over(*, actor: User | None, source: Booking, target: Booking) -> list[Flag]:
    """Copy the flags in force on ``source`` to ``target`` (opened in this transaction).

    A flag ``target`` already carries (the juvenile flag derived at its
    opening) is left as it is.  No housing recheck: ``target`` has no bed yet,
    and its first placement is checked against these flags.
    """
    now = clock.now()
    with transaction.atomic():
        held = {
            (kind, detail)
            for kind, detail in Flag.objects.filter(
                active_flags_q(now), booking=target
            ).values_list("kind", "detail")
        }
        carried: list[Flag] = []
        for flag in Flag.objects.filter(
            active_flags_q(now), booking=source, origin__in=CARRIED_ORIGINS
        ).order_by("set_at", "id"):
            if (flag.kind, flag.detail) in held:
                continue
            reason = CARRIED_REASON.format(
                booking=source.booking_number, facility=source.facility.name, reason=flag.reason
            )[:REASON_MAX]
            copy = Flag.objects.create(
                booking=target, kind=flag.kind, detail=flag.detail, reason=reason, set_at=now,
                set_by=actor, until=flag.until, origin=flag.origin,
            )  # fmt: skip
            audit_record(
                actor=actor, action="flag.carry_over", obj=copy, facility=target.facility,
                reason=reason,
                changes={"booking": target.booking_number, "from_booking": source.booking_number,
                         "from_flag": str(flag.public_id), "kind": flag.kind,
                         "detail": flag.detail or None, "until": flag.until,
                         "origin": flag.origin},
            )  # fmt: skip
            carried.append(copy)
    return carried
