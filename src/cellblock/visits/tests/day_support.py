"""Visits booked straight into the records for the visit-day tests (not through the schedule)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.housing.models import BedAssignment
from cellblock.visits.models import (
    Guardianship,
    ListEntryStatus,
    Relationship,
    Visit,
    VisitingListEntry,
    VisitKind,
    Visitor,
    VisitOverride,
    VisitParticipant,
    VisitRoom,
    VisitStatus,
)
from cellblock.visits.tests.conftest import NOW


def on_list(booking: Booking, *visitors: Visitor) -> None:
    """Put the visitors on the person's visiting list, approved."""
    for visitor in visitors:
        VisitingListEntry.objects.create(
            booking=booking, visitor=visitor, relationship=Relationship.FRIEND,
            status=ListEntryStatus.APPROVED, added_at=NOW - dt.timedelta(days=10),
        )  # fmt: skip


def guardian_of(minor: Visitor, guardian: Visitor) -> Guardianship:
    return Guardianship.objects.create(
        minor=minor, guardian=guardian, role="parent", recorded_at=NOW - dt.timedelta(days=10)
    )


def booked(
    booking: Booking,
    visitors: Sequence[Visitor],
    *,
    room: VisitRoom | None = None,
    starts_at: dt.datetime = NOW,
    minutes: int | None = None,
    kind: str | None = None,
    listed: bool = True,
) -> Visit:
    """A visit booked two days ago for ``starts_at`` (in the person's cell if no room)."""
    length = minutes or booking.facility.policy.visit_length_minutes
    cell = None
    if room is None:
        cell = BedAssignment.objects.get(booking=booking, ended_at__isnull=True).bed.cell
    visit = Visit.objects.create(
        facility=booking.facility, booking=booking,
        kind=kind or (VisitKind.CONTACT if room else VisitKind.IN_CELL),
        status=VisitStatus.SCHEDULED, room=room, cell=cell, starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=length),
        requested_at=NOW - dt.timedelta(days=2),
        authorised_at=None if room else NOW - dt.timedelta(days=2),
    )  # fmt: skip
    VisitParticipant.objects.bulk_create(
        [VisitParticipant(visit=visit, visitor=visitor) for visitor in visitors]
    )
    if listed:
        on_list(booking, *visitors)
    return visit


def overridden(visit: Visit, by: User, *codes: str) -> VisitOverride:
    """The commander's one-time leave for ``visit`` despite ``codes``."""
    return VisitOverride.objects.create(
        visit=visit, rules=list(codes), messages=[], reason="He accepted an assignment.",
        conditions="An officer stays at the door.", authorised_at=clock.now(), authorised_by=by,
    )  # fmt: skip
