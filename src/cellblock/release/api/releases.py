"""Release API: start a release, work its checklist, complete it, return, cancel.

A release is named by opaque id, the person by booking number, staff by
username, facilities by id.  Every operation answers the release as
``GET /api/releases/{id}`` does, with its checklist.  The medical discharge
step answers, like every other, that the note was written, by whom and when:
its text is clinical and never leaves the medical record here.

A completion refused because the checklist is not done answers 409
``release_checklist_incomplete`` naming each open step (``extra.steps``, the
codes; ``extra.blockers``, what holds the person); one before the computed
date answers 409 ``early_release`` unless the commander sends
``override_reason``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.http import HttpRequest
from ninja import Query, Schema, Status
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import ValidationFailed
from cellblock.core.roles import Perm
from cellblock.court.services.release_dates import release_date_of
from cellblock.facilities.models import Facility
from cellblock.release import selectors as reads
from cellblock.release.api import router
from cellblock.release.models import (
    OPEN_RELEASE_STATUSES,
    Release,
    ReleaseKind,
    ReleaseStatus,
    ReleaseStepCode,
)
from cellblock.release.services import checklist, releases, steps

NO_SUCH_FACILITY = "no facility {id} in {agency}: a transfer stays within the agency."


# --- Schemas ------------------------------------------------------------------------------


class StartIn(Schema):
    booking: str = Field(max_length=32, description="The booking number of the person")
    kind: ReleaseKind
    authority: str = Field(
        default="", max_length=300, description="The court order, bond receipt or decision"
    )
    reason: str = Field(default="", max_length=500, description="Required for escape and death")
    assignment_rank: str = Field(
        default="", max_length=60, description="A release to an assignment: the mission's rank"
    )
    conditions: str = Field(default="", max_length=500, description="An assignment's conditions")
    expected_return_at: dt.datetime | None = Field(
        default=None,
        description="A furlough (required) or an assignment with a return: when due back",
    )
    to_facility: uuid.UUID | None = Field(
        default=None, description="A transfer: the receiving facility of the agency"
    )


class PropertyIn(Schema):
    signed: bool = Field(description="The person (on a transfer, the escort) signed for it")
    note: str = Field(default="", max_length=300)


class MoneyIn(Schema):
    amount: Decimal = Field(description="Handed over, in the facility's currency")
    note: str = Field(default="", max_length=400, description="Needed if it differs from intake")


class DischargeIn(Schema):
    text: str = Field(max_length=10_000, description="Clinical: read by medical staff only")
    medication: str = Field(default="", max_length=500)
    follow_up: str = Field(default="", max_length=500)


class CompleteIn(Schema):
    override_reason: str = Field(
        default="", max_length=500, description="The commander's reason to release early"
    )
    emergency_reason: str = Field(
        default="", max_length=500, description="Why the person cannot wait for a count to clear"
    )


class ReturnIn(Schema):
    at: dt.datetime | None = Field(default=None, description="When they came back; default now")


class CancelIn(Schema):
    reason: str = Field(max_length=500)


class FacilityRef(Schema):
    id: uuid.UUID
    code: str
    name: str


class StepOut(Schema):
    code: ReleaseStepCode
    label: str
    required: bool
    done: bool
    completed_at: dt.datetime | None
    completed_by: str | None
    note: str = Field(description="What was done; never clinical text")
    blockers: list[str] = Field(description="What holds the person (the holds step)")
    amount: Decimal | None


class ReleaseOut(Schema):
    id: uuid.UUID
    booking_number: str
    person: str
    facility: uuid.UUID
    kind: ReleaseKind
    status: ReleaseStatus
    temporary: bool = Field(description="A furlough, or an assignment with a return")
    authority: str
    reason: str
    requested_at: dt.datetime
    requested_by: str | None
    assignment_rank: str
    conditions: str
    authorised_by: str | None
    expected_return_at: dt.datetime | None
    movement: uuid.UUID | None
    returned_at: dt.datetime | None
    to_facility: FacilityRef | None
    new_booking: str | None
    release_on: dt.date | None = Field(
        description="The computed release date: now while in hand, at completion afterwards"
    )
    early_override_reason: str
    early_override_by: str | None
    completed_at: dt.datetime | None
    completed_by: str | None
    cancelled_at: dt.datetime | None
    cancelled_by: str | None
    cancel_reason: str
    steps: list[StepOut]


# --- Shaping ------------------------------------------------------------------------------


def name_of(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def step_out(state: checklist.StepState) -> StepOut:
    return StepOut(
        code=ReleaseStepCode(state.code), label=state.label, required=state.required,
        done=state.done, completed_at=state.completed_at, completed_by=name_of(state.completed_by),
        note=state.note, blockers=state.blockers, amount=state.amount,
    )  # fmt: skip


def facility_ref(facility: Facility | None) -> FacilityRef | None:
    if facility is None:
        return None
    return FacilityRef(id=facility.public_id, code=facility.code, name=facility.name)


def release_out(release: Release) -> ReleaseOut:
    booking = release.booking
    in_hand = release.status in OPEN_RELEASE_STATUSES
    if in_hand:
        current = release_date_of(booking)
        release_on = current.release_on if current is not None else None
    else:
        release_on = release.release_date_then
    return ReleaseOut(
        id=release.public_id, booking_number=booking.booking_number,
        person=booking.person.full_name, facility=booking.facility.public_id,
        kind=ReleaseKind(release.kind), status=ReleaseStatus(release.status),
        temporary=release.is_temporary, authority=release.authority, reason=release.reason,
        requested_at=release.requested_at, requested_by=name_of(release.requested_by),
        assignment_rank=release.assignment_rank, conditions=release.conditions,
        authorised_by=name_of(release.authorised_by),
        expected_return_at=release.expected_return_at,
        movement=release.movement.public_id if release.movement else None,
        returned_at=release.returned_at, to_facility=facility_ref(release.to_facility),
        new_booking=release.new_booking.booking_number if release.new_booking else None,
        release_on=release_on, early_override_reason=release.early_override_reason,
        early_override_by=name_of(release.early_override_by),
        completed_at=release.completed_at, completed_by=name_of(release.completed_by),
        cancelled_at=release.cancelled_at, cancelled_by=name_of(release.cancelled_by),
        cancel_reason=release.cancel_reason,
        steps=[step_out(state) for state in checklist.release_steps(release)],
    )  # fmt: skip


def _answer(user: User, release: Release) -> ReleaseOut:
    """The release read back fresh, as ``GET`` answers it."""
    return release_out(reads.release_get_for_user(user, release.public_id))


def _destination(booking_facility: Facility, facility_id: uuid.UUID | None) -> Facility | None:
    """The receiving facility: any facility of the agency (the sender need not work there)."""
    if facility_id is None:
        return None
    found = Facility.objects.filter(
        public_id=facility_id, agency_id=booking_facility.agency_id
    ).first()
    if found is None:
        raise ValidationFailed.for_fields(
            {"to_facility": [
                NO_SUCH_FACILITY.format(id=facility_id, agency=booking_facility.agency.name)
            ]}
        )  # fmt: skip
    return found


# --- Operations ---------------------------------------------------------------------------


@router.post("", response={201: ReleaseOut}, auth=api_requires(Perm.BOOKING_RELEASE))
def start_release(request: HttpRequest, payload: StartIn) -> Status[ReleaseOut]:
    """Start a release; an escape or a death is recorded at once (and answers completed)."""
    user = acting_user(request)
    booking = booking_get_for_user(user, payload.booking)
    release = releases.release_start(
        actor=user, booking=booking, kind=payload.kind, authority=payload.authority,
        reason=payload.reason, assignment_rank=payload.assignment_rank,
        conditions=payload.conditions, expected_return_at=payload.expected_return_at,
        to_facility=_destination(booking.facility, payload.to_facility),
    )  # fmt: skip
    return Status(201, _answer(user, release))


class ListFilters(Schema):
    booking: str = Field(max_length=32, description="Booking number: its releases, newest first")


@router.get("", response=list[ReleaseOut], auth=api_requires(reads.READ_PERM))
def list_releases(request: HttpRequest, filters: Query[ListFilters]) -> list[ReleaseOut]:
    """The releases of one booking, newest first (the one in hand, and past ones)."""
    user = acting_user(request)
    booking = booking_get_for_user(user, filters.booking)
    found = reads.with_details(reads.releases_for_user(user).filter(booking=booking))
    return [release_out(release) for release in found]


@router.get("/{uuid:release_id}", response=ReleaseOut, auth=api_requires(reads.READ_PERM))
def get_release(request: HttpRequest, release_id: uuid.UUID) -> ReleaseOut:
    """One release with its checklist (the holds step read live while it is prepared)."""
    return release_out(reads.release_get_for_user(acting_user(request), release_id))


@router.post(
    "/{uuid:release_id}/steps/property",
    response=ReleaseOut,
    auth=api_requires(Perm.RELEASE_PROCESS),
)
def return_property(request: HttpRequest, release_id: uuid.UUID, payload: PropertyIn) -> ReleaseOut:
    """Return every item still held, signed for (a transfer: handed over with the person)."""
    user = acting_user(request)
    release = reads.release_get_for_user(user, release_id)
    steps.release_property_return(
        actor=user, release=release, signed=payload.signed, note=payload.note
    )
    return _answer(user, release)


@router.post(
    "/{uuid:release_id}/steps/money", response=ReleaseOut, auth=api_requires(Perm.RELEASE_PROCESS)
)
def return_money(request: HttpRequest, release_id: uuid.UUID, payload: MoneyIn) -> ReleaseOut:
    """Hand over the person's money; an amount other than the cash on record needs a note."""
    user = acting_user(request)
    release = reads.release_get_for_user(user, release_id)
    steps.release_money_return(
        actor=user, release=release, amount=payload.amount, note=payload.note
    )
    return _answer(user, release)


@router.post(
    "/{uuid:release_id}/steps/medical-discharge",
    response=ReleaseOut,
    auth=api_requires(Perm.CLINICAL_RECORD),
)
def medical_discharge(
    request: HttpRequest, release_id: uuid.UUID, payload: DischargeIn
) -> ReleaseOut:
    """Medical writes the discharge note; the answer says only that it was written."""
    user = acting_user(request)
    release = reads.release_get_for_user(user, release_id)
    steps.release_medical_discharge(
        actor=user, release=release, text=payload.text, medication=payload.medication,
        follow_up=payload.follow_up,
    )  # fmt: skip
    return _answer(user, release)


@router.post(
    "/{uuid:release_id}/steps/visits", response=ReleaseOut, auth=api_requires(Perm.RELEASE_PROCESS)
)
def cancel_visits(request: HttpRequest, release_id: uuid.UUID) -> ReleaseOut:
    """Call off the visits still to come (a temporary absence: those while away)."""
    user = acting_user(request)
    release = reads.release_get_for_user(user, release_id)
    steps.release_visits_cancel(actor=user, release=release)
    return _answer(user, release)


@router.post(
    "/{uuid:release_id}/complete", response=ReleaseOut, auth=api_requires(Perm.BOOKING_RELEASE)
)
def complete(
    request: HttpRequest, release_id: uuid.UUID, payload: CompleteIn | None = None
) -> ReleaseOut:
    """Complete a release whose checklist is done: the person leaves (or goes out a while)."""
    user = acting_user(request)
    release = reads.release_get_for_user(user, release_id)
    releases.release_complete(
        actor=user, release=release,
        override_reason=payload.override_reason if payload else "",
        emergency_reason=payload.emergency_reason if payload else "",
    )  # fmt: skip
    return _answer(user, release)


@router.post(
    "/{uuid:release_id}/return", response=ReleaseOut, auth=api_requires(Perm.MOVEMENT_RECORD)
)
def return_from_absence(
    request: HttpRequest, release_id: uuid.UUID, payload: ReturnIn | None = None
) -> ReleaseOut:
    """The person is back from a furlough or an assignment."""
    user = acting_user(request)
    release = reads.release_get_for_user(user, release_id)
    releases.release_return(actor=user, release=release, at=payload.at if payload else None)
    return _answer(user, release)


@router.post(
    "/{uuid:release_id}/cancel", response=ReleaseOut, auth=api_requires(Perm.BOOKING_RELEASE)
)
def cancel(request: HttpRequest, release_id: uuid.UUID, payload: CancelIn) -> ReleaseOut:
    """Call off a release still in preparation, with the reason."""
    user = acting_user(request)
    release = reads.release_get_for_user(user, release_id)
    releases.release_cancel(actor=user, release=release, reason=payload.reason)
    return _answer(user, release)
