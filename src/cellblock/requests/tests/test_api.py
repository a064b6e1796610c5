"""The requests API with personas: file, list mine and all, route, answer, withdraw, appeal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cellblock.requests.models import InmateRequest
from cellblock.requests.services import requests_escalate_overdue

from .conftest import NOW

pytestmark = pytest.mark.django_db

API = "/api/requests"
ERROR_SHAPE = {"message", "code", "extra"}


@pytest.fixture(autouse=True)
def _frozen(clock):
    return clock


def _post(client, path, payload=None):
    return client.post(path, payload or {}, content_type="application/json")


def _to_the_hokage(kakashi, **more):
    return {
        "booking_number": kakashi.booking_number, "kind": "request",
        "category": "speak_to_staff", "subject": "Asks to speak with the Hokage",
        "text": "I want to speak with Lady Tsunade.", "addressee_role": "commander", **more,
    }  # fmt: skip


def _numbers(response):
    assert response.status_code == 200, response.content
    return [r["number"] for r in response.json()]


def test_an_officer_files_for_kakashi_and_it_reaches_the_commander_not_the_medic(
    kakashi, officer, commander, medic, client_for
):
    response = _post(client_for(officer), API, _to_the_hokage(kakashi))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "TST-REQ-2026-0001"
    assert (body["status"], body["kind"], body["category"]) == ("open", "request", "speak_to_staff")
    assert (body["addressee_role"], body["addressee"], body["addressee_label"]) == (
        "commander", None, "commander (role)",
    )  # fmt: skip
    assert (body["booking_number"], body["person"]) == (kakashi.booking_number, "Kakashi Hatake")
    assert body["filed_by"] == officer.username
    assert body["filed_via"] == "officer"
    assert dt.datetime.fromisoformat(body["due_at"]) == NOW + dt.timedelta(days=15)
    assert body["overdue"] is False
    assert [e["kind"] for e in body["entries"]] == ["filed"]

    commander_client = client_for(commander)
    assert _numbers(commander_client.get(API, {"scope": "mine"})) == ["TST-REQ-2026-0001"]
    assert _numbers(client_for(medic).get(API, {"scope": "mine"})) == []
    assert _numbers(client_for(medic).get(API, {"scope": "all"})) == ["TST-REQ-2026-0001"]

    answered = _post(
        commander_client, f"{API}/{body['id']}/respond", {"text": "Come to my office at noon."}
    )
    assert answered.status_code == 200, answered.content
    assert (answered.json()["status"], answered.json()["answered_by"]) == (
        "answered", commander.username,
    )  # fmt: skip
    assert answered.json()["entries"][-1]["text"] == "Come to my office at noon."


def test_a_named_addressee_is_given_by_username(kakashi, officer, medic, client_for):
    payload = _to_the_hokage(kakashi, addressee_role="", addressee=medic.username)
    body = _post(client_for(officer), API, payload).json()
    assert (body["addressee"], body["addressee_label"]) == (medic.username, "Mo Medic (named)")


def test_an_unknown_username_is_a_field_error(kakashi, officer, outsider, client_for):
    payload = _to_the_hokage(kakashi, addressee_role="", addressee=outsider.username)
    response = _post(client_for(officer), API, payload)
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {
        "addressee": ["otto_outsider is not on the staff of Test Jail."]
    }


def test_filing_is_refused_to_roles_that_do_not_file(kakashi, booking_clerk, client_for):
    response = _post(client_for(booking_clerk), API, _to_the_hokage(kakashi))
    assert response.status_code == 403
    assert response.json()["code"] == "missing_role"


def test_the_outsider_gets_404_for_the_booking_and_the_request(
    kakashi, file_request, outsider, client_for
):
    request = file_request()
    client = client_for(outsider)
    assert _post(client, API, _to_the_hokage(kakashi)).status_code == 404
    for response in (
        client.get(f"{API}/{request.public_id}"),
        _post(client, f"{API}/{request.public_id}/respond", {"text": "Hi."}),
        _post(client, f"{API}/{request.public_id}/withdraw", {"reason": "No."}),
    ):
        assert response.status_code == 404
        assert set(response.json()) == ERROR_SHAPE
    assert _numbers(client.get(API)) == []


def test_the_auditor_reads_everything_but_cannot_write(file_request, auditor, client_for):
    request = file_request()
    client = client_for(auditor)
    assert client.get(f"{API}/{request.public_id}").status_code == 200
    assert _numbers(client.get(API)) == [request.number]
    refused = {
        "respond": {"text": "No."},
        "take-up": {},
        "route": {"addressee_role": "medical"},
        "close": {},
        "notes": {"text": "Seen."},
    }
    for action, payload in refused.items():
        response = _post(client, f"{API}/{request.public_id}/{action}", payload)
        assert response.status_code == 403, action
        assert response.json()["code"] == "not_addressee", action
    for action, payload in {"withdraw": {"reason": "No."}, "appeal": {"text": "No."}}.items():
        response = _post(client, f"{API}/{request.public_id}/{action}", payload)
        assert response.status_code == 403, action
        assert response.json()["code"] == "missing_role", action
    assert InmateRequest.objects.get().status == "open"


def test_the_officer_who_filed_cannot_answer(file_request, officer, client_for):
    request = file_request()
    response = _post(client_for(officer), f"{API}/{request.public_id}/respond", {"text": "Yes."})
    assert response.status_code == 403
    assert response.json() == {
        "message": "TST-REQ-2026-0001 is addressed to the commander (role): only they, a "
        "supervisor or the commander may answer it.",
        "code": "not_addressee",
        "extra": {},
    }


def test_the_commander_routes_takes_up_notes_and_closes(file_request, commander, medic, client_for):
    request = file_request()
    client = client_for(commander)
    path = f"{API}/{request.public_id}"
    taken = _post(client, f"{path}/take-up", {"note": "Looking into it."})
    assert taken.json()["status"] == "in_progress"
    routed = _post(client, f"{path}/route", {"addressee": medic.username, "note": "For you."})
    assert (routed.json()["status"], routed.json()["addressee"]) == ("open", medic.username)
    noted = _post(client_for(medic), f"{path}/notes", {"text": "Seen him."})
    assert noted.status_code == 201
    _post(client_for(medic), f"{path}/respond", {"text": "He is fine."})
    closed = _post(client, f"{path}/close", {"note": "Done."})
    assert closed.json()["status"] == "closed"
    assert [e["kind"] for e in closed.json()["entries"]] == [
        "filed", "taken_up", "routed", "note", "response", "closed",
    ]  # fmt: skip
    assert closed.json()["entries"][2]["to_user"] == medic.username


def test_a_wrong_step_is_409_with_what_is_allowed(file_request, commander, client_for):
    request = file_request()
    response = _post(client_for(commander), f"{API}/{request.public_id}/close", {})
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["extra"] == {
        "status": "open", "allowed": ["answered", "in_progress", "withdrawn"],
    }  # fmt: skip


def test_the_officer_withdraws_for_the_person(file_request, officer, client_for):
    request = file_request()
    response = _post(
        client_for(officer), f"{API}/{request.public_id}/withdraw", {"reason": "Not needed."}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert response.json()["entries"][-1]["text"] == "Not needed."


def test_grievance_appeals_climb_to_the_agency_and_stop(
    kakashi, officer, supervisor, commander, client_for
):
    officer_client = client_for(officer)
    payload = _to_the_hokage(
        kakashi, kind="grievance", addressee_role="", subject="Cold food", text="Always cold."
    )
    body = _post(officer_client, API, payload).json()
    assert (body["number"], body["addressee_role"], body["level_label"]) == (
        "TST-GRV-2026-0001", "supervisor", "First level",
    )  # fmt: skip
    path = f"{API}/{body['id']}"
    _post(client_for(supervisor), f"{path}/respond", {"text": "It is warm."})
    second = _post(officer_client, f"{path}/appeal", {"text": "It is not."}).json()
    assert (second["level"], second["level_label"], second["addressee_role"]) == (
        2, "Appeal to the commander", "commander",
    )  # fmt: skip
    _post(client_for(commander), f"{path}/respond", {"text": "Upheld."})
    third = _post(officer_client, f"{path}/appeal", {"text": "To the agency."}).json()
    assert (third["level"], third["level_label"]) == (3, "Final appeal to the agency")
    _post(client_for(commander), f"{path}/respond", {"text": "The agency upholds it."})
    refused = _post(officer_client, f"{path}/appeal", {"text": "Once more."})
    assert refused.status_code == 409
    assert refused.json()["code"] == "no_further_appeal"


def test_the_list_filters_by_status_kind_booking_and_overdue(
    file_request, site, commander, client_for, clock, hold
):
    first = file_request()
    grievance = file_request(kind="grievance")
    other = file_request(booking=hold("Uchiha", given_name="Itachi", born=dt.date(1991, 6, 9)))
    client = client_for(commander)
    _post(client, f"{API}/{first.public_id}/respond", {"text": "Yes."})
    assert _numbers(client.get(API, {"status": "waiting"})) == [grievance.number, other.number]
    assert _numbers(client.get(API, {"status": "answered"})) == [first.number]
    assert _numbers(client.get(API, {"kind": "grievance"})) == [grievance.number]
    assert _numbers(client.get(API, {"booking": other.booking.booking_number})) == [other.number]
    assert _numbers(client.get(API, {"facility": str(site.facility.public_id)})) == [
        first.number, grievance.number, other.number,
    ]  # fmt: skip
    assert _numbers(client.get(API, {"overdue": "true"})) == []
    clock.shift(dt.timedelta(days=15))
    # Sessions lapse over two weeks: sign in again.
    overdue = client_for(commander).get(API, {"overdue": "true"}).json()
    assert [r["number"] for r in overdue] == [grievance.number, other.number]
    assert all(r["overdue"] for r in overdue)
    assert client_for(commander).get(API, {"status": "sleeping"}).status_code == 400


def test_an_escalated_request_shows_when_it_went_up(file_request, site, medic, client_for, clock):
    request = file_request(addressee_role="medical")
    clock.shift(dt.timedelta(days=16))
    requests_escalate_overdue(facility=site.facility, now=NOW + dt.timedelta(days=16))
    body = client_for(medic).get(f"{API}/{request.public_id}").json()
    assert body["addressee_role"] == "commander"
    assert dt.datetime.fromisoformat(body["escalated_at"]) == NOW + dt.timedelta(days=16)
    assert body["entries"][-1]["kind"] == "escalated"
    assert body["entries"][-1]["actor"] is None


def test_the_list_reads_in_a_fixed_number_of_queries(file_request, commander, client_for, hold):
    client = client_for(commander)
    file_request()
    client.get(API)
    with CaptureQueriesContext(connection) as one:
        client.get(API)
    for n in range(3):
        file_request(booking=hold(f"Held{n}", given_name="Person"), kind="grievance")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(API).json()) == 4
    assert len(many.captured_queries) == len(one.captured_queries)
