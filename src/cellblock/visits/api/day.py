"""Visits API: visit day.

Check the visitors in (each with the identity document shown), screen what
they bring, start the visit (escort; movement to the visit room or the cell
door opened), end it, check the visitors out, or record a no-show; and the
desk's board.  Each step answers the visit as ``GET /api/visits/{id}`` does.
A step out of order answers 409 ``visit_not_<status it needs>``; visitors
the rules turn away at the desk answer 409 ``visit_refused``.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.api.movements import staff_named
from cellblock.facilities.models import Facility
from cellblock.facilities.selectors import facility_get_for_user
from cellblock.people.models import IdentifierKind
from cellblock.visits.api.scheduling import VisitOut, visit_out
from cellblock.visits.models import ItemOutcome, Visit, Visitor
from cellblock.visits.selectors import day as reads
from cellblock.visits.selectors.schedule import READ_PERM, visit_get_for_user
from cellblock.visits.services.day import (
    IdentityCheck,
    visit_check_in,
    visit_check_out,
    visit_end,
    visit_item_screen,
    visit_no_show,
    visit_start,
)

router = Router()

NOT_ON_VISIT = "no visitor {id} is on this visit."
WHICH_FACILITY = "say which facility: you see visits at more than one."
MAX_VISITORS = 10


# --- Schemas ----------------------------------------------------------------------------------


class PresentIn(Schema):
    visitor_id: uuid.UUID
    id_kind: IdentifierKind = Field(description="The kind of identity document shown")
    id_number: str = Field(max_length=64, description="Its number, as printed on it")


class CheckInIn(Schema):
    visitors: list[PresentIn] = Field(
        max_length=MAX_VISITORS, description="The visitors present; those absent are left out"
    )
    at: dt.datetime | None = Field(default=None, description="When they checked in; default now")


class ItemIn(Schema):
    description: str = Field(max_length=300)
    outcome: ItemOutcome
    reason: str = Field(default="", max_length=500, description="Needed if refused or confiscated")
    visitor_id: uuid.UUID | None = Field(default=None, description="Who brought it")


class StartIn(Schema):
    escort: str | None = Field(
        default=None, max_length=150, description="Username of the escort; default: you"
    )
    at: dt.datetime | None = Field(default=None, description="When it started; default now")


class AtIn(Schema):
    at: dt.datetime | None = Field(default=None, description="When it happened; default now")


class RunningOut(Schema):
    seconds_left: int = Field(description="Seconds to the due end; negative once over")
    overrun: bool = Field(description="At or past its due end: end it")
    visit: VisitOut


class BoardOut(Schema):
    facility: uuid.UUID
    at: dt.datetime
    checked_in: list[VisitOut]
    in_progress: list[RunningOut]
    ended: list[VisitOut] = Field(description="Over; the visitors still to be checked out")
    upcoming: list[VisitOut] = Field(description="Booked for today, nobody checked in yet")


# --- Helpers --------------------------------------------------------------------------------


def _answer(user: User, visit: Visit) -> VisitOut:
    return visit_out(visit_get_for_user(user, visit.public_id))


def _visitor_on(visit: Visit, visitor_id: uuid.UUID, field: str) -> Visitor:
    """A visitor named on ``visit`` (loaded by ``with_details``); anyone else is a 400."""
    for participant in visit.participants.all():
        if participant.visitor.public_id == visitor_id:
            return participant.visitor
    raise ValidationFailed.for_fields({field: [NOT_ON_VISIT.format(id=visitor_id)]})


def _facility(user: User, facility: uuid.UUID | None) -> Facility:
    if facility is not None:
        return facility_get_for_user(user, facility, perm=READ_PERM)
    mine = user.facilities_with(READ_PERM)
    if len(mine) != 1:
        raise ValidationFailed.for_fields({"facility": [WHICH_FACILITY]})
    return Facility.objects.get(pk=mine[0])


# --- Operations -------------------------------------------------------------------------------


@router.get("/board", response=BoardOut, auth=api_requires(Perm.VISIT_VIEW))
def visit_board(request: HttpRequest, facility: uuid.UUID | None = None) -> BoardOut:
    """Today at the desk: checked in, under way (with the timer), ended, still to come."""
    chosen = _facility(acting_user(request), facility)
    now = clock.now()
    board = reads.visit_day_board(chosen, now)
    return BoardOut(
        facility=chosen.public_id, at=now,
        checked_in=[visit_out(v, now) for v in board.checked_in],
        in_progress=[
            RunningOut(
                seconds_left=running.seconds_left, overrun=running.overrun,
                visit=visit_out(running.visit, now),
            )
            for running in board.in_progress
        ],
        ended=[visit_out(v, now) for v in board.ended],
        upcoming=[visit_out(v, now) for v in board.upcoming],
    )  # fmt: skip


@router.post("/{uuid:visit_id}/check-in", response=VisitOut, auth=api_requires(Perm.VISIT_OPERATE))
def check_in(request: HttpRequest, visit_id: uuid.UUID, payload: CheckInIn) -> VisitOut:
    """Check in the visitors present, each with the identity document they showed."""
    user = acting_user(request)
    visit = visit_get_for_user(user, visit_id)
    checks = [
        IdentityCheck(
            visitor=_visitor_on(visit, present.visitor_id, "visitors"),
            id_kind=present.id_kind, id_number=present.id_number,
        )
        for present in payload.visitors
    ]  # fmt: skip
    visit_check_in(actor=user, visit=visit, checks=checks, at=payload.at)
    return _answer(user, visit)


@router.post(
    "/{uuid:visit_id}/items", response={201: VisitOut}, auth=api_requires(Perm.VISIT_OPERATE)
)
def screen_item(request: HttpRequest, visit_id: uuid.UUID, payload: ItemIn) -> Status[VisitOut]:
    """Log an item a visitor brought: allowed in, refused (handed back) or confiscated."""
    user = acting_user(request)
    visit = visit_get_for_user(user, visit_id)
    visitor = _visitor_on(visit, payload.visitor_id, "visitor_id") if payload.visitor_id else None
    visit_item_screen(
        actor=user, visit=visit, description=payload.description, outcome=payload.outcome,
        reason=payload.reason, visitor=visitor,
    )  # fmt: skip
    return Status(201, _answer(user, visit))


@router.post("/{uuid:visit_id}/start", response=VisitOut, auth=api_requires(Perm.VISIT_OPERATE))
def start(request: HttpRequest, visit_id: uuid.UUID, payload: StartIn | None = None) -> VisitOut:
    """Start the visit: to the visit room (a movement) or the cell door opened and closed."""
    user = acting_user(request)
    visit = visit_get_for_user(user, visit_id)
    facility = visit.booking.facility
    escort = staff_named(facility, payload.escort, "escort") if payload and payload.escort else None
    visit_start(actor=user, visit=visit, escort=escort, at=payload.at if payload else None)
    return _answer(user, visit)


@router.post("/{uuid:visit_id}/end", response=VisitOut, auth=api_requires(Perm.VISIT_OPERATE))
def end(request: HttpRequest, visit_id: uuid.UUID, payload: AtIn | None = None) -> VisitOut:
    """End the visit: the person back from the visit room, or the visitors out of the cell."""
    user = acting_user(request)
    visit = visit_get_for_user(user, visit_id)
    visit_end(actor=user, visit=visit, at=payload.at if payload else None)
    return _answer(user, visit)


@router.post("/{uuid:visit_id}/check-out", response=VisitOut, auth=api_requires(Perm.VISIT_OPERATE))
def check_out(request: HttpRequest, visit_id: uuid.UUID, payload: AtIn | None = None) -> VisitOut:
    """The visitors have left: the visit is complete."""
    user = acting_user(request)
    visit = visit_get_for_user(user, visit_id)
    visit_check_out(actor=user, visit=visit, at=payload.at if payload else None)
    return _answer(user, visit)


@router.post("/{uuid:visit_id}/no-show", response=VisitOut, auth=api_requires(Perm.VISIT_OPERATE))
def no_show(request: HttpRequest, visit_id: uuid.UUID) -> VisitOut:
    """Nobody came for a booked visit (from its start time)."""
    user = acting_user(request)
    visit = visit_get_for_user(user, visit_id)
    visit_no_show(actor=user, visit=visit)
    return _answer(user, visit)
