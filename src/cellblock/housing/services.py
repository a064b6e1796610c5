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
from cellblock.core.errors import Conflict, PermissionDenied
from cellblock.core.roles import Perm
from cellblock.facilities.models import Bed, Cell
from cellblock.housing import rules
from cellblock.housing.models import BedAssignment, HousingReview
from cellblock.housing.selectors import PlacementCheck, placement_checks

NOT_READY_FOR_HOUSING = "{booking} cannot be housed before: {steps}."


def bed_assign(
    *, actor: User | None, booking: Booking, bed: Bed, reason: str = ""
) -> BedAssignment:
    """House ``booking`` in ``bed``, ending its current assignment if it has one."""
    facility = booking.facility
    if actor is not None and Perm.HOUSING_ASSIGN not in actor.perms_at(facility.pk):
        raise PermissionDenied(
            f"Assigning beds at {facility.name} needs a supervisor, classification or commander.",
            code="missing_role",
        )
    with transaction.atomic():
        bed = Bed.objects.select_for_update().select_related("cell__unit__zone").get(pk=bed.pk)
        if bed.cell.unit.zone.facility_id != facility.pk:
            raise Conflict(f"Bed {bed} is not in {facility.name}.", code="wrong_facility")
        if bed.out_of_service or bed.cell.out_of_service:
            raise Conflict(f"Bed {bed.cell}/{bed} is out of service.", code="bed_out_of_service")
        if BedAssignment.objects.filter(bed=bed, ended_at__isnull=True).exists():
            raise Conflict(f"Bed {bed.cell}/{bed} is occupied.", code="bed_occupied")
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.status not in OPEN_STATUSES:
            raise Conflict(f"Booking {locked} is closed.", code="booking_closed")
        missing = steps_due_before_housing(locked)
        if missing:
            raise Conflict(
                NOT_READY_FOR_HOUSING.format(booking=locked, steps=", ".join(missing)),
                code="intake_before_housing",
                extra={"steps": missing},
            )
        now = clock.now()
        current = BedAssignment.objects.filter(booking=locked, ended_at__isnull=True).first()
        if current is not None:
            current.ended_at = now
            current.save(update_fields=["ended_at"])
        assignment = BedAssignment.objects.create(
            booking=locked, bed=bed, started_at=now, reason=reason
        )
        intake_step_complete(
            actor=actor, booking=locked, step=IntakeStepCode.HOUSING, note=f"{bed.cell}/{bed}"
        )
        # The move may clear alerts (or, until moves obey the rule book, raise new ones).
        housing_recheck(actor=actor, bookings=[locked], cause=f"moved to {bed.cell}/{bed}")
        audit_record(
            actor=actor, action="housing.assign", obj=locked, facility=facility, reason=reason,
            changes={
                "from": str(current.bed.public_id) if current else None,
                "to": str(bed.public_id), "cell": bed.cell.code,
            },
        )  # fmt: skip
    return assignment


MOVED_OR_CLEARED = "No longer applies: {cause}."

# Alerts whose subject ends with the key of the other placement involved.
NAMING_ANOTHER = (rules.KEEP_SEPARATE, rules.PREA_PAIRING, rules.JUVENILE_WITH_ADULTS)


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
