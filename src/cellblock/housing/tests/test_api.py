"""The housing API: moves and requests, verdicts, recommendations, proposals; case file 1 step 6."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open
from cellblock.classification.models import FlagKind
from cellblock.classification.services import flag_set
from cellblock.conftest import build_facility, make_staff, screen_clear
from cellblock.core.roles import Role
from cellblock.facilities.services import cell_create, unit_create
from cellblock.housing.models import BedAssignment, HousingProposal, MoveRequest
from cellblock.housing.services import bed_assign
from cellblock.medical.screening import CLEAR_ANSWERS
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 9, 0, tzinfo=dt.UTC)
API = "/api/housing"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _post(client, path, payload=None):
    return client.post(path, payload or {}, content_type="application/json")


def _book(site, given="Kakashi", family="Hatake"):
    """A booking screened clear at intake: the screening comes before a bed."""
    person = person_create(actor=None, facility=None, given_name=given, family_name=family)
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    return screen_clear(booking)


def _bed(site, cell=0, code="B1"):
    return site.cells[cell].beds.get(code=code)


def _bed_now(booking):
    return BedAssignment.objects.get(booking=booking, ended_at__isnull=True).bed


@pytest.fixture
def housed(site, supervisor):
    booking = _book(site)
    bed_assign(actor=supervisor, booking=booking, bed=_bed(site))
    return booking


def _move(client, booking, bed, **more):
    payload = {"booking": booking.booking_number, "to_bed": str(bed.public_id), "reason": "noise"}
    return _post(client, f"{API}/moves", {**payload, **more})


# --- Moves ------------------------------------------------------------------------------


def test_a_supervisor_moves_someone_through_the_api(site, supervisor, housed, client_for):
    response = _move(
        client_for(supervisor), housed, _bed(site, 1), from_bed=str(_bed(site).public_id)
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "moved"
    assert body["request"] is None
    assert body["assignment"]["bed"]["label"] == "Unit A1 / A1-2 B1"
    assert body["assignment"]["assigned_by"] == supervisor.username
    assert _bed_now(housed) == _bed(site, 1)


def test_a_move_from_a_bed_they_left_meanwhile_is_a_conflict(
    site, supervisor, commander, housed, client_for
):
    seen = _bed(site)
    bed_assign(actor=commander, booking=housed, bed=_bed(site, 0, "B2"))
    response = _move(client_for(supervisor), housed, _bed(site, 1), from_bed=str(seen.public_id))
    assert response.status_code == 409
    assert response.json()["code"] == "moved_meanwhile"


def test_a_move_the_rule_book_forbids_is_a_409_with_its_violations(
    site, supervisor, commander, housed, client_for
):
    flag_set(
        actor=commander, booking=housed, kind=FlagKind.CONTAINMENT, detail="chakra-suppression",
        reason="elite shinobi",
    )  # fmt: skip
    response = _move(client_for(supervisor), housed, _bed(site, 1))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "housing_rule"
    assert [v["code"] for v in body["extra"]["violations"] if v["hard"]] == ["containment_missing"]
    # The commander may override it, with a reason.
    overridden = _move(
        client_for(commander), housed, _bed(site, 1), override_reason="only cell left"
    )
    assert overridden.status_code == 201, overridden.content
    assert overridden.json()["assignment"]["overridden_rules"] == ["containment_missing"]


def test_an_officer_asks_and_a_supervisor_approves(site, officer, supervisor, housed, client_for):
    asked = _move(client_for(officer), housed, _bed(site, 1))
    assert asked.status_code == 201, asked.content
    body = asked.json()
    assert body["status"] == "pending"
    request = body["request"]
    assert (request["status"], request["requested_by"]) == ("pending", officer.username)
    assert request["from_bed"]["label"] == "Unit A1 / A1-1 B1"
    assert _bed_now(housed) == _bed(site)

    queue = client_for(supervisor).get(f"{API}/moves", {"status": "pending"})
    assert [r["id"] for r in queue.json()] == [request["id"]]

    decided = _post(
        client_for(supervisor), f"{API}/moves/{request['id']}/decide", {"approve": True}
    )
    assert decided.status_code == 200, decided.content
    assert (decided.json()["status"], decided.json()["decided_by"]) == (
        "approved", supervisor.username,
    )  # fmt: skip
    assert _bed_now(housed) == _bed(site, 1)
    assert client_for(supervisor).get(f"{API}/moves", {"status": "pending"}).json() == []


def test_an_officer_cannot_decide_and_a_clerk_cannot_ask(
    site, officer, booking_clerk, housed, client_for
):
    request = _move(client_for(officer), housed, _bed(site, 1)).json()["request"]
    refused = _post(client_for(officer), f"{API}/moves/{request['id']}/decide", {"approve": True})
    assert refused.status_code == 403
    assert _move(client_for(booking_clerk), housed, _bed(site, 1)).status_code == 403


def test_an_officer_withdraws_a_request(site, officer, housed, client_for):
    request = _move(client_for(officer), housed, _bed(site, 1)).json()["request"]
    response = _post(client_for(officer), f"{API}/moves/{request['id']}/withdraw")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    again = _post(client_for(officer), f"{API}/moves/{request['id']}/withdraw")
    assert (again.status_code, again.json()["code"]) == (409, "not_pending")


def test_people_beds_and_requests_elsewhere_are_not_found(
    site, officer, outsider, other_site, housed, client_for
):
    request = _move(client_for(officer), housed, _bed(site, 1)).json()["request"]
    stranger = client_for(outsider)
    assert _move(stranger, housed, _bed(site, 1)).status_code == 404
    decided = _post(stranger, f"{API}/moves/{request['id']}/decide", {"approve": True})
    assert decided.status_code == 404
    assert stranger.get(f"{API}/moves").json() == []
    verdict = {"booking": housed.booking_number, "bed": str(_bed(site, 1).public_id)}
    assert stranger.get(f"{API}/verdict", verdict).status_code == 404
    # A bed of another facility is not found either.
    foreign = other_site.cells[0].beds.first()
    assert _move(client_for(officer), housed, foreign).status_code == 404
    assert MoveRequest.objects.count() == 1


# --- Verdict and recommendations --------------------------------------------------------


def test_the_verdict_names_every_rule_and_the_price(site, supervisor, officer, housed, client_for):
    guest = _book(site, "Might", "Guy")
    response = client_for(officer).get(
        f"{API}/verdict",
        {"booking": guest.booking_number, "bed": str(_bed(site, 0, "B2").public_id)},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["lawful"], body["cost"]) == (True, 10)
    assert [v["code"] for v in body["violations"]] == ["crowding"]
    taken = (
        client_for(officer)
        .get(f"{API}/verdict", {"booking": guest.booking_number, "bed": str(_bed(site).public_id)})
        .json()
    )
    assert taken["lawful"] is False
    assert "bed_occupied" in [v["code"] for v in taken["violations"]]


def test_recommendations_list_the_cheapest_lawful_beds_with_reasons(
    site, officer, housed, client_for
):
    guest = _book(site, "Might", "Guy")
    response = client_for(officer).get(f"{API}/recommendations", {"booking": guest.booking_number})
    assert response.status_code == 200, response.content
    found = response.json()
    assert [(r["bed"]["cell"], r["bed"]["bed"], r["cost"]) for r in found] == [
        ("A1-2", "B1", 0), ("A1-2", "B2", 0), ("A1-1", "B2", 10),
    ]  # fmt: skip
    assert "An empty cell." in found[0]["reasons"]


# --- Proposals --------------------------------------------------------------------------


@pytest.fixture
def wing(site):
    """A second unit, so closing A1 leaves somewhere to go."""
    unit = unit_create(actor=None, zone=site.zone, code="B1", name="Unit B1")
    return [cell_create(actor=None, unit=unit, code=f"B1-{n}", beds=2) for n in (1, 2)]


def test_a_closure_proposal_is_reviewed_and_applied(
    site, wing, supervisor, commander, housed, client_for
):
    created = _post(client_for(supervisor), f"{API}/proposals", {
        "facility": str(site.facility.public_id), "mode": "closure",
        "closing": [str(site.unit.public_id)], "time_limit": 5,
    })  # fmt: skip
    assert created.status_code == 201, created.content
    proposal = created.json()
    assert (proposal["mode"], proposal["status"]) == ("closure", "proposed")
    assert proposal["lower_bound"] <= proposal["objective"]
    [move] = proposal["moves"]
    assert move["booking_number"] == housed.booking_number
    assert move["from_bed"]["unit"] == "A1"
    assert move["to_bed"]["unit"] == "B1"
    assert _bed_now(housed) == _bed(site)

    shown = client_for(supervisor).get(f"{API}/proposals/{proposal['id']}")
    assert shown.json()["moves"] == proposal["moves"]

    applied = _post(client_for(commander), f"{API}/proposals/{proposal['id']}/apply")
    assert applied.status_code == 200, applied.content
    assert applied.json()["status"] == "applied"
    assert applied.json()["moves"][0]["outcome"] == "moved"
    assert _bed_now(housed).cell.unit.code == "B1"
    assert AuditEvent.objects.get(action="housing.proposal_applied").actor == commander
    again = _post(client_for(commander), f"{API}/proposals/{proposal['id']}/apply")
    assert (again.status_code, again.json()["code"]) == (409, "proposal_decided")


def test_a_proposal_is_discarded_with_a_reason(site, supervisor, officer, housed, client_for):
    proposal = _post(client_for(supervisor), f"{API}/proposals", {
        "facility": str(site.facility.public_id), "mode": "daily", "time_limit": 5,
    }).json()  # fmt: skip
    assert _post(client_for(officer), f"{API}/proposals/{proposal['id']}/apply").status_code == 403
    discarded = _post(
        client_for(supervisor), f"{API}/proposals/{proposal['id']}/discard",
        {"reason": "ran before the count"},
    )  # fmt: skip
    assert discarded.status_code == 200, discarded.content
    assert discarded.json()["status"] == "discarded"
    assert AuditEvent.objects.get(action="housing.proposal_discarded").reason == (
        "ran before the count"
    )


def test_closing_a_unit_of_another_facility_is_refused(site, other_site, supervisor, client_for):
    response = _post(client_for(supervisor), f"{API}/proposals", {
        "facility": str(site.facility.public_id), "mode": "closure",
        "closing": [str(other_site.unit.public_id)],
    })  # fmt: skip
    assert response.status_code == 400
    assert not HousingProposal.objects.exists()


def test_an_officer_cannot_run_the_engine(site, officer, client_for):
    response = _post(client_for(officer), f"{API}/proposals", {
        "facility": str(site.facility.public_id), "mode": "daily",
    })  # fmt: skip
    assert response.status_code == 403


# --- Case file 1, step 6 ----------------------------------------------------------------


@pytest.fixture
def konoha(db):
    prison = build_facility("KNH", "Konoha Prison")
    main = prison.unit
    main.name = "Main cell block"
    main.save(update_fields=["name"])
    prison.cells += [
        cell_create(actor=None, unit=main, code=code, beds=1, features=["chakra-suppression"])
        for code in ("C-03", "C-07")
    ]
    return prison


def test_case_file_1_step_6_kakashi_moves_out_of_the_cell_whose_bars_he_dented(konoha, client_for):
    tsunade = make_staff("tsunade", konoha.facility, Role.COMMANDER)
    # Shizune is the supervisor on duty and a medic (SCENARIOS.md).
    shizune = make_staff("shizune", konoha.facility, Role.SUPERVISOR, Role.MEDICAL)
    hokage, supervisor = client_for(tsunade), client_for(shizune)
    booked = _post(hokage, "/api/bookings/", {
        "facility": str(konoha.facility.public_id), "source": "court_remand",
        "legal_status": "sentenced",
        "person": {"given_name": "Kakashi", "family_name": "Hatake",
                   "date_of_birth": "1995-09-15", "sex": "male"},
        "charges": [{"statute": "KNH-PC 3-12", "description": "Offence against a minor",
                     "severity": "felony"}],
    })  # fmt: skip
    assert booked.status_code == 201, booked.content
    number = booked.json()["booking_number"]
    flagged = _post(hokage, f"/api/classification/bookings/{number}/flags", {
        "kind": "containment", "detail": "chakra-suppression",
        "reason": "Elite shinobi: chakra must be suppressed.",
    })  # fmt: skip
    assert flagged.status_code == 201
    # Shizune screens him at intake: fit for a bed.
    screened = _post(
        supervisor, f"/api/medical/bookings/{number}/screenings", {"answers": CLEAR_ANSWERS}
    )
    assert screened.status_code == 201, screened.content
    c03, c07 = konoha.cells[2], konoha.cells[3]
    first = _post(supervisor, f"{API}/moves", {
        "booking": number, "to_bed": str(c07.beds.get().public_id), "from_bed": None,
        "reason": "Remanded by the verdict",
    })  # fmt: skip
    assert (first.status_code, first.json()["status"]) == (201, "moved"), first.content
    alerts_url = "/api/classification/housing-alerts"
    facility = {"facility": str(konoha.facility.public_id)}
    assert supervisor.get(alerts_url, facility).json() == []

    # He dents a bar: the chakra-suppression of C-07 is compromised.
    dented = client_for(tsunade).put(
        f"/api/facilities/cells/{c07.public_id}/features",
        {"tag": "chakra-suppression", "status": "compromised", "note": "bar dented"},
        content_type="application/json",
    )
    assert dented.status_code == 200, dented.content
    [alert] = supervisor.get(alerts_url, facility).json()
    assert (alert["booking_number"], alert["code"]) == (number, "containment_missing")

    # Only the other chakra-suppression cell is offered.
    offered = supervisor.get(f"{API}/recommendations", {"booking": number}).json()
    assert [(r["bed"]["cell"], r["bed"]["bed"]) for r in offered] == [("C-03", "B1")]
    assert "Working chakra-suppression, as the containment need asks." in offered[0]["reasons"]

    moved = _post(supervisor, f"{API}/moves", {
        "booking": number, "to_bed": offered[0]["bed"]["id"],
        "from_bed": str(c07.beds.get().public_id), "reason": "C-07 bars dented",
    })  # fmt: skip
    assert (moved.status_code, moved.json()["status"]) == (201, "moved"), moved.content
    assert moved.json()["assignment"]["bed"]["label"] == "Main cell block / C-03 B1"
    assert supervisor.get(alerts_url, facility).json() == []

    trail = [
        (e.action, e.actor_username)
        for e in AuditEvent.objects.filter(
            action__in=["cell.feature_set", "housing.alert", "housing.assign",
                        "housing.alert_cleared"],
        ).order_by("seq")
    ]  # fmt: skip
    assert trail == [
        ("housing.assign", "shizune"),
        ("cell.feature_set", "tsunade"),
        ("housing.alert", "tsunade"),
        ("housing.alert_cleared", "shizune"),
        ("housing.assign", "shizune"),
    ]
    assert c03.beds.get() == BedAssignment.objects.get(ended_at__isnull=True).bed
