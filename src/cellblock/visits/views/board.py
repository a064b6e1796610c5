"""Pages: today's visits, for the officers at the desk and the escorts.

Upcoming visits, visitors checked in and waiting, visits in progress with a
countdown timer (red and prompting to end the visit at zero), and visits
ended whose visitors still have to be checked out.  The board redraws itself
by htmx every half minute with ``?poll=1``, which does not count as someone
at the keyboard, so a board left open still locks an idle session.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.roles import Perm
from cellblock.visits.selectors.day import visit_day_board
from cellblock.visits.views.common import Timer, facility_for, fragment, is_htmx, me

# The board redraws itself this often (seconds).
REFRESH_SECONDS = 30


@require_GET
@requires(Perm.VISIT_VIEW)
def board(request: HttpRequest) -> HttpResponse:
    """Today's visits: upcoming, checked in, in progress with their timers, ended."""
    facility = facility_for(request, Perm.VISIT_VIEW)
    now = clock.now()
    day = visit_day_board(facility, now)
    perms = me(request).perms_at(facility.pk)
    context = {
        "facility": facility,
        "tz": facility.timezone,
        "now": now,
        "board": day,
        "running": [
            (r.visit, Timer(r.seconds_left), f"end-{r.visit.public_id}") for r in day.in_progress
        ],
        "length": policy_of(facility).visit_length_minutes,
        "can_operate": Perm.VISIT_OPERATE in perms,
        "can_schedule": Perm.VISIT_SCHEDULE in perms,
        "refresh_url": reverse("visits:board"),
        "refresh_seconds": REFRESH_SECONDS,
        "self_url": reverse("visits:board"),
    }
    template = "visits/board.html#board" if is_htmx(request) else "visits/board.html"
    return fragment(render(request, template, context))


urlpatterns = [
    path("", board, name="board"),
]
