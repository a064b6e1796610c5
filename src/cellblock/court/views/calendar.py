"""Pages: the hearing calendar, a week at a time, and producing people to court.

Monday to Sunday on the facility's wall clock; a court and a kind of hearing
narrow it.  Each hearing shows the person, the docket, the courtroom and its
state: still to be produced, at court (the production movement is open),
back, or missed (not produced within the policy's grace).  Officers produce a
person (a movement to the courtroom) and bring them back from here; the
court staff conclude hearings on the case page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.errors import DomainError
from cellblock.core.roles import Perm
from cellblock.court import selectors
from cellblock.court.models import Court, Hearing, HearingKind, HearingStatus
from cellblock.court.services.hearings import hearing_produce, hearing_return
from cellblock.court.views.common import (
    HEARING_TONE,
    facility_for,
    local_today,
    me,
    parse_date,
    posted,
    problem_text,
    require_perm_at,
    safe_next,
    staff_at,
    staff_named,
)
from cellblock.custody.schedule import day_bounds

BAD_WEEK = "Could not read the week ({value}); showing this week."
PRODUCED = "{person} produced to {where}."
RETURNED = "{person} is back from court."
NO_SUCH_ESCORT = "Escort: choose an officer of this facility from the list."


@dataclass(frozen=True)
class CalendarRow:
    """One hearing as the calendar draws it."""

    hearing: Hearing
    tone: str
    # "to_produce", "at_court", "back", "missed" or "" (nobody held to produce).
    production: str
    can_produce: bool
    can_return: bool


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _calendar_url(week: dt.date, court: str, kind: str) -> str:
    query = {"week": week.isoformat(), "court": court, "kind": kind}
    return f"{reverse('court:calendar')}?{urlencode({k: v for k, v in query.items() if v})}"


def production_state(hearing: Hearing, missed: set[int]) -> str:
    if hearing.booking_id is None:
        return ""
    if hearing.production_id is not None:
        movement = hearing.production
        return "back" if movement is not None and movement.returned_at else "at_court"
    if hearing.pk in missed:
        return "missed"
    return "to_produce" if hearing.status == HearingStatus.SCHEDULED else ""


@require_GET
@requires(Perm.COURT_VIEW)
def calendar(request: HttpRequest) -> HttpResponse:
    """The week's hearings, day by day, with who is to be produced and who is at court."""
    facility = facility_for(request, Perm.COURT_VIEW)
    wanted = request.GET.get("week", "").strip()
    try:
        day = parse_date(wanted)
        problem = ""
    except ValueError:
        day, problem = None, BAD_WEEK.format(value=wanted)
    today = local_today(facility)
    start = week_start(day or today)
    days = [start + dt.timedelta(days=n) for n in range(7)]
    starts_at = day_bounds(days[0], facility.timezone)[0]
    ends_at = day_bounds(days[-1], facility.timezone)[1]
    courts = list(Court.objects.filter(agency_id=facility.agency_id).order_by("name"))
    court_id = request.GET.get("court", "")
    court = next((c for c in courts if str(c.public_id) == court_id), None)
    kind = request.GET.get("kind", "")
    kind = kind if kind in HearingKind.values else ""
    now = clock.now()
    hearings = [
        hearing
        for hearing in selectors.hearings_between(facility, starts_at, ends_at)
        if (court is None or hearing.case.court_id == court.pk)
        and (not kind or hearing.kind == kind)
    ]
    missed = {hearing.pk for hearing in selectors.missed_productions(facility, now)}
    perms = me(request).perms_at(facility.pk)
    moves = Perm.MOVEMENT_RECORD in perms
    rows: dict[dt.date, list[CalendarRow]] = {d: [] for d in days}
    for hearing in hearings:
        state = production_state(hearing, missed)
        local_day = clock.local(hearing.scheduled_at, facility.timezone).date()
        rows.setdefault(local_day, []).append(
            CalendarRow(
                hearing=hearing,
                tone="bad" if state == "missed" else HEARING_TONE.get(hearing.status, "muted"),
                production=state,
                can_produce=moves and state in ("to_produce", "missed"),
                can_return=moves and state == "at_court",
            )
        )
    court_key = str(court.public_id) if court else ""
    context = {
        "facility": facility,
        "tz": facility.timezone,
        "now": now,
        "today": today,
        "week": start,
        "days": [(d, rows.get(d, []), d == today) for d in days],
        "count": len(hearings),
        "missed_count": sum(1 for h in hearings if h.pk in missed),
        "courts": courts,
        "court": court,
        "kinds": HearingKind.choices,
        "kind": kind,
        "previous_url": _calendar_url(start - dt.timedelta(days=7), court_key, kind),
        "next_url": _calendar_url(start + dt.timedelta(days=7), court_key, kind),
        "this_week_url": _calendar_url(week_start(today), court_key, kind),
        "self_url": request.get_full_path(),
        "problem": problem,
        "escorts": staff_at(facility, Perm.MOVEMENT_RECORD) if moves else [],
        "can_record": Perm.COURT_RECORD in perms,
        "can_review": Perm.RELEASE_DATE_REVIEW in perms,
        "grace": policy_of(facility).court_production_grace_minutes,
    }
    return render(request, "court/calendar.html", context, status=400 if problem else 200)


def _moved(request: HttpRequest, hearing_id: uuid.UUID, produce: bool) -> HttpResponse:
    user = me(request)
    hearing = selectors.hearing_get_for_user(user, hearing_id)
    require_perm_at(request, Perm.MOVEMENT_RECORD, hearing.case.facility_id)
    form = posted(request)
    fallback = reverse("court:case", args=[hearing.case.public_id])
    person = hearing.case.person.full_name
    try:
        if produce:
            escort = None
            if form.get("escort"):
                escort = staff_named(
                    staff_at(hearing.case.facility, Perm.MOVEMENT_RECORD), form["escort"]
                )
                if escort is None:
                    messages.error(request, NO_SUCH_ESCORT)
                    return redirect(safe_next(request, fallback))
            done = hearing_produce(
                actor=user, hearing=hearing, escort=escort,
                emergency_reason=form.get("emergency_reason", ""),
            )  # fmt: skip
            where = done.courtroom or hearing.case.court.name
            messages.success(request, PRODUCED.format(person=person, where=where))
        else:
            hearing_return(actor=user, hearing=hearing)
            messages.success(request, RETURNED.format(person=person))
    except DomainError as exc:
        messages.error(request, problem_text(exc))
    return redirect(safe_next(request, fallback))


@require_POST
@requires(Perm.MOVEMENT_RECORD)
def produce(request: HttpRequest, hearing_id: uuid.UUID) -> HttpResponse:
    """Take the person to court: a movement to the courtroom, back after the hearing."""
    return _moved(request, hearing_id, produce=True)


@require_POST
@requires(Perm.MOVEMENT_RECORD)
def bring_back(request: HttpRequest, hearing_id: uuid.UUID) -> HttpResponse:
    """The person is back from court: the production movement ends."""
    return _moved(request, hearing_id, produce=False)


urlpatterns = [
    path("", calendar, name="calendar"),
    path("hearings/<uuid:hearing_id>/produce/", produce, name="hearing_produce"),
    path("hearings/<uuid:hearing_id>/return/", bring_back, name="hearing_return"),
]
