"""The "Court and sentence" section of a person's profile.

The legal status, the computed release date with its working out (sentence
by sentence, with the rule versions it used), the person's cases with the
counts still pending and the next hearing, and the holds in force.  A fixed
number of queries, however long the record.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest

from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.core.access import user_has_perm
from cellblock.core.roles import Perm
from cellblock.court.models import (
    Case,
    Hearing,
    HearingStatus,
    Hold,
    ReleaseDate,
    ReleaseDateChange,
    Verdict,
)
from cellblock.court.views.common import CASE_TONE

# Hearings shown ahead; the calendar and the case pages hold the rest.
PROFILE_HEARINGS = 3


def court_profile_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    """Legal status, release date and breakdown, cases, next hearings, holds: five queries."""
    now = clock.now()
    person_id = booking.person_id
    agency_id = booking.facility.agency_id
    cases = list(
        Case.objects.filter(person_id=person_id, agency_id=agency_id)
        .select_related("court")
        .annotate(
            charge_total=Count("charges", distinct=True),
            charge_pending=Count(
                "charges", filter=Q(charges__verdict=Verdict.PENDING), distinct=True
            ),
        )
        .order_by("-status", "-filed_at", "-id")
    )
    hearings = list(
        Hearing.objects.filter(
            case__person_id=person_id, case__agency_id=agency_id,
            status=HearingStatus.SCHEDULED, scheduled_at__gte=now,
        )
        .select_related("case")
        .order_by("scheduled_at", "id")[:PROFILE_HEARINGS]
    )  # fmt: skip
    release = ReleaseDate.objects.filter(booking=booking).first()
    holds = list(Hold.objects.filter(booking=booking, lifted_at__isnull=True))
    unreviewed = ReleaseDateChange.objects.filter(booking=booking, reviewed_at__isnull=True).count()
    today = clock.local(now, booking.facility.timezone).date()
    release_on = release.release_on if release is not None else None
    days_left = (release_on - today).days if release_on is not None else None
    facility_id = booking.facility_id
    return {
        "cases": [(case, CASE_TONE.get(case.status, "muted")) for case in cases],
        "hearings": hearings,
        "release": release,
        "days_left": days_left,
        "days_past": -days_left if days_left is not None and days_left < 0 else 0,
        # Each sentence's working out as stored: case, count, term, rule and the lines.
        "breakdown": [
            item
            for item in (release.breakdown if release is not None else [])
            if isinstance(item, dict)
        ],
        "rule_versions": list(release.rule_versions) if release is not None else [],
        "holds": holds,
        "unreviewed": unreviewed,
        "can_record": user_has_perm(request.user, Perm.COURT_RECORD, facility_id),
        "can_hold": booking.is_open
        and (
            user_has_perm(request.user, Perm.COURT_RECORD, facility_id)
            or user_has_perm(request.user, Perm.BOOKING_CREATE, facility_id)
        ),
    }
