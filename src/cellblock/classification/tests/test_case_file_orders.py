"""SCENARIOS.md case files 1 and 3 (and Naruto's flag): orders and flags through the API only.

Case file 1: Kakashi, remanded by Tsunade's verdict, is an elite shinobi
(containment ``chakra-suppression``, escape risk) under a no-contact order
protecting Sakura, a minor outside.  Case file 3: Sasuke (16) is a juvenile by
his date of birth, held for the attempted murder of Sakura, who works on the
medical staff (a staff-victim conflict), and will not eat sweets.  Naruto
(10) is a juvenile and dangerous to others.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.conftest import build_facility, make_staff
from cellblock.core.roles import Role

pytestmark = pytest.mark.django_db

# The demo's "now": all three case files are current.
NOW = dt.datetime(2026, 3, 14, 9, 0, tzinfo=dt.UTC)
API = "/api/classification"
KAKASHI_DOCKET = "KNH-CR-2026-0042"
SASUKE_DOCKET = "KNH-CR-2026-0051"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def konoha(db):
    return build_facility("KNH", "Konoha Prison")


@pytest.fixture
def tsunade(konoha):
    return make_staff("tsunade", konoha.facility, Role.COMMANDER)


@pytest.fixture
def sakura_staff(konoha):
    return make_staff("sakura", konoha.facility, Role.MEDICAL)


@pytest.fixture
def hiroki(konoha):
    return make_staff("hiroki", konoha.facility, Role.OFFICER)


@pytest.fixture
def hokage(tsunade, client_for):
    return client_for(tsunade)


def _post(client, path, payload):
    response = client.post(path, payload, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def _book(client, konoha, person, *, source, legal_status, charge):
    return _post(client, "/api/bookings/", {
        "facility": str(konoha.facility.public_id), "source": source,
        "legal_status": legal_status, "person": person, "charges": [charge],
    })  # fmt: skip


def _flag(client, booking, kind, reason, detail=""):
    return _post(
        client, f"{API}/bookings/{booking['booking_number']}/flags",
        {"kind": kind, "detail": detail, "reason": reason},
    )  # fmt: skip


def _flags(client, booking):
    response = client.get(f"{API}/bookings/{booking['booking_number']}/flags")
    assert response.status_code == 200
    return {(f["kind"], f["detail"]): f for f in response.json()}


def _orders(client, booking):
    response = client.get(f"{API}/people/{booking['person']['id']}/orders")
    assert response.status_code == 200
    return response.json()


def _events(*actions):
    """(action, actor, what): a booking by its number, anything else by its public id."""
    return [
        (e.action, e.actor_username,
         e.object_label if e.object_type == "booking.booking" else e.object_id)
        for e in AuditEvent.objects.filter(action__in=actions).order_by("seq")
    ]  # fmt: skip


@pytest.fixture
def kakashi(hokage, konoha):
    return _book(
        hokage, konoha,
        {"given_name": "Kakashi", "family_name": "Hatake", "date_of_birth": "1995-09-15",
         "sex": "male"},
        source="court_remand", legal_status="sentenced",
        charge={"statute": "KNH-PC 3-12", "description": "Offence against a minor",
                "severity": "felony", "case_number": KAKASHI_DOCKET},
    )  # fmt: skip


def test_case_file_1_kakashi_under_containment_and_a_no_contact_order(
    konoha, hokage, hiroki, kakashi, client_for
):
    containment = _flag(hokage, kakashi, "containment", "Elite shinobi: chakra must be suppressed.",
                        detail="chakra-suppression")  # fmt: skip
    escape = _flag(hokage, kakashi, "escape_risk", "Jounin with escape training.")
    order = _post(hokage, f"{API}/protective-orders", {
        "person_id": kakashi["person"]["id"],
        "protected_person": {"given_name": "Sakura", "family_name": "Haruno",
                             "date_of_birth": "2009-03-28", "sex": "female"},
        "protected_role": "protected_party", "source": "court_order", "scope": "all_contact",
        "issued_by": "Tsunade, Fifth Hokage, presiding", "reference": KAKASHI_DOCKET,
        "reason": "Verdict: no contact with the protected party.",
    })  # fmt: skip

    assert (order["source"], order["scope"], order["status"]) == (
        "court_order", "all_contact", "active",
    )  # fmt: skip
    assert (order["issued_by"], order["reference"]) == (
        "Tsunade, Fifth Hokage, presiding", KAKASHI_DOCKET,
    )  # fmt: skip
    assert order["protected_person"]["given_name"] == "Sakura"
    assert order["expires_at"] is None

    # Any officer on the floor sees what applies to him.
    officer = client_for(hiroki)
    flags = _flags(officer, kakashi)
    assert set(flags) == {("containment", "chakra-suppression"), ("escape_risk", "")}
    assert {(f["origin"], f["set_by"]) for f in flags.values()} == {("staff", "tsunade")}
    [listed] = _orders(officer, kakashi)["protective"]
    assert (listed["id"], listed["protected_role"]) == (order["id"], "protected_party")
    assert _orders(officer, kakashi)["separations"] == []
    # Sakura is on record as a person outside: recorded with the order, never booked.
    held = officer.get("/api/bookings/").json()
    assert [b["person"]["given_name"] for b in held] == ["Kakashi"]
    # ... and an officer may read orders but not write them.
    refused = officer.post(
        f"{API}/bookings/{kakashi['booking_number']}/flags",
        {"kind": "dangerous", "reason": "dented a bar"}, content_type="application/json",
    )  # fmt: skip
    assert refused.status_code == 403

    assert _events("booking.open", "protective_order.create", "flag.set") == [
        ("booking.open", "tsunade", kakashi["booking_number"]),
        ("flag.set", "tsunade", containment["id"]),
        ("flag.set", "tsunade", escape["id"]),
        ("protective_order.create", "tsunade", order["id"]),
    ]
    created = AuditEvent.objects.get(action="protective_order.create")
    assert created.changes["reference"] == KAKASHI_DOCKET
    assert created.changes["protected_person"] == order["protected_person"]["id"]
    assert AuditEvent.objects.filter(action="person.create", actor_username="tsunade").count() == 2


def test_case_file_3_sasuke_a_juvenile_in_conflict_with_staff_who_eats_no_sweets(
    konoha, hokage, hiroki, sakura_staff, client_for
):
    sasuke = _book(
        hokage, konoha,
        {"given_name": "Sasuke", "family_name": "Uchiha", "date_of_birth": "2009-07-23",
         "sex": "male"},
        source="arrest", legal_status="pretrial",
        charge={"statute": "KNH-PC 1-2", "description": "Attempted murder of Sakura Haruno",
                "severity": "felony", "case_number": SASUKE_DOCKET},
    )  # fmt: skip
    conflict = _post(hokage, f"{API}/staff-conflicts", {
        "person_id": sasuke["person"]["id"], "staff": "sakura", "kind": "alleged_victim",
        "reason": f"Alleged victim of the attempted murder he is held for ({SASUKE_DOCKET}).",
    })  # fmt: skip
    diet = _flag(hokage, sasuke, "diet", "Will not eat sweets.", detail="no sweets")

    assert (conflict["staff"], conflict["kind"], conflict["status"]) == (
        "sakura", "alleged_victim", "active",
    )  # fmt: skip
    officer = client_for(hiroki)
    flags = _flags(officer, sasuke)
    assert set(flags) == {("juvenile", ""), ("diet", "no sweets")}
    juvenile = flags[("juvenile", "")]
    # Derived from his date of birth, and lifted on its own at midnight of his 18th birthday.
    assert juvenile["origin"] == "date_of_birth"
    assert juvenile["reason"] == "Under 18: born 2009-07-23."
    assert juvenile["until"] == "2027-07-23T00:00:00Z"
    assert flags[("diet", "no sweets")]["origin"] == "staff"
    [listed] = _orders(officer, sasuke)["staff_conflicts"]
    assert listed["id"] == conflict["id"]

    assert _events("booking.open", "staff_conflict.create", "flag.set") == [
        ("booking.open", "tsunade", sasuke["booking_number"]),
        ("flag.set", "tsunade", juvenile["id"]),
        ("staff_conflict.create", "tsunade", conflict["id"]),
        ("flag.set", "tsunade", diet["id"]),
    ]
    derived = AuditEvent.objects.get(object_id=juvenile["id"])
    assert (derived.changes["kind"], derived.changes["origin"]) == ("juvenile", "date_of_birth")
    recorded = AuditEvent.objects.get(action="staff_conflict.create")
    assert (recorded.changes["staff"], recorded.changes["kind"]) == ("sakura", "alleged_victim")


def test_case_file_2_naruto_a_juvenile_dangerous_to_others(konoha, hokage, hiroki, client_for):
    naruto = _book(
        hokage, konoha,
        {"given_name": "Naruto", "family_name": "Uzumaki", "date_of_birth": "2015-10-10",
         "sex": "male"},
        source="arrest", legal_status="pretrial",
        charge={"statute": "KNH-PC 1-2", "description": "Attempted killing of villagers",
                "severity": "felony", "case_number": "KNH-CR-2026-0007"},
    )  # fmt: skip
    dangerous = _flag(hokage, naruto, "dangerous", "Attacked villagers with the fox's chakra.")

    flags = _flags(client_for(hiroki), naruto)
    assert set(flags) == {("juvenile", ""), ("dangerous", "")}
    assert (flags[("juvenile", "")]["origin"], flags[("juvenile", "")]["until"]) == (
        "date_of_birth", "2033-10-10T00:00:00Z",
    )  # fmt: skip
    assert (flags[("dangerous", "")]["set_by"], flags[("dangerous", "")]["origin"]) == (
        "tsunade", "staff",
    )  # fmt: skip
    assert _events("flag.set") == [
        ("flag.set", "tsunade", flags[("juvenile", "")]["id"]),
        ("flag.set", "tsunade", dangerous["id"]),
    ]
    # Nobody sets or lifts it by hand: it follows the date of birth.
    url = f"{API}/bookings/{naruto['booking_number']}/flags"
    again = hokage.post(url, {"kind": "juvenile", "reason": "he is ten"},
                        content_type="application/json")  # fmt: skip
    assert again.status_code == 400
    assert list(again.json()["extra"]["fields"]) == ["kind"]
    lift = hokage.post(f"{url}/{flags[('juvenile', '')]['id']}/lift", {"reason": "mature"},
                       content_type="application/json")  # fmt: skip
    assert (lift.status_code, lift.json()["code"]) == (409, "flag_derived")
