"""The "Release" section of a person's profile: the release in hand and its checklist.

A release in preparation shows each step and whether it is done (the holds
step read live, with what holds the person); someone away shows when they
are due back; otherwise the last release of the booking, if any.  A fixed
number of queries.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cellblock.booking.models import Booking, BookingStatus
from cellblock.core.access import user_has_perm
from cellblock.core.roles import Perm
from cellblock.release.models import OPEN_RELEASE_STATUSES, Release, ReleaseStatus
from cellblock.release.services.checklist import release_steps
from cellblock.release.views.common import RELEASE_TONE


def release_profile_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    """The release in hand (or the last one), with its checklist while it is prepared."""
    latest = (
        Release.objects.filter(booking=booking)
        .select_related("requested_by", "authorised_by", "to_facility", "new_booking")
        .order_by("-requested_at", "-id")
        .first()
    )
    in_hand = latest is not None and latest.status in OPEN_RELEASE_STATUSES
    steps = (
        release_steps(latest)
        if latest is not None and latest.status == ReleaseStatus.PREPARING
        else []
    )
    required = [step for step in steps if step.required]
    return {
        "release": latest,
        "in_hand": in_hand,
        "tone": RELEASE_TONE.get(latest.status, "muted") if latest is not None else "",
        "steps": required,
        "done": sum(1 for step in required if step.done),
        "can_start": not in_hand
        and booking.status == BookingStatus.IN_CUSTODY
        and user_has_perm(request.user, Perm.BOOKING_RELEASE, booking.facility_id),
    }
