"""API: restraints — apply, check, approve past the limit, remove, review a removal.

People are named by booking number and staff by username.  A restraint
outside the caller's facilities is 404; "discipline" as the purpose is 409
``restraint_as_punishment`` (Mandela Rule 43(2)).
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
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.models import Restraint, RestraintKind, RestraintPurpose
from cellblock.custody.selectors.access import member_of
from cellblock.custody.selectors.restraints import (
    RestraintRow,
    restraint_get_for_user,
    restraint_row,
    restraints_in_force,
    restraints_of,
)
from cellblock.custody.services.restraints import (
    removal_incidents,
    restraint_apply,
    restraint_check_record,
    restraint_extension_approve,
    restraint_removal_review,
    restraint_remove,
)
from cellblock.facilities.models import Facility
from cellblock.facilities.selectors import facilities_for_user, facility_get_for_user

router = Router()

UNKNOWN_STAFF = "{username} is not on the staff of {facility}."


class RestraintIn(Schema):
    booking: str = Field(max_length=32, description="Booking number")
    kind: RestraintKind
    purpose: RestraintPurpose = Field(description="Never 'discipline': refused (409)")
    reason: str = Field(max_length=1000)
    assisted_by: str | None = Field(default=None, description="Username of the second officer")
    authorised_by: str | None = Field(
        default=None,
        description="Username of the supervisor or commander; empty: applied in an emergency",
    )
    at: dt.datetime | None = Field(default=None, description="When it was applied (default now)")


class CheckIn(Schema):
    circulation_ok: bool = True
    note: str = Field(default="", max_length=500)
    at: dt.datetime | None = None


class ExtensionIn(Schema):
    side: Literal["supervisor", "medic"] | None = Field(
        default=None,
        description="The side you approve; left out: your only open side (a medic: medic)",
    )


class RemoveIn(Schema):
    authorised_by: str | None = Field(
        default=None, description="Username of the supervisor whose authority it is"
    )
    note: str = Field(default="", max_length=500)
    at: dt.datetime | None = None


class ReviewIn(Schema):
    note: str = Field(max_length=500)


class RestraintOut(Schema):
    id: uuid.UUID
    booking_number: str
    person: str
    cell: str | None
    kind: RestraintKind
    purpose: RestraintPurpose
    reason: str
    applied_at: dt.datetime
    applied_by: str
    assisted_by: str | None
    authorised_by: str | None = Field(description="None: applied without authority")
    last_check_at: dt.datetime | None
    next_check_due: dt.datetime | None = Field(description="None once removed")
    checks_overdue: bool
    minutes_overdue: int
    minutes_restrained: int
    approval_due_at: dt.datetime
    approvals_missing: list[str] = Field(description="Extension sides not approved yet")
    over_limit: bool
    extension_supervisor: str | None
    extension_supervisor_at: dt.datetime | None
    extension_medic: str | None
    extension_medic_at: dt.datetime | None
    removed_at: dt.datetime | None
    removed_by: str | None
    removal_authorised_by: str | None
    removal_note: str
    removal_reviewed_by: str | None
    removal_reviewed_at: dt.datetime | None
    awaiting_review: bool
    incidents: list[str] = Field(
        default_factory=list, description="Incidents opened by a removal without authority"
    )


def _name(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def restraint_out(row: RestraintRow, *, incidents: list[str] | None = None) -> RestraintOut:
    r = row.restraint
    return RestraintOut(
        id=r.public_id, booking_number=r.booking.booking_number,
        person=r.booking.person.full_name, cell=row.cell_code, kind=RestraintKind(r.kind),
        purpose=RestraintPurpose(r.purpose), reason=r.reason, applied_at=r.applied_at,
        applied_by=r.applied_by.get_username(), assisted_by=_name(r.assisted_by),
        authorised_by=_name(r.authorised_by), last_check_at=row.last_check_at,
        next_check_due=row.next_check_due if row.in_force else None,
        checks_overdue=row.overdue, minutes_overdue=row.minutes_overdue,
        minutes_restrained=row.minutes_restrained, approval_due_at=row.approval_due_at,
        approvals_missing=row.approvals_missing, over_limit=row.over_limit,
        extension_supervisor=_name(r.extension_supervisor),
        extension_supervisor_at=r.extension_supervisor_at,
        extension_medic=_name(r.extension_medic), extension_medic_at=r.extension_medic_at,
        removed_at=r.removed_at, removed_by=_name(r.removed_by),
        removal_authorised_by=_name(r.removal_authorised_by), removal_note=r.removal_note,
        removal_reviewed_by=_name(r.removal_reviewed_by),
        removal_reviewed_at=r.removal_reviewed_at, awaiting_review=row.awaiting_review,
        incidents=incidents or [],
    )  # fmt: skip


def _one(restraint: Restraint) -> RestraintOut:
    row = restraint_row(restraint)
    numbers = [incident.number for incident in removal_incidents(row.restraint)]
    return restraint_out(row, incidents=numbers)


def aware(moment: dt.datetime | None, facility: Facility) -> dt.datetime | None:
    """A time without a zone is read on the facility's wall clock."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo(facility.timezone))


def staff_named(facility: Facility, username: str | None, field: str) -> User | None:
    """The member of staff of ``facility`` named by ``username`` (400 naming the field if not)."""
    if not username:
        return None
    member = member_of(facility, username)
    if member is None:
        raise ValidationFailed.for_fields(
            {field: [UNKNOWN_STAFF.format(username=username, facility=facility.name)]}
        )
    return member


@router.post("/restraints", response={201: RestraintOut}, auth=api_requires(Perm.RESTRAINT_APPLY))
def apply_restraint(request: HttpRequest, payload: RestraintIn) -> Status[RestraintOut]:
    """Apply a restraint: why, who helped, on whose authority (empty: an emergency)."""
    user = acting_user(request)
    booking = booking_get_for_user(user, payload.booking)
    facility = booking.facility
    restraint = restraint_apply(
        actor=user, booking=booking, kind=payload.kind, purpose=payload.purpose,
        reason=payload.reason,
        assisted_by=staff_named(facility, payload.assisted_by, "assisted_by"),
        authorised_by=staff_named(facility, payload.authorised_by, "authorised_by"),
        at=aware(payload.at, facility),
    )  # fmt: skip
    return Status(201, _one(restraint))


@router.get("/restraints", response=list[RestraintOut], auth=api_requires(Perm.BOOKING_VIEW))
def list_restraints(
    request: HttpRequest, facility: uuid.UUID | None = None, booking: str | None = None
) -> list[RestraintOut]:
    """Restraints in force (the next check due first), or every restraint of one booking."""
    user = acting_user(request)
    if booking:
        return [restraint_out(row) for row in restraints_of(booking_get_for_user(user, booking))]
    places = (
        [facility_get_for_user(user, facility, Perm.BOOKING_VIEW)]
        if facility is not None
        else list(facilities_for_user(user, Perm.BOOKING_VIEW))
    )
    return [restraint_out(row) for place in places for row in restraints_in_force(place)]


@router.post(
    "/restraints/{restraint_id}/checks",
    response={201: RestraintOut},
    auth=api_requires(Perm.RESTRAINT_APPLY),
)
def record_check(
    request: HttpRequest, restraint_id: uuid.UUID, payload: CheckIn
) -> Status[RestraintOut]:
    """Record a check (circulation, breathing, position): the next is due a policy interval on."""
    user = acting_user(request)
    restraint = restraint_get_for_user(user, restraint_id)
    restraint_check_record(
        actor=user, restraint=restraint, circulation_ok=payload.circulation_ok,
        note=payload.note, at=aware(payload.at, restraint.booking.facility),
    )  # fmt: skip
    return Status(201, _one(restraint))


@router.post(
    "/restraints/{restraint_id}/extension",
    response=RestraintOut,
    auth=api_requires(Perm.BOOKING_VIEW),
)
def approve_extension(
    request: HttpRequest, restraint_id: uuid.UUID, payload: ExtensionIn
) -> RestraintOut:
    """Approve one side of keeping it on past the limit: a supervisor and a medic, two people."""
    user = acting_user(request)
    restraint = restraint_get_for_user(user, restraint_id)
    restraint_extension_approve(actor=user, restraint=restraint, side=payload.side)
    return _one(restraint)


@router.post(
    "/restraints/{restraint_id}/remove",
    response=RestraintOut,
    auth=api_requires(Perm.RESTRAINT_REMOVE),
)
def remove_restraint(
    request: HttpRequest, restraint_id: uuid.UUID, payload: RemoveIn
) -> RestraintOut:
    """Take it off, on whose authority; without one it is recorded and an incident opens."""
    user = acting_user(request)
    restraint = restraint_get_for_user(user, restraint_id)
    facility = restraint.booking.facility
    restraint_remove(
        actor=user, restraint=restraint,
        authorised_by=staff_named(facility, payload.authorised_by, "authorised_by"),
        note=payload.note, at=aware(payload.at, facility),
    )  # fmt: skip
    return _one(restraint)


@router.post(
    "/restraints/{restraint_id}/review",
    response=RestraintOut,
    auth=api_requires(Perm.RESTRAINT_AUTHORISE),
)
def review_removal(
    request: HttpRequest, restraint_id: uuid.UUID, payload: ReviewIn
) -> RestraintOut:
    """A supervisor reviews a removal made without authority; its alert clears."""
    user = acting_user(request)
    restraint = restraint_get_for_user(user, restraint_id)
    restraint_removal_review(actor=user, restraint=restraint, note=payload.note)
    return _one(restraint)
