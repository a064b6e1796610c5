"""The access API: grants, doors (refused, then forced), zone rules and a cell's condition.

Replays case file 2 steps 3-4 (the ANBU captain at the lower level, then a
light in the cell) and case file 3 step 5 (Sakura's night visit on a grant).
"""

from __future__ import annotations

import pytest

from cellblock.core.roles import Role
from cellblock.custody.models import DoorEvent
from cellblock.facilities import services as fs
from cellblock.facilities.models import CellFeature
from cellblock.incidents.models import Incident

pytestmark = pytest.mark.django_db

API = "/api/custody"


def _post(client, path, payload=None):
    return client.post(path, payload or {}, content_type="application/json")


def _put(client, path, payload):
    return client.put(path, payload, content_type="application/json")


@pytest.fixture
def lower(site):
    zone = fs.zone_create(
        actor=None, facility=site.facility, code="LOW", name="Lower level", restricted=True
    )
    unit = fs.unit_create(actor=None, zone=zone, code="ISO", name="Isolation")
    return fs.cell_create(actor=None, unit=unit, code="ISO-1", beds=1, features=["iron-door"])


@pytest.fixture
def naruto(clock, hold, lower):
    return hold("Uzumaki", given_name="Naruto", born=None, bed=lower.beds.get())


@pytest.fixture
def hiroki(staff_factory):
    return staff_factory("hiroki", Role.OFFICER)


@pytest.fixture
def captain(staff_factory):
    return staff_factory("anbu_captain", Role.OFFICER)


@pytest.fixture
def sakura(staff_factory):
    return staff_factory("sakura", Role.MEDICAL)


def test_case_file_2_the_captain_is_refused_then_forced_in_then_fits_a_light(
    lower, naruto, hiroki, captain, commander, client_for
):
    escort = client_for(hiroki)
    door = {"cell": str(lower.public_id), "action": "open", "staff_passed": ["anbu_captain"]}
    refused = _post(escort, f"{API}/doors", door)
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "no_entry_grant"
    assert body["message"].startswith("Anbu Captain may not enter cell ISO-1 (Lower level)")
    assert body["extra"]["refused"][0]["staff"] == "anbu_captain"
    assert DoorEvent.objects.get().outcome == "denied"

    forced = _post(
        escort, f"{API}/doors", {**door, "forced": True, "note": "Went in over my protest."}
    )
    assert forced.status_code == 201, forced.content
    assert forced.json()["outcome"] == "forced"
    assert forced.json()["incident"] == "TST-INC-2026-0001"
    incident = Incident.objects.get()
    assert (incident.kind, incident.origin, incident.reviewed_at) == (
        "forced_entry", "automatic", None,
    )  # fmt: skip
    log = client_for(commander).get(f"{API}/doors").json()
    assert [e["outcome"] for e in log] == ["forced", "denied"]

    light = _put(
        client_for(captain), f"{API}/cells/{lower.public_id}/condition",
        {"tag": "lighting", "status": "working", "note": "lamp fitted"},
    )  # fmt: skip
    assert light.status_code == 200, light.content
    assert light.json()["status"] == "working"
    assert CellFeature.objects.get(cell=lower, tag="lighting").status == "working"


def test_case_file_3_shizune_grants_sakura_the_cell_and_hiroki_opens(
    site, clock, hold, staff_factory, sakura, hiroki, commander, client_for
):
    shizune = staff_factory("shizune", Role.SUPERVISOR, Role.MEDICAL)
    cell = site.cells[0]
    hold("Uchiha", given_name="Sasuke", born=None, bed=cell.beds.get(code="B1"))
    rules = _put(
        client_for(commander), f"{API}/zones/{site.zone.public_id}/access",
        {"roles": ["officer", "supervisor"]},
    )  # fmt: skip
    assert rules.json()["admits"] == "officer, supervisor"
    door = {"cell": str(cell.public_id), "action": "unlock", "staff_passed": ["sakura"]}
    assert _post(client_for(hiroki), f"{API}/doors", door).status_code == 403

    grant = _post(
        client_for(shizune), f"{API}/grants",
        {"staff": "sakura", "cell": str(cell.public_id), "valid_until": "2026-03-14T13:00:00Z",
         "reason": "treat his facial wounds"},
    )  # fmt: skip
    assert grant.status_code == 201, grant.content
    assert grant.json()["place"]["label"] == "Block A / A1-1"
    unlocked = _post(client_for(hiroki), f"{API}/doors", door)
    assert unlocked.status_code == 201, unlocked.content
    assert unlocked.json()["grant"] == grant.json()["id"]
    assert unlocked.json()["outcome"] == "allowed"
    closed = _post(client_for(hiroki), f"{API}/doors", {**door, "action": "close"})
    assert closed.json()["staff_passed"] == ["sakura"]

    listed = client_for(hiroki).get(f"{API}/grants").json()
    assert [g["staff"] for g in listed] == ["sakura"]
    revoked = _post(client_for(shizune), f"{API}/grants/{grant.json()['id']}/revoke")
    assert revoked.json()["revoked_by"] == "shizune"
    assert client_for(hiroki).get(f"{API}/grants").json() == []


def test_a_grant_names_exactly_one_place_and_known_staff(site, lower, supervisor, client_for):
    client = client_for(supervisor)
    both = _post(
        client, f"{API}/grants",
        {"staff": "sam_supervisor", "cell": str(lower.public_id), "zone": str(site.zone.public_id),
         "valid_until": "2026-03-14T13:00:00Z", "reason": "x"},
    )  # fmt: skip
    assert both.status_code == 400
    assert "place" in both.json()["extra"]["fields"]
    nobody = _post(
        client, f"{API}/grants",
        {"staff": "ghost", "zone": str(site.zone.public_id), "valid_until": "2026-03-14T13:00:00Z",
         "reason": "x"},
    )  # fmt: skip
    assert nobody.status_code == 400
    assert "staff" in nobody.json()["extra"]["fields"]


def test_officers_cannot_grant_and_clerks_cannot_log_doors(site, officer, visits_clerk, client_for):
    grant = _post(
        client_for(officer), f"{API}/grants",
        {"staff": "olly_officer", "zone": str(site.zone.public_id),
         "valid_until": "2026-03-14T13:00:00Z", "reason": "x"},
    )  # fmt: skip
    assert grant.status_code == 403
    door = _post(
        client_for(visits_clerk), f"{API}/doors",
        {"cell": str(site.cells[0].public_id), "action": "open"},
    )  # fmt: skip
    assert door.status_code == 403


def test_another_facilitys_doors_and_cells_are_not_found(site, outsider, client_for):
    stranger = client_for(outsider)
    door = _post(stranger, f"{API}/doors", {"cell": str(site.cells[0].public_id), "action": "open"})
    assert door.status_code == 404
    condition = _put(
        stranger, f"{API}/cells/{site.cells[0].public_id}/condition",
        {"tag": "lighting", "status": "compromised", "note": "x"},
    )  # fmt: skip
    assert condition.status_code == 404
    assert (
        stranger.get(f"{API}/doors", {"facility": str(site.facility.public_id)}).status_code == 404
    )


def test_the_zone_rules_are_listed(site, lower, officer, client_for):
    rules = client_for(officer).get(f"{API}/zones").json()
    assert [(r["zone"]["code"], r["restricted"], r["admits"]) for r in rules] == [
        ("A", False, "commander, medical, officer, supervisor"),
        ("LOW", True, "nobody without a grant"),
    ]
