"""Housing engine runs stored as proposals, reviewed and applied by a supervisor.

A proposal is the engine's plan for a whole facility: one line per person
whose bed changes, and one per person left without a lawful bed (with the
reason).  Applying it moves people through ``bed_assign`` as the approver,
so every move is judged by the rule book again and audited on its own.  Each
move names the bed its person was in when the plan was made: if they were
moved meanwhile, or their new bed was taken, that move is skipped with the
reason written on its line, and the rest go ahead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES
from cellblock.core import clock
from cellblock.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.freeze import movement_freeze_check
from cellblock.facilities.models import Bed, Facility, HousingUnit
from cellblock.housing import rules
from cellblock.housing.engine import Options, Progress, Solution, solve
from cellblock.housing.models import (
    BedAssignment,
    HousingProposal,
    ProposalMode,
    ProposalStatus,
    ProposedMove,
)
from cellblock.housing.services import bed_assign, facility_moves_lock
from cellblock.housing.snapshot import Snapshot, facility_snapshot

SOLVE_DENIED = "Running the housing engine at {facility} needs a supervisor or classification."
APPROVE_DENIED = "Applying a housing proposal at {facility} needs a supervisor or commander."
DISCARD_DENIED = "Discarding a housing proposal at {facility} needs a supervisor."
NOT_PROPOSED = "This proposal is already {status}."
CLOSING_NEEDED = "name the units (or the facility) to close."
CLOSING_ONLY_FOR_CLOSURE = "only a closure run closes units."
CLOSING_ELSEWHERE = "{name} is not part of {facility}."
REASON_NEEDED = "say why the proposal is discarded."

MOVED = "moved"
SKIPPED = "skipped: {reason}"
UNPLACED = "unplaced: {reason}"
MOVED_MEANWHILE = "{booking} was moved meanwhile."
RELEASED = "{booking} is no longer held."
BED_TAKEN = "{bed} is taken by {booking}."
OUT_OF_SERVICE = "{bed} is out of service."

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    ProposalStatus.PROPOSED: frozenset({ProposalStatus.APPLIED, ProposalStatus.DISCARDED}),
    ProposalStatus.APPLIED: frozenset(),
    ProposalStatus.DISCARDED: frozenset(),
}


def _require(actor: User | None, facility: Facility, perms: set[Perm], denied: str) -> None:
    # actor None is the system itself (a command run without --as).
    if actor is not None and not perms & actor.perms_at(facility.pk):
        raise PermissionDenied(denied.format(facility=facility.name), code="missing_role")


def _closing_parts(
    facility: Facility, mode: str, closing: Sequence[HousingUnit | Facility]
) -> tuple[set[int], bool, list[str]]:
    """The closing unit ids, whether the whole facility closes, and their public ids."""
    if mode == ProposalMode.CLOSURE and not closing:
        raise ValidationFailed.for_fields({"closing": [CLOSING_NEEDED]})
    if mode != ProposalMode.CLOSURE and closing:
        raise ValidationFailed.for_fields({"closing": [CLOSING_ONLY_FOR_CLOSURE]})
    units: set[int] = set()
    whole = False
    for part in closing:
        inside = (
            part.pk == facility.pk
            if isinstance(part, Facility)
            else part.zone.facility_id == facility.pk
        )
        if not inside:
            raise ValidationFailed.for_fields(
                {"closing": [CLOSING_ELSEWHERE.format(name=part.name, facility=facility.name)]}
            )
        if isinstance(part, Facility):
            whole = True
        else:
            units.add(part.pk)
    return units, whole, [str(part.public_id) for part in closing]


def _public_explanation(data: dict[str, Any], beds: dict[int, Bed]) -> dict[str, Any]:
    """Beds named by their public id and label, never by their internal key."""

    def named(key: object) -> dict[str, str] | None:
        bed = beds.get(int(str(key))) if key not in (None, "") else None
        if bed is None:
            return None
        return {"id": str(bed.public_id), "label": f"{bed.cell.unit.name} / {bed.cell} {bed}"}

    shown = dict(data)
    shown["bed"] = named(data.get("bed"))
    shown["alternatives"] = [
        {**alternative, "bed": named(alternative.get("bed"))}
        for alternative in data.get("alternatives", ())
    ]
    return shown


def _lines(snapshot: Snapshot, solution: Solution) -> list[ProposedMove]:
    """One line per person whose bed changes, or who is left without one."""
    wanted: set[int] = set()
    for key in snapshot.bookings:
        for bed_key in (solution.assignment.get(key), snapshot.current.get(snapshot.bookings[key])):
            if bed_key:
                wanted.add(int(bed_key))
        explanation = solution.explanations.get(key)
        if explanation is not None:
            wanted.update(int(a.bed) for a in explanation.alternatives if a.bed)
    beds = Bed.objects.select_related("cell__unit").in_bulk(wanted)
    lines = []
    for key, booking_id in snapshot.bookings.items():
        now_in = snapshot.current.get(booking_id)
        target = solution.assignment.get(key)
        to_bed = int(target) if target else None
        if key not in solution.unplaced and to_bed == now_in:
            continue
        explanation = solution.explanations.get(key)
        data = dataclasses.asdict(explanation) if explanation is not None else {}
        if key in solution.unplaced:
            data.setdefault("unplaced_reason", solution.unplaced[key])
            to_bed = None
        lines.append(
            ProposedMove(
                booking_id=booking_id,
                from_bed_id=now_in,
                to_bed_id=to_bed,
                cost=explanation.cost if explanation is not None else rules.COST_UNPLACED,
                explanation=_public_explanation(data, beds),
            )
        )
    return lines


def proposal_create(
    *,
    actor: User | None,
    facility: Facility,
    mode: str,
    closing: Sequence[HousingUnit | Facility] = (),
    seed: int = 0,
    time_limit: float = 10.0,
    progress: Progress | None = None,
) -> HousingProposal:
    """Run the engine over ``facility`` and store its plan for review.

    The engine runs outside any transaction (it may take seconds); the plan
    and its audit event are then written together.
    """
    _require(actor, facility, {Perm.HOUSING_SOLVE}, SOLVE_DENIED)
    if mode not in ProposalMode.values:
        raise ValidationFailed.for_fields({"mode": [f"must be one of {', '.join(ProposalMode)}."]})
    if seed < 0:
        raise ValidationFailed.for_fields({"seed": ["must be 0 or more."]})
    if time_limit <= 0:
        raise ValidationFailed.for_fields({"time_limit": ["must be more than 0 seconds."]})
    units, whole, closing_ids = _closing_parts(facility, mode, closing)
    now = clock.now()
    snapshot = facility_snapshot(
        facility, now=now, mode=mode, closing_units=units, closing_facility=whole
    )
    solution = solve(
        snapshot.instance, Options(seed=seed, time_limit=time_limit, progress=progress)
    )
    lines = _lines(snapshot, solution)
    moves = sum(1 for line in lines if line.to_bed_id is not None)
    unplaced = len(lines) - moves
    stats: dict[str, Any] = {
        **dict(solution.stats),
        "people": len(snapshot.instance.residents),
        "beds": len(snapshot.instance.places),
        "moves": moves,
        "unplaced": unplaced,
        "seconds": round(solution.seconds, 3),
    }
    with transaction.atomic():
        proposal = HousingProposal.objects.create(
            facility=facility, mode=mode, closing=closing_ids, seed=seed, created_by=actor,
            created_at=now, objective=solution.objective,
            lower_bound=min(solution.lower_bound, solution.objective), gap=solution.gap,
            solver_status=solution.status[:20], stats=stats,
        )  # fmt: skip
        for line in lines:
            line.proposal = proposal
        ProposedMove.objects.bulk_create(lines)
        audit_record(
            actor=actor, action="housing.proposal_created", obj=proposal, facility=facility,
            changes={
                "mode": mode, "closing": closing_ids, "seed": seed,
                "objective": solution.objective, "lower_bound": proposal.lower_bound,
                "gap": solution.gap, "status": solution.status, "moves": moves,
                "unplaced": unplaced,
            },
        )  # fmt: skip
    return proposal


def _transition(proposal: HousingProposal, status: str) -> None:
    if status not in ALLOWED_TRANSITIONS[proposal.status]:
        raise Conflict(
            NOT_PROPOSED.format(status=proposal.get_status_display().lower()),
            code="proposal_decided",
        )


def _locked(proposal: HousingProposal) -> HousingProposal:
    return (
        HousingProposal.objects.select_for_update(of=("self",))
        .select_related("facility")
        .get(pk=proposal.pk)
    )


class _Refused(Exception):
    """A move refused half-way: the attempt is rolled back and run again without it."""

    def __init__(self, move: ProposedMove, reason: str) -> None:
        super().__init__(reason)
        self.move = move
        self.reason = reason


def _where(bed: Bed) -> str:
    return f"{bed.cell}/{bed}"


def _still_possible(moves: list[ProposedMove], skipped: dict[int, str]) -> list[ProposedMove]:
    """The moves that can still be made, each of the others with its reason in ``skipped``.

    A move whose new bed is held by someone who is not moving out (or whose
    own move was skipped) cannot be made either, so this repeats until no
    more moves fall out.
    """
    booking_ids = [move.booking_id for move in moves]
    current = dict(
        BedAssignment.objects.filter(booking_id__in=booking_ids, ended_at__isnull=True).values_list(
            "booking_id", "bed_id"
        )
    )
    occupants = {
        a.bed_id: a.booking
        for a in BedAssignment.objects.filter(
            bed_id__in=[move.to_bed_id for move in moves], ended_at__isnull=True
        ).select_related("booking")
    }
    for move in moves:
        if move.pk in skipped:
            continue
        booking, bed = move.booking, move.to_bed
        if bed is None:
            continue
        if booking.status not in OPEN_STATUSES:
            skipped[move.pk] = RELEASED.format(booking=booking)
        elif current.get(move.booking_id) != move.from_bed_id:
            skipped[move.pk] = MOVED_MEANWHILE.format(booking=booking)
        elif bed.out_of_service or bed.cell.out_of_service:
            skipped[move.pk] = OUT_OF_SERVICE.format(bed=_where(bed))
    while True:
        leaving = {move.booking_id for move in moves if move.pk not in skipped}
        blocked = [
            (move, move.to_bed, occupant)
            for move in moves
            if move.pk not in skipped
            and move.to_bed is not None
            and (occupant := occupants.get(move.to_bed.pk)) is not None
            and occupant.pk not in leaving
        ]
        if not blocked:
            return [move for move in moves if move.pk not in skipped]
        for move, bed, occupant in blocked:
            skipped[move.pk] = BED_TAKEN.format(bed=_where(bed), booking=occupant)


def _vacate(*, actor: User | None, proposal: HousingProposal, moves: list[ProposedMove]) -> None:
    """End the current beds of everyone about to move, so chains and swaps can follow.

    Only ever inside the transaction that houses them again: nobody is
    recorded without a bed once it commits.
    """
    now = clock.now()
    for assignment in BedAssignment.objects.select_for_update(of=("self",)).filter(
        booking_id__in=[move.booking_id for move in moves if move.from_bed_id is not None],
        ended_at__isnull=True,
    ):
        assignment.ended_at = now
        assignment.save(update_fields=["ended_at"])
    for move in moves:
        if move.from_bed is None:
            continue
        audit_record(
            actor=actor, action="housing.vacated", obj=move.booking,
            facility=proposal.facility, reason=f"Housing proposal {proposal.public_id}",
            changes={"from": str(move.from_bed.public_id), "proposal": str(proposal.public_id)},
        )  # fmt: skip


def _attempt(*, actor: User | None, proposal: HousingProposal, moves: list[ProposedMove]) -> None:
    _vacate(actor=actor, proposal=proposal, moves=moves)
    for move in moves:
        if move.to_bed is None:
            continue
        try:
            bed_assign(
                actor=actor, booking=move.booking, bed=move.to_bed, expect_from=None,
                reason=f"Housing proposal {proposal.public_id}",
            )  # fmt: skip
        except DomainError as error:
            raise _Refused(move, error.message) from error


def proposal_apply(*, actor: User | None, proposal: HousingProposal) -> HousingProposal:
    """Make the proposal's moves, one by one through the rule book, as ``actor``.

    People vacating beds must leave before others move in, and the moves may
    form chains and swaps; so everyone who moves first leaves their bed, then
    each is housed in the new one, in one transaction.  When the rule book
    refuses one of them half-way (the facts changed since the run), that
    attempt is rolled back and made again without that move, which is
    skipped with the reason.
    """
    facility = proposal.facility
    _require(actor, facility, {Perm.HOUSING_APPROVE}, APPROVE_DENIED)
    with transaction.atomic():
        # The facility's moves queue here first, as in bed_assign: no deadlock with a manual move.
        facility_moves_lock(facility)
        movement_freeze_check(facility, what="applying a housing proposal")
        locked = _locked(proposal)
        _transition(locked, ProposalStatus.APPLIED)
        lines = list(
            locked.moves.select_related(
                "booking__person", "booking__facility", "from_bed__cell", "to_bed__cell__unit"
            )
        )
        moves = [line for line in lines if line.to_bed_id is not None]
        skipped: dict[int, str] = {}
        while True:
            live = _still_possible(moves, skipped)
            try:
                with transaction.atomic():
                    _attempt(actor=actor, proposal=locked, moves=live)
            except _Refused as refused:
                skipped[refused.move.pk] = refused.reason
                continue
            break
        now = clock.now()
        for line in lines:
            if line.to_bed_id is None:
                reason = str(line.explanation.get("unplaced_reason", "")) or "no lawful bed."
                line.outcome = UNPLACED.format(reason=reason)[:300]
            elif line.pk in skipped:
                line.outcome = SKIPPED.format(reason=skipped[line.pk])[:300]
            else:
                line.outcome = MOVED
                line.applied_at = now
        ProposedMove.objects.bulk_update(lines, ["outcome", "applied_at"])
        locked.status = ProposalStatus.APPLIED
        locked.decided_by = actor
        locked.decided_at = now
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=actor, action="housing.proposal_applied", obj=locked, facility=facility,
            changes={
                "moved": len(moves) - len(skipped), "skipped": len(skipped),
                "unplaced": len(lines) - len(moves),
            },
        )  # fmt: skip
    return locked


def proposal_discard(
    *, actor: User | None, proposal: HousingProposal, reason: str
) -> HousingProposal:
    """Set a proposal aside unapplied, saying why (kept, with its moves, for the record)."""
    facility = proposal.facility
    _require(actor, facility, {Perm.HOUSING_APPROVE, Perm.HOUSING_SOLVE}, DISCARD_DENIED)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed.for_fields({"reason": [REASON_NEEDED]})
    with transaction.atomic():
        locked = _locked(proposal)
        _transition(locked, ProposalStatus.DISCARDED)
        locked.status = ProposalStatus.DISCARDED
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.decision_note = reason[:500]
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor, action="housing.proposal_discarded", obj=locked, facility=facility,
            reason=reason,
        )  # fmt: skip
    return locked
