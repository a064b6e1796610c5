"""Movements: a person taken out of their cell or the facility, and their return.

The kind follows from the destination (court, hospital and assignments are
outside the walls) and so does meaningful contact (Mandela Rule 44).  While a
formal count is open nobody leaves unless it is an emergency, recorded as such;
returns are always accepted, and the count's sheets take them into account.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.freeze import movement_freeze_check
from cellblock.custody.models import (
    CONTACT_DESTINATIONS,
    OUTSIDE_DESTINATIONS,
    Destination,
    Movement,
    MovementKind,
)
from cellblock.facilities.models import Facility
from cellblock.housing.services import facility_moves_lock

MISSING_ROLE = "Your roles at {facility} do not allow this: it needs {perm}."
AT_NAIVE = "must say its time zone."
AT_IN_FUTURE = "is in the future: record what has happened."
AT_BEFORE_BOOKING = "is before {booking} was booked ({booked_at:%Y-%m-%d %H:%M})."
AT_BEFORE_LEFT = "is before the person left ({left_at:%Y-%m-%d %H:%M})."
UNKNOWN_DESTINATION = "must be one of {choices}."
DETAIL_NEEDED = "is required for 'other': say where."
TOO_LONG = "is too long: at most {limit} characters."
ESCORT_NOT_HERE = (
    "{escort} does not escort people at {facility}: choose an officer of the facility."
)
RETURN_NOT_AFTER = "must be after the person leaves ({left_at:%Y-%m-%d %H:%M})."
BOOKING_CLOSED = "{booking} is no longer held: nobody to take out."
ALREADY_OUT = (
    "{booking} is already out ({destination} since {left_at:%H:%M}): record the return first."
)
WAS_OUT_THEN = "{booking} was out at that time ({destination} from {left_at:%Y-%m-%d %H:%M})."
ALREADY_RETURNED = "{booking} already returned from {destination} at {returned_at:%H:%M}."


def local(moment: dt.datetime, facility: Facility) -> dt.datetime:
    """``moment`` on the facility's wall clock, as messages give times."""
    return clock.local(moment, facility.timezone)


def require_perm(actor: User | None, perm: Perm, facility: Facility) -> None:
    if actor is not None and perm not in actor.perms_at(facility.pk):
        raise PermissionDenied(
            MISSING_ROLE.format(facility=facility.name, perm=perm.value), code="missing_role"
        )


def fact_time(
    at: dt.datetime | None,
    errors: dict[str, list[str]],
    *,
    field: str = "at",
    not_before: dt.datetime | None = None,
    not_before_message: str = "",
) -> dt.datetime:
    """When a fact happened: ``at`` or now; a future or too early time is a field error."""
    now = clock.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        errors.setdefault(field, []).append(AT_NAIVE)
        return now
    if at > now:
        errors.setdefault(field, []).append(AT_IN_FUTURE)
    elif not_before is not None and at < not_before:
        errors.setdefault(field, []).append(not_before_message)
    return at


def _text(value: str, limit: int, field: str, errors: dict[str, list[str]]) -> str:
    value = value.strip()
    if len(value) > limit:
        errors.setdefault(field, []).append(TOO_LONG.format(limit=limit))
    return value


def moves_lock(facility: Facility) -> None:
    """Queue the moves, movements and counts of one facility: the housing moves' lock.

    A movement and a count start must not cross (the sheet would miss the
    person, or the count would freeze someone half out of the door), and both
    must queue behind bed moves.
    """
    facility_moves_lock(facility)


def escort_may_escort(escort: User, facility: Facility) -> bool:
    """Escorts are staff of the facility who take people out themselves (officers and up)."""
    return escort.is_active and Perm.MOVEMENT_RECORD in escort.perms_at(facility.pk)


def movement_start(
    *,
    actor: User | None,
    booking: Booking,
    destination: str,
    destination_detail: str = "",
    escort: User | None = None,
    expected_return_at: dt.datetime | None = None,
    reason: str = "",
    emergency_reason: str = "",
    at: dt.datetime | None = None,
) -> Movement:
    """Take ``booking`` out of their cell (or the facility) to ``destination``.

    Refused during a formal count (409 ``count_in_progress``) unless
    ``emergency_reason`` says why it cannot wait; one movement at a time per
    person (409 ``already_out``).
    """
    facility = booking.facility
    require_perm(actor, Perm.MOVEMENT_RECORD, facility)
    errors: dict[str, list[str]] = {}
    if destination not in Destination.values:
        errors["destination"] = [UNKNOWN_DESTINATION.format(choices=", ".join(Destination.values))]
    detail = _text(destination_detail, 200, "destination_detail", errors)
    if destination == Destination.OTHER and not detail:
        errors.setdefault("destination_detail", []).append(DETAIL_NEEDED)
    reason = _text(reason, 500, "reason", errors)
    emergency_reason = _text(emergency_reason, 500, "emergency_reason", errors)
    left_at = fact_time(
        at, errors, not_before=booking.booked_at,
        not_before_message=AT_BEFORE_BOOKING.format(
            booking=booking.booking_number, booked_at=local(booking.booked_at, facility)
        ),
    )  # fmt: skip
    if expected_return_at is not None:
        if timezone.is_naive(expected_return_at):
            errors.setdefault("expected_return_at", []).append(AT_NAIVE)
        elif expected_return_at <= left_at:
            errors.setdefault("expected_return_at", []).append(
                RETURN_NOT_AFTER.format(left_at=local(left_at, facility))
            )
    if escort is not None and not escort_may_escort(escort, facility):
        errors["escort"] = [
            ESCORT_NOT_HERE.format(escort=escort.get_username(), facility=facility.name)
        ]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        # The count takes this lock too: a count never misses a movement in flight.
        moves_lock(facility)
        emergency = movement_freeze_check(
            facility, what="taking people out of their cells", emergency_reason=emergency_reason
        )
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.status not in OPEN_STATUSES:
            raise Conflict(
                BOOKING_CLOSED.format(booking=locked.booking_number), code="booking_closed"
            )
        _refuse_overlap(locked, left_at)
        try:
            # No savepoint: a refusal here rolls the whole movement back anyway.
            movement = Movement.objects.create(
                booking=locked, destination=destination, destination_detail=detail,
                kind=(
                    MovementKind.OUT_OF_FACILITY
                    if destination in OUTSIDE_DESTINATIONS
                    else MovementKind.OUT_OF_CELL
                ),
                meaningful_contact=destination in CONTACT_DESTINATIONS,
                escort=escort, left_at=left_at, expected_return_at=expected_return_at,
                reason=reason, emergency_reason=emergency, recorded_by=actor,
            )  # fmt: skip
        except IntegrityError as error:
            # The constraint is the last line: a movement recorded a moment ago.
            raise Conflict(
                ALREADY_OUT.format(
                    booking=locked.booking_number,
                    destination=destination,
                    left_at=local(left_at, facility),
                ),
                code="already_out",
            ) from error
        audit_record(
            actor=actor, action="movement.start", obj=movement, facility=facility,
            object_label=f"{locked.booking_number} to {movement.get_destination_display()}",
            reason=reason,
            changes={
                "booking": locked.booking_number, "destination": destination,
                "detail": detail, "kind": movement.kind,
                "escort": escort.get_username() if escort else None,
                "left_at": left_at, "expected_return_at": expected_return_at,
                **({"emergency": emergency} if emergency else {}),
            },
        )  # fmt: skip
    locked.facility = facility
    movement.booking = locked
    return movement


def _refuse_overlap(booking: Booking, left_at: dt.datetime) -> None:
    """One movement at a time: none open, and (for a late entry) none covering ``left_at``."""
    clash = (
        Movement.objects.filter(booking=booking)
        .filter(Q(returned_at__isnull=True) | Q(left_at__lte=left_at, returned_at__gt=left_at))
        # The open one first: it is what the officer must close.
        .order_by(F("returned_at").asc(nulls_first=True))
        .first()
    )
    if clash is None:
        return
    message = ALREADY_OUT if clash.returned_at is None else WAS_OUT_THEN
    raise Conflict(
        message.format(
            booking=booking.booking_number, destination=clash.get_destination_display(),
            left_at=local(clash.left_at, booking.facility),
        ),
        code="already_out",
        extra={"movement": str(clash.public_id), "destination": clash.destination},
    )  # fmt: skip


def movement_return(
    *, actor: User | None, movement: Movement, at: dt.datetime | None = None
) -> Movement:
    """Record that the person is back (accepted during a count: the sheets allow for it)."""
    booking = movement.booking
    facility = booking.facility
    require_perm(actor, Perm.MOVEMENT_RECORD, facility)
    errors: dict[str, list[str]] = {}
    returned_at = fact_time(
        at, errors, not_before=movement.left_at,
        not_before_message=AT_BEFORE_LEFT.format(left_at=local(movement.left_at, facility)),
    )  # fmt: skip
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = Movement.objects.select_for_update().get(pk=movement.pk)
        if locked.returned_at is not None:
            raise Conflict(
                ALREADY_RETURNED.format(
                    booking=booking.booking_number, destination=locked.get_destination_display(),
                    returned_at=local(locked.returned_at, facility),
                ),
                code="already_returned",
            )  # fmt: skip
        locked.returned_at = returned_at
        locked.returned_recorded_by = actor
        locked.save(update_fields=["returned_at", "returned_recorded_by"])
        late = locked.expected_return_at is not None and returned_at > locked.expected_return_at
        audit_record(
            actor=actor, action="movement.return", obj=locked, facility=facility,
            object_label=f"{booking.booking_number} back from {locked.get_destination_display()}",
            changes={
                "booking": booking.booking_number, "destination": locked.destination,
                "returned_at": returned_at,
                "minutes_out": int((returned_at - locked.left_at).total_seconds() // 60),
                **({"late": True} if late else {}),
            },
        )  # fmt: skip
    locked.booking = booking
    return locked
