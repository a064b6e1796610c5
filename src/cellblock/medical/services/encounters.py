"""Encounters: a medic sees a person; and what the medic writes down (notes, vitals, injuries).

An encounter is scheduled, then started and completed, or refused or
cancelled (``ENCOUNTER_TRANSITIONS``).  Scheduling answers with the warnings
of medical/rules.py: the person refuses this provider or all care, or the
provider is in a staff conflict with them.  When the provider is the person's
alleged victim the encounter waits (``awaiting_ack``) until a supervisor who
is not the provider acknowledges the conflict.  An emergency does not wait:
life first; it may start unacknowledged, and the acknowledgement may follow.

An encounter in the cell needs the provider let in at the time it starts
(``custody.services.access.may_enter``: a grant for the cell, or a zone that
admits medical staff); the grant is kept on the encounter, and on completion
so are the door events of the cell the provider passed, from half an hour
before the start to the end.

Findings, treatment, follow-up, notes, vitals and injuries are clinical: the
audit entries of this module carry ids, the booking number, kinds, statuses,
usernames and times, never their text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import Booking
from cellblock.classification.models import ConflictKind, StaffConflict
from cellblock.classification.selectors import orders_in_force_q
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.models import DoorEvent
from cellblock.custody.services.access import may_enter
from cellblock.custody.services.restraints import current_cell
from cellblock.facilities.models import Cell, Facility
from cellblock.housing.models import BedAssignment
from cellblock.medical import rules
from cellblock.medical.models import (
    ENCOUNTER_TRANSITIONS,
    BodyLocation,
    ClinicalNote,
    ConsentDecision,
    ConsentRecord,
    ConsentScope,
    Encounter,
    EncounterKind,
    EncounterPlace,
    EncounterStatus,
    Injury,
    InjuryStatus,
    SickCall,
    SickCallStatus,
    VitalSigns,
)
from cellblock.medical.rules import ConflictFact, ConsentFact, SchedulingWarning
from cellblock.medical.selectors.clinic import QUEUED
from cellblock.medical.services import recording
from cellblock.medical.services.consent import consent_errors, consent_write

ACKNOWLEDGE_DENIED = (
    "Acknowledging a staff conflict at {facility} needs a supervisor or the commander."
)
PROVIDER_NOT_CLINICIAN = (
    "{who} does not record clinical care at {facility}: choose a provider from the medical staff."
)
SCHEDULED_NAIVE = "must say its time zone."
DETAIL_REQUIRED = "is required for 'other': say where."
CELL_ONLY_IN_CELL = "is only named for an encounter in the cell."
NOT_HOUSED = "{person} has no cell at the moment: see {them} in the clinic or elsewhere."
NOT_THEIR_CELL = (
    "{person} is housed in cell {actual}, not {cell}: an encounter in the cell is held in the "
    "person's own cell."
)
SICK_CALL_OF_ANOTHER = "is a sick call of {booking}, not of {number}."
SICK_CALL_NOT_WAITING = "This sick call is {status}: only a waiting sick call is scheduled."
SCHEDULING = "encounters are scheduled"
CONFLICT_PARTY = (
    "{who} is the provider of this encounter: the conflict is acknowledged by a supervisor who "
    "is not a party to it."
)
NOTE_REQUIRED = "is required: say what was weighed and what has been arranged."
NOT_AWAITING = "This encounter is not awaiting an acknowledgement (it is {status})."
ACKNOWLEDGED_ALREADY = "This conflict was acknowledged by {who} at {when}."
ACKNOWLEDGEMENT_REQUIRED = (
    "{provider} is the alleged victim of {person}: a supervisor must acknowledge the conflict "
    "before this encounter starts."
)
WRONG_STATUS = "This encounter is {status}: {action} needs an encounter that is {needed}."
NO_CELL_ENTRY = (
    "{provider} may not enter cell {cell} now ({reason}): a supervisor must grant "
    "{provider} entry to the cell before the encounter starts."
)
NOT_IN_THE_CELL = (
    "{person} is no longer in cell {cell}, where this encounter was scheduled: cancel it and "
    "schedule it again."
)
FINDINGS_REQUIRED = "is required: say what was found."
BEFORE_START = "is before the encounter started ({when})."
FOLLOW_UP_BEFORE = "is before the encounter ({day})."
CANCEL_REASON_REQUIRED = "is required: say why the encounter is cancelled."
TEXT_REQUIRED = "is required: write the note."
AMENDS_ANOTHER = "is a note about {booking}, not {number}."
VITALS_NONE = "record at least one value."
VITAL_RANGE = "must be between {low} and {high}{unit} ({what})."
DIASTOLIC_NOT_BELOW = "must be below the systolic pressure."
NOT_A_NUMBER = "must be a number ({what})."
WHOLE_NUMBER = "must be a whole number."
DESCRIPTION_REQUIRED = "is required: describe the injury."
INJURY_UPDATE_OF_ANOTHER = "is an encounter of {booking}, not of the injured person ({number})."
REFUSED_SICK_CALL = "The person refused the encounter (a witnessed refusal is on record)."
CANCELLED_SICK_CALL = "Back in the queue: the encounter was cancelled."

# Door events of the cell count towards the encounter from this long before it started.
DOOR_EVENTS_BEFORE = dt.timedelta(minutes=30)

# Plausible ranges, per field: (low, high, unit, what).
VITAL_RANGES: dict[str, tuple[Decimal, Decimal, str, str]] = {
    "systolic": (Decimal(50), Decimal(260), " mmHg", "systolic blood pressure"),
    "diastolic": (Decimal(20), Decimal(160), " mmHg", "diastolic blood pressure"),
    "pulse": (Decimal(20), Decimal(250), " beats a minute", "pulse"),
    "respiration": (Decimal(4), Decimal(60), " breaths a minute", "respiratory rate"),
    "temperature_c": (Decimal("30.0"), Decimal("44.0"), " °C", "body temperature"),
    "spo2": (Decimal(50), Decimal(100), "%", "oxygen saturation"),
    "pain": (Decimal(0), Decimal(10), "", "pain on a scale of 0 to 10"),
}

# Statuses an encounter leaves only by being acknowledged, started, refused or cancelled.
OPEN_ENCOUNTER = (EncounterStatus.AWAITING_ACKNOWLEDGEMENT, EncounterStatus.SCHEDULED)


@dataclass
class ScheduledEncounter:
    encounter: Encounter
    warnings: list[SchedulingWarning]


# --- Helpers ---------------------------------------------------------------------------


def _locked(encounter: Encounter) -> Encounter:
    """The encounter row locked, with what the steps read.

    Only rows that never change are joined: after waiting for the lock, PostgreSQL re-reads
    the locked row but not the rows joined to it (``acknowledged_by`` is read afterwards).
    """
    return (
        Encounter.objects.select_for_update(of=("self",))
        .select_related(
            "booking__person", "booking__facility", "provider", "cell__unit__zone__facility",
            "conflict",
        )
        .get(pk=encounter.pk)
    )  # fmt: skip


def _label(encounter: Encounter) -> str:
    booking = encounter.booking
    when = recording.local(encounter.scheduled_for, booking.facility)
    return f"{booking.booking_number}: {encounter.get_kind_display()} {when}"


def _may_become(encounter: Encounter, to: str) -> bool:
    if to in ENCOUNTER_TRANSITIONS[encounter.status]:
        return True
    # Life first: an emergency goes ahead (or is refused) while the acknowledgement is awaited.
    return (
        encounter.kind == EncounterKind.EMERGENCY
        and encounter.status == EncounterStatus.AWAITING_ACKNOWLEDGEMENT
        and to in (EncounterStatus.IN_PROGRESS, EncounterStatus.REFUSED)
    )


def _require_transition(encounter: Encounter, to: str, action: str, needed: str, code: str) -> None:
    """409 ``code`` unless the encounter may move to ``to`` (``action`` needs ``needed``)."""
    if _may_become(encounter, to):
        return
    raise Conflict(
        WRONG_STATUS.format(
            status=encounter.get_status_display().lower(), action=action, needed=needed
        ),
        code=code, extra={"status": encounter.status},
    )  # fmt: skip


def awaits_acknowledgement(encounter: Encounter) -> bool:
    """A staff-victim conflict not yet acknowledged (an emergency may have gone ahead).

    The encounter page offers the Acknowledge form on the same condition.
    """
    return (
        encounter.conflict_id is not None
        and encounter.acknowledged_at is None
        and encounter.status != EncounterStatus.CANCELLED
    )


def _sick_calls_update(
    encounter: Encounter, statuses: Sequence[str], /, **changes: object
) -> list[SickCall]:
    """Lock the sick calls ``encounter`` answers that stand in ``statuses``, and change them.

    Returns them as they were read, for the audit entry to name.  (Positional-only, so that
    ``encounter=None`` among the changes unlinks them.)
    """
    found = list(
        SickCall.objects.select_for_update().filter(encounter=encounter, status__in=statuses)
    )
    SickCall.objects.filter(pk__in=[s.pk for s in found]).update(**changes)
    return found


def _consent_facts(booking: Booking, facility: Facility) -> list[ConsentFact]:
    records = ConsentRecord.objects.filter(
        booking=booking, withdrawn_at__isnull=True
    ).select_related("except_provider")
    return [
        ConsentFact(
            decision=r.decision,
            scope=r.scope,
            treatment=r.treatment,
            except_provider_id=r.except_provider_id,
            except_provider=recording.name(r.except_provider) if r.except_provider else "",
            recorded_at=clock.local(r.recorded_at, facility.timezone),
        )
        for r in records
    ]


def _conflicts(booking: Booking, provider: User, now: dt.datetime) -> list[StaffConflict]:
    return list(
        StaffConflict.objects.filter(
            orders_in_force_q(now), person_id=booking.person_id, staff=provider
        ).order_by("recorded_at", "id")
    )


def _warnings(
    booking: Booking, provider: User, treatment: str, conflicts: list[StaffConflict]
) -> list[SchedulingWarning]:
    facility = booking.facility
    return rules.scheduling_warnings(
        person=booking.person.full_name, provider_id=provider.pk,
        provider=recording.name(provider), treatment=treatment,
        consents=_consent_facts(booking, facility),
        conflicts=[
            ConflictFact(
                staff_id=c.staff_id, staff=recording.name(provider), kind=c.kind,
                recorded_at=clock.local(c.recorded_at, facility.timezone),
            )
            for c in conflicts
        ],
        them=recording.them(booking),
    )  # fmt: skip


def _still_in_cell(encounter: Encounter) -> None:
    """An encounter in the cell goes ahead only in the cell it was scheduled for."""
    cell_id = encounter.cell_id
    housed = (
        cell_id is not None
        and BedAssignment.objects.filter(
            booking_id=encounter.booking_id, ended_at__isnull=True, bed__cell_id=cell_id
        ).exists()
    )
    if not housed:
        raise Conflict(
            NOT_IN_THE_CELL.format(
                person=encounter.booking.person.full_name,
                cell=encounter.cell.code if encounter.cell else "",
            ),
            code="not_in_encounter_cell",
        )


def _place_errors(
    booking: Booking, place: str, cell: Cell | None, place_detail: str,
    errors: dict[str, list[str]],
) -> Cell | None:  # fmt: skip
    """The cell of an encounter in the cell: the person's own (the default)."""
    recording.choice(place, EncounterPlace.values, "place", errors)
    if place == EncounterPlace.OTHER and not place_detail:
        errors.setdefault("place_detail", []).append(DETAIL_REQUIRED)
    if place != EncounterPlace.CELL:
        if cell is not None:
            errors.setdefault("cell", []).append(CELL_ONLY_IN_CELL)
        return None
    actual = current_cell(booking)
    person = booking.person.full_name
    if actual is None:
        errors.setdefault("cell", []).append(
            NOT_HOUSED.format(person=person, them=recording.them(booking))
        )
    elif cell is not None and cell.pk != actual.pk:
        errors.setdefault("cell", []).append(
            NOT_THEIR_CELL.format(person=person, actual=actual.code, cell=cell.code)
        )
    return actual


# --- Scheduling ------------------------------------------------------------------------


def encounter_warnings(
    *, actor: User | None, booking: Booking, provider: User, treatment: str = ""
) -> list[SchedulingWarning]:
    """What scheduling ``provider`` would run into, asked before scheduling."""
    recording.require_clinical(actor, booking.facility)
    conflicts = _conflicts(booking, provider, clock.now())
    return _warnings(booking, provider, treatment, conflicts)


def encounter_schedule(
    *,
    actor: User | None,
    booking: Booking,
    kind: str,
    provider: User,
    scheduled_for: dt.datetime,
    place: str,
    cell: Cell | None = None,
    place_detail: str = "",
    reason: str = "",
    sick_call: SickCall | None = None,
) -> ScheduledEncounter:
    """Book ``provider`` to see the person; the warnings come back with it.

    A staff-victim conflict leaves it awaiting a supervisor's acknowledgement.
    The reason (clinical) is also matched against refused treatments.
    """
    facility = booking.facility
    recording.require_clinical(actor, facility)
    errors: dict[str, list[str]] = {}
    recording.choice(kind, EncounterKind.values, "kind", errors)
    if not recording.is_clinician(provider, facility):
        errors["provider"] = [
            PROVIDER_NOT_CLINICIAN.format(who=recording.name(provider), facility=facility.name)
        ]
    if scheduled_for.tzinfo is None:
        errors["scheduled_for"] = [SCHEDULED_NAIVE]
    place_detail = recording.text(place_detail, 200, "place_detail", errors)
    reason = reason.strip()
    cell = _place_errors(booking, place, cell, place_detail, errors)
    if sick_call is not None and sick_call.booking_id != booking.pk:
        errors["sick_call"] = [
            SICK_CALL_OF_ANOTHER.format(
                booking=sick_call.booking.booking_number, number=booking.booking_number
            )
        ]
    if errors:
        raise ValidationFailed.for_fields(errors)
    now = clock.now()
    with transaction.atomic():
        locked = recording.locked_open_booking(booking, SCHEDULING)
        conflicts = _conflicts(locked, provider, now)
        warnings = _warnings(locked, provider, reason, conflicts)
        victim = next((c for c in conflicts if c.kind == ConflictKind.ALLEGED_VICTIM), None)
        status = (
            EncounterStatus.AWAITING_ACKNOWLEDGEMENT
            if rules.needs_acknowledgement(warnings)
            else EncounterStatus.SCHEDULED
        )
        waiting = None
        if sick_call is not None:
            waiting = SickCall.objects.select_for_update().get(pk=sick_call.pk)
            if waiting.status != SickCallStatus.WAITING:
                raise Conflict(
                    SICK_CALL_NOT_WAITING.format(status=waiting.get_status_display().lower()),
                    code="sick_call_not_waiting",
                )
        encounter = Encounter.objects.create(
            booking=locked, kind=kind, status=status, provider=provider,
            scheduled_for=scheduled_for, scheduled_by=actor, scheduled_at=now, place=place,
            cell=cell, place_detail=place_detail, reason=reason,
            warnings=[w.as_dict() for w in warnings], conflict=victim,
        )  # fmt: skip
        if waiting is not None:
            waiting.status, waiting.encounter = SickCallStatus.SCHEDULED, encounter
            waiting.save(update_fields=["status", "encounter"])
        audit_record(
            actor=actor, action="encounter.schedule", obj=encounter, facility=facility,
            object_label=_label(encounter),
            changes={
                "booking": locked.booking_number, "kind": kind, "status": status,
                "provider": provider.get_username(), "scheduled_for": scheduled_for,
                "place": place, "cell": cell.code if cell else None,
                "warnings": [w.code for w in warnings],
                "conflict": str(victim.public_id) if victim else None,
                "sick_call": str(waiting.public_id) if waiting else None,
            },
        )  # fmt: skip
    return ScheduledEncounter(encounter=encounter, warnings=warnings)


def encounter_acknowledge(*, actor: User, encounter: Encounter, note: str) -> Encounter:
    """A supervisor lets the encounter go ahead with the person's alleged victim as provider."""
    facility = encounter.booking.facility
    recording.require(actor, facility, [Perm.MEDICAL_CONFLICT_ACKNOWLEDGE], ACKNOWLEDGE_DENIED)
    if actor.pk == encounter.provider_id:
        raise PermissionDenied(
            CONFLICT_PARTY.format(who=recording.name(actor)), code="conflict_party"
        )
    note = recording.required_text(note, field="note", missing=NOTE_REQUIRED)
    with transaction.atomic():
        locked = _locked(encounter)
        if not awaits_acknowledgement(locked):
            if locked.acknowledged_at is not None:
                message = ACKNOWLEDGED_ALREADY.format(
                    who=locked.acknowledged_by,
                    when=recording.local(locked.acknowledged_at, facility),
                )
            else:
                message = NOT_AWAITING.format(status=locked.get_status_display().lower())
            raise Conflict(message, code="not_awaiting_acknowledgement")
        before = locked.status
        if before == EncounterStatus.AWAITING_ACKNOWLEDGEMENT:
            locked.status = EncounterStatus.SCHEDULED
        locked.acknowledged_by, locked.acknowledged_at = actor, clock.now()
        locked.acknowledgement_note = note
        locked.save(
            update_fields=["status", "acknowledged_by", "acknowledged_at", "acknowledgement_note"]
        )
        audit_record(
            actor=actor, action="encounter.acknowledge", obj=locked, facility=facility,
            object_label=_label(locked), reason=note,
            changes={
                "booking": locked.booking.booking_number, "status": [before, locked.status],
                "provider": locked.provider.get_username(),
                "conflict": str(locked.conflict.public_id) if locked.conflict else None,
                "acknowledged_at": locked.acknowledged_at,
            },
        )  # fmt: skip
    return locked


# --- The encounter ---------------------------------------------------------------------


def encounter_start(
    *, actor: User | None, encounter: Encounter, at: dt.datetime | None = None
) -> Encounter:
    """The provider begins; in the cell only if let in at that time (the grant is kept)."""
    booking = encounter.booking
    facility = booking.facility
    recording.require_clinical(actor, facility)
    errors: dict[str, list[str]] = {}
    started_at = recording.moment(at, errors)
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = _locked(encounter)
        recording.locked_open_booking(booking, "encounters take place")
        person, provider = locked.booking.person.full_name, recording.name(locked.provider)
        if (
            locked.status == EncounterStatus.AWAITING_ACKNOWLEDGEMENT
            and locked.kind != EncounterKind.EMERGENCY
        ):
            raise Conflict(
                ACKNOWLEDGEMENT_REQUIRED.format(provider=provider, person=person),
                code="acknowledgement_required",
            )
        _require_transition(
            locked, EncounterStatus.IN_PROGRESS, "starting it", "scheduled",
            "encounter_not_scheduled",
        )  # fmt: skip
        fields = ["status", "started_at"]
        if locked.place == EncounterPlace.CELL and locked.cell is not None:
            _still_in_cell(locked)
            allowed, grant, why = may_enter(locked.provider, cell=locked.cell, at=started_at)
            if not allowed:
                raise Conflict(
                    NO_CELL_ENTRY.format(
                        provider=provider, cell=locked.cell.code, reason=why.rstrip(".")
                    ),
                    code="no_cell_entry",
                    extra={"provider": locked.provider.get_username(), "cell": locked.cell.code},
                )
            locked.entry_grant = grant
            fields.append("entry_grant")
        before = locked.status
        locked.status, locked.started_at = EncounterStatus.IN_PROGRESS, started_at
        locked.save(update_fields=fields)
        audit_record(
            actor=actor, action="encounter.start", obj=locked, facility=facility,
            object_label=_label(locked),
            changes={
                "booking": locked.booking.booking_number,
                "status": [before, EncounterStatus.IN_PROGRESS], "started_at": started_at,
                "provider": locked.provider.get_username(), "place": locked.place,
                "cell": locked.cell.code if locked.cell else None,
                "entry_grant": str(locked.entry_grant.public_id) if locked.entry_grant else None,
                # An emergency that went ahead before a supervisor acknowledged the conflict.
                **({"unacknowledged_conflict": True} if awaits_acknowledgement(locked) else {}),
            },
        )  # fmt: skip
    return locked


def encounter_complete(
    *,
    actor: User | None,
    encounter: Encounter,
    findings: str,
    treatment: str = "",
    follow_up: str = "",
    follow_up_due: dt.date | None = None,
    at: dt.datetime | None = None,
) -> Encounter:
    """The provider is done: what was found and done; the door events of the visit are kept."""
    facility = encounter.booking.facility
    recording.require_clinical(actor, facility)
    errors: dict[str, list[str]] = {}
    findings = findings.strip()
    if not findings:
        errors["findings"] = [FINDINGS_REQUIRED]
    ended_at = recording.moment(at, errors)
    if encounter.started_at is not None and "at" not in errors and ended_at < encounter.started_at:
        errors["at"] = [BEFORE_START.format(when=recording.local(encounter.started_at, facility))]
    if follow_up_due is not None and encounter.started_at is not None:
        started_on = clock.local(encounter.started_at, facility.timezone).date()
        if follow_up_due < started_on:
            errors["follow_up_due"] = [FOLLOW_UP_BEFORE.format(day=started_on)]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = _locked(encounter)
        _require_transition(
            locked, EncounterStatus.COMPLETED, "completing it", "in progress",
            "encounter_not_in_progress",
        )  # fmt: skip
        started_at = locked.started_at or ended_at
        if ended_at < started_at:
            raise ValidationFailed.for_fields(
                {"at": [BEFORE_START.format(when=recording.local(started_at, facility))]}
            )
        locked.status, locked.ended_at = EncounterStatus.COMPLETED, ended_at
        locked.findings, locked.treatment = findings, treatment.strip()
        locked.follow_up, locked.follow_up_due = follow_up.strip(), follow_up_due
        locked.save(
            update_fields=[
                "status", "ended_at", "findings", "treatment", "follow_up", "follow_up_due",
            ]
        )  # fmt: skip
        doors: list[DoorEvent] = []
        if locked.cell_id is not None:
            doors = list(
                DoorEvent.objects.filter(
                    cell_id=locked.cell_id, staff_passed=locked.provider,
                    at__gte=started_at - DOOR_EVENTS_BEFORE, at__lte=ended_at,
                ).order_by("at", "id")
            )  # fmt: skip
            locked.door_events.add(*doors)
        seen = _sick_calls_update(locked, QUEUED, status=SickCallStatus.SEEN)
        audit_record(
            actor=actor, action="encounter.complete", obj=locked, facility=facility,
            object_label=_label(locked),
            changes={
                "booking": locked.booking.booking_number,
                "status": [EncounterStatus.IN_PROGRESS, EncounterStatus.COMPLETED],
                "ended_at": ended_at, "provider": locked.provider.get_username(),
                "door_events": [str(d.public_id) for d in doors],
                "sick_calls_seen": [str(s.public_id) for s in seen],
            },
        )  # fmt: skip
    return locked


def encounter_cancel(*, actor: User | None, encounter: Encounter, reason: str) -> Encounter:
    """Not going ahead; its sick call goes back to the queue."""
    facility = encounter.booking.facility
    recording.require_clinical(actor, facility)
    reason = recording.required_text(reason, field="reason", missing=CANCEL_REASON_REQUIRED)
    with transaction.atomic():
        locked = _locked(encounter)
        _require_transition(
            locked, EncounterStatus.CANCELLED, "cancelling it", "scheduled",
            "encounter_not_scheduled",
        )  # fmt: skip
        before = locked.status
        locked.status, locked.cancel_reason = EncounterStatus.CANCELLED, reason
        locked.save(update_fields=["status", "cancel_reason"])
        requeued = _sick_calls_update(
            locked, [SickCallStatus.SCHEDULED], status=SickCallStatus.WAITING, encounter=None
        )
        audit_record(
            actor=actor, action="encounter.cancel", obj=locked, facility=facility,
            object_label=_label(locked), reason=reason,
            changes={
                "booking": locked.booking.booking_number,
                "status": [before, EncounterStatus.CANCELLED],
                "provider": locked.provider.get_username(),
                "sick_calls_requeued": [str(s.public_id) for s in requeued],
            },
        )  # fmt: skip
    return locked


def encounter_refuse(
    *,
    actor: User,
    encounter: Encounter,
    witness: User,
    statement: str = "",
    person_signed: bool = False,
) -> Encounter:
    """The person refuses the encounter when it comes: a witnessed refusal is recorded with it."""
    booking = encounter.booking
    facility = booking.facility
    recording.require_clinical(actor, facility)
    errors = consent_errors(
        actor=actor, booking=booking, decision=ConsentDecision.REFUSAL,
        scope=ConsentScope.TREATMENT, treatment=encounter.get_kind_display(),
        except_provider=None, witness=witness, encounter=encounter,
    )  # fmt: skip
    if errors:
        raise ValidationFailed.for_fields(errors)
    now = clock.now()
    with transaction.atomic():
        locked = _locked(encounter)
        booking = recording.locked_open_booking(booking, "refusals are recorded")
        _require_transition(
            locked, EncounterStatus.REFUSED, "recording a refusal", "scheduled or in progress",
            "encounter_not_open",
        )  # fmt: skip
        before = locked.status
        record = consent_write(
            actor=actor, booking=booking, decision=ConsentDecision.REFUSAL,
            scope=ConsentScope.TREATMENT, treatment=locked.get_kind_display(),
            except_provider=None, statement=statement, person_signed=person_signed,
            witness=witness, encounter=locked,
        )  # fmt: skip
        locked.status = EncounterStatus.REFUSED
        fields = ["status"]
        if locked.started_at is not None:
            locked.ended_at = max(now, locked.started_at)
            fields.append("ended_at")
        locked.save(update_fields=fields)
        closed = _sick_calls_update(
            locked, QUEUED, status=SickCallStatus.CLOSED, closed_at=now, closed_by=actor,
            close_reason=REFUSED_SICK_CALL,
        )  # fmt: skip
        audit_record(
            actor=actor, action="encounter.refuse", obj=locked, facility=facility,
            object_label=_label(locked),
            changes={
                "booking": booking.booking_number, "status": [before, EncounterStatus.REFUSED],
                "provider": locked.provider.get_username(), "refusal": str(record.public_id),
                "witness": witness.get_username(), "person_signed": person_signed,
                "sick_calls_closed": [str(s.public_id) for s in closed],
            },
        )  # fmt: skip
    return locked


# --- Notes, vitals, injuries -----------------------------------------------------------


def clinical_note_add(
    *,
    actor: User,
    booking: Booking,
    text: str,
    encounter: Encounter | None = None,
    amends: ClinicalNote | None = None,
) -> ClinicalNote:
    """A note in the record; a correction is a new note that amends the old one."""
    recording.require_clinical(actor, booking.facility)
    errors: dict[str, list[str]] = {}
    text = text.strip()
    if not text:
        errors["text"] = [TEXT_REQUIRED]
    recording.same_booking(encounter, booking, errors)
    if amends is not None and amends.booking_id != booking.pk:
        errors["amends"] = [
            AMENDS_ANOTHER.format(
                booking=amends.booking.booking_number, number=booking.booking_number
            )
        ]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = recording.locked_open_booking(booking, "clinical notes are written")
        note = ClinicalNote.objects.create(
            booking=locked, encounter=encounter, written_at=clock.now(), author=actor, text=text,
            amends=amends,
        )  # fmt: skip
        audit_record(
            actor=actor, action="clinicalnote.add", obj=note, facility=locked.facility,
            object_label=f"{locked.booking_number}: clinical note",
            changes={
                "booking": locked.booking_number,
                "encounter": str(encounter.public_id) if encounter else None,
                "amends": str(amends.public_id) if amends else None,
            },
        )  # fmt: skip
    return note


def _vital(field: str, value: object, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None:
        return None
    low, high, unit, what = VITAL_RANGES[field]
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.setdefault(field, []).append(NOT_A_NUMBER.format(what=what))
        return None
    if not number.is_finite() or not low <= number <= high:
        errors.setdefault(field, []).append(
            VITAL_RANGE.format(low=low, high=high, unit=unit, what=what)
        )
        return None
    return number


def vitals_record(
    *,
    actor: User,
    booking: Booking,
    encounter: Encounter | None = None,
    taken_at: dt.datetime | None = None,
    systolic: int | None = None,
    diastolic: int | None = None,
    pulse: int | None = None,
    respiration: int | None = None,
    temperature_c: Decimal | float | None = None,
    spo2: int | None = None,
    pain: int | None = None,
) -> VitalSigns:
    """Vital signs as measured; each value within what a living person can show."""
    recording.require_clinical(actor, booking.facility)
    errors: dict[str, list[str]] = {}
    given = {
        "systolic": systolic, "diastolic": diastolic, "pulse": pulse, "respiration": respiration,
        "temperature_c": temperature_c, "spo2": spo2, "pain": pain,
    }  # fmt: skip
    checked = {field: _vital(field, value, errors) for field, value in given.items()}
    if all(value is None for value in given.values()):
        errors["vitals"] = [VITALS_NONE]
    top, bottom = checked["systolic"], checked["diastolic"]
    if top is not None and bottom is not None and bottom >= top:
        errors.setdefault("diastolic", []).append(DIASTOLIC_NOT_BELOW)
    for field, number in checked.items():
        # Whole numbers but the temperature (one decimal place).
        if number is not None and field != "temperature_c" and number != number.to_integral():
            errors.setdefault(field, []).append(WHOLE_NUMBER)
    when = recording.moment(taken_at, errors, field="taken_at", booking=booking)
    recording.same_booking(encounter, booking, errors)
    if errors:
        raise ValidationFailed.for_fields(errors)
    values: dict[str, object] = {
        field: (number.quantize(Decimal("0.1")) if field == "temperature_c" else int(number))
        for field, number in checked.items()
        if number is not None
    }
    with transaction.atomic():
        locked = recording.locked_open_booking(booking, "vital signs are recorded")
        vitals = VitalSigns.objects.create(
            booking=locked, encounter=encounter, taken_at=when, taken_by=actor, **values
        )
        audit_record(
            actor=actor, action="vitalsigns.record", obj=vitals, facility=locked.facility,
            object_label=f"{locked.booking_number}: vital signs",
            changes={
                "booking": locked.booking_number, "taken_at": when,
                "encounter": str(encounter.public_id) if encounter else None,
                # Which were measured, never what they read.
                "measured": sorted(values),
            },
        )  # fmt: skip
    return vitals


def injury_record(
    *,
    actor: User,
    booking: Booking,
    location: str,
    description: str,
    status: str = InjuryStatus.UNTREATED,
    encounter: Encounter | None = None,
) -> Injury:
    """An injury where it is on the body, and how it stands."""
    recording.require_clinical(actor, booking.facility)
    errors: dict[str, list[str]] = {}
    recording.choice(location, BodyLocation.values, "location", errors)
    recording.choice(status, InjuryStatus.values, "status", errors)
    description = description.strip()
    if not description:
        errors["description"] = [DESCRIPTION_REQUIRED]
    recording.same_booking(encounter, booking, errors)
    if errors:
        raise ValidationFailed.for_fields(errors)
    now = clock.now()
    with transaction.atomic():
        locked = recording.locked_open_booking(booking, "injuries are recorded")
        injury = Injury.objects.create(
            booking=locked, encounter=encounter, location=location, description=description,
            status=status, recorded_at=now, recorded_by=actor, updated_at=now, updated_by=actor,
            updated_in=encounter,
        )  # fmt: skip
        audit_record(
            actor=actor, action="injury.record", obj=injury, facility=locked.facility,
            object_label=f"{locked.booking_number}: injury",
            changes={
                "booking": locked.booking_number,
                "encounter": str(encounter.public_id) if encounter else None,
            },
        )  # fmt: skip
    return injury


def injury_update(
    *, actor: User, injury: Injury, status: str, encounter: Encounter | None = None
) -> Injury:
    """How the injury stands now (seen in ``encounter``, if any)."""
    booking = injury.booking
    recording.require_clinical(actor, booking.facility)
    errors: dict[str, list[str]] = {}
    recording.choice(status, InjuryStatus.values, "status", errors)
    if encounter is not None and encounter.booking_id != injury.booking_id:
        errors["encounter"] = [
            INJURY_UPDATE_OF_ANOTHER.format(
                booking=encounter.booking.booking_number, number=booking.booking_number
            )
        ]
    if errors:
        raise ValidationFailed.for_fields(errors)
    with transaction.atomic():
        locked = (
            Injury.objects.select_for_update(of=("self",))
            .select_related("booking__facility")
            .get(pk=injury.pk)
        )
        locked.status, locked.updated_at, locked.updated_by = status, clock.now(), actor
        locked.updated_in = encounter
        locked.save(update_fields=["status", "updated_at", "updated_by", "updated_in"])
        audit_record(
            actor=actor, action="injury.update", obj=locked, facility=booking.facility,
            object_label=f"{booking.booking_number}: injury",
            changes={
                "booking": booking.booking_number,
                "encounter": str(encounter.public_id) if encounter else None,
            },
        )  # fmt: skip
    return locked
