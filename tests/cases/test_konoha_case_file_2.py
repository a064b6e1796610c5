"""Case file 2, "The last cell", replayed from an empty database through the public API.

Naruto, ten, is booked, flagged dangerous, sealed by the commander's override in
the unlit isolation cell of the restricted lower level and chained.  Nothing is
recorded about him for ninety days.  Then the alert board and the compliance
report must name every breach, with its rule, its figure and who must act; the
ANBU captain forces his way in, fits a light and speaks with the boy, and the
board must change as SCENARIOS.md says.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from cellblock.conftest import (  # noqa: F401  (autouse fixtures for tests outside src/)
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
    put,
)

pytestmark = pytest.mark.django_db

# A winter morning in Konoha: 09:00 in Tokyo.
BOOKED = dt.datetime(2026, 1, 5, 0, 0, tzinfo=dt.UTC)
NARUTO_BORN = dt.date(2015, 10, 10)
DAYS_FORGOTTEN = 90
THREE_MONTHS_LATER = BOOKED + dt.timedelta(days=DAYS_FORGOTTEN)
# Ninety days in minutes: no look through the door and no check of the chains since he came.
NEVER_CHECKED = DAYS_FORGOTTEN * 24 * 60
# The solitary and exercise clocks count whole facility-local days: his first day, begun
# at 09:00, is too short to count, and today is not over yet.
WHOLE_DAYS_ALONE = DAYS_FORGOTTEN - 1

# Each breach of the case file: its figure, unit and limit (docs/compliance.md), and who
# must act on it, by role, with the staff holding it.  Nobody is posted to the lower
# level, so the officers on duty there are named by role alone.
BREACHES: dict[str, tuple[int, str, int, dict[str, list[str]]]] = {
    # A juvenile may be held in an adult facility for 6 hours at most.
    "juvenile_in_adult_facility": (DAYS_FORGOTTEN * 24, "h", 6, {"commander": ["tsunade"]}),
    "child_in_solitary": (WHOLE_DAYS_ALONE, "days", 0, {"commander": ["tsunade"]}),
    # "More than 15 consecutive days": a breach from the 16th.
    "prolonged_solitary": (WHOLE_DAYS_ALONE, "days", 16, {"commander": ["tsunade"]}),
    "dark_cell": (
        DAYS_FORGOTTEN, "days", 0, {"supervisor": ["shizune"], "commander": ["tsunade"]},
    ),
    "restraint_checks_overdue": (
        NEVER_CHECKED, "min", 15, {"officers_on_duty": [], "supervisor": ["shizune"]},
    ),
    "restraint_over_limit": (
        NEVER_CHECKED, "min", 120,
        {"supervisor": ["shizune"], "medical": ["sakura", "shizune"]},
    ),
    "observation_overdue": (
        NEVER_CHECKED, "min", 30, {"officers_on_duty": [], "supervisor": ["shizune"]},
    ),
    "exercise_missed": (WHOLE_DAYS_ALONE, "days", 60, {"supervisor": ["shizune"]}),
    "no_visits": (DAYS_FORGOTTEN, "days", 30, {"supervisor": ["shizune"]}),
}  # fmt: skip


def board(konoha: MiniKonoha) -> list[dict[str, Any]]:
    """The facility's alert board, as the commander reads it."""
    return ok(
        as_staff(konoha.staff["tsunade"]).get(
            "/api/compliance/alerts", {"facility": str(konoha.facility.public_id)}
        )
    )


def about(alerts: list[dict[str, Any]], number: str) -> dict[str, dict[str, Any]]:
    """One person's alerts, by rule code."""
    return {alert["rule"]: alert for alert in alerts if alert["booking"] == number}


def who_acts(alert: dict[str, Any]) -> dict[str, list[str]]:
    """The roles an alert names as responsible, each with the staff holding it."""
    return {who["role"]: sorted(who["names"]) for who in alert["responsible"]}


def by_name(konoha: MiniKonoha, roles: dict[str, list[str]]) -> dict[str, list[str]]:
    """Roles to usernames, as the board writes them: roles to staff names."""
    return {
        role: sorted(str(konoha.staff[username]) for username in usernames)
        for role, usernames in roles.items()
    }


def iso_1(konoha: MiniKonoha) -> dict[str, Any]:
    """The isolation cell as the facility tree shows it: occupancy and features."""
    tree = ok(
        as_staff(konoha.staff["tsunade"]).get(f"/api/facilities/{konoha.facility.public_id}/tree")
    )
    [cell] = [
        cell
        for zone in tree["zones"]
        for unit in zone["units"]
        for cell in unit["cells"]
        if cell["code"] == "ISO-1"
    ]
    return cell  # type: ignore[no-any-return]


def report(konoha: MiniKonoha) -> dict[str, dict[str, Any]]:
    """Shizune sweeps the board into episodes; the commander reads the report since booking."""
    ok(
        post(
            as_staff(konoha.staff["shizune"]),
            "/api/compliance/sweep",
            {"facility": str(konoha.facility.public_id)},
        )
    )
    found = ok(
        as_staff(konoha.staff["tsunade"]).get(
            "/api/compliance/report",
            {"facility": str(konoha.facility.public_id), "from": "2026-01-05"},
        )
    )
    return {rule["rule"]: rule for rule in found["rules"]}


def only_episode(rule: dict[str, Any], number: str) -> dict[str, Any]:
    [episode] = [item for item in rule["items"] if item["booking"] == number]
    return episode  # type: ignore[no-any-return]


def test_naruto_forgotten_in_the_dark_then_found_by_the_anbu_captain():
    with time_machine.travel(BOOKED, tick=False) as clock:
        konoha = build_mini_konoha()
        lower_level = str(konoha.lower.public_id)

        # 1. Iruka books him; Ibiki flags him; Tsunade seals him in ISO-1; Hiroki chains him.
        naruto = book(
            konoha, given_name="Naruto", family_name="Uzumaki", born=NARUTO_BORN,
            charge="Attempted killing of a group of villagers with the fox's chakra",
        )  # fmt: skip
        flag = ok(
            post(
                as_staff(konoha.staff["ibiki"]),
                f"/api/classification/bookings/{naruto}/flags",
                {"kind": "dangerous", "reason": "The fox's chakra: a danger to other inmates."},
            ),
            201,
        )
        assert flag["kind"] == "dangerous"
        # There is no juvenile unit, and the isolation cell breaks the rule book for a
        # child: classification may not put him there ...
        not_his_bed = post(
            as_staff(konoha.staff["ibiki"]),
            "/api/housing/moves",
            {
                "booking": naruto,
                "to_bed": str(konoha.bed("ISO-1").public_id),
                "reason": "Placement at booking",
            },
        )
        assert not_his_bed.status_code == 409, not_his_bed.content
        assert not_his_bed.json()["code"] == "housing_rule"
        # ... only the commander's override does.
        house_by_override(
            konoha, naruto, "ISO-1",
            "No juvenile unit; the council ordered the fox's host sealed away below.",
        )  # fmt: skip
        chains = ok(
            post(
                as_staff(konoha.staff["hiroki"]),
                "/api/custody/restraints",
                {
                    "booking": naruto,
                    "kind": "chains",
                    "purpose": "safety",
                    "reason": "A danger to everyone near him while the seal is unstable.",
                    "authorised_by": "tsunade",
                },
            ),
            201,
        )
        assert (chains["kind"], chains["applied_by"], chains["authorised_by"]) == (
            "chains", "hiroki", "tsunade",
        )  # fmt: skip
        assert chains["cell"] == "ISO-1"
        cell = iso_1(konoha)
        assert cell["occupied"] == 1
        # Behind the iron door there is no light at all.
        assert "lighting" not in cell["features"], cell["features"]

        # 2. Three months pass with nothing recorded about him.
        clock.move_to(THREE_MONTHS_LATER)
        assert not audit_events(
            konoha,
            since=(BOOKED + dt.timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
            until=THREE_MONTHS_LATER.isoformat().replace("+00:00", "Z"),
        )
        days = ok(
            as_staff(konoha.staff["shizune"]).get(
                f"/api/custody/bookings/{naruto}/days", {"from": "2026-01-05"}
            )
        )
        assert len(days["days"]) == DAYS_FORGOTTEN + 1
        assert sum(day["out_of_cell_minutes"] for day in days["days"]) == 0
        assert not any(day["contact"] for day in days["days"])

        # Each breach on the board, with its figure against its limit and who must act.
        his = about(board(konoha), naruto)
        for rule, (number, unit, limit, roles) in BREACHES.items():
            assert rule in his, (rule, sorted(his))
            alert = his[rule]
            assert alert["severity"] == "breach", alert
            assert (alert["number"], alert["unit"], alert["limit"]) == (number, unit, limit), alert
            assert who_acts(alert) == by_name(konoha, roles), (rule, alert["responsible"])
            assert alert["place"].endswith("ISO-1"), alert
        # Outside the case file's list, the override and the missing health assessment.
        assert (his["housing_rule"]["severity"], his["health_assessment_overdue"]["severity"]) == (
            "breach", "breach",
        )  # fmt: skip
        # The board dates each condition from the records, not from when someone looked.
        assert his["dark_cell"]["since"] == "2026-01-05T00:00:00Z"

        # The compliance report says the same, rule by rule, with the worst figure seen.
        episodes = report(konoha)
        for rule in BREACHES:
            episode = only_episode(episodes[rule], naruto)
            assert episode["severity"] == "breach", episode
            assert episode["worst_number"] == his[rule]["number"], (rule, episode)
            assert episode["cleared_at"] is None
        commander, supervisor = str(konoha.staff["tsunade"]), str(konoha.staff["shizune"])
        assert commander in only_episode(episodes["child_in_solitary"], naruto)["responsible"]
        assert supervisor in only_episode(episodes["no_visits"], naruto)["responsible"]

        # 3. The ANBU captain has no grant for the lower level: Hiroki's gate refuses him ...
        captain, escort = as_staff(konoha.staff["anbu_captain"]), as_staff(konoha.staff["hiroki"])
        gate = {
            "action": "open",
            "zone": lower_level,
            "staff_passed": ["anbu_captain"],
            "note": "The ANBU captain went in over my protest to see the prisoner.",
        }
        refused = post(escort, "/api/custody/doors", gate)
        assert refused.status_code == 403, refused.content
        assert refused.json()["code"] == "no_entry_grant"
        assert [who["staff"] for who in refused.json()["extra"]["refused"]] == ["anbu_captain"]

        # ... he goes in anyway, and Hiroki records the unauthorised entry as forced.
        forced = ok(post(escort, "/api/custody/doors", {**gate, "forced": True}), 201)
        assert (forced["outcome"], forced["operated_by"], forced["staff_passed"]) == (
            "forced", "hiroki", ["anbu_captain"],
        )  # fmt: skip
        door_log = ok(
            captain.get("/api/custody/doors", {"facility": str(konoha.facility.public_id)})
        )
        assert [(door["outcome"], door["place"]["code"]) for door in door_log[:2]] == [
            ("forced", "LOWER"), ("denied", "LOWER"),
        ]  # fmt: skip

        [incident] = ok(
            as_staff(konoha.staff["tsunade"]).get(
                "/api/incidents", {"facility": str(konoha.facility.public_id)}
            )
        )
        assert incident["number"] == forced["incident"]
        assert (incident["kind"], incident["origin"], incident["status"]) == (
            "forced_entry", "automatic", "open",
        )  # fmt: skip
        assert incident["staff"] == ["anbu_captain"]
        assert incident["narrative"].startswith("Unauthorised entry")

        [alerted] = [alert for alert in board(konoha) if alert["rule"] == "forced_entry"]
        assert alerted["severity"] == "breach"
        assert who_acts(alerted) == by_name(konoha, {"commander": ["tsunade"]})

        # 4. He fits a light in the cell: the cell is lit, and the dark-cell breach clears.
        lit = ok(
            put(
                captain,
                f"/api/custody/cells/{iso_1(konoha)['id']}/condition",
                {"tag": "lighting", "status": "working", "note": "Fitted a lamp in the cell."},
            )
        )
        assert (lit["cell"]["code"], lit["tag"], lit["status"]) == ("ISO-1", "lighting", "working")
        assert iso_1(konoha)["features"]["lighting"] == "working"
        his = about(board(konoha), naruto)
        assert "dark_cell" not in his
        assert "observation_overdue" in his

        # He speaks with Naruto inside the cell: a welfare check, meaningful contact.
        check = ok(
            post(
                captain,
                "/api/custody/checks",
                {
                    "booking": naruto,
                    "status": "concern",
                    "welfare_contact": True,
                    "note": "Spoke with him: thin, chained, three months in the dark.",
                },
            ),
            201,
        )
        assert (check["checked_by"], check["welfare_contact"], check["cell_code"]) == (
            "anbu_captain", True, "ISO-1",
        )  # fmt: skip
        his = about(board(konoha), naruto)
        assert "observation_overdue" not in his
        # Someone came in and spoke with him: today is no day of solitary, and the run ends.
        assert "child_in_solitary" not in his
        assert "prolonged_solitary" not in his
        # What one visitor cannot mend stays on the board for those who must act.
        assert {
            "juvenile_in_adult_facility", "restraint_checks_overdue", "restraint_over_limit",
            "exercise_missed", "no_visits",
        } <= set(his), sorted(his)  # fmt: skip

        # The report keeps the dark cell as an episode that has now ended.
        dark = only_episode(report(konoha)["dark_cell"], naruto)
        assert dark["cleared_at"] is not None
        assert dark["minutes"] == NEVER_CHECKED

        # Every step is in the audit trail with the person who took it.
        def actors(action: str) -> list[tuple[str, str]]:
            return [
                (event["actor"], event["outcome"]) for event in audit_events(konoha, action=action)
            ]

        assert actors("booking.open") == [("iruka", "success")]
        assert actors("booking.in_custody") == [("iruka", "success")]
        # The desk's booking flagged him a juvenile from his date of birth; Ibiki, dangerous.
        flags = [(e["actor"], e["changes"]["kind"]) for e in audit_events(konoha, action="flag.")]
        assert flags == [("ibiki", "dangerous"), ("iruka", "juvenile")], flags
        [placed] = audit_events(konoha, action="housing.assign")
        assert placed["actor"] == "tsunade"
        assert placed["changes"]["cell"] == "ISO-1"
        assert placed["changes"]["override"].startswith("No juvenile unit")
        # The rules she set aside: a child in an adult unit, and solitary nobody authorised.
        assert placed["changes"]["rules"] == [
            "juvenile_in_adult_unit", "restrictive_housing_unauthorised",
        ]  # fmt: skip
        assert actors("restraint.apply") == [("hiroki", "success")]
        # Newest first: the forced entry, then the refusal.
        assert actors("door.open") == [("hiroki", "success"), ("hiroki", "denied")]
        [forced_event] = audit_events(konoha, action="door.open", outcome="success")
        assert forced_event["changes"]["outcome"] == "forced"
        assert forced_event["changes"]["refused"].keys() == {"anbu_captain"}
        assert ("hiroki", "success") in actors("incident.report")
        assert actors("cell.feature_set")[0] == ("anbu_captain", "success")
        assert actors("rounds.check") == [("anbu_captain", "success")]
        assert {actor for actor, _ in actors("compliance.sweep")} == {"shizune"}

        audit_chain_verifies(konoha)
