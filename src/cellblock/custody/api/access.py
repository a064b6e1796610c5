"""API: zone and cell access — entry grants, door events, zone rules and cell condition.

Places are named by public id (a cell or a zone, exactly one), staff by
username and people by booking number.  A door opened for someone without
access answers 403 ``no_entry_grant`` with the refusal logged; sent again
with ``forced: true`` (and a note) it is stored as forced and answers 201
with the incident it opened.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import ValidationFailed
from cellblock.core.roles import Perm, Role
from cellblock.custody.api.restraints import aware, staff_named
from cellblock.custody.models import DoorAction, DoorEvent, DoorOutcome, EntryGrant
from cellblock.custody.selectors.access import (
    ZoneRule,
    door_log,
    grant_get_for_user,
    grants_in_force,
    zone_get_for_user,
    zone_rules,
)
from cellblock.custody.services.access import (
    cell_condition_report,
    door_event_record,
    entry_grant_issue,
    entry_grant_revoke,
    zone_access_set,
)
from cellblock.facilities.models import Cell, Facility, FeatureStatus, Zone
from cellblock.facilities.selectors import (
    cell_get_for_user,
    facilities_for_user,
    facility_get_for_user,
)

router = Router()

ONE_PLACE = "name one place: a cell or a zone."


class PlaceOut(Schema):
    kind: str = Field(description="cell or zone")
    id: uuid.UUID
    code: str
    label: str


class GrantIn(Schema):
    staff: str = Field(max_length=150, description="Username")
    cell: uuid.UUID | None = None
    zone: uuid.UUID | None = None
    valid_from: dt.datetime | None = Field(default=None, description="Default: now")
    valid_until: dt.datetime
    reason: str = Field(max_length=500)


class RevokeIn(Schema):
    reason: str = Field(default="", max_length=500)


class GrantOut(Schema):
    id: uuid.UUID
    staff: str
    staff_name: str
    place: PlaceOut
    valid_from: dt.datetime
    valid_until: dt.datetime
    reason: str
    granted_by: str
    granted_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str | None


class DoorIn(Schema):
    cell: uuid.UUID | None = None
    zone: uuid.UUID | None = None
    action: DoorAction
    staff_passed: list[str] = Field(default_factory=list, description="Usernames")
    people_passed: list[str] = Field(default_factory=list, description="Booking numbers")
    forced: bool = Field(
        default=False, description="They went in although refused: stored as forced"
    )
    note: str = Field(default="", max_length=1000)
    at: dt.datetime | None = None


class DoorOut(Schema):
    id: uuid.UUID
    place: PlaceOut
    action: DoorAction
    outcome: DoorOutcome
    at: dt.datetime
    operated_by: str
    staff_passed: list[str]
    people_passed: list[str]
    grant: uuid.UUID | None
    note: str
    incident: str | None = Field(description="The number of the incident a forced entry opened")


class ConditionIn(Schema):
    tag: str = Field(max_length=40, description="e.g. lighting, chakra-suppression")
    status: FeatureStatus
    note: str = Field(default="", max_length=500)


class ConditionOut(Schema):
    cell: PlaceOut
    tag: str
    status: FeatureStatus
    note: str


class ZoneAccessIn(Schema):
    roles: list[Role] = Field(description="Empty: every role that works in cells")


class ZoneAccessOut(Schema):
    zone: PlaceOut
    restricted: bool
    roles: list[str]
    admits: str


def _cell_place(cell: Cell) -> PlaceOut:
    return PlaceOut(
        kind="cell", id=cell.public_id, code=cell.code, label=f"{cell.unit.zone.name} / {cell.code}"
    )


def _zone_place(zone: Zone) -> PlaceOut:
    return PlaceOut(kind="zone", id=zone.public_id, code=zone.code, label=zone.name)


def _place_out(cell: Cell | None, zone: Zone | None) -> PlaceOut:
    if cell is not None:
        return _cell_place(cell)
    if zone is None:
        raise ValidationFailed.for_fields({"place": [ONE_PLACE]})
    return _zone_place(zone)


def grant_out(grant: EntryGrant) -> GrantOut:
    return GrantOut(
        id=grant.public_id, staff=grant.staff.get_username(), staff_name=str(grant.staff),
        place=_place_out(grant.cell, grant.zone), valid_from=grant.valid_from,
        valid_until=grant.valid_until, reason=grant.reason,
        granted_by=grant.granted_by.get_username(), granted_at=grant.granted_at,
        revoked_at=grant.revoked_at,
        revoked_by=grant.revoked_by.get_username() if grant.revoked_by else None,
    )  # fmt: skip


def door_out(event: DoorEvent) -> DoorOut:
    return DoorOut(
        id=event.public_id, place=_place_out(event.cell, event.zone),
        action=DoorAction(event.action), outcome=DoorOutcome(event.outcome), at=event.at,
        operated_by=event.operated_by.get_username(),
        staff_passed=[u.get_username() for u in event.staff_passed.all()],
        people_passed=[b.booking_number for b in event.people_passed.all()],
        grant=event.grant.public_id if event.grant else None, note=event.note,
        incident=event.incident.number if event.incident else None,
    )  # fmt: skip


def _rule_out(rule: ZoneRule) -> ZoneAccessOut:
    return ZoneAccessOut(
        zone=_zone_place(rule.zone), restricted=rule.zone.restricted, roles=rule.roles,
        admits=rule.admits,
    )  # fmt: skip


def _where(
    user: User, cell_id: uuid.UUID | None, zone_id: uuid.UUID | None, perm: Perm
) -> tuple[Cell | None, Zone | None, Facility]:
    """The cell or the zone (exactly one) at a facility where ``user`` holds ``perm``."""
    if (cell_id is None) == (zone_id is None):
        raise ValidationFailed.for_fields({"place": [ONE_PLACE]})
    if cell_id is not None:
        cell = cell_get_for_user(user, cell_id, perm)
        return cell, None, cell.unit.zone.facility
    zone = zone_get_for_user(user, zone_id or uuid.UUID(int=0), perm)
    return None, zone, zone.facility


def _facilities(user: User, facility: uuid.UUID | None) -> list[Facility]:
    if facility is not None:
        return [facility_get_for_user(user, facility, Perm.BOOKING_VIEW)]
    return list(facilities_for_user(user, Perm.BOOKING_VIEW))


def _people(user: User, facility: Facility, numbers: list[str]) -> list[Booking]:
    found = []
    for number in numbers:
        booking = booking_get_for_user(user, number)
        if booking.facility_id != facility.pk:
            raise ValidationFailed.for_fields(
                {"people_passed": [f"{number} is not held at {facility.name}."]}
            )
        found.append(booking)
    return found


# --- Grants ----------------------------------------------------------------------------


@router.post("/grants", response={201: GrantOut}, auth=api_requires(Perm.ENTRY_GRANT))
def issue_grant(request: HttpRequest, payload: GrantIn) -> Status[GrantOut]:
    """Let a named member of staff into one cell or zone for a time (24 h at most)."""
    user = acting_user(request)
    cell, zone, facility = _where(user, payload.cell, payload.zone, Perm.ENTRY_GRANT)
    staff = staff_named(facility, payload.staff, "staff")
    if staff is None:
        raise ValidationFailed.for_fields({"staff": ["is required."]})
    valid_until = aware(payload.valid_until, facility)
    grant = entry_grant_issue(
        actor=user, staff=staff, cell=cell, zone=zone,
        valid_from=aware(payload.valid_from, facility),
        valid_until=valid_until or payload.valid_until, reason=payload.reason,
    )  # fmt: skip
    return Status(201, grant_out(grant_get_for_user(user, grant.public_id)))


@router.post("/grants/{grant_id}/revoke", response=GrantOut, auth=api_requires(Perm.ENTRY_GRANT))
def revoke_grant(request: HttpRequest, grant_id: uuid.UUID, payload: RevokeIn) -> GrantOut:
    user = acting_user(request)
    grant = grant_get_for_user(user, grant_id)
    entry_grant_revoke(actor=user, grant=grant, reason=payload.reason)
    return grant_out(grant_get_for_user(user, grant_id))


@router.get("/grants", response=list[GrantOut], auth=api_requires(Perm.BOOKING_VIEW))
def list_grants(request: HttpRequest, facility: uuid.UUID | None = None) -> list[GrantOut]:
    """Grants running now or starting later, the soonest to end first."""
    user = acting_user(request)
    return [grant_out(g) for place in _facilities(user, facility) for g in grants_in_force(place)]


# --- Doors -----------------------------------------------------------------------------


@router.post("/doors", response={201: DoorOut}, auth=api_requires(Perm.DOOR_OPERATE))
def record_door(request: HttpRequest, payload: DoorIn) -> Status[DoorOut]:
    """Log a door operated and who passed; entrants without access are refused (403)."""
    user = acting_user(request)
    cell, zone, facility = _where(user, payload.cell, payload.zone, Perm.DOOR_OPERATE)
    staff = [staff_named(facility, name, "staff_passed") for name in payload.staff_passed]
    event = door_event_record(
        actor=user, action=payload.action, cell=cell, zone=zone,
        staff_passed=[member for member in staff if member is not None],
        people_passed=_people(user, facility, payload.people_passed), forced=payload.forced,
        note=payload.note, at=aware(payload.at, facility),
    )  # fmt: skip
    return Status(201, door_out(door_log_entry(event)))


def door_log_entry(event: DoorEvent) -> DoorEvent:
    return (
        DoorEvent.objects.select_related("operated_by", "cell__unit__zone", "zone", "incident")
        .select_related("grant")
        .get(pk=event.pk)
    )


@router.get("/doors", response=list[DoorOut], auth=api_requires(Perm.BOOKING_VIEW))
def list_doors(
    request: HttpRequest, facility: uuid.UUID | None = None, limit: int = 50
) -> list[DoorOut]:
    """The latest door events, newest first."""
    if not 1 <= limit <= 500:
        raise ValidationFailed.for_fields({"limit": ["must be from 1 to 500."]})
    user = acting_user(request)
    return [
        door_out(event) for place in _facilities(user, facility) for event in door_log(place, limit)
    ]


# --- Zones and cells ---------------------------------------------------------------------


@router.get("/zones", response=list[ZoneAccessOut], auth=api_requires(Perm.BOOKING_VIEW))
def list_zone_rules(request: HttpRequest, facility: uuid.UUID | None = None) -> list[ZoneAccessOut]:
    """Each zone with who may enter it without a grant."""
    user = acting_user(request)
    return [_rule_out(rule) for place in _facilities(user, facility) for rule in zone_rules(place)]


@router.put(
    "/zones/{zone_id}/access", response=ZoneAccessOut, auth=api_requires(Perm.FACILITY_CONFIGURE)
)
def set_zone_access(
    request: HttpRequest, zone_id: uuid.UUID, payload: ZoneAccessIn
) -> ZoneAccessOut:
    """Name the roles that may enter an unrestricted zone (a restricted one needs grants)."""
    user = acting_user(request)
    zone = zone_get_for_user(user, zone_id, Perm.FACILITY_CONFIGURE)
    roles = zone_access_set(actor=user, zone=zone, roles=[str(role) for role in payload.roles])
    return _rule_out(ZoneRule(zone=zone, roles=roles))


@router.put(
    "/cells/{cell_id}/condition",
    response=ConditionOut,
    auth=api_requires(Perm.CELL_CONDITION_REPORT),
)
def report_condition(
    request: HttpRequest, cell_id: uuid.UUID, payload: ConditionIn
) -> ConditionOut:
    """Report a cell's feature on shift: a light fitted (working), bars damaged (compromised)."""
    user = acting_user(request)
    cell = cell_get_for_user(user, cell_id, Perm.CELL_CONDITION_REPORT)
    feature = cell_condition_report(
        actor=user, cell=cell, tag=payload.tag, status=payload.status, note=payload.note
    )
    return ConditionOut(
        cell=_cell_place(cell), tag=feature.tag, status=FeatureStatus(feature.status),
        note=feature.note,
    )  # fmt: skip
