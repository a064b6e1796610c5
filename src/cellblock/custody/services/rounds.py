"""Observation rounds: an officer looked at a person in their cell, and how they were.

A check is a fact with its time (``at`` for an entry written after the round),
the cell the person was housed in at that moment, a status and, when staff
went in and spoke with the person, ``welfare_contact`` (meaningful contact
for the solitary clock).  Nobody is checked in a cell they are not housed in,
nor while a movement has them out of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.models import CheckStatus, Movement, RoundCheck
from cellblock.facilities.models import Cell, Facility
from cellblock.housing.models import BedAssignment

NEEDS_ROUNDS = "Recording observation checks at {facility} needs the rounds.record permission."
AT_NAIVE = "give the time with its time zone (e.g. 2026-03-14T11:00:00Z)."
AT_IN_FUTURE = "must not be in the future."
AT_BEFORE_BOOKING = "must not be before the booking ({booked})."
UNKNOWN_STATUS = "must be one of: {choices}."
NOTE_TOO_LONG = "must be at most {limit} characters."
NO_CHECKS = "name at least one person and their status."
TWICE_IN_ROUND = "{booking} is named twice in this round."
BOOKING_CLOSED = "{booking} is no longer held: nobody is checked on a closed booking."
NOT_HOUSED = "{person} had no bed at {when}: only people housed in a cell are checked on rounds."
NOT_IN_CELL = "{person} is not housed in {cell} but in {actual}: check them in their own cell."
OUT_OF_CELL = (
    "{person} was out of their cell at {when} ({destination}, since {since}): "
    "check them when they are back."
)
WRONG_FACILITY = "{cell} is not in {facility}."

NOTE_LIMIT = 500


def recorded_moment(
    at: dt.datetime | None, booking: Booking, *, field: str = "at", now: dt.datetime | None = None
) -> dt.datetime:
    """When a fact happened: ``at`` (aware, not in the future, not before booking) or now."""
    now = now or clock.now()
    if at is None:
        return now
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationFailed.for_fields({field: [AT_NAIVE]})
    if at > now:
        raise ValidationFailed.for_fields({field: [AT_IN_FUTURE]})
    if at < booking.booked_at:
        zone = ZoneInfo(booking.facility.timezone)
        booked = booking.booked_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        raise ValidationFailed.for_fields({field: [AT_BEFORE_BOOKING.format(booked=booked)]})
    return at.astimezone(dt.UTC)


def _local(moment: dt.datetime, facility: Facility) -> str:
    return moment.astimezone(ZoneInfo(facility.timezone)).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class CheckEntry:
    """One person's line on a round of a cell."""

    booking: Booking
    status: str
    note: str = ""
    welfare_contact: bool = False
    # When this person was seen, if not when the round is recorded.
    at: dt.datetime | None = None


def _require_rounds(actor: User, facility: Facility) -> None:
    if Perm.ROUNDS_RECORD not in actor.perms_at(facility.pk):
        raise PermissionDenied(NEEDS_ROUNDS.format(facility=facility.name), code="missing_role")


def _field_errors(entry: CheckEntry, prefix: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if entry.status not in CheckStatus.values:
        errors[f"{prefix}status"] = [UNKNOWN_STATUS.format(choices=", ".join(CheckStatus.values))]
    if len(entry.note.strip()) > NOTE_LIMIT:
        errors[f"{prefix}note"] = [NOTE_TOO_LONG.format(limit=NOTE_LIMIT)]
    return errors


def _cell_at(booking: Booking, when: dt.datetime) -> Cell:
    """The cell ``booking`` was housed in at ``when`` and in it (409 if housed nowhere or out)."""
    person = booking.person.full_name
    facility = booking.facility
    # Read afresh: the caller's copy may predate a release.
    status = Booking.objects.filter(pk=booking.pk).values_list("status", flat=True).first()
    if status not in OPEN_STATUSES:
        raise Conflict(BOOKING_CLOSED.format(booking=booking), code="booking_closed")
    assignment = (
        BedAssignment.objects.filter(booking=booking, started_at__lte=when)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=when))
        .select_related("bed__cell__unit")
        .order_by("-started_at")
        .first()
    )
    if assignment is None:
        raise Conflict(
            NOT_HOUSED.format(person=person, when=_local(when, facility)),
            code="not_housed",
            extra={"booking": booking.booking_number},
        )
    away = (
        Movement.objects.filter(booking=booking, left_at__lte=when)
        .filter(Q(returned_at__isnull=True) | Q(returned_at__gt=when))
        .first()
    )
    if away is not None:
        raise Conflict(
            OUT_OF_CELL.format(
                person=person, when=_local(when, facility),
                destination=away.get_destination_display().lower(),
                since=_local(away.left_at, facility),
            ),
            code="out_of_cell",
            extra={"booking": booking.booking_number, "movement": str(away.public_id)},
        )  # fmt: skip
    return assignment.bed.cell


def _write(actor: User, entry: CheckEntry, cell: Cell, when: dt.datetime) -> RoundCheck:
    check = RoundCheck.objects.create(
        booking=entry.booking, cell=cell, checked_at=when, checked_by=actor,
        status=entry.status, note=entry.note.strip(), welfare_contact=entry.welfare_contact,
    )  # fmt: skip
    audit_record(
        actor=actor, action="rounds.check", obj=entry.booking, facility=entry.booking.facility,
        changes={
            "status": entry.status, "cell": cell.code, "checked_at": when,
            "welfare_contact": entry.welfare_contact, "note": check.note,
            "check": str(check.public_id),
        },
    )  # fmt: skip
    return check


def round_check_record(
    *,
    actor: User,
    booking: Booking,
    status: str,
    note: str = "",
    welfare_contact: bool = False,
    at: dt.datetime | None = None,
) -> RoundCheck:
    """Record that ``actor`` looked at ``booking`` in their cell (the cell they were in at ``at``).

    ``welfare_contact``: staff went in and spoke with the person.  Someone
    not housed, or out on a movement at that moment, cannot be checked (409).
    """
    _require_rounds(actor, booking.facility)
    entry = CheckEntry(booking, status, note, welfare_contact, at)
    errors = _field_errors(entry, "")
    if errors:
        raise ValidationFailed.for_fields(errors)
    when = recorded_moment(at, booking)
    with transaction.atomic():
        cell = _cell_at(booking, when)
        return _write(actor, entry, cell, when)


def cell_round_record(
    *,
    actor: User,
    cell: Cell,
    checks: Sequence[CheckEntry],
    at: dt.datetime | None = None,
) -> list[RoundCheck]:
    """Record a round of ``cell``: one check per person named, all or none.

    ``at`` is the time of every entry that gives none of its own.  Each person
    must be housed in ``cell`` at their time (409 ``not_in_cell`` otherwise).
    """
    facility = cell.unit.zone.facility
    _require_rounds(actor, facility)
    errors: dict[str, list[str]] = {}
    if not checks:
        errors["checks"] = [NO_CHECKS]
    seen: set[int] = set()
    for i, entry in enumerate(checks):
        errors.update(_field_errors(entry, f"checks[{i}]."))
        if entry.booking.facility_id != facility.pk:
            errors[f"checks[{i}].booking"] = [
                WRONG_FACILITY.format(cell=cell.code, facility=entry.booking.facility.name)
            ]
        if entry.booking.pk in seen:
            errors[f"checks[{i}].booking"] = [TWICE_IN_ROUND.format(booking=entry.booking)]
        seen.add(entry.booking.pk)
    if errors:
        raise ValidationFailed.for_fields(errors)
    now = clock.now()
    moments = [
        recorded_moment(entry.at or at, entry.booking, field=f"checks[{i}].at", now=now)
        for i, entry in enumerate(checks)
    ]
    written: list[RoundCheck] = []
    with transaction.atomic():
        for entry, when in zip(checks, moments, strict=True):
            housed_in = _cell_at(entry.booking, when)
            if housed_in.pk != cell.pk:
                raise Conflict(
                    NOT_IN_CELL.format(
                        person=entry.booking.person.full_name, cell=cell.code,
                        actual=housed_in.code,
                    ),
                    code="not_in_cell",
                    extra={"booking": entry.booking.booking_number, "cell": str(cell.public_id)},
                )  # fmt: skip
            written.append(_write(actor, entry, cell, when))
    return written
