"""Writes on special-management flags: set one, lift one."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.classification.models import Flag, FlagKind
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm

FLAG_ALREADY_SET = "{booking} already carries the flag {flag} (set {when})."


def _require_edit(actor: User | None, booking: Booking) -> None:
    if actor is not None and Perm.CLASSIFICATION_EDIT not in actor.perms_at(booking.facility_id):
        raise PermissionDenied(
            "Setting and lifting flags needs the classification role or the commander.",
            code="missing_role",
        )


def flag_set(
    *,
    actor: User | None,
    booking: Booking,
    kind: str,
    reason: str,
    detail: str = "",
    until: dt.datetime | None = None,
) -> Flag:
    _require_edit(actor, booking)
    now = clock.now()
    errors: dict[str, list[str]] = {}
    if kind not in FlagKind.values:
        errors["kind"] = [f"must be one of {', '.join(FlagKind.values)}."]
    if not reason.strip():
        errors["reason"] = ["say why the flag is set."]
    if until is not None and until <= now:
        errors["until"] = ["must be in the future."]
    if kind == FlagKind.CONTAINMENT and not detail.strip():
        errors["detail"] = ["name the cell feature the cell must have, e.g. chakra-suppression."]
    if errors:
        raise ValidationFailed.for_fields(errors)
    detail = detail.strip()
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("facility").get(pk=booking.pk)
        if locked.status not in OPEN_STATUSES:
            raise Conflict(f"Booking {locked} is closed.", code="booking_closed")
        current = Flag.objects.filter(
            booking=locked, kind=kind, detail=detail, lifted_at__isnull=True
        ).first()
        if current is not None and current.until is not None and current.until <= now:
            # Expired on its own: close it where it ended, then set the new one.
            current.lifted_at = current.until
            current.lift_reason = "expired"
            current.save(update_fields=["lifted_at", "lift_reason"])
        elif current is not None:
            raise Conflict(
                FLAG_ALREADY_SET.format(booking=locked, flag=current, when=current.set_at.date()),
                code="flag_already_set",
                extra={"flag_id": str(current.public_id)},
            )
        flag = Flag.objects.create(
            booking=locked, kind=kind, detail=detail, reason=reason.strip(), set_at=now,
            set_by=actor, until=until,
        )  # fmt: skip
        audit_record(
            actor=actor, action="flag.set", obj=flag, facility=locked.facility, reason=reason,
            changes={"booking": locked.booking_number, "kind": kind, "detail": detail or None,
                     "until": until},
        )  # fmt: skip
    return flag


def flag_lift(*, actor: User | None, flag: Flag, reason: str) -> Flag:
    booking = flag.booking
    _require_edit(actor, booking)
    if not reason.strip():
        raise ValidationFailed.for_fields({"reason": ["say why the flag is lifted."]})
    with transaction.atomic():
        locked = Flag.objects.select_for_update().get(pk=flag.pk)
        if locked.lifted_at is not None:
            raise Conflict("This flag was already lifted.", code="flag_lifted")
        locked.lifted_at = clock.now()
        locked.lifted_by = actor
        locked.lift_reason = reason.strip()
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit_record(
            actor=actor, action="flag.lift", obj=locked, facility=booking.facility, reason=reason,
            changes={"booking": booking.booking_number, "kind": locked.kind},
        )  # fmt: skip
    return locked
