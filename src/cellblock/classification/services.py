"""Writes of classification: assessments and overrides, PREA screening, flags, groups, orders.

Every write that can make a current placement unlawful (a keep-separate
order, a juvenile or containment flag, a PREA risk, a group membership) ends
with ``housing_recheck`` in the same transaction, so the housing alert
commits with its cause and no violation is silently left in place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record, audit_record_read
from cellblock.booking.models import OPEN_STATUSES, Booking, Charge, IntakeStepCode
from cellblock.booking.services import intake_step_complete
from cellblock.classification import instrument as scoring
from cellblock.classification import prea
from cellblock.classification.models import (
    ASSESSMENT_TRANSITIONS,
    HOUSING_FLAGS,
    Assessment,
    AssessmentReason,
    AssessmentStatus,
    CareNeed,
    ConflictKind,
    ContactScope,
    Flag,
    FlagKind,
    FlagOrigin,
    GroupKind,
    GroupMembership,
    Instrument,
    ObservationLevel,
    PreaKind,
    PreaScreening,
    ProtectedRole,
    ProtectiveOrder,
    ProtectiveSource,
    ReviewTrigger,
    SecurityGroup,
    SeparationOrder,
    SeparationScope,
    SeparationSource,
    StaffConflict,
)
from cellblock.classification.selectors import (
    instrument_in_force,
    orders_in_force_q,
    policy_of,
)
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility, tag_validator
from cellblock.housing.models import HousingReview
from cellblock.housing.services import housing_recheck
from cellblock.people.models import Person

FLAG_ALREADY_SET = "{booking} already carries the flag {flag} (set {when})."
FLAG_DERIVED = "The {flag} flag is set and lifted by {origin}, not by hand: {how}."
HOW_DERIVED = {
    FlagOrigin.DATE_OF_BIRTH: "correct the date of birth if it is wrong",
    FlagOrigin.PREA_SCREENING: "record a new PREA screening",
    FlagOrigin.MEDICAL: "medical ends the care alert that set it",
}
JUVENILE_HAS_DOB = (
    "is derived from the date of birth ({dob}); a juvenile flag by hand is only for a "
    "person whose date of birth is unknown."
)
DOB_CORRECTED = "Date of birth corrected to {dob}."
TURNED_18 = "Turned 18 on {date}."
UNDER_18 = "Under 18: born {dob}."
BOOKING_CLOSED = "Booking {booking} is closed."
NO_SECOND_PERSON = (
    "An override needs a second person: {user} recorded this assessment, so another "
    "supervisor or commander must approve or refuse it."
)
SUPERSEDED = "A newer assessment of {booking} was recorded since; decide on that one instead."
NOT_PENDING = "This assessment's override was already {status}."
SEPARATION_EXISTS = "{person} and {other} already have an open keep-separate order ({scope})."
CONFLICT_EXISTS = "{person} and {staff} already have this conflict on record."
NOT_AN_AUTHORISER = (
    "{user} cannot authorise a keep-separate order here: it takes classification staff, "
    "a supervisor or the commander."
)
FIRST_IS_INITIAL = "the first screening of a booking is the initial one."
INITIAL_DONE = "the initial screening is already recorded: this is a reassessment or a referral."
PROTECTED_IN_CUSTODY = (
    "is held in custody: keep two people in custody apart with a keep-separate order."
)
PROTECTIVE_EXISTS = (
    "{person} already has a protective order in force for {other}: end it first to record "
    "a new one."
)
CO_DEFENDANT_REASON = "Co-defendants in case {case} (policy keeps co-defendants apart)."

# Flags that change where a person may sleep.
# The detail each kind of flag needs.
DETAIL_RULES: dict[str, tuple[list[str] | None, str]] = {
    FlagKind.SUICIDE_RISK: (ObservationLevel.values, "the observation level"),
    FlagKind.MEDICAL_NEED: (CareNeed.values, "what the bed must offer"),
    FlagKind.DISABILITY_NEED: (CareNeed.values, "what the bed must offer"),
    FlagKind.CONTAINMENT: (None, "the cell feature the cell must have, e.g. chakra-suppression"),
    FlagKind.DIET: (None, "the diet, e.g. no sweets"),
    FlagKind.PREFERENCE: (None, "the preference"),
}


def _require(actor: User | None, perm: Perm, facility_id: int, what: str) -> None:
    if actor is not None and perm not in actor.perms_at(facility_id):
        raise PermissionDenied(f"{what} needs {perm.value} at this facility.", code="missing_role")


def _lock_open(booking: Booking) -> Booking:
    locked = (
        Booking.objects.select_for_update()
        .select_related("facility__agency", "person")
        .get(pk=booking.pk)
    )
    if locked.status not in OPEN_STATUSES:
        raise Conflict(BOOKING_CLOSED.format(booking=locked), code="booking_closed")
    return locked


def _text(value: str) -> str:
    return value.strip()


# How far back the sweep looks for keep-separate orders that began after they were recorded.
SWEEP_LOOKBACK = dt.timedelta(days=1)

NAIVE_TIME = "needs a time-zone offset, e.g. 2026-11-21T09:30:00+09:00."


def _naive_errors(errors: dict[str, list[str]], **moments: dt.datetime | None) -> bool:
    """Refuse times without a zone (they cannot be compared); True when any was refused."""
    for name, moment in moments.items():
        if moment is not None and timezone.is_naive(moment):
            errors[name] = [NAIVE_TIME]
    return any(name in errors for name in moments)


def _check_window(
    errors: dict[str, list[str]], starts_at: dt.datetime, expires_at: dt.datetime | None
) -> None:
    if _naive_errors(errors, starts_at=starts_at, expires_at=expires_at):
        return
    if expires_at is not None and expires_at <= starts_at:
        errors["expires_at"] = ["must be after the start."]
    elif expires_at is not None and expires_at <= clock.now():
        errors["expires_at"] = ["must be in the future."]


def _lock_people(*people: Person | None) -> None:
    """Lock the people's rows so writers about the same people queue up (in id order, no deadlock).

    ``count()`` would drop FOR UPDATE (an aggregate cannot lock), so the ids are fetched.
    """
    ids = sorted({person.pk for person in people if person is not None})
    list(Person.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def _open_bookings_of(person_ids: Iterable[int]) -> list[Booking]:
    return list(
        Booking.objects.filter(
            person_id__in=set(person_ids), status__in=OPEN_STATUSES
        ).select_related("facility", "person")
    )


# --- Flags -------------------------------------------------------------------------


def _flag_create(
    *,
    actor: User | None,
    booking: Booking,
    kind: str,
    reason: str,
    detail: str = "",
    until: dt.datetime | None = None,
    origin: str = FlagOrigin.STAFF,
) -> Flag:
    now = clock.now()
    current = Flag.objects.filter(
        booking=booking, kind=kind, detail=detail, lifted_at__isnull=True
    ).first()
    if current is not None and current.until is not None and current.until <= now:
        # Expired on its own: close it where it ended, then set the new one.  Recorded as
        # the system's act, like the sweep's; no housing recheck, the new flag does that.
        current.lifted_at = current.until
        current.lift_reason = "expired"
        current.save(update_fields=["lifted_at", "lift_reason"])
        audit_record(
            actor=None, action="flag.lift", obj=current, facility=booking.facility,
            reason="expired",
            changes={"booking": booking.booking_number, "kind": kind, "lifted_at": current.until},
        )  # fmt: skip
    elif current is not None:
        raise Conflict(
            FLAG_ALREADY_SET.format(booking=booking, flag=current, when=current.set_at.date()),
            code="flag_already_set",
            extra={"flag_id": str(current.public_id)},
        )
    flag = Flag.objects.create(
        booking=booking, kind=kind, detail=detail, reason=reason, set_at=now, set_by=actor,
        until=until, origin=origin,
    )  # fmt: skip
    audit_record(
        actor=actor, action="flag.set", obj=flag, facility=booking.facility, reason=reason,
        changes={"booking": booking.booking_number, "kind": kind, "detail": detail or None,
                 "until": until, "origin": origin},
    )  # fmt: skip
    if kind in HOUSING_FLAGS:
        housing_recheck(actor=actor, bookings=[booking], cause=f"flag {kind} set")
    return flag


def _flag_close(
    *, actor: User | None, flag: Flag, booking: Booking, reason: str, at: dt.datetime
) -> Flag:
    flag.lifted_at = at
    flag.lifted_by = actor
    flag.lift_reason = reason
    flag.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    audit_record(
        actor=actor, action="flag.lift", obj=flag, facility=booking.facility, reason=reason,
        changes={"booking": booking.booking_number, "kind": flag.kind, "lifted_at": at},
    )  # fmt: skip
    if flag.kind in HOUSING_FLAGS:
        housing_recheck(actor=actor, bookings=[booking], cause=f"flag {flag.kind} lifted")
    return flag


def _detail_errors(kind: str, detail: str) -> list[str]:
    allowed, what = DETAIL_RULES.get(kind, (None, ""))
    if not what:
        return []
    if not detail:
        return [f"name {what}."]
    if allowed is not None and detail not in allowed:
        return [f"must be one of {', '.join(allowed)}."]
    if kind == FlagKind.CONTAINMENT:
        try:
            tag_validator(detail)
        except DjangoValidationError as error:
            return [str(message) for message in error.messages]
    return []


def flag_set(
    *,
    actor: User | None,
    booking: Booking,
    kind: str,
    reason: str,
    detail: str = "",
    until: dt.datetime | None = None,
) -> Flag:
    """Set a special-management flag by hand (juvenile and PREA flags are derived)."""
    _require(actor, Perm.CLASSIFICATION_EDIT, booking.facility_id, "Setting a flag")
    if kind == FlagKind.RESTRICTIVE_HOUSING:
        _require(
            actor, Perm.RESTRICTIVE_HOUSING_AUTHORISE, booking.facility_id,
            "A restrictive housing placement",
        )  # fmt: skip
    now = clock.now()
    detail = _text(detail)
    errors: dict[str, list[str]] = {}
    if kind not in FlagKind.values:
        errors["kind"] = [f"must be one of {', '.join(FlagKind.values)}."]
    elif kind in (FlagKind.PREA_VICTIM, FlagKind.PREA_ABUSER):
        errors["kind"] = ["is set by PREA screening: record a screening instead."]
    elif kind == FlagKind.JUVENILE and booking.person.date_of_birth is not None:
        errors["kind"] = [JUVENILE_HAS_DOB.format(dob=booking.person.date_of_birth)]
    elif detail_errors := _detail_errors(kind, detail):
        errors["detail"] = detail_errors
    if not reason.strip():
        errors["reason"] = ["say why the flag is set."]
    if not _naive_errors(errors, until=until) and until is not None and until <= now:
        errors["until"] = ["must be in the future."]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = _lock_open(booking)
        return _flag_create(
            actor=actor, booking=locked, kind=kind, reason=reason.strip(), detail=detail,
            until=until,
        )  # fmt: skip


def flag_lift(*, actor: User | None, flag: Flag, reason: str) -> Flag:
    booking = flag.booking
    _require(actor, Perm.CLASSIFICATION_EDIT, booking.facility_id, "Lifting a flag")
    if not reason.strip():
        raise ValidationFailed.for_fields({"reason": ["say why the flag is lifted."]})
    if flag.origin != FlagOrigin.STAFF:
        raise Conflict(
            FLAG_DERIVED.format(
                flag=flag.get_kind_display(), origin=flag.get_origin_display().lower(),
                how=HOW_DERIVED.get(FlagOrigin(flag.origin), ""),
            ),
            code="flag_derived",
        )  # fmt: skip
    with transaction.atomic():
        locked = Flag.objects.select_for_update().get(pk=flag.pk)
        if locked.lifted_at is not None:
            raise Conflict("This flag was already lifted.", code="flag_lifted")
        return _flag_close(
            actor=actor, flag=locked, booking=booking, reason=reason.strip(), at=clock.now()
        )


def flag_derive(
    *,
    actor: User | None,
    booking: Booking,
    kind: str,
    detail: str,
    reason: str,
    origin: str,
    until: dt.datetime | None = None,
) -> Flag:
    """Set a flag on behalf of another record (a medical care alert), inside its transaction.

    The caller has checked its own permission and locked the booking; the flag
    is lifted by ``flag_derived_lift`` when that record ends, never by hand.
    """
    return _flag_create(
        actor=actor, booking=booking, kind=kind, reason=reason, detail=detail, until=until,
        origin=origin,
    )  # fmt: skip


def flag_derived_lift(*, actor: User | None, flag: Flag, reason: str) -> Flag:
    """Lift a derived flag when the record that set it ends; already lifted is left as it is."""
    if flag.origin == FlagOrigin.STAFF:
        # Staff flags are lifted with flag_lift, which checks the lifter's role.
        raise Conflict("This flag was set by staff: lift it by hand.", code="flag_not_derived")
    with transaction.atomic():
        locked = (
            Flag.objects.select_for_update().select_related("booking__facility").get(pk=flag.pk)
        )
        if locked.lifted_at is not None:
            return locked
        return _flag_close(
            actor=actor, flag=locked, booking=locked.booking, reason=reason, at=clock.now()
        )


# --- Juveniles -------------------------------------------------------------------------


def eighteenth_birthday(date_of_birth: dt.date) -> dt.date:
    """The day a person turns 18; someone born on 29 February turns 18 on 1 March."""
    try:
        return date_of_birth.replace(year=date_of_birth.year + 18)
    except ValueError:
        return dt.date(date_of_birth.year + 18, 3, 1)


def adulthood_at(date_of_birth: dt.date, facility: Facility) -> dt.datetime:
    """Midnight of the 18th birthday in the facility's time zone."""
    birthday = eighteenth_birthday(date_of_birth)
    return dt.datetime.combine(birthday, dt.time(), tzinfo=ZoneInfo(facility.timezone))


def juvenile_flag_derive(*, actor: User | None, booking: Booking) -> Flag | None:
    """Give an open booking of a person under 18 the juvenile flag, until their 18th birthday."""
    dob = booking.person.date_of_birth
    if dob is None or booking.status not in OPEN_STATUSES:
        return None
    until = adulthood_at(dob, booking.facility)
    if until <= clock.now():
        return None
    exists = Flag.objects.filter(
        booking=booking, kind=FlagKind.JUVENILE, lifted_at__isnull=True
    ).exists()
    if exists:
        return None
    return _flag_create(
        actor=actor, booking=booking, kind=FlagKind.JUVENILE, reason=UNDER_18.format(dob=dob),
        until=until, origin=FlagOrigin.DATE_OF_BIRTH,
    )  # fmt: skip


@dataclass
class SweepResult:
    juveniles_lifted: int = 0
    juveniles_flagged: int = 0
    flags_expired: int = 0
    alerts_rechecked: int = 0


def classification_sweep() -> SweepResult:
    """The periodic pass (``cellblock classification sweep``): what time alone changes.

    Lifts juvenile flags on the 18th birthday and records flags that ran past
    their ``until`` as expired, each with an audit event by the system; gives
    the juvenile flag to anyone under 18 who lacks it (a corrected date of
    birth, an import); and rechecks every open housing alert, which clears
    those whose order or flag has expired, and the placements of keep-separate
    orders recorded to start later, which raises their alerts once they start.
    """
    result = SweepResult()
    now = clock.now()
    with transaction.atomic():
        ended = (
            Flag.objects.select_for_update()
            .filter(lifted_at__isnull=True, until__lte=now)
            .select_related("booking__facility")
        )
        for flag in ended:
            until = flag.until or now
            if flag.kind == FlagKind.JUVENILE and flag.origin == FlagOrigin.DATE_OF_BIRTH:
                local = until.astimezone(ZoneInfo(flag.booking.facility.timezone)).date()
                reason = TURNED_18.format(date=local.isoformat())
                result.juveniles_lifted += 1
            else:
                reason = "Expired."
                result.flags_expired += 1
            _flag_close(actor=None, flag=flag, booking=flag.booking, reason=reason, at=until)
        # A wide net (born within 19 years); juvenile_flag_derive decides exactly.
        recent = dt.date(now.year - 19, 1, 1)
        # Exists, not exclude(): exclude() over flags would match the two conditions on
        # different flags (any lifted juvenile flag and any other open flag).
        open_juvenile = Flag.objects.filter(
            booking=OuterRef("pk"), kind=FlagKind.JUVENILE, lifted_at__isnull=True
        )
        candidates = (
            Booking.objects.filter(status__in=OPEN_STATUSES, person__date_of_birth__gt=recent)
            .filter(~Exists(open_juvenile))
            .select_related("facility", "person")
        )
        for booking in candidates:
            if juvenile_flag_derive(actor=None, booking=booking) is not None:
                result.juveniles_flagged += 1
        # Open alerts (an order may have expired) and the people of orders that were
        # recorded to start later and have started since: nothing else checks them then.
        # Only those begun within SWEEP_LOOKBACK: the sweep runs every few minutes, and an
        # order checked when it began needs no recheck on every later run.
        begun = SeparationOrder.objects.filter(
            orders_in_force_q(now),
            starts_at__gt=F("recorded_at"),
            starts_at__gte=now - SWEEP_LOOKBACK,
        )
        begun_people = {
            person_id
            for order in begun
            for person_id in (order.person_id, order.other_person_id)
            if person_id is not None
        } | set(
            GroupMembership.objects.filter(
                ended_at__isnull=True, group__in=begun.values("group_id")
            ).values_list("person_id", flat=True)
        )
        open_alert = HousingReview.objects.filter(booking=OuterRef("pk"), resolved_at__isnull=True)
        alerted = list(
            Booking.objects.filter(
                Exists(open_alert) | Q(person_id__in=begun_people, status__in=OPEN_STATUSES)
            ).select_related("facility", "person")
        )
        if alerted:
            housing_recheck(actor=None, bookings=alerted, cause="periodic check")
        result.alerts_rechecked = len(alerted)
    return result


def on_date_of_birth_corrected(*, actor: User | None, booking: Booking) -> None:
    """A corrected date of birth sets, moves or lifts the juvenile flag."""
    now = clock.now()
    dob = booking.person.date_of_birth
    until = adulthood_at(dob, booking.facility) if dob is not None else None
    minor = until is not None and until > now
    current = (
        Flag.objects.select_for_update()
        .filter(booking=booking, kind=FlagKind.JUVENILE, lifted_at__isnull=True)
        .first()
    )
    # Known now: a flag set by hand while it was unknown gives way to the derived one.
    stale = current is not None and (
        not minor or current.origin != FlagOrigin.DATE_OF_BIRTH or current.until != until
    )
    if current is not None and stale:
        _flag_close(
            actor=actor, flag=current, booking=booking,
            reason=DOB_CORRECTED.format(dob=dob or "unknown"), at=now,
        )  # fmt: skip
    if minor:
        juvenile_flag_derive(actor=actor, booking=booking)


def on_booking_opened(*, actor: User | None, booking: Booking) -> None:
    juvenile_flag_derive(actor=actor, booking=booking)


# --- The instrument and assessments ----------------------------------------------------


def _validation_from(
    error: scoring.InstrumentError | prea.ScreeningError, prefix: str = ""
) -> ValidationFailed:
    return ValidationFailed.for_fields({f"{prefix}{k}": v for k, v in error.errors.items()})


def instrument_publish(
    *, actor: User | None, definition: Mapping[str, object], note: str = ""
) -> Instrument:
    """Publish a new version of an instrument (an installation act: the CLI calls it)."""
    try:
        parsed = scoring.parse_instrument(definition)
    except scoring.InstrumentError as error:
        raise _validation_from(error, "definition.") from None
    with transaction.atomic():
        latest = (
            Instrument.objects.select_for_update()
            .filter(code=parsed.code)
            .order_by("-version")
            .first()
        )
        if latest is not None and parsed.version <= latest.version:
            raise Conflict(
                f"{parsed.code} is at version {latest.version}; a new version must be higher "
                "(a published version is never changed).",
                code="instrument_version_taken",
            )
        instrument = Instrument.objects.create(
            code=parsed.code, version=parsed.version, name=parsed.name, definition=dict(definition),
            published_at=clock.now(), published_by=actor, note=note,
        )  # fmt: skip
        audit_record(
            actor=actor, action="instrument.publish", obj=instrument, reason=note,
            changes={"code": parsed.code, "version": parsed.version,
                     "cut_points": [parsed.minimum_max, parsed.medium_max]},
        )  # fmt: skip
    return instrument


def _instrument_stored(facility: Facility) -> Instrument:
    """The instrument in force, published from the shipped default on first use."""
    instrument = instrument_in_force(policy_of(facility).classification_instrument)
    if instrument.pk is not None:
        return instrument
    existing = Instrument.objects.filter(code=instrument.code, version=instrument.version).first()
    if existing is not None:
        return existing
    try:
        # A savepoint: two first assessments at once both try to publish the default.
        with transaction.atomic():
            return instrument_publish(
                actor=None, definition=instrument.definition,
                note="The default shipped with cellblock.",
            )  # fmt: skip
    except (IntegrityError, Conflict):
        return Instrument.objects.get(code=instrument.code, version=instrument.version)


def _default_reason(booking: Booking) -> str:
    if not Assessment.objects.filter(booking=booking).exists():
        return AssessmentReason.INITIAL
    trigger = (
        ReviewTrigger.objects.filter(booking=booking, satisfied_by__isnull=True)
        .order_by("due_at", "id")
        .first()
    )
    return trigger.reason if trigger else AssessmentReason.SCHEDULED


def assessment_record(
    *,
    actor: User | None,
    booking: Booking,
    answers: Mapping[str, str],
    reason: str = "",
    override_level: str = "",
    override_reason: str = "",
    notes: str = "",
) -> Assessment:
    """Score ``booking`` on the instrument in force; an override waits for approval.

    The scored level is in force at once (custody_level); an override takes
    effect only when a supervisor or commander other than the assessor
    approves it (``assessment_override_decide``).
    """
    _require(actor, Perm.CLASSIFICATION_EDIT, booking.facility_id, "Recording an assessment")
    errors: dict[str, list[str]] = {}
    if reason and reason not in AssessmentReason.values:
        errors["reason"] = [f"must be one of {', '.join(AssessmentReason.values)}."]
    if override_level and override_level not in scoring.LEVELS:
        errors["override_level"] = [f"must be one of {', '.join(scoring.LEVELS)}."]
    if override_level and not override_reason.strip():
        errors["override_reason"] = ["an override up or down needs a reason."]
    if override_reason.strip() and not override_level:
        errors["override_level"] = ["name the level the override asks for."]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = _lock_open(booking)
        instrument = _instrument_stored(locked.facility)
        try:
            result = scoring.score(scoring.parse_instrument(instrument.definition), answers)
        except scoring.InstrumentError as error:
            raise _validation_from(error) from None
        if override_level == result.level:
            raise ValidationFailed.for_fields(
                {"override_level": [f"is the scored level ({result.level}): no override needed."]}
            )
        now = clock.now()
        policy = policy_of(locked.facility)
        # An override nobody decided on is overtaken by the new scoring.
        superseded = [
            str(public_id)
            for public_id in Assessment.objects.filter(
                booking=locked, status=AssessmentStatus.OVERRIDE_PENDING
            ).values_list("public_id", flat=True)
        ]
        if superseded:
            Assessment.objects.filter(
                booking=locked, status=AssessmentStatus.OVERRIDE_PENDING
            ).update(status=AssessmentStatus.SUPERSEDED)
        assessment = Assessment.objects.create(
            booking=locked, instrument=instrument, reason=reason or _default_reason(locked),
            answers=dict(answers), item_points=result.item_points, total=result.total,
            scored_level=result.level, special_reasons=list(result.special_reasons),
            assessed_at=now, assessed_by=actor, notes=notes.strip(),
            override_level=override_level, override_reason=override_reason.strip(),
            status=AssessmentStatus.OVERRIDE_PENDING if override_level else AssessmentStatus.SCORED,
            review_due_at=now + dt.timedelta(days=policy.classification_review_days),
        )  # fmt: skip
        ReviewTrigger.objects.filter(booking=locked, satisfied_by__isnull=True).update(
            satisfied_by=assessment
        )
        previous = locked.custody_level
        locked.custody_level = result.level
        locked.save(update_fields=["custody_level"])
        audit_record(
            actor=actor, action="classification.assess", obj=assessment, facility=locked.facility,
            reason=override_reason.strip(),
            changes={"booking": locked.booking_number,
                     "instrument": f"{instrument.code} v{instrument.version}",
                     "total": result.total, "scored_level": result.level,
                     "custody_level": [previous or None, result.level],
                     "override_requested": override_level or None,
                     "superseded": superseded or None},
        )  # fmt: skip
        intake_step_complete(
            actor=actor, booking=locked, step=IntakeStepCode.CLASSIFICATION,
            note=f"scored {result.level} ({result.total})",
        )  # fmt: skip
    return assessment


def assessment_override_decide(
    *, actor: User | None, assessment: Assessment, approve: bool, note: str = ""
) -> Assessment:
    """A supervisor or commander, not the assessor, approves or refuses an override."""
    booking = assessment.booking
    _require(actor, Perm.CLASSIFICATION_APPROVE, booking.facility_id, "Deciding an override")
    if not approve and not note.strip():
        raise ValidationFailed.for_fields({"note": ["say why the override is refused."]})
    target = AssessmentStatus.OVERRIDE_APPROVED if approve else AssessmentStatus.OVERRIDE_REFUSED
    with transaction.atomic():
        locked_booking = _lock_open(booking)
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.status == AssessmentStatus.SUPERSEDED:
            raise Conflict(SUPERSEDED.format(booking=locked_booking), code="assessment_superseded")
        if target not in ASSESSMENT_TRANSITIONS[locked.status]:
            raise Conflict(
                NOT_PENDING.format(status=locked.get_status_display().lower()),
                code="override_not_pending",
            )
        if actor is not None and locked.assessed_by_id == actor.pk:
            raise Conflict(
                NO_SECOND_PERSON.format(user=actor.get_username()),
                code="override_needs_second_person",
            )
        newest = (
            Assessment.objects.filter(booking=locked_booking)
            .order_by("-assessed_at", "-id")
            .first()
        )
        if newest is not None and newest.pk != locked.pk:
            raise Conflict(SUPERSEDED.format(booking=locked_booking), code="assessment_superseded")
        locked.status = target
        locked.decided_at = clock.now()
        locked.decided_by = actor
        locked.decision_note = note.strip()
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        previous = locked_booking.custody_level
        if approve:
            locked_booking.custody_level = locked.override_level
            locked_booking.save(update_fields=["custody_level"])
        decision = "approve" if approve else "refuse"
        audit_record(
            actor=actor,
            action=f"classification.override_{decision}",
            obj=locked, facility=locked_booking.facility, reason=note.strip(),
            changes={"booking": locked_booking.booking_number, "scored_level": locked.scored_level,
                     "override_level": locked.override_level,
                     "custody_level": [previous or None, locked_booking.custody_level]},
        )  # fmt: skip
    return locked


def review_trigger_raise(
    *, actor: User | None, booking: Booking, reason: str, detail: str
) -> ReviewTrigger | None:
    """Make a reassessment due after an event; nothing before the initial assessment."""
    if reason not in AssessmentReason.values or reason == AssessmentReason.INITIAL:
        raise ValidationFailed.for_fields(
            {"reason": ["must be an event that calls for reassessment."]}
        )
    with transaction.atomic():
        if not Assessment.objects.filter(booking=booking).exists():
            return None
        now = clock.now()
        policy = policy_of(booking.facility)
        trigger = ReviewTrigger.objects.create(
            booking=booking, reason=reason, detail=detail[:300], raised_at=now, raised_by=actor,
            due_at=now + dt.timedelta(hours=policy.classification_initial_hours),
        )  # fmt: skip
        audit_record(
            actor=actor, action="classification.review_due", obj=booking, facility=booking.facility,
            changes={"reason": reason, "detail": detail, "due_at": trigger.due_at},
        )  # fmt: skip
    return trigger


# --- PREA screening ------------------------------------------------------------------


def _prea_kind(booking: Booking) -> str:
    kinds = set(PreaScreening.objects.filter(booking=booking).values_list("kind", flat=True))
    if PreaKind.INITIAL not in kinds:
        return PreaKind.INITIAL
    if PreaKind.REASSESSMENT not in kinds:
        return PreaKind.REASSESSMENT
    return PreaKind.REFERRAL


def _prea_flag_sync(
    *, actor: User | None, booking: Booking, kind: str, at_risk: bool, why: str
) -> None:
    current = Flag.objects.filter(booking=booking, kind=kind, lifted_at__isnull=True).first()
    if at_risk and current is None:
        _flag_create(
            actor=actor, booking=booking, kind=kind, reason=why, origin=FlagOrigin.PREA_SCREENING
        )
    elif not at_risk and current is not None:
        _flag_close(actor=actor, flag=current, booking=booking, reason=why, at=clock.now())


def prea_screening_record(
    *,
    actor: User | None,
    booking: Booking,
    answers: Mapping[str, object],
    kind: str = "",
    notes: str = "",
) -> PreaScreening:
    """Record a PREA screening; it sets or lifts the victim-risk and abuser-risk flags."""
    _require(actor, Perm.PREA_SCREEN, booking.facility_id, "Recording a PREA screening")
    if kind and kind not in PreaKind.values:
        raise ValidationFailed.for_fields(
            {"kind": [f"must be one of {', '.join(PreaKind.values)}."]}
        )
    try:
        result = prea.screen(answers)
    except prea.ScreeningError as error:
        raise _validation_from(error) from None
    with transaction.atomic():
        locked = _lock_open(booking)
        first = not PreaScreening.objects.filter(booking=locked).exists()
        if first and kind and kind != PreaKind.INITIAL:
            # The initial screening is what the intake step and the 30-day clock wait for.
            raise ValidationFailed.for_fields({"kind": [FIRST_IS_INITIAL]})
        if not first and kind == PreaKind.INITIAL:
            raise ValidationFailed.for_fields({"kind": [INITIAL_DONE]})
        kind = kind or _prea_kind(locked)
        screening = PreaScreening.objects.create(
            booking=locked, kind=kind, answers=dict(answers), victim_score=result.victim_score,
            abuser_score=result.abuser_score, victim_risk=result.victim_risk,
            abuser_risk=result.abuser_risk, screened_at=clock.now(), screened_by=actor,
            notes=notes.strip(),
        )  # fmt: skip
        # The answers stay out of the audit log: only the outcome is recorded.
        audit_record(
            actor=actor, action="prea.screen", obj=screening, facility=locked.facility,
            changes={"booking": locked.booking_number, "kind": kind,
                     "victim_risk": result.victim_risk, "abuser_risk": result.abuser_risk},
        )  # fmt: skip
        why = f"PREA screening ({PreaKind(kind).label}) of {screening.screened_at.date()}."
        _prea_flag_sync(actor=actor, booking=locked, kind=FlagKind.PREA_VICTIM,
                        at_risk=result.victim_risk, why=why)  # fmt: skip
        _prea_flag_sync(actor=actor, booking=locked, kind=FlagKind.PREA_ABUSER,
                        at_risk=result.abuser_risk, why=why)  # fmt: skip
        if kind == PreaKind.INITIAL:
            intake_step_complete(actor=actor, booking=locked, step=IntakeStepCode.PREA_SCREENING)
    return screening


def prea_screenings_read(*, actor: User, booking: Booking) -> list[PreaScreening]:
    """The screenings with their answers, for those allowed; the read itself is audited."""
    _require(actor, Perm.PREA_READ, booking.facility_id, "Reading PREA screening answers")
    screenings = list(PreaScreening.objects.filter(booking=booking).select_related("screened_by"))
    audit_record_read(
        actor=actor, obj=booking, facility=booking.facility, what="prea_screening",
        label=f"PREA screenings of {booking.booking_number}",
    )  # fmt: skip
    return screenings


# --- Security groups -------------------------------------------------------------------


def security_group_create(
    *,
    actor: User | None,
    facility: Facility,
    code: str,
    name: str,
    kind: str,
    description: str = "",
) -> SecurityGroup:
    _require(actor, Perm.CLASSIFICATION_EDIT, facility.pk, "Recording a security group")
    errors: dict[str, list[str]] = {}
    code, name = _text(code).lower(), _text(name)
    if not code:
        errors["code"] = ["is required."]
    else:
        try:
            tag_validator(code)
        except DjangoValidationError as error:
            errors["code"] = [str(m) for m in error.messages]
    if not name:
        errors["name"] = ["is required."]
    if kind not in GroupKind.values:
        errors["kind"] = [f"must be one of {', '.join(GroupKind.values)}."]
    if errors:
        raise ValidationFailed.for_fields(errors)
    exists = Conflict(f"The agency already has a group '{code}'.", code="group_exists")
    with transaction.atomic():
        if SecurityGroup.objects.filter(agency_id=facility.agency_id, code=code).exists():
            raise exists
        try:
            with transaction.atomic():
                group = SecurityGroup.objects.create(
                    agency_id=facility.agency_id, code=code, name=name, kind=kind,
                    description=description.strip(), created_at=clock.now(),
                )  # fmt: skip
        except IntegrityError:
            raise exists from None
        audit_record(
            actor=actor, action="group.create", obj=group, facility=facility,
            changes={"code": code, "name": name, "kind": kind},
        )  # fmt: skip
    return group


def group_member_add(
    *, actor: User | None, facility: Facility, group: SecurityGroup, person: Person, basis: str
) -> GroupMembership:
    _require(actor, Perm.CLASSIFICATION_EDIT, facility.pk, "Recording a group membership")
    if not basis.strip():
        raise ValidationFailed.for_fields({"basis": ["say how the membership is known."]})
    exists = Conflict(f"{person} is already recorded in {group}.", code="member_exists")
    with transaction.atomic():
        _lock_people(person)
        if GroupMembership.objects.filter(
            group=group, person=person, ended_at__isnull=True
        ).exists():
            raise exists
        try:
            with transaction.atomic():
                membership = GroupMembership.objects.create(
                    group=group, person=person, basis=basis.strip(), started_at=clock.now(),
                    recorded_by=actor,
                )  # fmt: skip
        except IntegrityError:
            raise exists from None
        audit_record(
            actor=actor, action="group.member_add", obj=membership, facility=facility,
            object_label=f"{person} in {group}", changes={"group": group.code, "basis": basis},
        )  # fmt: skip
        housing_recheck(
            actor=actor, bookings=_open_bookings_of([person.pk]), cause=f"member of {group.name}"
        )
    return membership


def group_member_end(
    *, actor: User | None, facility: Facility, membership: GroupMembership, reason: str
) -> GroupMembership:
    _require(actor, Perm.CLASSIFICATION_EDIT, facility.pk, "Ending a group membership")
    if not reason.strip():
        raise ValidationFailed.for_fields({"reason": ["say why the membership ends."]})
    with transaction.atomic():
        locked = (
            GroupMembership.objects.select_for_update()
            .select_related("group", "person")
            .get(pk=membership.pk)
        )
        if locked.ended_at is not None:
            raise Conflict("This membership already ended.", code="already_ended")
        locked.ended_at, locked.ended_by, locked.end_reason = clock.now(), actor, reason.strip()
        locked.save(update_fields=["ended_at", "ended_by", "end_reason"])
        audit_record(
            actor=actor, action="group.member_end", obj=locked, facility=facility, reason=reason,
            object_label=f"{locked.person} in {locked.group}",
        )  # fmt: skip
        housing_recheck(
            actor=actor, bookings=_open_bookings_of([locked.person_id]),
            cause=f"no longer in {locked.group.name}",
        )  # fmt: skip
    return locked


# --- Orders -----------------------------------------------------------------------------


def _order_end(
    *, actor: User | None, order: SeparationOrder | ProtectiveOrder | StaffConflict, reason: str,
    facility: Facility, action: str,
) -> None:  # fmt: skip
    if not reason.strip():
        raise ValidationFailed.for_fields({"reason": ["say why it ends."]})
    if order.ended_at is not None:
        raise Conflict("This order has already ended.", code="already_ended")
    order.ended_at, order.ended_by, order.end_reason = clock.now(), actor, reason.strip()
    order.save(update_fields=["ended_at", "ended_by", "end_reason"])
    audit_record(actor=actor, action=action, obj=order, facility=facility, reason=reason.strip())


def _bookings_bound_by(order: SeparationOrder) -> list[Booking]:
    people = {order.person_id}
    if order.other_person_id:
        people.add(order.other_person_id)
    if order.group_id:
        people |= set(
            GroupMembership.objects.filter(
                group_id=order.group_id, ended_at__isnull=True
            ).values_list("person_id", flat=True)
        )
    return _open_bookings_of(people)


def _close_expired(
    orders: QuerySet[SeparationOrder] | QuerySet[StaffConflict], *, facility: Facility, action: str
) -> None:
    for order in orders.select_for_update().filter(expires_at__isnull=False):
        order.ended_at, order.end_reason = order.expires_at, "expired"
        order.save(update_fields=["ended_at", "end_reason"])
        audit_record(
            actor=None, action=action, obj=order, facility=facility, reason="expired",
            changes={"ended_at": order.ended_at},
        )  # fmt: skip


def _open_separations(
    person_id: int, other_person_id: int | None, group_id: int | None
) -> QuerySet[SeparationOrder]:
    """Orders of the pair (``person_id`` the lower id) or of person and group, not ended."""
    return SeparationOrder.objects.filter(
        person_id=person_id, other_person_id=other_person_id, group_id=group_id,
        ended_at__isnull=True,
    )  # fmt: skip


def separation_order_create(
    *,
    actor: User | None,
    facility: Facility,
    person: Person,
    scope: str,
    reason: str,
    other_person: Person | None = None,
    group: SecurityGroup | None = None,
    starts_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    authorised_by: User | None = None,
    source: str = SeparationSource.STAFF,
) -> SeparationOrder:
    """Keep two people, or a person and a group, apart at ``scope`` (recorded agency-wide)."""
    _require(actor, Perm.CLASSIFICATION_EDIT, facility.pk, "Recording a keep-separate order")
    now = clock.now()
    starts_at = starts_at or now
    errors: dict[str, list[str]] = {}
    if (other_person is None) == (group is None):
        errors["other_person"] = ["name either another person or a group, not both."]
    elif other_person is not None and other_person.pk == person.pk:
        errors["other_person"] = ["must be someone other than the person."]
    elif group is not None and group.agency_id != facility.agency_id:
        errors["group"] = ["is not a group of this agency."]
    if scope not in SeparationScope.values:
        errors["scope"] = [f"must be one of {', '.join(SeparationScope.values)}."]
    if source not in SeparationSource.values:
        errors["source"] = [f"must be one of {', '.join(SeparationSource.values)}."]
    if not reason.strip():
        errors["reason"] = ["say why they must be kept apart."]
    if authorised_by is not None and not (
        {Perm.CLASSIFICATION_EDIT, Perm.CLASSIFICATION_APPROVE}
        & authorised_by.perms_at(facility.pk)
    ):
        errors["authorised_by"] = [NOT_AN_AUTHORISER.format(user=authorised_by.get_username())]
    _check_window(errors, starts_at, expires_at)
    if errors:
        raise ValidationFailed.for_fields(errors)
    authoriser = authorised_by or actor
    first, second = person, other_person
    if second is not None and second.pk < first.pk:
        first, second = second, first
    group_id = group.pk if group is not None else None

    def clash_error(clash: SeparationOrder) -> Conflict:
        return Conflict(
            SEPARATION_EXISTS.format(person=person, other=other_person or group,
                                     scope=clash.get_scope_display().lower()),
            code="separation_exists", extra={"order_id": str(clash.public_id)},
        )  # fmt: skip

    with transaction.atomic():
        # Two clerks recording the same pair queue up here; the second then sees the first.
        _lock_people(first, second)
        open_orders = _open_separations(first.pk, second.pk if second else None, group_id)
        clash = open_orders.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).first()
        if clash is not None:
            raise clash_error(clash)
        # An expired order still open in the table steps aside for the new one, closed when
        # it expired (as a flag past its ``until`` is), by the system.
        _close_expired(open_orders, facility=facility, action="separation.end")
        try:
            with transaction.atomic():
                order = SeparationOrder.objects.create(
                    agency_id=facility.agency_id, person=first, other_person=second,
                    group=group, scope=scope, source=source, reason=reason.strip(),
                    starts_at=starts_at, expires_at=expires_at, recorded_at=now,
                    recorded_by=actor, authorised_by=authoriser,
                )  # fmt: skip
        except IntegrityError:
            # The named constraints (pair or group once while open) are the last line: a
            # writer that slipped past the lock still gets the 409, not a server error.
            clash = _open_separations(first.pk, second.pk if second else None, group_id).first()
            if clash is None:
                raise
            raise clash_error(clash) from None
        audit_record(
            actor=actor, action="separation.create", obj=order, facility=facility,
            reason=reason.strip(),
            changes={"person": str(person.public_id),
                     "other_person": str(other_person.public_id) if other_person else None,
                     "group": group.code if group else None, "scope": scope, "source": source,
                     "starts_at": starts_at, "expires_at": expires_at,
                     "authorised_by": authoriser.get_username() if authoriser else None},
        )  # fmt: skip
        housing_recheck(
            actor=actor, bookings=_bookings_bound_by(order), cause="keep-separate order recorded"
        )
    return order


def separation_order_end(
    *, actor: User | None, facility: Facility, order: SeparationOrder, reason: str
) -> SeparationOrder:
    _require(actor, Perm.CLASSIFICATION_EDIT, facility.pk, "Ending a keep-separate order")
    with transaction.atomic():
        locked = SeparationOrder.objects.select_for_update().get(pk=order.pk)
        _order_end(
            actor=actor, order=locked, reason=reason, facility=facility, action="separation.end"
        )
        housing_recheck(
            actor=actor, bookings=_bookings_bound_by(locked), cause="keep-separate order ended"
        )
    return locked


def on_charge_added(*, actor: User | None, booking: Booking, charge: Charge) -> None:
    """Co-defendants get a keep-separate order; a new charge after classification, a review."""
    review_trigger_raise(
        actor=actor, booking=booking, reason=AssessmentReason.NEW_CHARGE,
        detail=f"{charge.statute} {charge.description}",
    )  # fmt: skip
    case = charge.case_number.strip()
    scope = policy_of(booking.facility).co_defendant_separation_scope
    if not case or not scope:
        return
    others = (
        Booking.objects.filter(
            status__in=OPEN_STATUSES, facility__agency_id=booking.facility.agency_id,
            charges__case_number__iexact=case,
        )
        .exclude(person_id=booking.person_id)
        .select_related("person")
        .distinct()
    )  # fmt: skip
    now = clock.now()
    for other in others:
        pair = sorted([booking.person_id, other.person_id])
        # An order in force or upcoming stands (the create below would refuse it, and the
        # charge with it); an expired one steps aside for the new order.
        if (
            _open_separations(pair[0], pair[1], None)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .exists()
        ):
            continue
        separation_order_create(
            actor=None, facility=booking.facility, person=booking.person,
            other_person=other.person, scope=scope, reason=CO_DEFENDANT_REASON.format(case=case),
            source=SeparationSource.CO_DEFENDANT,
        )  # fmt: skip


def protective_order_create(
    *,
    actor: User | None,
    facility: Facility,
    person: Person,
    protected_person: Person,
    protected_role: str,
    source: str,
    scope: str,
    issued_by: str,
    reference: str = "",
    reason: str = "",
    starts_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
) -> ProtectiveOrder:
    """No contact between a person in custody and a person outside (victim, witness ...)."""
    _require(actor, Perm.ORDERS_EDIT, facility.pk, "Recording a protective order")
    now = clock.now()
    starts_at = starts_at or now
    errors: dict[str, list[str]] = {}
    if protected_person.pk == person.pk:
        errors["protected_person"] = ["must be someone other than the person in custody."]
    for name, value, allowed in (
        ("protected_role", protected_role, ProtectedRole.values),
        ("source", source, ProtectiveSource.values),
        ("scope", scope, ContactScope.values),
    ):
        if value not in allowed:
            errors[name] = [f"must be one of {', '.join(allowed)}."]
    if not issued_by.strip():
        errors["issued_by"] = ["name the court or official who issued it."]
    if source == ProtectiveSource.COURT_ORDER and not reference.strip():
        errors["reference"] = ["a court order needs its reference (docket or order number)."]
    if "protected_person" not in errors and (
        Booking.objects.filter(person=protected_person, status__in=OPEN_STATUSES).exists()
    ):
        errors["protected_person"] = [PROTECTED_IN_CUSTODY]
    _check_window(errors, starts_at, expires_at)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        _lock_people(person, protected_person)
        same = (
            ProtectiveOrder.objects.filter(
                person=person, protected_person=protected_person, ended_at__isnull=True
            )
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .first()
        )
        if same is not None:
            raise Conflict(
                PROTECTIVE_EXISTS.format(person=person, other=protected_person),
                code="protective_order_exists", extra={"order_id": str(same.public_id)},
            )  # fmt: skip
        order = ProtectiveOrder.objects.create(
            agency_id=facility.agency_id, person=person, protected_person=protected_person,
            protected_role=protected_role, source=source, scope=scope, issued_by=issued_by.strip(),
            reference=reference.strip(), reason=reason.strip(), starts_at=starts_at,
            expires_at=expires_at, recorded_at=now, recorded_by=actor,
        )  # fmt: skip
        audit_record(
            actor=actor, action="protective_order.create", obj=order, facility=facility,
            reason=reason.strip(),
            changes={"person": str(person.public_id),
                     "protected_person": str(protected_person.public_id),
                     "protected_role": protected_role, "source": source, "scope": scope,
                     "issued_by": issued_by.strip(), "reference": reference.strip() or None,
                     "starts_at": starts_at, "expires_at": expires_at},
        )  # fmt: skip
    return order


def protective_order_end(
    *, actor: User | None, facility: Facility, order: ProtectiveOrder, reason: str
) -> ProtectiveOrder:
    _require(actor, Perm.ORDERS_EDIT, facility.pk, "Ending a protective order")
    with transaction.atomic():
        locked = ProtectiveOrder.objects.select_for_update().get(pk=order.pk)
        _order_end(
            actor=actor,
            order=locked,
            reason=reason,
            facility=facility,
            action="protective_order.end",
        )
    return locked


def staff_conflict_create(
    *,
    actor: User | None,
    facility: Facility,
    person: Person,
    staff: User,
    kind: str,
    reason: str,
    starts_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
) -> StaffConflict:
    """Link a person in custody to a staff member who is their alleged victim (or kin ...)."""
    _require(actor, Perm.CLASSIFICATION_EDIT, facility.pk, "Recording a staff conflict")
    now = clock.now()
    starts_at = starts_at or now
    errors: dict[str, list[str]] = {}
    if kind not in ConflictKind.values:
        errors["kind"] = [f"must be one of {', '.join(ConflictKind.values)}."]
    if not reason.strip():
        errors["reason"] = ["say what the conflict is."]
    _check_window(errors, starts_at, expires_at)
    if errors:
        raise ValidationFailed.for_fields(errors)
    exists = Conflict(
        CONFLICT_EXISTS.format(person=person, staff=staff.get_username()), code="conflict_exists"
    )
    with transaction.atomic():
        _lock_people(person)
        open_conflicts = StaffConflict.objects.filter(
            person=person, staff=staff, kind=kind, ended_at__isnull=True
        )
        if open_conflicts.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).exists():
            raise exists
        # An expired one steps aside, closed when it expired.
        _close_expired(open_conflicts, facility=facility, action="staff_conflict.end")
        try:
            with transaction.atomic():
                conflict = StaffConflict.objects.create(
                    agency_id=facility.agency_id, person=person, staff=staff, kind=kind,
                    reason=reason.strip(), starts_at=starts_at, expires_at=expires_at,
                    recorded_at=now, recorded_by=actor,
                )  # fmt: skip
        except IntegrityError:
            raise exists from None
        audit_record(
            actor=actor, action="staff_conflict.create", obj=conflict, facility=facility,
            reason=reason.strip(),
            changes={"person": str(person.public_id), "staff": staff.get_username(), "kind": kind,
                     "starts_at": starts_at, "expires_at": expires_at},
        )  # fmt: skip
    return conflict


def staff_conflict_end(
    *, actor: User | None, facility: Facility, conflict: StaffConflict, reason: str
) -> StaffConflict:
    _require(actor, Perm.CLASSIFICATION_EDIT, facility.pk, "Ending a staff conflict")
    with transaction.atomic():
        locked = StaffConflict.objects.select_for_update().get(pk=conflict.pk)
        _order_end(
            actor=actor, order=locked, reason=reason, facility=facility, action="staff_conflict.end"
        )
    return locked
