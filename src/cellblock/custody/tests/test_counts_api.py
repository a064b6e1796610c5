"""The counts API: live count, a formal count walked through, errors and access."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.custody.models import FormalCount
from cellblock.custody.services.counts import NOT_BALANCED
from cellblock.custody.services.movements import movement_start

from .conftest import NOW

pytestmark = pytest.mark.django_db

API = "/api/custody"


def _post(client, path, payload=None):
    return client.post(f"{API}{path}", payload or {}, content_type="application/json")


@pytest.fixture
def people(clock, hold, officer):
    housed = [hold("Hatake"), hold("Uzumaki", given_name="Naruto")]
    hold("Waiting", housed=False)
    movement_start(actor=officer, booking=housed[1], destination="court")
    return housed


def test_the_live_count_per_unit_and_for_the_facility(site, people, officer, client_for):
    response = client_for(officer).get(f"{API}/count", {"facility": str(site.facility.public_id)})

    assert response.status_code == 200
    body = response.json()
    assert (body["held"], body["housed"], body["in_cell"], body["out_of_facility"]) == (3, 2, 1, 1)
    assert body["unhoused"] == {"held": 1, "out_of_cell": 0, "out_of_facility": 0}
    [unit] = body["units"]
    assert unit["unit"]["code"] == "A1"
    assert (unit["housed"], unit["in_cell"], unit["out_of_cell"], unit["out_of_facility"]) == (
        2, 1, 0, 1,
    )  # fmt: skip


def test_another_facility_s_count_is_not_found(site, people, outsider, client_for):
    response = client_for(outsider).get(f"{API}/count", {"facility": str(site.facility.public_id)})

    assert response.status_code == 404
    assert set(response.json()) == {"message", "code", "extra"}


def test_a_formal_count_with_a_recount_a_reconciliation_and_the_clear(
    site, people, supervisor, officer, client_for
):
    boss, counter = client_for(supervisor), client_for(officer)

    started = _post(boss, "/counts", {"facility": str(site.facility.public_id), "method": "hard"})
    assert started.status_code == 201
    count = started.json()
    [sheet] = count["sheets"]
    assert (sheet["expected"], sheet["expected_out"], sheet["in_cell_now"]) == (1, 1, 1)
    base = f"/counts/{count['id']}/sheets/{sheet['id']}"

    first = _post(counter, f"{base}/figure", {"counted": 2})
    assert (first.status_code, first.json()["status"]) == (200, "recount")
    refused = _post(boss, f"/counts/{count['id']}/clear")
    assert refused.status_code == 409
    assert refused.json()["code"] == "count_not_balanced"
    assert refused.json()["message"] == NOT_BALANCED.format(units="Unit A1", verb="is")

    second = _post(counter, f"{base}/figure", {"counted": 2})
    assert second.json()["status"] == "discrepant"
    assert (second.json()["counted"], second.json()["recounted"]) == (2, 2)
    assert second.json()["recounted_by"] == officer.username

    by_officer = _post(counter, f"{base}/reconcile", {"explanation": "double counted"})
    assert by_officer.status_code == 403
    reconciled = _post(boss, f"{base}/reconcile", {"explanation": "Hatake counted twice"})
    assert reconciled.json()["status"] == "reconciled"

    cleared = _post(boss, f"/counts/{count['id']}/clear")
    assert cleared.status_code == 200
    assert cleared.json()["status"] == "cleared"
    assert cleared.json()["cleared_by"] == supervisor.username
    assert cleared.json()["sheets"][0]["in_cell_now"] is None


def test_starting_a_count_needs_a_supervisor_and_a_known_method(
    site, people, supervisor, officer, client_for
):
    facility = str(site.facility.public_id)

    by_officer = _post(client_for(officer), "/counts", {"facility": facility, "method": "head"})
    unknown = _post(client_for(supervisor), "/counts", {"facility": facility, "method": "peek"})

    assert by_officer.status_code == 403
    assert unknown.status_code == 400
    assert "method" in unknown.json()["extra"]["fields"]


def test_a_second_open_count_is_a_conflict(site, people, supervisor, client_for):
    boss = client_for(supervisor)
    payload = {"facility": str(site.facility.public_id), "method": "head"}
    _post(boss, "/counts", payload)

    again = _post(boss, "/counts", payload)

    assert again.status_code == 409
    assert again.json()["code"] == "count_already_open"


def test_a_negative_figure_is_refused_naming_the_field(
    site, people, supervisor, officer, client_for
):
    count = _post(
        client_for(supervisor),
        "/counts",
        {"facility": str(site.facility.public_id), "method": "soft"},
    ).json()
    sheet = count["sheets"][0]

    response = _post(
        client_for(officer), f"/counts/{count['id']}/sheets/{sheet['id']}/figure", {"counted": -1}
    )

    assert response.status_code == 400
    assert "counted" in response.json()["extra"]["fields"]


def test_a_count_is_cancelled_with_a_reason(site, people, supervisor, client_for):
    boss = client_for(supervisor)
    count = _post(boss, "/counts", {"facility": str(site.facility.public_id), "method": "head"})
    path = f"/counts/{count.json()['id']}/cancel"

    blank = _post(boss, path, {"reason": " "})
    done = _post(boss, path, {"reason": "Lockdown"})

    assert blank.status_code == 400
    assert blank.json()["extra"]["fields"] == {"reason": ["is required to cancel a count."]}
    assert (done.json()["status"], done.json()["cancel_reason"]) == ("cancelled", "Lockdown")


def test_counts_of_another_facility_are_not_found(site, people, supervisor, outsider, client_for):
    count = _post(
        client_for(supervisor),
        "/counts",
        {"facility": str(site.facility.public_id), "method": "head"},
    ).json()
    stranger = client_for(outsider)

    assert stranger.get(f"{API}/counts/{count['id']}").status_code == 404
    assert _post(stranger, f"/counts/{count['id']}/clear").status_code == 404
    sheet = count["sheets"][0]["id"]
    figure = _post(stranger, f"/counts/{count['id']}/sheets/{sheet}/figure", {"counted": 1})
    assert figure.status_code == 404
    assert FormalCount.objects.get().status == "open"


def test_the_schedule_and_the_missed_counts(site, people, supervisor, client_for):
    boss = client_for(supervisor)
    facility = str(site.facility.public_id)
    six = dt.datetime(2026, 3, 14, 6, 0, tzinfo=dt.UTC)

    missed = boss.get(f"{API}/counts/missed", {"facility": facility})
    _post(
        boss, "/counts", {"facility": facility, "method": "head", "scheduled_for": six.isoformat()}
    )
    schedule = boss.get(f"{API}/counts/schedule", {"facility": facility, "date": "2026-03-14"})
    listed = boss.get(f"{API}/counts", {"facility": facility, "status": "open"})

    assert [(s["due_at"], s["state"]) for s in missed.json()] == [
        ("2026-03-13T18:00:00Z", "missed"), ("2026-03-14T06:00:00Z", "missed"),
    ]  # fmt: skip
    assert [s["state"] for s in schedule.json()] == ["in_progress", "upcoming"]
    assert len(listed.json()) == 1
    assert listed.json()[0]["started_at"] == NOW.isoformat().replace("+00:00", "Z")


def test_reading_counts_needs_no_more_than_seeing_the_housing(
    site, people, supervisor, auditor, client_for
):
    count = _post(
        client_for(supervisor),
        "/counts",
        {"facility": str(site.facility.public_id), "method": "head"},
    ).json()

    response = client_for(auditor).get(f"{API}/counts/{count['id']}")

    assert response.status_code == 200
    assert _post(client_for(auditor), f"/counts/{count['id']}/clear").status_code == 403
