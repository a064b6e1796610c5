"""The rounds API: the observation board, one check, a cell's round."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cellblock.classification.models import FlagKind
from cellblock.classification.services import flag_set
from cellblock.custody.models import RoundCheck

pytestmark = pytest.mark.django_db

API = "/api/custody"


def _post(client, path, payload):
    return client.post(f"{API}{path}", payload, content_type="application/json")


def test_the_board_lists_everyone_housed_with_their_next_check(
    clock, site, hold, commander, officer, client_for
):
    kakashi = hold(bed=site.cells[0].beds.get(code="B1"))
    sasuke = hold("Uchiha", given_name="Sasuke", bed=site.cells[1].beds.get(code="B1"))
    flag_set(
        actor=commander, booking=sasuke, kind=FlagKind.SUICIDE_RISK, detail="suicide_watch",
        reason="said he would",
    )  # fmt: skip
    clock.shift(dt.timedelta(minutes=20))
    response = client_for(officer).get(f"{API}/observation", {"facility": site.facility.public_id})
    assert response.status_code == 200, response.content
    rows = response.json()
    assert [row["booking_number"] for row in rows] == [
        sasuke.booking_number,
        kakashi.booking_number,
    ]
    first = rows[0]
    assert first["level"] == "suicide_watch"
    assert first["interval_minutes"] == 15
    assert first["overdue"] is True
    assert first["minutes_overdue"] == 5
    assert first["cell_code"] == "A1-2"
    assert rows[1]["overdue"] is False
    assert rows[1]["due_at"] == "2026-03-14T13:00:00Z"


def test_the_board_of_one_cell(clock, site, hold, officer, client_for):
    hold(bed=site.cells[0].beds.get(code="B1"))
    other = hold("Maito", given_name="Gai", bed=site.cells[1].beds.get(code="B1"))
    response = client_for(officer).get(f"{API}/observation", {"cell": site.cells[1].public_id})
    assert [row["booking_number"] for row in response.json()] == [other.booking_number]


def test_the_board_needs_a_place(clock, officer, client_for):
    response = client_for(officer).get(f"{API}/observation")
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {"facility": ["name the facility, or a cell."]}


def test_another_facilitys_board_is_not_found(clock, site, outsider, client_for):
    response = client_for(outsider).get(f"{API}/observation", {"facility": site.facility.public_id})
    assert response.status_code == 404


def test_an_officer_records_a_late_check_through_the_api(clock, site, hold, officer, client_for):
    person = hold()
    clock.shift(dt.timedelta(minutes=30))
    response = _post(
        client_for(officer), "/checks",
        {"booking": person.booking_number, "status": "asleep", "welfare_contact": True,
         "at": "2026-03-14T12:10:00Z", "note": "snoring"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "asleep"
    assert body["checked_at"] == "2026-03-14T12:10:00Z"
    assert body["checked_by"] == officer.username
    assert body["cell_code"] == "A1-1"
    assert body["welfare_contact"] is True


def test_a_check_in_the_future_is_a_400_naming_the_field(clock, hold, officer, client_for):
    person = hold()
    response = _post(
        client_for(officer), "/checks",
        {"booking": person.booking_number, "status": "seen_well", "at": "2026-03-14T12:05:00Z"},
    )  # fmt: skip
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["extra"]["fields"] == {"at": ["must not be in the future."]}


def test_an_unknown_status_is_a_400(clock, hold, officer, client_for):
    response = _post(
        client_for(officer), "/checks", {"booking": hold().booking_number, "status": "fine"}
    )
    assert response.status_code == 400
    assert "status" in response.json()["extra"]["fields"]


def test_a_visits_clerk_may_not_record_checks(clock, hold, visits_clerk, client_for):
    response = _post(
        client_for(visits_clerk), "/checks", {"booking": hold().booking_number, "status": "asleep"}
    )
    assert response.status_code == 403


def test_someone_held_elsewhere_is_not_found(clock, hold, outsider, client_for):
    response = _post(
        client_for(outsider), "/checks", {"booking": hold().booking_number, "status": "asleep"}
    )
    assert response.status_code == 404


def test_a_cell_round_through_the_api(clock, site, hold, officer, client_for):
    cell = site.cells[0]
    a = hold(bed=cell.beds.get(code="B1"))
    b = hold("Maito", given_name="Gai", bed=cell.beds.get(code="B2"))
    response = _post(
        client_for(officer), f"/cells/{cell.public_id}/checks",
        {"checks": [{"booking": a.booking_number, "status": "seen_well"},
                    {"booking": b.booking_number, "status": "concern", "note": "bruised hand"}]},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert [c["status"] for c in response.json()] == ["seen_well", "concern"]
    assert RoundCheck.objects.count() == 2


def test_a_cell_round_with_someone_from_another_cell_is_a_409(
    clock, site, hold, officer, client_for
):
    here = hold(bed=site.cells[0].beds.get(code="B1"))
    there = hold("Maito", given_name="Gai", bed=site.cells[1].beds.get(code="B1"))
    response = _post(
        client_for(officer), f"/cells/{site.cells[0].public_id}/checks",
        {"checks": [{"booking": here.booking_number, "status": "seen_well"},
                    {"booking": there.booking_number, "status": "seen_well"}]},
    )  # fmt: skip
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "not_in_cell"
    assert body["extra"]["booking"] == there.booking_number
    assert not RoundCheck.objects.exists()


def test_an_empty_cell_round_is_a_400(clock, site, officer, client_for):
    response = _post(
        client_for(officer), f"/cells/{site.cells[0].public_id}/checks", {"checks": []}
    )
    assert response.status_code == 400
    assert "checks" in response.json()["extra"]["fields"]


def test_a_cell_of_another_facility_is_not_found(clock, other_site, officer, client_for):
    response = _post(
        client_for(officer), f"/cells/{other_site.cells[0].public_id}/checks",
        {"checks": [{"booking": "TST-2026-1", "status": "seen_well"}]},
    )  # fmt: skip
    assert response.status_code == 404


def _queries(client, path, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(queries), len(response.json())


def test_the_board_answers_in_the_same_number_of_queries_for_one_or_many(
    clock, site, hold, officer, client_for
):
    client = client_for(officer)
    params = {"facility": site.facility.public_id}
    hold()
    one = _queries(client, f"{API}/observation", params)
    for n in range(3):
        hold(f"Person{n}", given_name="Held")
    many = _queries(client, f"{API}/observation", params)
    assert (one[1], many[1]) == (1, 4)
    assert one[0] == many[0]
