"""Medical API: encounters, clinical notes, vitals, injuries, the sick-call queue and consent.

Custody staff (``medical.view``) list the day's encounters and the sick-call
queue and read one encounter: who, when, where, status, with ``clinical``
null.  Medical staff (and a commander by an open break-glass, for that
person) get the clinical part, and each such answer is an audited read.

Scheduling answers the warnings (a refusal on record, a staff conflict);
a provider who is the person's alleged victim leaves the encounter awaiting
a supervisor's acknowledgement (409 ``acknowledgement_required`` on start).
An encounter in the cell needs the provider to hold a cell-entry grant
(409 ``no_cell_entry``).  Any member of staff who files requests may put a
person in the sick-call queue; the answer then leaves the complaint out
unless they read clinical records.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from ninja import Router, Status

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.booking.selectors import bookings_for_user
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.api.movements import staff_named
from cellblock.custody.schedule import day_bounds, local_date
from cellblock.facilities.selectors import cell_get_for_user
from cellblock.medical.api.schemas import (
    AcknowledgeIn,
    AtIn,
    CheckIn,
    CompleteIn,
    ConsentIn,
    ConsentOut,
    EncounterAnswer,
    EncounterClinicalOut,
    EncounterIn,
    EncounterOut,
    InjuryIn,
    InjuryOut,
    InjuryPatchIn,
    NoteIn,
    NoteOut,
    ReasonIn,
    RefuseIn,
    SickCallAnswer,
    SickCallClinicalOut,
    SickCallIn,
    SickCallOut,
    TriageIn,
    VitalsIn,
    VitalsOut,
    WarningOut,
    booking_in_body,
    booking_seen,
    clinical_answer,
    consent_out,
    encounter_answer,
    encounter_out,
    facility_chosen,
    injury_out,
    named_in_body,
    note_out,
    sick_call_answer,
    sick_call_clinical_out,
    sick_call_out,
    staff_of,
    vitals_out,
    warning_out,
)
from cellblock.medical.models import ClinicalNote, Encounter, EncounterStatus, SickCall
from cellblock.medical.selectors.clinic import encounters_between, sick_call_queue
from cellblock.medical.selectors.record import (
    consent_get_for_user,
    encounter_get_for_user,
    injury_get_for_user,
    sick_call_get_for_user,
)
from cellblock.medical.services.access import clinical_list_read_audit, reads_clinical
from cellblock.medical.services.consent import consent_record, consent_withdraw
from cellblock.medical.services.encounters import (
    clinical_note_add,
    encounter_acknowledge,
    encounter_cancel,
    encounter_complete,
    encounter_refuse,
    encounter_schedule,
    encounter_start,
    encounter_warnings,
    injury_record,
    injury_update,
    vitals_record,
)
from cellblock.medical.services.sick_calls import sick_call_close, sick_call_file, sick_call_triage

router = Router()

NO_NOTE = "there is no clinical note with id {id} in the records you see."


def _encounter_in_body(
    user: User, encounter_id: uuid.UUID | None, field: str = "encounter"
) -> Encounter | None:
    if encounter_id is None:
        return None
    return named_in_body(field, lambda: encounter_get_for_user(user, encounter_id))


def _answer(user: User, encounter: Encounter) -> EncounterClinicalOut | EncounterOut:
    return encounter_answer(user, encounter_get_for_user(user, encounter.public_id))


def _encounter_step(
    request: HttpRequest, encounter_id: uuid.UUID, step: Callable[[User, Encounter], object]
) -> EncounterClinicalOut | EncounterOut:
    """Run one step of an encounter the caller sees; answer it as it stands afterwards."""
    user = acting_user(request)
    encounter = encounter_get_for_user(user, encounter_id)
    step(user, encounter)
    return _answer(user, encounter)


def _sick_call_step(
    request: HttpRequest, sick_call_id: uuid.UUID, step: Callable[[User, SickCall], object]
) -> SickCallClinicalOut | SickCallOut:
    """Run one step of a sick call the caller sees; answer it as it stands afterwards."""
    user = acting_user(request)
    step(user, sick_call_get_for_user(user, sick_call_id))
    return sick_call_answer(user, sick_call_get_for_user(user, sick_call_id))


def _provider(booking: Booking, username: str) -> User:
    return staff_named(booking.facility, username, "provider")


# --- Encounters -------------------------------------------------------------------------------


@router.get("/encounters", response=list[EncounterOut], auth=api_requires(Perm.MEDICAL_VIEW))
def list_encounters(
    request: HttpRequest,
    facility: uuid.UUID | None = None,
    date: dt.date | None = None,
    status: EncounterStatus | None = None,
) -> list[EncounterOut]:
    """One facility-local day's encounters in time order (default today): who, when, where."""
    user = acting_user(request)
    chosen = facility_chosen(user, facility, Perm.MEDICAL_VIEW)
    day = date or local_date(clock.now(), chosen.timezone)
    start, end = day_bounds(day, chosen.timezone)
    found = encounters_between(chosen, start, end, [status] if status else None)
    # The selector joins who and where; the answer also names who scheduled and acknowledged.
    prefetch_related_objects(found, "scheduled_by", "acknowledged_by", "door_events")
    for encounter in found:
        encounter.booking.facility = chosen
    # The day's list is custody's: never the clinical part, whoever asks.
    return [encounter_out(encounter) for encounter in found]


@router.post(
    "/encounters", response={201: EncounterAnswer}, auth=api_requires(Perm.CLINICAL_RECORD)
)
def schedule(request: HttpRequest, payload: EncounterIn) -> Status[EncounterAnswer]:
    """Book a provider to see the person; the warnings come back (and stay on the encounter)."""
    user = acting_user(request)
    booking = booking_in_body(user, payload.booking)
    cell_id, sick_call_id = payload.cell, payload.sick_call
    cell = (
        named_in_body("cell", lambda: cell_get_for_user(user, cell_id, Perm.MEDICAL_VIEW))
        if cell_id is not None
        else None
    )
    sick_call = (
        named_in_body("sick_call", lambda: sick_call_get_for_user(user, sick_call_id))
        if sick_call_id is not None
        else None
    )
    scheduled = encounter_schedule(
        actor=user, booking=booking, kind=payload.kind,
        provider=_provider(booking, payload.provider), scheduled_for=payload.scheduled_for,
        place=payload.place, cell=cell, place_detail=payload.place_detail,
        reason=payload.reason, sick_call=sick_call,
    )  # fmt: skip
    # The warnings are stored on the encounter: the answer carries them.
    return Status(201, _answer(user, scheduled.encounter))


@router.post(
    "/encounters/check", response=list[WarningOut], auth=api_requires(Perm.CLINICAL_RECORD)
)
def check(request: HttpRequest, payload: CheckIn) -> list[WarningOut]:
    """What scheduling this provider (for this treatment) would run into, before scheduling."""
    user = acting_user(request)
    booking = booking_in_body(user, payload.booking)
    warnings = encounter_warnings(
        actor=user, booking=booking, provider=_provider(booking, payload.provider),
        treatment=payload.treatment,
    )  # fmt: skip
    # The warnings come from the consent records: reading them is a read of the record.
    clinical_answer(user, booking, "scheduling_warnings")
    return [warning_out(w) for w in warnings]


@router.get(
    "/encounters/{uuid:encounter_id}", response=EncounterAnswer,
    auth=api_requires(Perm.MEDICAL_VIEW),
)  # fmt: skip
def get_encounter(
    request: HttpRequest, encounter_id: uuid.UUID
) -> EncounterClinicalOut | EncounterOut:
    """Custody see who, when, where; medical staff and an open break-glass the rest (audited)."""
    user = acting_user(request)
    return encounter_answer(user, encounter_get_for_user(user, encounter_id))


@router.post(
    "/encounters/{uuid:encounter_id}/acknowledge", response=EncounterAnswer,
    auth=api_requires(Perm.MEDICAL_CONFLICT_ACKNOWLEDGE),
)  # fmt: skip
def acknowledge(
    request: HttpRequest, encounter_id: uuid.UUID, payload: AcknowledgeIn
) -> EncounterClinicalOut | EncounterOut:
    """A supervisor (not the provider) lets an encounter with the alleged victim go ahead."""
    return _encounter_step(
        request, encounter_id,
        lambda user, encounter: encounter_acknowledge(
            actor=user, encounter=encounter, note=payload.note
        ),
    )  # fmt: skip


@router.post(
    "/encounters/{uuid:encounter_id}/start", response=EncounterAnswer,
    auth=api_requires(Perm.CLINICAL_RECORD),
)  # fmt: skip
def start(
    request: HttpRequest, encounter_id: uuid.UUID, payload: AtIn | None = None
) -> EncounterClinicalOut | EncounterOut:
    """The provider starts it; in the cell only with a cell-entry grant in force."""
    at = payload.at if payload else None
    return _encounter_step(
        request, encounter_id,
        lambda user, encounter: encounter_start(actor=user, encounter=encounter, at=at),
    )  # fmt: skip


@router.post(
    "/encounters/{uuid:encounter_id}/complete", response=EncounterAnswer,
    auth=api_requires(Perm.CLINICAL_RECORD),
)  # fmt: skip
def complete(
    request: HttpRequest, encounter_id: uuid.UUID, payload: CompleteIn
) -> EncounterClinicalOut | EncounterOut:
    """Findings (required), treatment and follow-up; the sick call it answers is seen."""
    return _encounter_step(
        request, encounter_id,
        lambda user, encounter: encounter_complete(
            actor=user, encounter=encounter, findings=payload.findings,
            treatment=payload.treatment, follow_up=payload.follow_up,
            follow_up_due=payload.follow_up_due, at=payload.at,
        ),
    )  # fmt: skip


@router.post(
    "/encounters/{uuid:encounter_id}/cancel", response=EncounterAnswer,
    auth=api_requires(Perm.CLINICAL_RECORD),
)  # fmt: skip
def cancel(
    request: HttpRequest, encounter_id: uuid.UUID, payload: ReasonIn
) -> EncounterClinicalOut | EncounterOut:
    """Not going ahead (the reason is custody's to see); its sick call goes back to the queue."""
    return _encounter_step(
        request, encounter_id,
        lambda user, encounter: encounter_cancel(
            actor=user, encounter=encounter, reason=payload.reason
        ),
    )  # fmt: skip


@router.post(
    "/encounters/{uuid:encounter_id}/refuse", response=EncounterAnswer,
    auth=api_requires(Perm.CLINICAL_RECORD),
)  # fmt: skip
def refuse(
    request: HttpRequest, encounter_id: uuid.UUID, payload: RefuseIn
) -> EncounterClinicalOut | EncounterOut:
    """The person refused it when it came: a refusal signed by the recorder and a witness."""
    return _encounter_step(
        request, encounter_id,
        lambda user, encounter: encounter_refuse(
            actor=user, encounter=encounter,
            witness=staff_named(encounter.booking.facility, payload.witness, "witness"),
            statement=payload.statement, person_signed=payload.person_signed,
        ),
    )  # fmt: skip


# --- Notes, vitals, injuries ------------------------------------------------------------------


@router.post(
    "/bookings/{booking_number}/notes", response={201: NoteOut},
    auth=api_requires(Perm.CLINICAL_RECORD),
)  # fmt: skip
def add_note(request: HttpRequest, booking_number: str, payload: NoteIn) -> Status[NoteOut]:
    """A note in the record; a correction is a new note that ``amends`` the old one."""
    user = acting_user(request)
    booking = booking_seen(user, booking_number)
    amends = None
    if payload.amends is not None:
        amends = ClinicalNote.objects.filter(
            public_id=payload.amends, booking__in=bookings_for_user(user)
        ).first()
        if amends is None:
            raise ValidationFailed.for_fields({"amends": [NO_NOTE.format(id=payload.amends)]})
    note = clinical_note_add(
        actor=user, booking=booking, text=payload.text,
        encounter=_encounter_in_body(user, payload.encounter), amends=amends,
    )  # fmt: skip
    clinical_answer(user, booking, "note", note)
    return Status(201, note_out(note))


@router.post(
    "/bookings/{booking_number}/vitals", response={201: VitalsOut},
    auth=api_requires(Perm.CLINICAL_RECORD),
)  # fmt: skip
def add_vitals(request: HttpRequest, booking_number: str, payload: VitalsIn) -> Status[VitalsOut]:
    """Vital signs: at least one value, each in its range."""
    user = acting_user(request)
    booking = booking_seen(user, booking_number)
    vitals = vitals_record(
        actor=user, booking=booking,
        encounter=_encounter_in_body(user, payload.encounter),
        taken_at=payload.taken_at, systolic=payload.systolic, diastolic=payload.diastolic,
        pulse=payload.pulse, respiration=payload.respiration,
        temperature_c=payload.temperature_c, spo2=payload.spo2, pain=payload.pain,
    )  # fmt: skip
    clinical_answer(user, booking, "vitals", vitals)
    return Status(201, vitals_out(vitals))


@router.post(
    "/bookings/{booking_number}/injuries", response={201: InjuryOut},
    auth=api_requires(Perm.CLINICAL_RECORD),
)  # fmt: skip
def add_injury(request: HttpRequest, booking_number: str, payload: InjuryIn) -> Status[InjuryOut]:
    """An injury and where it is on the body."""
    user = acting_user(request)
    booking = booking_seen(user, booking_number)
    injury = injury_record(
        actor=user, booking=booking, location=payload.location, description=payload.description,
        status=payload.status, encounter=_encounter_in_body(user, payload.encounter),
    )  # fmt: skip
    clinical_answer(user, booking, "injury", injury)
    return Status(201, injury_out(injury_get_for_user(user, injury.public_id)))


@router.patch(
    "/injuries/{uuid:injury_id}", response=InjuryOut, auth=api_requires(Perm.CLINICAL_RECORD)
)
def update_injury(request: HttpRequest, injury_id: uuid.UUID, payload: InjuryPatchIn) -> InjuryOut:
    """Its status as an encounter finds it (treated, healing, healed)."""
    user = acting_user(request)
    injury = injury_get_for_user(user, injury_id)
    booking = injury.booking
    injury_update(
        actor=user, injury=injury, status=payload.status,
        encounter=_encounter_in_body(user, payload.encounter),
    )  # fmt: skip
    clinical_answer(user, booking, "injury", injury)
    return injury_out(injury_get_for_user(user, injury_id))


# --- Sick calls -------------------------------------------------------------------------------


@router.get("/sick-calls", response=list[SickCallAnswer], auth=api_requires(Perm.MEDICAL_VIEW))
def list_sick_calls(
    request: HttpRequest, facility: uuid.UUID | None = None
) -> list[SickCallClinicalOut] | list[SickCallOut]:
    """The queue: emergencies first, then urgent, untriaged, routine; in the order filed.

    The complaints are shown to medical staff of the facility only, and that
    read is one audit event naming whose complaints were shown.
    """
    user = acting_user(request)
    chosen = facility_chosen(user, facility, Perm.MEDICAL_VIEW)
    queue = sick_call_queue(chosen)
    prefetch_related_objects(queue, "filed_by", "triaged_by", "closed_by")
    for sick_call in queue:
        sick_call.booking.facility = chosen
    if not reads_clinical(user, chosen.pk):
        return [sick_call_out(sick_call) for sick_call in queue]
    clinical_list_read_audit(
        user=user, facility=chosen, section="sick_call_queue",
        bookings=[sick_call.booking for sick_call in queue],
    )  # fmt: skip
    return [sick_call_clinical_out(sick_call) for sick_call in queue]


@router.post("/sick-calls", response={201: SickCallAnswer}, auth=api_requires(Perm.REQUEST_FILE))
def file_sick_call(request: HttpRequest, payload: SickCallIn) -> Status[SickCallAnswer]:
    """Put the person in the queue; the answer carries the complaint only for medical staff."""
    user = acting_user(request)
    booking = booking_in_body(user, payload.booking)
    filed = sick_call_file(
        actor=user, booking=booking, complaint=payload.complaint, via=payload.via,
        filed_at=payload.filed_at,
    )  # fmt: skip
    return Status(201, sick_call_answer(user, sick_call_get_for_user(user, filed.public_id)))


@router.post(
    "/sick-calls/{uuid:sick_call_id}/triage", response=SickCallAnswer,
    auth=api_requires(Perm.CLINICAL_RECORD),
)  # fmt: skip
def triage(
    request: HttpRequest, sick_call_id: uuid.UUID, payload: TriageIn
) -> SickCallClinicalOut | SickCallOut:
    """How soon medical staff must see the person."""
    return _sick_call_step(
        request, sick_call_id,
        lambda user, sick_call: sick_call_triage(
            actor=user, sick_call=sick_call, urgency=payload.urgency
        ),
    )  # fmt: skip


@router.post(
    "/sick-calls/{uuid:sick_call_id}/close", response=SickCallAnswer,
    auth=api_requires(Perm.CLINICAL_RECORD),
)  # fmt: skip
def close_sick_call(
    request: HttpRequest, sick_call_id: uuid.UUID, payload: ReasonIn
) -> SickCallClinicalOut | SickCallOut:
    """Closed without an encounter: resolved, withdrawn, released."""
    return _sick_call_step(
        request, sick_call_id,
        lambda user, sick_call: sick_call_close(
            actor=user, sick_call=sick_call, reason=payload.reason
        ),
    )  # fmt: skip


# --- Consent and refusal ----------------------------------------------------------------------


@router.post(
    "/bookings/{booking_number}/consents", response={201: ConsentOut},
    auth=api_requires(Perm.CLINICAL_RECORD),
)  # fmt: skip
def record_consent(
    request: HttpRequest, booking_number: str, payload: ConsentIn
) -> Status[ConsentOut]:
    """Consent or refusal, general ("every provider except X") or for one treatment.

    A refusal needs a witness who is not the recorder; a new general record
    supersedes the open general ones.
    """
    user = acting_user(request)
    booking = booking_seen(user, booking_number)
    record = consent_record(
        actor=user, booking=booking, decision=payload.decision, scope=payload.scope,
        treatment=payload.treatment,
        except_provider=staff_of(booking, payload.except_provider, "except_provider"),
        statement=payload.statement, person_signed=payload.person_signed,
        witness=staff_of(booking, payload.witness, "witness"),
        encounter=_encounter_in_body(user, payload.encounter),
    )  # fmt: skip
    clinical_answer(user, booking, "consent", record)
    return Status(201, consent_out(consent_get_for_user(user, record.public_id)))


@router.post(
    "/consents/{uuid:consent_id}/withdraw", response=ConsentOut,
    auth=api_requires(Perm.CLINICAL_RECORD),
)  # fmt: skip
def withdraw_consent(request: HttpRequest, consent_id: uuid.UUID, payload: ReasonIn) -> ConsentOut:
    user = acting_user(request)
    record = consent_get_for_user(user, consent_id)
    consent_withdraw(actor=user, record=record, reason=payload.reason)
    clinical_answer(user, record.booking, "consent", record)
    return consent_out(consent_get_for_user(user, consent_id))
