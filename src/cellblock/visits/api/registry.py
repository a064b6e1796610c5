"""Visits API: the registry — visitors, identity, approval, guardians, bans,
visiting lists, visit rooms and visit suspensions.

Visitors, bans, list entries, rooms and suspensions are named by opaque ids,
people in custody by booking number, staff by username.  Another facility's
records are 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.selectors.access import zone_get_for_user
from cellblock.facilities.models import Facility, Zone
from cellblock.facilities.selectors import facilities_for_user, facility_get_for_user
from cellblock.incidents.selectors import incident_get_for_user
from cellblock.people.models import IdentifierKind, Sex
from cellblock.visits.models import (
    GuardianRole,
    ListEntryStatus,
    Relationship,
    RoomKind,
    VisitingListEntry,
    Visitor,
    VisitorBan,
    VisitorStatus,
    VisitRoom,
    VisitSuspension,
)
from cellblock.visits.selectors.registry import (
    ban_get_for_user,
    list_entry_get_for_user,
    person_for_visitor,
    room_get_for_user,
    rooms_for_facility,
    suspension_get_for_user,
    suspensions_for_booking,
    visiting_list,
    visitor_get_for_user,
    visitors_search,
    visits_cancelled_by,
)
from cellblock.visits.services import registry as services
from cellblock.visits.services.registry import ADULT_AGE, today_at

router = Router()

NULL_NOT_ALLOWED = "cannot be empty (null)."


def _name(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def _aware(moment: dt.datetime | None, facility: Facility) -> dt.datetime | None:
    """A time without a zone is read on the facility's wall clock."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo(facility.timezone))


def _refuse_nulls(changes: dict[str, object], *, nullable: set[str]) -> None:
    nulls = [name for name, value in changes.items() if value is None and name not in nullable]
    if nulls:
        raise ValidationFailed.for_fields({name: [NULL_NOT_ALLOWED] for name in nulls})


# --- Schemas --------------------------------------------------------------------------------


class VisitorIn(Schema):
    facility: uuid.UUID
    person_id: uuid.UUID | None = Field(
        default=None,
        description="A person already on record; their names and birth date are used",
    )
    given_name: str = Field(default="", max_length=100)
    family_name: str = Field(default="", max_length=100)
    date_of_birth: dt.date | None = None
    sex: Sex = Sex.UNKNOWN
    phone: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=300)
    id_kind: IdentifierKind | None = Field(default=None, description="The document stated")
    id_number: str = Field(default="", max_length=64)


class VisitorPatchIn(Schema):
    given_name: str | None = Field(default=None, max_length=100)
    family_name: str | None = Field(default=None, max_length=100)
    date_of_birth: dt.date | None = None
    sex: Sex | None = None
    phone: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=300)


class IdentityIn(Schema):
    id_kind: IdentifierKind
    id_number: str = Field(max_length=64)


class DecisionIn(Schema):
    status: Literal["approved", "denied"]
    note: str = Field(default="", max_length=500, description="Required when denying")


class BanIn(Schema):
    reason: str = Field(max_length=500)
    starts_at: dt.datetime | None = Field(default=None, description="Default: now")
    expires_at: dt.datetime | None = Field(default=None, description="None: until lifted")


class LiftIn(Schema):
    reason: str = Field(max_length=500)


class GuardianIn(Schema):
    guardian_id: uuid.UUID
    role: GuardianRole


class ListEntryIn(Schema):
    visitor_id: uuid.UUID
    relationship: Relationship


class ListDecisionIn(Schema):
    approve: bool
    note: str = Field(default="", max_length=500, description="Required when refusing")


class ListRemoveIn(Schema):
    reason: str = Field(max_length=500)


class RoomIn(Schema):
    facility: uuid.UUID
    code: str = Field(max_length=20)
    name: str = Field(max_length=200)
    kind: RoomKind
    capacity: int = Field(default=1, description="Visits at once (tables or booths)")
    opens_at: dt.time = dt.time(8, 0)
    closes_at: dt.time = dt.time(20, 0)
    zone_id: uuid.UUID | None = None
    active: bool = True


class RoomPatchIn(Schema):
    code: str | None = Field(default=None, max_length=20)
    name: str | None = Field(default=None, max_length=200)
    kind: RoomKind | None = None
    capacity: int | None = None
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    zone_id: uuid.UUID | None = None
    active: bool | None = None


class SuspensionIn(Schema):
    reason: str = Field(max_length=500)
    starts_at: dt.datetime | None = Field(default=None, description="Default: now")
    expires_at: dt.datetime | None = Field(default=None, description="None: until lifted")
    incident_id: uuid.UUID | None = Field(default=None, description="The incident sanctioned")
    includes_legal: bool = Field(
        default=False, description="Legal and official visits are suspended too"
    )


class BanOut(Schema):
    id: uuid.UUID
    visitor_id: uuid.UUID
    visitor: str
    reason: str
    starts_at: dt.datetime
    expires_at: dt.datetime | None
    imposed_at: dt.datetime
    imposed_by: str
    lifted_at: dt.datetime | None
    lifted_by: str | None
    lift_reason: str
    in_force: bool
    visits_cancelled: list[uuid.UUID] = Field(
        default_factory=list, description="Visits cancelled when the ban was imposed"
    )


class GuardianOut(Schema):
    id: uuid.UUID = Field(description="The guardian's (or ward's) visitor id")
    name: str
    role: GuardianRole


class VisitorListEntryOut(Schema):
    id: uuid.UUID
    booking_number: str
    person: str
    relationship: Relationship
    status: ListEntryStatus


class VisitorOut(Schema):
    id: uuid.UUID
    facility: uuid.UUID
    person_id: uuid.UUID
    name: str
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    age: int | None = Field(description="Today, on the facility's calendar")
    is_minor: bool = Field(description=f"Under {ADULT_AGE} today (needs a guardian on visits)")
    sex: Sex
    phone: str
    address: str
    status: VisitorStatus
    id_kind: IdentifierKind | None
    id_number: str
    id_checked_at: dt.datetime | None
    id_checked_by: str | None
    decided_at: dt.datetime | None
    decided_by: str | None
    decision_note: str
    registered_at: dt.datetime
    registered_by: str | None
    bans: list[BanOut]
    banned_now: bool
    guardians: list[GuardianOut] = Field(description="Who may bring this minor to visits")
    wards: list[GuardianOut] = Field(description="Minors this visitor may bring")
    list_entries: list[VisitorListEntryOut]


class ListVisitorOut(Schema):
    id: uuid.UUID
    name: str
    status: VisitorStatus
    age: int | None
    is_minor: bool


class ListEntryOut(Schema):
    id: uuid.UUID
    booking_number: str
    person: str
    visitor: ListVisitorOut
    relationship: Relationship
    status: ListEntryStatus
    added_at: dt.datetime
    added_by: str | None
    decided_at: dt.datetime | None
    decided_by: str | None
    removed_at: dt.datetime | None
    removed_by: str | None
    remove_reason: str


class RoomOut(Schema):
    id: uuid.UUID
    facility: uuid.UUID
    code: str
    name: str
    kind: RoomKind
    capacity: int
    opens_at: dt.time
    closes_at: dt.time
    zone: str | None = Field(description="Zone code")
    active: bool


class SuspensionOut(Schema):
    id: uuid.UUID
    booking_number: str
    person: str
    reason: str
    incident: str | None = Field(description="Incident number")
    starts_at: dt.datetime
    expires_at: dt.datetime | None
    includes_legal: bool
    imposed_at: dt.datetime
    imposed_by: str
    lifted_at: dt.datetime | None
    lifted_by: str | None
    lift_reason: str
    in_force: bool
    visits_cancelled: list[uuid.UUID] = Field(
        default_factory=list, description="Visits cancelled when it was imposed"
    )


# --- Building the answers -----------------------------------------------------------------


def _age(visitor: Visitor, today: dt.date) -> int | None:
    return visitor.person.age_on(today)


def ban_out(ban: VisitorBan, *, with_visits: bool = False) -> BanOut:
    return BanOut(
        id=ban.public_id, visitor_id=ban.visitor.public_id, visitor=ban.visitor.person.full_name,
        reason=ban.reason, starts_at=ban.starts_at, expires_at=ban.expires_at,
        imposed_at=ban.imposed_at, imposed_by=ban.imposed_by.get_username(),
        lifted_at=ban.lifted_at, lifted_by=_name(ban.lifted_by), lift_reason=ban.lift_reason,
        in_force=ban.in_force_at(clock.now()),
        visits_cancelled=[v.public_id for v in visits_cancelled_by(ban)] if with_visits else [],
    )  # fmt: skip


def visitor_out(visitor: Visitor) -> VisitorOut:
    """A visitor fetched with its details (``visitor_get_for_user`` or ``visitors_search``)."""
    now = clock.now()
    person = visitor.person
    age = _age(visitor, today_at(visitor.facility))
    bans = [ban_out(ban) for ban in visitor.bans.all()]
    return VisitorOut(
        id=visitor.public_id, facility=visitor.facility.public_id, person_id=person.public_id,
        name=person.full_name, given_name=person.given_name, family_name=person.family_name,
        date_of_birth=person.date_of_birth, age=age,
        is_minor=age is not None and age < ADULT_AGE, sex=Sex(person.sex),
        phone=visitor.phone, address=visitor.address, status=VisitorStatus(visitor.status),
        id_kind=IdentifierKind(visitor.id_kind) if visitor.id_kind else None,
        id_number=visitor.id_number, id_checked_at=visitor.id_checked_at,
        id_checked_by=_name(visitor.id_checked_by), decided_at=visitor.decided_at,
        decided_by=_name(visitor.decided_by), decision_note=visitor.decision_note,
        registered_at=visitor.registered_at, registered_by=_name(visitor.registered_by),
        bans=bans, banned_now=any(ban.in_force_at(now) for ban in visitor.bans.all()),
        guardians=[
            GuardianOut(id=g.guardian.public_id, name=g.guardian.person.full_name,
                        role=GuardianRole(g.role))
            for g in visitor.guardianships.all()
        ],
        wards=[
            GuardianOut(id=g.minor.public_id, name=g.minor.person.full_name,
                        role=GuardianRole(g.role))
            for g in visitor.wards.all()
        ],
        list_entries=[
            VisitorListEntryOut(
                id=e.public_id, booking_number=e.booking.booking_number,
                person=e.booking.person.full_name, relationship=Relationship(e.relationship),
                status=ListEntryStatus(e.status),
            )
            for e in visitor.list_entries.all()
        ],
    )  # fmt: skip


def entry_out(entry: VisitingListEntry) -> ListEntryOut:
    visitor = entry.visitor
    age = _age(visitor, today_at(entry.booking.facility))
    return ListEntryOut(
        id=entry.public_id, booking_number=entry.booking.booking_number,
        person=entry.booking.person.full_name,
        visitor=ListVisitorOut(
            id=visitor.public_id, name=visitor.person.full_name,
            status=VisitorStatus(visitor.status), age=age,
            is_minor=age is not None and age < ADULT_AGE,
        ),
        relationship=Relationship(entry.relationship), status=ListEntryStatus(entry.status),
        added_at=entry.added_at, added_by=_name(entry.added_by), decided_at=entry.decided_at,
        decided_by=_name(entry.decided_by), removed_at=entry.removed_at,
        removed_by=_name(entry.removed_by), remove_reason=entry.remove_reason,
    )  # fmt: skip


def room_out(room: VisitRoom) -> RoomOut:
    return RoomOut(
        id=room.public_id, facility=room.facility.public_id, code=room.code, name=room.name,
        kind=RoomKind(room.kind), capacity=room.capacity, opens_at=room.opens_at,
        closes_at=room.closes_at, zone=room.zone.code if room.zone is not None else None,
        active=room.active,
    )  # fmt: skip


def suspension_out(suspension: VisitSuspension, *, with_visits: bool = False) -> SuspensionOut:
    cancelled = visits_cancelled_by(suspension) if with_visits else []
    return SuspensionOut(
        id=suspension.public_id, booking_number=suspension.booking.booking_number,
        person=suspension.booking.person.full_name, reason=suspension.reason,
        incident=suspension.incident.number if suspension.incident is not None else None,
        starts_at=suspension.starts_at, expires_at=suspension.expires_at,
        includes_legal=suspension.includes_legal, imposed_at=suspension.imposed_at,
        imposed_by=suspension.imposed_by.get_username(), lifted_at=suspension.lifted_at,
        lifted_by=_name(suspension.lifted_by), lift_reason=suspension.lift_reason,
        in_force=suspension.in_force_at(clock.now()),
        visits_cancelled=[visit.public_id for visit in cancelled],
    )  # fmt: skip


def _visitor(user: User, visitor_id: uuid.UUID | str) -> VisitorOut:
    return visitor_out(visitor_get_for_user(user, visitor_id))


def _places(user: User, facility: uuid.UUID | None, perm: Perm) -> list[Facility]:
    """The facility asked for, or every facility where ``user`` holds ``perm``."""
    if facility is not None:
        return [facility_get_for_user(user, facility, perm)]
    return list(facilities_for_user(user, perm))


def _zone(user: User, zone_id: uuid.UUID | None) -> Zone | None:
    return (
        zone_get_for_user(user, zone_id, Perm.FACILITY_CONFIGURE) if zone_id is not None else None
    )


# --- Visitors -------------------------------------------------------------------------------


@router.get("/visitors", response=list[VisitorOut], auth=api_requires(Perm.VISIT_VIEW))
def list_visitors(
    request: HttpRequest,
    q: str = "",
    status: VisitorStatus | None = None,
    facility: uuid.UUID | None = None,
) -> list[VisitorOut]:
    """Visitors by name or document number, with their bans, guardians and lists."""
    places = _places(acting_user(request), facility, Perm.VISIT_VIEW)
    return [visitor_out(v) for v in visitors_search(places, q=q, status=status)]


@router.post("/visitors", response={201: VisitorOut}, auth=api_requires(Perm.VISITOR_MANAGE))
def register_visitor(request: HttpRequest, payload: VisitorIn) -> Status[VisitorOut]:
    """Register a visitor (409 ``visitor_exists`` if already registered, ``visitor_in_custody``
    if held)."""
    user = acting_user(request)
    facility = facility_get_for_user(user, payload.facility, Perm.VISITOR_MANAGE)
    person = person_for_visitor(user, payload.person_id) if payload.person_id is not None else None
    visitor = services.visitor_register(
        actor=user, facility=facility, given_name=payload.given_name,
        family_name=payload.family_name, date_of_birth=payload.date_of_birth, sex=payload.sex,
        phone=payload.phone, address=payload.address, id_kind=payload.id_kind or "",
        id_number=payload.id_number, person=person,
    )  # fmt: skip
    return Status(201, _visitor(user, visitor.public_id))


@router.get("/visitors/{uuid:visitor_id}", response=VisitorOut, auth=api_requires(Perm.VISIT_VIEW))
def get_visitor(request: HttpRequest, visitor_id: uuid.UUID) -> VisitorOut:
    return _visitor(acting_user(request), visitor_id)


@router.patch(
    "/visitors/{uuid:visitor_id}", response=VisitorOut, auth=api_requires(Perm.VISITOR_MANAGE)
)
def update_visitor(
    request: HttpRequest, visitor_id: uuid.UUID, payload: VisitorPatchIn
) -> VisitorOut:
    """Correct contact details, or the names and birth date of someone never booked."""
    user = acting_user(request)
    visitor = visitor_get_for_user(user, visitor_id)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, nullable={"date_of_birth"})
    services.visitor_update(actor=user, visitor=visitor, **changes)
    return _visitor(user, visitor_id)


@router.post(
    "/visitors/{uuid:visitor_id}/identity",
    response=VisitorOut,
    auth=api_requires(Perm.VISITOR_MANAGE),
)
def check_identity(request: HttpRequest, visitor_id: uuid.UUID, payload: IdentityIn) -> VisitorOut:
    """Record the identity document seen: the check is by you, now."""
    user = acting_user(request)
    visitor = visitor_get_for_user(user, visitor_id)
    services.visitor_identity_check(
        actor=user, visitor=visitor, id_kind=payload.id_kind, id_number=payload.id_number
    )
    return _visitor(user, visitor_id)


@router.post(
    "/visitors/{uuid:visitor_id}/decision",
    response=VisitorOut,
    auth=api_requires(Perm.VISITOR_MANAGE),
)
def decide_visitor(request: HttpRequest, visitor_id: uuid.UUID, payload: DecisionIn) -> VisitorOut:
    """Approve (needs an identity check) or deny (needs a note) a visitor."""
    user = acting_user(request)
    visitor = visitor_get_for_user(user, visitor_id)
    services.visitor_decide(actor=user, visitor=visitor, status=payload.status, note=payload.note)
    return _visitor(user, visitor_id)


@router.post(
    "/visitors/{uuid:visitor_id}/bans",
    response={201: BanOut},
    auth=api_requires(Perm.VISITOR_BAN),
)
def ban_visitor(request: HttpRequest, visitor_id: uuid.UUID, payload: BanIn) -> Status[BanOut]:
    """Bar a visitor; their booked visits inside the ban are cancelled with its reason."""
    user = acting_user(request)
    visitor = visitor_get_for_user(user, visitor_id)
    facility = visitor.facility
    ban = services.visitor_ban(
        actor=user, visitor=visitor, reason=payload.reason,
        starts_at=_aware(payload.starts_at, facility),
        expires_at=_aware(payload.expires_at, facility),
    )  # fmt: skip
    return Status(201, ban_out(ban_get_for_user(user, ban.public_id), with_visits=True))


@router.post("/bans/{uuid:ban_id}/lift", response=BanOut, auth=api_requires(Perm.VISITOR_BAN))
def lift_ban(request: HttpRequest, ban_id: uuid.UUID, payload: LiftIn) -> BanOut:
    """Lift a ban early, with the reason; cancelled visits stay cancelled."""
    user = acting_user(request)
    ban = ban_get_for_user(user, ban_id)
    services.visitor_ban_lift(actor=user, ban=ban, reason=payload.reason)
    return ban_out(ban_get_for_user(user, ban_id))


@router.post(
    "/visitors/{uuid:visitor_id}/guardians",
    response={201: VisitorOut},
    auth=api_requires(Perm.VISITOR_MANAGE),
)
def record_guardian(
    request: HttpRequest, visitor_id: uuid.UUID, payload: GuardianIn
) -> Status[VisitorOut]:
    """Record a parent or legal guardian (an adult visitor here) who may bring this minor."""
    user = acting_user(request)
    minor = visitor_get_for_user(user, visitor_id)
    guardian = visitor_get_for_user(user, payload.guardian_id)
    services.guardianship_record(actor=user, minor=minor, guardian=guardian, role=payload.role)
    return Status(201, _visitor(user, visitor_id))


# --- Visiting lists -------------------------------------------------------------------------


@router.get(
    "/bookings/{booking_number}/visiting-list",
    response=list[ListEntryOut],
    auth=api_requires(Perm.VISIT_VIEW),
)
def get_visiting_list(
    request: HttpRequest, booking_number: str, include_removed: bool = False
) -> list[ListEntryOut]:
    """The person's visitors, approved and pending (and removed ones when asked)."""
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    return [entry_out(e) for e in visiting_list(booking, include_removed=include_removed)]


@router.post(
    "/bookings/{booking_number}/visiting-list",
    response={201: ListEntryOut},
    auth=api_requires(Perm.VISITOR_MANAGE),
)
def add_to_visiting_list(
    request: HttpRequest, booking_number: str, payload: ListEntryIn
) -> Status[ListEntryOut]:
    """Put a visitor on the list (pending until approved); 409 ``already_listed``."""
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    visitor = visitor_get_for_user(user, payload.visitor_id)
    entry = services.visiting_list_add(
        actor=user, booking=booking, visitor=visitor, relationship=payload.relationship
    )
    return Status(201, entry_out(list_entry_get_for_user(user, entry.public_id)))


@router.post(
    "/visiting-list/{uuid:entry_id}/decision",
    response=ListEntryOut,
    auth=api_requires(Perm.VISITOR_MANAGE),
)
def decide_list_entry(
    request: HttpRequest, entry_id: uuid.UUID, payload: ListDecisionIn
) -> ListEntryOut:
    """Approve a pending entry, or refuse it with a note (it comes off the list)."""
    user = acting_user(request)
    entry = list_entry_get_for_user(user, entry_id)
    services.visiting_list_decide(
        actor=user, entry=entry, approve=payload.approve, note=payload.note
    )
    return entry_out(list_entry_get_for_user(user, entry_id))


@router.post(
    "/visiting-list/{uuid:entry_id}/remove",
    response=ListEntryOut,
    auth=api_requires(Perm.VISITOR_MANAGE),
)
def remove_list_entry(
    request: HttpRequest, entry_id: uuid.UUID, payload: ListRemoveIn
) -> ListEntryOut:
    """Take a visitor off the list, with the reason."""
    user = acting_user(request)
    entry = list_entry_get_for_user(user, entry_id)
    services.visiting_list_remove(actor=user, entry=entry, reason=payload.reason)
    return entry_out(list_entry_get_for_user(user, entry_id))


# --- Rooms ----------------------------------------------------------------------------------


@router.get("/rooms", response=list[RoomOut], auth=api_requires(Perm.FACILITY_VIEW))
def list_rooms(
    request: HttpRequest, facility: uuid.UUID | None = None, active_only: bool = True
) -> list[RoomOut]:
    """Visit rooms and booths with their kind, capacity and hours."""
    places = _places(acting_user(request), facility, Perm.FACILITY_VIEW)
    return [room_out(r) for place in places for r in rooms_for_facility(place, active_only)]


@router.post("/rooms", response={201: RoomOut}, auth=api_requires(Perm.FACILITY_CONFIGURE))
def create_room(request: HttpRequest, payload: RoomIn) -> Status[RoomOut]:
    """Set up a visit room or a row of booths."""
    user = acting_user(request)
    facility = facility_get_for_user(user, payload.facility, Perm.FACILITY_CONFIGURE)
    zone = _zone(user, payload.zone_id)
    room = services.visit_room_save(
        actor=user, facility=facility, code=payload.code, name=payload.name, kind=payload.kind,
        capacity=payload.capacity, opens_at=payload.opens_at, closes_at=payload.closes_at,
        zone=zone, active=payload.active,
    )  # fmt: skip
    return Status(201, room_out(room_get_for_user(user, room.public_id, Perm.FACILITY_CONFIGURE)))


@router.patch("/rooms/{uuid:room_id}", response=RoomOut, auth=api_requires(Perm.FACILITY_CONFIGURE))
def update_room(request: HttpRequest, room_id: uuid.UUID, payload: RoomPatchIn) -> RoomOut:
    """Change a room's name, kind, capacity, hours or zone, or take it out of use."""
    user = acting_user(request)
    room = room_get_for_user(user, room_id, Perm.FACILITY_CONFIGURE)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, nullable={"zone_id"})
    zone = _zone(user, changes["zone_id"]) if "zone_id" in changes else room.zone
    services.visit_room_save(
        actor=user, facility=room.facility, room=room,
        code=changes.get("code", room.code), name=changes.get("name", room.name),
        kind=changes.get("kind", room.kind), capacity=changes.get("capacity", room.capacity),
        opens_at=changes.get("opens_at", room.opens_at),
        closes_at=changes.get("closes_at", room.closes_at), zone=zone,
        active=changes.get("active", room.active),
    )  # fmt: skip
    return room_out(room_get_for_user(user, room_id, Perm.FACILITY_CONFIGURE))


# --- Suspensions ----------------------------------------------------------------------------


@router.get(
    "/bookings/{booking_number}/suspensions",
    response=list[SuspensionOut],
    auth=api_requires(Perm.VISIT_VIEW),
)
def list_suspensions(request: HttpRequest, booking_number: str) -> list[SuspensionOut]:
    """Every visit suspension of a booking, the latest first."""
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    return [suspension_out(s) for s in suspensions_for_booking(booking)]


@router.post(
    "/bookings/{booking_number}/suspensions",
    response={201: SuspensionOut},
    auth=api_requires(Perm.VISIT_SUSPEND),
)
def suspend_visits(
    request: HttpRequest, booking_number: str, payload: SuspensionIn
) -> Status[SuspensionOut]:
    """Suspend a person's visits as a sanction; booked visits inside it are cancelled."""
    user = acting_user(request)
    booking = booking_get_for_user(user, booking_number)
    facility = booking.facility
    incident = (
        incident_get_for_user(user, payload.incident_id)
        if payload.incident_id is not None
        else None
    )
    suspension = services.visit_suspension_impose(
        actor=user, booking=booking, reason=payload.reason,
        starts_at=_aware(payload.starts_at, facility),
        expires_at=_aware(payload.expires_at, facility), incident=incident,
        includes_legal=payload.includes_legal,
    )  # fmt: skip
    fresh = suspension_get_for_user(user, suspension.public_id)
    return Status(201, suspension_out(fresh, with_visits=True))


@router.post(
    "/suspensions/{uuid:suspension_id}/lift",
    response=SuspensionOut,
    auth=api_requires(Perm.VISIT_SUSPEND),
)
def lift_suspension(
    request: HttpRequest, suspension_id: uuid.UUID, payload: LiftIn
) -> SuspensionOut:
    """End a suspension early, with the reason."""
    user = acting_user(request)
    suspension = suspension_get_for_user(user, suspension_id)
    services.visit_suspension_lift(actor=user, suspension=suspension, reason=payload.reason)
    return suspension_out(suspension_get_for_user(user, suspension_id))
