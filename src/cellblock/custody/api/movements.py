"""Movements API: take a person out of their cell or the facility, record the return, list.

People are named by booking number, escorts by username, movements and
facilities by public id.  Recording needs ``movement.record``; reading
``housing.view``.  During a formal count a movement out is refused (409
``count_in_progress``) unless ``emergency_reason`` says why it cannot wait.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.models import Destination, Movement, MovementKind
from cellblock.custody.selectors import movements as reads
from cellblock.custody.services.movements import movement_return, movement_start
from cellblock.facilities.models import Facility
from cellblock.facilities.selectors import facility_get_for_user

router = Router()

NO_SUCH_STAFF = "no member of staff '{username}' works at {facility}."
LIST_LIMIT = 500


def staff_named(facility: Facility, username: str, field: str) -> User:
    """A member of staff of ``facility`` by username, or a 400 naming ``field``."""
    name = username.strip()
    staff = (
        User.objects.filter(
            username=name, memberships__facility_id=facility.pk, memberships__active=True
        )
        .distinct()
        .first()
    )
    if staff is None:
        raise ValidationFailed.for_fields(
            {field: [NO_SUCH_STAFF.format(username=name, facility=facility.name)]}
        )
    return staff


class MovementIn(Schema):
    booking: str = Field(max_length=32, description="Booking number")
    destination: Destination
    destination_detail: str = Field(
        default="", max_length=200, description="The room, courtroom or hospital; needed for other"
    )
    escort: str | None = Field(default=None, max_length=150, description="Username")
    expected_return_at: dt.datetime | None = None
    reason: str = Field(default="", max_length=500)
    emergency_reason: str = Field(
        default="", max_length=500, description="During a formal count: why it cannot wait"
    )
    at: dt.datetime | None = Field(default=None, description="When they left; default now")


class ReturnIn(Schema):
    at: dt.datetime | None = Field(default=None, description="When they came back; default now")


class MovementOut(Schema):
    id: uuid.UUID
    booking_number: str
    person: str
    unit: str | None = Field(description="Where they sleep (unit code); null if not housed")
    cell: str | None
    kind: MovementKind
    destination: Destination
    destination_detail: str
    meaningful_contact: bool
    escort: str | None
    left_at: dt.datetime
    expected_return_at: dt.datetime | None
    returned_at: dt.datetime | None
    overdue: bool
    overdue_since: dt.datetime | None = Field(
        description="Expected return plus the policy's grace: overdue from then if still out"
    )
    reason: str
    emergency_reason: str
    recorded_by: str | None
    returned_recorded_by: str | None


def movement_out(movement: Movement, grace: dt.timedelta, now: dt.datetime) -> MovementOut:
    """The movement as listed (``reads.with_columns``)."""
    person = movement.booking.person
    return MovementOut(
        id=movement.public_id, booking_number=movement.booking.booking_number,
        person=f"{person.given_name} {person.family_name}",
        unit=getattr(movement, "unit_code", None), cell=getattr(movement, "cell_code", None),
        kind=MovementKind(movement.kind), destination=Destination(movement.destination),
        destination_detail=movement.destination_detail,
        meaningful_contact=movement.meaningful_contact,
        escort=getattr(movement, "escort_username", None),
        left_at=movement.left_at, expected_return_at=movement.expected_return_at,
        returned_at=movement.returned_at, overdue=reads.is_overdue(movement, grace, now),
        overdue_since=reads.overdue_since(movement, grace), reason=movement.reason,
        emergency_reason=movement.emergency_reason,
        recorded_by=getattr(movement, "recorded_by_username", None),
        returned_recorded_by=getattr(movement, "returned_by_username", None),
    )  # fmt: skip


def _answer(user: User, movement: Movement) -> MovementOut:
    fresh = reads.movement_get_for_user(user, movement.public_id)
    return movement_out(fresh, reads.return_grace(fresh.booking.facility), clock.now())


@router.post("/movements", response={201: MovementOut}, auth=api_requires(Perm.MOVEMENT_RECORD))
def start_movement(request: HttpRequest, payload: MovementIn) -> Status[MovementOut]:
    """Take a person out of their cell (yard, visit room, clinic) or the facility (court...)."""
    user = acting_user(request)
    booking = booking_get_for_user(user, payload.booking)
    escort = staff_named(booking.facility, payload.escort, "escort") if payload.escort else None
    movement = movement_start(
        actor=user, booking=booking, destination=payload.destination,
        destination_detail=payload.destination_detail, escort=escort,
        expected_return_at=payload.expected_return_at, reason=payload.reason,
        emergency_reason=payload.emergency_reason, at=payload.at,
    )  # fmt: skip
    return Status(201, _answer(user, movement))


@router.post(
    "/movements/{movement_id}/return",
    response=MovementOut,
    auth=api_requires(Perm.MOVEMENT_RECORD),
)
def return_movement(
    request: HttpRequest, movement_id: uuid.UUID, payload: ReturnIn | None = None
) -> MovementOut:
    """Record that the person is back (accepted during a formal count)."""
    user = acting_user(request)
    movement = reads.movement_get_for_user(user, movement_id)
    movement_return(actor=user, movement=movement, at=payload.at if payload else None)
    return _answer(user, movement)


@router.get("/movements", response=list[MovementOut], auth=api_requires(Perm.HOUSING_VIEW))
def list_movements(
    request: HttpRequest,
    facility: uuid.UUID,
    open: bool | None = None,
    overdue: bool = False,
    limit: int = 200,
) -> list[MovementOut]:
    """The facility's movements: ``open=true`` who is out now (longest out first),
    ``open=false`` the returned (newest first), ``overdue=true`` only overdue returns."""
    if not 1 <= limit <= LIST_LIMIT:
        raise ValidationFailed.for_fields({"limit": [f"must be from 1 to {LIST_LIMIT}."]})
    user = acting_user(request)
    place = facility_get_for_user(user, facility, perm=reads.READ_PERM)
    now = clock.now()
    grace = reads.return_grace(place)
    found: list[Movement]
    if overdue:
        found = reads.overdue_movements(place, now)
        if open is False:
            found = []
    elif open:
        found = reads.open_movements(place)
    else:
        listed = reads.with_columns(
            Movement.objects.filter(booking__facility_id=place.pk)
        ).order_by("-left_at", "-id")
        if open is False:
            listed = listed.filter(returned_at__isnull=False)
        found = list(listed[:limit])
    return [movement_out(m, grace, now) for m in found[:limit]]
