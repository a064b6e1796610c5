"""API: incidents — report, follow up, move along, review.

People are named by booking number, staff by username, places by public id.
An incident outside the caller's facilities is 404.  Incidents the system
opens (a forced door, a restraint removed without authority) are listed
here like the others, with ``origin: automatic``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import NotFound, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.selectors.access import member_of, zone_get_for_user
from cellblock.facilities.models import Cell, Facility, Zone
from cellblock.facilities.selectors import (
    cell_get_for_user,
    facilities_for_user,
    facility_get_for_user,
)
from cellblock.incidents.models import Incident, IncidentKind, IncidentOrigin, IncidentStatus
from cellblock.incidents.selectors import (
    VIEW,
    IncidentFilter,
    incident_get_for_user,
    incident_list,
)
from cellblock.incidents.services import (
    incident_note_add,
    incident_report,
    incident_review,
    incident_transition,
)

router = Router()

NOT_HELD_HERE = "{number} is not held at {facility}."
NOT_STAFF_HERE = "{username} is not on the staff of {facility}."


class IncidentIn(Schema):
    facility: uuid.UUID
    kind: IncidentKind
    occurred_at: dt.datetime | None = Field(default=None, description="Default: now")
    cell: uuid.UUID | None = None
    zone: uuid.UUID | None = None
    place: str = Field(default="", max_length=200, description="Where, in words, if not a cell")
    narrative: str = Field(max_length=20_000)
    people: list[str] = Field(default_factory=list, description="Booking numbers")
    staff: list[str] = Field(default_factory=list, description="Usernames")
    damaged_feature: str = Field(
        default="", max_length=40, description="The cell's feature it broke: marked compromised"
    )
    take_cell_out_of_service: bool = False


class NoteIn(Schema):
    text: str = Field(max_length=5000)


class TransitionIn(Schema):
    to: IncidentStatus
    note: str = Field(default="", max_length=5000, description="Closing: the outcome")
    outcome: str = Field(default="", max_length=5000)


class ReviewIn(Schema):
    note: str = Field(default="", max_length=5000)


class PersonOut(Schema):
    booking_number: str
    name: str


class NoteOut(Schema):
    written_at: dt.datetime
    written_by: str
    text: str
    status_to: str


class IncidentOut(Schema):
    id: uuid.UUID
    number: str
    facility: uuid.UUID
    kind: IncidentKind
    kind_label: str
    status: IncidentStatus
    origin: IncidentOrigin
    occurred_at: dt.datetime
    reported_at: dt.datetime
    reported_by: str | None
    cell: str | None
    cell_id: uuid.UUID | None
    zone: str | None
    place: str
    narrative: str
    people: list[PersonOut]
    staff: list[str]
    damaged_feature: str
    cell_taken_out_of_service: bool
    reviewed_at: dt.datetime | None
    reviewed_by: str | None
    closed_at: dt.datetime | None
    closed_by: str | None
    outcome: str


class IncidentDetailOut(IncidentOut):
    notes: list[NoteOut]


def _name(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def _fields(incident: Incident) -> dict[str, object]:
    return {
        "id": incident.public_id, "number": incident.number,
        "facility": incident.facility.public_id, "kind": IncidentKind(incident.kind),
        "kind_label": incident.get_kind_display(), "status": IncidentStatus(incident.status),
        "origin": IncidentOrigin(incident.origin), "occurred_at": incident.occurred_at,
        "reported_at": incident.reported_at, "reported_by": _name(incident.reported_by),
        "cell": incident.cell.code if incident.cell else None,
        "cell_id": incident.cell.public_id if incident.cell else None,
        "zone": incident.zone.code if incident.zone else None, "place": incident.place,
        "narrative": incident.narrative,
        "people": [
            PersonOut(booking_number=b.booking_number, name=b.person.full_name)
            for b in incident.people.all()
        ],
        "staff": [u.get_username() for u in incident.staff.all()],
        "damaged_feature": incident.damaged_feature,
        "cell_taken_out_of_service": incident.cell_taken_out_of_service,
        "reviewed_at": incident.reviewed_at, "reviewed_by": _name(incident.reviewed_by),
        "closed_at": incident.closed_at, "closed_by": _name(incident.closed_by),
        "outcome": incident.outcome,
    }  # fmt: skip


def incident_out(incident: Incident) -> IncidentOut:
    return IncidentOut(**_fields(incident))  # type: ignore[arg-type]


def incident_detail_out(incident: Incident) -> IncidentDetailOut:
    notes = [
        NoteOut(
            written_at=n.written_at,
            written_by=n.written_by.get_username(),
            text=n.text,
            status_to=n.status_to,
        )
        for n in incident.notes.all()
    ]
    return IncidentDetailOut(**_fields(incident), notes=notes)  # type: ignore[arg-type]


def _aware(moment: dt.datetime | None, facility: Facility) -> dt.datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo(facility.timezone))


def people_named(
    user: User, facility: Facility, numbers: list[str]
) -> tuple[list[Booking], list[str]]:
    """Bookings of ``facility`` by number, and a message for each that is not one."""
    found, missing = [], []
    for number in dict.fromkeys(n.strip() for n in numbers if n.strip()):
        try:
            booking: Booking | None = booking_get_for_user(user, number)
        except NotFound:
            booking = None
        if booking is None or booking.facility_id != facility.pk:
            missing.append(NOT_HELD_HERE.format(number=number, facility=facility.name))
        else:
            found.append(booking)
    return found, missing


def staff_named(facility: Facility, usernames: list[str]) -> tuple[list[User], list[str]]:
    """Members of staff of ``facility`` by username, and a message for each that is not one."""
    found, missing = [], []
    for username in dict.fromkeys(u.strip() for u in usernames if u.strip()):
        member = member_of(facility, username)
        if member is None:
            missing.append(NOT_STAFF_HERE.format(username=username, facility=facility.name))
        else:
            found.append(member)
    return found, missing


def _places(
    user: User, facility: Facility, cell_id: uuid.UUID | None, zone_id: uuid.UUID | None
) -> tuple[Cell | None, Zone | None]:
    cell = cell_get_for_user(user, cell_id, VIEW) if cell_id is not None else None
    zone = zone_get_for_user(user, zone_id, VIEW) if zone_id is not None else None
    return cell, zone


@router.post("", response={201: IncidentDetailOut}, auth=api_requires(Perm.INCIDENT_REPORT))
def report(request: HttpRequest, payload: IncidentIn) -> Status[IncidentDetailOut]:
    """Report an incident; damage marks the feature compromised or the cell out of service."""
    user = acting_user(request)
    facility = facility_get_for_user(user, payload.facility, Perm.INCIDENT_REPORT)
    cell, zone = _places(user, facility, payload.cell, payload.zone)
    people, missing_people = people_named(user, facility, payload.people)
    staff, missing_staff = staff_named(facility, payload.staff)
    if missing_people or missing_staff:
        missing = {"people": missing_people, "staff": missing_staff}
        raise ValidationFailed.for_fields({name: msgs for name, msgs in missing.items() if msgs})
    incident = incident_report(
        actor=user, facility=facility, kind=payload.kind, narrative=payload.narrative,
        occurred_at=_aware(payload.occurred_at, facility), cell=cell, zone=zone,
        place=payload.place, people=people, staff=staff, damaged_feature=payload.damaged_feature,
        take_cell_out_of_service=payload.take_cell_out_of_service,
    )  # fmt: skip
    return Status(201, incident_detail_out(incident_get_for_user(user, incident.public_id)))


@router.get("", response=list[IncidentOut], auth=api_requires(VIEW))
def list_incidents(
    request: HttpRequest,
    facility: uuid.UUID | None = None,
    status: IncidentStatus | None = None,
    kind: IncidentKind | None = None,
) -> list[IncidentOut]:
    """Incidents of the caller's facilities (or one), newest first."""
    user = acting_user(request)
    places = (
        [facility_get_for_user(user, facility, VIEW)]
        if facility is not None
        else list(facilities_for_user(user, VIEW))
    )
    wanted = IncidentFilter(status=status or "", kind=kind or "")
    return [incident_out(i) for place in places for i in incident_list(place, wanted)]


@router.get("/{incident_id}", response=IncidentDetailOut, auth=api_requires(VIEW))
def get_incident(request: HttpRequest, incident_id: uuid.UUID) -> IncidentDetailOut:
    return incident_detail_out(incident_get_for_user(acting_user(request), incident_id))


@router.post(
    "/{incident_id}/notes",
    response={201: IncidentDetailOut},
    auth=api_requires(Perm.INCIDENT_REPORT),
)
def add_note(
    request: HttpRequest, incident_id: uuid.UUID, payload: NoteIn
) -> Status[IncidentDetailOut]:
    """Add follow-up: what was done, by whom."""
    user = acting_user(request)
    incident_note_add(
        actor=user, incident=incident_get_for_user(user, incident_id), text=payload.text
    )
    return Status(201, incident_detail_out(incident_get_for_user(user, incident_id)))


@router.post(
    "/{incident_id}/transition",
    response=IncidentDetailOut,
    auth=api_requires(Perm.INCIDENT_REVIEW),
)
def transition(
    request: HttpRequest, incident_id: uuid.UUID, payload: TransitionIn
) -> IncidentDetailOut:
    """Move it along: open, under review, closed (closing needs the outcome)."""
    user = acting_user(request)
    incident_transition(
        actor=user, incident=incident_get_for_user(user, incident_id), to=payload.to,
        note=payload.note, outcome=payload.outcome,
    )  # fmt: skip
    return incident_detail_out(incident_get_for_user(user, incident_id))


@router.post(
    "/{incident_id}/review",
    response=IncidentDetailOut,
    auth=api_requires(Perm.INCIDENT_REVIEW),
)
def review(request: HttpRequest, incident_id: uuid.UUID, payload: ReviewIn) -> IncidentDetailOut:
    """Mark it reviewed: an incident the system opened stops alerting."""
    user = acting_user(request)
    incident_review(
        actor=user, incident=incident_get_for_user(user, incident_id), note=payload.note
    )
    return incident_detail_out(incident_get_for_user(user, incident_id))
