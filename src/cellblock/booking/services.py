"""Writes on bookings: intake, details, charges, the checklist, property, lifecycle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record, model_changes
from cellblock.booking import hooks
from cellblock.booking.checklist import STEPS
from cellblock.booking.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    Booking,
    BookingSequence,
    BookingSource,
    BookingStatus,
    Charge,
    ChargeSeverity,
    IntakeStep,
    IntakeStepCode,
    LegalStatus,
    PropertyCondition,
    PropertyItem,
    PropertyKind,
    ReleaseType,
)
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.freeze import movement_freeze_check
from cellblock.facilities.models import Facility, FacilityPolicy
from cellblock.people.models import Person

ALREADY_BOOKED = "{person} already has an open booking ({number}) at {facility}."
BAD_TRANSITION = "A booking that is {current} cannot become {target}."
BOOKED_IN_FUTURE = "cannot be in the future."
BOOKED_AT_NAIVE = "needs a time-zone offset, e.g. 2026-11-21T09:30:00+09:00."
BORN_AFTER_BOOKING = "is after the booking time ({booked}): no one is booked before they are born."
NO_CHARGES = "record at least one charge first (a hold for another agency needs none)."
BOOKING_CLOSED = "Booking {number} is {status}: its intake records can no longer change."


def _require(actor: User | None, perm: Perm, facility: Facility) -> None:
    if actor is not None and perm not in actor.perms_at(facility.pk):
        raise PermissionDenied(
            f"Your roles at {facility.name} do not allow this: it needs {perm.value}.",
            code="missing_role",
        )


def _choices_text(values: Sequence[str]) -> str:
    return ", ".join(values)


@dataclass(frozen=True)
class ChargeData:
    statute: str
    description: str
    severity: str
    charge_class: str = ""
    counts: int = 1
    case_number: str = ""


@dataclass(frozen=True)
class BookingDetails:
    """What intake records beside the person: authority, description, emergency contact."""

    committing_authority: str = ""
    authority_reference: str = ""
    height_cm: int | None = None
    weight_kg: int | None = None
    build: str = ""
    eye_colour: str = ""
    hair_colour: str = ""
    distinguishing_marks: str = ""
    emergency_contact_name: str = ""
    emergency_contact_relationship: str = ""
    emergency_contact_phone: str = ""


DETAIL_FIELDS = tuple(BookingDetails.__dataclass_fields__)


def _charge_errors(charge: ChargeData, prefix: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not charge.statute.strip():
        errors[f"{prefix}statute"] = ["is required (the statute or code section)."]
    if not charge.description.strip():
        errors[f"{prefix}description"] = ["is required."]
    if charge.severity not in ChargeSeverity.values:
        errors[f"{prefix}severity"] = [
            f"'{charge.severity}' is not a severity; one of {_choices_text(ChargeSeverity.values)}."
        ]
    if not 1 <= charge.counts <= 999:
        errors[f"{prefix}counts"] = ["must be between 1 and 999."]
    return errors


def _details_errors(details: BookingDetails) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if details.height_cm is not None and not 40 <= details.height_cm <= 260:
        errors["height_cm"] = ["must be between 40 and 260 centimetres."]
    if details.weight_kg is not None and not 2 <= details.weight_kg <= 400:
        errors["weight_kg"] = ["must be between 2 and 400 kilograms."]
    return errors


def _intake_steps_create(booking: Booking, only: set[str] | None = None) -> None:
    policy = FacilityPolicy.objects.filter(facility_id=booking.facility_id).first()
    policy = policy or FacilityPolicy(facility=booking.facility)
    IntakeStep.objects.bulk_create(
        IntakeStep(booking=booking, step=spec.code, due_at=booking.booked_at + spec.allowed(policy))
        for spec in STEPS
        if only is None or spec.code in only
    )


def booking_open(
    *,
    actor: User | None,
    facility: Facility,
    person: Person,
    source: str,
    legal_status: str = LegalStatus.PRETRIAL,
    booked_at: dt.datetime | None = None,
    details: BookingDetails | None = None,
    charges: Sequence[ChargeData] = (),
    external_reference: str = "",
) -> Booking:
    """Open a custody episode with its checklist, and the charges known at intake."""
    _require(actor, Perm.BOOKING_CREATE, facility)
    now = clock.now()
    booked_at = booked_at or now
    details = details or BookingDetails()
    errors: dict[str, list[str]] = {}
    if source not in BookingSource.values:
        errors["source"] = [f"must be one of {_choices_text(BookingSource.values)}."]
    if legal_status not in LegalStatus.values:
        errors["legal_status"] = [f"must be one of {_choices_text(LegalStatus.values)}."]
    if timezone.is_naive(booked_at):
        errors["booked_at"] = [BOOKED_AT_NAIVE]
    elif booked_at > now:
        errors["booked_at"] = [BOOKED_IN_FUTURE]
    elif person.date_of_birth is not None and person.date_of_birth > booked_at.date():
        errors["date_of_birth"] = [BORN_AFTER_BOOKING.format(booked=booked_at.date())]
    errors |= _details_errors(details)
    for n, charge in enumerate(charges):
        errors |= _charge_errors(charge, f"charges[{n}].")
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
        booking = Booking.objects.create(
            # The year on the number is the facility's local year of booking.
            booking_number=_next_booking_number(
                facility, booked_at.astimezone(ZoneInfo(facility.timezone)).year
            ),
            person=person, facility=facility, source=source, legal_status=legal_status,
            booked_at=booked_at, booked_by=actor, external_reference=external_reference,
            **asdict(details),
        )  # fmt: skip
        _intake_steps_create(booking)
        audit_record(
            actor=actor, action="booking.open", obj=booking, facility=facility,
            changes={
                "person": str(person.public_id), "source": source, "legal_status": legal_status,
                "booked_at": booked_at, "external_reference": external_reference or None,
                **{name: value for name, value in asdict(details).items() if value},
            },
        )  # fmt: skip
        for charge in charges:
            _charge_create(actor=actor, booking=booking, data=charge)
        hooks.booking_opened(actor=actor, booking=booking)
    return booking


def _next_booking_number(facility: Facility, year: int) -> str:
    """Facility prefix, year and a sequence: KON-2026-000042.  Gap-free per year."""
    sequence, _ = BookingSequence.objects.select_for_update().get_or_create(
        facility=facility, year=year
    )
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    # Stored in capitals so a lookup by number needs no case folding.
    return f"{facility.code.upper()}-{year}-{sequence.last_number:06d}"


def _lock_open(booking: Booking) -> Booking:
    """The booking, locked for this transaction, refused unless it is still open."""
    locked = Booking.objects.select_for_update().select_related("facility").get(pk=booking.pk)
    _require_open(locked)
    return locked


def _require_open(booking: Booking) -> None:
    if booking.status not in OPEN_STATUSES:
        raise Conflict(
            BOOKING_CLOSED.format(
                number=booking.booking_number, status=booking.get_status_display().lower()
            ),
            code="booking_closed",
        )


DOB_REASON_NEEDED = "say how the correct date of birth is known (a document, a registry)."
DOB_UNCHANGED = "is already the date of birth on record."


def person_date_of_birth_correct(
    *, actor: User | None, booking: Booking, date_of_birth: dt.date | None, reason: str
) -> Booking:
    """Correct the date of birth of the booking's person; what depends on age follows.

    Later apps act on the new date in the same transaction (classification sets,
    moves or lifts the juvenile flag, and housing rechecks the bed).
    """
    _require(actor, Perm.BOOKING_CREATE, booking.facility)
    errors: dict[str, list[str]] = {}
    if not reason.strip():
        errors["reason"] = [DOB_REASON_NEEDED]
    if date_of_birth is not None and date_of_birth > clock.now().date():
        errors["date_of_birth"] = ["cannot be in the future."]
    elif date_of_birth is not None and date_of_birth > booking.booked_at.date():
        errors["date_of_birth"] = [BORN_AFTER_BOOKING.format(booked=booking.booked_at.date())]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = _lock_open(booking)
        person = Person.objects.select_for_update().get(pk=locked.person_id)
        before = person.date_of_birth
        if before == date_of_birth:
            raise ValidationFailed.for_fields({"date_of_birth": [DOB_UNCHANGED]})
        person.date_of_birth = date_of_birth
        person.save(update_fields=["date_of_birth"])
        locked.person = person
        audit_record(
            actor=actor, action="person.date_of_birth_correct", obj=person,
            facility=locked.facility, reason=reason.strip(),
            changes={"date_of_birth": [before, date_of_birth], "booking": locked.booking_number},
        )  # fmt: skip
        hooks.date_of_birth_corrected(actor=actor, booking=locked)
    return locked


def booking_details_update(*, actor: User | None, booking: Booking, **changes: Any) -> Booking:
    """Correct the authority, description or emergency contact of an open booking."""
    _require(actor, Perm.BOOKING_CREATE, booking.facility)
    unknown = sorted(set(changes) - set(DETAIL_FIELDS) - {"legal_status"})
    if unknown:
        raise ValidationFailed.for_fields({name: ["cannot be changed here."] for name in unknown})
    current = {name: getattr(booking, name) for name in (*DETAIL_FIELDS, "legal_status")}
    merged = {**current, **changes}
    legal_status = merged.pop("legal_status")
    errors = _details_errors(BookingDetails(**merged))
    if legal_status not in LegalStatus.values:
        errors["legal_status"] = [f"must be one of {_choices_text(LegalStatus.values)}."]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("facility").get(pk=booking.pk)
        _require_open(locked)
        diff = model_changes(current, {**merged, "legal_status": legal_status})
        if not diff:
            return locked
        for name, (_, new) in diff.items():
            setattr(locked, name, new)
        locked.save(update_fields=list(diff))
        audit_record(
            actor=actor, action="booking.update", obj=locked, facility=locked.facility,
            changes=diff,
        )  # fmt: skip
    return locked


# --- Charges ---------------------------------------------------------------


def _charge_create(*, actor: User | None, booking: Booking, data: ChargeData) -> Charge:
    charge = Charge.objects.create(
        booking=booking, statute=data.statute.strip(), description=data.description.strip(),
        severity=data.severity, charge_class=data.charge_class.strip(), counts=data.counts,
        case_number=data.case_number.strip(), added_at=clock.now(), added_by=actor,
    )  # fmt: skip
    audit_record(
        actor=actor, action="charge.add", obj=charge, facility=booking.facility,
        changes={"booking": booking.booking_number, **asdict(data)},
    )  # fmt: skip
    hooks.charge_added(actor=actor, booking=booking, charge=charge)
    return charge


def charge_add(*, actor: User | None, booking: Booking, data: ChargeData) -> Charge:
    _require(actor, Perm.BOOKING_CREATE, booking.facility)
    errors = _charge_errors(data, "")
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("facility").get(pk=booking.pk)
        _require_open(locked)
        return _charge_create(actor=actor, booking=locked, data=data)


def charge_remove(*, actor: User | None, charge: Charge, reason: str) -> None:
    """Take back a charge entered by mistake at intake (court outcomes are verdicts)."""
    booking = charge.booking
    _require(actor, Perm.BOOKING_CREATE, booking.facility)
    if not reason.strip():
        raise ValidationFailed.for_fields({"reason": ["say why the charge is removed."]})
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("facility").get(pk=booking.pk)
        if locked.status != BookingStatus.INTAKE:
            raise Conflict(
                "Charges can be removed only during intake; after that the court records "
                "their outcome.",
                code="charge_locked",
            )
        audit_record(
            actor=actor, action="charge.remove", obj=charge, facility=locked.facility,
            reason=reason, changes={"booking": locked.booking_number, "statute": charge.statute},
        )  # fmt: skip
        charge.delete()


# --- The intake checklist --------------------------------------------------


def intake_step_complete(
    *,
    actor: User | None,
    booking: Booking,
    step: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> IntakeStep:
    """Mark a checklist step done.  Called by the step's owner inside its own transaction.

    Completing a step twice keeps the first completion: the checklist records
    when the step was first satisfied.  ``at`` is when that was, for a fact
    its owner records afterwards (already checked by the owner); now by default.
    """
    with transaction.atomic():
        row = IntakeStep.objects.select_for_update().filter(booking=booking, step=step).first()
        if row is None:
            # A booking opened before its checklist existed: give it the step now.
            _intake_steps_create(booking, only={step})
            row = IntakeStep.objects.select_for_update().get(booking=booking, step=step)
        if row.completed_at is not None:
            return row
        row.completed_at = at or clock.now()
        row.completed_by = actor
        row.note = note[:500]
        row.save(update_fields=["completed_at", "completed_by", "note"])
        audit_record(
            actor=actor, action="intake.step_complete", obj=booking, facility=booking.facility,
            changes={"step": step, "note": note or None, "due_at": row.due_at,
                     "late": row.completed_at > row.due_at},
        )  # fmt: skip
    return row


def booking_identity_confirm(*, actor: User | None, booking: Booking, method: str) -> IntakeStep:
    """The clerk has established who the person is, and says how (document, prints ...)."""
    _require(actor, Perm.BOOKING_CREATE, booking.facility)
    if not method.strip():
        raise ValidationFailed.for_fields(
            {"method": ["say how identity was established (document, fingerprints, known)."]}
        )
    with transaction.atomic():
        locked = _lock_open(booking)
        return intake_step_complete(
            actor=actor, booking=locked, step=IntakeStepCode.IDENTITY, note=method.strip()
        )


def booking_charges_complete(*, actor: User | None, booking: Booking) -> IntakeStep:
    """Every charge known at intake is recorded."""
    _require(actor, Perm.BOOKING_CREATE, booking.facility)
    with transaction.atomic():
        locked = _lock_open(booking)
        count = Charge.objects.filter(booking=locked).count()
        if count == 0 and locked.legal_status != LegalStatus.HOLD:
            raise ValidationFailed.for_fields({"charges": [NO_CHARGES]})
        return intake_step_complete(
            actor=actor, booking=locked, step=IntakeStepCode.CHARGES,
            note=f"{count} charge{'s' if count != 1 else ''}",
        )  # fmt: skip


# --- Property --------------------------------------------------------------


@dataclass(frozen=True)
class PropertyData:
    kind: str
    description: str
    quantity: int = 1
    condition: str = PropertyCondition.GOOD
    bag_number: str = ""
    cash_amount: Decimal | str | None = None


def _property_errors(data: PropertyData) -> tuple[dict[str, list[str]], Decimal | None]:
    errors: dict[str, list[str]] = {}
    if data.kind not in PropertyKind.values:
        errors["kind"] = [f"must be one of {_choices_text(PropertyKind.values)}."]
    if not data.description.strip():
        errors["description"] = ["is required."]
    if not 1 <= data.quantity <= 9999:
        errors["quantity"] = ["must be between 1 and 9999."]
    if data.condition not in PropertyCondition.values:
        errors["condition"] = [f"must be one of {_choices_text(PropertyCondition.values)}."]
    cash: Decimal | None = None
    if data.cash_amount not in (None, ""):
        try:
            cash = Decimal(str(data.cash_amount)).quantize(Decimal("0.01"))
        except InvalidOperation:
            errors["cash_amount"] = ["must be an amount such as 12.50."]
        else:
            if cash < 0 or cash >= Decimal("100000000"):
                errors["cash_amount"] = ["must be between 0 and 99,999,999.99."]
            elif data.kind == PropertyKind.ISSUED:
                errors["cash_amount"] = ["the facility does not issue cash."]
    return errors, cash


def property_item_add(*, actor: User | None, booking: Booking, data: PropertyData) -> PropertyItem:
    """Record an item taken from the person, or issued to them; signed by ``actor``."""
    _require(actor, Perm.BOOKING_CREATE, booking.facility)
    errors, cash = _property_errors(data)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("facility").get(pk=booking.pk)
        _require_open(locked)
        item = PropertyItem.objects.create(
            booking=locked, kind=data.kind, description=data.description.strip(),
            quantity=data.quantity, condition=data.condition, bag_number=data.bag_number.strip(),
            cash_amount=cash, recorded_at=clock.now(), recorded_by=actor,
        )  # fmt: skip
        audit_record(
            actor=actor, action="property.add", obj=item, facility=locked.facility,
            changes={"booking": locked.booking_number, **asdict(data), "cash_amount": cash},
        )  # fmt: skip
    return item


PROPERTY_EDITABLE = ("description", "quantity", "condition", "bag_number", "cash_amount")


def property_item_update(
    *, actor: User | None, item: PropertyItem, reason: str, **changes: Any
) -> PropertyItem:
    """Correct an item (a miscount, a new bag); old and new values go to the audit trail."""
    booking = item.booking
    _require(actor, Perm.BOOKING_CREATE, booking.facility)
    unknown = sorted(set(changes) - set(PROPERTY_EDITABLE))
    if unknown:
        raise ValidationFailed.for_fields({name: ["cannot be changed."] for name in unknown})
    if not reason.strip():
        raise ValidationFailed.for_fields({"reason": ["say why the record changes."]})
    current = {name: getattr(item, name) for name in PROPERTY_EDITABLE}
    data = PropertyData(kind=item.kind, **{**current, **changes})
    errors, cash = _property_errors(data)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        _lock_open(booking)
        locked = PropertyItem.objects.select_for_update().get(pk=item.pk)
        if locked.returned_at is not None:
            raise Conflict("This item was already returned.", code="property_returned")
        after = {**asdict(data), "cash_amount": cash}
        after.pop("kind")
        diff = model_changes(current, after)
        if not diff:
            return locked
        for name, (_, new) in diff.items():
            setattr(locked, name, new)
        locked.save(update_fields=list(diff))
        audit_record(
            actor=actor, action="property.update", obj=locked, facility=booking.facility,
            changes=diff, reason=reason,
        )  # fmt: skip
    return locked


def property_inventory_sign(*, actor: User | None, booking: Booking) -> IntakeStep:
    """The recording officer signs the intake inventory: the checklist step is done."""
    _require(actor, Perm.BOOKING_CREATE, booking.facility)
    with transaction.atomic():
        locked = _lock_open(booking)
        items = PropertyItem.objects.filter(booking=locked)
        taken = items.filter(kind=PropertyKind.TAKEN).count()
        issued = items.filter(kind=PropertyKind.ISSUED).count()
        return intake_step_complete(
            actor=actor, booking=locked, step=IntakeStepCode.PROPERTY,
            note=f"{taken} taken, {issued} issued",
        )  # fmt: skip


def property_item_return(*, actor: User | None, item: PropertyItem, note: str = "") -> PropertyItem:
    """Hand an item back (to the person at release, or issued kit back to stores)."""
    booking = item.booking
    _require(actor, Perm.BOOKING_RELEASE, booking.facility)
    with transaction.atomic():
        locked = PropertyItem.objects.select_for_update().get(pk=item.pk)
        if locked.returned_at is not None:
            raise Conflict("This item was already returned.", code="property_returned")
        locked.returned_at = clock.now()
        locked.returned_by = actor
        locked.return_note = note.strip()[:300]
        locked.save(update_fields=["returned_at", "returned_by", "return_note"])
        audit_record(
            actor=actor, action="property.return", obj=locked, facility=booking.facility,
            changes={"booking": booking.booking_number, "note": note or None},
        )  # fmt: skip
    return locked


def property_return_all(*, actor: User | None, booking: Booking, note: str = "") -> int:
    """Return everything still held for ``booking``; the number of items returned."""
    _require(actor, Perm.BOOKING_RELEASE, booking.facility)
    with transaction.atomic():
        held = list(PropertyItem.objects.filter(booking=booking, returned_at__isnull=True))
        for item in held:
            item.booking = booking
            property_item_return(actor=actor, item=item, note=note)
    return len(held)


# --- Lifecycle -------------------------------------------------------------


def booking_transition(
    *,
    actor: User | None,
    booking: Booking,
    to: str,
    release_type: str = "",
    reason: str = "",
    emergency_reason: str = "",
) -> Booking:
    """Move a booking along ``ALLOWED_TRANSITIONS``, stamping the milestone.

    A release waits for an open formal count to clear, unless ``emergency_reason``
    says why it cannot.
    """
    perm = Perm.BOOKING_RELEASE if to == BookingStatus.RELEASED else Perm.BOOKING_CREATE
    _require(actor, perm, booking.facility)
    if to == BookingStatus.RELEASED and release_type not in ReleaseType.values:
        raise ValidationFailed.for_fields(
            {"release_type": [f"is required to release; one of {', '.join(ReleaseType.values)}."]}
        )
    with transaction.atomic():
        emergency = (
            movement_freeze_check(
                booking.facility, what="releases", emergency_reason=emergency_reason
            )
            if to == BookingStatus.RELEASED
            else ""
        )
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
            changes={
                "status": [before, to], "release_type": release_type or None,
                **({"emergency": emergency} if emergency else {}),
            },
            reason=reason,
        )  # fmt: skip
        if to == BookingStatus.RELEASED:
            hooks.booking_released(actor=actor, booking=locked)
    return locked
