"""Bookings API: open a booking (finding or creating the person), move it along."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from cellblock.booking import services
from cellblock.booking.models import Booking, BookingSource, BookingStatus, LegalStatus, ReleaseType
from cellblock.booking.selectors import booking_get_for_user, bookings_for_user
from cellblock.core.access import acting_user, api_requires
from cellblock.core.roles import Perm
from cellblock.facilities.selectors import facility_get_for_user
from cellblock.people.api import PersonOut, person_out
from cellblock.people.models import Sex
from cellblock.people.selectors import person_get_for_user
from cellblock.people.services import person_create

router = Router()


class NewPersonIn(Schema):
    given_name: str = Field(default="", max_length=100)
    family_name: str = Field(default="", max_length=100)
    date_of_birth: dt.date | None = None
    sex: Sex = Sex.UNKNOWN
    identifiers: dict[str, str] = {}


class BookingIn(Schema):
    facility: uuid.UUID
    source: BookingSource
    legal_status: LegalStatus = LegalStatus.PRETRIAL
    person_id: uuid.UUID | None = Field(default=None, description="An existing person")
    person: NewPersonIn | None = Field(default=None, description="Or a new one")


class TransitionIn(Schema):
    to: BookingStatus
    release_type: ReleaseType | None = None
    reason: str = Field(default="", max_length=1000)


class BookingOut(Schema):
    booking_number: str
    facility: uuid.UUID
    person: PersonOut
    status: str
    legal_status: str
    source: str
    booked_at: dt.datetime
    in_custody_at: dt.datetime | None
    released_at: dt.datetime | None
    release_type: str


def booking_out(booking: Booking) -> BookingOut:
    return BookingOut(
        booking_number=booking.booking_number, facility=booking.facility.public_id,
        person=person_out(booking.person), status=booking.status,
        legal_status=booking.legal_status, source=booking.source, booked_at=booking.booked_at,
        in_custody_at=booking.in_custody_at, released_at=booking.released_at,
        release_type=booking.release_type,
    )  # fmt: skip


@router.get("/", response=list[BookingOut], auth=api_requires(Perm.BOOKING_VIEW))
def list_bookings(request: HttpRequest, open_only: bool = True) -> list[BookingOut]:
    bookings = bookings_for_user(acting_user(request), open_only=open_only).prefetch_related(
        "person__identifiers"
    )
    return [booking_out(b) for b in bookings[:500]]


@router.post("/", response={201: BookingOut}, auth=api_requires(Perm.BOOKING_CREATE))
def open_booking(request: HttpRequest, payload: BookingIn) -> Status[BookingOut]:
    from cellblock.core.errors import ValidationFailed

    user = acting_user(request)
    facility = facility_get_for_user(user, payload.facility, Perm.BOOKING_CREATE)
    if (payload.person_id is None) == (payload.person is None):
        raise ValidationFailed.for_fields(
            {"person": ["give either person_id (an existing person) or person (a new one)."]}
        )
    with transaction.atomic():
        if payload.person is None:
            person = person_get_for_user(user, payload.person_id)  # type: ignore[arg-type]
        else:
            person = person_create(actor=user, facility=facility, **payload.person.dict())
        booking = services.booking_open(
            actor=user, facility=facility, person=person, source=payload.source,
            legal_status=payload.legal_status,
        )  # fmt: skip
    return Status(201, booking_out(booking))


@router.get("/{booking_number}", response=BookingOut, auth=api_requires(Perm.BOOKING_VIEW))
def get_booking(request: HttpRequest, booking_number: str) -> BookingOut:
    return booking_out(booking_get_for_user(acting_user(request), booking_number))


@router.post(
    "/{booking_number}/transition", response=BookingOut, auth=api_requires(Perm.BOOKING_VIEW)
)
def transition_booking(
    request: HttpRequest, booking_number: str, payload: TransitionIn
) -> BookingOut:
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    updated = services.booking_transition(
        actor=user, booking=booking, to=payload.to, release_type=payload.release_type or "",
        reason=payload.reason,
    )  # fmt: skip
    return booking_out(updated)
