"""Schemas of the medical API, the answers built from them, and the clinical gate.

Two kinds of answer.  **Custody** schemas (``EncounterOut``, ``SickCallOut``,
``CareAlertOut``, ``SummaryOut``) carry who, when, where and status, never a
field of ``models.CLINICAL_FIELDS``.  **Clinical** schemas (``EncounterClinicalOut``
and ``SickCallClinicalOut``, which add the clinical fields to the custody ones;
the record, screenings, notes, vitals, injuries, consents) are built only after
``clinical_access``, and every answer that carries one is audited with
``clinical_read_audit``: who read whose record, which part, never what.  An
operation that answers either says so (``EncounterClinicalOut | EncounterOut``):
custody callers get the custody view, with the clinical keys absent.

People in custody are named by booking number, staff by username, records by
opaque id.  A record named in a body that the caller cannot see is a 400
naming the field; one named in the path is a 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models
from ninja import Schema
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core.errors import NotFound, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.api.movements import staff_named
from cellblock.facilities.models import Facility
from cellblock.facilities.selectors import facility_get_for_user
from cellblock.medical.models import (
    BodyLocation,
    BreakGlass,
    CareAlert,
    CareAlertKind,
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
    ReceivingScreening,
    ScreeningOutcome,
    SickCall,
    SickCallStatus,
    SickCallUrgency,
    SickCallVia,
    VitalSigns,
)
from cellblock.medical.rules import SchedulingWarning, custody_warnings, stored_warnings
from cellblock.medical.services.access import (
    clinical_access,
    clinical_access_or_none,
    clinical_read_audit,
)

T = TypeVar("T")
# The two views of one record: the clinical answer and custody's.
C = TypeVar("C", bound=Schema)
K = TypeVar("K", bound=Schema)

TEXT_MAX = 10_000
WHICH_FACILITY = "say which facility: you see medical records at more than one."


# --- Helpers ----------------------------------------------------------------------------------


def name_of(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def named_in_body(field: str, find: Callable[[], T]) -> T:
    """A record named in the body: one the caller cannot see is a 400 naming the field."""
    try:
        return find()
    except NotFound as missing:
        raise ValidationFailed.for_fields({field: [missing.message]}) from None


def booking_seen(user: User, number: str, perm: Perm = Perm.MEDICAL_VIEW) -> Booking:
    """A booking of a facility where the user holds ``perm``; else 404."""
    booking = booking_get_for_user(user, number)
    if perm not in user.perms_at(booking.facility_id):
        raise NotFound(f"No booking {number}.")
    return booking


def booking_in_body(
    user: User, number: str, field: str = "booking", perm: Perm = Perm.MEDICAL_VIEW
) -> Booking:
    return named_in_body(field, lambda: booking_seen(user, number, perm))


def staff_of(booking: Booking, username: str | None, field: str) -> User | None:
    """A member of staff of the booking's facility by username (None when none is named)."""
    if username is None or not username.strip():
        return None
    return staff_named(booking.facility, username, field)


def facility_chosen(user: User, facility: uuid.UUID | None, perm: Perm) -> Facility:
    """The facility asked for, or the caller's only one; else a 400 naming ``facility``."""
    if facility is not None:
        return facility_get_for_user(user, facility, perm=perm)
    mine = user.facilities_with(perm)
    if len(mine) != 1:
        raise ValidationFailed.for_fields({"facility": [WHICH_FACILITY]})
    return Facility.objects.get(pk=mine[0])


# --- Custody schemas: never a clinical field --------------------------------------------------


class WarningOut(Schema):
    code: str
    message: str
    needs_acknowledgement: bool = False


class NoteOut(Schema):
    id: uuid.UUID
    written_at: dt.datetime
    author: str | None
    text: str
    encounter: uuid.UUID | None
    amends: uuid.UUID | None


class VitalsOut(Schema):
    id: uuid.UUID
    taken_at: dt.datetime
    taken_by: str | None
    encounter: uuid.UUID | None
    systolic: int | None
    diastolic: int | None
    pulse: int | None
    respiration: int | None
    temperature_c: float | None
    spo2: int | None
    pain: int | None


class InjuryOut(Schema):
    id: uuid.UUID
    booking_number: str
    location: BodyLocation
    location_label: str
    description: str
    status: InjuryStatus
    recorded_at: dt.datetime
    recorded_by: str | None
    updated_at: dt.datetime
    updated_by: str | None
    encounter: uuid.UUID | None
    updated_in: uuid.UUID | None


class EncounterOut(Schema):
    """An appointment as custody sees it: who sees whom, when, where, and how it went."""

    id: uuid.UUID
    facility: uuid.UUID
    booking_number: str
    person: str
    kind: EncounterKind
    kind_label: str
    status: EncounterStatus
    status_label: str
    provider: str
    provider_name: str
    scheduled_for: dt.datetime
    scheduled_at: dt.datetime
    scheduled_by: str | None
    place: EncounterPlace
    place_label: str
    cell: str | None = Field(description="The cell's code, for an encounter in the cell")
    place_detail: str
    warnings: list[WarningOut] = Field(description="Shown when it was scheduled; not clinical")
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None
    acknowledgement_note: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    cancel_reason: str
    door_events: list[uuid.UUID] = Field(description="The cell's door opened for the provider")


class EncounterClinicalOut(EncounterOut):
    """The encounter with what it was for and what was found: medical staff and break-glass."""

    reason: str
    findings: str
    treatment: str
    follow_up: str
    follow_up_due: dt.date | None
    notes: list[NoteOut]
    vitals: list[VitalsOut]
    injuries: list[InjuryOut]


class SickCallOut(Schema):
    id: uuid.UUID
    facility: uuid.UUID
    booking_number: str
    person: str
    filed_at: dt.datetime
    filed_by: str | None
    via: SickCallVia
    urgency: SickCallUrgency
    urgency_label: str
    status: SickCallStatus
    status_label: str
    triaged_at: dt.datetime | None
    triaged_by: str | None
    encounter: uuid.UUID | None
    closed_at: dt.datetime | None
    closed_by: str | None


class SickCallClinicalOut(SickCallOut):
    """The sick call with the complaint in the person's words: medical staff only."""

    complaint: str
    close_reason: str


class CareAlertOut(Schema):
    """A non-clinical instruction custody staff follow."""

    id: uuid.UUID
    booking_number: str
    person: str
    kind: CareAlertKind
    kind_label: str
    level: str
    instruction: str
    set_at: dt.datetime
    set_by: str | None
    until: dt.datetime | None
    ended_at: dt.datetime | None
    ended_by: str | None
    end_reason: str


class ScreeningStateOut(Schema):
    """That a screening was done, when, by whom and whether it cleared the person: no answers."""

    id: uuid.UUID
    screened_at: dt.datetime
    screened_by: str | None
    outcome: ScreeningOutcome


class SummaryOut(Schema):
    """One person's medical state as custody sees it (the profile's medical section)."""

    booking_number: str
    person: str
    facility: uuid.UUID
    screening: ScreeningStateOut | None = Field(description="The latest receiving screening")
    screening_due: bool = Field(description="The intake step waits for a screening")
    health_assessment_due_at: dt.datetime | None = Field(description="null once completed")
    health_assessment_overdue: bool
    care_alerts: list[CareAlertOut]
    next_encounter: EncounterOut | None
    sick_calls: list[SickCallOut] = Field(description="Waiting or scheduled")


# --- Clinical schemas -------------------------------------------------------------------------


class ScreeningOut(Schema):
    id: uuid.UUID
    booking_number: str
    screened_at: dt.datetime
    screened_by: str | None
    outcome: ScreeningOutcome
    answers: dict[str, Any]
    referral: str
    withdrawal_risk: str
    suicide_risk: str
    notes: str
    care_alerts: list[CareAlertOut]


class ConsentOut(Schema):
    id: uuid.UUID
    booking_number: str
    decision: ConsentDecision
    scope: ConsentScope
    treatment: str
    except_provider: str | None
    statement: str
    person_signed: bool
    recorded_at: dt.datetime
    recorded_by: str | None
    witness: str | None
    encounter: uuid.UUID | None
    withdrawn_at: dt.datetime | None
    withdrawn_by: str | None
    withdrawal_reason: str


class BreakGlassOut(Schema):
    """An emergency opening of one person's record; its reason is for the reviewers."""

    id: uuid.UUID
    facility: uuid.UUID
    booking_number: str
    person: str
    opened_by: str
    opened_at: dt.datetime
    expires_at: dt.datetime
    closed_at: dt.datetime | None
    active: bool = Field(description="Open now: not closed and not expired")
    reason: str
    reviewed_at: dt.datetime | None
    reviewed_by: str | None
    review_note: str


class RecordOut(Schema):
    booking_number: str
    person: str
    facility: uuid.UUID
    access: BreakGlassOut | None = Field(description="The break-glass it was read by, if any")
    screenings: list[ScreeningOut]
    encounters: list[EncounterClinicalOut]
    notes: list[NoteOut]
    vitals: list[VitalsOut]
    injuries: list[InjuryOut]
    consents: list[ConsentOut]
    care_alerts: list[CareAlertOut]
    sick_calls: list[SickCallClinicalOut]


class MedicalLeadOut(Schema):
    facility: uuid.UUID
    medical_lead: str | None = Field(description="The named lead; null: every medic")
    told: list[str] = Field(description="Who is told of break-glass openings now")


# The custody schemas and the model each one shows: never a clinical field of that model.
CUSTODY_SCHEMAS: dict[type[Schema], type] = {
    EncounterOut: Encounter,
    SickCallOut: SickCall,
    CareAlertOut: CareAlert,
    ScreeningStateOut: ReceivingScreening,
}


# --- Inputs -----------------------------------------------------------------------------------


class ScreeningIn(Schema):
    answers: dict[str, Any] = Field(description="Every question of medical/screening.py by key")
    referral: str = Field(default="", max_length=500, description="Where sent, if not cleared")
    notes: str = Field(default="", max_length=TEXT_MAX)


class EncounterIn(Schema):
    booking: str = Field(max_length=32, description="The booking number")
    kind: EncounterKind
    provider: str = Field(max_length=150, description="Username of the medic who sees them")
    scheduled_for: dt.datetime
    place: EncounterPlace = EncounterPlace.CLINIC
    cell: uuid.UUID | None = Field(default=None, description="Default: their current cell")
    place_detail: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=TEXT_MAX)
    sick_call: uuid.UUID | None = Field(default=None, description="The sick call it answers")


class CheckIn(Schema):
    booking: str = Field(max_length=32, description="The booking number")
    provider: str = Field(max_length=150)
    treatment: str = Field(default="", max_length=300)


class AcknowledgeIn(Schema):
    note: str = Field(max_length=500)


class AtIn(Schema):
    at: dt.datetime | None = Field(default=None, description="When; default now")


class CompleteIn(Schema):
    findings: str = Field(max_length=TEXT_MAX)
    treatment: str = Field(default="", max_length=TEXT_MAX)
    follow_up: str = Field(default="", max_length=TEXT_MAX)
    follow_up_due: dt.date | None = None
    at: dt.datetime | None = Field(default=None, description="When it ended; default now")


class ReasonIn(Schema):
    reason: str = Field(max_length=500)


class RefuseIn(Schema):
    witness: str = Field(max_length=150, description="Username of the witness who signs")
    statement: str = Field(default="", max_length=TEXT_MAX)
    person_signed: bool = False


class NoteIn(Schema):
    text: str = Field(max_length=TEXT_MAX)
    encounter: uuid.UUID | None = None
    amends: uuid.UUID | None = Field(default=None, description="The note it corrects")


class VitalsIn(Schema):
    encounter: uuid.UUID | None = None
    taken_at: dt.datetime | None = None
    systolic: int | None = None
    diastolic: int | None = None
    pulse: int | None = None
    respiration: int | None = None
    temperature_c: float | None = None
    spo2: int | None = None
    pain: int | None = None


class InjuryIn(Schema):
    location: BodyLocation
    description: str = Field(max_length=TEXT_MAX)
    status: InjuryStatus = InjuryStatus.UNTREATED
    encounter: uuid.UUID | None = None


class InjuryPatchIn(Schema):
    status: InjuryStatus
    encounter: uuid.UUID | None = Field(default=None, description="The encounter that saw it")


class SickCallIn(Schema):
    booking: str = Field(max_length=32, description="The booking number")
    complaint: str = Field(max_length=TEXT_MAX, description="In the person's words")
    via: SickCallVia = SickCallVia.OFFICER
    filed_at: dt.datetime | None = Field(default=None, description="Paper slips: when handed in")


class TriageIn(Schema):
    urgency: SickCallUrgency


class ConsentIn(Schema):
    decision: ConsentDecision
    scope: ConsentScope
    treatment: str = Field(default="", max_length=300)
    except_provider: str | None = Field(
        default=None, max_length=150, description="Refuses every provider but this one"
    )
    statement: str = Field(default="", max_length=TEXT_MAX)
    person_signed: bool = False
    witness: str | None = Field(default=None, max_length=150, description="Needed for a refusal")
    encounter: uuid.UUID | None = None


class CareAlertIn(Schema):
    kind: CareAlertKind
    instruction: str = Field(default="", max_length=300, description="Default: the kind's own")
    level: str = Field(default="", max_length=20, description="Suicide watch: observation level")
    until: dt.datetime | None = None


class BreakGlassIn(Schema):
    booking: str = Field(max_length=32, description="The booking number")
    reason: str = Field(max_length=500, description="The emergency")


class ReviewIn(Schema):
    note: str = Field(max_length=500)


class MedicalLeadIn(Schema):
    username: str | None = Field(max_length=150, description="A medic; null: every medic")


# --- Building answers -------------------------------------------------------------------------


def _id(obj: Any) -> uuid.UUID | None:
    return obj.public_id if obj is not None else None


def note_out(note: ClinicalNote) -> NoteOut:
    return NoteOut(
        id=note.public_id, written_at=note.written_at, author=name_of(note.author),
        text=note.text, encounter=_id(note.encounter), amends=_id(note.amends),
    )  # fmt: skip


def vitals_out(vitals: VitalSigns) -> VitalsOut:
    temperature = vitals.temperature_c
    return VitalsOut(
        id=vitals.public_id, taken_at=vitals.taken_at, taken_by=name_of(vitals.taken_by),
        encounter=_id(vitals.encounter), systolic=vitals.systolic, diastolic=vitals.diastolic,
        pulse=vitals.pulse, respiration=vitals.respiration,
        temperature_c=float(temperature) if temperature is not None else None,
        spo2=vitals.spo2, pain=vitals.pain,
    )  # fmt: skip


def injury_out(injury: Injury) -> InjuryOut:
    return InjuryOut(
        id=injury.public_id, booking_number=injury.booking.booking_number,
        location=BodyLocation(injury.location), location_label=injury.get_location_display(),
        description=injury.description, status=InjuryStatus(injury.status),
        recorded_at=injury.recorded_at, recorded_by=name_of(injury.recorded_by),
        updated_at=injury.updated_at, updated_by=name_of(injury.updated_by),
        encounter=_id(injury.encounter), updated_in=_id(injury.updated_in),
    )  # fmt: skip


def warning_out(warning: SchedulingWarning) -> WarningOut:
    """One scheduling warning: asked for before scheduling, or kept on the encounter."""
    return WarningOut(
        code=warning.code, message=warning.message,
        needs_acknowledgement=warning.needs_acknowledgement,
    )  # fmt: skip


def _encounter_fields(encounter: Encounter, *, clinical: bool = False) -> dict[str, Any]:
    booking = encounter.booking
    return dict(
        id=encounter.public_id, facility=booking.facility.public_id,
        booking_number=booking.booking_number, person=booking.person.full_name,
        kind=EncounterKind(encounter.kind), kind_label=encounter.get_kind_display(),
        status=EncounterStatus(encounter.status), status_label=encounter.get_status_display(),
        provider=encounter.provider.get_username(), provider_name=str(encounter.provider),
        scheduled_for=encounter.scheduled_for, scheduled_at=encounter.scheduled_at,
        scheduled_by=name_of(encounter.scheduled_by), place=EncounterPlace(encounter.place),
        place_label=encounter.get_place_display(),
        cell=encounter.cell.code if encounter.cell is not None else None,
        place_detail=encounter.place_detail,
        warnings=[warning_out(w) for w in _warnings_for(encounter, clinical)],
        acknowledged_by=name_of(encounter.acknowledged_by),
        acknowledged_at=encounter.acknowledged_at,
        acknowledgement_note=encounter.acknowledgement_note, started_at=encounter.started_at,
        ended_at=encounter.ended_at, cancel_reason=encounter.cancel_reason,
        door_events=[event.public_id for event in encounter.door_events.all()],
    )  # fmt: skip


def _warnings_for(encounter: Encounter, clinical: bool) -> list[SchedulingWarning]:
    warnings = stored_warnings(encounter.warnings)
    return warnings if clinical else custody_warnings(warnings)


def encounter_out(encounter: Encounter) -> EncounterOut:
    """The custody view: who, when, where; never a clinical field."""
    return EncounterOut(**_encounter_fields(encounter))


def encounter_clinical_out(encounter: Encounter) -> EncounterClinicalOut:
    """The whole encounter: only once the caller passed ``clinical_access`` (and is audited)."""
    return EncounterClinicalOut(
        **_encounter_fields(encounter, clinical=True), reason=encounter.reason,
        findings=encounter.findings, treatment=encounter.treatment, follow_up=encounter.follow_up,
        follow_up_due=encounter.follow_up_due, notes=[note_out(n) for n in encounter.notes.all()],
        vitals=[vitals_out(v) for v in encounter.vitals.all()],
        injuries=[injury_out(i) for i in encounter.injuries.all()],
    )  # fmt: skip


def _sick_call_fields(sick_call: SickCall) -> dict[str, Any]:
    booking = sick_call.booking
    return dict(
        id=sick_call.public_id, facility=booking.facility.public_id,
        booking_number=booking.booking_number, person=booking.person.full_name,
        filed_at=sick_call.filed_at, filed_by=name_of(sick_call.filed_by),
        via=SickCallVia(sick_call.via), urgency=SickCallUrgency(sick_call.urgency),
        urgency_label=sick_call.get_urgency_display(), status=SickCallStatus(sick_call.status),
        status_label=sick_call.get_status_display(), triaged_at=sick_call.triaged_at,
        triaged_by=name_of(sick_call.triaged_by), encounter=_id(sick_call.encounter),
        closed_at=sick_call.closed_at, closed_by=name_of(sick_call.closed_by),
    )  # fmt: skip


def sick_call_out(sick_call: SickCall) -> SickCallOut:
    """The custody view: filed when, by whom, how urgent, where it stands; no complaint."""
    return SickCallOut(**_sick_call_fields(sick_call))


def sick_call_clinical_out(sick_call: SickCall) -> SickCallClinicalOut:
    """With the complaint: only once the caller passed ``clinical_access`` (and is audited)."""
    return SickCallClinicalOut(
        **_sick_call_fields(sick_call), complaint=sick_call.complaint,
        close_reason=sick_call.close_reason,
    )  # fmt: skip


def care_alert_out(alert: CareAlert, booking: Booking | None = None) -> CareAlertOut:
    booking = booking or alert.booking
    return CareAlertOut(
        id=alert.public_id, booking_number=booking.booking_number,
        person=booking.person.full_name, kind=CareAlertKind(alert.kind),
        kind_label=alert.get_kind_display(), level=alert.level, instruction=alert.instruction,
        set_at=alert.set_at, set_by=name_of(alert.set_by), until=alert.until,
        ended_at=alert.ended_at, ended_by=name_of(alert.ended_by), end_reason=alert.end_reason,
    )  # fmt: skip


def screening_state_out(screening: ReceivingScreening) -> ScreeningStateOut:
    return ScreeningStateOut(
        id=screening.public_id, screened_at=screening.screened_at,
        screened_by=name_of(screening.screened_by), outcome=ScreeningOutcome(screening.outcome),
    )  # fmt: skip


def screening_out(screening: ReceivingScreening, booking: Booking) -> ScreeningOut:
    return ScreeningOut(
        id=screening.public_id, booking_number=booking.booking_number,
        screened_at=screening.screened_at, screened_by=name_of(screening.screened_by),
        outcome=ScreeningOutcome(screening.outcome), answers=dict(screening.answers),
        referral=screening.referral, withdrawal_risk=screening.withdrawal_risk,
        suicide_risk=screening.suicide_risk, notes=screening.notes,
        care_alerts=[care_alert_out(a, booking) for a in screening.care_alerts.all()],
    )  # fmt: skip


def consent_out(record: ConsentRecord) -> ConsentOut:
    return ConsentOut(
        id=record.public_id, booking_number=record.booking.booking_number,
        decision=ConsentDecision(record.decision), scope=ConsentScope(record.scope),
        treatment=record.treatment, except_provider=name_of(record.except_provider),
        statement=record.statement, person_signed=record.person_signed,
        recorded_at=record.recorded_at, recorded_by=name_of(record.recorded_by),
        witness=name_of(record.witness), encounter=_id(record.encounter),
        withdrawn_at=record.withdrawn_at, withdrawn_by=name_of(record.withdrawn_by),
        withdrawal_reason=record.withdrawal_reason,
    )  # fmt: skip


def break_glass_out(access: BreakGlass, now: dt.datetime) -> BreakGlassOut:
    return BreakGlassOut(
        id=access.public_id, facility=access.facility.public_id,
        booking_number=access.booking.booking_number, person=access.booking.person.full_name,
        opened_by=access.opened_by.get_username(), opened_at=access.opened_at,
        expires_at=access.expires_at, closed_at=access.closed_at,
        active=access.closed_at is None and access.opened_at <= now < access.expires_at,
        reason=access.reason, reviewed_at=access.reviewed_at,
        reviewed_by=name_of(access.reviewed_by), review_note=access.review_note,
    )  # fmt: skip


# --- The clinical gate ------------------------------------------------------------------------


# What an operation that answers either view declares: the clinical view first, so that
# it is the one chosen for a clinical answer (an exact match of its class).
EncounterAnswer = EncounterClinicalOut | EncounterOut
SickCallAnswer = SickCallClinicalOut | SickCallOut


def _gated(
    user: User,
    booking: Booking,
    section: str,
    obj: models.Model,
    clinical: Callable[[], C],
    custody: Callable[[], K],
) -> C | K:
    """The ``clinical`` answer for a reader ``clinical_access`` lets in, and that read audited;
    the ``custody`` answer for anyone else."""
    allowed, access = clinical_access_or_none(user=user, booking=booking)
    if not allowed:
        return custody()
    clinical_read_audit(user=user, booking=booking, section=section, access=access, obj=obj)
    return clinical()


def encounter_answer(user: User, encounter: Encounter) -> EncounterClinicalOut | EncounterOut:
    """The whole encounter for those who may read it (audited), else the custody view."""
    return _gated(
        user, encounter.booking, "encounter", encounter,
        lambda: encounter_clinical_out(encounter), lambda: encounter_out(encounter),
    )  # fmt: skip


def sick_call_answer(user: User, sick_call: SickCall) -> SickCallClinicalOut | SickCallOut:
    """The sick call with the complaint for those who may read it (audited), else without."""
    return _gated(
        user, sick_call.booking, "sick_call", sick_call,
        lambda: sick_call_clinical_out(sick_call), lambda: sick_call_out(sick_call),
    )  # fmt: skip


def clinical_answer(user: User, booking: Booking, section: str, obj: Any = None) -> None:
    """Check the caller may read clinical text of ``booking`` (403 otherwise) and audit the read."""
    access = clinical_access(user=user, booking=booking)
    clinical_read_audit(user=user, booking=booking, section=section, access=access, obj=obj)
