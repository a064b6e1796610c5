"""The "Visits" section of a person's profile: the visiting list, visits to come and past ones."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.core.access import user_has_perm
from cellblock.core.roles import Perm
from cellblock.visits.models import ListEntryStatus
from cellblock.visits.selectors.registry import suspension_in_force, visiting_list
from cellblock.visits.selectors.schedule import visits_for_booking
from cellblock.visits.views.common import STATUS_TONE

# Visits shown on the profile; the calendar and the visit pages hold the rest.
PROFILE_UPCOMING = 5
PROFILE_RECENT = 5


def visits_profile_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    """Who may visit, the suspension in force, the next visits and the last ones."""
    entries = visiting_list(booking)
    upcoming = visits_for_booking(booking, upcoming=True, limit=PROFILE_UPCOMING)
    recent = visits_for_booking(booking, upcoming=False, limit=PROFILE_RECENT)
    return {
        "approved": [e for e in entries if e.status == ListEntryStatus.APPROVED],
        "pending": [e for e in entries if e.status == ListEntryStatus.PENDING],
        "suspension": suspension_in_force(booking, clock.now()),
        "upcoming": [(v, STATUS_TONE.get(v.status, "muted")) for v in upcoming],
        "recent": [(v, STATUS_TONE.get(v.status, "muted")) for v in recent],
        "can_schedule": user_has_perm(request.user, Perm.VISIT_SCHEDULE, booking.facility_id)
        and booking.is_open,
    }
