"""Bed assignments: start and end them.  The housing rule book grows on top of this."""

from __future__ import annotations

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking, IntakeStepCode
from cellblock.booking.selectors import steps_due_before_housing
from cellblock.booking.services import intake_step_complete
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied
from cellblock.core.roles import Perm
from cellblock.facilities.models import Bed
from cellblock.housing.models import BedAssignment

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
        audit_record(
            actor=actor, action="housing.assign", obj=locked, facility=facility, reason=reason,
            changes={
                "from": str(current.bed.public_id) if current else None,
                "to": str(bed.public_id), "cell": bed.cell.code,
            },
        )  # fmt: skip
    return assignment
