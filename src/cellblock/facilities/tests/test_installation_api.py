"""Installation administrators (superusers) open agencies and facilities through the API."""

import pytest

from cellblock.accounts.models import User
from cellblock.audit.models import AuditEvent
from cellblock.facilities.models import Facility, FacilityPolicy

pytestmark = pytest.mark.django_db

ADMIN = {"username": "records", "full_name": "Records Office", "password": "a-long-pass-phrase-9"}


@pytest.fixture
def root():
    return User.objects.create_superuser("root", "root@example.org", "root-pass-phrase-9")


def _post(client, path, payload):
    return client.post(path, payload, content_type="application/json")


def _agency(client) -> str:
    response = _post(client, "/api/facilities/agencies", {"code": "NORTH", "name": "North"})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_a_superuser_opens_a_facility_whose_first_administrator_then_configures_it(
    root, client_for
):
    installer = client_for(root)
    response = _post(installer, "/api/facilities/", {
        "agency": _agency(installer), "code": "NJ", "name": "North Jail",
        "timezone": "Europe/Oslo", "policy": {"visit_length_minutes": 20},
        "administrator": ADMIN,
    })  # fmt: skip
    assert response.status_code == 201, response.content
    opened = response.json()
    assert (opened["code"], opened["agency"], opened["timezone"]) == ("NJ", "North", "Europe/Oslo")
    facility = Facility.objects.get(code="NJ")
    assert FacilityPolicy.objects.get(facility=facility).visit_length_minutes == 20
    records = User.objects.get(username="records")
    assert records.roles_at(facility.pk) == frozenset({"admin"})
    # The administrator takes it from there; the superuser's roles are none.
    zone = _post(client_for(records), f"/api/facilities/{opened['id']}/zones",
                 {"code": "A", "name": "Block A"})  # fmt: skip
    assert zone.status_code == 201, zone.content
    actions = set(AuditEvent.objects.filter(actor=root).values_list("action", flat=True))
    assert {"agency.create", "facility.create", "membership.grant"} <= actions


def test_a_commander_cannot_open_a_facility(site, commander, client_for):
    response = _post(client_for(commander), "/api/facilities/agencies",
                     {"code": "SOUTH", "name": "South"})  # fmt: skip
    assert response.status_code == 403
    assert response.json()["code"] == "installation_only"


def test_an_unknown_policy_setting_is_named_and_nothing_is_created(root, client_for):
    installer = client_for(root)
    response = _post(installer, "/api/facilities/", {
        "agency": _agency(installer), "code": "NJ", "name": "North Jail",
        "policy": {"visit_minutes": 20}, "administrator": ADMIN,
    })  # fmt: skip
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {
        "policy": ["'visit_minutes' is not a policy setting."]
    }
    assert not Facility.objects.exists()


def test_a_refused_administrator_leaves_no_facility_behind(root, client_for):
    installer = client_for(root)
    response = _post(installer, "/api/facilities/", {
        "agency": _agency(installer), "code": "NJ", "name": "North Jail",
        "administrator": {**ADMIN, "password": "short"},
    })  # fmt: skip
    assert response.status_code == 400, response.content
    assert "password" in response.json()["extra"]["fields"]
    assert not Facility.objects.exists()
    assert not User.objects.filter(username="records").exists()
