"""Visits API: the schedule.

Check a visit against the rules, book it (the commander may override the
rules for one visit, with a reason and conditions), authorise an in-cell
visit, cancel, read one visit or a day's calendar.  People are named by
booking number; visits, visitors, rooms and facilities by public id.  A visit
that breaks a rule answers 409 ``visit_refused`` with every rule in
``extra.violations``; an override by anyone but the commander answers 403
``override_not_allowed``.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import NotFound, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.facilities.selectors import facility_get_for_user
from cellblock.visits.models import Visit, VisitKind, Visitor, VisitRoom, VisitStatus
from cellblock.visits.rules import Violation, age_on
from cellblock.visits.selectors import schedule as reads
from cellblock.visits.selectors.day import overran_minutes
from cellblock.visits.services.scheduling import (
    visit_authorise,
    visit_cancel,
    visit_check,
    visit_schedule,
)

router = Router()

NO_SUCH_VISITOR = "no visitor {id} is registered at {facility}."
NO_SUCH_ROOM = "no visit room {id} at {facility}."
WHICH_FACILITY = "say which facility (you see visits at more than one), or give a room or booking."
MAX_VISITORS = 10


# --- Schemas ----------------------------------------------------------------------------------


class OverrideIn(Schema):
    reason: str = Field(max_length=1000, description="Why this visit may go ahead")
    conditions: str = Field(max_length=1000, description="On what conditions it goes ahead")


class VisitCheckIn(Schema):
    booking_number: str = Field(max_length=32)
    kind: VisitKind
    visitor_ids: list[uuid.UUID] = Field(max_length=MAX_VISITORS)
    starts_at: dt.datetime
    minutes: int | None = Field(default=None, description="Default: the policy's visit length")
    room_id: uuid.UUID | None = Field(default=None, description="None for an in-cell visit")


class VisitIn(VisitCheckIn):
    notes: str = Field(default="", max_length=1000)
    override: OverrideIn | None = Field(
        default=None, description="The commander only: let this one visit break the rules"
    )


class CancelIn(Schema):
    reason: str = Field(max_length=500)


class ViolationOut(Schema):
    code: str
    message: str
    overridable: bool


class CheckOut(Schema):
    allowed: bool
    violations: list[ViolationOut]


class RoomRef(Schema):
    id: uuid.UUID
    code: str
    name: str


class VisitorOnVisit(Schema):
    id: uuid.UUID
    name: str
    minor: bool = Field(description="Under 18 on the day of the visit")
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None


class OverrideOut(Schema):
    rules: list[str]
    messages: list[str]
    reason: str
    conditions: str
    authorised_by: str
    authorised_at: dt.datetime


class ItemOut(Schema):
    id: uuid.UUID
    description: str
    outcome: str
    reason: str
    visitor: uuid.UUID | None
    screened_at: dt.datetime
    screened_by: str


class DoorEventOut(Schema):
    id: uuid.UUID
    action: str
    outcome: str
    cell: str | None
    at: dt.datetime
    operated_by: str


class VisitOut(Schema):
    id: uuid.UUID
    booking_number: str
    person: str
    kind: VisitKind
    status: VisitStatus
    room: RoomRef | None
    cell: str | None = Field(description="In-cell visits: the person's cell")
    starts_at: dt.datetime
    ends_at: dt.datetime
    minutes: int
    notes: str
    visitors: list[VisitorOnVisit]
    override: OverrideOut | None
    requested_at: dt.datetime
    requested_by: str | None
    authorised_at: dt.datetime | None
    authorised_by: str | None
    checked_in_at: dt.datetime | None
    escort: str | None
    started_at: dt.datetime | None
    due_end_at: dt.datetime | None
    ended_at: dt.datetime | None
    overran_minutes: int | None = Field(
        description="Minutes past its due end: when it ended, or so far while it runs"
    )
    checked_out_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str
    items: list[ItemOut]
    door_events: list[DoorEventOut]


# --- Building answers -----------------------------------------------------------------


def _username(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def visit_out(visit: Visit, now: dt.datetime | None = None) -> VisitOut:
    """The visit as the API shows it (loaded by ``selectors.schedule.with_details``)."""
    now = now or clock.now()
    person = visit.booking.person
    day = clock.local(visit.starts_at, visit.facility.timezone).date()
    override = getattr(visit, "override", None)
    return VisitOut(
        id=visit.public_id, booking_number=visit.booking.booking_number,
        person=person.full_name, kind=VisitKind(visit.kind), status=VisitStatus(visit.status),
        room=(
            RoomRef(id=visit.room.public_id, code=visit.room.code, name=visit.room.name)
            if visit.room is not None
            else None
        ),
        cell=visit.cell.code if visit.cell is not None else None,
        starts_at=visit.starts_at, ends_at=visit.ends_at, minutes=visit.minutes, notes=visit.notes,
        visitors=[
            VisitorOnVisit(
                id=p.visitor.public_id, name=p.visitor.person.full_name,
                minor=(
                    p.visitor.person.date_of_birth is not None
                    and age_on(p.visitor.person.date_of_birth, day) < 18
                ),
                checked_in_at=p.checked_in_at, checked_out_at=p.checked_out_at,
            )
            for p in visit.participants.all()
        ],
        override=(
            OverrideOut(
                rules=[str(code) for code in override.rules],
                messages=[str(text) for text in override.messages], reason=override.reason,
                conditions=override.conditions,
                authorised_by=override.authorised_by.get_username(),
                authorised_at=override.authorised_at,
            )
            if override is not None
            else None
        ),
        requested_at=visit.requested_at, requested_by=_username(visit.requested_by),
        authorised_at=visit.authorised_at, authorised_by=_username(visit.authorised_by),
        checked_in_at=visit.checked_in_at, escort=_username(visit.escort),
        started_at=visit.started_at, due_end_at=visit.due_end_at, ended_at=visit.ended_at,
        overran_minutes=overran_minutes(visit, now), checked_out_at=visit.checked_out_at,
        cancelled_at=visit.cancelled_at, cancel_reason=visit.cancel_reason,
        items=[
            ItemOut(
                id=item.public_id, description=item.description, outcome=item.outcome,
                reason=item.reason,
                visitor=item.visitor.public_id if item.visitor is not None else None,
                screened_at=item.screened_at, screened_by=item.screened_by.get_username(),
            )
            for item in visit.items.all()
        ],
        door_events=[
            DoorEventOut(
                id=event.public_id, action=event.action, outcome=event.outcome,
                cell=event.cell.code if event.cell is not None else None, at=event.at,
                operated_by=event.operated_by.get_username(),
            )
            for event in visit.door_events.all()
        ],
    )  # fmt: skip


def _answer(user: User, visit: Visit) -> VisitOut:
    return visit_out(reads.visit_get_for_user(user, visit.public_id))


def _violations(found: list[Violation]) -> list[ViolationOut]:
    return [ViolationOut(code=v.code, message=v.message, overridable=v.overridable) for v in found]


# --- Resolving names in a payload -------------------------------------------------------------


def visitors_named(facility: Facility, ids: list[uuid.UUID]) -> list[Visitor]:
    """The visitors of ``facility`` with these ids, in order; an unknown id is a 400."""
    found = {
        v.public_id: v
        for v in Visitor.objects.select_related("person").filter(
            facility_id=facility.pk, public_id__in=ids
        )
    }
    missing = [
        NO_SUCH_VISITOR.format(id=key, facility=facility.name) for key in ids if key not in found
    ]
    if missing:
        raise ValidationFailed.for_fields({"visitor_ids": missing})
    return [found[key] for key in ids]


def room_named(facility: Facility, room_id: uuid.UUID | None) -> VisitRoom | None:
    if room_id is None:
        return None
    room = VisitRoom.objects.filter(facility_id=facility.pk, public_id=room_id).first()
    if room is None:
        raise ValidationFailed.for_fields(
            {"room_id": [NO_SUCH_ROOM.format(id=room_id, facility=facility.name)]}
        )
    return room


def _request(user: User, payload: VisitCheckIn) -> tuple[Booking, list[Visitor], VisitRoom | None]:
    booking = booking_get_for_user(user, payload.booking_number)
    return (
        booking,
        visitors_named(booking.facility, payload.visitor_ids),
        room_named(booking.facility, payload.room_id),
    )


# --- Operations ---------------------------------------------------------------------------------


class ListFilters(Schema):
    day: dt.date | None = Field(default=None, description="Local day; default today")
    room: uuid.UUID | None = None
    booking: str | None = Field(default=None, max_length=32, description="Booking number")
    facility: uuid.UUID | None = Field(
        default=None, description="Needed only when you see visits at more than one facility"
    )
    upcoming: bool | None = Field(
        default=None, description="With booking: true still to come, false past, none all"
    )
    include_cancelled: bool = False


@router.get("", response=list[VisitOut], auth=api_requires(Perm.VISIT_VIEW))
def list_visits(request: HttpRequest, filters: Query[ListFilters]) -> list[VisitOut]:
    """A day's visits (a room's, or the facility's), or a booking's visits."""
    user = acting_user(request)
    now = clock.now()
    if filters.booking:
        booking = booking_get_for_user(user, filters.booking)
        if reads.READ_PERM not in user.perms_at(booking.facility_id):
            raise NotFound(f"No booking {filters.booking}.")
        visits = reads.visits_for_booking(booking, upcoming=filters.upcoming)
        if filters.day is not None:
            zone = booking.facility.timezone
            visits = [v for v in visits if clock.local(v.starts_at, zone).date() == filters.day]
        if not filters.include_cancelled:
            visits = [v for v in visits if v.status != VisitStatus.CANCELLED]
        return [visit_out(v, now) for v in visits]
    room: VisitRoom | None = None
    if filters.room is not None:
        room = (
            VisitRoom.objects.select_related("facility")
            .filter(public_id=filters.room, facility_id__in=user.facilities_with(reads.READ_PERM))
            .first()
        )
        if room is None:
            raise NotFound(f"No visit room with id {filters.room}.")
        facility = room.facility
    elif filters.facility is not None:
        facility = facility_get_for_user(user, filters.facility, perm=reads.READ_PERM)
    else:
        mine = user.facilities_with(reads.READ_PERM)
        if len(mine) != 1:
            raise ValidationFailed.for_fields({"facility": [WHICH_FACILITY]})
        facility = Facility.objects.get(pk=mine[0])
    day = filters.day or reads.today(facility)
    visits = reads.visits_for_day(facility, day, room, include_cancelled=filters.include_cancelled)
    return [visit_out(v, now) for v in visits]


@router.post("/check", response=CheckOut, auth=api_requires(Perm.VISIT_SCHEDULE))
def check_visit(request: HttpRequest, payload: VisitCheckIn) -> CheckOut:
    """Which rules the visit would break if booked now (nothing is stored)."""
    user = acting_user(request)
    booking, visitors, room = _request(user, payload)
    found = visit_check(
        actor=user, booking=booking, kind=payload.kind, visitors=visitors,
        starts_at=payload.starts_at, minutes=payload.minutes, room=room,
    )  # fmt: skip
    return CheckOut(allowed=not found, violations=_violations(found))


# Open to everyone who sees visits: booking needs ``visit.schedule`` and an override
# ``visit.override``, both checked by the service, so that anyone asking for an override
# (an officer too) hears that only the commander gives one.
@router.post("", response={201: VisitOut}, auth=api_requires(Perm.VISIT_VIEW))
def schedule_visit(request: HttpRequest, payload: VisitIn) -> Status[VisitOut]:
    """Book a visit (``visit.schedule``); 409 ``visit_refused`` names every rule it breaks."""
    user = acting_user(request)
    booking, visitors, room = _request(user, payload)
    override = payload.override
    visit = visit_schedule(
        actor=user, booking=booking, kind=payload.kind, visitors=visitors,
        starts_at=payload.starts_at, minutes=payload.minutes, room=room, notes=payload.notes,
        override_reason=override.reason if override else "",
        override_conditions=override.conditions if override else "",
    )  # fmt: skip
    return Status(201, _answer(user, visit))


@router.get("/{uuid:visit_id}", response=VisitOut, auth=api_requires(Perm.VISIT_VIEW))
def get_visit(request: HttpRequest, visit_id: uuid.UUID) -> VisitOut:
    """One visit: its place, visitors, override, items and door events."""
    return visit_out(reads.visit_get_for_user(acting_user(request), visit_id))


@router.post(
    "/{uuid:visit_id}/authorise", response=VisitOut, auth=api_requires(Perm.VISIT_AUTHORISE)
)
def authorise_visit(request: HttpRequest, visit_id: uuid.UUID) -> VisitOut:
    """Authorise an in-cell visit awaiting it (the rules are checked again)."""
    user = acting_user(request)
    visit = reads.visit_get_for_user(user, visit_id)
    visit_authorise(actor=user, visit=visit)
    return _answer(user, visit)


@router.post("/{uuid:visit_id}/cancel", response=VisitOut, auth=api_requires(Perm.VISIT_OPERATE))
def cancel_visit(request: HttpRequest, visit_id: uuid.UUID, payload: CancelIn) -> VisitOut:
    """Cancel a visit not yet under way, with the reason (``visit.schedule``; the desk,
    ``visit.operate``, may cancel a visit checked in)."""
    user = acting_user(request)
    visit = reads.visit_get_for_user(user, visit_id)
    visit_cancel(actor=user, visit=visit, reason=payload.reason)
    return _answer(user, visit)
