"""Pages: the visit calendar, per room and per day.

A room's day cut into slots of the policy's visit length, from opening to
closing: the visits booked in each and the places still free, with a link to
book a free slot.  Visits in a person's own cell take no room; they are listed
under the slots for the same day.  A room select, a day picker and previous
and next day links move around it.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.roles import Perm
from cellblock.visits.models import VisitKind
from cellblock.visits.selectors.registry import rooms_for_facility
from cellblock.visits.selectors.schedule import room_day_slots, today, visits_for_day
from cellblock.visits.views.common import STATUS_TONE, facility_for, local_value, me, parse_date

BAD_DAY = "Could not read the day ({value}); showing today."


def _calendar_url(room_id: str, day: dt.date) -> str:
    query = {"day": day.isoformat()}
    if room_id:
        query["room"] = room_id
    return f"{reverse('visits:calendar')}?{urlencode(query)}"


@require_GET
@requires(Perm.VISIT_VIEW)
def calendar(request: HttpRequest) -> HttpResponse:
    """One room's day in slots, with the visits booked and the places free."""
    facility = facility_for(request, Perm.VISIT_VIEW)
    wanted_day = request.GET.get("day", "").strip()
    day = parse_date(wanted_day)
    problem = BAD_DAY.format(value=wanted_day) if wanted_day and day is None else ""
    day = day or today(facility)
    rooms = rooms_for_facility(facility)
    wanted_room = request.GET.get("room", "")
    room = next((r for r in rooms if str(r.public_id) == wanted_room), rooms[0] if rooms else None)
    now = clock.now()
    slots = room_day_slots(room, day) if room is not None else []
    in_cell = [v for v in visits_for_day(facility, day) if v.kind == VisitKind.IN_CELL]
    can_schedule = Perm.VISIT_SCHEDULE in me(request).perms_at(facility.pk)
    room_id = str(room.public_id) if room is not None else ""
    book_base = ""
    if room is not None and can_schedule:
        kind = room.kind if room.kind in VisitKind.values else VisitKind.CONTACT
        book_base = f"{reverse('visits:new')}?{urlencode({'room': room_id, 'kind': kind})}"
    rows = [
        {
            "slot": slot,
            "visits": [(v, STATUS_TONE.get(v.status, "muted")) for v in slot.visits],
            "past": slot.starts_at <= now,
            "book_url": (
                f"{book_base}&{urlencode({'starts_at': local_value(slot.starts_at, facility)})}"
                if book_base and slot.free > 0 and slot.starts_at > now
                else ""
            ),
        }
        for slot in slots
    ]
    context = {
        "facility": facility,
        "tz": facility.timezone,
        "day": day,
        "is_today": day == today(facility),
        "rooms": rooms,
        "room": room,
        "rows": rows,
        "in_cell": [(v, STATUS_TONE.get(v.status, "muted")) for v in in_cell],
        "length": policy_of(facility).visit_length_minutes,
        "free_total": sum(slot.free for slot in slots if slot.starts_at > now),
        "previous_url": _calendar_url(room_id, day - dt.timedelta(days=1)),
        "next_url": _calendar_url(room_id, day + dt.timedelta(days=1)),
        "today_url": _calendar_url(room_id, today(facility)),
        "problem": problem,
        "can_schedule": can_schedule,
        "can_configure": Perm.FACILITY_CONFIGURE in me(request).perms_at(facility.pk),
    }
    return render(request, "visits/calendar.html", context, status=400 if problem else 200)


urlpatterns = [
    path("calendar/", calendar, name="calendar"),
]
