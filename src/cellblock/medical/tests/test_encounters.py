"""Encounters, case file 3: Sasuke refuses every medic but Sakura, his alleged victim."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cellblock.accounts.services import membership_grant
from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_transition
from cellblock.classification.services import staff_conflict_create, staff_conflict_end
from cellblock.core import clock as core_clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Role
from cellblock.custody.models import DoorAction
from cellblock.custody.services.access import (
    door_event_record,
    entry_grant_issue,
    zone_access_set,
)
from cellblock.custody.services.restraints import current_cell
from cellblock.medical.models import (
    ClinicalNote,
    ConsentDecision,
    ConsentRecord,
    Encounter,
    EncounterStatus,
    InjuryStatus,
    SickCallStatus,
    VitalSigns,
)
from cellblock.medical.selectors.clinic import encounters_awaiting_acknowledgement
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
from cellblock.medical.services.sick_calls import sick_call_file

# Time stands still on 14 March 2026 from the first fixture on.
pytestmark = [pytest.mark.usefixtures("clock"), pytest.mark.django_db]

# Clinical text written in these tests: none of it may reach the audit trail.
SECRETS = (
    "FACIAL-WOUNDS", "HEALED-NICELY", "DRESSING-CHANGED", "SEE-AGAIN", "NOTE-TEXT",
    "CUT-ON-CHEEK", "HEADACHE-SLIP",
)  # fmt: skip


@pytest.fixture
def held(admit):
    """Sasuke Uchiha as an adult: the test jail has adult units only (conftest's is 15)."""
    return admit(born=dt.date(1996, 7, 23))


@pytest.fixture
def sakura(staff_factory):
    return staff_factory("sakura_haruno", Role.MEDICAL)


@pytest.fixture
def shizune(staff_factory):
    """The supervisor on duty: she acknowledges conflicts and grants cell entry."""
    return staff_factory("shizune", Role.SUPERVISOR)


@pytest.fixture
def hiroki(staff_factory):
    return staff_factory("hiroki", Role.OFFICER)


@pytest.fixture
def victim_conflict(site, held, sakura, clock):
    return staff_conflict_create(
        actor=None, facility=site.facility, person=held.person, staff=sakura,
        kind="alleged_victim", reason="Attempted murder charge",
    )  # fmt: skip


@pytest.fixture
def only_sakura(held, medic, sakura, witness, clock):
    """Sasuke refuses every medic except Sakura."""
    return consent_record(
        actor=medic, booking=held, decision="refusal", scope="general", except_provider=sakura,
        witness=witness, statement="Wants nobody else near him.",
    )  # fmt: skip


@pytest.fixture
def schedule(held, medic):
    def make(provider, **kwargs):
        values = {
            "kind": "treatment", "scheduled_for": core_clock.now() + dt.timedelta(hours=1),
            "place": "clinic", **kwargs,
        }  # fmt: skip
        return encounter_schedule(actor=medic, booking=held, provider=provider, **values)

    return make


@pytest.fixture
def with_sakura(schedule, sakura, victim_conflict, only_sakura):
    return schedule(sakura).encounter


@pytest.fixture
def medics_kept_out(site):
    """Block A lets custody staff in, not medical staff: a medic needs a grant."""
    zone_access_set(actor=None, zone=site.zone, roles=["commander", "officer", "supervisor"])


def started(encounter, actor):
    return encounter_start(actor=actor, encounter=encounter)


def audited(action):
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


# --- Scheduling and its warnings -------------------------------------------------------


def test_scheduling_another_medic_warns_that_he_refuses_all_but_sakura(
    schedule, second_medic, only_sakura
):
    scheduled = schedule(second_medic)

    [warning] = scheduled.warnings
    assert warning.code == "provider_refused"
    assert warning.message == (
        "Sasuke Uchiha refuses every provider except Sakura Haruno (refusal recorded "
        "14 Mar 2026): expect him to refuse Mina Medic."
    )
    assert scheduled.encounter.status == EncounterStatus.SCHEDULED
    assert scheduled.encounter.warnings == [warning.as_dict()]


def test_scheduling_sakura_waits_for_a_supervisors_acknowledgement(
    schedule, sakura, victim_conflict, only_sakura, site
):
    scheduled = schedule(sakura)

    [warning] = scheduled.warnings
    assert warning.code == "staff_victim_conflict"
    assert warning.needs_acknowledgement
    assert warning.message == (
        "Sakura Haruno is the alleged victim of Sasuke Uchiha (staff conflict recorded "
        "14 Mar 2026): a supervisor must acknowledge before the encounter goes ahead."
    )
    encounter = scheduled.encounter
    assert encounter.status == EncounterStatus.AWAITING_ACKNOWLEDGEMENT
    assert encounter.conflict == victim_conflict
    assert encounters_awaiting_acknowledgement(site.facility) == [encounter]


def test_the_warnings_are_there_to_ask_before_anything_is_scheduled(
    held, medic, second_medic, sakura, victim_conflict, only_sakura
):
    assert [w.code for w in encounter_warnings(actor=medic, booking=held, provider=sakura)] == [
        "staff_victim_conflict"
    ]
    assert [
        w.code for w in encounter_warnings(actor=medic, booking=held, provider=second_medic)
    ] == ["provider_refused"]
    assert not Encounter.objects.exists()


def test_asking_for_the_warnings_is_for_medical_staff(held, commander, sakura):
    with pytest.raises(PermissionDenied) as refused:
        encounter_warnings(actor=commander, booking=held, provider=sakura)

    assert refused.value.code == "missing_role"


def test_a_family_conflict_warns_without_holding_the_encounter(schedule, site, held, second_medic):
    staff_conflict_create(
        actor=None, facility=site.facility, person=held.person, staff=second_medic,
        kind="family", reason="Cousins",
    )  # fmt: skip

    scheduled = schedule(second_medic)

    assert [w.code for w in scheduled.warnings] == ["staff_conflict"]
    assert scheduled.encounter.status == EncounterStatus.SCHEDULED
    assert scheduled.encounter.conflict is None


def test_an_ended_conflict_no_longer_holds_the_encounter(schedule, site, sakura, victim_conflict):
    staff_conflict_end(
        actor=None, facility=site.facility, conflict=victim_conflict, reason="Charges dropped"
    )

    scheduled = schedule(sakura)

    assert scheduled.warnings == []
    assert scheduled.encounter.status == EncounterStatus.SCHEDULED


def test_a_withdrawn_refusal_no_longer_warns(schedule, medic, second_medic, only_sakura):
    consent_withdraw(actor=medic, record=only_sakura, reason="He changed his mind.")

    assert schedule(second_medic).warnings == []


def test_scheduling_is_for_medical_staff_not_the_commander(held, commander, medic):
    with pytest.raises(PermissionDenied) as refused:
        encounter_schedule(
            actor=commander, booking=held, kind="treatment", provider=medic,
            scheduled_for=core_clock.now(), place="clinic",
        )  # fmt: skip

    assert refused.value.code == "missing_role"
    assert "medical staff" in refused.value.message


def test_the_provider_must_be_medical_staff_of_the_facility(schedule, officer, clock):
    with pytest.raises(ValidationFailed) as refused:
        schedule(officer)

    assert refused.value.extra["fields"]["provider"] == [
        "Olly Officer does not record clinical care at Test Jail: choose a provider from the "
        "medical staff."
    ]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "massage"}, "kind"),
        ({"place": "garden"}, "place"),
        ({"place": "other"}, "place_detail"),
        ({"scheduled_for": dt.datetime(2026, 3, 15, 9, 0)}, "scheduled_for"),  # noqa: DTZ001 (naive on purpose)
    ],
)
def test_scheduling_names_each_bad_field(schedule, medic, values, field, clock):
    with pytest.raises(ValidationFailed) as refused:
        schedule(medic, **values)

    assert field in refused.value.extra["fields"]


def test_an_encounter_in_the_cell_is_held_in_the_persons_own_cell(schedule, held, medic, site):
    encounter = schedule(medic, place="cell").encounter

    assert encounter.cell == current_cell(held)
    other = next(cell for cell in site.cells if cell != encounter.cell)
    with pytest.raises(ValidationFailed) as refused:
        schedule(medic, place="cell", cell=other)
    assert refused.value.extra["fields"]["cell"] == [
        f"Sasuke Uchiha is housed in cell {encounter.cell.code}, not {other.code}: an "
        "encounter in the cell is held in the person's own cell."
    ]


def test_someone_without_a_cell_is_seen_elsewhere(admit, medic, clock):
    naruto = admit("Uzumaki", given_name="Naruto", born=dt.date(1996, 10, 10), housed=False)

    with pytest.raises(ValidationFailed) as refused:
        encounter_schedule(
            actor=medic, booking=naruto, kind="treatment", provider=medic,
            scheduled_for=core_clock.now(), place="cell",
        )  # fmt: skip

    assert refused.value.extra["fields"]["cell"] == [
        "Naruto Uzumaki has no cell at the moment: see him in the clinic or elsewhere."
    ]


def test_a_released_person_gets_no_new_encounters(schedule, held, medic, clock):
    booking_transition(actor=None, booking=held, to="released", release_type="bail")

    with pytest.raises(Conflict) as refused:
        schedule(medic)

    assert refused.value.code == "booking_closed"
    assert refused.value.message.startswith("Sasuke Uchiha (")
    assert "is no longer held: encounters are scheduled only while the booking is open." in (
        refused.value.message
    )


# --- The acknowledgement ---------------------------------------------------------------


def test_a_supervisor_acknowledges_and_the_encounter_is_scheduled(with_sakura, shizune):
    note = "Officer Hiroki stays at the door throughout."
    encounter = encounter_acknowledge(actor=shizune, encounter=with_sakura, note=note)

    assert encounter.status == EncounterStatus.SCHEDULED
    assert encounter.acknowledged_by == shizune
    assert encounter.acknowledgement_note == note
    event = audited("encounter.acknowledge")
    assert event.actor == shizune
    assert event.reason == note
    assert event.changes["status"] == ["awaiting_ack", "scheduled"]
    assert event.changes["provider"] == "sakura_haruno"


def test_the_provider_cannot_acknowledge_her_own_conflict(with_sakura, sakura, site):
    membership_grant(actor=None, user=sakura, facility=site.facility, role=Role.SUPERVISOR)
    sakura.forget_roles()

    with pytest.raises(PermissionDenied) as refused:
        encounter_acknowledge(actor=sakura, encounter=with_sakura, note="I will be fine.")

    assert refused.value.code == "conflict_party"
    assert refused.value.message == (
        "Sakura Haruno is the provider of this encounter: the conflict is acknowledged by a "
        "supervisor who is not a party to it."
    )
    with_sakura.refresh_from_db()
    assert with_sakura.status == EncounterStatus.AWAITING_ACKNOWLEDGEMENT


@pytest.mark.parametrize("who", ["medic", "officer", "auditor"])
def test_only_a_supervisor_or_the_commander_acknowledges(with_sakura, who, request):
    with pytest.raises(PermissionDenied) as refused:
        encounter_acknowledge(
            actor=request.getfixturevalue(who), encounter=with_sakura, note="Fine."
        )

    assert refused.value.code == "missing_role"


def test_the_commander_may_acknowledge(with_sakura, commander):
    encounter = encounter_acknowledge(actor=commander, encounter=with_sakura, note="Go ahead.")

    assert encounter.status == EncounterStatus.SCHEDULED


def test_an_acknowledgement_says_what_was_arranged(with_sakura, shizune):
    with pytest.raises(ValidationFailed) as refused:
        encounter_acknowledge(actor=shizune, encounter=with_sakura, note="  ")

    assert refused.value.extra["fields"]["note"] == [
        "is required: say what was weighed and what has been arranged."
    ]


def test_an_encounter_is_acknowledged_once(with_sakura, shizune, commander):
    encounter_acknowledge(actor=shizune, encounter=with_sakura, note="Hiroki at the door.")

    with pytest.raises(Conflict) as refused:
        encounter_acknowledge(actor=commander, encounter=with_sakura, note="Me too.")

    assert refused.value.code == "not_awaiting_acknowledgement"
    assert refused.value.message == (
        "This conflict was acknowledged by Shizune at 2026-03-14 18:00."
    )


def test_an_encounter_without_a_conflict_is_not_acknowledged(schedule, medic, shizune):
    encounter = schedule(medic).encounter

    with pytest.raises(Conflict) as refused:
        encounter_acknowledge(actor=shizune, encounter=encounter, note="Fine.")

    assert refused.value.code == "not_awaiting_acknowledgement"


def test_sakura_cannot_start_before_the_acknowledgement(with_sakura, sakura):
    with pytest.raises(Conflict) as refused:
        started(with_sakura, sakura)

    assert refused.value.code == "acknowledgement_required"
    assert refused.value.message == (
        "Sakura Haruno is the alleged victim of Sasuke Uchiha: a supervisor must acknowledge "
        "the conflict before this encounter starts."
    )


def test_an_emergency_starts_before_the_acknowledgement_which_may_follow(
    schedule, sakura, shizune, victim_conflict, site
):
    emergency = schedule(sakura, kind="emergency", scheduled_for=core_clock.now()).encounter
    assert emergency.status == EncounterStatus.AWAITING_ACKNOWLEDGEMENT

    emergency = started(emergency, sakura)

    assert emergency.status == EncounterStatus.IN_PROGRESS
    assert audited("encounter.start").changes["unacknowledged_conflict"] is True
    assert encounters_awaiting_acknowledgement(site.facility) == [emergency]

    emergency = encounter_acknowledge(
        actor=shizune, encounter=emergency, note="She was the only medic on duty."
    )

    assert emergency.status == EncounterStatus.IN_PROGRESS
    assert emergency.acknowledged_by == shizune
    assert encounters_awaiting_acknowledgement(site.facility) == []


# --- In the cell -----------------------------------------------------------------------


def test_an_in_cell_encounter_needs_a_cell_entry_grant(
    with_sakura, schedule, sakura, shizune, medics_kept_out, clock
):
    encounter = schedule(sakura, place="cell", scheduled_for=core_clock.now()).encounter
    encounter_acknowledge(actor=shizune, encounter=encounter, note="Hiroki at the door.")
    cell = encounter.cell

    with pytest.raises(Conflict) as refused:
        started(encounter, sakura)

    assert refused.value.code == "no_cell_entry"
    assert refused.value.message == (
        f"Sakura Haruno may not enter cell {cell.code} now (Block A admits commander, officer, "
        "supervisor; Sakura Haruno holds medical): a supervisor must grant Sakura Haruno entry "
        "to the cell before the encounter starts."
    )
    assert refused.value.extra == {"provider": "sakura_haruno", "cell": cell.code}

    grant = entry_grant_issue(
        actor=shizune, staff=sakura, cell=cell,
        valid_until=core_clock.now() + dt.timedelta(hours=2), reason="Night encounter",
    )  # fmt: skip
    encounter = started(encounter, sakura)

    assert encounter.status == EncounterStatus.IN_PROGRESS
    assert encounter.entry_grant == grant
    assert audited("encounter.start").changes["entry_grant"] == str(grant.public_id)


def test_a_zone_that_admits_medics_needs_no_grant(schedule, medic, clock):
    encounter = started(schedule(medic, place="cell").encounter, medic)

    assert encounter.status == EncounterStatus.IN_PROGRESS
    assert encounter.entry_grant is None


def test_the_encounter_keeps_the_door_events_of_her_visit(
    schedule, sakura, shizune, hiroki, medics_kept_out, victim_conflict, clock
):
    encounter = schedule(sakura, place="cell", scheduled_for=core_clock.now()).encounter
    encounter_acknowledge(actor=shizune, encounter=encounter, note="Hiroki at the door.")
    cell = encounter.cell
    door = {"actor": hiroki, "cell": cell}
    # Earlier in the evening, before this visit: not part of it.
    door_event_record(action=DoorAction.OPEN, staff_passed=[hiroki], **door)
    clock.shift(dt.timedelta(hours=1))
    entry_grant_issue(
        actor=shizune, staff=sakura, cell=cell,
        valid_until=core_clock.now() + dt.timedelta(hours=2), reason="Night encounter",
    )  # fmt: skip
    unlocked = door_event_record(action=DoorAction.UNLOCK, staff_passed=[sakura], **door)
    clock.shift(dt.timedelta(minutes=5))
    encounter = started(encounter, sakura)
    # Someone else through the door meanwhile: not hers.
    door_event_record(action=DoorAction.OPEN, staff_passed=[shizune], **door)
    clock.shift(dt.timedelta(minutes=25))
    left = door_event_record(action=DoorAction.OPEN, staff_passed=[sakura], **door)

    encounter = encounter_complete(actor=sakura, encounter=encounter, findings="HEALED-NICELY")

    assert set(encounter.door_events.all()) == {unlocked, left}
    assert audited("encounter.complete").changes["door_events"] == [
        str(unlocked.public_id), str(left.public_id),
    ]  # fmt: skip


def test_a_person_moved_out_of_the_cell_is_not_seen_there(schedule, held, medic, site, clock):
    from cellblock.housing.services import bed_assign

    encounter = schedule(medic, place="cell").encounter
    other = next(cell for cell in site.cells if cell != encounter.cell)
    bed_assign(actor=None, booking=held, bed=other.beds.order_by("code").last())

    with pytest.raises(Conflict) as refused:
        started(encounter, medic)

    assert refused.value.code == "not_in_encounter_cell"


# --- Start, complete, cancel, refuse ---------------------------------------------------


def test_completing_records_the_findings_and_the_sick_call_is_seen(held, medic, officer, clock):
    sick_call = sick_call_file(
        actor=officer, booking=held, complaint="HEADACHE-SLIP", via="officer"
    )
    encounter = encounter_schedule(
        actor=medic, booking=held, kind="sick_call", provider=medic,
        scheduled_for=core_clock.now(), place="clinic", sick_call=sick_call,
    ).encounter  # fmt: skip
    sick_call.refresh_from_db()
    assert sick_call.status == SickCallStatus.SCHEDULED
    encounter = started(encounter, medic)
    clock.shift(dt.timedelta(minutes=20))

    encounter = encounter_complete(
        actor=medic, encounter=encounter, findings="HEALED-NICELY",
        treatment="DRESSING-CHANGED", follow_up="SEE-AGAIN",
        follow_up_due=dt.date(2026, 3, 21),
    )  # fmt: skip

    assert encounter.status == EncounterStatus.COMPLETED
    assert (encounter.started_at, encounter.ended_at) == (
        core_clock.now() - dt.timedelta(minutes=20), core_clock.now(),
    )  # fmt: skip
    assert (encounter.findings, encounter.treatment) == ("HEALED-NICELY", "DRESSING-CHANGED")
    sick_call.refresh_from_db()
    assert sick_call.status == SickCallStatus.SEEN


def test_completing_needs_findings(schedule, medic, clock):
    encounter = started(schedule(medic).encounter, medic)

    with pytest.raises(ValidationFailed) as refused:
        encounter_complete(actor=medic, encounter=encounter, findings=" ")

    assert refused.value.extra["fields"]["findings"] == ["is required: say what was found."]


def test_an_encounter_not_started_cannot_be_completed(schedule, medic, clock):
    with pytest.raises(Conflict) as refused:
        encounter_complete(actor=medic, encounter=schedule(medic).encounter, findings="Fine.")

    assert refused.value.code == "encounter_not_in_progress"
    assert refused.value.message == (
        "This encounter is scheduled: completing it needs an encounter that is in progress."
    )


def test_a_completed_encounter_does_not_start_again(schedule, medic, clock):
    encounter = started(schedule(medic).encounter, medic)
    encounter = encounter_complete(actor=medic, encounter=encounter, findings="Fine.")

    with pytest.raises(Conflict) as refused:
        started(encounter, medic)

    assert refused.value.code == "encounter_not_scheduled"


def test_cancelling_puts_the_sick_call_back_in_the_queue(held, medic, officer, clock):
    sick_call = sick_call_file(actor=officer, booking=held, complaint="Headache", via="officer")
    encounter = encounter_schedule(
        actor=medic, booking=held, kind="sick_call", provider=medic,
        scheduled_for=core_clock.now(), place="clinic", sick_call=sick_call,
    ).encounter  # fmt: skip

    encounter = encounter_cancel(actor=medic, encounter=encounter, reason="Court moved up")

    assert encounter.status == EncounterStatus.CANCELLED
    sick_call.refresh_from_db()
    assert (sick_call.status, sick_call.encounter) == (SickCallStatus.WAITING, None)
    assert audited("encounter.cancel").reason == "Court moved up"


def test_a_cancellation_says_why(schedule, medic, clock):
    with pytest.raises(ValidationFailed) as refused:
        encounter_cancel(actor=medic, encounter=schedule(medic).encounter, reason="")

    assert "reason" in refused.value.extra["fields"]


def test_a_refused_encounter_leaves_a_witnessed_refusal(schedule, medic, witness, clock):
    encounter = schedule(medic).encounter

    encounter = encounter_refuse(
        actor=medic, encounter=encounter, witness=witness, statement="Not today.",
    )  # fmt: skip

    assert encounter.status == EncounterStatus.REFUSED
    [refusal] = ConsentRecord.objects.filter(encounter=encounter)
    assert (refusal.decision, refusal.scope, refusal.treatment) == (
        ConsentDecision.REFUSAL, "treatment", "Treatment",
    )  # fmt: skip
    assert (refusal.recorded_by, refusal.witness) == (medic, witness)
    assert audited("encounter.refuse").changes["refusal"] == str(refusal.public_id)


def test_a_refusal_at_the_door_needs_a_witness_who_is_not_the_recorder(schedule, medic):
    with pytest.raises(ValidationFailed) as refused:
        encounter_refuse(actor=medic, encounter=schedule(medic).encounter, witness=medic)

    assert refused.value.extra["fields"]["witness"] == [
        "must be someone other than Mo Medic, who records it: a refusal is signed by two people."
    ]


# --- Notes, vitals, injuries -----------------------------------------------------------


def test_a_note_is_amended_by_a_new_note(held, medic, clock):
    first = clinical_note_add(actor=medic, booking=held, text="Left cheek cut.")
    second = clinical_note_add(actor=medic, booking=held, text="Right cheek.", amends=first)

    assert second.amends == first
    assert list(ClinicalNote.objects.filter(booking=held)) == [first, second]
    assert audited("clinicalnote.add").changes["amends"] == str(first.public_id)


def test_a_note_needs_text(held, medic):
    with pytest.raises(ValidationFailed) as refused:
        clinical_note_add(actor=medic, booking=held, text="   ")

    assert refused.value.extra["fields"]["text"] == ["is required: write the note."]


def test_a_note_of_one_person_is_not_written_in_anothers_encounter(
    admit, held, medic, schedule, clock
):
    naruto = admit("Uzumaki", given_name="Naruto", born=dt.date(1996, 10, 10))

    with pytest.raises(ValidationFailed) as refused:
        clinical_note_add(
            actor=medic, booking=naruto, text="Fine.", encounter=schedule(medic).encounter
        )

    assert refused.value.extra["fields"]["encounter"] == [
        f"is an encounter of {held.booking_number}, not of Naruto Uzumaki "
        f"({naruto.booking_number})."
    ]


def test_vitals_are_recorded_as_measured(held, medic, clock):
    vitals = vitals_record(
        actor=medic, booking=held, systolic=118, diastolic=76, pulse=64, temperature_c=36.84,
        spo2=98, pain=3,
    )  # fmt: skip

    vitals.refresh_from_db()
    assert (vitals.systolic, vitals.diastolic, vitals.pulse) == (118, 76, 64)
    assert vitals.temperature_c == Decimal("36.8")
    assert vitals.taken_by == medic
    assert audited("vitalsigns.record").changes["measured"] == [
        "diastolic", "pain", "pulse", "spo2", "systolic", "temperature_c",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("systolic", 40, "must be between 50 and 260 mmHg (systolic blood pressure)."),
        ("systolic", 261, "must be between 50 and 260 mmHg (systolic blood pressure)."),
        ("diastolic", 19, "must be between 20 and 160 mmHg (diastolic blood pressure)."),
        ("pulse", 251, "must be between 20 and 250 beats a minute (pulse)."),
        ("respiration", 3, "must be between 4 and 60 breaths a minute (respiratory rate)."),
        ("temperature_c", 29.9, "must be between 30.0 and 44.0 °C (body temperature)."),
        ("temperature_c", 44.1, "must be between 30.0 and 44.0 °C (body temperature)."),
        ("spo2", 101, "must be between 50 and 100% (oxygen saturation)."),
        ("pain", 11, "must be between 0 and 10 (pain on a scale of 0 to 10)."),
        ("pulse", 72.5, "must be a whole number."),
    ],
)
def test_a_vital_sign_out_of_range_names_the_field_and_the_range(
    held, medic, field, value, message
):
    with pytest.raises(ValidationFailed) as refused:
        vitals_record(actor=medic, booking=held, **{field: value})

    assert refused.value.extra["fields"] == {field: [message]}
    assert not VitalSigns.objects.exists()


@pytest.mark.parametrize("field", ["systolic", "pulse", "temperature_c", "pain"])
def test_the_edges_of_a_range_are_allowed(held, medic, field, clock):
    from cellblock.medical.services.encounters import VITAL_RANGES

    low, high, _, _ = VITAL_RANGES[field]
    for edge in (low, high):
        values: dict[str, Any] = {field: edge if field == "temperature_c" else int(edge)}
        vitals_record(actor=medic, booking=held, **values)

    assert VitalSigns.objects.count() == 2


def test_the_diastolic_pressure_is_below_the_systolic(held, medic):
    with pytest.raises(ValidationFailed) as refused:
        vitals_record(actor=medic, booking=held, systolic=90, diastolic=90)

    assert refused.value.extra["fields"] == {"diastolic": ["must be below the systolic pressure."]}


def test_vitals_need_at_least_one_value(held, medic):
    with pytest.raises(ValidationFailed) as refused:
        vitals_record(actor=medic, booking=held)

    assert refused.value.extra["fields"] == {"vitals": ["record at least one value."]}


def test_vitals_are_not_taken_in_the_future(held, medic, clock):
    with pytest.raises(ValidationFailed) as refused:
        vitals_record(
            actor=medic, booking=held, pulse=70,
            taken_at=core_clock.now() + dt.timedelta(minutes=5),
        )  # fmt: skip

    assert refused.value.extra["fields"] == {
        "taken_at": ["is in the future: record what has happened."]
    }


def test_an_injury_heals_over_encounters(held, medic, schedule, clock):
    injury = injury_record(actor=medic, booking=held, location="face", description="CUT-ON-CHEEK")
    assert injury.status == InjuryStatus.UNTREATED
    encounter = started(schedule(medic).encounter, medic)

    injury = injury_update(actor=medic, injury=injury, status="healed", encounter=encounter)

    assert injury.status == InjuryStatus.HEALED
    assert injury.updated_in == encounter
    assert audited("injury.update").changes == {
        "booking": held.booking_number, "encounter": str(encounter.public_id),
    }  # fmt: skip


def test_an_injury_names_where_it_is(held, medic):
    with pytest.raises(ValidationFailed) as refused:
        injury_record(actor=medic, booking=held, location="tail", description="")

    assert set(refused.value.extra["fields"]) == {"location", "description"}


@pytest.mark.parametrize("who", ["commander", "supervisor", "officer", "auditor"])
def test_only_medical_staff_write_clinical_records(held, who, request):
    actor = request.getfixturevalue(who)
    writes = [
        lambda: clinical_note_add(actor=actor, booking=held, text="A note."),
        lambda: vitals_record(actor=actor, booking=held, pulse=70),
        lambda: injury_record(actor=actor, booking=held, location="face", description="Cut"),
    ]
    for write in writes:
        with pytest.raises(PermissionDenied) as refused:
            write()
        assert refused.value.code == "missing_role"


# --- The audit trail -------------------------------------------------------------------


def test_the_audit_trail_of_an_encounter_holds_no_clinical_text(
    held, sakura, shizune, medic, officer, victim_conflict, only_sakura, clock
):
    sick_call = sick_call_file(actor=officer, booking=held, complaint="HEADACHE-SLIP", via="paper")
    encounter = encounter_schedule(
        actor=medic, booking=held, kind="sick_call", provider=sakura,
        scheduled_for=core_clock.now(), place="clinic", reason="FACIAL-WOUNDS",
        sick_call=sick_call,
    ).encounter  # fmt: skip
    encounter_acknowledge(actor=shizune, encounter=encounter, note="Hiroki at the door.")
    encounter = started(encounter, sakura)
    clinical_note_add(actor=sakura, booking=held, text="NOTE-TEXT", encounter=encounter)
    vitals_record(actor=sakura, booking=held, pulse=97, encounter=encounter)
    injury = injury_record(
        actor=sakura, booking=held, location="face", description="CUT-ON-CHEEK",
        encounter=encounter,
    )  # fmt: skip
    injury_update(actor=sakura, injury=injury, status="healed", encounter=encounter)
    encounter_complete(
        actor=sakura, encounter=encounter, findings="HEALED-NICELY",
        treatment="DRESSING-CHANGED", follow_up="SEE-AGAIN",
    )  # fmt: skip

    trail = " ".join(
        f"{event.reason} {event.changes} {event.object_label}" for event in AuditEvent.objects.all()
    )
    for secret in SECRETS:
        assert secret not in trail
    vitals = audited("vitalsigns.record").changes
    assert set(vitals) == {"booking", "taken_at", "encounter", "measured"}
    assert vitals["measured"] == ["pulse"]
    assert set(audited("injury.record").changes) == {"booking", "encounter"}
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "sickcall.file", "encounter.schedule", "encounter.acknowledge", "encounter.start",
        "clinicalnote.add", "vitalsigns.record", "injury.record", "injury.update",
        "encounter.complete",
    } <= actions  # fmt: skip
