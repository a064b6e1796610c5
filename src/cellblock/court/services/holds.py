"""Holds: warrants, detainers and court orders that keep a person held whatever their date.

An open hold blocks a release (the release checklist's ``holds_clear`` step
reads ``court.selectors.open_holds``) and counts in the legal status: a hold
alone is ``hold``, a hold beside a sentence is ``mixed``.
"""

from __future__ import annotations

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core import clock
from cellblock.core.errors import Conflict, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.court.models import Hold, HoldKind
from cellblock.court.services.cases import choice, legal_status_sync, require, text

BOOKING_CLOSED = "{booking} is no longer held: a hold is placed on someone in custody."
HOLD_EXISTS = "{booking} already has an open {kind} under reference {reference} (placed {when})."
HOLD_LIFTED = "This hold was already lifted on {when}."
LIFT_REASON_NEEDED = "say why the hold is lifted (the order, the agency's release)."


def hold_place(
    *,
    actor: User | None,
    booking: Booking,
    kind: str,
    issued_by: str,
    reference: str,
    reason: str = "",
) -> Hold:
    """Place a warrant, detainer or court order on a booking (court staff, or the booking desk)."""
    require(actor, booking.facility, [Perm.COURT_RECORD, Perm.BOOKING_CREATE], "Placing a hold")
    errors: dict[str, list[str]] = {}
    choice(kind, HoldKind.values, "kind", errors)
    issued_by = text(issued_by, "issued_by", errors, limit=200, required=True)
    reference = text(reference, "reference", errors, limit=100, required=True)
    reason = text(reason, "reason", errors, limit=500)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("facility", "person")
            .get(pk=booking.pk)
        )
        if locked.status not in OPEN_STATUSES:
            raise Conflict(
                BOOKING_CLOSED.format(booking=locked.booking_number), code="booking_closed"
            )
        same = Hold.objects.filter(
            booking=locked, kind=kind, reference__iexact=reference, lifted_at__isnull=True
        ).first()
        if same is not None:
            raise Conflict(
                HOLD_EXISTS.format(
                    booking=locked.booking_number, kind=same.get_kind_display().lower(),
                    reference=same.reference,
                    when=f"{clock.local(same.placed_at, locked.facility.timezone):%Y-%m-%d}",
                ),
                code="hold_exists",
                extra={"hold": str(same.public_id)},
            )  # fmt: skip
        hold = Hold.objects.create(
            booking=locked, kind=kind, issued_by=issued_by, reference=reference, reason=reason,
            placed_at=clock.now(), placed_by=actor,
        )  # fmt: skip
        audit_record(
            actor=actor, action="hold.place", obj=hold, facility=locked.facility,
            reason=reason,
            changes={"booking": locked.booking_number, "kind": kind, "issued_by": issued_by,
                     "reference": reference},
        )  # fmt: skip
        legal_status_sync(actor=actor, booking=locked)
    hold.booking = locked
    return hold


def hold_lift(*, actor: User | None, hold: Hold, reason: str) -> Hold:
    """Lift a hold (the warrant recalled, the other agency collected or released its claim)."""
    booking = hold.booking
    require(actor, booking.facility, [Perm.COURT_RECORD], "Lifting a hold")
    errors: dict[str, list[str]] = {}
    reason = text(reason, "reason", errors, limit=500)
    if not reason:
        errors["reason"] = [LIFT_REASON_NEEDED]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = Hold.objects.select_for_update(of=("self",)).get(pk=hold.pk)
        if locked.lifted_at is not None:
            raise Conflict(
                HOLD_LIFTED.format(
                    when=f"{clock.local(locked.lifted_at, booking.facility.timezone):%Y-%m-%d}"
                ),
                code="hold_lifted",
            )
        locked.lifted_at = clock.now()
        locked.lifted_by = actor
        locked.lift_reason = reason
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit_record(
            actor=actor, action="hold.lift", obj=locked, facility=booking.facility,
            reason=reason,
            changes={"booking": booking.booking_number, "kind": locked.kind,
                     "reference": locked.reference},
        )  # fmt: skip
        legal_status_sync(actor=actor, booking=booking)
    locked.booking = booking
    return locked
