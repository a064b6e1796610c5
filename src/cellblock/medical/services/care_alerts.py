"""Care alerts: the non-clinical instructions medical gives custody, and the flags they set.

A care alert that changes where a person may sleep or how closely they are
watched sets a classification flag (``origin=medical``) in the same
transaction, so the rule book and the rounds see it at once; ending the alert
lifts that flag and only that flag.  When staff already set the same flag by
hand, the alert leans on it and sets none of its own.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.classification.models import CareNeed, Flag, FlagKind, FlagOrigin, ObservationLevel
from cellblock.classification.services import flag_derive, flag_derived_lift
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.medical import screening as rules
from cellblock.medical.models import CareAlert, CareAlertKind, ReceivingScreening
from cellblock.medical.services import recording

# The flag each kind of alert sets while in force: (flag kind, detail); suicide watch's
# detail is the alert's observation level.
CARE_ALERT_FLAGS: dict[str, tuple[str, str]] = {
    CareAlertKind.SUICIDE_WATCH: (FlagKind.SUICIDE_RISK, ""),
    CareAlertKind.LOWER_BUNK: (FlagKind.MEDICAL_NEED, CareNeed.LOWER_BUNK),
    CareAlertKind.MEDICAL_MONITORING: (FlagKind.MEDICAL_NEED, CareNeed.MEDICAL_MONITORING),
    CareAlertKind.WHEELCHAIR_CELL: (FlagKind.DISABILITY_NEED, CareNeed.WHEELCHAIR_CELL),
    CareAlertKind.NEAR_MEDICAL: (FlagKind.MEDICAL_NEED, CareNeed.NEAR_MEDICAL),
}

BOOKING_CLOSED = "Booking {booking} is closed: care alerts are for people in custody."
CARE_ALERT_EXISTS = (
    "{person} already has a care alert \u201c{kind}\u201d in force (set {when}): end it first "
    "to set a new one."
)
CARE_ALERT_ENDED = "This care alert already ended on {when}."
INSTRUCTION_NEEDED = "say what custody staff must do, in plain words (never a diagnosis)."
INSTRUCTION_MAX = 300  # CareAlert.instruction's max_length
INSTRUCTION_TOO_LONG = f"must be at most {INSTRUCTION_MAX} characters."
LEVEL_NEEDED = "a suicide watch needs the observation level: one of {levels}."
LEVEL_ONLY_FOR_WATCH = "is only for a suicide watch; leave it blank for {kind}."
END_REASON_NEEDED = "say why the care alert ends."
NAIVE_TIME = "needs a time-zone offset, e.g. 2026-03-14T18:00:00+00:00."
UNTIL_IN_PAST = "must be in the future."
FLAG_REASON = "Care alert from medical: {kind}."
FLAG_LIFT_REASON = "Medical ended the care alert ({kind})."
EXPIRED = "expired"


def require(actor: User | None, perm: Perm, booking: Booking, what: str) -> None:
    """The actor holds ``perm`` at the booking's facility (None, the system, always does)."""
    if actor is not None and perm not in actor.perms_at(booking.facility_id):
        raise PermissionDenied(f"{what} needs {perm.value} at this facility.", code="missing_role")


def lock_open(booking: Booking) -> Booking:
    """Lock the booking row (writers about one person queue up); refuse a closed booking."""
    locked = (
        Booking.objects.select_for_update().select_related("facility", "person").get(pk=booking.pk)
    )
    if locked.status not in OPEN_STATUSES:
        raise Conflict(BOOKING_CLOSED.format(booking=locked), code="booking_closed")
    return locked


def _label(kind: str) -> str:
    return str(CareAlertKind(kind).label)


def _input_errors(
    *, kind: str, instruction: str, level: str, until: dt.datetime | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in CareAlertKind.values:
        errors["kind"] = [f"must be one of {', '.join(CareAlertKind.values)}."]
    elif kind == CareAlertKind.SUICIDE_WATCH and level not in ObservationLevel.values:
        errors["level"] = [LEVEL_NEEDED.format(levels=", ".join(ObservationLevel.values))]
    elif kind != CareAlertKind.SUICIDE_WATCH and level:
        errors["level"] = [LEVEL_ONLY_FOR_WATCH.format(kind=_label(kind).lower())]
    if not instruction and not errors:
        errors["instruction"] = [INSTRUCTION_NEEDED]
    elif len(instruction) > INSTRUCTION_MAX:
        errors["instruction"] = [INSTRUCTION_TOO_LONG]
    if until is not None and timezone.is_naive(until):
        errors["until"] = [NAIVE_TIME]
    elif until is not None and until <= clock.now():
        errors["until"] = [UNTIL_IN_PAST]
    return errors


def _same_alert(alert: CareAlert, kind: str, instruction: str) -> bool:
    """Kinds that set a flag are one at a time; others once per instruction."""
    return alert.kind == kind and (kind in CARE_ALERT_FLAGS or alert.instruction == instruction)


def _expire(*, alert: CareAlert, booking: Booking, at: dt.datetime) -> None:
    """Close an alert past its ``until`` where it ended (the system's act, as the flag sweep's)."""
    alert.ended_at = at
    alert.end_reason = EXPIRED
    alert.save(update_fields=["ended_at", "end_reason"])
    audit_record(
        actor=None, action="carealert.end", obj=alert, facility=booking.facility, reason=EXPIRED,
        changes={"booking": booking.booking_number, "kind": alert.kind, "ended_at": at},
    )  # fmt: skip
    if alert.flag is not None:
        flag_derived_lift(actor=None, flag=alert.flag, reason=EXPIRED)


def open_alert(booking: Booking, kind: str, instruction: str) -> CareAlert | None:
    """The alert of this kind (and instruction) still in force; ones past their end close now."""
    now = clock.now()
    for alert in CareAlert.objects.filter(booking=booking, kind=kind, ended_at__isnull=True):
        if not _same_alert(alert, kind, instruction):
            continue
        if alert.until is not None and alert.until <= now:
            _expire(alert=alert, booking=booking, at=alert.until)
            continue
        return alert
    return None


def _flag_for(
    *, actor: User | None, booking: Booking, kind: str, level: str, until: dt.datetime | None
) -> Flag | None:
    """Set the alert's flag, unless the same flag is already in force (set by hand)."""
    if kind not in CARE_ALERT_FLAGS:
        return None
    flag_kind, detail = CARE_ALERT_FLAGS[kind]
    detail = detail or level
    current = Flag.objects.filter(
        booking=booking, kind=flag_kind, detail=detail, lifted_at__isnull=True
    ).first()
    if current is not None and (current.until is None or current.until > clock.now()):
        return None
    return flag_derive(
        actor=actor, booking=booking, kind=flag_kind, detail=detail,
        reason=FLAG_REASON.format(kind=_label(kind)), origin=FlagOrigin.MEDICAL, until=until,
    )  # fmt: skip


def alert_create(
    *,
    actor: User | None,
    booking: Booking,
    kind: str,
    instruction: str,
    level: str = "",
    until: dt.datetime | None = None,
    screening: ReceivingScreening | None = None,
) -> CareAlert:
    """Write a checked alert and its flag; the caller holds the booking's lock."""
    flag = _flag_for(actor=actor, booking=booking, kind=kind, level=level, until=until)
    alert = CareAlert.objects.create(
        booking=booking, kind=kind, level=level, instruction=instruction, set_at=clock.now(),
        set_by=actor, until=until, flag=flag, screening=screening,
    )  # fmt: skip
    audit_record(
        actor=actor, action="carealert.set", obj=alert, facility=booking.facility,
        changes={"booking": booking.booking_number, "kind": kind, "level": level or None,
                 "instruction": instruction, "until": until,
                 "flag": str(flag.public_id) if flag else None,
                 "screening": str(screening.public_id) if screening else None},
    )  # fmt: skip
    return alert


def care_alert_set(
    *,
    actor: User | None,
    booking: Booking,
    kind: str,
    instruction: str = "",
    level: str = "",
    until: dt.datetime | None = None,
    screening: ReceivingScreening | None = None,
) -> CareAlert:
    """Medical tells custody what to do; kinds that change housing or watch set a flag."""
    require(actor, Perm.CLINICAL_RECORD, booking, "Setting a care alert")
    level = level.strip()
    instruction = instruction.strip() or rules.default_instruction(kind, level)
    errors = _input_errors(kind=kind, instruction=instruction, level=level, until=until)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = lock_open(booking)
        current = open_alert(locked, kind, instruction)
        if current is not None:
            raise Conflict(
                CARE_ALERT_EXISTS.format(
                    person=locked.person, kind=_label(kind).lower(), when=current.set_at.date()
                ),
                code="care_alert_exists",
                extra={"care_alert_id": str(current.public_id)},
            )
        return alert_create(
            actor=actor, booking=locked, kind=kind, instruction=instruction, level=level,
            until=until, screening=screening,
        )  # fmt: skip


def care_alert_end(*, actor: User | None, alert: CareAlert, reason: str) -> CareAlert:
    """End an alert and lift the flag it set (a flag set by hand stays)."""
    require(actor, Perm.CLINICAL_RECORD, alert.booking, "Ending a care alert")
    # end_reason holds 500 characters: a longer one is a 400 here, not a database error.
    reason = recording.required_text(reason, field="reason", missing=END_REASON_NEEDED)
    with transaction.atomic():
        locked = (
            # Only the alert's row: PostgreSQL cannot lock the outer-joined (nullable) flag.
            CareAlert.objects.select_for_update(of=("self",))
            .select_related("booking__facility", "flag")
            .get(pk=alert.pk)
        )
        if locked.ended_at is not None:
            raise Conflict(
                CARE_ALERT_ENDED.format(when=locked.ended_at.date()), code="care_alert_ended"
            )
        locked.ended_at = clock.now()
        locked.ended_by = actor
        locked.end_reason = reason
        locked.save(update_fields=["ended_at", "ended_by", "end_reason"])
        booking = locked.booking
        audit_record(
            actor=actor, action="carealert.end", obj=locked, facility=booking.facility,
            reason=reason,
            changes={"booking": booking.booking_number, "kind": locked.kind,
                     "ended_at": locked.ended_at},
        )  # fmt: skip
        if locked.flag is not None:
            flag_derived_lift(
                actor=actor,
                flag=locked.flag,
                reason=FLAG_LIFT_REASON.format(kind=_label(locked.kind)),
            )
    return locked
