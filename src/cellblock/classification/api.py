"""Classification API: special-management flags on a booking."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from cellblock.booking.selectors import booking_get_for_user
from cellblock.classification import services
from cellblock.classification.models import Flag, FlagKind
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import NotFound
from cellblock.core.roles import Perm

router = Router()


class FlagIn(Schema):
    kind: FlagKind
    detail: str = Field(default="", max_length=100)
    reason: str = Field(max_length=500)
    until: dt.datetime | None = None


class LiftIn(Schema):
    reason: str = Field(max_length=500)


class FlagOut(Schema):
    id: uuid.UUID
    kind: FlagKind
    detail: str
    reason: str
    set_at: dt.datetime
    set_by: str | None
    until: dt.datetime | None
    lifted_at: dt.datetime | None
    lift_reason: str


def flag_out(flag: Flag) -> FlagOut:
    return FlagOut(
        id=flag.public_id, kind=FlagKind(flag.kind), detail=flag.detail, reason=flag.reason,
        set_at=flag.set_at, set_by=flag.set_by.get_username() if flag.set_by else None,
        until=flag.until, lifted_at=flag.lifted_at, lift_reason=flag.lift_reason,
    )  # fmt: skip


@router.get(
    "/bookings/{booking_number}/flags",
    response=list[FlagOut],
    auth=api_requires(Perm.BOOKING_VIEW),
)
def list_flags(request: HttpRequest, booking_number: str) -> list[FlagOut]:
    """Every flag of the booking, lifted ones included (the history matters)."""
    booking = booking_get_for_user(acting_user(request), booking_number)
    return [flag_out(flag) for flag in booking.flags.select_related("set_by")]


@router.post(
    "/bookings/{booking_number}/flags",
    response={201: FlagOut},
    auth=api_requires(Perm.CLASSIFICATION_EDIT),
)
def set_flag(request: HttpRequest, booking_number: str, payload: FlagIn) -> Status[FlagOut]:
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    flag = services.flag_set(
        actor=user, booking=booking, kind=payload.kind, detail=payload.detail,
        reason=payload.reason, until=payload.until,
    )  # fmt: skip
    return Status(201, flag_out(flag))


@router.post(
    "/bookings/{booking_number}/flags/{flag_id}/lift",
    response=FlagOut,
    auth=api_requires(Perm.CLASSIFICATION_EDIT),
)
def lift_flag(
    request: HttpRequest, booking_number: str, flag_id: uuid.UUID, payload: LiftIn
) -> FlagOut:
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    flag = booking.flags.filter(public_id=flag_id).first()
    if flag is None:
        raise NotFound(f"No flag {flag_id} on booking {booking}.")
    flag.booking = booking
    return flag_out(services.flag_lift(actor=user, flag=flag, reason=payload.reason))
