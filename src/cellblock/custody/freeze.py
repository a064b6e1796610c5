"""While a formal count is open, people stay where they are (Fresno D-300, CDCR).

Moves, movements and releases ask ``movement_freeze_check`` first.  An
emergency that cannot wait goes ahead with its reason recorded; everything
else is refused with the count named, so the officer knows whom to ask.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from cellblock.core.errors import Conflict
from cellblock.custody.models import CountStatus, FormalCount
from cellblock.facilities.models import Facility

COUNT_IN_PROGRESS = (
    "A formal count is in progress at {facility} since {since}: {what} must wait until a "
    "supervisor clears it, unless it is an emergency (give the reason)."
)


def open_count(facility: Facility) -> FormalCount | None:
    return FormalCount.objects.filter(facility=facility, status=CountStatus.OPEN).first()


def movement_freeze_check(facility: Facility, *, what: str, emergency_reason: str = "") -> str:
    """Refuse ``what`` (409 ``count_in_progress``) during a count unless it is an emergency.

    Returns the emergency reason to record ("" when no count was open), so
    callers store and audit it with the move itself.
    """
    count = open_count(facility)
    if count is None:
        return ""
    reason = emergency_reason.strip()
    if reason:
        return reason
    since = count.started_at.astimezone(ZoneInfo(facility.timezone)).strftime("%H:%M")
    raise Conflict(
        COUNT_IN_PROGRESS.format(facility=facility.name, since=since, what=what),
        code="count_in_progress",
        extra={"count": str(count.public_id), "method": count.method},
    )
