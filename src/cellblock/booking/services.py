"""Writes on bookings: open one, and move it through its lifecycle."""

from __future__ import annotations

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    Booking,
    BookingSequence,
    BookingSource,
    BookingStatus,
    LegalStatus,
    ReleaseType,
)
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.people.models import Person

ALREADY_BOOKED = "{person} already has an open booking ({number}) at {facility}."
BAD_TRANSITION = "A booking that is {current} cannot become {target}."


def _require(actor: User | None, perm: Perm, facility: Facility) -> None:
    if actor is not None and perm not in actor.perms_at(facility.pk):
        raise PermissionDenied(
            f"Your roles at {facility.name} do not allow this: it needs {perm.value}.",
            code="missing_role",
        )


def _next_booking_number(facility: Facility, year: int) -> str:
    """Facility prefix, year and a sequence: KON-2026-000042.  Gap-free per year."""
    sequence, _ = BookingSequence.objects.select_for_update().get_or_create(
        facility=facility, year=year
    )
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{facility.code}-{year}-{sequence.last_number:06d}"


def booking_open(
    *,
    actor: User | None,
    facility: Facility,
    person: Person,
    source: str,
    legal_status: str = LegalStatus.PRETRIAL,
) -> Booking:
    _require(actor, Perm.BOOKING_CREATE, facility)
    errors: dict[str, list[str]] = {}
    if source not in BookingSource.values:
        errors["source"] = [f"must be one of {', '.join(BookingSource.values)}."]
    if legal_status not in LegalStatus.values:
        errors["legal_status"] = [f"must be one of {', '.join(LegalStatus.values)}."]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        # Lock the person so two clerks booking the same person queue up.
        Person.objects.select_for_update().filter(pk=person.pk).first()
        existing = (
            Booking.objects.filter(person=person, status__in=OPEN_STATUSES)
            .select_related("facility")
            .first()
        )
        if existing is not None:
            raise Conflict(
                ALREADY_BOOKED.format(
                    person=person, number=existing.booking_number, facility=existing.facility
                ),
                code="already_booked",
                extra={"booking_number": existing.booking_number},
            )
        now = clock.now()
        booking = Booking.objects.create(
            booking_number=_next_booking_number(facility, now.year),
            person=person, facility=facility, source=source, legal_status=legal_status,
            booked_at=now,
        )  # fmt: skip
        audit_record(
            actor=actor, action="booking.open", obj=booking, facility=facility,
            changes={
                "person": str(person.public_id), "source": source, "legal_status": legal_status,
            },
        )  # fmt: skip
    return booking


def booking_transition(
    *,
    actor: User | None,
    booking: Booking,
    to: str,
    release_type: str = "",
    reason: str = "",
) -> Booking:
    """Move a booking along ``ALLOWED_TRANSITIONS``, stamping the milestone."""
    perm = Perm.BOOKING_RELEASE if to == BookingStatus.RELEASED else Perm.BOOKING_CREATE
    _require(actor, perm, booking.facility)
    if to == BookingStatus.RELEASED and release_type not in ReleaseType.values:
        raise ValidationFailed.for_fields(
            {"release_type": [f"is required to release; one of {', '.join(ReleaseType.values)}."]}
        )
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if to not in ALLOWED_TRANSITIONS.get(locked.status, frozenset()):
            raise Conflict(
                BAD_TRANSITION.format(
                    current=locked.get_status_display().lower(),
                    target=BookingStatus(to).label.lower() if to in BookingStatus.values else to,
                ),
                code="invalid_transition",
                extra={"from": locked.status, "to": to},
            )
        now = clock.now()
        before = locked.status
        locked.status = to
        fields = ["status"]
        if to == BookingStatus.IN_CUSTODY:
            locked.in_custody_at = now
            fields.append("in_custody_at")
        elif to == BookingStatus.RELEASED:
            locked.released_at = now
            locked.release_type = release_type
            fields += ["released_at", "release_type"]
        elif to == BookingStatus.CANCELLED:
            locked.cancelled_at = now
            fields.append("cancelled_at")
        locked.save(update_fields=fields)
        audit_record(
            actor=actor, action=f"booking.{to}", obj=locked, facility=locked.facility,
            changes={"status": [before, to], "release_type": release_type or None},
            reason=reason,
        )  # fmt: skip
    return locked
