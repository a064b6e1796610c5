"""The movements API: out and back, during a count, overdue, and who may see what."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.core.roles import Role
from cellblock.custody.models import Movement
from cellblock.custody.services.counts import count_start

from .conftest import NOW

pytestmark = pytest.mark.django_db

API = "/api/custody"


def _post(client, path, payload=None):
    return client.post(f"{API}{path}", payload or {}, content_type="application/json")


@pytest.fixture
def kakashi(clock, hold):
    return hold("Hatake")


@pytest.fixture
def hiroki(staff_factory):
    return staff_factory("hiroki", Role.OFFICER)


def _to_court(client, booking, **more):
    payload = {
        "booking": booking.booking_number, "destination": "court",
        "destination_detail": "Village hall", "escort": "hiroki",
        "expected_return_at": (NOW + dt.timedelta(hours=2)).isoformat(), "reason": "Hearing",
    }  # fmt: skip
    return _post(client, "/movements", {**payload, **more})


def test_an_officer_sends_someone_to_court_and_records_the_return(
    kakashi, hiroki, officer, client_for, clock
):
    client = client_for(officer)

    out = _to_court(client, kakashi)
    assert out.status_code == 201
    body = out.json()
    assert body["booking_number"] == kakashi.booking_number
    assert (body["kind"], body["escort"], body["unit"], body["cell"]) == (
        "out_of_facility", "hiroki", "A1", "A1-1",
    )  # fmt: skip
    assert body["meaningful_contact"] is True
    assert body["overdue_since"] == "2026-03-14T14:15:00Z"

    clock.shift(dt.timedelta(hours=1))
    # Signed in again: the session locked after 30 idle minutes (CJIS).
    back = _post(client_for(officer), f"/movements/{body['id']}/return")
    assert back.status_code == 200
    assert back.json()["returned_at"] == "2026-03-14T13:00:00Z"
    assert back.json()["returned_recorded_by"] == officer.username


def test_an_unknown_escort_is_refused_naming_the_field(kakashi, officer, client_for):
    response = _to_court(client_for(officer), kakashi, escort="nobody")

    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {
        "escort": ["no member of staff 'nobody' works at Test Jail."]
    }


def test_a_booking_of_another_facility_is_not_found(kakashi, outsider, client_for):
    response = _to_court(client_for(outsider), kakashi, escort=None)

    assert response.status_code == 404
    assert not Movement.objects.exists()


def test_a_second_movement_while_out_is_a_conflict(kakashi, hiroki, officer, client_for):
    client = client_for(officer)
    _to_court(client, kakashi)

    again = _post(
        client, "/movements", {"booking": kakashi.booking_number, "destination": "medical"}
    )

    assert again.status_code == 409
    assert again.json()["code"] == "already_out"


def test_during_a_count_only_an_emergency_goes_out(
    site, kakashi, hiroki, supervisor, officer, client_for
):
    count_start(actor=supervisor, facility=site.facility, method="head")
    client = client_for(officer)

    refused = _to_court(client, kakashi)
    emergency = _to_court(client, kakashi, emergency_reason="Judge orders him now")

    assert refused.status_code == 409
    assert refused.json()["code"] == "count_in_progress"
    assert emergency.status_code == 201
    assert emergency.json()["emergency_reason"] == "Judge orders him now"


def test_a_return_is_recorded_once(kakashi, hiroki, officer, client_for):
    client = client_for(officer)
    movement = _to_court(client, kakashi).json()
    _post(client, f"/movements/{movement['id']}/return")

    again = _post(client, f"/movements/{movement['id']}/return")

    assert again.status_code == 409
    assert again.json()["code"] == "already_returned"


def test_the_lists_of_open_overdue_and_returned_movements(
    site, clock, hold, kakashi, hiroki, officer, client_for
):
    client = client_for(officer)
    court = _to_court(client, kakashi).json()
    naruto = hold("Uzumaki", given_name="Naruto")
    yard = _post(
        client, "/movements", {"booking": naruto.booking_number, "destination": "exercise_yard"}
    ).json()
    clock.shift(dt.timedelta(minutes=30))
    _post(client, f"/movements/{yard['id']}/return")
    clock.move_to(NOW + dt.timedelta(hours=2, minutes=15))
    client = client_for(officer)
    query = {"facility": str(site.facility.public_id)}

    opened = client.get(f"{API}/movements", {**query, "open": "true"}).json()
    overdue = client.get(f"{API}/movements", {**query, "overdue": "true"}).json()
    returned = client.get(f"{API}/movements", {**query, "open": "false"}).json()
    everything = client.get(f"{API}/movements", query).json()

    assert [m["id"] for m in opened] == [court["id"]]
    assert [(m["id"], m["overdue"]) for m in overdue] == [(court["id"], True)]
    assert [m["id"] for m in returned] == [yard["id"]]
    assert [m["id"] for m in everything] == [yard["id"], court["id"]]


def test_a_medic_may_not_take_people_out(kakashi, medic, client_for):
    response = _post(
        client_for(medic), "/movements", {"booking": kakashi.booking_number, "destination": "yard"}
    )

    assert response.status_code == 403


def test_an_expected_return_before_leaving_is_refused(kakashi, officer, client_for):
    response = _to_court(
        client_for(officer), kakashi, escort=None,
        expected_return_at=(NOW - dt.timedelta(hours=1)).isoformat(),
    )  # fmt: skip

    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["expected_return_at"]
