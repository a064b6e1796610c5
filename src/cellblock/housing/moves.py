"""Moves asked for by officers and decided by supervisors.

Someone who may assign beds (supervisor, classification, commander) moves a
person at once.  An officer asks: the request waits for a supervisor, unless
the facility's policy lets officers move without approval.  The rule book
judges the request when it is made (a move it forbids is refused then, not
left for the supervisor to discover) and again when it is approved, since
the facts may have changed in between.

An approval that can no longer be carried out (the bed was taken, the
person was moved meanwhile, a new order forbids it) fails with the same 409
as a direct move and leaves the request pending: nothing is written, and the
supervisor either refuses it with that reason or the officer withdraws it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.booking.selectors import steps_due_before_housing
from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.facilities.models import Bed
from cellblock.housing.models import BedAssignment, MoveRequest, MoveRequestStatus
from cellblock.housing.selectors import placement_verdict
from cellblock.housing.services import (
    AGAINST_THE_RULES,
    ANY_BED,
    NOT_READY_FOR_HOUSING,
    AnyBed,
    bed_assign,
    violations_as_data,
)

REQUEST_DENIED = "Moving people at {facility} needs an officer, supervisor or commander."
APPROVE_DENIED = "Deciding move requests at {facility} needs a supervisor or commander."
OWN_REQUEST = "You asked for this move: another supervisor must decide it."
NOT_YOURS = "Only the officer who asked for this move, or a supervisor, can withdraw it."
NOT_PENDING = "This move request is already {status}."
ALREADY_PENDING = "{booking} already has a move waiting for a supervisor: decide or withdraw it."
REASON_REQUIRED = "say why the move is needed."
NOTE_REQUIRED = "say why the move is refused."

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    MoveRequestStatus.PENDING: frozenset(
        {MoveRequestStatus.APPROVED, MoveRequestStatus.REFUSED, MoveRequestStatus.WITHDRAWN}
    ),
    MoveRequestStatus.APPROVED: frozenset(),
    MoveRequestStatus.REFUSED: frozenset(),
    MoveRequestStatus.WITHDRAWN: frozenset(),
}


def _where(bed: Bed) -> str:
    return f"{bed.cell}/{bed}"


def _refuse_unless_possible(
    booking: Booking, bed: Bed, expect_from: Bed | AnyBed | None
) -> Bed | None:
    """Refuse now what ``bed_assign`` would refuse on approval; return the bed they leave.

    The same codes and messages as a direct move, so a client handles an
    officer's request and a supervisor's move alike.
    """
    bed = Bed.objects.select_related("cell__unit__zone").get(pk=bed.pk)
    facility = booking.facility
    if bed.cell.unit.zone.facility_id != facility.pk:
        raise Conflict(f"Bed {bed} is not in {facility.name}.", code="wrong_facility")
    if bed.out_of_service or bed.cell.out_of_service:
        raise Conflict(f"Bed {_where(bed)} is out of service.", code="bed_out_of_service")
    occupant = (
        BedAssignment.objects.filter(bed=bed, ended_at__isnull=True)
        .select_related("booking")
        .first()
    )
    if occupant is not None and occupant.booking_id != booking.pk:
        raise Conflict(f"Bed {_where(bed)} is occupied by {occupant.booking}.", code="bed_occupied")
    if booking.status not in OPEN_STATUSES:
        raise Conflict(f"Booking {booking} is closed.", code="booking_closed")
    current = (
        BedAssignment.objects.filter(booking=booking, ended_at__isnull=True)
        .select_related("bed__cell")
        .first()
    )
    if not isinstance(expect_from, AnyBed):
        seen = expect_from.pk if expect_from is not None else None
        if (current.bed_id if current else None) != seen:
            where = _where(current.bed) if current else "no bed"
            raise Conflict(
                f"{booking} was moved meanwhile: now in {where}. Check and try again.",
                code="moved_meanwhile",
            )
    if current is not None and current.bed_id == bed.pk:
        raise Conflict(f"{booking} already sleeps in {_where(bed)}.", code="same_bed")
    missing = steps_due_before_housing(booking)
    if missing:
        raise Conflict(
            NOT_READY_FOR_HOUSING.format(booking=booking, steps=", ".join(missing)),
            code="intake_before_housing",
            extra={"steps": missing},
        )
    verdict = placement_verdict(booking, bed, clock.now())
    if verdict.hard:
        raise Conflict(
            AGAINST_THE_RULES.format(
                person=verdict.resident.label, bed=f"{verdict.place.cell_label} bed {bed}",
                reasons=" ".join(v.message for v in verdict.hard),
            ),
            code="housing_rule",
            extra={"violations": violations_as_data(verdict.violations)},
        )  # fmt: skip
    return current.bed if current is not None else None


def move_request_create(
    *,
    actor: User,
    booking: Booking,
    to_bed: Bed,
    reason: str,
    expect_from: Bed | AnyBed | None = ANY_BED,
    override_reason: str = "",
) -> MoveRequest | BedAssignment:
    """Move ``booking`` to ``to_bed``, or ask a supervisor to.

    Returns the new assignment when the move was made, or the pending
    request.  ``override_reason`` is the commander's, passed to the move.
    """
    facility = booking.facility
    perms = actor.perms_at(facility.pk)
    if Perm.HOUSING_ASSIGN in perms:
        return bed_assign(
            actor=actor, booking=booking, bed=to_bed, reason=reason.strip(),
            expect_from=expect_from, override_reason=override_reason,
        )  # fmt: skip
    if Perm.HOUSING_REQUEST not in perms:
        raise PermissionDenied(REQUEST_DENIED.format(facility=facility.name), code="missing_role")
    if override_reason.strip():
        raise PermissionDenied(
            "Only the commander can house someone against the rule book.", code="missing_role"
        )
    reason = reason.strip()
    if not reason:
        raise ValidationFailed.for_fields({"reason": [REASON_REQUIRED]})
    if policy_of(facility).officer_moves_without_approval:
        # The policy stands in for the supervisor; the rule book still decides.
        return bed_assign(
            actor=actor, booking=booking, bed=to_bed, reason=reason, expect_from=expect_from,
            permission=Perm.HOUSING_REQUEST,
        )  # fmt: skip
    with transaction.atomic():
        locked = (
            Booking.objects.select_for_update()
            .select_related("person", "facility")
            .get(pk=booking.pk)
        )
        if MoveRequest.objects.filter(booking=locked, status=MoveRequestStatus.PENDING).exists():
            raise Conflict(ALREADY_PENDING.format(booking=locked), code="move_pending")
        from_bed = _refuse_unless_possible(locked, to_bed, expect_from)
        try:
            with transaction.atomic():
                request = MoveRequest.objects.create(
                    booking=locked, from_bed=from_bed, to_bed=to_bed, reason=reason[:500],
                    requested_by=actor, requested_at=clock.now(),
                )  # fmt: skip
        except IntegrityError as error:
            # The constraint is the last line: a concurrent request for the same person.
            raise Conflict(ALREADY_PENDING.format(booking=locked), code="move_pending") from error
        audit_record(
            actor=actor, action="housing.move_requested", obj=locked, facility=facility,
            reason=reason,
            changes={
                "request": str(request.public_id),
                "from": str(from_bed.public_id) if from_bed else None,
                "to": str(to_bed.public_id),
            },
        )  # fmt: skip
    return request


def _transition(request: MoveRequest, status: str) -> None:
    if status not in ALLOWED_TRANSITIONS[request.status]:
        raise Conflict(
            NOT_PENDING.format(status=request.get_status_display().lower()), code="not_pending"
        )


def _locked(request: MoveRequest) -> MoveRequest:
    return (
        MoveRequest.objects.select_for_update(of=("self",))
        .select_related(
            "booking__facility", "booking__person", "from_bed", "to_bed__cell", "requested_by"
        )
        .get(pk=request.pk)
    )


def move_request_decide(
    *, actor: User, request: MoveRequest, approve: bool, note: str = ""
) -> MoveRequest:
    """A supervisor approves (the move is made, as them) or refuses (with a note)."""
    facility = request.booking.facility
    if Perm.HOUSING_APPROVE not in actor.perms_at(facility.pk):
        raise PermissionDenied(APPROVE_DENIED.format(facility=facility.name), code="missing_role")
    if request.requested_by_id == actor.pk:
        raise PermissionDenied(OWN_REQUEST, code="own_request")
    note = note.strip()
    if not approve and not note:
        raise ValidationFailed.for_fields({"note": [NOTE_REQUIRED]})
    status = MoveRequestStatus.APPROVED if approve else MoveRequestStatus.REFUSED
    with transaction.atomic():
        locked = _locked(request)
        _transition(locked, status)
        if approve:
            # Made by the approver, from the bed the officer saw: a refusal here
            # rolls everything back and the request stays pending.
            bed_assign(
                actor=actor, booking=locked.booking, bed=locked.to_bed, reason=locked.reason,
                expect_from=locked.from_bed,
            )  # fmt: skip
        locked.status = status
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.decision_note = note[:500]
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action="housing.move_approved" if approve else "housing.move_refused",
            obj=locked.booking, facility=facility, reason=note,
            changes={
                "request": str(locked.public_id),
                "requested_by": (
                    locked.requested_by.get_username() if locked.requested_by else None
                ),
                "to": str(locked.to_bed.public_id),
            },
        )  # fmt: skip
    return locked


def move_request_withdraw(*, actor: User, request: MoveRequest) -> MoveRequest:
    """The officer who asked takes the request back (or a supervisor clears it)."""
    facility = request.booking.facility
    perms = actor.perms_at(facility.pk)
    if request.requested_by_id != actor.pk and Perm.HOUSING_APPROVE not in perms:
        raise PermissionDenied(NOT_YOURS, code="not_your_request")
    with transaction.atomic():
        locked = _locked(request)
        _transition(locked, MoveRequestStatus.WITHDRAWN)
        locked.status = MoveRequestStatus.WITHDRAWN
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=actor, action="housing.move_withdrawn", obj=locked.booking, facility=facility,
            changes={"request": str(locked.public_id), "to": str(locked.to_bed.public_id)},
        )  # fmt: skip
    return locked
