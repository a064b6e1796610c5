"""Reads of movements: who is out now, whose return is overdue, and minutes out per person."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, F, FilteredRelation, Q, QuerySet, Value, When

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES
from cellblock.classification.selectors import policy_of
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import ROLE_PERMS, Perm
from cellblock.custody.models import Destination, Movement
from cellblock.facilities.models import Facility

READ_PERM = Perm.HOUSING_VIEW


def movements_for_user(user: User) -> QuerySet[Movement]:
    return Movement.objects.filter(booking__facility_id__in=user.facilities_with(READ_PERM))


def with_columns(movements: QuerySet[Movement]) -> QuerySet[Movement]:
    """Who, where they sleep and who took them: one query, a join per column.

    Adds ``unit_code``, ``unit_name`` and ``cell_code`` (None when not housed)
    and the usernames ``escort_username``, ``recorded_by_username`` and
    ``returned_by_username`` (lists show names, not whole staff records).
    """
    return movements.select_related("booking__person").annotate(
        current_bed=FilteredRelation(
            "booking__bed_assignments",
            condition=Q(booking__bed_assignments__ended_at__isnull=True),
        ),
        unit_code=F("current_bed__bed__cell__unit__code"),
        unit_name=F("current_bed__bed__cell__unit__name"),
        cell_code=F("current_bed__bed__cell__code"),
        escort_username=F("escort__username"),
        recorded_by_username=F("recorded_by__username"),
        returned_by_username=F("returned_recorded_by__username"),
    )


def movement_get_for_user(user: User, public_id: str | uuid.UUID) -> Movement:
    """The movement, if ``user`` may see its facility; otherwise 404."""
    key = parse_public_id(public_id, what="movement")
    movement = (
        with_columns(movements_for_user(user).filter(public_id=key))
        .select_related("booking__facility")
        .first()
    )
    if movement is None:
        raise NotFound(f"No movement with id {key}.")
    return movement


def _open(facility: Facility) -> QuerySet[Movement]:
    return Movement.objects.filter(
        booking__facility_id=facility.pk,
        booking__status__in=OPEN_STATUSES,
        returned_at__isnull=True,
    )


def open_movements(
    facility: Facility,
    *,
    unit_id: int | None = None,
    overdue_first_at: dt.datetime | None = None,
    grace: dt.timedelta | None = None,
    limit: int | None = None,
) -> list[Movement]:
    """Everyone out now, longest out first: one query.

    ``unit_id`` keeps those who sleep in that unit; ``overdue_first_at`` (with
    ``grace``) puts the returns overdue at that moment first; ``limit`` cuts
    the list (a page shows the most urgent of a large facility).
    """
    found = _open(facility)
    if unit_id is not None:
        found = found.filter(
            booking__bed_assignments__ended_at__isnull=True,
            booking__bed_assignments__bed__cell__unit_id=unit_id,
        )
    order: list[Any] = ["left_at", "id"]
    if overdue_first_at is not None:
        cutoff = overdue_first_at - (grace or dt.timedelta())
        order.insert(0, Case(When(expected_return_at__lte=cutoff, then=Value(0)), default=Value(1)))
    listed = with_columns(found).order_by(*order)
    return list(listed if limit is None else listed[:limit])


@dataclass(frozen=True)
class OutNow:
    out: int
    overdue: int


def out_now(facility: Facility, now: dt.datetime, grace: dt.timedelta) -> OutNow:
    """How many are out, and how many of them overdue: one query."""
    row = _open(facility).aggregate(
        out=Count("id"), overdue=Count("id", filter=Q(expected_return_at__lte=now - grace))
    )
    return OutNow(row["out"], row["overdue"])


def return_grace(facility: Facility) -> dt.timedelta:
    return dt.timedelta(minutes=policy_of(facility).movement_return_grace_minutes)


def overdue_since(movement: Movement, grace: dt.timedelta) -> dt.datetime | None:
    """When the return became overdue (expected back plus the grace); None if no time was set."""
    if movement.expected_return_at is None:
        return None
    return movement.expected_return_at + grace


def is_overdue(movement: Movement, grace: dt.timedelta, now: dt.datetime) -> bool:
    """Still out at or past the expected return plus the grace (policy)."""
    since = overdue_since(movement, grace)
    return movement.returned_at is None and since is not None and now >= since


def overdue_movements(facility: Facility, now: dt.datetime) -> list[Movement]:
    """Open movements whose return is overdue at ``now``, most overdue first: two queries.

    Overdue from ``expected_return_at`` + ``policy.movement_return_grace_minutes``
    (at that minute, not after it); a movement with no expected return is never
    overdue (an assignment with no return expected).
    """
    grace = return_grace(facility)
    return list(
        with_columns(_open(facility).filter(expected_return_at__lte=now - grace)).order_by(
            "expected_return_at", "id"
        )
    )


def escorts_at(facility: Facility) -> list[User]:
    """Staff who may escort people at ``facility`` (they record movements): one query."""
    roles = [role for role, perms in ROLE_PERMS.items() if Perm.MOVEMENT_RECORD in perms]
    return list(
        User.objects.filter(
            is_active=True,
            memberships__facility_id=facility.pk,
            memberships__active=True,
            memberships__role__in=roles,
        )
        .distinct()
        .order_by("full_name", "username")
    )


# --- Minutes out of cell --------------------------------------------------------------

EXERCISE = frozenset({Destination.EXERCISE_YARD})


@dataclass
class TimeOut:
    """One person's minutes out of their cell in a period, split by what they did."""

    minutes: int = 0
    # With other people (visit, clinic, programme, court): Mandela Rule 44.
    contact_minutes: int = 0
    # In the exercise yard: Mandela Rule 23.
    exercise_minutes: int = 0


def _minutes(start: dt.datetime, end: dt.datetime) -> int:
    return max(int((end - start).total_seconds() // 60), 0)


def time_out_of_cell(
    booking_ids: list[int], start: dt.datetime, end: dt.datetime
) -> dict[int, TimeOut]:
    """Minutes each booking spent out of their cell in [start, end): one query.

    A movement still open counts until ``end``; overlapping parts are clipped
    to the period, so a day's figures add up across days.
    """
    found: dict[int, TimeOut] = {booking_id: TimeOut() for booking_id in booking_ids}
    rows = (
        Movement.objects.filter(booking_id__in=booking_ids, left_at__lt=end)
        .filter(Q(returned_at__isnull=True) | Q(returned_at__gt=start))
        .values_list("booking_id", "left_at", "returned_at", "destination", "meaningful_contact")
    )
    for booking_id, left_at, returned_at, destination, contact in rows:
        minutes = _minutes(max(left_at, start), min(returned_at or end, end))
        out = found[booking_id]
        out.minutes += minutes
        if contact:
            out.contact_minutes += minutes
        if destination in EXERCISE:
            out.exercise_minutes += minutes
    return found
