"""The incidents API: report with damage, list and filter, follow up, move along, review."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.booking.services import booking_open
from cellblock.facilities import services as fs
from cellblock.facilities.models import Cell, CellFeature
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
API = "/api/incidents"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _post(client, path, payload=None):
    return client.post(path, payload or {}, content_type="application/json")


@pytest.fixture
def kakashi(site):
    person = person_create(
        actor=None, facility=site.facility, given_name="Kakashi", family_name="Hatake"
    )
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


def _damage(site, kakashi, **more):
    cell = site.cells[0]
    fs.cell_feature_set(actor=None, cell=cell, tag="chakra-suppression")
    return {
        "facility": str(site.facility.public_id), "kind": "property_damage",
        "cell": str(cell.public_id), "narrative": "He dented a bar while talking to the Hokage.",
        "people": [kakashi.booking_number],
        "damaged_feature": "chakra-suppression", **more,
    }  # fmt: skip


def test_an_officer_reports_a_dented_bar_and_the_feature_is_compromised(
    site, kakashi, officer, commander, client_for
):
    response = _post(client_for(officer), API, _damage(site, kakashi, staff=["cara_commander"]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "TST-INC-2026-0001"
    assert (body["status"], body["origin"], body["reported_by"]) == (
        "open",
        "staff",
        officer.username,
    )
    assert body["cell"] == "A1-1"
    assert body["zone"] == "A"
    assert body["people"] == [{"booking_number": kakashi.booking_number, "name": "Kakashi Hatake"}]
    assert body["staff"] == ["cara_commander"]
    assert body["damaged_feature"] == "chakra-suppression"
    feature = CellFeature.objects.get(cell=site.cells[0], tag="chakra-suppression")
    assert feature.status == "compromised"


def test_taking_the_cell_out_of_service(site, kakashi, officer, client_for):
    body = _post(
        client_for(officer), API, _damage(site, kakashi, take_cell_out_of_service=True)
    ).json()
    assert body["cell_taken_out_of_service"] is True
    assert Cell.objects.get(pk=site.cells[0].pk).out_of_service


def test_unknown_people_and_staff_are_named(site, kakashi, officer, client_for):
    response = _post(
        client_for(officer), API, _damage(site, kakashi, people=["TST-2026-999999"], staff=["x"])
    )
    assert response.status_code == 400
    fields = response.json()["extra"]["fields"]
    assert fields["people"] == ["TST-2026-999999 is not held at Test Jail."]
    assert fields["staff"] == ["x is not on the staff of Test Jail."]


def test_the_list_filters_by_status_and_kind(site, kakashi, officer, supervisor, client_for):
    client = client_for(officer)
    first = _post(client, API, _damage(site, kakashi)).json()
    _post(
        client, API,
        {"facility": str(site.facility.public_id), "kind": "contraband", "place": "visit room",
         "narrative": "A phone in a bento box."},
    )  # fmt: skip
    _post(client_for(supervisor), f"{API}/{first['id']}/transition", {"to": "under_review"})
    assert [i["kind"] for i in client.get(API).json()] == ["contraband", "property_damage"]
    assert [i["number"] for i in client.get(API, {"status": "under_review"}).json()] == [
        "TST-INC-2026-0001"
    ]
    assert [i["kind"] for i in client.get(API, {"kind": "contraband"}).json()] == ["contraband"]
    assert client.get(API, {"status": "lost"}).status_code == 400


def test_follow_up_notes_transitions_and_review(site, kakashi, officer, supervisor, client_for):
    incident = _post(client_for(officer), API, _damage(site, kakashi)).json()
    one = f"{API}/{incident['id']}"
    noted = _post(client_for(officer), f"{one}/notes", {"text": "Bar photographed."})
    assert noted.status_code == 201
    assert noted.json()["notes"][-1]["text"] == "Bar photographed."
    assert _post(client_for(officer), f"{one}/transition", {"to": "closed"}).status_code == 403
    no_outcome = _post(client_for(supervisor), f"{one}/transition", {"to": "closed"})
    assert no_outcome.status_code == 400
    closed = _post(
        client_for(supervisor), f"{one}/transition", {"to": "closed", "note": "Moved to C-08."}
    )
    assert closed.json()["status"] == "closed"
    assert closed.json()["outcome"] == "Moved to C-08."
    bad = _post(client_for(supervisor), f"{one}/transition", {"to": "open"})
    assert (bad.status_code, bad.json()["code"]) == (409, "invalid_transition")
    reviewed = _post(client_for(supervisor), f"{one}/review", {"note": "Fine."})
    assert reviewed.json()["reviewed_by"] == supervisor.username
    again = _post(client_for(supervisor), f"{one}/review", {})
    assert (again.status_code, again.json()["code"]) == (409, "already_reviewed")
    detail = client_for(officer).get(one).json()
    assert [n["status_to"] for n in detail["notes"]] == ["", "closed", ""]


def test_another_facility_gets_404s(site, kakashi, officer, outsider, client_for):
    incident = _post(client_for(officer), API, _damage(site, kakashi)).json()
    stranger = client_for(outsider)
    assert stranger.get(f"{API}/{incident['id']}").status_code == 404
    assert _post(stranger, f"{API}/{incident['id']}/notes", {"text": "x"}).status_code == 404
    assert stranger.get(API).json() == []
    assert _post(stranger, API, _damage(site, kakashi)).status_code == 404


def test_a_visits_clerk_reads_but_does_not_report(site, kakashi, visits_clerk, client_for):
    client = client_for(visits_clerk)
    assert client.get(API).status_code == 200
    assert _post(client, API, _damage(site, kakashi)).status_code == 403
