"""Case file 1, "The verdict" (Kakashi Hatake), replayed end to end through the JSON API.

From an empty database: Konoha Prison is configured, the court sits, Kakashi is
remanded, classified, housed, inventoried, asks to see the Hokage, dents a bar of
his cell, has one visit from Sakura on the Hokage's word and leaves on an
assignment. Each system answer SCENARIOS.md lists is asserted where it is given,
as the member of staff who would see it; the audit chain closes the story.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from cellblock.conftest import (  # noqa: F401  (fixtures used by this test)
    _fast_password_hashing,
    flushable_audit_trail_after_transactional_tests,
)
from tests.cases import (
    MiniKonoha,
    as_staff,
    audit_chain_verifies,
    audit_events,
    build_mini_konoha,
    ok,
    post,
    screen,
)

pytestmark = pytest.mark.django_db

# Konoha keeps Tokyo time (UTC+9); every moment below is written in UTC.
FILED = dt.datetime(2026, 3, 12, 0, 0, tzinfo=dt.UTC)  # 09:00, the day before the trial
TRIAL = dt.datetime(2026, 3, 13, 1, 0, tzinfo=dt.UTC)  # 10:00
VERDICT = dt.datetime(2026, 3, 13, 2, 0, tzinfo=dt.UTC)  # 11:00
IN_THE_CELLS = VERDICT + dt.timedelta(minutes=10)
CLASSIFIED = VERDICT + dt.timedelta(hours=1)  # 12:00
ASKS_FOR_THE_HOKAGE = dt.datetime(2026, 3, 13, 5, 0, tzinfo=dt.UTC)  # 14:00
TALK = dt.datetime(2026, 3, 13, 6, 0, tzinfo=dt.UTC)  # 15:00, in his cell
AUTHORISED = dt.datetime(2026, 3, 13, 8, 0, tzinfo=dt.UTC)  # 17:00
NEXT_NOON = dt.datetime(2026, 3, 14, 3, 0, tzinfo=dt.UTC)  # noon the next day
RELEASE = dt.datetime(2026, 3, 14, 6, 0, tzinfo=dt.UTC)  # 15:00

DOCKET = "KON-CR-2026-0042"
PRESIDING = "Tsunade, Fifth Hokage"
CHAKRA = "chakra-suppression"
ONE_VISIT = "One visit by Sakura before he leaves on his assignment."
ITS_CONDITION = "He accepted the assignment; an officer stays at the cell door."
MISSION = "Beyond S-rank"


def _as(konoha: MiniKonoha, name: str) -> Client:
    """A fresh sign-in: the clock jumps past the 30-minute idle lock between scenes."""
    return as_staff(konoha.staff[name])


def _refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert (response.status_code, response.json().get("code")) == (status, code), (
        response.status_code,
        response.content[:2000],
    )
    return response.json()


def _cell_of(konoha: MiniKonoha, number: str) -> str | None:
    housing = ok(_as(konoha, "hiroki").get(f"/api/bookings/{number}"))["housing"]
    return housing["cell"] if housing else None


def _alerts(konoha: MiniKonoha, rule: str, number: str) -> list[dict[str, Any]]:
    board = ok(
        _as(konoha, "shizune").get(
            "/api/compliance/alerts", {"facility": str(konoha.facility.public_id), "rule": rule}
        )
    )
    return [alert for alert in board if alert["booking"] == number]


def _visit(number: str, visitor: str, **extra: Any) -> dict[str, Any]:
    return {
        "booking_number": number, "kind": "in_cell", "visitor_ids": [visitor],
        "starts_at": NEXT_NOON.isoformat(), "minutes": 20,
        "notes": "Contact visit in his cell; she brings a bento box.", **extra,
    }  # fmt: skip


def _to_the_mission(number: str) -> dict[str, Any]:
    return {
        "booking": number, "kind": "assignment", "assignment_rank": MISSION,
        "conditions": "No return expected; he reports to the Hokage alone.",
        "authority": "The Hokage's order",
    }  # fmt: skip


def test_the_verdict_is_replayed_from_the_court_to_the_assignment() -> None:
    with time_machine.travel(FILED, tick=False) as clock:
        konoha = build_mini_konoha()
        facility = str(konoha.facility.public_id)

        # --- 1. The court sits -------------------------------------------------------
        # Courts and sentencing law are configuration: not the clerk's to set up.
        law = {"facility": facility, "code": "KONOHA", "name": "Land of Fire (Konoha)"}
        _refused(post(_as(konoha, "shikaku"), "/api/court/jurisdictions", law), 403, "missing_role")
        tsunade = _as(konoha, "tsunade")
        jurisdiction = ok(post(tsunade, "/api/court/jurisdictions", law), 201)
        ok(
            post(tsunade, f"/api/court/jurisdictions/{jurisdiction['id']}/credit-rules", {
                "facility": facility, "applies_from": "2000-01-01",
                "good_time_numerator": 1, "good_time_denominator": 3,
                "source": "Konoha village ordinance 12: remission for good conduct",
            }),
            201,
        )  # fmt: skip
        court = ok(
            post(tsunade, "/api/court/courts", {
                "facility": facility, "code": "KVH", "name": "Konoha court",
                "jurisdiction": jurisdiction["id"], "location": "Courtroom, village hall",
            }),
            201,
        )  # fmt: skip

        shikaku = _as(konoha, "shikaku")
        case = ok(
            post(shikaku, "/api/court/cases", {
                "facility": facility, "court": court["id"], "docket_number": DOCKET,
                "person": {"given_name": "Kakashi", "family_name": "Hatake",
                           "date_of_birth": "1996-09-15", "sex": "male"},
                "presiding_authority": PRESIDING, "presiding_user": "tsunade",
                "charges": [{"statute": "KPC 3-12", "description": "Offence against a minor",
                             "severity": "felony"}],
                "parties": [{"person": {"given_name": "Sakura", "family_name": "Haruno",
                                        "date_of_birth": "2009-03-28", "sex": "female"},
                             "role": "protected_party"}],
            }),
            201,
        )  # fmt: skip
        trial = ok(
            post(shikaku, f"/api/court/cases/{case['id']}/hearings",
                 {"kind": "trial", "scheduled_at": TRIAL.isoformat()}),
            201,
        )  # fmt: skip
        assert trial["booking_number"] is None  # not held: nobody to produce

        clock.move_to(VERDICT)
        decision = {
            "verdicts": [{"count": 1, "verdict": "guilty"}],
            "sentences": [{"count": 1, "term": {"years": 2}}],
            "remand": {"escort": "hiroki"}, "no_contact": True, "hearing": trial["id"],
        }  # fmt: skip
        verdicts = f"/api/court/cases/{case['id']}/verdicts"
        _refused(post(_as(konoha, "hiroki"), verdicts, decision), 403, "missing_role")
        remanded = ok(post(_as(konoha, "tsunade"), verdicts, decision), 201)
        assert remanded["remanded"]
        assert remanded["case"]["status"] == "disposed"
        [count] = remanded["case"]["charges"]
        assert (count["verdict"], count["verdict_by"]) == ("guilty", "tsunade")
        kakashi = remanded["booking_number"]
        booking = ok(_as(konoha, "iruka").get(f"/api/bookings/{kakashi}"))
        assert (booking["source"], booking["legal_status"], booking["status"]) == (
            "court_remand", "sentenced", "in_custody",
        )  # fmt: skip

        # Hiroki and Izumo handcuff him in the courtroom; he is out of the facility.
        hiroki = _as(konoha, "hiroki")
        cuffs = ok(
            post(hiroki, "/api/custody/restraints", {
                "booking": kakashi, "kind": "handcuffs", "purpose": "transport",
                "reason": "Remanded at the verdict: from the courtroom to the cells.",
                "assisted_by": "izumo", "authorised_by": "tsunade",
            }),
            201,
        )  # fmt: skip
        assert (cuffs["applied_by"], cuffs["assisted_by"]) == ("hiroki", "izumo")
        live = ok(hiroki.get("/api/custody/count", {"facility": facility}))
        assert (live["held"], live["out_of_facility"]) == (1, 1)

        clock.move_to(IN_THE_CELLS)
        hiroki = _as(konoha, "hiroki")
        back = ok(post(hiroki, f"/api/custody/movements/{remanded['movement']}/return"))
        assert (back["destination"], back["escort"]) == ("court", "hiroki")
        assert ok(hiroki.get("/api/custody/count", {"facility": facility}))["out_of_facility"] == 0
        # In the cells the cuffs come off, within the first check interval.
        off = ok(
            post(hiroki, f"/api/custody/restraints/{cuffs['id']}/remove",
                 {"authorised_by": "tsunade", "note": "In the cells."}),
        )  # fmt: skip
        assert off["removed_by"] == "hiroki"

        # --- 2. The no-contact order, in his classification record -------------------
        [order] = remanded["orders"]
        sakura_person = order["protected_person"]
        assert (sakura_person["given_name"], order["scope"], order["reference"]) == (
            "Sakura", "all_contact", DOCKET,
        )  # fmt: skip
        person = remanded["case"]["person"]["id"]
        ibiki = _as(konoha, "ibiki")
        [held] = ok(ibiki.get(f"/api/classification/people/{person}/orders"))["protective"]
        assert (held["id"], held["source"], held["issued_by"], held["status"]) == (
            order["id"], "court_order", PRESIDING, "active",
        )  # fmt: skip

        # --- 3. Classification and the housing engine's choice -----------------------
        clock.move_to(CLASSIFIED)
        screen(konoha, kakashi)
        ibiki = _as(konoha, "ibiki")
        flags = f"/api/classification/bookings/{kakashi}/flags"
        contained = ok(
            post(ibiki, flags, {"kind": "containment", "detail": CHAKRA,
                                "reason": "Elite shinobi: his chakra must be suppressed."}),
            201,
        )  # fmt: skip
        ok(
            post(ibiki, flags, {"kind": "escape_risk", "detail": "high",
                                "reason": "Former ANBU; could walk through an ordinary wall."}),
            201,
        )  # fmt: skip
        assert (contained["set_by"], contained["origin"]) == ("ibiki", "staff")
        on_record = ok(ibiki.get(flags))
        assert {(f["kind"], f["detail"]) for f in on_record} >= {
            ("containment", CHAKRA), ("escape_risk", "high"),
        }  # fmt: skip

        # Only the cells with the feature are recommended, each saying why.
        chosen = ok(ibiki.get("/api/housing/recommendations", {"booking": kakashi, "limit": 5}))
        assert {r["bed"]["cell"] for r in chosen} == {"MC-01", "HS-01"}
        assert all(f"Working {CHAKRA}" in " ".join(r["reasons"]) for r in chosen)
        # The isolation cell has no suppression bars: the rule book says so, by name.
        iso = ok(
            ibiki.get("/api/housing/verdict",
                      {"booking": kakashi, "bed": str(konoha.bed("ISO-1").public_id)}),
        )  # fmt: skip
        assert not iso["lawful"]
        missing = {v["code"]: v for v in iso["violations"]}["containment_missing"]
        assert missing["hard"]
        assert CHAKRA in missing["message"]

        # Both cells cost nothing; Ibiki keeps the end cell free and houses him in the corridor.
        corridor = next(r for r in chosen if r["bed"]["cell"] == "MC-01")
        ok(
            post(ibiki, "/api/housing/moves", {
                "booking": kakashi, "to_bed": str(corridor["bed"]["id"]), "from_bed": None,
                "reason": "Placement: chakra-suppressed corridor cell",
            }),
            201,
        )  # fmt: skip
        assert _cell_of(konoha, kakashi) == "MC-01"

        # --- 4. Property ----------------------------------------------------------------
        iruka = _as(konoha, "iruka")
        gear = [
            ("taken", "Ninja tool pouch (kunai, shuriken)", "worn"),
            ("taken", "Konoha forehead protector", "good"),
            ("taken", "Icha Icha Paradise, paperback", "worn"),
            ("issued", "Grey jumpsuit", "new"),
            ("issued", "Mask", "new"),
            ("issued", "Eye patch", "new"),
        ]
        for kind, description, condition in gear:
            ok(
                post(iruka, f"/api/bookings/{kakashi}/property", {
                    "kind": kind, "description": description, "condition": condition,
                    "bag_number": "KON-B-0042" if kind == "taken" else "",
                }),
                201,
            )  # fmt: skip
        steps = ok(post(iruka, f"/api/bookings/{kakashi}/property/sign"))
        assert {s["step"]: s["state"] for s in steps}["property"] == "done"
        inventory = ok(iruka.get(f"/api/bookings/{kakashi}/property"))
        assert sorted((i["kind"], i["description"]) for i in inventory) == sorted(
            (kind, description) for kind, description, _ in gear
        )
        assert {i["recorded_by"] for i in inventory} == {"iruka"}

        # --- 5. He asks to speak with the Hokage ----------------------------------------
        clock.move_to(ASKS_FOR_THE_HOKAGE)
        asked = ok(
            post(_as(konoha, "hiroki"), "/api/requests", {
                "booking_number": kakashi, "category": "speak_to_staff",
                "subject": "To speak with the Hokage",
                "text": "I ask to speak with Lady Tsunade.", "addressee_role": "commander",
            }),
            201,
        )  # fmt: skip
        assert (asked["status"], asked["addressee_role"], asked["filed_by"]) == (
            "open", "commander", "hiroki",
        )  # fmt: skip
        # Routed to the commander: in Tsunade's inbox, and in no one else's.
        assert [
            r["number"] for r in ok(_as(konoha, "tsunade").get("/api/requests?scope=mine"))
        ] == [asked["number"]]
        for other in ("shizune", "hiroki", "sakura", "ibiki"):
            assert ok(_as(konoha, other).get("/api/requests?scope=mine")) == [], other
        _refused(
            post(_as(konoha, "sakura"), f"/api/requests/{asked['id']}/respond", {"text": "No."}),
            403, "not_addressee",
        )  # fmt: skip

        # --- 6. He dents a bar of his cell while talking to Tsunade ----------------------
        clock.move_to(TALK)
        answered = ok(
            post(_as(konoha, "tsunade"), f"/api/requests/{asked['id']}/respond",
                 {"text": "The Hokage came to his cell and heard him."}),
        )  # fmt: skip
        assert (answered["status"], answered["answered_by"]) == ("answered", "tsunade")
        incident = ok(
            post(_as(konoha, "hiroki"), "/api/incidents", {
                "facility": facility, "kind": "property_damage",
                "cell": str(konoha.cells["MC-01"].public_id),
                "narrative": "Talking to the Hokage, he bent a chakra-suppression bar.",
                "people": [kakashi], "staff": ["tsunade", "hiroki"],
                "damaged_feature": CHAKRA,
            }),
            201,
        )  # fmt: skip
        assert (incident["kind"], incident["cell"], incident["damaged_feature"]) == (
            "property_damage", "MC-01", CHAKRA,
        )  # fmt: skip
        assert [p["booking_number"] for p in incident["people"]] == [kakashi]

        # His cell no longer holds him: the rule book, the alert queue and the board say so.
        shizune = _as(konoha, "shizune")
        here = ok(
            shizune.get("/api/housing/verdict",
                        {"booking": kakashi, "bed": str(konoha.bed("MC-01").public_id)}),
        )  # fmt: skip
        assert not here["lawful"]
        assert "containment_missing" in {v["code"] for v in here["violations"]}
        [alert] = ok(shizune.get("/api/classification/housing-alerts", {"facility": facility}))
        assert (alert["booking_number"], alert["code"]) == (kakashi, "containment_missing")
        assert CHAKRA in alert["message"]
        [board] = _alerts(konoha, "housing_rule", kakashi)
        assert (board["severity"], board["subject"]) == (
            "breach", f"housing_rule:containment_missing:{CHAKRA}",
        )  # fmt: skip
        assert {who["role"]: who["names"] for who in board["responsible"]} == {
            "classification": ["Ibiki"], "supervisor": ["Shizune"],
        }  # fmt: skip
        again = ok(shizune.get("/api/housing/recommendations", {"booking": kakashi, "limit": 5}))
        assert [r["bed"]["cell"] for r in again] == ["HS-01"]

        # The engine proposes the move to the one cell still eligible, and says why.
        proposal = ok(
            post(shizune, "/api/housing/proposals",
                 {"facility": facility, "mode": "daily", "time_limit": 5}),
            201,
        )  # fmt: skip
        [move] = [m for m in proposal["moves"] if m["booking_number"] == kakashi]
        assert (move["from_bed"]["cell"], move["to_bed"]["cell"]) == ("MC-01", "HS-01")
        assert f"has working {CHAKRA}, as required" in move["explanation"]["reasons"]
        why_not = {
            alt["bed"]["label"]: " ".join(alt["why_not"])
            for alt in move["explanation"]["alternatives"]
        }
        assert "MC-01 has none" in why_not["Main corridor / MC-01 B1"]
        applied = ok(post(shizune, f"/api/housing/proposals/{proposal['id']}/apply"))
        assert applied["status"] == "applied", applied["status"]
        assert _cell_of(konoha, kakashi) == "HS-01"
        assert ok(shizune.get("/api/classification/housing-alerts", {"facility": facility})) == []

        # --- 7. One visit by Sakura, on the Hokage's word -------------------------------
        clock.move_to(AUTHORISED)
        kurenai = _as(konoha, "kurenai")
        visitor = ok(
            post(kurenai, "/api/visits/visitors", {
                "facility": facility, "person_id": sakura_person["id"],
                "id_kind": "village_registry", "id_number": "KV-0328",
            }),
            201,
        )  # fmt: skip
        assert visitor["is_minor"]
        registry = f"/api/visits/visitors/{visitor['id']}"
        ok(post(kurenai, f"{registry}/identity",
                {"id_kind": "village_registry", "id_number": "KV-0328"}))  # fmt: skip
        ok(post(kurenai, f"{registry}/decision", {"status": "approved"}))
        listed = ok(
            post(kurenai, f"/api/visits/bookings/{kakashi}/visiting-list",
                 {"visitor_id": visitor["id"], "relationship": "colleague"}),
            201,
        )  # fmt: skip
        ok(post(kurenai, f"/api/visits/visiting-list/{listed['id']}/decision", {"approve": True}))

        # Without the override: refused, every rule named.
        body = _refused(post(kurenai, "/api/visits", _visit(kakashi, visitor["id"])), 409,
                        "visit_refused")  # fmt: skip
        rules = {v["code"]: v for v in body["extra"]["violations"]}
        assert set(rules) == {"protective_order", "minor_without_guardian", "booked_too_soon"}
        assert "Sakura Haruno" in rules["protective_order"]["message"]
        assert all(v["overridable"] for v in rules.values())

        # Neither a supervisor nor an officer may give the override.
        override = {"reason": ONE_VISIT, "conditions": ITS_CONDITION}
        for name in ("shizune", "hiroki"):
            _refused(
                post(_as(konoha, name), "/api/visits",
                     _visit(kakashi, visitor["id"], override=override)),
                403, "override_not_allowed",
            )  # fmt: skip
        visit = ok(
            post(_as(konoha, "tsunade"), "/api/visits",
                 _visit(kakashi, visitor["id"], override=override)),
            201,
        )  # fmt: skip
        assert (visit["kind"], visit["status"], visit["minutes"], visit["cell"]) == (
            "in_cell", "scheduled", 20, "HS-01",
        )  # fmt: skip
        assert set(visit["override"]["rules"]) == set(rules)
        assert (visit["override"]["reason"], visit["override"]["conditions"]) == (
            ONE_VISIT, ITS_CONDITION,
        )  # fmt: skip
        assert visit["override"]["authorised_by"] == "tsunade"

        path = f"/api/visits/{visit['id']}"
        clock.move_to(NEXT_NOON - dt.timedelta(minutes=10))
        izumo = _as(konoha, "izumo")
        checked_in = ok(
            post(izumo, f"{path}/check-in", {"visitors": [
                {"visitor_id": visitor["id"], "id_kind": "village_registry",
                 "id_number": "KV-0328"},
            ]}),
        )  # fmt: skip
        assert checked_in["status"] == "checked_in"
        bento = ok(
            post(izumo, f"{path}/items", {"description": "Bento box", "outcome": "allowed",
                                          "visitor_id": visitor["id"]}),
            201,
        )  # fmt: skip
        assert [(i["description"], i["outcome"], i["screened_by"]) for i in bento["items"]] == [
            ("Bento box", "allowed", "izumo")
        ]

        clock.move_to(NEXT_NOON)
        izumo = _as(konoha, "izumo")
        started = ok(post(izumo, f"{path}/start", {}))
        assert started["status"] == "in_progress"
        assert [(d["action"], d["cell"], d["operated_by"]) for d in started["door_events"]] == [
            ("open", "HS-01", "izumo"), ("close", "HS-01", "izumo"),
        ]  # fmt: skip

        clock.move_to(NEXT_NOON + dt.timedelta(minutes=19, seconds=59))
        assert _alerts(konoha, "visit_overrun", kakashi) == []
        clock.move_to(NEXT_NOON + dt.timedelta(minutes=20))
        [overrun] = _alerts(konoha, "visit_overrun", kakashi)
        assert (overrun["number"], overrun["limit"]) == (0, 20)
        assert {who["role"]: who["names"] for who in overrun["responsible"]} == {
            "escort": ["Izumo"], "supervisor": ["Shizune"],
        }  # fmt: skip
        izumo = _as(konoha, "izumo")
        ended = ok(post(izumo, f"{path}/end", {}))
        assert (ended["status"], ended["overran_minutes"]) == ("ended", 0)
        assert _alerts(konoha, "visit_overrun", kakashi) == []
        out = ok(post(izumo, f"{path}/check-out", {}))
        assert out["status"] == "completed"
        assert [d["action"] for d in out["door_events"]] == ["open", "close", "open", "close"]

        # --- 8. Released to an assignment -----------------------------------------------
        clock.move_to(RELEASE)
        # The officer may not release anyone; the supervisor may, but not to an assignment.
        for name in ("hiroki", "shizune"):
            refused = _refused(
                post(_as(konoha, name), "/api/releases", _to_the_mission(kakashi)),
                403, "missing_role",
            )  # fmt: skip
        assert "release.assignment" in refused["message"]
        tsunade = _as(konoha, "tsunade")
        release = ok(post(tsunade, "/api/releases", _to_the_mission(kakashi)), 201)
        assert (release["kind"], release["assignment_rank"], release["authorised_by"]) == (
            "assignment", MISSION, "tsunade",
        )  # fmt: skip
        assert release["expected_return_at"] is None
        assert not release["temporary"]

        steps_path = f"/api/releases/{release['id']}"
        body = _refused(
            post(tsunade, f"{steps_path}/complete"), 409, "release_checklist_incomplete"
        )
        assert set(body["extra"]["steps"]) == {
            "property_returned", "money_returned", "medical_discharge", "visits_cancelled",
        }  # fmt: skip
        assert "Property returned and signed for" in body["message"]

        ok(post(_as(konoha, "hiroki"), f"{steps_path}/steps/property", {"signed": True}))
        ok(post(_as(konoha, "iruka"), f"{steps_path}/steps/money", {"amount": "0"}))
        ok(
            post(_as(konoha, "shizune"), f"{steps_path}/steps/medical-discharge",
                 {"text": "Fit for duty."}),
        )  # fmt: skip
        ok(post(_as(konoha, "hiroki"), f"{steps_path}/steps/visits"))
        hiroki = _as(konoha, "hiroki")
        before = ok(hiroki.get("/api/custody/count", {"facility": facility}))
        done = ok(post(tsunade, f"{steps_path}/complete"))
        assert done["status"] == "completed"
        closed = ok(hiroki.get(f"/api/bookings/{kakashi}"))
        assert (closed["status"], closed["release_type"], closed["housing"]) == (
            "released", "assignment", None,
        )  # fmt: skip
        # The count and the bed board change in the same moment.
        after = ok(hiroki.get("/api/custody/count", {"facility": facility}))
        assert (before["held"], after["held"]) == (1, 0)
        [end_unit] = [u for u in after["units"] if u["unit"]["code"] == "HS"]
        assert end_unit["housed"] == 0

        # --- Every step is in the audit chain with its actor, in the story's order -------
        trail = iter((e["action"], e["actor"]) for e in reversed(audit_events(konoha)))
        story = [
            ("jurisdiction.create", "tsunade"), ("court.create", "tsunade"),
            ("case.open", "shikaku"), ("hearing.schedule", "shikaku"),
            ("booking.open", "tsunade"), ("movement.start", "tsunade"),
            ("protective_order.create", "tsunade"), ("case.verdict", "tsunade"),
            ("restraint.apply", "hiroki"), ("movement.return", "hiroki"),
            ("restraint.remove", "hiroki"), ("flag.set", "ibiki"), ("housing.assign", "ibiki"),
            ("property.add", "iruka"), ("request.file", "hiroki"), ("request.respond", "tsunade"),
            ("cell.feature_set", "hiroki"), ("housing.alert", "hiroki"),
            ("incident.report", "hiroki"), ("housing.proposal_created", "shizune"),
            ("housing.alert_cleared", "shizune"), ("housing.proposal_applied", "shizune"),
            ("visit.schedule", "tsunade"), ("visit.override", "tsunade"),
            ("visit.check_in", "izumo"), ("visit.item_screen", "izumo"), ("door.open", "izumo"),
            ("visit.end", "izumo"), ("release.start", "tsunade"),
            ("booking.released", "tsunade"), ("housing.vacate", "tsunade"),
            ("release.complete", "tsunade"),
        ]  # fmt: skip
        # Each expected event is found after the one before it (``in`` consumes the iterator).
        assert [step for step in story if step not in trail] == []
        # The override carries its reason into the chain.
        [excused] = audit_events(konoha, action="visit.override")
        assert ONE_VISIT in excused["reason"]

        audit_chain_verifies(konoha)
