"""Nobody but medical staff reads clinical text through the API: a walker proves it.

A real record is planted with a marker in every clinical field (screening
answers, notes and referral; the sick-call complaint; the encounter's
reason, findings, treatment and follow-up; a clinical note; an injury; a
consent's treatment and statement) and a distinctive pulse and follow-up
date.  Then every operation of the medical router, enumerated from the
router itself so that a new endpoint is walked without anyone listing it,
is called by every non-medical role with the record's real ids: none of the
answers may carry a marker.  The audit log the auditor reads lists the
reads, never the text.  A commander who broke the glass does get the text
(the walker can fail), and after it expires no longer does.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cellblock.booking.models import Booking
from cellblock.core.roles import Role
from cellblock.medical.api import router as medical_router
from cellblock.medical.models import CLINICAL_FIELDS, EncounterKind, VitalSigns
from cellblock.medical.screening import CLEAR_ANSWERS
from cellblock.medical.services.access import break_glass_close, break_glass_open
from cellblock.medical.services.care_alerts import care_alert_set
from cellblock.medical.services.consent import consent_record
from cellblock.medical.services.encounters import (
    clinical_note_add,
    encounter_complete,
    encounter_schedule,
    encounter_start,
    injury_record,
    vitals_record,
)
from cellblock.medical.services.screening import screening_record
from cellblock.medical.services.sick_calls import sick_call_file

from .conftest import NOW

pytestmark = pytest.mark.django_db

API = "/api/medical"
CANARY = "CANARY-q7Zx"
PULSE = 187
FOLLOW_UP_DUE = dt.date(2031, 7, 7)
ADULT = dt.date(1990, 7, 23)
ALLOWED = frozenset({200, 201, 400, 403, 404, 405, 409, 422})
VITALS = frozenset(CLINICAL_FIELDS[VitalSigns])
# Everyone who works at the facility but medical staff; the commander without break-glass.
NON_MEDICAL = (
    Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.COMMANDER, Role.BOOKING, Role.VISITS,
    Role.CLASSIFICATION, Role.COURT, Role.ADMIN,
)  # fmt: skip
_PARAM = re.compile(r"\{(?:\w+:)?(\w+)\}")


def marker(field: str) -> str:
    return f"{CANARY}:{field}"


# --- The planted record -----------------------------------------------------------------------


@dataclass(frozen=True)
class Planted:
    booking: Booking
    ids: dict[str, str]
    # Every marker planted, by the field it sits in.
    markers: dict[str, str]


@pytest.fixture
def planted(clock, admit, medic, witness, staff_factory) -> Planted:
    """Sasuke's record with a marker in every clinical field, through the medical services."""
    held = admit(born=ADULT)
    answers = {
        **CLEAR_ANSWERS,
        **{key: marker(f"answers.{key}") for key in (
            "current_illness", "injuries", "medications", "mental_health", "disability_needs",
        )},
    }  # fmt: skip
    screening_record(actor=medic, booking=held, answers=answers, notes=marker("screening.notes"))
    screening_record(
        actor=medic, booking=held, answers={**answers, "bleeding": True},
        referral=marker("screening.referral"),
    )  # fmt: skip
    sick_call = sick_call_file(
        actor=medic, booking=held, complaint=marker("sickcall.complaint"), via="kiosk"
    )
    # Still in the queue when the walk comes (the first is seen by the encounter).
    sick_call_file(actor=medic, booking=held, complaint=marker("sickcall.waiting"), via="paper")
    scheduled = encounter_schedule(
        actor=medic, booking=held, kind=EncounterKind.SICK_CALL, provider=medic,
        scheduled_for=NOW, place="clinic", reason=marker("encounter.reason"), sick_call=sick_call,
    )  # fmt: skip
    encounter = encounter_start(actor=medic, encounter=scheduled.encounter)
    clinical_note_add(
        actor=medic, booking=held, text=marker("clinicalnote.text"), encounter=encounter
    )
    vitals_record(
        actor=medic, booking=held, encounter=encounter, pulse=PULSE, systolic=141,
        diastolic=93, respiration=17, spo2=96, pain=6,
    )  # fmt: skip
    injury = injury_record(
        actor=medic, booking=held, location="left_wrist",
        description=marker("injury.description"), encounter=encounter,
    )  # fmt: skip
    encounter_complete(
        actor=medic, encounter=encounter, findings=marker("encounter.findings"),
        treatment=marker("encounter.treatment"), follow_up=marker("encounter.follow_up"),
        follow_up_due=FOLLOW_UP_DUE,
    )  # fmt: skip
    consent = consent_record(
        actor=medic, booking=held, decision="refusal", scope="treatment",
        treatment=marker("consent.treatment"), statement=marker("consent.statement"),
        witness=witness,
    )  # fmt: skip
    alert = care_alert_set(actor=medic, booking=held, kind="lower_bunk")
    # Another commander's opening: the review list has a row, and it is not the walker's.
    other = staff_factory("tsunade", Role.COMMANDER)
    access = break_glass_open(actor=other, booking=held, reason="Collapsed in the yard.")
    ids = {
        "booking_number": held.booking_number, "encounter_id": str(encounter.public_id),
        "sick_call_id": str(sick_call.public_id), "consent_id": str(consent.public_id),
        "care_alert_id": str(alert.public_id), "injury_id": str(injury.public_id),
        "break_glass_id": str(access.public_id), "facility_id": str(held.facility.public_id),
    }  # fmt: skip
    markers = {
        field: marker(field)
        for field in (
            *(f"answers.{k}" for k in ("current_illness", "injuries", "medications",
                                       "mental_health", "disability_needs")),
            "screening.notes", "screening.referral", "sickcall.complaint", "sickcall.waiting",
            "encounter.reason",
            "encounter.findings", "encounter.treatment", "encounter.follow_up",
            "clinicalnote.text", "injury.description", "consent.treatment", "consent.statement",
        )
    }  # fmt: skip
    return Planted(booking=held, ids=ids, markers=markers)


# --- The walker -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str
    path: str


def operations(router: Any = medical_router, prefix: str = "") -> Iterator[Operation]:
    """Every operation of the router and the routers added to it, read from ninja itself."""
    for path, path_view in router.path_operations.items():
        # "{uuid:encounter_id}" (ninja spells it uuidstr) reads "{encounter_id}".
        plain = _PARAM.sub(lambda match: "{" + match[1] + "}", f"{prefix}{path}")
        for operation in path_view.operations:
            for method in operation.methods:
                yield Operation(method, plain)
    for child_prefix, child, *_ in router._routers:
        yield from operations(child, f"{prefix}{child_prefix}")


def every_operation() -> list[Operation]:
    return sorted(set(operations()), key=lambda op: (op.path, op.method))


def url_of(operation: Operation, ids: dict[str, str]) -> str:
    def real_id(match: re.Match[str]) -> str:
        name = match[1]
        assert name in ids, f"{operation.path}: give the walker a real {name}"
        return ids[name]

    return API + _PARAM.sub(real_id, operation.path)


def _vital_values(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in VITALS:
                yield key, item
            yield from _vital_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _vital_values(item)


def leaks(content: bytes) -> list[str]:
    """What clinical text an answer carries: markers, the planted pulse, the follow-up date."""
    text = content.decode(errors="replace")
    found = sorted(set(re.findall(rf"{CANARY}:[\w.]+", text)))
    if FOLLOW_UP_DUE.isoformat() in text:
        found.append("follow_up_due")
    try:
        body = json.loads(text)
    except ValueError:
        return found
    found += [f"{key}={value}" for key, value in _vital_values(body) if value == PULSE]
    return found


@dataclass(frozen=True)
class Answer:
    operation: Operation
    status: int
    leaked: list[str]


def walk(client: Client, planted: Planted) -> list[Answer]:
    """Call every operation once: GETs with the facility, writes with a harmless empty body."""
    facility = planted.ids["facility_id"]
    answers = []
    for operation in every_operation():
        url = url_of(operation, planted.ids)
        if operation.method == "GET":
            response = client.get(url, {"facility": facility})
        elif operation.method in ("POST", "PUT", "PATCH"):
            response = client.generic(
                operation.method, url, data="{}", content_type="application/json"
            )
        else:
            response = client.generic(operation.method, url)
        answers.append(Answer(operation, response.status_code, leaks(response.content)))
    return answers


def problems(answers: list[Answer]) -> list[str]:
    return [
        f"{a.operation.method} {a.operation.path} -> {a.status} {a.leaked}"
        for a in answers
        if a.leaked or a.status not in ALLOWED
    ]


# --- The walk ---------------------------------------------------------------------------------


def test_the_planted_record_holds_every_marker_and_the_walker_reaches_every_operation(
    planted, client_for, medic
):
    response = client_for(medic).get(f"{API}/bookings/{planted.booking.booking_number}/record")
    assert response.status_code == 200, response.content
    assert set(leaks(response.content)) == {
        *planted.markers.values(), "follow_up_due", f"pulse={PULSE}"
    }  # fmt: skip
    walked = every_operation()
    assert len(walked) >= 30
    assert Operation("GET", "/bookings/{booking_number}/record") in walked
    assert Operation("PUT", "/facilities/{facility_id}/medical-lead") in walked


@pytest.mark.parametrize("role", NON_MEDICAL)
def test_no_operation_answers_clinical_text_to_a_non_medical_role(
    planted, staff_factory, client_for, role
):
    walker = staff_factory(f"walker_{role}", role)
    answers = walk(client_for(walker), planted)
    assert problems(answers) == []
    # The walk got answers, not just refusals, from those who see custody's side.
    if role != Role.ADMIN:
        assert {a.status for a in answers} >= {200, 403}


def test_the_auditor_sees_every_read_in_the_audit_log_but_never_the_text(
    planted, client_for, medic, auditor
):
    medic_client = client_for(medic)
    number = planted.booking.booking_number
    encounter = planted.ids["encounter_id"]
    for url in (f"{API}/bookings/{number}/record", f"{API}/encounters/{encounter}",
                f"{API}/sick-calls", f"{API}/bookings/{number}/screenings"):  # fmt: skip
        assert CANARY in medic_client.get(url).content.decode()
    reader = client_for(auditor)
    listed = reader.get("/api/audit/events", {"limit": 1000})
    assert listed.status_code == 200
    assert leaks(listed.content) == []
    events = listed.json()
    medic_reads = [e for e in events if e["action"].endswith(".read") and e["actor"] == "mo_medic"]
    assert {e["action"] for e in medic_reads} >= {"booking.read", "encounter.read", "medical.read"}
    assert {e["changes"]["section"] for e in medic_reads} >= {
        "record", "encounter", "sick_call_queue", "screenings"
    }  # fmt: skip
    for event in events:
        one = reader.get("/api/audit/events", {"object_id": event["object_id"], "limit": 1000})
        assert one.status_code == 200
        assert leaks(one.content) == [], event["action"]
    page = reader.get(reverse("audit:log"))
    assert page.status_code == 200
    assert leaks(page.content) == []


def test_a_commander_who_broke_the_glass_reads_it_and_after_expiry_no_longer(
    planted, client_for, commander, clock
):
    break_glass_open(
        actor=commander, booking=planted.booking, reason="Unresponsive; the crew asks."
    )
    boss = client_for(commander)
    leaked = {a.operation.path for a in walk(boss, planted) if a.leaked}
    # The proof the walker can fail: the record, the screenings and the encounter leak to her.
    assert leaked >= {
        "/bookings/{booking_number}/record", "/bookings/{booking_number}/screenings",
        "/encounters/{encounter_id}",
    }  # fmt: skip
    clock.move_to(NOW + dt.timedelta(minutes=60))
    # A new session: the old one locked after 30 idle minutes (CJIS).
    assert problems(walk(client_for(commander), planted)) == []


def test_a_commander_who_closed_the_glass_reads_nothing_more(planted, client_for, commander):
    access = break_glass_open(actor=commander, booking=planted.booking, reason="Unresponsive.")
    break_glass_close(actor=commander, access=access)
    assert problems(walk(client_for(commander), planted)) == []


def test_a_medic_is_the_walkers_other_proof(planted, client_for, staff_factory):
    medic = staff_factory("mina_medic", Role.MEDICAL)
    leaked = [a for a in walk(client_for(medic), planted) if a.leaked]
    assert leaked
    assert all(a.status in ALLOWED for a in leaked)
