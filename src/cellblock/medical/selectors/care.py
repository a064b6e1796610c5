"""Reads of care alerts: what custody staff see on the profile, the rounds page and the bed board.

Care alerts carry no clinical text (the instruction is written for custody),
so these need MEDICAL_VIEW only; the caller checks it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q

from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.medical.models import CareAlert, CareAlertKind

# The colour class of each kind's badge: red for a watch, amber where custody acts, blue
# for where the person sleeps.
CARE_ALERT_TONE: dict[str, str] = {
    CareAlertKind.SUICIDE_WATCH: "bad",
    CareAlertKind.MEDICAL_MONITORING: "warn",
    CareAlertKind.MONITOR_MEALS: "warn",
    CareAlertKind.RESTRAINT_LIMIT: "warn",
    CareAlertKind.LOWER_BUNK: "info",
    CareAlertKind.WHEELCHAIR_CELL: "info",
    CareAlertKind.NEAR_MEDICAL: "info",
    CareAlertKind.OTHER: "info",
}


def in_force_q(at: dt.datetime) -> Q:
    """Alerts in force at ``at``: set by then, not ended, and not past their ``until``."""
    return (
        Q(set_at__lte=at)
        & (Q(ended_at__isnull=True) | Q(ended_at__gt=at))
        & (Q(until__isnull=True) | Q(until__gt=at))
    )


def in_force(alert: CareAlert, at: dt.datetime) -> bool:
    """``in_force_q`` for an alert already read (the record lists those in force and the rest)."""
    return (
        alert.set_at <= at
        and (alert.ended_at is None or alert.ended_at > at)
        and (alert.until is None or alert.until > at)
    )


def care_alerts_in_force(booking_ids: Iterable[int], at: dt.datetime) -> dict[int, list[CareAlert]]:
    """The alerts in force for each booking (oldest first); one query."""
    ids = set(booking_ids)
    found: dict[int, list[CareAlert]] = {}
    if not ids:
        return found
    for alert in CareAlert.objects.filter(in_force_q(at), booking_id__in=ids).order_by(
        "set_at", "id"
    ):
        found.setdefault(alert.booking_id, []).append(alert)
    return found


def care_alerts_of(booking: Booking) -> list[CareAlert]:
    """One person's alerts in force now, newest last."""
    return care_alerts_in_force([booking.pk], clock.now()).get(booking.pk, [])
