"""The medical API, operation by operation: a medic's work, custody's view, codes and fields.

Each operation answers its success as the role that does the work, and its
refusals in the one error shape: 400 naming the fields, 403 for a role that
lacks the permission (``clinical_only`` for clinical text), 404 for another
facility's records, 409 for a state that forbids it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking
from cellblock.classification.models import ConflictKind
from cellblock.classification.services import staff_conflict_create
from cellblock.core.roles import Role
from cellblock.custody.services.access import entry_grant_issue
from cellblock.facilities.models import Zone
from cellblock.medical.api.schemas import CUSTODY_SCHEMAS
from cellblock.medical.models import CLINICAL_FIELDS, BreakGlass, Encounter
from cellblock.medical.screening import CLEAR_ANSWERS

from .conftest import NOW

pytestmark = pytest.mark.django_db

API = "/api/medical"
ADULT = dt.date(1990, 7, 23)
LATER = (NOW + dt.timedelta(hours=1)).isoformat()
REASON = "Found unresponsive at 18:00; the ambulance crew asks what he takes."


@pytest.fixture
def held(clock, admit) -> Booking:
    """Sasuke Uchiha, an adult here (the shared fixture's birth date makes him a minor)."""
    return admit(born=ADULT)


@pytest.fixture
def medic_client(client_for, medic) -> Client:
    return client_for(medic)


def send(client: Client, method: str, url: str, body: Any = None):
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, url, data=data, content_type="application/json")


def post(client: Client, url: str, body: Any = None):
    return send(client, "POST", url, {} if body is None else body)


def fields_of(response) -> set[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_failed"
    return set(body["extra"]["fields"])


def error(response, status: int) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"message", "code", "extra"}
    return str(body["code"])


def schedule(client: Client, held: Booking, **overrides: Any):
    body = {
        "booking": held.booking_number, "kind": "treatment", "provider": "mo_medic",
        "scheduled_for": LATER, "place": "clinic", "reason": "Facial wounds, dressing change.",
        **overrides,
    }  # fmt: skip
    return post(client, f"{API}/encounters", body)


@pytest.fixture
def encounter(held, medic_client) -> dict[str, Any]:
    response = schedule(medic_client, held)
    assert response.status_code == 201, response.content
    return response.json()


def reads(action: str = "") -> list[AuditEvent]:
    found = AuditEvent.objects.filter(action__endswith=".read").order_by("seq")
    return list(found.filter(action=action) if action else found)


# --- Schemas ----------------------------------------------------------------------------------


def test_custody_schemas_carry_no_clinical_field_of_their_model():
    for schema, model in CUSTODY_SCHEMAS.items():
        shown = set(schema.model_fields) - {"clinical"}
        assert not shown & set(CLINICAL_FIELDS.get(model, ())), schema.__name__


# --- Records ----------------------------------------------------------------------------------


def test_custody_read_the_summary_without_clinical_text(held, client_for, officer):
    response = client_for(officer).get(f"{API}/bookings/{held.booking_number}/summary")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["screening"]["outcome"] == "cleared"
    assert body["screening_due"] is False
    assert body["health_assessment_due_at"].startswith("2026-03-28T18:00")
    assert body["health_assessment_overdue"] is False
    assert (body["care_alerts"], body["next_encounter"], body["sick_calls"]) == ([], None, [])
    assert "answers" not in json.dumps(body)


def test_the_record_is_for_medical_staff_and_each_read_is_audited(
    held, medic_client, client_for, officer, admin_user, outsider
):
    response = medic_client.get(f"{API}/bookings/{held.booking_number}/record")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["access"] is None
    assert body["screenings"][0]["answers"] == CLEAR_ANSWERS
    assert [r.changes for r in reads()] == [{"section": "record"}]
    url = f"{API}/bookings/{held.booking_number}/record"
    assert error(client_for(officer).get(url), 403) == "clinical_only"
    assert error(client_for(admin_user).get(url), 403) == "missing_role"
    assert error(client_for(outsider).get(url), 404) == "not_found"
    assert len(reads()) == 1


# --- Screening --------------------------------------------------------------------------------


def test_a_medic_screens_a_new_arrival_clear(admit, medic_client):
    arrival = admit("Haruno", given_name="Sakura", born=ADULT, screened=False, housed=False)
    url = f"{API}/bookings/{arrival.booking_number}/screenings"
    response = post(medic_client, url, {"answers": CLEAR_ANSWERS, "notes": "Calm, oriented."})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["outcome"], body["notes"]) == ("cleared", "Calm, oriented.")
    listed = medic_client.get(url)
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()] == [body["id"]]
    assert [r.changes["section"] for r in reads()] == ["screening", "screenings"]


def test_screening_names_the_bad_answers_and_a_referral_says_where(admit, medic_client):
    arrival = admit("Haruno", given_name="Sakura", born=ADULT, screened=False, housed=False)
    url = f"{API}/bookings/{arrival.booking_number}/screenings"
    assert "answers.conscious" in fields_of(post(medic_client, url, {"answers": {}}))
    bleeding = {**CLEAR_ANSWERS, "bleeding": True}
    assert fields_of(post(medic_client, url, {"answers": bleeding})) == {"referral"}
    assert fields_of(post(medic_client, url, {})) == {"answers"}
    sent = post(medic_client, url, {"answers": bleeding, "referral": "County hospital A&E"})
    assert sent.status_code == 201
    assert sent.json()["outcome"] == "referred"


def test_screening_is_medical_work(held, client_for, officer, commander):
    url = f"{API}/bookings/{held.booking_number}/screenings"
    assert error(post(client_for(officer), url, {"answers": CLEAR_ANSWERS}), 403) == "missing_role"
    assert error(client_for(commander).get(url), 403) == "clinical_only"


# --- Encounters -------------------------------------------------------------------------------


def test_a_medic_schedules_an_encounter_and_reads_it_back_in_full(held, medic_client, encounter):
    assert (encounter["status"], encounter["provider"], encounter["place"]) == (
        "scheduled", "mo_medic", "clinic"
    )  # fmt: skip
    assert (encounter["reason"], encounter["warnings"]) == ("Facial wounds, dressing change.", [])
    response = medic_client.get(f"{API}/encounters/{encounter['id']}")
    assert response.status_code == 200
    assert response.json()["reason"] == "Facial wounds, dressing change."
    assert {r.action for r in reads()} == {"encounter.read"}


def test_custody_see_when_and_where_but_not_why(held, encounter, client_for, officer):
    response = client_for(officer).get(f"{API}/encounters/{encounter['id']}")
    assert response.status_code == 200
    body = response.json()
    assert (body["provider"], body["status"]) == ("mo_medic", "scheduled")
    # The clinical keys are absent, not empty.
    assert not set(body) & {"reason", "findings", "treatment", "follow_up", "notes", "vitals"}
    assert "Facial" not in response.content.decode()
    listed = client_for(officer).get(f"{API}/encounters", {"date": "2026-03-14"})
    assert [e["id"] for e in listed.json()] == [encounter["id"]]
    assert "reason" not in listed.json()[0]


def test_the_days_list_never_carries_clinical_text_even_for_a_medic(encounter, medic_client):
    listed = medic_client.get(f"{API}/encounters", {"date": "2026-03-14", "status": "scheduled"})
    assert ["reason" in e for e in listed.json()] == [False]
    assert medic_client.get(f"{API}/encounters", {"date": "2026-03-15"}).json() == []


def test_scheduling_names_its_bad_fields(held, medic_client, officer):
    assert fields_of(post(medic_client, f"{API}/encounters", {})) >= {
        "booking", "kind", "provider", "scheduled_for"
    }  # fmt: skip
    assert fields_of(schedule(medic_client, held, provider="olly_officer")) == {"provider"}
    assert fields_of(schedule(medic_client, held, provider="nobody")) == {"provider"}
    assert fields_of(schedule(medic_client, held, booking="TST-2026-999")) == {"booking"}
    assert fields_of(schedule(medic_client, held, place="other")) == {"place_detail"}


def test_the_check_warns_of_a_refusal_before_scheduling(held, medic_client, second_medic, witness):
    refusal = {
        "decision": "refusal", "scope": "general", "except_provider": "mina_medic",
        "witness": "walt_witness", "statement": "Only Mina.",
    }  # fmt: skip
    consents = f"{API}/bookings/{held.booking_number}/consents"
    assert post(medic_client, consents, refusal).status_code == 201
    check = {"booking": held.booking_number, "provider": "mo_medic"}
    response = post(medic_client, f"{API}/encounters/check", check)
    assert response.status_code == 200, response.content
    assert [w["code"] for w in response.json()] == ["provider_refused"]
    chosen = post(medic_client, f"{API}/encounters/check", {**check, "provider": "mina_medic"})
    assert chosen.json() == []


def test_an_encounter_runs_from_start_to_completion(encounter, medic_client):
    url = f"{API}/encounters/{encounter['id']}"
    started = post(medic_client, f"{url}/start")
    assert started.json()["status"] == "in_progress", started.content
    assert fields_of(post(medic_client, f"{url}/complete", {"findings": " "})) == {"findings"}
    done = post(
        medic_client, f"{url}/complete",
        {"findings": "Facial wounds healed.", "follow_up": "None needed."},
    )  # fmt: skip
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["status"], body["findings"]) == ("completed", "Facial wounds healed.")
    assert error(post(medic_client, f"{url}/start"), 409) == "encounter_not_scheduled"


def test_an_encounter_in_a_restricted_cell_needs_a_cell_entry_grant(
    held, medic_client, medic, supervisor, site
):
    # In a restricted zone nobody enters a cell without a grant, medics included.
    Zone.objects.filter(pk=site.zone.pk).update(restricted=True)
    response = schedule(medic_client, held, place="cell")
    assert response.status_code == 201, response.content
    url = f"{API}/encounters/{response.json()['id']}"
    assert error(post(medic_client, f"{url}/start"), 409) == "no_cell_entry"
    cell = Encounter.objects.get(public_id=response.json()["id"]).cell
    entry_grant_issue(
        actor=supervisor, staff=medic, cell=cell, valid_until=NOW + dt.timedelta(hours=2),
        reason="Night visit.",
    )  # fmt: skip
    assert post(medic_client, f"{url}/start").json()["status"] == "in_progress"


def test_cancel_and_refuse_name_their_fields(encounter, medic_client, witness):
    url = f"{API}/encounters/{encounter['id']}"
    assert fields_of(post(medic_client, f"{url}/cancel", {"reason": ""})) == {"reason"}
    assert fields_of(post(medic_client, f"{url}/refuse", {})) == {"witness"}
    refused = post(medic_client, f"{url}/refuse", {"witness": "walt_witness"})
    assert refused.json()["status"] == "refused", refused.content
    assert error(post(medic_client, f"{url}/cancel", {"reason": "Moot."}), 409)


def test_a_cancelled_encounter_says_why_to_everyone(encounter, medic_client, client_for, officer):
    url = f"{API}/encounters/{encounter['id']}"
    cancelled = post(medic_client, f"{url}/cancel", {"reason": "Lockdown on the wing."})
    assert cancelled.json()["status"] == "cancelled", cancelled.content
    assert client_for(officer).get(url).json()["cancel_reason"] == "Lockdown on the wing."


def test_the_alleged_victim_as_provider_waits_for_a_supervisors_acknowledgement(
    held, medic_client, client_for, supervisor, second_medic, commander
):
    staff_conflict_create(
        actor=commander, facility=held.facility, person=held.person, staff=second_medic,
        kind=ConflictKind.ALLEGED_VICTIM, reason="Attempted murder charge.",
    )  # fmt: skip
    response = schedule(medic_client, held, provider="mina_medic")
    assert response.status_code == 201, response.content
    scheduled = response.json()
    assert scheduled["status"] == "awaiting_ack"
    assert [w["code"] for w in scheduled["warnings"]] == ["staff_victim_conflict"]
    assert scheduled["warnings"][0]["needs_acknowledgement"] is True
    url = f"{API}/encounters/{scheduled['id']}"
    assert error(post(medic_client, f"{url}/start"), 409) == "acknowledgement_required"
    boss = client_for(supervisor)
    assert fields_of(post(boss, f"{url}/acknowledge", {"note": ""})) == {"note"}
    acknowledged = post(boss, f"{url}/acknowledge", {"note": "Two officers at the door."})
    assert acknowledged.status_code == 200, acknowledged.content
    body = acknowledged.json()
    # The supervisor is custody: the answer leaves the clinical fields out.
    assert (body["status"], body["acknowledged_by"]) == ("scheduled", "sam_supervisor")
    assert "reason" not in body
    again = post(boss, f"{url}/acknowledge", {"note": "Again."})
    assert error(again, 409) == "not_awaiting_acknowledgement"
    assert error(post(medic_client, f"{url}/acknowledge", {"note": "x"}), 403) == "missing_role"


# --- Notes, vitals, injuries ------------------------------------------------------------------


def test_notes_vitals_and_injuries_are_recorded_and_named_when_wrong(held, medic_client, encounter):
    base = f"{API}/bookings/{held.booking_number}"
    note = post(
        medic_client, f"{base}/notes", {"text": "Sleeps badly.", "encounter": encounter["id"]}
    )
    assert note.status_code == 201, note.content
    assert (note.json()["text"], note.json()["encounter"]) == ("Sleeps badly.", encounter["id"])
    fixed = post(
        medic_client, f"{base}/notes", {"text": "Sleeps well.", "amends": note.json()["id"]}
    )
    assert fixed.json()["amends"] == note.json()["id"]
    assert fields_of(post(medic_client, f"{base}/notes", {"text": ""})) == {"text"}
    ghost = "00000000-0000-0000-0000-000000000000"
    assert fields_of(post(medic_client, f"{base}/notes", {"text": "x", "amends": ghost})) == {
        "amends"
    }
    assert fields_of(post(medic_client, f"{base}/notes", {"text": "x", "encounter": ghost})) == {
        "encounter"
    }
    vitals = post(medic_client, f"{base}/vitals", {"pulse": 72, "systolic": 120, "diastolic": 80})
    assert vitals.status_code == 201, vitals.content
    assert vitals.json()["pulse"] == 72
    assert fields_of(post(medic_client, f"{base}/vitals", {"pulse": 900})) == {"pulse"}
    assert fields_of(post(medic_client, f"{base}/vitals", {})) != set()
    injury = post(
        medic_client, f"{base}/injuries",
        {"location": "left_wrist", "description": "Rope burns from the bindings."},
    )  # fmt: skip
    assert injury.status_code == 201, injury.content
    assert (injury.json()["location"], injury.json()["status"]) == ("left_wrist", "untreated")
    assert fields_of(post(medic_client, f"{base}/injuries", {"location": "tail"})) == {
        "location", "description"
    }  # fmt: skip
    healed = send(
        medic_client, "PATCH", f"{API}/injuries/{injury.json()['id']}", {"status": "healed"}
    )
    assert healed.status_code == 200, healed.content
    assert healed.json()["status"] == "healed"
    sections = [r.changes["section"] for r in reads()]
    assert {"note", "vitals", "injury"} <= set(sections)


def test_custody_cannot_write_clinical_records(held, client_for, officer, commander):
    base = f"{API}/bookings/{held.booking_number}"
    for who in (officer, commander):
        client = client_for(who)
        for part in ("notes", "vitals", "injuries", "consents"):
            assert error(post(client, f"{base}/{part}", {"text": "x"}), 403) == "missing_role"


# --- Sick calls -------------------------------------------------------------------------------


def test_an_officer_files_a_sick_call_and_never_sees_the_complaint(
    held, client_for, officer, medic_client
):
    filed = post(
        client_for(officer), f"{API}/sick-calls",
        {"booking": held.booking_number, "complaint": "Chest pain since lunch."},
    )  # fmt: skip
    assert filed.status_code == 201, filed.content
    body = filed.json()
    assert (body["status"], body["via"], body["filed_by"]) == ("waiting", "officer", "olly_officer")
    assert "complaint" not in body
    assert "Chest" not in filed.content.decode()
    queue = client_for(officer).get(f"{API}/sick-calls")
    assert [(s["id"], "complaint" in s) for s in queue.json()] == [(body["id"], False)]
    assert reads() == []
    seen = medic_client.get(f"{API}/sick-calls")
    assert seen.json()[0]["complaint"] == "Chest pain since lunch."
    (read,) = reads("medical.read")
    assert read.changes == {"section": "sick_call_queue", "bookings": [held.booking_number]}


def test_a_medic_triages_and_closes_sick_calls(held, medic_client):
    filed = post(
        medic_client, f"{API}/sick-calls",
        {"booking": held.booking_number, "complaint": "Toothache.", "via": "kiosk"},
    )  # fmt: skip
    assert filed.json()["complaint"] == "Toothache."
    url = f"{API}/sick-calls/{filed.json()['id']}"
    assert fields_of(post(medic_client, f"{url}/triage", {"urgency": "soon"})) == {"urgency"}
    triaged = post(medic_client, f"{url}/triage", {"urgency": "urgent"})
    assert triaged.json()["urgency"] == "urgent", triaged.content
    assert fields_of(post(medic_client, f"{url}/close", {"reason": ""})) == {"reason"}
    closed = post(medic_client, f"{url}/close", {"reason": "Withdrawn by the person."})
    assert closed.json()["status"] == "closed"
    assert closed.json()["close_reason"] == "Withdrawn by the person."


def test_filing_names_its_fields(held, client_for, officer, admin_user):
    assert fields_of(post(client_for(officer), f"{API}/sick-calls", {})) == {
        "booking", "complaint"
    }  # fmt: skip
    body = {"booking": held.booking_number, "complaint": ""}
    assert fields_of(post(client_for(officer), f"{API}/sick-calls", body)) == {"complaint"}
    assert error(post(client_for(admin_user), f"{API}/sick-calls", body), 403) == "missing_role"


# --- Consent ----------------------------------------------------------------------------------


def test_a_refusal_needs_a_witness_and_a_record_can_be_withdrawn(held, medic_client, witness):
    url = f"{API}/bookings/{held.booking_number}/consents"
    refusal = {"decision": "refusal", "scope": "treatment", "treatment": "Insulin"}
    assert "witness" in fields_of(post(medic_client, url, refusal))
    assert fields_of(post(medic_client, url, {**refusal, "witness": "ghost"})) == {"witness"}
    recorded = post(medic_client, url, {**refusal, "witness": "walt_witness"})
    assert recorded.status_code == 201, recorded.content
    assert (recorded.json()["treatment"], recorded.json()["witness"]) == ("Insulin", "walt_witness")
    withdraw = f"{API}/consents/{recorded.json()['id']}/withdraw"
    assert fields_of(post(medic_client, withdraw, {"reason": " "})) == {"reason"}
    withdrawn = post(medic_client, withdraw, {"reason": "He agreed after all."})
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["withdrawn_by"] == "mo_medic"


# --- Care alerts ------------------------------------------------------------------------------


def test_a_medic_sets_a_care_alert_that_custody_see_and_ends_it(
    held, medic_client, client_for, officer
):
    url = f"{API}/bookings/{held.booking_number}/care-alerts"
    made = post(medic_client, url, {"kind": "lower_bunk"})
    assert made.status_code == 201, made.content
    assert made.json()["kind"] == "lower_bunk"
    assert error(post(medic_client, url, {"kind": "lower_bunk"}), 409) == "care_alert_exists"
    assert fields_of(post(medic_client, url, {"kind": "hug"})) == {"kind"}
    custody = client_for(officer)
    assert [a["id"] for a in custody.get(url).json()] == [made.json()["id"]]
    assert [a["id"] for a in custody.get(f"{API}/care-alerts").json()] == [made.json()["id"]]
    assert error(post(custody, url, {"kind": "other"}), 403) == "missing_role"
    end = f"{API}/care-alerts/{made.json()['id']}/end"
    assert fields_of(post(medic_client, end, {"reason": ""})) == {"reason"}
    ended = post(medic_client, end, {"reason": "Moved to a single cell."})
    assert ended.json()["ended_by"] == "mo_medic", ended.content
    assert custody.get(url).json() == []


# --- Break-glass and the medical lead ---------------------------------------------------------


def test_a_commander_breaks_the_glass_reads_the_record_and_the_lead_reviews(
    held, client_for, commander, medic_client, auditor
):
    boss = client_for(commander)
    record = f"{API}/bookings/{held.booking_number}/record"
    assert error(boss.get(record), 403) == "clinical_only"
    assert fields_of(post(boss, f"{API}/break-glass", {"booking": held.booking_number})) == {
        "reason"
    }
    opened = post(boss, f"{API}/break-glass", {"booking": held.booking_number, "reason": REASON})
    assert opened.status_code == 201, opened.content
    access = opened.json()
    assert (access["active"], access["opened_by"], access["reason"]) == (
        True, "cara_commander", REASON
    )  # fmt: skip
    again = post(boss, f"{API}/break-glass", {"booking": held.booking_number, "reason": REASON})
    assert error(again, 409) == "break_glass_open"
    read = boss.get(record)
    assert read.status_code == 200, read.content
    assert read.json()["access"]["id"] == access["id"]
    assert reads()[-1].reason == f"break-glass: {REASON}"
    listed = client_for(auditor).get(f"{API}/break-glass", {"unreviewed": "true"})
    assert [a["id"] for a in listed.json()] == [access["id"]]
    url = f"{API}/break-glass/{access['id']}"
    assert error(post(boss, f"{url}/review", {"note": "Fine."}), 403) == "own_access"
    assert fields_of(post(medic_client, f"{url}/review", {})) == {"note"}
    reviewed = post(medic_client, f"{url}/review", {"note": "Justified."})
    assert reviewed.json()["reviewed_by"] == "mo_medic", reviewed.content
    closed = post(boss, f"{url}/close")
    assert closed.json()["active"] is False, closed.content
    assert error(boss.get(record), 403) == "clinical_only"
    assert error(post(boss, f"{url}/close"), 409) == "break_glass_ended"


def test_medical_staff_do_not_break_the_glass(held, medic_client, client_for, staff_factory):
    body = {"booking": held.booking_number, "reason": REASON}
    assert error(post(medic_client, f"{API}/break-glass", body), 403) == "missing_role"
    doctor = staff_factory("doc_commander", Role.COMMANDER, Role.MEDICAL)
    refused = post(client_for(doctor), f"{API}/break-glass", body)
    assert error(refused, 409) == "clinical_access_held"
    assert not BreakGlass.objects.exists()


def test_the_administrator_names_the_medical_lead(site, client_for, admin_user, medic, officer):
    url = f"{API}/facilities/{site.facility.public_id}/medical-lead"
    admin = client_for(admin_user)
    named = send(admin, "PUT", url, {"username": "mo_medic"})
    assert named.status_code == 200, named.content
    assert (named.json()["medical_lead"], named.json()["told"]) == ("mo_medic", ["mo_medic"])
    assert fields_of(send(admin, "PUT", url, {"username": "olly_officer"})) == {"username"}
    assert fields_of(send(admin, "PUT", url, {"username": "ghost"})) == {"username"}
    assert fields_of(send(admin, "PUT", url, {})) == {"username"}
    cleared = send(admin, "PUT", url, {"username": None})
    assert cleared.json()["medical_lead"] is None
    assert error(send(client_for(officer), "PUT", url, {"username": None}), 403) == "missing_role"


# --- Lists cost the same queries for one row or many ------------------------------------------


def test_the_lists_cost_the_same_queries_for_one_person_or_several(
    held, admit, medic_client, client_for, officer, auditor, commander, staff_factory,
    django_assert_max_num_queries,
):  # fmt: skip
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def file_and_alert(booking: Booking) -> None:
        number = booking.booking_number
        sick = {"booking": number, "complaint": "Headache."}
        assert post(medic_client, f"{API}/sick-calls", sick).status_code == 201
        alert = {"kind": "lower_bunk"}
        assert post(medic_client, f"{API}/bookings/{number}/care-alerts", alert).status_code == 201
        assert schedule(medic_client, booking).status_code == 201
        opening = {"booking": number, "reason": REASON}
        assert post(client_for(commander), f"{API}/break-glass", opening).status_code == 201

    lists = [
        (medic_client, f"{API}/sick-calls"), (client_for(officer), f"{API}/sick-calls"),
        (client_for(officer), f"{API}/care-alerts"), (client_for(officer), f"{API}/encounters"),
        (client_for(auditor), f"{API}/break-glass"),
    ]  # fmt: skip
    file_and_alert(held)
    costs = []
    for client, url in lists:
        with CaptureQueriesContext(connection) as one:
            assert client.get(url).status_code == 200
        costs.append(len(one.captured_queries))
    for n in range(3):
        file_and_alert(admit(f"Extra{n}", given_name="Genin", born=ADULT))
    for (client, url), cost in zip(lists, costs, strict=True):
        with django_assert_max_num_queries(cost):
            response = client.get(url)
        assert len(response.json()) == 4, url


def test_the_openapi_schema_describes_both_views_of_an_encounter(client):
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/medical/encounters/{encounter_id}" in paths
    components = schema.json()["components"]["schemas"]
    assert "reason" in components["EncounterClinicalOut"]["properties"]
    assert "reason" not in components["EncounterOut"]["properties"]


def test_the_record_and_an_encounter_cost_the_same_queries_for_one_entry_or_several(
    held, medic_client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    number = held.booking_number
    encounter = schedule(medic_client, held).json()["id"]
    answers = [f"{API}/bookings/{number}/record", f"{API}/encounters/{encounter}"]

    def injury_and_consent() -> None:
        injury = {"location": "head", "description": "Cut above the eye.", "encounter": encounter}
        assert post(medic_client, f"{API}/bookings/{number}/injuries", injury).status_code == 201
        consent = {
            "decision": "consent", "scope": "treatment", "treatment": "Stitches",
            "encounter": encounter,
        }  # fmt: skip
        assert post(medic_client, f"{API}/bookings/{number}/consents", consent).status_code == 201

    def costs() -> list[int]:
        found = []
        for url in answers:
            with CaptureQueriesContext(connection) as one:
                assert medic_client.get(url).status_code == 200
            found.append(len(one.captured_queries))
        return found

    injury_and_consent()
    before = costs()
    for _ in range(3):
        injury_and_consent()
    assert costs() == before
