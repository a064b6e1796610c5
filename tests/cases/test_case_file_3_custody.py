"""Case file 3, "Baby steps": Sasuke at the end of the corridor, custody steps through the API.

The two-officer post at his door, his bound wrists and their checks, a missed
meal and his diet note, Sakura's night visit behind a door Hiroki opens, her
tomato soup the next afternoon, and the bindings she cuts: without Shizune's
authority it is recorded, alerts the supervisor and opens an incident; with it,
nothing is raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from cellblock.conftest import (  # noqa: F401  (fixtures used by these tests)
    _fast_password_hashing,
    flushable_audit_trail_after_transactional_tests,
)
from tests.cases import MiniKonoha, as_staff, book, build_mini_konoha, house_by_override, ok, post

pytestmark = pytest.mark.django_db

# 18:00 in Konoha (Asia/Tokyo): the second shift (14:00-22:00), just after dinner (17:30).
EVENING = dt.datetime(2026, 3, 14, 9, 0, tzinfo=dt.UTC)
NIGHT = EVENING + dt.timedelta(hours=5)  # 23:00
NEXT_AFTERNOON = EVENING + dt.timedelta(hours=21)  # 15:00 the next day
SASUKE_BORN = dt.date(2010, 7, 23)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(EVENING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def konoha(clock: Any) -> MiniKonoha:
    return build_mini_konoha()


@pytest.fixture
def sasuke(konoha: MiniKonoha) -> str:
    """Held pretrial at the end of the corridor; he will not eat sweets."""
    number = book(
        konoha, given_name="Sasuke", family_name="Uchiha", born=SASUKE_BORN,
        charge="Attempted murder of Sakura Haruno",
    )  # fmt: skip
    ok(
        post(
            as_staff(konoha.staff["ibiki"]),
            f"/api/classification/bookings/{number}/flags",
            {"kind": "diet", "detail": "no sweets", "reason": "Will not eat sweets."},
        ),
        201,
    )
    house_by_override(
        konoha, number, "HS-01", "No juvenile unit at Konoha; held at the end of the corridor."
    )
    return number


# --- The post at his door ----------------------------------------------------------------


def _post_board(konoha: MiniKonoha) -> dict[str, Any]:
    """The post board of the shift on duty now, as Shizune reads it."""
    return ok(
        as_staff(konoha.staff["shizune"]).get(
            "/api/custody/posts", {"facility": str(konoha.facility.public_id)}
        )
    )


def _end_post(konoha: MiniKonoha) -> dict[str, Any]:
    [end] = [row for row in _post_board(konoha)["posts"] if row["code"] == "END"]
    return end


def _assign(konoha: MiniKonoha, officer: str) -> Any:
    """Shizune puts ``officer`` on the end-of-corridor post for the shift on duty."""
    board = _post_board(konoha)
    return ok(
        post(
            as_staff(konoha.staff["shizune"]),
            f"/api/custody/posts/{konoha.end_post.public_id}/assignments",
            {"officer": officer, "shift_date": board["shift_date"], "shift": board["shift"]},
        ),
        201,
    )


def test_the_end_of_corridor_post_is_short_with_one_officer_and_staffed_with_two(konoha, sasuke):
    end = _end_post(konoha)
    assert (end["required"], end["staffed"], end["short_by"]) == (2, False, 2)

    _assign(konoha, "izumo")
    end = _end_post(konoha)
    assert [officer["username"] for officer in end["officers"]] == ["izumo"]
    assert (end["staffed"], end["short_by"]) == (False, 1)
    [short] = [a for a in _board(konoha) if a["rule"] == "post_short"]
    assert (short["place"], short["number"], short["limit"]) == ("End-of-corridor door post", 1, 2)

    _assign(konoha, "kotetsu")
    end = _end_post(konoha)
    assert sorted(officer["username"] for officer in end["officers"]) == ["izumo", "kotetsu"]
    assert (end["staffed"], end["short_by"]) == (True, 0)
    assert "post_short" not in {a["rule"] for a in _board(konoha)}


# --- His wrists ----------------------------------------------------------------------------


def _bind_wrists(konoha: MiniKonoha, sasuke: str) -> dict[str, Any]:
    return ok(
        post(
            as_staff(konoha.staff["hiroki"]),
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


def test_his_wrists_are_bound_with_the_first_check_due_in_fifteen_minutes(konoha, sasuke):
    bindings = _bind_wrists(konoha, sasuke)
    assert bindings["kind"] == "wrist_bindings"
    assert bindings["applied_by"] == "hiroki"
    assert bindings["authorised_by"] == "shizune"
    assert bindings["assisted_by"] == "izumo"
    assert bindings["last_check_at"] is None
    assert dt.datetime.fromisoformat(bindings["next_check_due"]) == EVENING + dt.timedelta(
        minutes=15
    )


# --- Meals ---------------------------------------------------------------------------------


def _meals(konoha: MiniKonoha, sasuke: str) -> dict[str, Any]:
    return ok(as_staff(konoha.staff["hiroki"]).get(f"/api/custody/bookings/{sasuke}/meals"))


def test_a_missed_meal_and_his_no_sweets_note_show_in_his_meals(konoha, sasuke, clock):
    clock.shift(dt.timedelta(minutes=30))
    ok(
        post(
            as_staff(konoha.staff["hiroki"]),
            "/api/custody/meals",
            {"booking": sasuke, "outcome": "missed", "note": "Did not touch his tray."},
        ),
        201,
    )
    meals = _meals(konoha, sasuke)
    [dinner] = meals["meals"]
    assert (dinner["meal_date"], dinner["meal"], dinner["outcome"]) == ("2026-03-14", 2, "missed")
    assert dinner["recorded_by"] == "hiroki"
    assert ("diet", "no sweets") in [(note["kind"], note["detail"]) for note in meals["notes"]]
    assert meals["without_in_a_row"] == 1


def test_the_next_afternoon_sakura_brings_tomato_soup(konoha, sasuke, clock):
    clock.move_to(NEXT_AFTERNOON)
    soup = ok(
        post(
            as_staff(konoha.staff["sakura"]),
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
    assert (soup["outcome"], soup["brought_by"], soup["item"]) == (
        "outside_food", "Sakura Haruno", "Tomato soup",
    )  # fmt: skip
    [lunch] = _meals(konoha, sasuke)["meals"]
    assert (lunch["meal_date"], lunch["meal"]) == ("2026-03-15", 1)
    assert lunch["recorded_by"] == "sakura"


def test_outside_food_says_who_brought_what(konoha, sasuke):
    refused = post(
        as_staff(konoha.staff["sakura"]),
        "/api/custody/meals",
        {"booking": sasuke, "outcome": "outside_food"},
    )
    assert refused.status_code == 400, refused.content
    assert {"brought_by", "item"} <= set(refused.json()["extra"]["fields"])


# --- Sakura at night -----------------------------------------------------------------------


def test_shizune_grants_sakura_cell_entry_and_hiroki_opens_and_closes_the_door(
    konoha, sasuke, clock
):
    clock.move_to(NIGHT)
    cell = str(konoha.cells["HS-01"].public_id)
    grant = ok(
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
    assert grant["staff"] == "sakura"
    assert grant["granted_by"] == "shizune"

    hiroki = as_staff(konoha.staff["hiroki"])
    unlocked = ok(
        post(hiroki, "/api/custody/doors", {"action": "unlock", "cell": cell,
                                            "staff_passed": ["sakura"]}),
        201,
    )  # fmt: skip
    clock.shift(dt.timedelta(minutes=25))
    closed = ok(
        post(hiroki, "/api/custody/doors", {"action": "close", "cell": cell,
                                            "staff_passed": ["sakura"]}),
        201,
    )  # fmt: skip
    for event in (unlocked, closed):
        assert event["outcome"] == "allowed"
        assert event["operated_by"] == "hiroki"
        assert event["staff_passed"] == ["sakura"]
        assert event["place"]["code"] == "HS-01"
    # She went in on Shizune's grant; closing the door behind her checks nobody's access.
    assert unlocked["grant"] == grant["id"]
    assert dt.datetime.fromisoformat(closed["at"]) - dt.datetime.fromisoformat(
        unlocked["at"]
    ) == dt.timedelta(minutes=25)


# --- She cuts his bindings -----------------------------------------------------------------


def _board(konoha: MiniKonoha) -> list[dict[str, Any]]:
    client = as_staff(konoha.staff["shizune"])
    return ok(client.get("/api/compliance/alerts", {"facility": str(konoha.facility.public_id)}))


def _incidents(konoha: MiniKonoha) -> list[dict[str, Any]]:
    client = as_staff(konoha.staff["tsunade"])
    return ok(client.get("/api/incidents", {"facility": str(konoha.facility.public_id)}))


def _cut(konoha: MiniKonoha, bindings: dict[str, Any], **authority: str) -> dict[str, Any]:
    return ok(
        post(
            as_staff(konoha.staff["sakura"]),
            f"/api/custody/restraints/{bindings['id']}/remove",
            {"note": "The bindings cut into his wrists.", **authority},
        )
    )


def test_sakura_cuts_his_bindings_without_authority_and_the_supervisor_is_alerted(
    konoha, sasuke, clock
):
    bindings = _bind_wrists(konoha, sasuke)
    clock.move_to(NEXT_AFTERNOON)
    removed = _cut(konoha, bindings)
    assert removed["removed_by"] == "sakura"
    assert removed["removal_authorised_by"] is None

    [alert] = [a for a in _board(konoha) if a["rule"] == "restraint_removed_without_authority"]
    assert alert["severity"] == "breach"
    assert alert["booking"] == sasuke
    assert [(who["role"], who["names"]) for who in alert["responsible"]] == [
        ("supervisor", ["Shizune"])
    ]

    [incident] = _incidents(konoha)
    assert incident["kind"] == "restraint_removal"
    assert incident["origin"] == "automatic"
    assert removed["incidents"] == [incident["number"]]


def test_with_shizunes_authority_the_same_cut_raises_nothing(konoha, sasuke, clock):
    bindings = _bind_wrists(konoha, sasuke)
    clock.move_to(NEXT_AFTERNOON)
    removed = _cut(konoha, bindings, authorised_by="shizune")
    assert removed["removed_by"] == "sakura"
    assert removed["removal_authorised_by"] == "shizune"

    assert "restraint_removed_without_authority" not in {a["rule"] for a in _board(konoha)}
    assert _incidents(konoha) == []
