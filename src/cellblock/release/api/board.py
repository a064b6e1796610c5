"""Release API: the release board of a facility.

Due today, due within the policy's days, overdue (held past the date with
nothing holding them: the commander's red alert), early (releases for time
served prepared before the date: refused without the commander's override),
away (furloughs and assignments with a return), and the number of recomputed
release dates waiting for review.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Schema
from pydantic import Field

from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import ValidationFailed
from cellblock.facilities.models import Facility
from cellblock.facilities.selectors import facility_get_for_user
from cellblock.release import selectors as reads
from cellblock.release.api import router

WHICH_FACILITY = "say which facility: you see releases at more than one."


class BoardRowOut(Schema):
    booking_number: str
    name: str
    release_on: dt.date | None
    days: int | None = Field(
        description="Days to the release date (negative: past it); away: days to the return"
    )
    legal_status: str
    blockers: list[str] = Field(description="What holds the person (holds, pending counts)")
    release: uuid.UUID | None = Field(description="The release in hand, if any")
    release_kind: str | None
    cell: str | None
    due_back: dt.datetime | None


class BoardOut(Schema):
    facility: uuid.UUID
    at: dt.datetime
    today: dt.date = Field(description="The facility's local day")
    due_soon_days: int
    due_today: list[BoardRowOut]
    due_soon: list[BoardRowOut]
    overdue: list[BoardRowOut] = Field(description="Held past the date: the commander's alert")
    early: list[BoardRowOut] = Field(description="Releases prepared before the date")
    under_way: list[BoardRowOut] = Field(
        description="Other releases being prepared (assignment, bail, transfer ...), any date"
    )
    away: list[BoardRowOut]
    changes_unreviewed: int


def row_out(row: reads.BoardRow) -> BoardRowOut:
    return BoardRowOut(
        booking_number=row.booking_number, name=row.name, release_on=row.release_on,
        days=row.days, legal_status=row.legal_status, blockers=row.blockers,
        release=row.release.public_id if row.release else None,
        release_kind=row.release.kind if row.release else None, cell=row.cell,
        due_back=row.due_back,
    )  # fmt: skip


@router.get("/board", response=BoardOut, auth=api_requires(reads.READ_PERM))
def release_board(request: HttpRequest, facility: uuid.UUID | None = None) -> BoardOut:
    """Who is due out, overdue, early or away at a facility, now."""
    user = acting_user(request)
    if facility is not None:
        chosen = facility_get_for_user(user, facility, perm=reads.READ_PERM)
    else:
        mine = user.facilities_with(reads.READ_PERM)
        if len(mine) != 1:
            raise ValidationFailed.for_fields({"facility": [WHICH_FACILITY]})
        chosen = Facility.objects.get(pk=mine[0])
    board = reads.release_board(chosen, clock.now())
    return BoardOut(
        facility=chosen.public_id, at=board.at, today=board.today,
        due_soon_days=board.due_soon_days,
        due_today=[row_out(r) for r in board.due_today],
        due_soon=[row_out(r) for r in board.due_soon],
        overdue=[row_out(r) for r in board.overdue], early=[row_out(r) for r in board.early],
        under_way=[row_out(r) for r in board.under_way],
        away=[row_out(r) for r in board.away], changes_unreviewed=board.changes_unreviewed,
    )  # fmt: skip
