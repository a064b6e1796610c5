"""Case file 3, "Baby steps": Sasuke's wounds, his one accepted medic, and her night visit.

Step 4: he has untreated injuries and refuses every medic except Sakura, whom he
is alleged to have tried to kill. A witnessed refusal says so; scheduling another
medic warns that he will refuse; choosing Sakura warns of the staff-victim
conflict and waits for a supervisor, Shizune, to acknowledge it.

Step 5: at night Shizune grants Sakura cell entry, Hiroki unlocks the door, the
encounter is recorded (facial wounds healed) in clinical notes that custody staff
cannot read, and she leaves. Every clinical read is in the audit chain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.conftest import (  # noqa: F401  (fixtures used by these tests)
    _fast_password_hashing,
    flushable_audit_trail_after_transactional_tests,
)
from tests.cases import MiniKonoha, as_staff, book, build_mini_konoha, house_by_override, ok, post

pytestmark = pytest.mark.django_db

# 18:00 in Konoha (Asia/Tokyo) on the day he is brought to the end of the corridor.
EVENING = dt.datetime(2026, 3, 14, 9, 0, tzinfo=dt.UTC)
NIGHT = EVENING + dt.timedelta(hours=5)  # 23:00
SASUKE_BORN = dt.date(2010, 7, 23)
HEALED = "Facial wounds healed"


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(EVENING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def konoha(clock: Any) -> MiniKonoha:
    return build_mini_konoha()


@pytest.fixture
def sasuke(konoha: MiniKonoha) -> str:
    """Held pretrial at the end of the corridor; Sakura is his alleged victim."""
    number = book(
        konoha, given_name="Sasuke", family_name="Uchiha", born=SASUKE_BORN,
        charge="Attempted murder of Sakura Haruno",
    )  # fmt: skip
    house_by_override(
        konoha, number, "HS-01", "No juvenile unit at Konoha; held at the end of the corridor."
    )
    person = ok(as_staff(konoha.staff["ibiki"]).get(f"/api/bookings/{number}"))["person"]["id"]
    ok(
        post(
            as_staff(konoha.staff["ibiki"]),
            "/api/classification/staff-conflicts",
            {
                "person_id": person,
                "staff": "sakura",
                "kind": "alleged_victim",
                "reason": "Sakura Haruno is the alleged victim of the attempted murder.",
            },
        ),
        201,
    )
    return number


def _refuses_all_but_sakura(konoha: MiniKonoha, sasuke: str) -> dict[str, Any]:
    return ok(
        post(
            as_staff(konoha.staff["shizune"]),
            f"/api/medical/bookings/{sasuke}/consents",
            {
                "decision": "refusal",
                "scope": "general",
                "except_provider": "sakura",
                "statement": "He will let nobody but Sakura treat him.",
                "person_signed": False,
                "witness": "hiroki",
            },
        ),
        201,
    )


def _schedule(konoha: MiniKonoha, sasuke: str, provider: str) -> Any:
    return post(
        as_staff(konoha.staff["shizune"]),
        "/api/medical/encounters",
        {
            "booking": sasuke,
            "kind": "treatment",
            "provider": provider,
            "scheduled_for": NIGHT.isoformat(),
            "place": "cell",
            "reason": "Untreated facial wounds",
        },
    )


@pytest.fixture
def step_4(konoha: MiniKonoha, sasuke: str) -> dict[str, Any]:
    """His injury and his refusal on record; Sakura scheduled and Shizune's acknowledgement."""
    shizune = as_staff(konoha.staff["shizune"])
    injury = ok(
        post(
            shizune,
            f"/api/medical/bookings/{sasuke}/injuries",
            {"location": "face", "description": "Cuts and bruises across the face, untreated."},
        ),
        201,
    )
    _refuses_all_but_sakura(konoha, sasuke)
    encounter = ok(_schedule(konoha, sasuke, "sakura"), 201)
    ok(
        post(
            shizune,
            f"/api/medical/encounters/{encounter['id']}/acknowledge",
            {"note": "Only Sakura can treat him; Hiroki stays at the door."},
        )
    )
    return {"injury": injury, "encounter": encounter}


# --- Step 4: the refusal, the warnings, the acknowledgement ----------------------------


def test_his_untreated_facial_injury_is_recorded_where_it_is(konoha, sasuke):
    injury = ok(
        post(
            as_staff(konoha.staff["shizune"]),
            f"/api/medical/bookings/{sasuke}/injuries",
            {"location": "face", "description": "Cuts and bruises across the face, untreated."},
        ),
        201,
    )
    assert (injury["location"], injury["status"]) == ("face", "untreated")


def test_his_refusal_of_every_medic_but_sakura_is_signed_by_shizune_and_a_witness(konoha, sasuke):
    refusal = _refuses_all_but_sakura(konoha, sasuke)
    assert (refusal["decision"], refusal["scope"]) == ("refusal", "general")
    assert refusal["except_provider"] == "sakura"
    assert (refusal["recorded_by"], refusal["witness"]) == ("shizune", "hiroki")


def test_a_refusal_without_a_witness_is_refused_by_name(konoha, sasuke):
    response = post(
        as_staff(konoha.staff["shizune"]),
        f"/api/medical/bookings/{sasuke}/consents",
        {"decision": "refusal", "scope": "general", "except_provider": "sakura"},
    )
    assert response.status_code == 400, response.content
    assert "witness" in response.json()["extra"]["fields"]


def test_scheduling_another_medic_warns_that_he_refuses_everyone_but_sakura(konoha, sasuke):
    _refuses_all_but_sakura(konoha, sasuke)
    scheduled = ok(_schedule(konoha, sasuke, "shizune"), 201)
    assert scheduled["status"] == "scheduled"
    [warning] = scheduled["warnings"]
    assert warning["code"] == "provider_refused"
    assert "except Sakura" in warning["message"]
    # His refusal is his medical decision: the officer who escorts him is not told of it.
    escort = ok(as_staff(konoha.staff["hiroki"]).get(f"/api/medical/encounters/{scheduled['id']}"))
    assert escort["warnings"] == []


def test_choosing_sakura_warns_of_the_conflict_and_waits_for_a_supervisor(konoha, sasuke):
    _refuses_all_but_sakura(konoha, sasuke)
    scheduled = ok(_schedule(konoha, sasuke, "sakura"), 201)
    assert scheduled["status"] == "awaiting_ack"
    assert [w["code"] for w in scheduled["warnings"]] == ["staff_victim_conflict"]
    assert scheduled["warnings"][0]["needs_acknowledgement"] is True

    early = post(
        as_staff(konoha.staff["sakura"]), f"/api/medical/encounters/{scheduled['id']}/start"
    )
    assert early.status_code == 409, early.content
    assert early.json()["code"] == "acknowledgement_required"


def test_only_a_supervisor_who_is_not_the_victim_acknowledges(konoha, sasuke):
    scheduled = ok(_schedule(konoha, sasuke, "sakura"), 201)
    path = f"/api/medical/encounters/{scheduled['id']}/acknowledge"
    note = {"note": "Only Sakura can treat him."}
    assert post(as_staff(konoha.staff["hiroki"]), path, note).status_code == 403
    assert post(as_staff(konoha.staff["sakura"]), path, note).status_code == 403

    acknowledged = ok(post(as_staff(konoha.staff["shizune"]), path, note))
    assert acknowledged["status"] == "scheduled"
    assert acknowledged["acknowledged_by"] == "shizune"
    event = AuditEvent.objects.get(action="encounter.acknowledge")
    assert event.actor_username == "shizune"


# --- Step 5: the night visit -----------------------------------------------------------


def test_at_night_sakura_treats_him_in_his_cell_behind_the_door_hiroki_opens(
    konoha, sasuke, step_4, clock
):
    clock.move_to(NIGHT)
    encounter = step_4["encounter"]["id"]
    sakura = as_staff(konoha.staff["sakura"])
    hiroki = as_staff(konoha.staff["hiroki"])
    cell = str(konoha.cells["HS-01"].public_id)

    # Without Shizune's grant she may not go in.
    refused = post(sakura, f"/api/medical/encounters/{encounter}/start")
    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "no_cell_entry"

    ok(
        post(
            as_staff(konoha.staff["shizune"]),
            "/api/custody/grants",
            {
                "staff": "sakura",
                "cell": cell,
                "valid_until": (NIGHT + dt.timedelta(hours=1)).isoformat(),
                "reason": "He refuses every medic but her; his wounds are untreated.",
            },
        ),
        201,
    )
    door = {"cell": cell, "staff_passed": ["sakura"]}
    unlocked = ok(post(hiroki, "/api/custody/doors", {"action": "unlock", **door}), 201)
    started = ok(post(sakura, f"/api/medical/encounters/{encounter}/start"))
    assert started["status"] == "in_progress"

    ok(
        post(
            sakura,
            f"/api/medical/bookings/{sasuke}/notes",
            {"encounter": encounter, "text": f"{HEALED}; he let me look without a word."},
        ),
        201,
    )
    ok(
        post(
            sakura,
            f"/api/medical/bookings/{sasuke}/vitals",
            {"encounter": encounter, "pulse": 72, "systolic": 118, "diastolic": 76},
        ),
        201,
    )
    healed = ok(
        sakura.patch(
            f"/api/medical/injuries/{step_4['injury']['id']}",
            {"status": "healed", "encounter": encounter},
            content_type="application/json",
        )
    )
    assert healed["status"] == "healed"
    clock.shift(dt.timedelta(minutes=25))
    done = ok(
        post(sakura, f"/api/medical/encounters/{encounter}/complete", {"findings": f"{HEALED}."})
    )
    closed = ok(post(hiroki, "/api/custody/doors", {"action": "close", **door}), 201)
    assert done["status"] == "completed"
    assert done["findings"] == f"{HEALED}."

    # The door events of her visit are the encounter's; she went in on Shizune's grant.
    assert unlocked["grant"] is not None
    again = ok(sakura.get(f"/api/medical/encounters/{encounter}"))
    assert unlocked["id"] in again["door_events"]
    assert again["provider"] == "sakura"
    assert closed["operated_by"] == "hiroki"


def _night_encounter_done(konoha: MiniKonoha, sasuke: str, encounter: str, clock: Any) -> None:
    clock.move_to(NIGHT)
    ok(
        post(
            as_staff(konoha.staff["shizune"]),
            "/api/custody/grants",
            {
                "staff": "sakura",
                "cell": str(konoha.cells["HS-01"].public_id),
                "valid_until": (NIGHT + dt.timedelta(hours=1)).isoformat(),
                "reason": "Treatment he accepts only from her.",
            },
        ),
        201,
    )
    sakura = as_staff(konoha.staff["sakura"])
    ok(post(sakura, f"/api/medical/encounters/{encounter}/start"))
    ok(
        post(
            sakura,
            f"/api/medical/bookings/{sasuke}/notes",
            {"encounter": encounter, "text": f"{HEALED}."},
        ),
        201,
    )
    ok(post(sakura, f"/api/medical/encounters/{encounter}/complete", {"findings": f"{HEALED}."}))


def test_custody_staff_cannot_read_what_she_wrote(konoha, sasuke, step_4, clock):
    encounter = step_4["encounter"]["id"]
    _night_encounter_done(konoha, sasuke, encounter, clock)
    for who in ("hiroki", "tsunade", "ibiki", "iruka", "kurenai"):
        client = as_staff(konoha.staff[who])
        seen = client.get(f"/api/medical/encounters/{encounter}")
        assert HEALED not in seen.content.decode(), who
        record = client.get(f"/api/medical/bookings/{sasuke}/record")
        assert record.status_code == 403, (who, record.status_code)
        assert record.json()["code"] == "clinical_only"
        summary = client.get(f"/api/medical/bookings/{sasuke}/summary")
        assert HEALED not in summary.content.decode(), who
    # What custody does see: who came, when and where, and that it is done.
    custody_view = ok(as_staff(konoha.staff["hiroki"]).get(f"/api/medical/encounters/{encounter}"))
    assert (custody_view["provider"], custody_view["status"]) == ("sakura", "completed")
    assert "findings" not in custody_view


def test_every_read_of_his_record_is_in_the_audit_chain(konoha, sasuke, step_4, clock):
    encounter = step_4["encounter"]["id"]
    _night_encounter_done(konoha, sasuke, encounter, clock)
    ok(as_staff(konoha.staff["shizune"]).get(f"/api/medical/bookings/{sasuke}/record"))
    ok(as_staff(konoha.staff["sakura"]).get(f"/api/medical/encounters/{encounter}"))
    as_staff(konoha.staff["hiroki"]).get(f"/api/medical/encounters/{encounter}")

    reads = AuditEvent.objects.filter(action__endswith=".read").exclude(action="booking.read")
    readers = {event.actor_username for event in reads}
    assert {"shizune", "sakura"} <= readers
    assert "hiroki" not in readers
    for event in reads:
        assert HEALED not in str(event.changes) + event.reason + event.object_label
    verified = ok(post(as_staff(konoha.staff["tsunade"]), "/api/audit/verify"))
    assert verified["ok"] is True
