"""Reads of the visit schedule: one visit, a day's calendar, a booking's visits, a room's slots.

Every list is read in a fixed number of queries, whatever the number of
visits: the visits with their booking, person, place and override in one,
then one each for the visitors, the items screened and the door events.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.custody.models import DoorEvent
from cellblock.custody.schedule import at_local, day_bounds
from cellblock.facilities.models import Facility
from cellblock.visits.models import (
    BOOKED_STATUSES,
    Visit,
    VisitItem,
    VisitParticipant,
    VisitRoom,
    VisitStatus,
)
from cellblock.visits.rules import most_at_once

READ_PERM = Perm.VISIT_VIEW

# Visits still to come or under way; the rest are history.
UPCOMING_STATUSES = frozenset(
    {
        VisitStatus.REQUESTED,
        VisitStatus.SCHEDULED,
        VisitStatus.CHECKED_IN,
        VisitStatus.IN_PROGRESS,
        VisitStatus.ENDED,
    }
)


def visits_for_user(user: User) -> QuerySet[Visit]:
    """Visits at the facilities where ``user`` may see visits."""
    return Visit.objects.filter(facility_id__in=user.facilities_with(READ_PERM))


def with_details(visits: QuerySet[Visit]) -> QuerySet[Visit]:
    """Everything a visit shows: four queries for any number of visits."""
    return visits.select_related(
        "facility",
        "booking__person",
        "room",
        "cell",
        "requested_by",
        "authorised_by",
        "escort",
        "cancelled_by",
        "override__authorised_by",
    ).prefetch_related(
        Prefetch(
            "participants",
            queryset=VisitParticipant.objects.select_related("visitor__person").order_by("id"),
        ),
        Prefetch("items", queryset=VisitItem.objects.select_related("visitor", "screened_by")),
        Prefetch(
            "door_events",
            queryset=DoorEvent.objects.select_related("cell", "operated_by").order_by("at", "id"),
        ),
    )


def visit_get_for_user(user: User, public_id: str | uuid.UUID) -> Visit:
    """The visit, if ``user`` may see visits at its facility; otherwise 404."""
    key = parse_public_id(public_id, what="visit")
    visit = with_details(visits_for_user(user).filter(public_id=key)).first()
    if visit is None:
        raise NotFound(f"No visit with id {key}.")
    return visit


def visits_for_day(
    facility: Facility,
    day: dt.date,
    room: VisitRoom | None = None,
    *,
    include_cancelled: bool = False,
) -> list[Visit]:
    """The visits starting on ``day`` (the facility's local day), in time order."""
    start, end = day_bounds(day, facility.timezone)
    visits = Visit.objects.filter(facility_id=facility.pk, starts_at__gte=start, starts_at__lt=end)
    if room is not None:
        visits = visits.filter(room_id=room.pk)
    if not include_cancelled:
        visits = visits.exclude(status=VisitStatus.CANCELLED)
    return list(with_details(visits).order_by("starts_at", "id"))


def visits_for_booking(
    booking: Booking, *, upcoming: bool | None = None, limit: int | None = None
) -> list[Visit]:
    """The visits of ``booking``: ``upcoming`` soonest first; past (``False``) or all: newest
    first."""
    visits = Visit.objects.filter(booking_id=booking.pk)
    if upcoming:
        listed = visits.filter(status__in=UPCOMING_STATUSES).order_by("starts_at", "id")
    else:
        if upcoming is False:
            visits = visits.exclude(status__in=UPCOMING_STATUSES)
        listed = visits.order_by("-starts_at", "-id")
    listed = with_details(listed)
    return list(listed if limit is None else listed[:limit])


@dataclass(frozen=True)
class Slot:
    """One slot of a room's day: the visits booked in it and the places still free."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    visits: tuple[Visit, ...]
    free: int


def room_day_slots(room: VisitRoom, day: dt.date) -> list[Slot]:
    """The room's day cut into slots of the policy's visit length, opening to closing."""
    facility = room.facility
    zone = facility.timezone
    length = dt.timedelta(minutes=policy_of(facility).visit_length_minutes)
    opens, closes = at_local(day, room.opens_at, zone), at_local(day, room.closes_at, zone)
    booked = list(
        Visit.objects.filter(
            room_id=room.pk, status__in=BOOKED_STATUSES, starts_at__lt=closes, ends_at__gt=opens
        )
        .select_related("booking__person")
        .prefetch_related(
            Prefetch(
                "participants", queryset=VisitParticipant.objects.select_related("visitor__person")
            )
        )
        .order_by("starts_at", "id")
    )
    slots = []
    start = opens
    while start + length <= closes:
        end = start + length
        inside = tuple(v for v in booked if v.starts_at < end and v.ends_at > start)
        taken = most_at_once(((v.starts_at, v.ends_at) for v in inside), start, end)
        slots.append(Slot(start, end, inside, max(0, room.capacity - taken)))
        start = end
    return slots


def today(facility: Facility) -> dt.date:
    """The facility's local date now."""
    return clock.local(clock.now(), facility.timezone).date()
