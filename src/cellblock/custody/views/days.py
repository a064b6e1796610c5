"""Pages: days in custody (time out of cell, exercise, contact, solitary), one person."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from cellblock.booking.selectors import booking_get_for_user
from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.roles import Perm
from cellblock.custody.schedule import local_date
from cellblock.custody.selectors.solitary import booking_streaks, days_out_of_cell, limits_of

# The page shows four weeks unless asked for other days; at most a year.
DEFAULT_DAYS = 28
MAX_DAYS = 366
BAD_RANGE = (
    "Could not use those days (YYYY-MM-DD, forward, a year at most): showing the last four weeks."
)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@require_GET
@requires(Perm.BOOKING_VIEW)
def days(request: HttpRequest, booking_number: str) -> HttpResponse:
    """Each day of one person: in custody, out of cell, exercise, contact, solitary."""
    booking = booking_get_for_user(request.user, booking_number)  # type: ignore[arg-type]
    facility = booking.facility
    now = clock.now()
    zone = facility.timezone
    newest = local_date(booking.released_at or now, zone)
    oldest = local_date(booking.booked_at, zone)
    asked = {key: request.GET.get(key, "").strip() for key in ("from", "to")}
    last = _date(asked["to"]) or newest
    first = _date(asked["from"]) or max(oldest, last - dt.timedelta(days=DEFAULT_DAYS - 1))
    problem = ""
    bad_text = any(value and _date(value) is None for value in asked.values())
    if bad_text or last < first or (last - first).days + 1 > MAX_DAYS:
        problem = BAD_RANGE
        last, first = newest, max(oldest, newest - dt.timedelta(days=DEFAULT_DAYS - 1))
    policy = policy_of(facility)
    limits = limits_of(policy)
    found = days_out_of_cell(booking, first, last, now=now, limits=limits)
    context = {
        "booking": booking, "person": booking.person, "facility": facility, "tz": zone,
        "first": first, "last": last, "problem": problem, "policy": policy,
        # Newest first, as staff read a log.
        "days": list(reversed(found)), "streaks": booking_streaks(booking, now, limits),
    }  # fmt: skip
    return render(request, "custody/days/days.html", context, status=400 if problem else 200)


urlpatterns: list[URLPattern] = [
    path("bookings/<str:booking_number>/days", days, name="days"),
]
