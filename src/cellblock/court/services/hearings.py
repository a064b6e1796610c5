"""Hearings on the calendar, and producing the person to court: the movement out and back.

A hearing remembers the booking to produce (the person's open booking when it
is scheduled, or when they are produced).  Producing starts a movement to court
(``custody.services.movements``), so the count, the board and the movement
log see the person out; the return closes it.  A hearing with a booking that
nobody produced by its time plus the facility's grace is a missed production
(``court.selectors.missed_productions`` and the compliance board).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core import clock
from cellblock.core.errors import Conflict, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.court.models import Case, Hearing, HearingKind, HearingStatus
from cellblock.court.services.cases import AT_NAIVE, choice, open_booking, require, text
from cellblock.custody.models import Destination
from cellblock.custody.services.movements import movement_return, movement_start

LENGTH_RANGE = "must be between 1 and 720 minutes."
NEXT_ONLY_WHEN_ADJOURNED = "is only for an adjourned hearing (the date it is adjourned to)."
NEXT_NOT_AFTER = "must be after the hearing it continues ({when:%Y-%m-%d %H:%M})."
NOT_SCHEDULED = "This hearing is already {status}: {what}."
ALREADY_PRODUCED = "{person} was already produced to this hearing (movement {movement})."
NOT_IN_CUSTODY = (
    "{person} is not held (no open booking): there is nobody to produce. A person on bail "
    "comes to court by themselves."
)
NOT_PRODUCED = "{person} was not produced to this hearing: there is no movement to close."
PRODUCTION_REASON = "Production to court: {kind} in {docket}."
CONCLUDE_STATUSES = (HearingStatus.HELD, HearingStatus.ADJOURNED, HearingStatus.CANCELLED)


def _where(hearing: Hearing) -> str:
    return hearing.courtroom or hearing.case.court.location or hearing.case.court.name


def _schedule(
    *, actor: User | None, case: Case, kind: str, scheduled_at: dt.datetime,
    expected_minutes: int, courtroom: str, continues: Hearing | None = None,
) -> Hearing:  # fmt: skip
    """Write a checked hearing (the caller holds the transaction)."""
    booking = open_booking(case.person_id)
    hearing = Hearing.objects.create(
        case=case, kind=kind, scheduled_at=scheduled_at, expected_minutes=expected_minutes,
        courtroom=courtroom or case.court.location, booking=booking, scheduled_by=actor,
        recorded_at=clock.now(),
    )  # fmt: skip
    audit_record(
        actor=actor, action="hearing.schedule", obj=hearing, facility=case.facility,
        object_label=f"{hearing.get_kind_display()} in {case.docket_number}",
        changes={
            "case": case.docket_number, "kind": kind, "scheduled_at": scheduled_at,
            "expected_minutes": expected_minutes, "courtroom": hearing.courtroom,
            "booking": booking.booking_number if booking else None,
            **({"continues": str(continues.public_id)} if continues else {}),
        },
    )  # fmt: skip
    return hearing


def hearing_schedule(
    *,
    actor: User | None,
    case: Case,
    kind: str,
    scheduled_at: dt.datetime,
    expected_minutes: int = 60,
    courtroom: str = "",
) -> Hearing:
    """Put a hearing on the calendar; the person's open booking is the one to produce."""
    require(actor, case.facility, [Perm.COURT_RECORD], "Scheduling a hearing")
    errors: dict[str, list[str]] = {}
    choice(kind, HearingKind.values, "kind", errors)
    if timezone.is_naive(scheduled_at):
        errors["scheduled_at"] = [AT_NAIVE]
    if not 1 <= expected_minutes <= 720:
        errors["expected_minutes"] = [LENGTH_RANGE]
    courtroom = text(courtroom, "courtroom", errors, limit=200)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        return _schedule(
            actor=actor, case=case, kind=kind, scheduled_at=scheduled_at,
            expected_minutes=expected_minutes, courtroom=courtroom,
        )  # fmt: skip


def _lock_hearing(hearing: Hearing) -> Hearing:
    return (
        Hearing.objects.select_for_update(of=("self",))
        .select_related("case__court", "case__facility", "case__person")
        .get(pk=hearing.pk)
    )


def _require_scheduled(hearing: Hearing, what: str) -> None:
    if hearing.status != HearingStatus.SCHEDULED:
        raise Conflict(
            NOT_SCHEDULED.format(status=hearing.get_status_display().lower(), what=what),
            code="hearing_concluded",
            extra={"status": hearing.status},
        )


def _booking_to_produce(hearing: Hearing) -> Booking:
    """The hearing's booking while open; else the person's booking now (booked since)."""
    booking = hearing.booking
    if booking is not None and booking.status in OPEN_STATUSES:
        return booking
    current = open_booking(hearing.case.person_id)
    if current is None:
        raise Conflict(
            NOT_IN_CUSTODY.format(person=hearing.case.person.full_name), code="not_in_custody"
        )
    return current


def hearing_produce(
    *,
    actor: User | None,
    hearing: Hearing,
    escort: User | None = None,
    at: dt.datetime | None = None,
    emergency_reason: str = "",
) -> Hearing:
    """Take the person to court: a movement out, expected back when the hearing should end.

    Recording a movement is custody's work (``movement.record``, checked by
    ``movement_start``); a formal count refuses it unless ``emergency_reason``.
    """
    with transaction.atomic():
        locked = _lock_hearing(hearing)
        _require_scheduled(locked, "nobody is produced to it")
        if locked.production is not None:
            raise Conflict(
                ALREADY_PRODUCED.format(
                    person=locked.case.person.full_name, movement=locked.production.public_id
                ),
                code="already_produced",
            )
        booking = _booking_to_produce(locked)
        left_at = at or clock.now()
        ends = locked.scheduled_at + dt.timedelta(minutes=locked.expected_minutes)
        # Produced late, the hearing still takes its length from the moment they arrive.
        if ends <= left_at:
            ends = left_at + dt.timedelta(minutes=locked.expected_minutes)
        movement = movement_start(
            actor=actor, booking=booking, destination=Destination.COURT,
            destination_detail=_where(locked)[:200], escort=escort, expected_return_at=ends,
            reason=PRODUCTION_REASON.format(
                kind=locked.get_kind_display().lower(), docket=locked.case.docket_number
            ),
            emergency_reason=emergency_reason, at=at,
        )  # fmt: skip
        locked.booking = booking
        locked.production = movement
        locked.save(update_fields=["booking", "production"])
        audit_record(
            actor=actor, action="hearing.produce", obj=locked, facility=booking.facility,
            object_label=f"{locked.get_kind_display()} in {locked.case.docket_number}",
            changes={
                "booking": booking.booking_number, "movement": str(movement.public_id),
                "escort": escort.get_username() if escort else None,
                "left_at": movement.left_at, "expected_return_at": ends,
            },
        )  # fmt: skip
    return locked


def hearing_return(
    *, actor: User | None, hearing: Hearing, at: dt.datetime | None = None
) -> Hearing:
    """The person is back from court (or, remanded there, reaches the cells)."""
    with transaction.atomic():
        locked = _lock_hearing(hearing)
        if locked.production is None:
            raise Conflict(
                NOT_PRODUCED.format(person=locked.case.person.full_name), code="not_produced"
            )
        movement = movement_return(actor=actor, movement=locked.production, at=at)
        booking = movement.booking
        audit_record(
            actor=actor, action="hearing.return", obj=locked, facility=booking.facility,
            object_label=f"{locked.get_kind_display()} in {locked.case.docket_number}",
            changes={"booking": booking.booking_number, "returned_at": movement.returned_at},
        )  # fmt: skip
        locked.production = movement
    return locked


def hearing_conclude(
    *,
    actor: User | None,
    hearing: Hearing,
    status: str,
    outcome: str = "",
    next_at: dt.datetime | None = None,
) -> Hearing:
    """Record that the hearing was held, adjourned (to ``next_at``: a new hearing) or cancelled."""
    require(actor, hearing.case.facility, [Perm.COURT_RECORD], "Concluding a hearing")
    errors: dict[str, list[str]] = {}
    choice(status, CONCLUDE_STATUSES, "status", errors)
    outcome = text(outcome, "outcome", errors, limit=500)
    if next_at is not None:
        if status != HearingStatus.ADJOURNED:
            errors["next_at"] = [NEXT_ONLY_WHEN_ADJOURNED]
        elif timezone.is_naive(next_at):
            errors["next_at"] = [AT_NAIVE]
        elif next_at <= hearing.scheduled_at:
            errors["next_at"] = [NEXT_NOT_AFTER.format(when=hearing.scheduled_at)]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = _lock_hearing(hearing)
        _require_scheduled(locked, "it cannot be concluded again")
        locked.status = status
        locked.outcome = outcome
        locked.concluded_at = clock.now()
        locked.concluded_by = actor
        locked.save(update_fields=["status", "outcome", "concluded_at", "concluded_by"])
        following = None
        if next_at is not None:
            following = _schedule(
                actor=actor, case=locked.case, kind=locked.kind, scheduled_at=next_at,
                expected_minutes=locked.expected_minutes, courtroom=locked.courtroom,
                continues=locked,
            )  # fmt: skip
        audit_record(
            actor=actor, action="hearing.conclude", obj=locked, facility=locked.case.facility,
            object_label=f"{locked.get_kind_display()} in {locked.case.docket_number}",
            changes={
                "status": [HearingStatus.SCHEDULED, status], "outcome": outcome or None,
                "next_hearing": str(following.public_id) if following else None,
                "next_at": next_at,
            },
        )  # fmt: skip
    return locked
