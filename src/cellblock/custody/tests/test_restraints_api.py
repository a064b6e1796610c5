"""The restraints API: apply, list with the next check due, check, approve, remove, review."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.core.roles import Role
from cellblock.custody.models import Restraint
from cellblock.custody.tests.conftest import NOW
from cellblock.incidents.models import Incident

pytestmark = pytest.mark.django_db

API = "/api/custody/restraints"


def _post(client, path, payload=None):
    return client.post(path, payload or {}, content_type="application/json")


@pytest.fixture
def sasuke(clock, hold):
    return hold("Uchiha", given_name="Sasuke", born=None)


@pytest.fixture
def sakura(staff_factory):
    return staff_factory("sakura", Role.MEDICAL)


@pytest.fixture
def shizune(staff_factory):
    return staff_factory("shizune", Role.SUPERVISOR, Role.MEDICAL)


def _apply(client, booking, **more):
    payload = {
        "booking": booking.booking_number, "kind": "wrist_bindings", "purpose": "safety",
        "reason": "attacked a medic",
    }  # fmt: skip
    return _post(client, API, {**payload, **more})


def test_two_officers_apply_handcuffs_on_a_supervisors_authority(
    sasuke, officer, staff_factory, supervisor, client_for
):
    staff_factory("hiroki", Role.OFFICER)
    response = _apply(
        client_for(officer), sasuke, kind="handcuffs", purpose="transport",
        assisted_by="hiroki", authorised_by=supervisor.username,
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["applied_by"] == officer.username
    assert (body["assisted_by"], body["authorised_by"]) == ("hiroki", supervisor.username)
    assert body["next_check_due"] == "2026-03-14T12:15:00Z"
    assert body["approvals_missing"] == ["supervisor", "medic"]
    assert body["cell"] == "A1-1"


def test_a_restraint_as_punishment_is_a_409_naming_the_rule(sasuke, officer, client_for):
    response = _apply(client_for(officer), sasuke, purpose="discipline")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "restraint_as_punishment"
    assert "Mandela Rule 43(2)" in body["message"]
    assert body["extra"]["rule"] == "Mandela Rule 43(2)"
    assert not Restraint.objects.exists()


def test_bad_input_names_the_field(sasuke, officer, client_for):
    client = client_for(officer)
    unknown = _apply(client, sasuke, authorised_by="nobody")
    assert unknown.status_code == 400
    assert "authorised_by" in unknown.json()["extra"]["fields"]
    kind = _apply(client, sasuke, kind="rope")
    assert kind.status_code == 400
    assert "kind" in kind.json()["extra"]["fields"]
    future = _apply(client, sasuke, at="2026-03-14T12:30:00Z")
    assert future.json()["extra"]["fields"] == {"at": ["cannot be in the future."]}


def test_the_board_lists_restraints_in_force_with_the_next_check_due(
    sasuke, officer, client_for, clock
):
    client = client_for(officer)
    restraint_id = _apply(client, sasuke).json()["id"]
    clock.shift(dt.timedelta(minutes=16))
    [row] = client.get(API, {"facility": str(sasuke.facility.public_id)}).json()
    assert (row["id"], row["checks_overdue"], row["minutes_overdue"]) == (restraint_id, True, 1)
    checked = _post(client, f"{API}/{restraint_id}/checks", {"note": "hands warm"})
    assert checked.status_code == 201, checked.content
    assert checked.json()["next_check_due"] == "2026-03-14T12:31:00Z"
    assert not checked.json()["checks_overdue"]


def test_a_supervisor_and_a_medic_approve_past_two_hours(
    sasuke, officer, supervisor, shizune, client_for, clock
):
    restraint_id = _apply(client_for(officer), sasuke).json()["id"]
    clock.shift(dt.timedelta(minutes=121))
    late = client_for(officer).get(API).json()[0]
    assert late["over_limit"] is True
    medic_side = _post(client_for(shizune), f"{API}/{restraint_id}/extension", {"side": "medic"})
    assert medic_side.status_code == 200, medic_side.content
    assert medic_side.json()["extension_medic"] == "shizune"
    twice = _post(client_for(shizune), f"{API}/{restraint_id}/extension", {"side": "supervisor"})
    assert twice.status_code == 409
    assert twice.json()["code"] == "two_different_people"
    done = _post(client_for(supervisor), f"{API}/{restraint_id}/extension")
    assert done.json()["approvals_missing"] == []
    assert done.json()["over_limit"] is False
    not_a_side = _post(client_for(officer), f"{API}/{restraint_id}/extension", {"side": "x"})
    assert not_a_side.status_code == 400


def test_sakura_removes_the_bindings_without_authority_and_a_supervisor_reviews(
    sasuke, officer, sakura, supervisor, client_for, clock
):
    restraint_id = _apply(client_for(officer), sasuke).json()["id"]
    clock.shift(dt.timedelta(minutes=10))
    removed = _post(client_for(sakura), f"{API}/{restraint_id}/remove", {"note": "to treat him"})
    assert removed.status_code == 200, removed.content
    body = removed.json()
    assert (body["removed_by"], body["removal_authorised_by"]) == ("sakura", None)
    assert body["awaiting_review"] is True
    assert body["incidents"] == ["TST-INC-2026-0001"]
    assert body["next_check_due"] is None
    by_officer = _post(client_for(officer), f"{API}/{restraint_id}/review", {"note": "seen"})
    assert by_officer.status_code == 403
    reviewed = _post(client_for(supervisor), f"{API}/{restraint_id}/review", {"note": "seen"})
    assert reviewed.status_code == 200
    assert reviewed.json()["awaiting_review"] is False
    assert Incident.objects.get().reviewed_by == supervisor


def test_with_shizunes_authority_the_removal_opens_nothing(
    sasuke, officer, sakura, shizune, client_for
):
    restraint_id = _apply(client_for(officer), sasuke).json()["id"]
    removed = _post(
        client_for(sakura), f"{API}/{restraint_id}/remove", {"authorised_by": "shizune"}
    )
    assert removed.json()["removal_authorised_by"] == "shizune"
    assert removed.json()["incidents"] == []
    assert not Incident.objects.exists()


def test_a_persons_restraints_include_the_removed_ones(sasuke, officer, supervisor, client_for):
    client = client_for(officer)
    restraint_id = _apply(client, sasuke).json()["id"]
    _post(client_for(supervisor), f"{API}/{restraint_id}/remove")
    assert client.get(API).json() == []
    [row] = client.get(API, {"booking": sasuke.booking_number}).json()
    assert row["removal_authorised_by"] == supervisor.username


def test_another_facility_sees_nothing_and_touches_nothing(sasuke, officer, outsider, client_for):
    restraint_id = _apply(client_for(officer), sasuke).json()["id"]
    stranger = client_for(outsider)
    assert stranger.get(API).json() == []
    assert _post(stranger, f"{API}/{restraint_id}/checks").status_code == 404
    assert _post(stranger, f"{API}/{restraint_id}/remove").status_code == 404
    assert _apply(stranger, sasuke).status_code == 404
    assert stranger.get(API, {"facility": str(sasuke.facility.public_id)}).status_code == 404


def test_roles_without_the_permission_are_refused(sasuke, visits_clerk, medic, client_for):
    assert _apply(client_for(visits_clerk), sasuke).status_code == 403
    assert _apply(client_for(medic), sasuke).status_code == 403
    assert client_for(visits_clerk).get(API).status_code == 200


def test_a_late_entry_without_a_zone_is_read_on_the_facility_clock(
    sasuke, officer, client_for, clock
):
    clock.shift(dt.timedelta(minutes=30))
    body = _apply(client_for(officer), sasuke, at="2026-03-14T12:10:00").json()
    assert body["applied_at"] == "2026-03-14T12:10:00Z"
    assert dt.datetime.fromisoformat(body["applied_at"]) > NOW
