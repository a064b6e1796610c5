"""Case file 2, "The last cell": Naruto, ten, forgotten in the dark, replayed through the API.

He is booked, flagged dangerous, housed by the commander's override in the
lower level's isolation cell (no light, restrictive housing) and chained.  Then
nothing is recorded for ninety days.  The alert board must show every breach
of SCENARIOS.md with its rule, its number and who must act; the ANBU captain's
forced entry, his light and his welfare check must change it as the story says.
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
from tests.cases import (
    MiniKonoha,
    as_staff,
    book,
    build_mini_konoha,
    house_by_override,
    ok,
    post,
    put,
)

pytestmark = pytest.mark.django_db

# Naruto is booked on a winter morning in Konoha (09:00 in Tokyo) ...
BOOKED = dt.datetime(2026, 1, 5, 0, 0, tzinfo=dt.UTC)
# ... and three months pass with nothing recorded about him.
THREE_MONTHS_LATER = BOOKED + dt.timedelta(days=90)
NARUTO_BORN = dt.date(2015, 10, 10)

# Every breach case file 2 lists, by the rule that names it.
CASE_FILE_2_BREACHES = {
    "juvenile_in_adult_facility",
    "child_in_solitary",
    "prolonged_solitary",
    "dark_cell",
    "restraint_checks_overdue",
    "restraint_over_limit",
    "observation_overdue",
    "exercise_missed",
    "no_visits",
}


# --- Reading the board ----------------------------------------------------------------


def board(konoha: MiniKonoha, as_user: str = "tsunade") -> list[dict[str, Any]]:
    """The facility's alert board, as the commander (or ``as_user``) reads it."""
    client = as_staff(konoha.staff[as_user])
    return ok(client.get("/api/compliance/alerts", {"facility": str(konoha.facility.public_id)}))


def alerts_about(alerts: list[dict[str, Any]], number: str) -> dict[str, dict[str, Any]]:
    """The alerts about one person, by rule."""
    return {a["rule"]: a for a in alerts if a["booking"] == number}


def figure(alert: dict[str, Any]) -> tuple[int, str]:
    return alert["number"], alert["unit"]


def who_must_act(alert: dict[str, Any]) -> set[str]:
    """The staff the alert names as responsible (by name), whatever their role in it."""
    return {name for responsible in alert["responsible"] for name in responsible["names"]}


# --- The story up to the three months ------------------------------------------------


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(BOOKED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def konoha(clock: Any) -> MiniKonoha:
    return build_mini_konoha()


@pytest.fixture
def naruto(konoha: MiniKonoha, clock: Any) -> str:
    """Booked, flagged, housed in ISO-1 and chained; then ninety days with nothing recorded."""
    number = book(
        konoha, given_name="Naruto", family_name="Uzumaki", born=NARUTO_BORN,
        charge="Attempted killing of villagers with the fox's chakra",
    )  # fmt: skip
    ok(
        post(
            as_staff(konoha.staff["ibiki"]),
            f"/api/classification/bookings/{number}/flags",
            {"kind": "dangerous", "reason": "The fox's chakra: dangerous to other inmates."},
        ),
        201,
    )
    house_by_override(
        konoha, number, "ISO-1",
        "The council ordered the fox's host sealed away in the isolation cell.",
    )  # fmt: skip
    chains = ok(
        post(
            as_staff(konoha.staff["hiroki"]),
            "/api/custody/restraints",
            {
                "booking": number,
                "kind": "chains",
                "purpose": "safety",
                "reason": "Danger to the other inmates while the seal is unstable.",
                "authorised_by": "tsunade",
            },
        ),
        201,
    )
    assert chains["kind"] == "chains"
    assert chains["applied_by"] == "hiroki"
    clock.move_to(THREE_MONTHS_LATER)
    return number


def test_three_months_on_every_breach_of_the_case_file_is_on_the_board(konoha, naruto):
    his = alerts_about(board(konoha), naruto)
    assert set(his) >= CASE_FILE_2_BREACHES, sorted(his)
    for rule in CASE_FILE_2_BREACHES:
        assert his[rule]["severity"] == "breach", (rule, his[rule])
        assert his[rule]["message"], rule
        assert his[rule]["source"], rule
        assert who_must_act(his[rule]), f"{rule} names nobody to act"


def test_each_breach_carries_its_number(konoha, naruto):
    his = alerts_about(board(konoha), naruto)
    ninety_days = range(88, 92)
    assert figure(his["juvenile_in_adult_facility"]) == (90 * 24, "h")
    for rule in ("prolonged_solitary", "exercise_missed", "no_visits"):
        number, unit = figure(his[rule])
        assert unit == "days", (rule, unit)
        assert number in ninety_days, (rule, number)
    # Not one check of the chains, not one look through the door, since his first morning.
    for rule in ("restraint_checks_overdue", "observation_overdue"):
        number, unit = figure(his[rule])
        assert unit == "min", (rule, unit)
        assert number == 90 * 24 * 60, (rule, number)
    assert figure(his["restraint_over_limit"])[0] == 90 * 24 * 60


def test_each_breach_names_who_must_act(konoha, naruto):
    his = alerts_about(board(konoha), naruto)
    # The commander answers for the child, the solitary and a juvenile in her adult prison.
    for rule in ("juvenile_in_adult_facility", "child_in_solitary", "prolonged_solitary"):
        assert "Tsunade" in who_must_act(his[rule]), rule
    # The shift supervisor answers for the dark cell (with the commander), the checks,
    # the exercise and the visits.
    assert {"Shizune", "Tsunade"} <= who_must_act(his["dark_cell"])
    for rule in ("restraint_checks_overdue", "observation_overdue", "exercise_missed", "no_visits"):
        assert "Shizune" in who_must_act(his[rule]), rule
    # Extending restraints needs both sides: the supervisor and a medic.
    assert "Shizune" in who_must_act(his["restraint_over_limit"])


# --- The ANBU captain ------------------------------------------------------------------


def _enter_the_lower_level(konoha: MiniKonoha, naruto: str, **more: Any) -> Any:
    """Hiroki, escorting, opens the lower level's gate and the captain goes through."""
    return post(
        as_staff(konoha.staff["hiroki"]),
        "/api/custody/doors",
        {
            "action": "open",
            "zone": str(konoha.lower.public_id),
            "staff_passed": ["anbu_captain"],
            "note": "The ANBU captain insists on seeing the prisoner.",
            **more,
        },
    )


def test_without_a_grant_the_lower_level_stays_shut_to_the_anbu_captain(konoha, naruto):
    refused = _enter_the_lower_level(konoha, naruto)
    assert refused.status_code == 403, refused.content
    assert refused.json()["code"] == "no_entry_grant"
    assert (
        "anbu_captain" in refused.json()["message"].lower().replace(" ", "_")
        or (refused.json()["extra"])
    )
    assert "forced_entry" not in {a["rule"] for a in board(konoha)}


def test_his_forced_entry_is_stored_opens_an_incident_and_alerts_the_commander(konoha, naruto):
    door = ok(_enter_the_lower_level(konoha, naruto, forced=True), 201)
    assert door["outcome"] == "forced"
    assert door["operated_by"] == "hiroki"
    assert door["staff_passed"] == ["anbu_captain"]
    assert door["place"]["code"] == "LOWER"

    incidents = ok(
        as_staff(konoha.staff["tsunade"]).get(
            "/api/incidents", {"facility": str(konoha.facility.public_id)}
        )
    )
    [incident] = incidents
    assert incident["kind"] == "forced_entry"
    assert incident["origin"] == "automatic"
    assert incident["status"] == "open"
    assert door["incident"] == incident["number"]

    [forced] = [a for a in board(konoha) if a["rule"] == "forced_entry"]
    assert forced["severity"] == "breach"
    assert "Tsunade" in who_must_act(forced)


def test_his_light_clears_the_dark_cell_and_his_welfare_check_the_observation(konoha, naruto):
    ok(_enter_the_lower_level(konoha, naruto, forced=True), 201)
    captain = as_staff(konoha.staff["anbu_captain"])

    ok(
        put(
            captain,
            f"/api/custody/cells/{konoha.cells['ISO-1'].public_id}/condition",
            {"tag": "lighting", "status": "working", "note": "Placed a lamp in the cell."},
        )
    )
    his = alerts_about(board(konoha), naruto)
    assert "dark_cell" not in his
    assert "observation_overdue" in his

    check = ok(
        post(
            captain,
            "/api/custody/checks",
            {
                "booking": naruto,
                "status": "concern",
                "welfare_contact": True,
                "note": "Spoke with him; chained, thin, in the dark for months.",
            },
        ),
        201,
    )
    assert check["welfare_contact"] is True
    his = alerts_about(board(konoha), naruto)
    assert "observation_overdue" not in his
    # Someone went in and spoke with him: today is no solitary day, and the run is broken.
    assert "child_in_solitary" not in his
    assert "prolonged_solitary" not in his
    # What the captain could not fix is still there for the commander and the supervisor.
    assert set(his) >= {
        "juvenile_in_adult_facility", "restraint_checks_overdue", "restraint_over_limit",
        "exercise_missed", "no_visits",
    }, sorted(his)  # fmt: skip
    assert "forced_entry" in {a["rule"] for a in board(konoha)}
    # Ninety days without a visit stay on the board, a warning now he is not alone today.
    assert his["no_visits"]["severity"] == "warning"


# --- The record --------------------------------------------------------------------------


def test_the_audit_chain_verifies_and_names_the_actor_of_every_step(konoha, naruto):
    first_step = AuditEvent.objects.filter(actor_username="iruka").earliest("seq")
    ok(_enter_the_lower_level(konoha, naruto, forced=True), 201)
    captain = as_staff(konoha.staff["anbu_captain"])
    ok(
        put(
            captain,
            f"/api/custody/cells/{konoha.cells['ISO-1'].public_id}/condition",
            {"tag": "lighting", "status": "working"},
        )
    )
    ok(
        post(
            captain,
            "/api/custody/checks",
            {"booking": naruto, "status": "seen_well", "welfare_contact": True},
        ),
        201,
    )

    verified = ok(post(as_staff(konoha.staff["tsunade"]), "/api/audit/verify"))
    assert verified["ok"], verified["problem"]

    steps = [
        (event.actor_username, event.action)
        for event in AuditEvent.objects.filter(seq__gte=first_step.seq).order_by("seq")
    ]
    # Nothing in the story happened without someone who did it ...
    assert all(actor for actor, _ in steps), steps
    # ... and each step is there, in order, with the person who took it.
    story = [
        ("iruka", "booking.open"),
        ("iruka", "booking.in_custody"),
        ("ibiki", "flag.set"),
        ("tsunade", "housing.assign"),
        ("hiroki", "restraint.apply"),
        ("hiroki", "incident.report"),
        ("hiroki", "door.open"),
        ("anbu_captain", "cell.feature_set"),
        ("anbu_captain", "rounds.check"),
    ]
    remaining = iter(steps)
    assert all(step in remaining for step in story), steps
