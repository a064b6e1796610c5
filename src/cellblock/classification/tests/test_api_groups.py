"""Security groups through the API: the agency's gangs and factions, and who belongs."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open
from cellblock.classification.models import GroupMembership, SecurityGroup
from cellblock.conftest import ready_for_bed
from cellblock.core.roles import Role
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
API = "/api/classification"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cleo(staff_factory):
    return staff_factory("cleo_classification", Role.CLASSIFICATION)


def _book(site, given, family):
    person = person_create(actor=None, facility=None, given_name=given, family_name=family)
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


@pytest.fixture
def kisame(site):
    return _book(site, "Kisame", "Hoshigaki")


def _post(client, path, payload):
    return client.post(f"{API}{path}", payload, content_type="application/json")


def _create(client, site, **payload):
    body = {"facility": str(site.facility.public_id), "code": "akatsuki", "name": "Akatsuki",
            "kind": "gang", **payload}  # fmt: skip
    return _post(client, "/groups", body)


def _groups(client, site):
    return client.get(f"{API}/groups", {"facility": str(site.facility.public_id)})


def _join(client, group_id, booking, basis="cloud-pattern cloak"):
    payload = {"person_id": str(booking.person.public_id), "basis": basis}
    return _post(client, f"/groups/{group_id}/members", payload)


def test_classification_staff_create_a_group_for_the_agency(site, cleo, client_for):
    response = _create(client_for(cleo), site, description="rogue ninja")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["code"], body["kind"], body["members"]) == ("akatsuki", "gang", [])
    group = SecurityGroup.objects.get()
    assert group.agency == site.agency
    event = AuditEvent.objects.get(action="group.create")
    assert (event.actor_username, event.object_id) == ("cleo_classification", body["id"])


def test_a_group_code_is_a_tag_used_once_per_agency(site, cleo, client_for):
    client = client_for(cleo)
    _create(client, site)
    again = _create(client, site, name="Akatsuki again")
    assert again.status_code == 409
    assert again.json()["code"] == "group_exists"
    response = _create(client, site, code="", name="", kind="club")
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["kind"]
    response = _create(client, site, code="", name="")
    assert set(response.json()["extra"]["fields"]) == {"code", "name"}


def test_members_are_added_listed_and_ended(site, cleo, officer, kisame, client_for):
    client = client_for(cleo)
    group_id = _create(client, site).json()["id"]
    response = _join(client, group_id, kisame)
    assert response.status_code == 201, response.content
    member = response.json()
    assert (member["person"]["given_name"], member["basis"]) == ("Kisame", "cloud-pattern cloak")
    [group] = _groups(client_for(officer), site).json()
    assert [m["id"] for m in group["members"]] == [member["id"]]
    twice = _join(client, group_id, kisame)
    assert twice.status_code == 409
    assert twice.json()["code"] == "member_exists"
    path = f"/groups/{group_id}/members/{member['id']}/end"
    assert _post(client, path, {"reason": ""}).status_code == 400
    ended = _post(client, path, {"reason": "left the group"})
    assert ended.status_code == 200, ended.content
    assert ended.json()["end_reason"] == "left the group"
    assert _groups(client_for(officer), site).json()[0]["members"] == []
    actions = AuditEvent.objects.filter(action__startswith="group.member").order_by("seq")
    assert [e.action for e in actions] == ["group.member_add", "group.member_end"]


def test_a_membership_needs_its_basis(site, cleo, kisame, client_for):
    client = client_for(cleo)
    group_id = _create(client, site).json()["id"]
    response = _join(client, group_id, kisame, basis="  ")
    assert response.json()["extra"]["fields"] == {"basis": ["say how the membership is known."]}


def test_keep_separate_from_a_group_alerts_when_a_member_shares_the_cell(
    site, cleo, officer, kisame, client_for
):
    guy = _book(site, "Might", "Guy")
    for booking, bed in zip([kisame, guy], site.cells[0].beds.all(), strict=True):
        ready_for_bed(booking)
        bed_assign(actor=None, booking=booking, bed=bed)
    client = client_for(cleo)
    group_id = _create(client, site).json()["id"]
    separation = _post(client, "/separations", {
        "person_id": str(guy.person.public_id), "group_id": group_id, "scope": "cell",
        "reason": "Akatsuki put a price on his head",
    })  # fmt: skip
    assert separation.status_code == 201, separation.content
    assert separation.json()["group"]["code"] == "akatsuki"
    alerts_url = f"{API}/housing-alerts"
    facility = {"facility": str(site.facility.public_id)}
    assert client_for(officer).get(alerts_url, facility).json() == []
    # Recording Kisame as a member is what makes the shared cell unlawful.
    _join(client, group_id, kisame)
    alerts = client_for(officer).get(alerts_url, facility).json()
    assert sorted(a["booking_number"] for a in alerts) == sorted(
        [kisame.booking_number, guy.booking_number]
    )
    assert {a["cause"] for a in alerts} == {"member of Akatsuki"}


def test_an_officer_reads_groups_but_cannot_change_them(site, cleo, officer, kisame, client_for):
    group_id = _create(client_for(cleo), site).json()["id"]
    client = client_for(officer)
    assert _groups(client, site).status_code == 200
    assert _create(client, site, code="sound").status_code == 403
    assert _join(client, group_id, kisame).status_code == 403


def test_an_outsider_cannot_reach_our_groups_or_our_people(
    site, cleo, kisame, outsider, client_for
):
    client = client_for(cleo)
    group_id = _create(client, site).json()["id"]
    member_id = _join(client, group_id, kisame).json()["id"]
    stranger = client_for(outsider)
    assert _groups(stranger, site).status_code == 404
    assert _create(stranger, site, code="sound").status_code == 404
    assert _join(stranger, group_id, kisame).status_code == 404
    end = _post(stranger, f"/groups/{group_id}/members/{member_id}/end", {"reason": "mine"})
    assert end.status_code == 404
    assert GroupMembership.objects.get().ended_at is None


def test_members_held_elsewhere_are_not_named_to_us(
    site, other_site, cleo, outsider, kisame, client_for
):
    """The agency's groups are shared; the names of their members are not."""
    group_id = _create(client_for(cleo), site).json()["id"]
    _join(client_for(cleo), group_id, kisame)
    [group] = _groups(client_for(outsider), other_site).json()
    assert group["id"] == group_id
    assert group["members"] == []
