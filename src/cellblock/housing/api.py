"""Housing API: moves and move requests, the rule book's verdict, recommended beds, and
the housing engine's proposals.

People are named by booking number and beds, requests and proposals by their
public ids.  A booking, bed, request or proposal outside the caller's
facilities is 404; a role that may not act is 403; a move the rule book
forbids is 409 ``housing_rule`` with every violation in ``extra.violations``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StrictBool

from cellblock.accounts.models import User
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import NotFound, ValidationFailed
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.facilities.models import Bed, Facility, HousingUnit
from cellblock.facilities.selectors import facility_get_for_user
from cellblock.housing import rules
from cellblock.housing.models import (
    BedAssignment,
    HousingProposal,
    MoveRequest,
    MoveRequestStatus,
    ProposalMode,
    ProposalStatus,
    ProposedMove,
)
from cellblock.housing.moves import move_request_create, move_request_decide, move_request_withdraw
from cellblock.housing.proposals import proposal_apply, proposal_create, proposal_discard
from cellblock.housing.recommend import bed_recommendations
from cellblock.housing.selectors import placement_verdict
from cellblock.housing.services import ANY_BED, AnyBed

router = Router()

# Engine runs through the API are for small facilities; large ones use the command.
API_TIME_LIMIT = 30.0


# --- Shared shapes and lookups --------------------------------------------------------


class BedRefOut(Schema):
    id: uuid.UUID
    label: str = Field(description="Unit / cell bed, as staff name it")
    unit: str
    cell: str
    bed: str


class ViolationOut(Schema):
    code: str
    message: str
    hard: bool
    cost: int


def bed_ref(bed: Bed) -> BedRefOut:
    """The bed with its cell and unit (select_related ``cell__unit``)."""
    unit = bed.cell.unit
    return BedRefOut(
        id=bed.public_id, label=f"{unit.name} / {bed.cell.code} {bed.code}", unit=unit.code,
        cell=bed.cell.code, bed=bed.code,
    )  # fmt: skip


def violation_out(violation: rules.Violation) -> ViolationOut:
    return ViolationOut(
        code=violation.code, message=violation.message, hard=violation.hard, cost=violation.cost
    )


def _username(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def _bed_of(facility_id: int, bed_id: uuid.UUID | str, field: str = "bed") -> Bed:
    """A bed of the booking's facility, else 404."""
    key = parse_public_id(bed_id, what=field.replace("_", " "))
    bed = (
        Bed.objects.select_related("cell__unit__zone")
        .filter(public_id=key, cell__unit__zone__facility_id=facility_id)
        .first()
    )
    if bed is None:
        raise NotFound(f"No bed with id {key}.")
    return bed


def _requests_for(user: User) -> QuerySet[MoveRequest]:
    return MoveRequest.objects.filter(
        booking__facility_id__in=user.facilities_with(Perm.HOUSING_VIEW)
    ).select_related(
        "booking__person", "booking__facility", "from_bed__cell__unit", "to_bed__cell__unit",
        "requested_by", "decided_by",
    )  # fmt: skip


def _request_for(user: User, request_id: uuid.UUID) -> MoveRequest:
    request = _requests_for(user).filter(public_id=request_id).first()
    if request is None:
        raise NotFound(f"No move request with id {request_id}.")
    return request


def _proposal_for(user: User, proposal_id: uuid.UUID) -> HousingProposal:
    proposal = (
        HousingProposal.objects.filter(
            public_id=proposal_id, facility_id__in=user.facilities_with(Perm.HOUSING_VIEW)
        )
        .select_related("facility", "created_by", "decided_by")
        .first()
    )
    if proposal is None:
        raise NotFound(f"No housing proposal with id {proposal_id}.")
    return proposal


# --- Moves and move requests ----------------------------------------------------------


class MoveIn(Schema):
    booking: str = Field(max_length=32, description="Booking number")
    to_bed: uuid.UUID
    from_bed: uuid.UUID | None = Field(
        default=None,
        description="The bed you saw the person in (null: not housed). Left out: whatever "
        "bed they are in now. If they were moved meanwhile the move is refused (409).",
    )
    reason: str = Field(default="", max_length=500)
    override_reason: str = Field(
        default="", max_length=500, description="Commander only: house against the rule book"
    )


class AssignmentOut(Schema):
    id: uuid.UUID
    bed: BedRefOut
    started_at: dt.datetime
    assigned_by: str | None
    override_reason: str
    overridden_rules: list[str]


class MoveRequestOut(Schema):
    id: uuid.UUID
    status: MoveRequestStatus
    booking_number: str
    person: str
    from_bed: BedRefOut | None
    to_bed: BedRefOut
    reason: str
    requested_by: str | None
    requested_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str


class MoveOut(Schema):
    status: Literal["moved", "pending"] = Field(
        description="moved: done now; pending: waiting for a supervisor"
    )
    booking_number: str
    assignment: AssignmentOut | None = None
    request: MoveRequestOut | None = None


class DecideIn(Schema):
    approve: StrictBool
    note: str = Field(default="", max_length=500, description="Required when refusing")


def assignment_out(assignment: BedAssignment, bed: Bed, actor: User | None) -> AssignmentOut:
    return AssignmentOut(
        id=assignment.public_id, bed=bed_ref(bed), started_at=assignment.started_at,
        assigned_by=_username(actor), override_reason=assignment.override_reason,
        overridden_rules=list(assignment.overridden_rules),
    )  # fmt: skip


def request_out(request: MoveRequest) -> MoveRequestOut:
    person = request.booking.person
    return MoveRequestOut(
        id=request.public_id, status=MoveRequestStatus(request.status),
        booking_number=request.booking.booking_number,
        person=f"{person.given_name} {person.family_name}",
        from_bed=bed_ref(request.from_bed) if request.from_bed else None,
        to_bed=bed_ref(request.to_bed), reason=request.reason,
        requested_by=_username(request.requested_by), requested_at=request.requested_at,
        decided_by=_username(request.decided_by), decided_at=request.decided_at,
        decision_note=request.decision_note,
    )  # fmt: skip


@router.post("/moves", response={201: MoveOut}, auth=api_requires(Perm.HOUSING_REQUEST))
def create_move(request: HttpRequest, payload: MoveIn) -> Status[MoveOut]:
    """Move a person now (supervisor, classification, commander) or ask a supervisor to."""
    user = acting_user(request)
    booking = booking_get_for_user(user, payload.booking)
    to_bed = _bed_of(booking.facility_id, payload.to_bed, "to_bed")
    expect_from: Bed | AnyBed | None = ANY_BED
    if "from_bed" in payload.model_fields_set:
        expect_from = (
            _bed_of(booking.facility_id, payload.from_bed, "from_bed")
            if payload.from_bed is not None
            else None
        )
    made = move_request_create(
        actor=user, booking=booking, to_bed=to_bed, reason=payload.reason,
        expect_from=expect_from, override_reason=payload.override_reason,
    )  # fmt: skip
    if isinstance(made, MoveRequest):
        made = _request_for(user, made.public_id)
        return Status(
            201, MoveOut(status="pending", booking_number=booking.booking_number,
                         request=request_out(made)),
        )  # fmt: skip
    to_bed = Bed.objects.select_related("cell__unit").get(pk=to_bed.pk)
    return Status(
        201,
        MoveOut(
            status="moved", booking_number=booking.booking_number,
            assignment=assignment_out(made, to_bed, user),
        ),
    )  # fmt: skip


@router.get("/moves", response=list[MoveRequestOut], auth=api_requires(Perm.HOUSING_VIEW))
def list_move_requests(
    request: HttpRequest,
    status: MoveRequestStatus | None = None,
    facility: uuid.UUID | None = None,
) -> list[MoveRequestOut]:
    """Move requests of the caller's facilities, oldest first (``status=pending``: the queue)."""
    user = acting_user(request)
    found = _requests_for(user)
    if facility is not None:
        found = found.filter(
            booking__facility=facility_get_for_user(user, facility, Perm.HOUSING_VIEW)
        )
    if status is not None:
        found = found.filter(status=status)
    return [request_out(r) for r in found.order_by("requested_at", "id")]


@router.post(
    "/moves/{request_id}/decide", response=MoveRequestOut, auth=api_requires(Perm.HOUSING_APPROVE)
)
def decide_move(request: HttpRequest, request_id: uuid.UUID, payload: DecideIn) -> MoveRequestOut:
    """Approve (the move is made, by you) or refuse (say why) an officer's move."""
    user = acting_user(request)
    move = _request_for(user, request_id)
    move_request_decide(actor=user, request=move, approve=payload.approve, note=payload.note)
    return request_out(_request_for(user, request_id))


@router.post(
    "/moves/{request_id}/withdraw",
    response=MoveRequestOut,
    auth=api_requires(Perm.HOUSING_REQUEST),
)
def withdraw_move(request: HttpRequest, request_id: uuid.UUID) -> MoveRequestOut:
    user = acting_user(request)
    move_request_withdraw(actor=user, request=_request_for(user, request_id))
    return request_out(_request_for(user, request_id))


# --- The rule book's verdict and recommendations --------------------------------------


class VerdictOut(Schema):
    booking_number: str
    bed: BedRefOut
    lawful: bool
    cost: int = Field(description="The price of the soft rules this placement breaks")
    violations: list[ViolationOut]


class RecommendationOut(Schema):
    bed: BedRefOut
    cost: int
    reasons: list[str]
    violations: list[ViolationOut]


@router.get("/verdict", response=VerdictOut, auth=api_requires(Perm.HOUSING_VIEW))
def verdict(request: HttpRequest, booking: str, bed: uuid.UUID) -> VerdictOut:
    """What the rule book says about this person sleeping in this bed, given who is where."""
    chosen = booking_get_for_user(acting_user(request), booking)
    place = Bed.objects.select_related("cell__unit").get(pk=_bed_of(chosen.facility_id, bed).pk)
    found = placement_verdict(chosen, place, clock.now())
    return VerdictOut(
        booking_number=chosen.booking_number, bed=bed_ref(place), lawful=found.lawful,
        cost=found.cost, violations=[violation_out(v) for v in found.violations],
    )  # fmt: skip


@router.get(
    "/recommendations", response=list[RecommendationOut], auth=api_requires(Perm.HOUSING_VIEW)
)
def recommendations(request: HttpRequest, booking: str, limit: int = 3) -> list[RecommendationOut]:
    """The cheapest lawful free beds for the person, with the reasons (three by default)."""
    if not 1 <= limit <= 20:
        raise ValidationFailed.for_fields({"limit": ["must be from 1 to 20."]})
    chosen = booking_get_for_user(acting_user(request), booking)
    return [
        RecommendationOut(
            bed=bed_ref(found.bed),
            cost=found.cost,
            reasons=found.reasons,
            violations=[violation_out(v) for v in found.violations],
        )
        for found in bed_recommendations(chosen, limit=limit)
    ]


# --- Proposals ------------------------------------------------------------------------


class ProposalIn(Schema):
    facility: uuid.UUID
    mode: ProposalMode
    closing: list[uuid.UUID] = Field(
        default_factory=list, description="Closure: the units (or the facility) to empty"
    )
    seed: int = Field(default=0, ge=0)
    time_limit: float = Field(default=10.0, gt=0, le=API_TIME_LIMIT)


class DiscardIn(Schema):
    reason: str = Field(max_length=500)


class ProposedMoveOut(Schema):
    booking_number: str
    person: str
    from_bed: BedRefOut | None
    to_bed: BedRefOut | None = Field(description="None: no lawful bed; see the explanation")
    cost: int
    explanation: dict[str, Any]
    outcome: str
    applied_at: dt.datetime | None


class ProposalOut(Schema):
    id: uuid.UUID
    facility: uuid.UUID
    mode: ProposalMode
    closing: list[str]
    status: ProposalStatus
    objective: int
    lower_bound: int
    gap: float
    solver_status: str
    stats: dict[str, Any]
    created_at: dt.datetime
    created_by: str | None
    decided_at: dt.datetime | None
    decided_by: str | None
    decision_note: str
    moves: list[ProposedMoveOut]


def proposed_move_out(move: ProposedMove) -> ProposedMoveOut:
    person = move.booking.person
    return ProposedMoveOut(
        booking_number=move.booking.booking_number,
        person=f"{person.given_name} {person.family_name}",
        from_bed=bed_ref(move.from_bed) if move.from_bed else None,
        to_bed=bed_ref(move.to_bed) if move.to_bed else None, cost=move.cost,
        explanation=move.explanation, outcome=move.outcome, applied_at=move.applied_at,
    )  # fmt: skip


def proposal_out(proposal: HousingProposal) -> ProposalOut:
    moves = proposal.moves.select_related(
        "booking__person", "from_bed__cell__unit", "to_bed__cell__unit"
    )
    return ProposalOut(
        id=proposal.public_id, facility=proposal.facility.public_id,
        mode=ProposalMode(proposal.mode), closing=list(proposal.closing),
        status=ProposalStatus(proposal.status), objective=proposal.objective,
        lower_bound=proposal.lower_bound, gap=proposal.gap,
        solver_status=proposal.solver_status, stats=proposal.stats,
        created_at=proposal.created_at, created_by=_username(proposal.created_by),
        decided_at=proposal.decided_at, decided_by=_username(proposal.decided_by),
        decision_note=proposal.decision_note,
        moves=[proposed_move_out(move) for move in moves],
    )  # fmt: skip


def _closing(facility: Facility, ids: list[uuid.UUID]) -> list[HousingUnit | Facility]:
    """The facility itself, or its units, by public id (anything else is a 400)."""
    units = {
        unit.public_id: unit
        for unit in HousingUnit.objects.select_related("zone").filter(
            public_id__in=ids, zone__facility=facility
        )
    }
    found: list[HousingUnit | Facility] = []
    for key in ids:
        part = facility if key == facility.public_id else units.get(key)
        if part is None:
            raise ValidationFailed.for_fields(
                {"closing": [f"{key} is not a housing unit of {facility.name}."]}
            )
        found.append(part)
    return found


@router.post("/proposals", response={201: ProposalOut}, auth=api_requires(Perm.HOUSING_SOLVE))
def create_proposal(request: HttpRequest, payload: ProposalIn) -> Status[ProposalOut]:
    """Run the housing engine over a facility and store its plan for a supervisor."""
    user = acting_user(request)
    facility = facility_get_for_user(user, payload.facility, Perm.HOUSING_SOLVE)
    proposal = proposal_create(
        actor=user, facility=facility, mode=payload.mode,
        closing=_closing(facility, payload.closing), seed=payload.seed,
        time_limit=payload.time_limit,
    )  # fmt: skip
    return Status(201, proposal_out(_proposal_for(user, proposal.public_id)))


@router.get("/proposals/{proposal_id}", response=ProposalOut, auth=api_requires(Perm.HOUSING_VIEW))
def get_proposal(request: HttpRequest, proposal_id: uuid.UUID) -> ProposalOut:
    return proposal_out(_proposal_for(acting_user(request), proposal_id))


@router.post(
    "/proposals/{proposal_id}/apply",
    response=ProposalOut,
    auth=api_requires(Perm.HOUSING_APPROVE),
)
def apply_proposal(request: HttpRequest, proposal_id: uuid.UUID) -> ProposalOut:
    """Make the moves, each through the rule book; moves no longer possible are skipped."""
    user = acting_user(request)
    proposal_apply(actor=user, proposal=_proposal_for(user, proposal_id))
    return proposal_out(_proposal_for(user, proposal_id))


@router.post(
    "/proposals/{proposal_id}/discard",
    response=ProposalOut,
    auth=api_requires(Perm.HOUSING_SOLVE),
)
def discard_proposal(
    request: HttpRequest, proposal_id: uuid.UUID, payload: DiscardIn
) -> ProposalOut:
    user = acting_user(request)
    proposal_discard(actor=user, proposal=_proposal_for(user, proposal_id), reason=payload.reason)
    return proposal_out(_proposal_for(user, proposal_id))
