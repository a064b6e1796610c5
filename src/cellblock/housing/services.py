"""Bed assignments, and the housing alerts raised when a placement breaks the rule book."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking, IntakeStepCode
from cellblock.booking.selectors import steps_due_before_housing
from cellblock.booking.services import intake_step_complete
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.freeze import movement_freeze_check
from cellblock.facilities.models import Bed, Cell, Facility
from cellblock.housing import rules
from cellblock.housing.models import BedAssignment, HousingReview
from cellblock.housing.selectors import PlacementCheck, placement_checks, placement_verdict

NOT_READY_FOR_HOUSING = "{booking} cannot be housed before: {steps}."
AGAINST_THE_RULES = "{person} cannot be housed in {bed}: {reasons}"


class AnyBed:
    """``expect_from`` not given: move whatever bed the person is in now."""


ANY_BED = AnyBed()


def violations_as_data(violations: Iterable[rules.Violation]) -> list[dict[str, object]]:
    return [
        {"code": v.code, "message": v.message, "hard": v.hard, "cost": v.cost} for v in violations
    ]


def facility_moves_lock(facility: Facility) -> None:
    """Queue the moves of one facility, before anything else is locked.

    The rules about company (keep-separate orders up to the whole facility,
    juveniles in a unit, cellmates) must see every placement committed before
    this one: two people under a facility-wide order placed at the same moment
    in two zones would otherwise both be housed on PostgreSQL.  Everything that
    moves people takes this lock first, so they never wait on each other in
    opposite orders.
    """
    # NO KEY: every audited write takes KEY SHARE on its facility row (a foreign key);
    # a plain FOR UPDATE would make them all wait for the move, or deadlock with it.
    Facility.objects.select_for_update(no_key=True).filter(pk=facility.pk).first()


def bed_assign(
    *,
    actor: User | None,
    booking: Booking,
    bed: Bed,
    reason: str = "",
    expect_from: Bed | AnyBed | None = ANY_BED,
    override_reason: str = "",
    permission: Perm = Perm.HOUSING_ASSIGN,
    emergency_reason: str = "",
    at: dt.datetime | None = None,
) -> BedAssignment:
    """House ``booking`` in ``bed``, ending its current assignment if it has one.

    ``at`` records a placement made earlier (a late entry, the demo's history):
    never in the future, never before the booking or the current placement.

    The rule book decides: a hard violation refuses the move (409
    ``housing_rule``, every violation in ``extra``), unless the commander
    overrides it with a reason; the placement then stays on the alert board
    until it is lawful.  ``expect_from`` is the bed the caller saw the person
    in (None: not housed): if someone moved them meanwhile the move is refused,
    so two moves of the same person never both happen.  ``permission`` is what
    the actor must hold: ``housing.assign``, or ``housing.request`` where the
    facility policy lets officers move without a supervisor.  During a formal
    count the move is refused unless ``emergency_reason`` says why it cannot wait.
    """
    facility = booking.facility
    perms = actor.perms_at(facility.pk) if actor is not None else None
    if perms is not None and permission not in perms:
        raise PermissionDenied(
            f"Assigning beds at {facility.name} needs a supervisor, classification or commander.",
            code="missing_role",
        )
    override_reason = override_reason.strip()
    if override_reason and perms is not None and Perm.HOUSING_OVERRIDE not in perms:
        raise PermissionDenied(
            "Only the commander can house someone against the rule book.",
            code="missing_role",
        )
    with transaction.atomic():
        facility_moves_lock(facility)
        emergency = movement_freeze_check(
            facility, what="moving people between beds", emergency_reason=emergency_reason
        )
        bed = (
            Bed.objects.select_for_update(of=("self",))
            .select_related("cell__unit__zone")
            .get(pk=bed.pk)
        )
        if bed.cell.unit.zone.facility_id != facility.pk:
            raise Conflict(f"Bed {bed} is not in {facility.name}.", code="wrong_facility")
        if bed.out_of_service or bed.cell.out_of_service:
            raise Conflict(f"Bed {bed.cell}/{bed} is out of service.", code="bed_out_of_service")
        occupant = (
            BedAssignment.objects.filter(bed=bed, ended_at__isnull=True)
            .select_related("booking")
            .first()
        )
        if occupant is not None and occupant.booking_id != booking.pk:
            raise Conflict(
                f"Bed {bed.cell}/{bed} is occupied by {occupant.booking}.", code="bed_occupied"
            )
        locked = Booking.objects.select_for_update().select_related("person").get(pk=booking.pk)
        if locked.status not in OPEN_STATUSES:
            raise Conflict(f"Booking {locked} is closed.", code="booking_closed")
        current = (
            BedAssignment.objects.filter(booking=locked, ended_at__isnull=True)
            .select_related("bed__cell")
            .first()
        )
        if not isinstance(expect_from, AnyBed):
            seen = expect_from.pk if expect_from is not None else None
            if (current.bed_id if current else None) != seen:
                where = f"{current.bed.cell}/{current.bed}" if current else "no bed"
                raise Conflict(
                    f"{locked} was moved meanwhile: now in {where}. Check and try again.",
                    code="moved_meanwhile",
                )
        if current is not None and current.bed_id == bed.pk:
            raise Conflict(f"{locked} already sleeps in {bed.cell}/{bed}.", code="same_bed")
        missing = steps_due_before_housing(locked)
        if missing:
            raise Conflict(
                NOT_READY_FOR_HOUSING.format(booking=locked, steps=", ".join(missing)),
                code="intake_before_housing",
                extra={"steps": missing},
            )
        now = _placement_moment(at, locked, current)
        verdict = placement_verdict(locked, bed, now)
        if verdict.hard and not override_reason:
            raise Conflict(
                AGAINST_THE_RULES.format(
                    person=verdict.resident.label, bed=verdict.place.cell_label + f" bed {bed}",
                    reasons=" ".join(v.message for v in verdict.hard),
                ),
                code="housing_rule",
                extra={"violations": violations_as_data(verdict.violations)},
            )  # fmt: skip
        if current is not None:
            current.ended_at = now
            current.save(update_fields=["ended_at"])
        try:
            with transaction.atomic():
                assignment = BedAssignment.objects.create(
                    booking=locked, bed=bed, started_at=now, reason=reason, assigned_by=actor,
                    override_reason=override_reason if verdict.hard else "",
                    overridden_rules=[v.code for v in verdict.hard],
                )  # fmt: skip
        except IntegrityError as error:
            # The constraints are the last line: a concurrent move took the bed first.
            raise Conflict(
                f"Bed {bed.cell}/{bed} was taken a moment ago.", code="bed_occupied"
            ) from error
        intake_step_complete(
            actor=actor, booking=locked, step=IntakeStepCode.HOUSING, note=f"{bed.cell}/{bed}",
            at=now,
        )  # fmt: skip
        # The move clears the alerts it ends; an overridden placement keeps its alerts.
        housing_recheck(actor=actor, bookings=[locked], cause=f"moved to {bed.cell}/{bed}")
        audit_record(
            actor=actor, action="housing.assign", obj=locked, facility=facility, reason=reason,
            changes={
                "from": str(current.bed.public_id) if current else None,
                "to": str(bed.public_id), "cell": bed.cell.code,
                "cost": verdict.cost,
                **(
                    {"override": override_reason, "rules": [v.code for v in verdict.hard]}
                    if verdict.hard else {}
                ),
                **({"emergency": emergency} if emergency else {}),
            },
        )  # fmt: skip
    return assignment


def _placement_moment(
    at: dt.datetime | None, booking: Booking, current: BedAssignment | None
) -> dt.datetime:
    """When the placement happened: now, or an earlier moment the record allows."""
    now = clock.now()
    if at is None:
        return now
    if at > now:
        raise ValidationFailed.for_fields({"at": ["must not be in the future."]})
    if at < booking.booked_at:
        raise ValidationFailed.for_fields({"at": ["must not be before the booking."]})
    if current is not None and at < current.started_at:
        raise ValidationFailed.for_fields({"at": ["must not be before the placement it ends."]})
    return at


MOVED_OR_CLEARED = "No longer applies: {cause}."

# Alerts whose subject ends with the key of the other placement involved.
NAMING_ANOTHER = (
    rules.KEEP_SEPARATE,
    rules.PREA_PAIRING,
    rules.JUVENILE_WITH_ADULTS,
    rules.SINGLE_CELL,
)


def _with_the_other_side(
    bookings: list[Booking], checks: list[PlacementCheck], now: dt.datetime
) -> tuple[list[Booking], list[PlacementCheck]]:
    """Add the placements on the other side of a violation, now or in an alert still open.

    A keep-separate order or a PREA pairing is broken by two people: both carry
    the alert, and when one of them moves both alerts clear.  The other side is
    named by the new violations, by these bookings' open alerts (whose subject
    ends with the other's key) and by the open alerts of others that name these.
    """
    given = {booking.pk for booking in bookings}
    keys = {booking.booking_number for booking in bookings}
    counterparts = {key for c in checks for v in c.violations for key in v.others}
    naming: set[int] = set()
    # Both sides of a violation are always in the same facility (rules.shares_scope).
    facilities = {booking.facility_id for booking in bookings}
    for booking_id, subject in HousingReview.objects.filter(
        resolved_at__isnull=True, code__in=NAMING_ANOTHER, booking__facility_id__in=facilities
    ).values_list("booking_id", "subject"):
        named = subject.rsplit(":", 1)[-1]
        if booking_id in given:
            counterparts.add(named)
        elif named in keys:
            naming.add(booking_id)
    counterparts -= keys
    if not counterparts and not naming:
        return bookings, checks
    related = list(
        Booking.objects.filter(Q(booking_number__in=counterparts) | Q(pk__in=naming))
        .exclude(pk__in=given)
        .select_related("facility", "person")
    )
    return [*bookings, *related], [*checks, *placement_checks(related, now)]


def housing_recheck(
    *, actor: User | None, bookings: Iterable[Booking], cause: str
) -> list[HousingReview]:
    """Check the current beds of ``bookings``; raise an alert per new violation, clear the gone.

    Called in the transaction of whatever changed the facts (a keep-separate
    order, a flag, a move), so the alert and its cause commit together.
    Returns the alerts raised now.
    """
    now = clock.now()
    # Once each, however often a caller names a booking.
    bookings = list({booking.pk: booking for booking in bookings}.values())
    if not bookings:
        return []
    bookings, checks = _with_the_other_side(bookings, placement_checks(bookings, now), now)
    open_by_booking: dict[int, dict[str, HousingReview]] = {}
    for review in (
        HousingReview.objects.select_for_update(of=("self",))
        .filter(booking__in=bookings, resolved_at__isnull=True)
        .select_related("booking__facility")
    ):
        open_by_booking.setdefault(review.booking_id, {})[review.subject] = review
    raised: list[HousingReview] = []
    checked: dict[int, set[str]] = {}
    for check in checks:
        booking = check.booking
        current = open_by_booking.get(booking.pk, {})
        checked[booking.pk] = {violation.subject for violation in check.violations}
        for violation in check.violations:
            if violation.subject in current:
                continue
            try:
                with transaction.atomic():
                    review = HousingReview.objects.create(
                        booking=booking, code=violation.code, subject=violation.subject,
                        message=violation.message[:500], cause=cause[:200], raised_at=now,
                        raised_by=actor,
                    )  # fmt: skip
            except IntegrityError:
                # Raised a moment ago by a concurrent change about the same placement.
                continue
            audit_record(
                actor=actor, action="housing.alert", obj=booking, facility=booking.facility,
                reason=cause, changes={"rule": violation.code, "message": violation.message},
            )  # fmt: skip
            raised.append(review)
    # Alerts of people no longer housed here, or whose violation is gone, are resolved.
    for booking_id, reviews in open_by_booking.items():
        still = checked.get(booking_id, set())
        for subject, review in reviews.items():
            if subject in still:
                continue
            review.resolved_at = now
            review.resolved_by = actor
            review.resolution = MOVED_OR_CLEARED.format(cause=cause)[:300]
            review.save(update_fields=["resolved_at", "resolved_by", "resolution"])
            audit_record(
                actor=actor, action="housing.alert_cleared", obj=review.booking,
                facility=review.booking.facility, reason=cause,
                changes={"rule": review.code, "subject": review.subject},
            )  # fmt: skip
    return raised


def bed_vacate_on_release(*, actor: User | None, booking: Booking) -> BedAssignment | None:
    """A released person gives up their bed at once: the count and the boards follow.

    Called by booking's release (booking/hooks.py) in its transaction.  Alerts
    about the placement clear, and so do those of the people who shared the cell.
    """
    current = (
        BedAssignment.objects.select_for_update()
        .filter(booking=booking, ended_at__isnull=True)
        .select_related("bed__cell")
        .first()
    )
    if current is None:
        return None
    current.ended_at = clock.now()
    current.save(update_fields=["ended_at"])
    audit_record(
        actor=actor, action="housing.vacate", obj=booking, facility=booking.facility,
        reason="released",
        changes={"bed": str(current.bed.public_id), "cell": current.bed.cell.code},
    )  # fmt: skip
    housing_recheck(actor=actor, bookings=[booking], cause=f"{booking} released")
    return current


def cell_occupants_recheck(*, actor: User | None, cell: Cell, cause: str) -> list[HousingReview]:
    """Recheck the people in ``cell`` after it changed (a feature compromised, out of service)."""
    occupants = (
        Booking.objects.filter(
            bed_assignments__bed__cell=cell,
            bed_assignments__ended_at__isnull=True,
            status__in=OPEN_STATUSES,
        )
        .select_related("facility", "person")
        .distinct()
    )
    return housing_recheck(actor=actor, bookings=list(occupants), cause=cause)
