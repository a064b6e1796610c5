"""Court API: hearings on the calendar, production to court and back, missed productions.

Scheduling and concluding are the court's (``court.record``); producing and
returning the person are custody's (``movement.record``): they record the
movement to court and its return.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from ninja import Query, Schema, Status
from pydantic import Field

from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import ValidationFailed
from cellblock.core.roles import Perm
from cellblock.court import selectors as reads
from cellblock.court.api import router
from cellblock.court.api.cases import HearingOut, facility_chosen, hearing_out
from cellblock.court.models import Hearing, HearingKind
from cellblock.court.services import hearings as services
from cellblock.custody.api.movements import staff_named

CALENDAR_DAYS_MAX = 62
TO_NOT_AFTER_FROM = "must be after from."
RANGE_TOO_LONG = f"the calendar spans at most {CALENDAR_DAYS_MAX} days."


class HearingIn(Schema):
    kind: HearingKind
    scheduled_at: dt.datetime
    expected_minutes: int = Field(default=60, ge=1, le=720)
    courtroom: str = Field(default="", max_length=200, description="Default: the court's location")


class ProduceIn(Schema):
    escort: str | None = Field(default=None, max_length=150, description="Username")
    at: dt.datetime | None = Field(default=None, description="When they left; default now")
    emergency_reason: str = Field(
        default="", max_length=500, description="During a formal count: why it cannot wait"
    )


class ReturnIn(Schema):
    at: dt.datetime | None = Field(default=None, description="When they came back; default now")


class ConcludeIn(Schema):
    status: Literal["held", "adjourned", "cancelled"]
    outcome: str = Field(default="", max_length=500)
    next_at: dt.datetime | None = Field(
        default=None, description="Adjourned to: schedules the next hearing of the same kind"
    )


class ConcludedOut(Schema):
    hearing: HearingOut
    next_hearing: HearingOut | None


def _answer(request: HttpRequest, hearing: Hearing) -> HearingOut:
    return hearing_out(reads.hearing_get_for_user(acting_user(request), hearing.public_id))


@router.post(
    "/cases/{uuid:case_id}/hearings", response={201: HearingOut},
    auth=api_requires(Perm.COURT_RECORD),
)  # fmt: skip
def schedule_hearing(
    request: HttpRequest, case_id: uuid.UUID, payload: HearingIn
) -> Status[HearingOut]:
    """Put a hearing on the calendar; a person held then is the one to produce."""
    user = acting_user(request)
    case = reads.case_get_for_user(user, case_id)
    hearing = services.hearing_schedule(
        actor=user, case=case, kind=payload.kind, scheduled_at=payload.scheduled_at,
        expected_minutes=payload.expected_minutes, courtroom=payload.courtroom,
    )  # fmt: skip
    return Status(201, _answer(request, hearing))


@router.get("/hearings", response=list[HearingOut], auth=api_requires(Perm.COURT_VIEW))
def calendar(
    request: HttpRequest,
    facility: uuid.UUID | None = None,
    start: dt.datetime | None = Query(None, alias="from"),  # noqa: B008
    end: dt.datetime | None = Query(None, alias="to"),  # noqa: B008
) -> list[HearingOut]:
    """The calendar: hearings of the facility's cases and of the people it holds.

    ``from`` defaults to the start of today on the facility's clock, ``to`` to a
    week later; times without a zone are read on the facility's clock.  Two queries
    whatever the number of hearings.
    """
    user = acting_user(request)
    place = facility_chosen(user, facility, Perm.COURT_VIEW)
    if start is None:
        start = clock.local(clock.now(), place.timezone).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    elif start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(place.timezone))
    if end is not None and end.tzinfo is None:
        end = end.replace(tzinfo=ZoneInfo(place.timezone))
    end = end or start + dt.timedelta(days=7)
    if end <= start:
        raise ValidationFailed.for_fields({"to": [TO_NOT_AFTER_FROM]})
    if end - start > dt.timedelta(days=CALENDAR_DAYS_MAX):
        raise ValidationFailed.for_fields({"to": [RANGE_TOO_LONG]})
    return [hearing_out(h) for h in reads.hearings_between(place, start, end)]


@router.get("/hearings/missed", response=list[HearingOut], auth=api_requires(Perm.COURT_VIEW))
def missed(request: HttpRequest, facility: uuid.UUID | None = None) -> list[HearingOut]:
    """Hearings of people held here that nobody produced within the policy's grace."""
    place = facility_chosen(acting_user(request), facility, Perm.COURT_VIEW)
    return [hearing_out(h) for h in reads.missed_productions(place, clock.now())]


@router.get("/hearings/{uuid:hearing_id}", response=HearingOut, auth=api_requires(Perm.COURT_VIEW))
def get_hearing(request: HttpRequest, hearing_id: uuid.UUID) -> HearingOut:
    return hearing_out(reads.hearing_get_for_user(acting_user(request), hearing_id))


@router.post(
    "/hearings/{uuid:hearing_id}/produce", response=HearingOut,
    auth=api_requires(Perm.MOVEMENT_RECORD),
)  # fmt: skip
def produce(request: HttpRequest, hearing_id: uuid.UUID, payload: ProduceIn) -> HearingOut:
    """Take the person to court: a movement out, expected back when the hearing ends."""
    user = acting_user(request)
    hearing = reads.hearing_get_for_user(user, hearing_id)
    facility = hearing.booking.facility if hearing.booking else hearing.case.facility
    escort = staff_named(facility, payload.escort, "escort") if payload.escort else None
    services.hearing_produce(
        actor=user, hearing=hearing, escort=escort, at=payload.at,
        emergency_reason=payload.emergency_reason,
    )  # fmt: skip
    return _answer(request, hearing)


@router.post(
    "/hearings/{uuid:hearing_id}/return", response=HearingOut,
    auth=api_requires(Perm.MOVEMENT_RECORD),
)  # fmt: skip
def bring_back(
    request: HttpRequest, hearing_id: uuid.UUID, payload: ReturnIn | None = None
) -> HearingOut:
    """The person is back from court (or, remanded there, has reached the cells)."""
    user = acting_user(request)
    hearing = reads.hearing_get_for_user(user, hearing_id)
    services.hearing_return(actor=user, hearing=hearing, at=payload.at if payload else None)
    return _answer(request, hearing)


@router.post(
    "/hearings/{uuid:hearing_id}/conclude", response=ConcludedOut,
    auth=api_requires(Perm.COURT_RECORD),
)  # fmt: skip
def conclude(request: HttpRequest, hearing_id: uuid.UUID, payload: ConcludeIn) -> ConcludedOut:
    """Held, adjourned (to ``next_at``: the next hearing is scheduled) or cancelled."""
    user = acting_user(request)
    hearing = reads.hearing_get_for_user(user, hearing_id)
    services.hearing_conclude(
        actor=user, hearing=hearing, status=payload.status, outcome=payload.outcome,
        next_at=payload.next_at,
    )  # fmt: skip
    following = None
    if payload.next_at is not None:
        following = (
            Hearing.objects.filter(
                case_id=hearing.case_id, kind=hearing.kind, scheduled_at=payload.next_at
            )
            .order_by("-id")
            .first()
        )
    return ConcludedOut(
        hearing=_answer(request, hearing),
        next_hearing=_answer(request, following) if following else None,
    )
