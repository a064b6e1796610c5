"""The medical pages: who gets which page, what each shows, and the forms' answers by field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils.html import escape

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking, IntakeStep, IntakeStepCode
from cellblock.classification.services import staff_conflict_create
from cellblock.core import clock
from cellblock.core.roles import Role
from cellblock.medical.models import (
    CareAlert,
    CareAlertKind,
    ClinicalNote,
    ConsentRecord,
    Encounter,
    EncounterStatus,
    Injury,
    InjuryStatus,
    ReceivingScreening,
    SickCall,
    SickCallStatus,
    SickCallUrgency,
    VitalSigns,
)
from cellblock.medical.screening import CLEAR_ANSWERS, QUESTIONS
from cellblock.medical.services.access import break_glass_open
from cellblock.medical.services.care_alerts import care_alert_set
from cellblock.medical.services.encounters import (
    clinical_note_add,
    encounter_schedule,
    injury_record,
)
from cellblock.medical.services.sick_calls import sick_call_file
from cellblock.medical.tests.pages_support import (
    FACIAL,
    MEALS,
    chart_fixture,  # noqa: F401  (the chart fixture)
    held_fixture,  # noqa: F401  (the held fixture)
    queries,
    sakura_fixture,  # noqa: F401  (the sakura fixture)
    shizune_fixture,  # noqa: F401  (the shizune fixture)
    text,
    victim_conflict_fixture,  # noqa: F401  (the victim_conflict fixture)
)

pytestmark = pytest.mark.django_db
WORKLIST = reverse("medical:worklist")


def record_url(booking: Booking) -> str:
    return reverse("medical:record", args=[booking.booking_number])


def screening_url(booking: Booking) -> str:
    return reverse("medical:screening", args=[booking.booking_number])


def form_of(answers: dict[str, object]) -> dict[str, str]:
    """Screening answers as the form posts them."""
    posted = {}
    for key, value in answers.items():
        posted[key] = ("yes" if value else "no") if isinstance(value, bool) else str(value)
    return posted


# --- The work list ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona",
    ["officer", "supervisor", "auditor", "commander", "medic", "booking_clerk", "visits_clerk"],
)
def test_the_work_list_opens_for_every_custody_role(persona, request, chart, client_for):
    response = client_for(request.getfixturevalue(persona)).get(WORKLIST)
    assert response.status_code == 200
    body = text(response)
    assert "Sasuke Uchiha" in body
    assert MEALS in body  # the care alert's instruction is for custody


def test_the_administrator_gets_no_work_list(admin_user, client_for):
    assert client_for(admin_user).get(WORKLIST).status_code == 403


def test_only_medical_staff_see_the_complaints_and_their_reading_is_audited(
    chart, officer, medic, client_for
):
    assert "My face hurts." not in client_for(officer).get(WORKLIST).content.decode()
    assert not AuditEvent.objects.filter(action="medical.read").exists()
    body = client_for(medic).get(WORKLIST).content.decode()
    assert "My face hurts." in body
    read = AuditEvent.objects.get(action="medical.read")
    assert read.changes == {
        "section": "sick_call_queue",
        "bookings": [chart.booking.booking_number],
    }


def test_an_encounter_awaiting_acknowledgement_is_highlighted_with_the_button_for_supervisors(
    held, sakura, victim_conflict, medic, supervisor, officer, client_for, clock
):
    waiting = encounter_schedule(
        actor=medic, booking=held, kind="treatment", provider=sakura,
        scheduled_for=clock_in(hours=5), place="clinic",
    ).encounter  # fmt: skip
    body = client_for(supervisor).get(WORKLIST).content.decode()
    assert (
        f'data-encounter="{waiting.public_id}" data-status="awaiting_ack" data-awaiting="yes"'
        in body
    )
    assert 'data-testid="ack-form"' in body
    assert 'data-testid="ack-form"' not in client_for(officer).get(WORKLIST).content.decode()


def test_a_supervisor_acknowledges_from_the_work_list_with_a_note(
    held, sakura, victim_conflict, medic, supervisor, client_for, clock
):
    waiting = encounter_schedule(
        actor=medic, booking=held, kind="treatment", provider=sakura,
        scheduled_for=clock_in(hours=5), place="clinic",
    ).encounter  # fmt: skip
    url = reverse("medical:encounter_acknowledge", args=[waiting.public_id])
    response = client_for(supervisor).post(
        url, {"note": "Two officers at the door.", "next": WORKLIST}
    )
    assert response.status_code == 302
    assert response.url == WORKLIST
    waiting.refresh_from_db()
    assert waiting.status == EncounterStatus.SCHEDULED
    assert waiting.acknowledgement_note == "Two officers at the door."


def test_an_acknowledgement_without_a_note_is_refused_beside_the_field(
    held, sakura, victim_conflict, medic, supervisor, client_for, clock
):
    waiting = encounter_schedule(
        actor=medic, booking=held, kind="treatment", provider=sakura,
        scheduled_for=clock_in(hours=5), place="clinic",
    ).encounter  # fmt: skip
    url = reverse("medical:encounter_acknowledge", args=[waiting.public_id])
    response = client_for(supervisor).post(url, {"note": ""})
    assert response.status_code == 400
    assert 'data-testid="error-note"' in response.content.decode()


def test_screenings_and_health_assessments_due_show_with_their_state(
    admit, medic, client_for, clock, site
):
    admit("Uzumaki", given_name="Naruto", screened=False, housed=False)
    body = client_for(medic).get(WORKLIST).content.decode()
    assert 'data-testid="worklist-screenings"' in body
    assert "Naruto Uzumaki" in text(client_for(medic).get(WORKLIST))
    clock.shift(dt.timedelta(days=15))
    body = client_for(medic).get(WORKLIST).content.decode()
    assert "Overdue" in body


def test_the_work_list_costs_the_same_queries_for_one_person_or_many(
    chart, admit, medic, officer, client_for, clock
):
    for client in (client_for(medic), client_for(officer)):
        client.get(WORKLIST)
        few = queries(client, WORKLIST)
        for n in range(4):
            more = admit(f"More{n}", given_name="Extra", born=dt.date(1990, 1, 1), housed=False)
            sick_call_file(actor=medic, booking=more, complaint="Headache", via="medical")
            care_alert_set(actor=medic, booking=more, kind=CareAlertKind.LOWER_BUNK)
        assert queries(client, WORKLIST) == few


def clock_in(**delta: int) -> dt.datetime:
    return clock.now() + dt.timedelta(**delta)


# --- Sick calls ---------------------------------------------------------------------------


def test_an_officer_files_a_sick_call_for_a_person_held(held, officer, client_for, clock):
    url = reverse("medical:sick_call_new")
    client = client_for(officer)
    assert client.get(url, {"booking": held.booking_number}).status_code == 200
    response = client.post(
        url, {"booking": held.booking_number, "via": "officer", "complaint": "Cannot sleep."}
    )
    assert response.status_code == 302
    call = SickCall.objects.get()
    assert call.complaint == "Cannot sleep."
    assert call.filed_by == officer


def test_a_sick_call_without_a_complaint_or_a_person_is_refused_by_field(
    held, officer, client_for, clock
):
    url = reverse("medical:sick_call_new")
    response = client_for(officer).post(url, {"booking": held.booking_number, "via": "officer"})
    assert response.status_code == 400
    assert 'data-testid="error-complaint"' in response.content.decode()
    response = client_for(officer).post(url, {"booking": "", "via": "officer", "complaint": "x"})
    assert response.status_code == 400
    assert 'data-testid="error-booking"' in response.content.decode()
    assert not SickCall.objects.exists()


def test_the_auditor_may_not_file_a_sick_call(auditor, client_for):
    assert client_for(auditor).get(reverse("medical:sick_call_new")).status_code == 403


def test_a_medic_triages_and_closes_a_sick_call(chart, medic, client_for, clock):
    client = client_for(medic)
    call = chart.sick_call
    response = client.post(
        reverse("medical:sick_call_triage", args=[call.public_id]), {"urgency": "urgent"}
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.urgency == SickCallUrgency.URGENT
    response = client.post(
        reverse("medical:sick_call_close", args=[call.public_id]), {"reason": "Seen on rounds."}
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.status == SickCallStatus.CLOSED


def test_an_officer_may_not_triage(chart, officer, client_for):
    url = reverse("medical:sick_call_triage", args=[chart.sick_call.public_id])
    assert client_for(officer).post(url, {"urgency": "urgent"}).status_code == 403


# --- Screening ----------------------------------------------------------------------------


def test_the_screening_form_asks_every_question(admit, medic, client_for, clock):
    person = admit("Uzumaki", given_name="Naruto", screened=False, housed=False)
    response = client_for(medic).get(screening_url(person))
    assert response.status_code == 200
    body = response.content.decode()
    for question in QUESTIONS:
        assert f'data-question="{question.key}"' in body, question.key
        assert escape(question.label) in body


def test_a_clear_screening_goes_back_to_the_checklist_it_completes(admit, medic, client_for, clock):
    person = admit("Uzumaki", given_name="Naruto", screened=False, housed=False)
    response = client_for(medic).post(screening_url(person), form_of(CLEAR_ANSWERS))
    assert response.status_code == 302
    assert response.url == reverse("booking:profile", args=[person.booking_number]) + (
        "#section-checklist"
    )
    assert ReceivingScreening.objects.get(booking=person).outcome == "cleared"
    step = IntakeStep.objects.get(booking=person, step=IntakeStepCode.MEDICAL_SCREENING)
    assert step.completed_at is not None


def test_unanswered_questions_are_named_beside_each_field(admit, medic, client_for, clock):
    person = admit("Uzumaki", given_name="Naruto", screened=False, housed=False)
    answers = form_of(CLEAR_ANSWERS)
    del answers["conscious"]
    answers["suicide_risk"] = "high"
    response = client_for(medic).post(screening_url(person), answers)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="error-conscious"' in body
    assert 'data-testid="error-suicide_observation"' in body
    assert 'data-testid="error-summary"' in body
    # What was answered stays answered.
    assert 'name="bleeding" value="no" checked' in body
    assert not ReceivingScreening.objects.exists()


def test_a_referral_needs_to_say_where(admit, medic, client_for, clock):
    person = admit("Uzumaki", given_name="Naruto", screened=False, housed=False)
    answers = {**form_of(CLEAR_ANSWERS), "bleeding": "yes"}
    response = client_for(medic).post(screening_url(person), answers)
    assert response.status_code == 400
    assert 'data-testid="error-referral"' in response.content.decode()
    answers["referral"] = "Konoha Hospital, by ambulance"
    assert client_for(medic).post(screening_url(person), answers).status_code == 302
    assert ReceivingScreening.objects.get(booking=person).outcome == "referred"


def test_only_medical_staff_screen(admit, officer, commander, booking_clerk, client_for, clock):
    person = admit("Uzumaki", given_name="Naruto", screened=False, housed=False)
    for user in (officer, commander, booking_clerk):
        assert client_for(user).get(screening_url(person)).status_code == 403


def test_the_checklist_step_links_to_the_screening_form_for_medics_only(
    admit, medic, officer, client_for, clock
):
    person = admit("Uzumaki", given_name="Naruto", screened=False, housed=False)
    profile = reverse("booking:profile", args=[person.booking_number])
    body = client_for(medic).get(profile).content.decode()
    assert 'data-testid="step-link-medical_screening"' in body
    assert f'href="{screening_url(person)}"' in body
    assert 'data-testid="step-link-medical_screening"' not in (
        client_for(officer).get(profile).content.decode()
    )


# --- The record ---------------------------------------------------------------------------


def test_a_medic_reads_the_whole_record_and_the_read_is_audited(chart, medic, client_for):
    response = client_for(medic).get(record_url(chart.booking))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("no-store")
    body = text(response)
    for words in (FACIAL, "Will let nobody but Sakura near him.", "My face hurts.",
                  "Clean and dress the facial wounds.", MEALS, "Face"):  # fmt: skip
        assert words in body, words
    read = AuditEvent.objects.filter(action="booking.read", actor=medic).latest("id")
    assert read.changes == {"section": "record"}


def test_custody_staff_get_a_403_page_with_no_clinical_text(chart, officer, client_for):
    response = client_for(officer).get(record_url(chart.booking))
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-testid="record-denied"' in body
    assert FACIAL not in body
    assert 'data-testid="break-glass-form"' not in body


def test_the_commander_is_offered_break_glass_and_reads_by_it(chart, commander, client_for, clock):
    client = client_for(commander)
    response = client.get(record_url(chart.booking))
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-testid="break-glass-form"' in body
    assert FACIAL not in body
    response = client.post(
        reverse("medical:break_glass_open"),
        {"booking": chart.booking.booking_number, "reason": "He collapsed in his cell."},
    )
    assert response.status_code == 302
    assert response.url == record_url(chart.booking)
    response = client.get(record_url(chart.booking))
    assert response.status_code == 200
    assert 'data-testid="break-glass-banner"' in response.content.decode()
    assert FACIAL in text(response)
    assert 'data-testid="note-form"' not in response.content.decode()  # reads, never writes
    clock.shift(dt.timedelta(minutes=61))
    # Signed in again (the session locks after 30 idle minutes): the glass is whole again.
    assert client_for(commander).get(record_url(chart.booking)).status_code == 403


def test_break_glass_without_a_reason_is_refused_by_field(chart, commander, client_for):
    response = client_for(commander).post(
        reverse("medical:break_glass_open"), {"booking": chart.booking.booking_number}
    )
    assert response.status_code == 400
    assert 'data-testid="error-reason"' in response.content.decode()


def test_a_note_is_added_and_an_empty_one_refused(chart, medic, client_for):
    url = reverse("medical:note_add", args=[chart.booking.booking_number])
    response = client_for(medic).post(url, {"text": ""})
    assert response.status_code == 400
    assert 'data-testid="error-text"' in response.content.decode()
    response = client_for(medic).post(url, {"text": "Slept well."})
    assert response.status_code == 302
    assert response.url.endswith("#section-notes")
    assert ClinicalNote.objects.get().text == "Slept well."


def test_vital_signs_are_refused_by_field(chart, medic, client_for):
    url = reverse("medical:vitals_record", args=[chart.booking.booking_number])
    response = client_for(medic).post(url, {"pulse": "fast"})
    assert response.status_code == 400
    assert 'data-testid="error-pulse"' in response.content.decode()
    response = client_for(medic).post(url, {"pulse": "400"})
    assert response.status_code == 400
    assert 'data-testid="error-pulse"' in response.content.decode()
    response = client_for(medic).post(url, {"pulse": "72", "temperature_c": "36,8"})
    assert response.status_code == 302
    assert VitalSigns.objects.get().pulse == 72


def test_an_injury_is_recorded_by_body_location_and_its_status_updated(
    held, medic, client_for, clock
):
    url = reverse("medical:injury_record", args=[held.booking_number])
    response = client_for(medic).post(url, {"location": "", "description": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="error-location"' in body
    assert 'data-testid="error-description"' in body
    response = client_for(medic).post(url, {"location": "face", "description": FACIAL})
    assert response.status_code == 302
    injury = Injury.objects.get()
    response = client_for(medic).post(
        reverse("medical:injury_update", args=[injury.public_id]), {"status": "healing"}
    )
    assert response.status_code == 302
    injury.refresh_from_db()
    assert injury.status == InjuryStatus.HEALING


def test_a_refusal_needs_a_witness(held, medic, sakura, witness, client_for, clock):
    url = reverse("medical:consent_record", args=[held.booking_number])
    data = {"decision": "refusal", "scope": "general", "except_provider": sakura.username}
    response = client_for(medic).post(url, data)
    assert response.status_code == 400
    assert 'data-testid="error-witness"' in response.content.decode()
    response = client_for(medic).post(url, {**data, "witness": witness.username})
    assert response.status_code == 302
    refusal = ConsentRecord.objects.get()
    assert (refusal.except_provider, refusal.witness) == (sakura, witness)


def test_a_care_alert_is_set_and_ended(held, medic, client_for, clock):
    url = reverse("medical:care_alert_set", args=[held.booking_number])
    response = client_for(medic).post(url, {"kind": "suicide_watch"})
    assert response.status_code == 400
    assert 'data-testid="error-level"' in response.content.decode()
    response = client_for(medic).post(url, {"kind": "suicide_watch", "level": "constant"})
    assert response.status_code == 302
    alert = CareAlert.objects.get(kind="suicide_watch")
    response = client_for(medic).post(
        reverse("medical:care_alert_end", args=[alert.public_id]), {"reason": "Assessed well."}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.ended_at is not None


def test_the_record_costs_the_same_queries_with_one_entry_or_many(chart, medic, client_for):
    client = client_for(medic)
    url = record_url(chart.booking)
    client.get(url)
    few = queries(client, url)
    for n in range(3):
        clinical_note_add(actor=medic, booking=chart.booking, text=f"Note {n}",
                          encounter=chart.encounter)  # fmt: skip
        injury_record(actor=medic, booking=chart.booking, location="chest", description="Bruise")
    assert queries(client, url) == few


# --- Scheduling ---------------------------------------------------------------------------


def test_scheduling_another_medic_warns_of_the_refusal_in_amber(
    chart, shizune, medic, client_for, clock
):
    check = reverse("medical:encounter_check")
    body = client_for(medic).get(
        check, {"booking": chart.booking.booking_number, "provider": shizune.username},
        headers={"HX-Request": "true"},
    ).content.decode()  # fmt: skip
    assert "<html" not in body
    assert 'data-code="provider_refused"' in body
    assert "warning-warn" in body
    assert "warning-bad" not in body


def test_choosing_the_alleged_victim_warns_in_red_that_a_supervisor_must_acknowledge(
    chart, sakura, victim_conflict, medic, client_for, clock
):
    check = reverse("medical:encounter_check")
    body = (
        client_for(medic)
        .get(check, {"booking": chart.booking.booking_number, "provider": sakura.username})
        .content.decode()
    )
    assert 'data-code="staff_victim_conflict"' in body
    assert "warning-bad" in body
    assert "Supervisor must acknowledge" in body
    assert 'data-code="provider_refused"' not in body


def test_scheduling_the_alleged_victim_books_an_encounter_awaiting_acknowledgement(
    chart, sakura, victim_conflict, medic, client_for, clock
):
    response = client_for(medic).post(
        reverse("medical:encounter_new"),
        {"booking": chart.booking.booking_number, "provider": sakura.username,
         "kind": "treatment", "scheduled_for": "2026-03-14T23:00", "place": "cell",
         "reason": "Facial wounds."},
    )  # fmt: skip
    assert response.status_code == 302
    encounter = Encounter.objects.get(provider=sakura)
    assert response.url == reverse("medical:encounter", args=[encounter.public_id])
    assert encounter.status == EncounterStatus.AWAITING_ACKNOWLEDGEMENT
    assert encounter.cell is not None


def test_a_schedule_without_a_provider_or_time_is_refused_by_field(held, medic, client_for, clock):
    response = client_for(medic).post(
        reverse("medical:encounter_new"),
        {"booking": held.booking_number, "provider": "", "kind": "treatment",
         "scheduled_for": "tomorrow", "place": "clinic"},
    )  # fmt: skip
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="error-provider"' in body
    assert 'data-testid="error-scheduled_for"' in body
    assert not Encounter.objects.exists()


def test_only_medical_staff_schedule(held, officer, supervisor, commander, client_for):
    for user in (officer, supervisor, commander):
        assert client_for(user).get(reverse("medical:encounter_new")).status_code == 403


# --- One encounter ------------------------------------------------------------------------


def test_custody_staff_see_who_when_and_where_but_no_clinical_text(
    chart, officer, client_for, clock
):
    url = reverse("medical:encounter", args=[chart.encounter.public_id])
    response = client_for(officer).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="encounter-facts"' in body
    assert "Clean and dress" not in body
    assert 'data-testid="encounter-clinical"' not in body
    assert "refuses every provider" not in body  # a refusal warning is the medics' business


def test_the_medic_records_the_encounter_from_start_to_findings(chart, medic, client_for, clock):
    client = client_for(medic)
    encounter = chart.encounter
    url = reverse("medical:encounter", args=[encounter.public_id])
    body = client.get(url).content.decode()
    assert 'data-testid="encounter-clinical"' in body
    assert "Clean and dress the facial wounds." in body
    assert AuditEvent.objects.filter(action="encounter.read", actor=medic).exists()
    clock.shift(dt.timedelta(hours=15))
    client = client_for(medic)  # the next morning's session
    assert (
        client.post(reverse("medical:encounter_start", args=[encounter.public_id])).status_code
        == 302
    )
    response = client.post(
        reverse("medical:encounter_complete", args=[encounter.public_id]), {"findings": ""}
    )
    assert response.status_code == 400
    assert 'data-testid="error-findings"' in response.content.decode()
    response = client.post(
        reverse(
            "medical:encounter_injury_status", args=[encounter.public_id, chart.injury.public_id]
        ),
        {"status": "healed"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("medical:encounter_complete", args=[encounter.public_id]),
        {"findings": "Facial wounds healed.", "follow_up_due": "not a date"},
    )
    assert response.status_code == 400
    assert 'data-testid="error-follow_up_due"' in response.content.decode()
    response = client.post(
        reverse("medical:encounter_complete", args=[encounter.public_id]),
        {"findings": "Facial wounds healed."},
    )
    assert response.status_code == 302
    encounter.refresh_from_db()
    assert encounter.status == EncounterStatus.COMPLETED
    chart.injury.refresh_from_db()
    assert chart.injury.status == InjuryStatus.HEALED


def test_a_refusal_at_the_door_needs_a_witness(chart, medic, witness, client_for, clock):
    url = reverse("medical:encounter_refuse", args=[chart.encounter.public_id])
    response = client_for(medic).post(url, {"witness": ""})
    assert response.status_code == 400
    assert 'data-testid="error-witness"' in response.content.decode()
    response = client_for(medic).post(url, {"witness": witness.username, "person_signed": "1"})
    assert response.status_code == 302
    chart.encounter.refresh_from_db()
    assert chart.encounter.status == EncounterStatus.REFUSED


def test_the_provider_may_not_acknowledge_her_own_conflict(
    held, shizune, commander, site, medic, client_for, clock
):
    staff_conflict_create(
        actor=commander, facility=site.facility, person=held.person, staff=shizune,
        kind="alleged_victim", reason="Shizune is the alleged victim.",
    )  # fmt: skip
    waiting = encounter_schedule(
        actor=medic, booking=held, kind="treatment", provider=shizune,
        scheduled_for=clock_in(hours=3), place="clinic",
    ).encounter  # fmt: skip
    assert waiting.status == EncounterStatus.AWAITING_ACKNOWLEDGEMENT
    client = client_for(shizune)
    page = reverse("medical:encounter", args=[waiting.public_id])
    assert 'data-testid="acknowledge-form"' not in client.get(page).content.decode()
    url = reverse("medical:encounter_acknowledge", args=[waiting.public_id])
    response = client.post(url, {"note": "I will be fine."})
    assert response.status_code == 403
    assert "not a party to it" in text(response)


# --- Break-glass --------------------------------------------------------------------------


def test_reviewers_see_the_reason_and_review_others_do_not(
    chart, commander, medic, auditor, officer, client_for, clock
):
    access = break_glass_open(actor=commander, booking=chart.booking, reason="He collapsed.")
    page = reverse("medical:break_glass")
    assert client_for(officer).get(page).status_code == 403
    body = client_for(auditor).get(page).content.decode()
    assert "He collapsed." in body
    assert 'data-testid="review-form"' in body
    response = client_for(medic).post(
        reverse("medical:break_glass_review", args=[access.public_id]), {"note": ""}
    )
    assert response.status_code == 400
    assert 'data-testid="error-note"' in response.content.decode()
    response = client_for(medic).post(
        reverse("medical:break_glass_review", args=[access.public_id]), {"note": "Justified."}
    )
    assert response.status_code == 302
    access.refresh_from_db()
    assert access.reviewed_by == medic


# --- The profile, the rounds and the bed board ---------------------------------------------


def test_the_profile_section_shows_custody_what_to_do_and_nothing_clinical(
    chart, officer, medic, client_for
):
    profile = reverse("booking:profile", args=[chart.booking.booking_number])
    body = client_for(officer).get(profile).content.decode()
    assert 'data-testid="profile-medical"' in body
    assert MEALS in body
    assert "Cleared for housing" in body
    assert 'data-testid="profile-next-encounter"' in body
    for clinical in (FACIAL, "Clean and dress", "My face hurts"):
        assert clinical not in body
    assert 'data-testid="profile-record"' not in body
    assert 'data-testid="profile-record"' in client_for(medic).get(profile).content.decode()


def test_the_rounds_panel_and_the_bed_board_show_the_care_alert(chart, officer, site, client_for):
    client = client_for(officer)
    cell = site.cells[0]
    panel = client.get(
        reverse("custody:rounds_cell", args=[cell.public_id]), headers={"HX-Request": "true"}
    ).content.decode()
    assert 'data-care="monitor_meals"' in panel
    assert f'title="{MEALS}"' in panel
    board = client.get(reverse("housing:unit", args=[site.unit.public_id])).content.decode()
    assert 'data-care="monitor_meals"' in board
    assert MEALS in board


def test_the_rounds_and_the_bed_board_cost_the_same_queries_with_more_care_alerts(
    chart, admit, medic, officer, site, client_for
):
    client = client_for(officer)
    pages = [
        reverse("housing:unit", args=[site.unit.public_id]),
        reverse("housing:board"),
        reverse("custody:rounds") + f"?unit={site.unit.public_id}&cell={site.cells[0].public_id}",
        reverse("custody:rounds_due") + "?within=60",
    ]

    def another(name: str, *, housed: bool = True) -> None:
        # Kinds that set no housing flag: the bed board's own alerts stay as they are.
        more = admit(name, given_name="Extra", born=dt.date(1990, 1, 1), housed=housed)
        care_alert_set(actor=medic, booking=more, kind=CareAlertKind.RESTRAINT_LIMIT)
        care_alert_set(actor=medic, booking=more, kind=CareAlertKind.OTHER, instruction="Ask.")

    another("Waiting", housed=False)
    for page in pages:
        client.get(page)
    before = [queries(client, page) for page in pages]
    for n in range(2):
        another(f"More{n}")
    another("Waiting too", housed=False)
    assert [queries(client, page) for page in pages] == before
    board = client.get(reverse("housing:board")).content.decode()
    assert 'data-care="restraint_limit"' in board


def test_staff_of_another_facility_find_nothing(chart, outsider, client_for):
    client = client_for(outsider)
    for url in (
        record_url(chart.booking),
        reverse("medical:encounter", args=[chart.encounter.public_id]),
        screening_url(chart.booking),
    ):
        assert client.get(url).status_code in (403, 404), url
    assert (
        client.get(reverse("medical:encounter", args=[chart.encounter.public_id])).status_code
        == 404
    )


def test_the_intake_checklist_links_the_screening_for_someone_who_books_and_screens(
    admit, staff_factory, booking_clerk, client_for, clock
):
    person = admit("Uzumaki", given_name="Naruto", screened=False, housed=False)
    both = staff_factory("nurse_clerk", Role.BOOKING, Role.MEDICAL)
    page = reverse("intake:charges", args=[person.booking_number])
    body = client_for(both).get(page).content.decode()
    assert f'<a href="{screening_url(person)}" data-testid="step-link-medical_screening">' in body
    assert "step-link-medical_screening" not in client_for(booking_clerk).get(page).content.decode()
