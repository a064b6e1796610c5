"""API: inmate requests and grievances — file, route, take up, answer, close, withdraw, appeal.

People are named by booking number, staff by username, requests by public id.
A request of a facility the caller does not read is 404.  Who may answer is
the request's addressee (the named member of staff, or anyone holding the
addressed role there) or a supervisor or the commander: anyone else gets 403
``not_addressee``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.selectors.access import member_of
from cellblock.facilities.models import Facility
from cellblock.facilities.selectors import facilities_for_user, facility_get_for_user
from cellblock.requests.models import (
    GRIEVANCE_LEVELS,
    EntryKind,
    FiledVia,
    InmateRequest,
    RequestCategory,
    RequestKind,
    RequestStatus,
)
from cellblock.requests.selectors import (
    VIEW,
    WAITING,
    Scope,
    addressee_text,
    inbox,
    is_overdue,
    request_get_for_user,
)
from cellblock.requests.services import (
    grievance_appeal,
    request_close,
    request_file,
    request_note,
    request_respond,
    request_route,
    request_take_up,
    request_withdraw,
)

router = Router()

NOT_STAFF_HERE = "{username} is not on the staff of {facility}."


class StatusFilter(StrEnum):
    WAITING = WAITING
    OPEN = RequestStatus.OPEN.value
    IN_PROGRESS = RequestStatus.IN_PROGRESS.value
    ANSWERED = RequestStatus.ANSWERED.value
    CLOSED = RequestStatus.CLOSED.value
    WITHDRAWN = RequestStatus.WITHDRAWN.value


class RequestIn(Schema):
    booking_number: str = Field(max_length=32)
    kind: RequestKind = RequestKind.REQUEST
    category: RequestCategory = RequestCategory.GENERAL
    subject: str = Field(max_length=200)
    text: str = Field(max_length=10_000)
    addressee_role: str = Field(
        default="", max_length=16, description="A role at the facility, e.g. commander"
    )
    addressee: str = Field(
        default="", max_length=150, description="Or a named member of staff, by username"
    )
    filed_via: FiledVia = FiledVia.OFFICER
    handed_in_at: dt.datetime | None = Field(
        default=None, description="Paper forms typed in later: when it was handed in"
    )


class RouteIn(Schema):
    addressee_role: str = Field(default="", max_length=16)
    addressee: str = Field(default="", max_length=150, description="Username")
    note: str = Field(default="", max_length=10_000)


class NoteIn(Schema):
    note: str = Field(default="", max_length=10_000)


class TextIn(Schema):
    text: str = Field(max_length=10_000)


class ReasonIn(Schema):
    reason: str = Field(max_length=10_000)


class EntryOut(Schema):
    kind: EntryKind
    kind_label: str
    at: dt.datetime
    actor: str | None = Field(description="Username; null for the system")
    level: int
    text: str
    to_role: str
    to_user: str | None


class RequestOut(Schema):
    id: uuid.UUID
    number: str
    facility: uuid.UUID
    booking_number: str
    person: str
    kind: RequestKind
    category: RequestCategory
    subject: str
    text: str
    status: RequestStatus
    level: int
    level_label: str
    addressee_role: str
    addressee: str | None
    addressee_label: str
    filed_via: FiledVia
    filed_at: dt.datetime
    filed_by: str | None
    due_at: dt.datetime
    overdue: bool
    escalated_at: dt.datetime | None
    answered_at: dt.datetime | None
    answered_by: str | None
    closed_at: dt.datetime | None


class RequestDetailOut(RequestOut):
    entries: list[EntryOut]


def _name(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def _fields(request: InmateRequest, now: dt.datetime) -> dict[str, object]:
    return {
        "id": request.public_id, "number": request.number,
        "facility": request.facility.public_id,
        "booking_number": request.booking.booking_number,
        "person": request.booking.person.full_name, "kind": RequestKind(request.kind),
        "category": RequestCategory(request.category), "subject": request.subject,
        "text": request.text, "status": RequestStatus(request.status), "level": request.level,
        "level_label": GRIEVANCE_LEVELS[request.level]
        if request.kind == RequestKind.GRIEVANCE else "Request",
        "addressee_role": request.addressee_role, "addressee": _name(request.addressee),
        "addressee_label": addressee_text(request), "filed_via": FiledVia(request.filed_via),
        "filed_at": request.filed_at, "filed_by": _name(request.filed_by),
        "due_at": request.due_at, "overdue": is_overdue(request, now),
        "escalated_at": request.escalated_at, "answered_at": request.answered_at,
        "answered_by": _name(request.answered_by), "closed_at": request.closed_at,
    }  # fmt: skip


def request_out(request: InmateRequest, now: dt.datetime) -> RequestOut:
    return RequestOut(**_fields(request, now))  # type: ignore[arg-type]


def request_detail_out(request: InmateRequest) -> RequestDetailOut:
    entries = [
        EntryOut(
            kind=EntryKind(e.kind),
            kind_label=e.get_kind_display(),
            at=e.at,
            actor=_name(e.actor),
            level=e.level,
            text=e.text,
            to_role=e.to_role,
            to_user=_name(e.to_user),
        )
        for e in request.entries.all()
    ]
    return RequestDetailOut(**_fields(request, clock.now()), entries=entries)  # type: ignore[arg-type]


def _staff(facility: Facility, username: str) -> User | None:
    """The named member of staff of ``facility``, None when no name was given; else 400."""
    if not username.strip():
        return None
    member = member_of(facility, username)
    if member is None:
        raise ValidationFailed.for_fields(
            {"addressee": [NOT_STAFF_HERE.format(username=username, facility=facility.name)]}
        )
    return member


def _detail(user: User, request_id: uuid.UUID) -> RequestDetailOut:
    return request_detail_out(request_get_for_user(user, request_id))


@router.get("", response=list[RequestOut], auth=api_requires(VIEW))
def list_requests(
    request: HttpRequest,
    facility: uuid.UUID | None = None,
    scope: Scope = Scope.ALL,
    status: StatusFilter | None = None,
    kind: RequestKind | None = None,
    booking: str | None = None,
    overdue: bool = False,
) -> list[RequestOut]:
    """Requests of the caller's facilities (or one), soonest due first.

    ``scope=mine``: addressed to the caller or a role they hold there;
    ``status=waiting``: open or in progress; ``overdue``: waiting past the due time.
    """
    user = acting_user(request)
    now = clock.now()
    held = booking_get_for_user(user, booking) if booking else None
    if held is not None:
        places = [held.facility]
    elif facility is not None:
        places = [facility_get_for_user(user, facility, VIEW)]
    else:
        places = list(facilities_for_user(user, VIEW))
    return [
        request_out(found, now)
        for place in places
        for found in inbox(
            user,
            place,
            scope=scope,
            status=status or "",
            kind=kind or "",
            overdue_only=overdue,
            booking=held,
            now=now,
        )
    ]


@router.post("", response={201: RequestDetailOut}, auth=api_requires(Perm.REQUEST_FILE))
def file_request(request: HttpRequest, payload: RequestIn) -> Status[RequestDetailOut]:
    """File a request or grievance for a person in custody; numbered, due in policy days."""
    user = acting_user(request)
    booking = booking_get_for_user(user, payload.booking_number)
    filed = request_file(
        actor=user, booking=booking, kind=payload.kind, subject=payload.subject,
        text=payload.text, category=payload.category, addressee_role=payload.addressee_role,
        addressee=_staff(booking.facility, payload.addressee), filed_via=payload.filed_via,
        handed_in_at=payload.handed_in_at,
    )  # fmt: skip
    return Status(201, _detail(user, filed.public_id))


@router.get("/{request_id}", response=RequestDetailOut, auth=api_requires(VIEW))
def get_request(request: HttpRequest, request_id: uuid.UUID) -> RequestDetailOut:
    return _detail(acting_user(request), request_id)


@router.post("/{request_id}/route", response=RequestDetailOut, auth=api_requires(VIEW))
def route(request: HttpRequest, request_id: uuid.UUID, payload: RouteIn) -> RequestDetailOut:
    """Send it to another role or named member of staff (its addressee or a manager)."""
    user = acting_user(request)
    found = request_get_for_user(user, request_id)
    request_route(
        actor=user, request=found, addressee_role=payload.addressee_role,
        addressee=_staff(found.facility, payload.addressee), note=payload.note,
    )  # fmt: skip
    return _detail(user, request_id)


@router.post("/{request_id}/take-up", response=RequestDetailOut, auth=api_requires(VIEW))
def take_up(request: HttpRequest, request_id: uuid.UUID, payload: NoteIn) -> RequestDetailOut:
    """Start on it: open → in progress (its addressee or a manager)."""
    user = acting_user(request)
    request_take_up(actor=user, request=request_get_for_user(user, request_id), note=payload.note)
    return _detail(user, request_id)


@router.post("/{request_id}/notes", response={201: RequestDetailOut}, auth=api_requires(VIEW))
def add_note(
    request: HttpRequest, request_id: uuid.UUID, payload: TextIn
) -> Status[RequestDetailOut]:
    """Add to the thread: what was done, what the person added."""
    user = acting_user(request)
    request_note(actor=user, request=request_get_for_user(user, request_id), text=payload.text)
    return Status(201, _detail(user, request_id))


@router.post("/{request_id}/respond", response=RequestDetailOut, auth=api_requires(VIEW))
def respond(request: HttpRequest, request_id: uuid.UUID, payload: TextIn) -> RequestDetailOut:
    """Answer it (its addressee or a manager); at a grievance's final level, the agency's answer."""
    user = acting_user(request)
    request_respond(actor=user, request=request_get_for_user(user, request_id), text=payload.text)
    return _detail(user, request_id)


@router.post("/{request_id}/close", response=RequestDetailOut, auth=api_requires(VIEW))
def close(request: HttpRequest, request_id: uuid.UUID, payload: NoteIn) -> RequestDetailOut:
    """Close an answered request."""
    user = acting_user(request)
    request_close(actor=user, request=request_get_for_user(user, request_id), note=payload.note)
    return _detail(user, request_id)


@router.post(
    "/{request_id}/withdraw", response=RequestDetailOut, auth=api_requires(Perm.REQUEST_FILE)
)
def withdraw(request: HttpRequest, request_id: uuid.UUID, payload: ReasonIn) -> RequestDetailOut:
    """The person takes it back before the answer (staff record it for them)."""
    user = acting_user(request)
    request_withdraw(
        actor=user, request=request_get_for_user(user, request_id), reason=payload.reason
    )
    return _detail(user, request_id)


@router.post(
    "/{request_id}/appeal", response=RequestDetailOut, auth=api_requires(Perm.REQUEST_FILE)
)
def appeal(request: HttpRequest, request_id: uuid.UUID, payload: TextIn) -> RequestDetailOut:
    """Appeal an answered grievance to the next level (2: the commander; 3: the agency)."""
    user = acting_user(request)
    grievance_appeal(actor=user, request=request_get_for_user(user, request_id), text=payload.text)
    return _detail(user, request_id)
