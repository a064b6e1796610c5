"""Case file 1, "The verdict": Kakashi's request to the Hokage and Sakura's one visit, by API.

Step 5: he asks to speak with the Hokage; an officer files the request for
him, addressed to the commander, and it reaches Tsunade and nobody else.
Step 7: Sakura, sixteen and protected by the verdict's no-contact order, may
visit him once, in his cell, at noon the next day for twenty minutes. Without
the commander's override the visit is refused with its rules named; neither
the supervisor, the officer nor the visits clerk can give the override; with
Tsunade's reason and condition it goes ahead. Her bento box is screened and
allowed, Hiroki opens and closes the door, and at twenty minutes the board
raises the overrun until he ends the visit.
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
from tests.cases import MiniKonoha, as_staff, book, build_mini_konoha, ok, post

pytestmark = pytest.mark.django_db

# 18:00 in Konoha (Asia/Tokyo) on the day after the verdict.
EVENING = dt.datetime(2026, 3, 14, 9, 0, tzinfo=dt.UTC)
# Noon the next day in Konoha: the visit's slot.
NEXT_NOON = dt.datetime(2026, 3, 15, 3, 0, tzinfo=dt.UTC)
KAKASHI_DOCKET = "KON-CR-2026-0042"

ONE_VISIT = "One visit by Sakura, at the Hokage's leave, before his assignment."
ITS_CONDITION = "He accepted an assignment; an officer stays at the cell door."


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(EVENING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def konoha(clock: Any) -> MiniKonoha:
    return build_mini_konoha()


@pytest.fixture
def kakashi(konoha: MiniKonoha) -> str:
    """Sentenced, in a chakra-suppressed corridor cell, under a no-contact order for Sakura."""
    number = book(
        konoha, given_name="Kakashi", family_name="Hatake", born=dt.date(1996, 9, 15),
        charge="Offence against a minor (verdict: guilty)", legal_status="sentenced",
    )  # fmt: skip
    tsunade = as_staff(konoha.staff["tsunade"])
    ok(
        post(tsunade, "/api/housing/moves", {
            "booking": number, "to_bed": str(konoha.bed("MC-01").public_id),
            "reason": "Placement at booking",
        }),
        201,
    )  # fmt: skip
    return number


@pytest.fixture
def sakura(konoha: MiniKonoha, kakashi: str) -> dict[str, Any]:
    """The verdict's order protects her; Kurenai registers her at the desk and lists her."""
    tsunade = as_staff(konoha.staff["tsunade"])
    booking = ok(as_staff(konoha.staff["hiroki"]).get(f"/api/bookings/{kakashi}"))
    order = ok(
        post(tsunade, "/api/classification/protective-orders", {
            "person_id": booking["person"]["id"],
            "protected_person": {"given_name": "Sakura", "family_name": "Haruno",
                                 "date_of_birth": "2009-03-28", "sex": "female"},
            "protected_role": "protected_party", "source": "court_order",
            "scope": "all_contact", "issued_by": "Tsunade, Fifth Hokage, presiding",
            "reference": KAKASHI_DOCKET, "reason": "Verdict: no contact with the protected party.",
        }),
        201,
    )  # fmt: skip
    desk = as_staff(konoha.staff["kurenai"])
    visitor = ok(
        post(desk, "/api/visits/visitors", {
            "facility": str(konoha.facility.public_id),
            "person_id": order["protected_person"]["id"],
            "id_kind": "village_registry", "id_number": "KV-0328",
        }),
        201,
    )  # fmt: skip
    assert visitor["is_minor"]
    path = f"/api/visits/visitors/{visitor['id']}"
    ok(post(desk, f"{path}/identity", {"id_kind": "village_registry", "id_number": "KV-0328"}))
    ok(post(desk, f"{path}/decision", {"status": "approved"}))
    entry = ok(
        post(desk, f"/api/visits/bookings/{kakashi}/visiting-list",
             {"visitor_id": visitor["id"], "relationship": "colleague"}),
        201,
    )  # fmt: skip
    ok(post(desk, f"/api/visits/visiting-list/{entry['id']}/decision", {"approve": True}))
    return visitor


def _visit(kakashi: str, sakura: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "booking_number": kakashi, "kind": "in_cell", "visitor_ids": [sakura["id"]],
        "starts_at": NEXT_NOON.isoformat(), "minutes": 20,
        "notes": "She brings a bento box.", **extra,
    }  # fmt: skip


def _overrides(konoha: MiniKonoha, kakashi: str, sakura: dict[str, Any]) -> dict[str, Any]:
    """Tsunade books the visit with her override; the visit as the API answers it."""
    override = {"reason": ONE_VISIT, "conditions": ITS_CONDITION}
    return ok(
        post(
            as_staff(konoha.staff["tsunade"]),
            "/api/visits",
            _visit(kakashi, sakura, override=override),
        ),
        201,
    )


def _board(konoha: MiniKonoha) -> list[dict[str, Any]]:
    return ok(
        as_staff(konoha.staff["shizune"]).get(
            "/api/compliance/alerts", {"facility": str(konoha.facility.public_id)}
        )
    )


def _overruns(konoha: MiniKonoha, kakashi: str) -> list[dict[str, Any]]:
    return [a for a in _board(konoha) if a["rule"] == "visit_overrun" and a["booking"] == kakashi]


# --- Step 5: the request to the Hokage ----------------------------------------------------


def test_his_request_to_speak_with_the_hokage_reaches_tsunade_and_she_answers(
    konoha: MiniKonoha, kakashi: str
) -> None:
    filed = ok(
        post(as_staff(konoha.staff["hiroki"]), "/api/requests", {
            "booking_number": kakashi, "category": "speak_to_staff",
            "subject": "To speak with the Hokage",
            "text": "I ask to speak with Lady Tsunade about the terms of my sentence.",
            "addressee_role": "commander",
        }),
        201,
    )  # fmt: skip
    assert filed["number"] == "KON-REQ-2026-0001"
    assert (filed["status"], filed["addressee_role"], filed["filed_by"]) == (
        "open", "commander", "hiroki",
    )  # fmt: skip
    # Answered within 15 days (LASD).
    assert filed["due_at"] == (EVENING + dt.timedelta(days=15)).isoformat().replace("+00:00", "Z")

    tsunade = as_staff(konoha.staff["tsunade"])
    mine = ok(tsunade.get("/api/requests", {"scope": "mine"}))
    assert [r["number"] for r in mine] == ["KON-REQ-2026-0001"]
    # Addressed to the commander: not in the medics' or the officers' own inboxes.
    for other in ("sakura", "hiroki"):
        assert ok(as_staff(konoha.staff[other]).get("/api/requests", {"scope": "mine"})) == []
    # Only the addressee (or a manager) answers it.
    refused = post(
        as_staff(konoha.staff["sakura"]), f"/api/requests/{filed['id']}/respond", {"text": "No."}
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "not_addressee")

    answered = ok(
        post(tsunade, f"/api/requests/{filed['id']}/respond",
             {"text": "I will see him in his cell tomorrow morning."}),
    )  # fmt: skip
    assert (answered["status"], answered["answered_by"]) == ("answered", "tsunade")
    assert [e["kind"] for e in answered["entries"]] == ["filed", "response"]
    assert [
        (e.action, e.actor_username)
        for e in AuditEvent.objects.filter(action__startswith="request.").order_by("seq")
    ] == [("request.file", "hiroki"), ("request.respond", "tsunade")]


# --- Step 7: one visit by Sakura ----------------------------------------------------------


def test_without_the_override_sakuras_visit_is_refused_with_its_rules_named(
    konoha: MiniKonoha, kakashi: str, sakura: dict[str, Any]
) -> None:
    desk = as_staff(konoha.staff["kurenai"])
    checked = ok(post(desk, "/api/visits/check", _visit(kakashi, sakura)))
    assert not checked["allowed"]

    refused = post(desk, "/api/visits", _visit(kakashi, sakura))
    body = refused.json()
    assert (refused.status_code, body["code"]) == (409, "visit_refused")
    rules = {v["code"]: v for v in body["extra"]["violations"]}
    # The no-contact order, a minor without a parent or guardian, and less than 24 hours ahead.
    assert set(rules) == {"protective_order", "minor_without_guardian", "booked_too_soon"}
    assert "Sakura Haruno" in rules["protective_order"]["message"]
    assert all(v["overridable"] for v in rules.values())
    assert {v["code"] for v in checked["violations"]} == set(rules)


@pytest.mark.parametrize("who", ["shizune", "hiroki", "kurenai"])
def test_neither_the_supervisor_the_officer_nor_the_clerk_can_give_the_override(
    konoha: MiniKonoha, kakashi: str, sakura: dict[str, Any], who: str
) -> None:
    override = {"reason": ONE_VISIT, "conditions": ITS_CONDITION}
    refused = post(
        as_staff(konoha.staff[who]), "/api/visits", _visit(kakashi, sakura, override=override)
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "override_not_allowed")


def test_with_tsunades_override_the_visit_is_booked_once_and_shows_why(
    konoha: MiniKonoha, kakashi: str, sakura: dict[str, Any]
) -> None:
    visit = _overrides(konoha, kakashi, sakura)

    # The commander authorises the in-cell visit as she books it.
    assert (visit["kind"], visit["status"], visit["minutes"]) == ("in_cell", "scheduled", 20)
    assert visit["cell"] == "MC-01"
    override = visit["override"]
    assert set(override["rules"]) == {
        "protective_order", "minor_without_guardian", "booked_too_soon",
    }  # fmt: skip
    assert (override["reason"], override["conditions"], override["authorised_by"]) == (
        ONE_VISIT, ITS_CONDITION, "tsunade",
    )  # fmt: skip
    # Everyone who sees the visit sees the override on it.
    seen = ok(as_staff(konoha.staff["hiroki"]).get(f"/api/visits/{visit['id']}"))
    assert seen["override"]["reason"] == ONE_VISIT

    # One time only: a second visit is refused again.
    again = _visit(kakashi, sakura, starts_at=(NEXT_NOON + dt.timedelta(days=2)).isoformat())
    refused = post(as_staff(konoha.staff["kurenai"]), "/api/visits", again)
    assert (refused.status_code, refused.json()["code"]) == (409, "visit_refused")

    events = [
        (e.action, e.actor_username, e.reason)
        for e in AuditEvent.objects.filter(action__in=("visit.schedule", "visit.override"))
        .order_by("seq")
    ]  # fmt: skip
    assert [(action, actor) for action, actor, _ in events] == [
        ("visit.schedule", "tsunade"), ("visit.override", "tsunade"),
    ]  # fmt: skip
    assert ONE_VISIT in events[1][2]


def test_the_visit_day_screens_her_bento_opens_the_door_and_alerts_at_twenty_minutes(
    konoha: MiniKonoha, kakashi: str, sakura: dict[str, Any], clock: Any
) -> None:
    visit = _overrides(konoha, kakashi, sakura)
    path = f"/api/visits/{visit['id']}"

    # Hiroki signs in for the day shift.
    clock.move_to(NEXT_NOON - dt.timedelta(minutes=10))
    hiroki = as_staff(konoha.staff["hiroki"])
    checked_in = ok(post(hiroki, f"{path}/check-in", {"visitors": [
        {"visitor_id": sakura["id"], "id_kind": "village_registry", "id_number": "KV-0328"},
    ]}))  # fmt: skip
    assert checked_in["status"] == "checked_in"
    screened = ok(
        post(hiroki, f"{path}/items",
             {"description": "Bento box", "outcome": "allowed", "visitor_id": sakura["id"]}),
        201,
    )  # fmt: skip
    assert [(i["description"], i["outcome"]) for i in screened["items"]] == [
        ("Bento box", "allowed")
    ]

    clock.move_to(NEXT_NOON)
    started = ok(post(hiroki, f"{path}/start", {}))
    assert (started["status"], started["escort"]) == ("in_progress", "hiroki")
    # Hiroki opens the cell door to let her in and closes it behind her.
    assert [d["action"] for d in started["door_events"]] == ["open", "close"]

    clock.move_to(NEXT_NOON + dt.timedelta(minutes=19, seconds=59))
    assert _overruns(konoha, kakashi) == []

    clock.move_to(NEXT_NOON + dt.timedelta(minutes=20))
    [overrun] = _overruns(konoha, kakashi)
    assert (overrun["number"], overrun["limit"]) == (0, 20)
    assert any("Hiroki" in who["names"] for who in overrun["responsible"])

    ended = ok(post(hiroki, f"{path}/end", {}))
    assert ended["status"] == "ended"
    assert ended["overran_minutes"] == 0
    assert _overruns(konoha, kakashi) == []
    out = ok(post(hiroki, f"{path}/check-out", {}))
    assert out["status"] == "completed"
    assert [v["checked_out_at"] is not None for v in out["visitors"]] == [True]
    assert [d["action"] for d in out["door_events"]] == ["open", "close", "open", "close"]

    verified = ok(post(as_staff(konoha.staff["tsunade"]), "/api/audit/verify"))
    assert verified["ok"], verified["problem"]
    actors = {
        e.action: e.actor_username
        for e in AuditEvent.objects.filter(action__startswith="visit.").order_by("seq")
    }
    assert actors["visit.override"] == "tsunade"
    assert actors["visit.check_in"] == "hiroki"
