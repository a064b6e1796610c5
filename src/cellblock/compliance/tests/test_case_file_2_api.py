"""Case file 2, "The last cell", through the compliance API at the level of the records.

Naruto, ten, was booked ninety days ago into the lower level's isolation cell
(no lighting, restrictive housing), chained, and forgotten: no checks, no
rounds, no movements.  Every listed breach must show with its figure and who
must act; then the ANBU captain forces his way in (the commander is alerted),
fits a light (the dark cell clears) and speaks with him (observation clears,
and today is no longer a day of solitary).
"""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.compliance import rules
from cellblock.compliance.models import AlertEpisode
from cellblock.core import clock as clock_module
from cellblock.core.roles import Role
from cellblock.custody.tests.conftest import NOW
from cellblock.facilities.models import FeatureStatus
from cellblock.facilities.services import cell_feature_set
from cellblock.incidents.models import Incident, IncidentKind, IncidentOrigin

from .support import seen

pytestmark = pytest.mark.django_db

# What case file 2 lists, with the figure each alert must carry.
BREACHES = {
    rules.JUVENILE_IN_ADULT_FACILITY: (90 * 24, "h"),
    rules.CHILD_IN_SOLITARY: (89, "days"),
    rules.PROLONGED_SOLITARY: (89, "days"),
    rules.DARK_CELL: (90, "days"),
    rules.RESTRAINT_CHECKS_OVERDUE: (90 * 24 * 60, "min"),
    rules.RESTRAINT_OVER_LIMIT: (90 * 24 * 60, "min"),
    rules.OBSERVATION_OVERDUE: (90 * 24 * 60, "min"),
    rules.EXERCISE_MISSED: (89, "days"),
    rules.NO_VISITS: (90, "days"),
}


def alerts_of(client, booking=None, facility=None) -> dict[str, dict]:
    query = {"booking": booking.booking_number} if booking else {"facility": facility.public_id}
    response = client.get("/api/compliance/alerts", query)
    assert response.status_code == 200, response.content
    return {alert["subject"]: alert for alert in response.json()}


def by_rule(found: dict[str, dict]) -> dict[str, dict]:
    return {alert["rule"]: alert for alert in found.values()}


def test_every_listed_breach_shows_with_its_figure_and_who_must_act(
    naruto, site, commander, supervisor, medic, client_for, clock
):
    found = by_rule(alerts_of(client_for(commander), booking=naruto))
    for code, (number, unit) in BREACHES.items():
        assert found[code]["severity"] == rules.BREACH, code
        assert (found[code]["number"], found[code]["unit"]) == (number, unit), code
    # The isolation cell breaks housing rules too (a child among adults, no authorisation).
    assert found[rules.HOUSING_RULE]["severity"] == rules.BREACH
    # Each alert names who must act.
    who = {
        code: {r["role"]: r["names"] for r in alert["responsible"]} for code, alert in found.items()
    }
    assert who[rules.JUVENILE_IN_ADULT_FACILITY] == {Role.COMMANDER: ["Cara Commander"]}
    assert who[rules.DARK_CELL] == {
        Role.SUPERVISOR: ["Sam Supervisor"], Role.COMMANDER: ["Cara Commander"]
    }  # fmt: skip
    assert who[rules.RESTRAINT_OVER_LIMIT] == {
        Role.SUPERVISOR: ["Sam Supervisor"], Role.MEDICAL: ["Mo Medic"]
    }  # fmt: skip
    assert found[rules.PROLONGED_SOLITARY]["source"] == "Mandela Rules 43-44"
    assert found[rules.NO_VISITS]["message"].endswith("With 89 days of solitary, this is a breach.")
    assert found[rules.DARK_CELL]["place"] == "ISO / ISO-1"
    assert found[rules.OBSERVATION_OVERDUE]["figure"] == "129,600 min (90 days)"


def test_the_forced_entry_the_light_and_the_welfare_check_change_the_board(
    naruto, site, isolation, commander, staff_factory, client_for, clock
):
    captain = staff_factory("anbu_captain", Role.OFFICER)
    client = client_for(commander)
    # The captain goes in without a grant: an incident opens by itself.
    Incident.objects.create(
        facility=site.facility, number="TST-INC-2026-0001", kind=IncidentKind.FORCED_ENTRY,
        origin=IncidentOrigin.AUTOMATIC, occurred_at=NOW, reported_at=NOW, cell=isolation,
        narrative="Entered the lower level without a grant over the escort's protest.",
    )  # fmt: skip
    clock.shift(dt.timedelta(minutes=5))
    forced = by_rule(alerts_of(client, facility=site.facility))[rules.FORCED_ENTRY]
    assert forced["subject"] == "forced_entry:TST-INC-2026-0001"
    assert forced["responsible"] == [
        {"role": Role.COMMANDER, "label": "Commander", "names": ["Cara Commander"]}
    ]

    # He fits a light: the cell's lighting works and the dark cell clears.
    cell_feature_set(actor=captain, cell=isolation, tag="lighting", status=FeatureStatus.WORKING)
    found = by_rule(alerts_of(client, booking=naruto))
    assert rules.DARK_CELL not in found
    assert rules.OBSERVATION_OVERDUE in found

    # He talks with Naruto: a welfare check, meaningful contact.
    seen(naruto, clock_module.now(), captain, welfare=True)
    found = by_rule(alerts_of(client, booking=naruto))
    assert rules.OBSERVATION_OVERDUE not in found
    assert rules.CHILD_IN_SOLITARY not in found
    assert rules.PROLONGED_SOLITARY not in found
    # Ninety days without a visit remain, now a warning: today is not a day of solitary.
    assert found[rules.NO_VISITS]["severity"] == rules.WARNING
    # What no welfare check can undo stays on the board.
    for code in (
        rules.JUVENILE_IN_ADULT_FACILITY, rules.RESTRAINT_CHECKS_OVERDUE,
        rules.RESTRAINT_OVER_LIMIT, rules.EXERCISE_MISSED,
    ):  # fmt: skip
        assert found[code]["severity"] == rules.BREACH


def test_the_sweep_remembers_each_breach_and_when_it_cleared_for_the_report(
    naruto, site, isolation, commander, supervisor, client_for, clock
):
    client = client_for(supervisor)
    first = client.post(
        "/api/compliance/sweep", {"facility": str(site.facility.public_id)},
        content_type="application/json",
    )  # fmt: skip
    assert first.status_code == 200, first.content
    assert first.json()["opened"] >= len(BREACHES)
    assert f"dark_cell:{naruto.booking_number}" in first.json()["opened_subjects"]

    # Within the half hour a session stays open (CJIS idle lock).
    clock.shift(dt.timedelta(minutes=20))
    cell_feature_set(actor=supervisor, cell=isolation, tag="lighting", status=FeatureStatus.WORKING)
    seen(naruto, clock_module.now(), supervisor, welfare=True)
    second = client.post(
        "/api/compliance/sweep", {"facility": str(site.facility.public_id)},
        content_type="application/json",
    ).json()  # fmt: skip
    assert second["opened"] == 0
    assert set(second["cleared_subjects"]) >= {
        f"dark_cell:{naruto.booking_number}",
        f"observation_overdue:{naruto.booking_number}",
        f"child_in_solitary:{naruto.booking_number}",
        f"prolonged_solitary:{naruto.booking_number}",
    }
    dark = AlertEpisode.objects.get(subject=f"dark_cell:{naruto.booking_number}")
    assert dark.cleared_at == NOW + dt.timedelta(minutes=20)
    assert dark.since == NOW - dt.timedelta(days=90)

    report = client.get(
        "/api/compliance/report", {"facility": site.facility.public_id, "from": "2026-03-14"}
    )
    assert report.status_code == 200, report.content
    body = report.json()
    assert (body["from"], body["to"]) == ("2026-03-14", "2026-03-14")
    rows = {row["rule"]: row for row in body["rules"]}
    assert rows[rules.DARK_CELL]["episodes"] == 1
    assert rows[rules.DARK_CELL]["still_open"] == 0
    # The cell was dark all day until the light came at 12:20.
    assert rows[rules.DARK_CELL]["minutes_in_range"] == 12 * 60 + 20
    assert rows[rules.DARK_CELL]["longest_minutes"] == 90 * 24 * 60 + 20
    assert rows[rules.JUVENILE_IN_ADULT_FACILITY]["still_open"] == 1
