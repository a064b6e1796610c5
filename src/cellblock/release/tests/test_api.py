"""The release API (/api/releases): the checklist, every outcome, who may do what, the board."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.custody.selectors.counts import live_count
from cellblock.custody.services.counts import count_start
from cellblock.housing.board import facility_board

from .conftest import DISCHARGE_TEXT, NOW, TODAY, dated, gear, sentenced, warrant

pytestmark = pytest.mark.django_db

API = "/api/releases"


def _post(client, path, payload=None):
    return client.post(f"{API}{path}", payload or {}, content_type="application/json")


def _start(client, booking, kind, **fields):
    return _post(client, "", {"booking": booking.booking_number, "kind": kind, **fields})


def _steps(body):
    return {step["code"]: step for step in body["steps"]}


def _work_checklist(release_id, *, desk, medic):
    """Property, money, the discharge note and visits, each by whoever does it."""
    assert _post(desk, f"/{release_id}/steps/property", {"signed": True}).status_code == 200
    assert _post(desk, f"/{release_id}/steps/money", {"amount": "120.00"}).status_code == 200
    discharge = _post(medic, f"/{release_id}/steps/medical-discharge", {"text": DISCHARGE_TEXT})
    assert discharge.status_code == 200, discharge.json()
    visits = _post(desk, f"/{release_id}/steps/visits")
    assert visits.status_code == 200
    return visits.json()


# --- The checklist refusal names the steps -------------------------------------------------


def test_completing_with_unchecked_steps_answers_409_naming_each_step(
    kakashi, supervisor, officer, client_for
):
    gear(kakashi)
    started = _start(client_for(supervisor), kakashi, "bail", authority="Bond receipt 88")
    assert started.status_code == 201, started.json()
    release_id = started.json()["id"]
    _post(client_for(officer), f"/{release_id}/steps/property", {"signed": True})

    refused = _post(client_for(supervisor), f"/{release_id}/complete")

    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "release_checklist_incomplete"
    assert body["message"] == (
        "The release checklist is not complete: Money returned; Medical discharge note; "
        "Upcoming visits cancelled."
    )
    assert body["extra"] == {
        "steps": ["money_returned", "medical_discharge", "visits_cancelled"], "blockers": [],
    }  # fmt: skip
    booking = client_for(supervisor).get(f"/api/bookings/{kakashi.booking_number}").json()
    assert booking["status"] == "in_custody"


def test_a_warrant_is_named_in_the_refusal(kakashi, supervisor, officer, medic, client_for):
    gear(kakashi)
    sentenced(kakashi, release_on=TODAY)
    warrant(kakashi)
    release_id = _start(client_for(supervisor), kakashi, "time_served").json()["id"]
    shown = _work_checklist(release_id, desk=client_for(officer), medic=client_for(medic))

    refused = _post(client_for(supervisor), f"/{release_id}/complete")

    assert _steps(shown)["holds_clear"] == {
        "code": "holds_clear", "label": "No open holds, warrants or other cases",
        "required": True, "done": False, "completed_at": None, "completed_by": None, "note": "",
        "blockers": ["Warrant W-4471 from Sand Village Court"], "amount": None,
    }  # fmt: skip
    assert refused.status_code == 409
    assert refused.json()["extra"] == {
        "steps": ["holds_clear"],
        "blockers": ["Warrant W-4471 from Sand Village Court"],
    }
    assert "Warrant W-4471 from Sand Village Court" in refused.json()["message"]


# --- Case file 1, step 8: released to an assignment ----------------------------------------


def test_the_commander_releases_him_to_an_assignment_and_count_and_housing_follow(
    site, kakashi, commander, officer, medic, client_for
):
    gear(kakashi)
    hokage = client_for(commander)
    started = _start(
        hokage, kakashi, "assignment", assignment_rank="Beyond S-rank",
        conditions="Reports to the Hokage", reason="A mission beyond S-rank",
    )  # fmt: skip
    assert started.status_code == 201, started.json()
    body = started.json()
    assert (body["status"], body["temporary"], body["authorised_by"]) == (
        "preparing", False, "cara_commander",
    )  # fmt: skip
    _work_checklist(body["id"], desk=client_for(officer), medic=client_for(medic))

    done = _post(hokage, f"/{body['id']}/complete")

    assert done.status_code == 200, done.json()
    assert (done.json()["status"], done.json()["completed_by"]) == ("completed", "cara_commander")
    booking = hokage.get(f"/api/bookings/{kakashi.booking_number}").json()
    assert (booking["status"], booking["release_type"], booking["housing"]) == (
        "released", "assignment", None,
    )  # fmt: skip
    assert live_count(site.facility).held == 0
    assert facility_board(site.facility).total("occupied") == 0


def test_only_the_commander_starts_an_assignment(kakashi, supervisor, client_for):
    refused = _start(client_for(supervisor), kakashi, "assignment", assignment_rank="S")

    assert refused.status_code == 403
    assert refused.json()["code"] == "missing_role"


# --- The discharge note stays with medical --------------------------------------------------


def test_custody_sees_that_the_discharge_note_was_written_never_what_it_says(
    kakashi, supervisor, commander, officer, medic, client_for
):
    release_id = _start(client_for(supervisor), kakashi, "bail").json()["id"]
    written = _post(
        client_for(medic), f"/{release_id}/steps/medical-discharge",
        {"text": DISCHARGE_TEXT, "medication": "Eye drops", "follow_up": "Clinic in a week"},
    )  # fmt: skip
    assert written.status_code == 200

    for reader in (officer, supervisor, commander, medic):
        response = client_for(reader).get(f"{API}/{release_id}")
        assert response.status_code == 200
        step = _steps(response.json())["medical_discharge"]
        assert (step["done"], step["completed_by"], step["note"]) == (
            True, "mo_medic", "Discharge note by mo_medic",
        )  # fmt: skip
        assert step["completed_at"] == "2026-03-14T12:00:00Z"
        for clinical in ("Chakra", "Eye drops", "Clinic"):
            assert clinical not in response.content.decode()


def test_custody_staff_cannot_write_the_discharge_note(kakashi, supervisor, officer, client_for):
    release_id = _start(client_for(supervisor), kakashi, "bail").json()["id"]

    refused = _post(client_for(officer), f"/{release_id}/steps/medical-discharge", {"text": "Ok"})

    assert refused.status_code == 403


# --- Early release and the override ---------------------------------------------------------


def test_an_early_release_is_refused_then_overridden_by_the_commander_alone(
    kakashi, supervisor, commander, officer, medic, client_for
):
    gear(kakashi)
    sentenced(kakashi, release_on=TODAY + dt.timedelta(days=3))
    release_id = _start(client_for(commander), kakashi, "time_served").json()["id"]
    _work_checklist(release_id, desk=client_for(officer), medic=client_for(medic))

    early = _post(client_for(supervisor), f"/{release_id}/complete")
    assert early.status_code == 409
    assert early.json()["code"] == "early_release"
    assert early.json()["extra"] == {"release_on": "2026-03-17", "days_early": 3}
    assert "Only the commander may release early, with a reason." in early.json()["message"]

    for staff in (supervisor, officer):
        refused = _post(client_for(staff), f"/{release_id}/complete", {"override_reason": "Why"})
        assert refused.status_code == 403
    assert refused.json()["code"] == "missing_role"  # an officer may not release at all
    by_supervisor = _post(
        client_for(supervisor), f"/{release_id}/complete", {"override_reason": "Why"}
    )
    assert by_supervisor.json()["code"] == "override_not_allowed"

    overridden = _post(
        client_for(commander), f"/{release_id}/complete",
        {"override_reason": "Needed for the defence of the village"},
    )  # fmt: skip

    assert overridden.status_code == 200, overridden.json()
    assert (overridden.json()["early_override_by"], overridden.json()["release_on"]) == (
        "cara_commander", "2026-03-17",
    )  # fmt: skip


# --- Temporary absences, transfers, escapes ---------------------------------------------------


def test_a_furlough_goes_out_and_comes_back(
    site, clock, kakashi, supervisor, officer, medic, client_for
):
    due_back = NOW + dt.timedelta(days=1)
    started = _start(
        client_for(supervisor), kakashi, "furlough", expected_return_at=due_back.isoformat(),
        reason="Family visit",
    )  # fmt: skip
    release_id = started.json()["id"]
    assert [s["code"] for s in started.json()["steps"] if s["required"]] == [
        "holds_clear", "medical_discharge", "visits_cancelled",
    ]  # fmt: skip
    _post(client_for(medic), f"/{release_id}/steps/medical-discharge", {"text": "None needed"})
    _post(client_for(officer), f"/{release_id}/steps/visits")

    away = _post(client_for(supervisor), f"/{release_id}/complete")
    assert (away.json()["status"], away.json()["movement"] is not None) == ("away", True)
    assert live_count(site.facility).out_of_facility == 1

    clock.move_to(NOW + dt.timedelta(hours=20))
    back = _post(client_for(officer), f"/{release_id}/return")

    assert back.status_code == 200
    assert (back.json()["status"], back.json()["returned_at"]) == (
        "returned", "2026-03-15T08:00:00Z",
    )  # fmt: skip
    assert live_count(site.facility).in_cell == 1


def test_a_transfer_answers_the_receiving_booking(
    kakashi, other_site, supervisor, officer, medic, client_for
):
    gear(kakashi)
    started = _start(
        client_for(supervisor), kakashi, "transfer", to_facility=str(other_site.facility.public_id)
    )
    assert started.json()["to_facility"]["code"] == "OTH"
    release_id = started.json()["id"]
    _work_checklist(release_id, desk=client_for(officer), medic=client_for(medic))

    done = _post(client_for(supervisor), f"/{release_id}/complete")

    assert done.status_code == 200, done.json()
    assert done.json()["new_booking"].startswith("OTH-2026-")


def test_an_unknown_receiving_facility_names_the_field(kakashi, supervisor, client_for):
    refused = _start(
        client_for(supervisor), kakashi, "transfer",
        to_facility="00000000-0000-4000-8000-000000000000",
    )  # fmt: skip

    assert refused.status_code == 400
    assert list(refused.json()["extra"]["fields"]) == ["to_facility"]


def test_an_escape_is_recorded_at_once(site, kakashi, supervisor, client_for):
    escaped = _start(client_for(supervisor), kakashi, "escape", reason="Cell found empty")

    assert escaped.status_code == 201
    assert escaped.json()["status"] == "completed"
    assert live_count(site.facility).held == 0


def test_a_release_during_a_count_waits_unless_it_is_an_emergency(
    site, kakashi, supervisor, officer, medic, client_for
):
    gear(kakashi)
    release_id = _start(client_for(supervisor), kakashi, "bail").json()["id"]
    _work_checklist(release_id, desk=client_for(officer), medic=client_for(medic))
    count_start(actor=supervisor, facility=site.facility, method="head")

    waiting = _post(client_for(supervisor), f"/{release_id}/complete")
    released = _post(
        client_for(supervisor), f"/{release_id}/complete",
        {"emergency_reason": "Court order: release before the count clears"},
    )  # fmt: skip

    assert (waiting.status_code, waiting.json()["code"]) == (409, "count_in_progress")
    assert released.status_code == 200


def test_a_cancelled_release_can_be_started_again(kakashi, supervisor, client_for):
    desk = client_for(supervisor)
    first = _start(desk, kakashi, "bail").json()["id"]
    assert _start(desk, kakashi, "acquittal").json()["code"] == "release_in_progress"

    cancelled = _post(desk, f"/{first}/cancel", {"reason": "Bond withdrawn"})
    again = _start(desk, kakashi, "acquittal")

    assert cancelled.json()["status"] == "cancelled"
    assert again.status_code == 201
    listed = desk.get(API, {"booking": kakashi.booking_number}).json()
    assert [(r["kind"], r["status"]) for r in listed] == [
        ("acquittal", "preparing"), ("bail", "cancelled"),
    ]  # fmt: skip


# --- Who sees what ------------------------------------------------------------------------------


def test_an_outsider_sees_no_release_and_cannot_start_one(
    kakashi, supervisor, outsider, client_for
):
    release_id = _start(client_for(supervisor), kakashi, "bail").json()["id"]

    assert client_for(outsider).get(f"{API}/{release_id}").status_code == 404
    assert _start(client_for(outsider), kakashi, "bail").status_code == 404
    assert _post(client_for(outsider), f"/{release_id}/complete").status_code == 404


def test_nobody_signed_in_gets_401(kakashi, client):
    assert client.get(f"{API}/board").status_code == 401


# --- The board ----------------------------------------------------------------------------------


def test_the_board_shows_the_overdue_alert_after_time_travel(
    site, clock, kakashi, client_for, commander
):
    dated(kakashi, TODAY + dt.timedelta(days=1))
    url = f"{API}/board?facility={site.facility.public_id}"
    before = client_for(commander).get(url).json()
    assert [(r["booking_number"], r["days"]) for r in before["due_soon"]] == [
        (kakashi.booking_number, 1)
    ]

    clock.move_to(NOW + dt.timedelta(days=4))
    after = client_for(commander).get(url)

    assert after.status_code == 200
    body = after.json()
    assert [(r["name"], r["days"], r["cell"]) for r in body["overdue"]] == [
        ("Kakashi Hatake", -3, "A1-1")
    ]
    assert (body["today"], body["due_soon"], body["due_today"]) == ("2026-03-18", [], [])


def test_the_board_shows_an_early_release_in_preparation(
    site, clock, kakashi, supervisor, officer, client_for
):
    dated(kakashi, TODAY + dt.timedelta(days=10))
    release_id = _start(client_for(supervisor), kakashi, "time_served").json()["id"]

    body = client_for(officer).get(f"{API}/board").json()

    assert [(r["release"], r["release_kind"], r["days"]) for r in body["early"]] == [
        (release_id, "time_served", 10)
    ]
