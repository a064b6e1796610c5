"""Reads of visit day: the board at the desk, the timer, and visits over their time.

The board reads every visit it shows in the same few queries whatever their
number (``selectors.schedule.with_details``): those checked in and waiting,
those under way with the seconds left on their timer (negative once over),
those ended whose visitors have not yet left, and the rest of today's
bookings still to come.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from cellblock.core import clock
from cellblock.custody.schedule import day_bounds
from cellblock.facilities.models import Facility
from cellblock.visits.models import Visit, VisitStatus
from cellblock.visits.selectors.schedule import with_details

# Visits between the desk and the door: on the board whatever day they were booked for.
AT_THE_DESK = (VisitStatus.CHECKED_IN, VisitStatus.IN_PROGRESS, VisitStatus.ENDED)


def seconds_left(visit: Visit, now: dt.datetime) -> int | None:
    """Seconds until the visit's due end (negative once past it); None before it starts."""
    due = visit.due_end_at
    if due is None:
        return None
    return int((due - now).total_seconds() // 1)


def overran_minutes(visit: Visit, now: dt.datetime | None = None) -> int | None:
    """Whole minutes past the due end: at its end, or so far while it runs (``now``).

    None before the visit starts; 0 while (or when it ended) within its time or
    in the minute the time ran out.
    """
    due = visit.due_end_at
    if due is None:
        return None
    end = visit.ended_at or now or clock.now()
    return max(0, int((end - due).total_seconds() // 60))


@dataclass(frozen=True)
class RunningVisit:
    """A visit under way and its timer."""

    visit: Visit
    # Seconds to its due end; negative once it runs over.
    seconds_left: int

    @property
    def overrun(self) -> bool:
        """At or past its due end: time to end it (the compliance board says so too)."""
        return self.seconds_left <= 0


@dataclass(frozen=True)
class VisitBoard:
    facility: Facility
    at: dt.datetime
    # Visitors checked in, waiting to be taken through.
    checked_in: list[Visit]
    # Under way, the one due to end first on top.
    in_progress: list[RunningVisit]
    # Over; the visitors still have to be seen out.
    ended: list[Visit]
    # Booked for later today (or due now and nobody at the desk yet).
    upcoming: list[Visit]

    @property
    def overrunning(self) -> list[RunningVisit]:
        return [running for running in self.in_progress if running.overrun]


def visit_day_board(facility: Facility, now: dt.datetime) -> VisitBoard:
    """The desk's board of today's visits: one read, four queries."""
    start, end = day_bounds(clock.local(now, facility.timezone).date(), facility.timezone)
    visits = list(
        with_details(
            Visit.objects.filter(facility_id=facility.pk).filter(
                Q(status__in=AT_THE_DESK)
                | Q(status=VisitStatus.SCHEDULED, starts_at__gte=start, starts_at__lt=end)
            )
        ).order_by("starts_at", "id")
    )
    running = [
        RunningVisit(visit, seconds_left(visit, now) or 0)
        for visit in visits
        if visit.status == VisitStatus.IN_PROGRESS
    ]
    running.sort(key=lambda item: (item.seconds_left, item.visit.pk))
    return VisitBoard(
        facility=facility, at=now,
        checked_in=[v for v in visits if v.status == VisitStatus.CHECKED_IN],
        in_progress=running,
        ended=[v for v in visits if v.status == VisitStatus.ENDED],
        upcoming=[v for v in visits if v.status == VisitStatus.SCHEDULED],
    )  # fmt: skip


def overrunning_visits(facility: Facility, now: dt.datetime) -> list[Visit]:
    """Visits under way at or past their due end, the longest over first: one query."""
    running = Visit.objects.filter(
        facility_id=facility.pk, status=VisitStatus.IN_PROGRESS, started_at__isnull=False
    ).select_related("booking__person", "room", "cell", "escort")
    over = [visit for visit in running if (seconds_left(visit, now) or 0) <= 0]
    return sorted(over, key=lambda visit: (seconds_left(visit, now) or 0, visit.pk))
