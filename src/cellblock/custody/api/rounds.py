"""API: observation rounds.

The observation board (each housed person's level, last sighting and next
check), one check of a person, and a whole cell's round at once.  People are
named by booking number, cells by public id; a person or cell outside the
caller's facilities is 404.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StrictBool

from cellblock.booking.selectors import booking_get_for_user
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.models import CheckStatus, RoundCheck
from cellblock.custody.selectors.rounds import Level, ObservationRow, observation_board
from cellblock.custody.services.rounds import CheckEntry, cell_round_record, round_check_record
from cellblock.facilities.selectors import cell_get_for_user, facility_get_for_user

router = Router()

NAME_A_PLACE = "name the facility, or a cell."
CELL_ELSEWHERE = "is not a cell of that facility."


class ObservationOut(Schema):
    booking_number: str
    person: str
    cell: uuid.UUID
    cell_code: str
    unit: str
    level: Level
    level_label: str
    interval_minutes: int
    last_seen_at: dt.datetime | None = Field(description="The newest check that saw the person")
    last_status: str = Field(description="Status of the newest check, of any kind")
    due_at: dt.datetime | None = Field(description="None while the person is out of their cell")
    overdue: bool
    minutes_overdue: int
    fixed_pattern: bool = Field(
        description="Suicide watch only: the last checks came at a fixed interval"
    )
    fixed_pattern_note: str
    out_of_cell: bool
    out_destination: str


class CheckIn(Schema):
    booking: str = Field(max_length=32, description="Booking number")
    status: CheckStatus
    note: str = Field(default="", max_length=500)
    welfare_contact: StrictBool = Field(
        default=False, description="Staff went in and spoke with the person"
    )
    at: dt.datetime | None = Field(default=None, description="When seen, for a late entry")


class CellCheckIn(Schema):
    booking: str = Field(max_length=32, description="Booking number")
    status: CheckStatus
    note: str = Field(default="", max_length=500)
    welfare_contact: StrictBool = False
    at: dt.datetime | None = None


class CellRoundIn(Schema):
    checks: list[CellCheckIn] = Field(min_length=1)


class CheckOut(Schema):
    id: uuid.UUID
    booking_number: str
    person: str
    cell: uuid.UUID
    cell_code: str
    status: CheckStatus
    note: str
    welfare_contact: bool
    checked_at: dt.datetime
    checked_by: str


def observation_out(row: ObservationRow) -> ObservationOut:
    return ObservationOut(
        booking_number=row.booking.booking_number, person=row.booking.person.full_name,
        cell=row.cell.public_id, cell_code=row.cell.code, unit=row.cell.unit.code,
        level=row.level, level_label=row.level_label, interval_minutes=row.interval_minutes,
        last_seen_at=row.last_seen_at, last_status=row.last_status, due_at=row.due_at,
        overdue=row.overdue, minutes_overdue=row.minutes_overdue,
        fixed_pattern=row.fixed_pattern, fixed_pattern_note=row.fixed_pattern_note,
        out_of_cell=row.out_since is not None, out_destination=row.out_destination,
    )  # fmt: skip


def check_out(check: RoundCheck) -> CheckOut:
    return CheckOut(
        id=check.public_id, booking_number=check.booking.booking_number,
        person=check.booking.person.full_name, cell=check.cell.public_id,
        cell_code=check.cell.code, status=CheckStatus(check.status), note=check.note,
        welfare_contact=check.welfare_contact, checked_at=check.checked_at,
        checked_by=check.checked_by.get_username(),
    )  # fmt: skip


@router.get("/observation", response=list[ObservationOut], auth=api_requires(Perm.HOUSING_VIEW))
def observation(
    request: HttpRequest, facility: uuid.UUID | None = None, cell: uuid.UUID | None = None
) -> list[ObservationOut]:
    """Everyone housed in the facility (or the cell) with their level and next check."""
    user = acting_user(request)
    place = cell_get_for_user(user, cell, Perm.HOUSING_VIEW) if cell is not None else None
    if facility is not None:
        chosen = facility_get_for_user(user, facility, Perm.HOUSING_VIEW)
        if place is not None and place.unit.zone.facility_id != chosen.pk:
            raise ValidationFailed.for_fields({"cell": [CELL_ELSEWHERE]})
    elif place is not None:
        chosen = place.unit.zone.facility
    else:
        raise ValidationFailed.for_fields({"facility": [NAME_A_PLACE]})
    return [observation_out(row) for row in observation_board(chosen, clock.now(), cell=place)]


@router.post("/checks", response={201: CheckOut}, auth=api_requires(Perm.ROUNDS_RECORD))
def record_check(request: HttpRequest, payload: CheckIn) -> Status[CheckOut]:
    """One person seen (or not) in their cell; ``at`` for an entry written after the round."""
    user = acting_user(request)
    booking = booking_get_for_user(user, payload.booking)
    check = round_check_record(
        actor=user, booking=booking, status=payload.status, note=payload.note,
        welfare_contact=payload.welfare_contact, at=payload.at,
    )  # fmt: skip
    return Status(201, check_out(check))


@router.post(
    "/cells/{cell_id}/checks", response={201: list[CheckOut]}, auth=api_requires(Perm.ROUNDS_RECORD)
)
def record_cell_round(
    request: HttpRequest, cell_id: uuid.UUID, payload: CellRoundIn
) -> Status[list[CheckOut]]:
    """A round of one cell: a check per person housed there, all recorded or none."""
    user = acting_user(request)
    cell = cell_get_for_user(user, cell_id, Perm.ROUNDS_RECORD)
    entries = [
        CheckEntry(
            booking=booking_get_for_user(user, line.booking),
            status=line.status,
            note=line.note,
            welfare_contact=line.welfare_contact,
            at=line.at,
        )
        for line in payload.checks
    ]
    checks = cell_round_record(actor=user, cell=cell, checks=entries)
    return Status(201, [check_out(check) for check in checks])
