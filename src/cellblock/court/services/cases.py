"""Cases: a docket against one person, its counts and its parties; and the legal status.

A case belongs to the person, not to a booking (sentences outlive a transfer);
each count may be linked to the booking charge it answers while the person is
held.  ``legal_status_sync`` derives a booking's legal status from the court
records (active sentences, pending counts, open holds) and is called by every
court write that can change one of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking, Charge, ChargeSeverity, LegalStatus
from cellblock.classification.models import ProtectedRole
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.court.models import (
    Case,
    CaseCharge,
    CaseParty,
    CaseStatus,
    Court,
    Hold,
    Sentence,
    SentenceStatus,
    Verdict,
)
from cellblock.facilities.models import Facility
from cellblock.people.models import Person

MISSING_ROLE = "{what} at {facility} needs the {perm} permission, which your roles there lack."
REQUIRED = "is required."
TOO_LONG = "is too long: at most {limit} characters."
NOT_A_CHOICE = "'{value}' is not one of {choices}."
AT_NAIVE = "needs a time-zone offset, e.g. 2026-03-13T10:00:00+09:00."
AT_IN_FUTURE = "is in the future: record what has happened."
COURT_OF_ANOTHER_AGENCY = "is a court of another agency than {facility}."
NO_CHARGES = "a case needs at least one count."
DOCKET_EXISTS = "{court} already has a case under docket {docket}."
CASE_DISPOSED = "Case {docket} is disposed (every count has its verdict): {what}."
PARTY_IS_DEFENDANT = "is the person the case is against, not a party to protect."
PARTY_TWICE = "is named more than once."
PARTY_EXISTS = "{person} is already a party ({role}) to case {docket}."
CHARGE_OF_ANOTHER = "is a charge of another person's booking, not of {person}."
CHARGE_LINKED = "Count {count} of {docket} is already linked to booking charge {charge}."

LEGAL_STATUS_REASON = "Court records: {why}."


def require(actor: User | None, facility: Facility, perms: Sequence[Perm], what: str) -> None:
    """403 ``missing_role`` unless ``actor`` (None: the system) holds one of ``perms`` here."""
    if actor is None:
        return
    held = actor.perms_at(facility.pk)
    if not any(perm in held for perm in perms):
        raise PermissionDenied(
            MISSING_ROLE.format(
                what=what, facility=facility.name, perm=" or ".join(p.value for p in perms)
            ),
            code="missing_role",
        )


def text(
    value: str, field: str, errors: dict[str, list[str]], *, limit: int, required: bool = False
) -> str:
    """A trimmed text; a blank required one or one over ``limit`` is a field error."""
    value = (value or "").strip()
    if required and not value:
        errors.setdefault(field, []).append(REQUIRED)
    elif len(value) > limit:
        errors.setdefault(field, []).append(TOO_LONG.format(limit=limit))
    return value


def choice(value: str, choices: Sequence[str], field: str, errors: dict[str, list[str]]) -> None:
    if value not in choices:
        errors.setdefault(field, []).append(
            NOT_A_CHOICE.format(value=value, choices=", ".join(choices))
        )


def fact_time(at: dt.datetime | None, field: str, errors: dict[str, list[str]]) -> dt.datetime:
    """When something happened: ``at`` or now, never in the future."""
    now = clock.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        errors.setdefault(field, []).append(AT_NAIVE)
        return now
    if at > now:
        errors.setdefault(field, []).append(AT_IN_FUTURE)
    return at


def local_today(facility: Facility, at: dt.datetime | None = None) -> dt.date:
    """The date on the facility's wall clock (sentences are imposed on local dates)."""
    return clock.local(at or clock.now(), facility.timezone).date()


def open_booking(person_id: int) -> Booking | None:
    """The person's booking at intake or in custody (at most one, by constraint)."""
    return (
        Booking.objects.filter(person_id=person_id, status__in=OPEN_STATUSES)
        .select_related("facility", "person")
        .first()
    )


def lock_case(case: Case) -> Case:
    """The case row, locked: verdicts, counts and sentences of one case queue up."""
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("court", "facility", "person")
        .get(pk=case.pk)
    )


@dataclass(frozen=True)
class CaseChargeData:
    """One count as the charging document states it."""

    statute: str
    description: str
    severity: str
    # The booking's charge this count answers, when the person is held on it.
    booking_charge: Charge | None = None


def _charge_errors(
    data: CaseChargeData, person: Person, prefix: str, errors: dict[str, list[str]]
) -> None:
    text(data.statute, f"{prefix}statute", errors, limit=60, required=True)
    text(data.description, f"{prefix}description", errors, limit=300, required=True)
    choice(data.severity, ChargeSeverity.values, f"{prefix}severity", errors)
    charge = data.booking_charge
    if charge is not None and charge.booking.person_id != person.pk:
        errors.setdefault(f"{prefix}booking_charge", []).append(
            CHARGE_OF_ANOTHER.format(person=person.full_name)
        )


def _charge_create(case: Case, count: int, data: CaseChargeData) -> CaseCharge:
    return CaseCharge.objects.create(
        case=case, count_number=count, statute=data.statute.strip(),
        description=data.description.strip(), severity=data.severity,
        booking_charge=data.booking_charge,
    )  # fmt: skip


def _charge_audit(charge: CaseCharge) -> dict[str, object]:
    return {
        "count": charge.count_number, "statute": charge.statute, "severity": charge.severity,
        "booking_charge": str(charge.booking_charge.public_id) if charge.booking_charge else None,
    }  # fmt: skip


def case_open(
    *,
    actor: User | None,
    facility: Facility,
    court: Court,
    docket_number: str,
    person: Person,
    presiding_authority: str,
    presiding_user: User | None = None,
    charges: Sequence[CaseChargeData],
    parties: Sequence[tuple[Person, str]] = (),
    note: str = "",
    filed_at: dt.datetime | None = None,
) -> Case:
    """File a case with its counts and parties (409 ``docket_exists`` per court)."""
    require(actor, facility, [Perm.COURT_RECORD], "Opening a case")
    errors: dict[str, list[str]] = {}
    docket = text(docket_number, "docket_number", errors, limit=60, required=True)
    presiding = text(presiding_authority, "presiding_authority", errors, limit=200, required=True)
    note = text(note, "note", errors, limit=500)
    filed = fact_time(filed_at, "filed_at", errors)
    if court.agency_id != facility.agency_id:
        errors["court"] = [COURT_OF_ANOTHER_AGENCY.format(facility=facility.name)]
    if not charges:
        errors["charges"] = [NO_CHARGES]
    for n, data in enumerate(charges):
        _charge_errors(data, person, f"charges[{n}].", errors)
    seen: set[int] = set()
    for n, (party, role) in enumerate(parties):
        if party.pk == person.pk:
            errors.setdefault(f"parties[{n}].person", []).append(PARTY_IS_DEFENDANT)
        elif party.pk in seen:
            errors.setdefault(f"parties[{n}].person", []).append(PARTY_TWICE)
        seen.add(party.pk)
        choice(role, ProtectedRole.values, f"parties[{n}].role", errors)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        if Case.objects.filter(court=court, docket_number=docket).exists():
            raise _docket_exists(court, docket)
        try:
            # A savepoint: the constraint answers a clerk who filed the same docket a moment ago.
            with transaction.atomic():
                case = Case.objects.create(
                    agency_id=facility.agency_id, court=court, docket_number=docket,
                    person=person, facility=facility, presiding_authority=presiding,
                    presiding_user=presiding_user, filed_at=filed, opened_by=actor, note=note,
                )  # fmt: skip
        except IntegrityError as error:
            raise _docket_exists(court, docket) from error
        counts = [_charge_create(case, n, data) for n, data in enumerate(charges, start=1)]
        named = [
            CaseParty.objects.create(case=case, person=party, role=role) for party, role in parties
        ]
        audit_record(
            actor=actor, action="case.open", obj=case, facility=facility,
            object_label=f"{docket} ({court.code})",
            changes={
                "court": court.code, "docket_number": docket, "person": str(person.public_id),
                "presiding_authority": presiding,
                "presiding_user": presiding_user.get_username() if presiding_user else None,
                "filed_at": filed, "charges": [_charge_audit(c) for c in counts],
                "parties": [{"person": str(p.person.public_id), "role": p.role} for p in named],
                "note": note or None,
            },
        )  # fmt: skip
        booking = open_booking(person.pk)
        if booking is not None:
            legal_status_sync(actor=actor, booking=booking)
    return case


def _docket_exists(court: Court, docket: str) -> Conflict:
    return Conflict(
        DOCKET_EXISTS.format(court=court.name, docket=docket),
        code="docket_exists",
        extra={"docket_number": docket},
    )


def case_charge_add(*, actor: User | None, case: Case, data: CaseChargeData) -> CaseCharge:
    """Add a count to an open case (an amended charging document)."""
    require(actor, case.facility, [Perm.COURT_RECORD], "Adding a count")
    errors: dict[str, list[str]] = {}
    _charge_errors(data, case.person, "", errors)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = lock_case(case)
        if locked.status != CaseStatus.OPEN:
            raise Conflict(
                CASE_DISPOSED.format(docket=locked.docket_number, what="no count can be added"),
                code="case_disposed",
            )
        last = CaseCharge.objects.filter(case=locked).aggregate(last=Max("count_number"))["last"]
        charge = _charge_create(locked, (last or 0) + 1, data)
        audit_record(
            actor=actor, action="case.charge_add", obj=locked, facility=locked.facility,
            object_label=locked.docket_number, changes=_charge_audit(charge),
        )  # fmt: skip
        booking = open_booking(locked.person_id)
        if booking is not None:
            legal_status_sync(actor=actor, booking=booking)
    charge.case = locked
    return charge


def case_charge_link(
    *, actor: User | None, charge: CaseCharge, booking_charge: Charge
) -> CaseCharge:
    """Link a count to the booking charge it answers (the person was booked after filing)."""
    case = charge.case
    require(actor, case.facility, [Perm.COURT_RECORD], "Linking a count")
    if booking_charge.booking.person_id != case.person_id:
        raise ValidationFailed.for_fields(
            {"booking_charge": [CHARGE_OF_ANOTHER.format(person=case.person.full_name)]}
        )
    with transaction.atomic():
        lock_case(case)
        locked = CaseCharge.objects.select_for_update().get(pk=charge.pk)
        if locked.booking_charge_id is not None and locked.booking_charge_id != booking_charge.pk:
            current = Charge.objects.get(pk=locked.booking_charge_id)
            raise Conflict(
                CHARGE_LINKED.format(
                    count=locked.count_number, docket=case.docket_number, charge=current.public_id
                ),
                code="charge_linked",
            )
        if locked.booking_charge_id == booking_charge.pk:
            locked.case = case
            return locked
        locked.booking_charge = booking_charge
        locked.save(update_fields=["booking_charge"])
        audit_record(
            actor=actor, action="case.charge_link", obj=case, facility=case.facility,
            object_label=case.docket_number,
            changes={"count": locked.count_number,
                     "booking_charge": str(booking_charge.public_id),
                     "booking": booking_charge.booking.booking_number},
        )  # fmt: skip
    locked.case = case
    return locked


def case_party_add(*, actor: User | None, case: Case, person: Person, role: str) -> CaseParty:
    """Name a victim, witness or protected party (a verdict may order no contact with them)."""
    require(actor, case.facility, [Perm.COURT_RECORD], "Naming a party")
    errors: dict[str, list[str]] = {}
    choice(role, ProtectedRole.values, "role", errors)
    if person.pk == case.person_id:
        errors["person"] = [PARTY_IS_DEFENDANT]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = lock_case(case)
        current = CaseParty.objects.filter(case=locked, person=person).first()
        if current is not None:
            raise Conflict(
                PARTY_EXISTS.format(
                    person=person.full_name, role=current.get_role_display().lower(),
                    docket=locked.docket_number,
                ),
                code="party_exists",
            )  # fmt: skip
        party = CaseParty.objects.create(case=locked, person=person, role=role)
        audit_record(
            actor=actor, action="case.party_add", obj=locked, facility=locked.facility,
            object_label=locked.docket_number,
            changes={"person": str(person.public_id), "role": role},
        )  # fmt: skip
    return party


# --- Legal status -----------------------------------------------------------------------------


def derived_legal_status(*, sentenced: bool, pending: bool, held: bool) -> str:
    """The legal status the court records give.

    Sentenced with nothing else outstanding is ``sentenced``; a sentence plus a
    count awaiting verdict or a hold is ``mixed``; a hold alone is ``hold``;
    anything else (counts awaiting trial, or nothing yet) is ``pretrial``.
    """
    if sentenced:
        return LegalStatus.MIXED if pending or held else LegalStatus.SENTENCED
    if held and not pending:
        return LegalStatus.HOLD
    return LegalStatus.PRETRIAL


def legal_status_sync(*, actor: User | None, booking: Booking) -> str:
    """Set the booking's legal status from the court records; audited only when it changes."""
    if booking.status not in OPEN_STATUSES:
        return booking.legal_status
    with transaction.atomic():
        locked = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("facility")
            .get(pk=booking.pk)
        )
        sentences = Sentence.objects.filter(
            person_id=locked.person_id, status=SentenceStatus.ACTIVE
        ).count()
        pending = CaseCharge.objects.filter(
            case__person_id=locked.person_id, case__status=CaseStatus.OPEN, verdict=Verdict.PENDING
        ).count()
        holds = Hold.objects.filter(booking=locked, lifted_at__isnull=True).count()
        status = derived_legal_status(
            sentenced=bool(sentences), pending=bool(pending), held=bool(holds)
        )
        before = locked.legal_status
        if status != before:
            locked.legal_status = status
            locked.save(update_fields=["legal_status"])
            why = (
                f"{sentences} active sentence(s), {pending} count(s) awaiting verdict, "
                f"{holds} open hold(s)"
            )
            audit_record(
                actor=actor, action="booking.legal_status", obj=locked, facility=locked.facility,
                reason=LEGAL_STATUS_REASON.format(why=why),
                changes={"legal_status": [before, status]},
            )  # fmt: skip
    booking.legal_status = status
    return status
