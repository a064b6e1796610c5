"""Case file 3, "Baby steps", replayed end to end through the public JSON API.

Sasuke Uchiha, 16, is held pretrial for the attempted murder of Sakura Haruno,
a medic on the staff. From an empty database the staff of Konoha Prison link
him to her as her alleged attacker, staff the two-officer post at his door,
bind his wrists, keep his refusal of every medic but her, let her in at night
behind a door Hiroki opens, log his missed breakfast and her tomato soup, and
see her cut his bindings without anyone's authority. Every step is in the
audit chain with the name of the person who took it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from cellblock.conftest import (  # noqa: F401  (fixtures: fast hashing, audit flush)
    _fast_password_hashing,
    flushable_audit_trail_after_transactional_tests,
)
from tests.cases import (
    MiniKonoha,
    as_staff,
    audit_chain_verifies,
    audit_events,
    book,
    build_mini_konoha,
    house_by_override,
    ok,
    post,
)

pytestmark = pytest.mark.django_db

# Konoha keeps Tokyo time: 18:00 on the evening he is brought in, after the 17:30 dinner.
EVENING = dt.datetime(2026, 3, 14, 9, 0, tzinfo=dt.UTC)
NIGHT = EVENING + dt.timedelta(hours=5)  # 23:00, the night shift
MORNING = EVENING + dt.timedelta(hours=14)  # 08:00, an hour after breakfast was served
NEXT_AFTERNOON = EVENING + dt.timedelta(hours=21)  # 15:00
SASUKE_BORN = dt.date(2010, 7, 23)
HEALED = "Facial wounds healed"


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _staff(konoha: MiniKonoha, *usernames: str) -> list[Client]:
    """Fresh sessions: an idle one locks after 30 minutes, and the story's clock jumps."""
    return [as_staff(konoha.staff[username]) for username in usernames]


def _alerts(shizune: Client, konoha: MiniKonoha, rule: str) -> list[dict[str, Any]]:
    board = ok(shizune.get("/api/compliance/alerts", {"facility": str(konoha.facility.public_id)}))
    return [alert for alert in board if alert["rule"] == rule]


def _end_post(shizune: Client, konoha: MiniKonoha) -> tuple[dict[str, Any], dict[str, Any]]:
    """The post board of the shift on duty, and its end-of-corridor row."""
    board = ok(shizune.get("/api/custody/posts", {"facility": str(konoha.facility.public_id)}))
    [end] = [row for row in board["posts"] if row["id"] == str(konoha.end_post.public_id)]
    return board, end


def _schedule(scheduler: Client, booking: str, provider: str) -> dict[str, Any]:
    """A treatment in his cell tonight, with ``provider``: the answer carries the warnings."""
    treatment = {
        "booking": booking, "kind": "treatment", "provider": provider,
        "scheduled_for": NIGHT.isoformat(), "place": "cell", "reason": "Untreated facial wounds",
    }  # fmt: skip
    return ok(post(scheduler, "/api/medical/encounters", treatment), 201)


def _trail(konoha: MiniKonoha, **filters: str) -> list[tuple[str, str]]:
    """What the auditor reads, oldest first: each change with who made it (reads left out)."""
    events = reversed(audit_events(konoha, **filters))
    return [(e["action"], e["actor"]) for e in events if not e["action"].endswith(".read")]


def test_sasuke_is_held_treated_by_the_one_medic_he_accepts_and_unbound_without_authority():
    with time_machine.travel(EVENING, tick=False) as clock:
        konoha = build_mini_konoha()
        cell = str(konoha.cells["HS-01"].public_id)

        # 1. Held pretrial for the attempted murder of Sakura, who works in the clinic.
        sasuke = book(
            konoha, given_name="Sasuke", family_name="Uchiha", born=SASUKE_BORN,
            charge="Attempted murder of Sakura Haruno",
        )  # fmt: skip
        ibiki, tsunade = _staff(konoha, "ibiki", "tsunade")
        booking = ok(ibiki.get(f"/api/bookings/{sasuke}"))
        assert (booking["status"], booking["legal_status"]) == ("in_custody", "pretrial")
        person = booking["person"]["id"]
        conflict = ok(
            post(
                ibiki,
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
        [in_force] = ok(tsunade.get(f"/api/classification/people/{person}/orders"))[
            "staff_conflicts"
        ]
        assert (in_force["id"], in_force["staff"], in_force["kind"]) == (
            conflict["id"], "sakura", "alleged_victim",
        )  # fmt: skip
        assert in_force["status"] == "active"

        # 2. The end of the corridor: no juvenile unit, so Tsunade places him by override.
        house_by_override(
            konoha, sasuke, "HS-01", "No juvenile unit at Konoha; held at the end of the corridor."
        )
        [shizune] = _staff(konoha, "shizune")
        board, end = _end_post(shizune, konoha)
        assert (end["cell"], end["required"], end["staffed"], end["short_by"]) == (
            "HS-01", 2, False, 2,
        )  # fmt: skip
        [short] = _alerts(shizune, konoha, "post_short")
        assert (short["number"], short["limit"]) == (0, 2)  # officers on the post, of two
        assert [who["role"] for who in short["responsible"]] == ["supervisor"]
        for officer in ("izumo", "kotetsu"):
            ok(
                post(
                    shizune,
                    f"/api/custody/posts/{konoha.end_post.public_id}/assignments",
                    {
                        "officer": officer,
                        "shift_date": board["shift_date"],
                        "shift": board["shift"],
                    },
                ),
                201,
            )
        _, end = _end_post(shizune, konoha)
        assert sorted(officer["username"] for officer in end["officers"]) == ["izumo", "kotetsu"]
        assert (end["staffed"], end["short_by"]) == (True, 0)
        assert _alerts(shizune, konoha, "post_short") == []

        # 3. His wrists are bound; the first check is due a quarter of an hour later.
        hiroki, izumo = _staff(konoha, "hiroki", "izumo")
        bindings = ok(
            post(
                hiroki,
                "/api/custody/restraints",
                {
                    "booking": sasuke,
                    "kind": "wrist_bindings",
                    "purpose": "safety",
                    "reason": "Attacked a member of staff; sharingan active.",
                    "assisted_by": "izumo",
                    "authorised_by": "shizune",
                },
            ),
            201,
        )
        assert (bindings["applied_by"], bindings["assisted_by"], bindings["authorised_by"]) == (
            "hiroki", "izumo", "shizune",
        )  # fmt: skip
        assert _at(bindings["next_check_due"]) == EVENING + dt.timedelta(minutes=15)
        clock.shift(dt.timedelta(minutes=15))
        checked = ok(post(izumo, f"/api/custody/restraints/{bindings['id']}/checks"), 201)
        assert _at(checked["last_check_at"]) == EVENING + dt.timedelta(minutes=15)
        assert _at(checked["next_check_due"]) == EVENING + dt.timedelta(minutes=30)

        # 4. Untreated wounds, and a witnessed refusal of every medic but Sakura.
        shizune, sakura = _staff(konoha, "shizune", "sakura")
        injury = ok(
            post(
                shizune,
                f"/api/medical/bookings/{sasuke}/injuries",
                {"location": "face", "description": "Cuts and bruises across the face."},
            ),
            201,
        )
        assert injury["status"] == "untreated"
        refusal = ok(
            post(
                shizune,
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
        assert (refusal["except_provider"], refusal["recorded_by"], refusal["witness"]) == (
            "sakura", "shizune", "hiroki",
        )  # fmt: skip

        # Shizune herself: he will refuse her, and the system says so.
        herself = _schedule(shizune, sasuke, "shizune")
        assert herself["status"] == "scheduled"
        assert [w["code"] for w in herself["warnings"]] == ["provider_refused"]
        ok(
            post(
                shizune,
                f"/api/medical/encounters/{herself['id']}/cancel",
                {"reason": "He accepts only Sakura."},
            )
        )
        # Sakura: the one he accepts is the one he tried to kill; it waits for a supervisor.
        visit = _schedule(shizune, sasuke, "sakura")
        encounter = visit["id"]
        assert visit["status"] == "awaiting_ack"
        [conflicted] = visit["warnings"]
        assert (conflicted["code"], conflicted["needs_acknowledgement"]) == (
            "staff_victim_conflict", True,
        )  # fmt: skip
        too_soon = post(sakura, f"/api/medical/encounters/{encounter}/start")
        assert (too_soon.status_code, too_soon.json()["code"]) == (409, "acknowledgement_required")
        acknowledge = f"/api/medical/encounters/{encounter}/acknowledge"
        why = {"note": "Only Sakura can treat him; an officer stays at the door."}
        for refused in (hiroki, sakura):
            answer = post(refused, acknowledge, why)
            assert (answer.status_code, answer.json()["code"]) == (403, "missing_role")
        acknowledged = ok(post(shizune, acknowledge, why))
        assert (acknowledged["status"], acknowledged["acknowledged_by"]) == ("scheduled", "shizune")

        # 5. At night: Shizune's grant, Hiroki's door, Sakura's notes.
        clock.move_to(NIGHT)
        shizune, sakura, hiroki = _staff(konoha, "shizune", "sakura", "hiroki")
        no_grant = post(sakura, f"/api/medical/encounters/{encounter}/start")
        assert (no_grant.status_code, no_grant.json()["code"]) == (409, "no_cell_entry")
        grant = ok(
            post(
                shizune,
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
        assert (grant["staff"], grant["granted_by"]) == ("sakura", "shizune")
        door = {"cell": cell, "staff_passed": ["sakura"]}
        unlocked = ok(post(hiroki, "/api/custody/doors", {"action": "unlock", **door}), 201)
        assert (unlocked["outcome"], unlocked["operated_by"], unlocked["grant"]) == (
            "allowed", "hiroki", grant["id"],
        )  # fmt: skip
        assert ok(post(sakura, f"/api/medical/encounters/{encounter}/start"))["status"] == (
            "in_progress"
        )
        note = ok(
            post(
                sakura,
                f"/api/medical/bookings/{sasuke}/notes",
                {"encounter": encounter, "text": f"{HEALED}; he let me look without a word."},
            ),
            201,
        )
        healed = ok(
            sakura.patch(
                f"/api/medical/injuries/{injury['id']}",
                {"status": "healed", "encounter": encounter},
                content_type="application/json",
            )
        )
        assert healed["status"] == "healed"
        clock.shift(dt.timedelta(minutes=25))
        # She leaves; Hiroki closes the door behind her, then she writes it up.
        closed = ok(post(hiroki, "/api/custody/doors", {"action": "close", **door}), 201)
        assert (closed["outcome"], closed["operated_by"], closed["staff_passed"]) == (
            "allowed", "hiroki", ["sakura"],
        )  # fmt: skip
        done = ok(
            post(sakura, f"/api/medical/encounters/{encounter}/complete", {"findings": HEALED})
        )
        assert (done["status"], done["findings"]) == ("completed", HEALED)
        assert set(done["door_events"]) == {unlocked["id"], closed["id"]}
        assert [written["id"] for written in done["notes"]] == [note["id"]]

        # Custody staff see that she came and went, never what she found.
        seen_at_the_door = hiroki.get(f"/api/medical/encounters/{encounter}")
        escort = ok(seen_at_the_door)
        assert (escort["provider"], escort["status"]) == ("sakura", "completed")
        assert {"reason", "findings", "notes", "injuries"}.isdisjoint(escort)
        assert HEALED not in seen_at_the_door.content.decode()
        record = hiroki.get(f"/api/medical/bookings/{sasuke}/record")
        assert (record.status_code, record.json()["code"]) == (403, "clinical_only")

        # 6. Breakfast goes untouched; he will not eat sweets; Sakura brings tomato soup.
        clock.move_to(MORNING)
        hiroki, ibiki = _staff(konoha, "hiroki", "ibiki")
        breakfast = ok(
            post(
                hiroki,
                "/api/custody/meals",
                {"booking": sasuke, "outcome": "missed", "note": "Did not touch his tray."},
            ),
            201,
        )
        assert (breakfast["meal_date"], breakfast["meal"], breakfast["recorded_by"]) == (
            "2026-03-15", 0, "hiroki",
        )  # fmt: skip
        diet = ok(
            post(
                ibiki,
                f"/api/classification/bookings/{sasuke}/flags",
                {"kind": "diet", "detail": "no sweets", "reason": "Will not eat sweets."},
            ),
            201,
        )
        meals = ok(hiroki.get(f"/api/custody/bookings/{sasuke}/meals"))
        assert [(m["meal_date"], m["meal"], m["outcome"]) for m in meals["meals"]] == [
            ("2026-03-15", 0, "missed")
        ]
        assert meals["without_in_a_row"] == 1
        assert ("diet", "no sweets") in [(n["kind"], n["detail"]) for n in meals["notes"]]

        clock.move_to(NEXT_AFTERNOON)
        sakura, shizune, tsunade = _staff(konoha, "sakura", "shizune", "tsunade")
        soup = ok(
            post(
                sakura,
                "/api/custody/meals",
                {
                    "booking": sasuke,
                    "outcome": "outside_food",
                    "brought_by": "Sakura Haruno",
                    "item": "Tomato soup",
                },
            ),
            201,
        )
        assert (soup["meal_date"], soup["outcome"], soup["brought_by"], soup["item"]) == (
            "2026-03-15", "outside_food", "Sakura Haruno", "Tomato soup",
        )  # fmt: skip
        assert soup["recorded_by"] == "sakura"
        assert ok(sakura.get(f"/api/custody/bookings/{sasuke}/meals"))["without_in_a_row"] == 0

        # 7. She cuts his bindings on nobody's authority: recorded, an incident, an alert.
        cut = ok(
            post(
                sakura,
                f"/api/custody/restraints/{bindings['id']}/remove",
                {"note": "The bindings cut into his wrists."},
            )
        )
        assert (cut["removed_by"], cut["removal_authorised_by"], cut["awaiting_review"]) == (
            "sakura", None, True,
        )  # fmt: skip
        [alert] = _alerts(shizune, konoha, "restraint_removed_without_authority")
        assert (alert["severity"], alert["booking"]) == ("breach", sasuke)
        assert [(who["role"], who["names"]) for who in alert["responsible"]] == [
            ("supervisor", [konoha.staff["shizune"].full_name])
        ]
        [incident] = ok(tsunade.get("/api/incidents", {"facility": str(konoha.facility.public_id)}))
        assert (incident["kind"], incident["origin"]) == ("restraint_removal", "automatic")
        assert cut["incidents"] == [incident["number"]]
        # The supervisor who must act reviews it, and only then does the alert clear.
        reviewed = ok(
            post(
                shizune,
                f"/api/custody/restraints/{bindings['id']}/review",
                {"note": "Wrists were chafed; the bindings stay off."},
            )
        )
        assert reviewed["removal_reviewed_by"] == "shizune"
        assert _alerts(shizune, konoha, "restraint_removed_without_authority") == []

        # The auditor reads each step with the name of who took it.
        assert _trail(konoha, object_id=conflict["id"]) == [("staff_conflict.create", "ibiki")]
        assert _trail(konoha, action="posts.assign") == [
            ("posts.assign", "shizune"),
            ("posts.assign", "shizune"),
        ]
        assert _trail(konoha, object_id=bindings["id"]) == [
            ("restraint.apply", "hiroki"),
            ("restraint.check", "izumo"),
            ("restraint.remove", "sakura"),
            ("restraint.removal_review", "shizune"),
        ]
        assert _trail(konoha, object_id=refusal["id"]) == [("consentrecord.record", "shizune")]
        assert _trail(konoha, object_id=encounter) == [
            ("encounter.schedule", "shizune"),
            ("encounter.acknowledge", "shizune"),
            ("encounter.start", "sakura"),
            ("encounter.complete", "sakura"),
        ]
        assert _trail(konoha, object_id=injury["id"]) == [
            ("injury.record", "shizune"),
            ("injury.update", "sakura"),
        ]
        assert _trail(konoha, object_id=note["id"]) == [("clinicalnote.add", "sakura")]
        assert _trail(konoha, object_id=grant["id"]) == [("entry_grant.issue", "shizune")]
        assert _trail(konoha, action="door.") == [
            ("door.unlock", "hiroki"),
            ("door.close", "hiroki"),
        ]
        assert _trail(konoha, action="meals.") == [
            ("meals.record", "hiroki"),
            ("meals.record", "sakura"),
        ]
        assert _trail(konoha, object_id=diet["id"]) == [("flag.set", "ibiki")]
        assert _trail(konoha, object_id=incident["id"]) == [
            ("incident.report", "sakura"),
            ("incident.review", "shizune"),
        ]
        # Every read of his clinical record is in the trail by name; custody's leave none.
        readers = {
            event["actor"]
            for event in audit_events(konoha)
            if event["object_type"].startswith("medical.") and event["action"].endswith(".read")
        }
        assert readers == {"shizune", "sakura"}

        audit_chain_verifies(konoha)
