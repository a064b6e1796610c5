import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking
from cellblock.booking.services import booking_open
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db


def _intake(client, site, **person):
    return client.post(
        "/api/bookings/",
        {
            "facility": str(site.facility.public_id),
            "source": "arrest",
            "person": {
                "given_name": "Kakashi",
                "family_name": "Hatake",
                "date_of_birth": "1996-09-15",
                "sex": "male",
                **person,
            },
        },
        content_type="application/json",
    )


def test_a_booking_clerk_books_a_new_person_and_gets_a_facility_year_number(
    site, booking_clerk, client_for
):
    response = _intake(client_for(booking_clerk), site)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["booking_number"].startswith("TST-")
    assert body["booking_number"].endswith("-000001")
    assert body["status"] == "intake"
    assert body["person"]["family_name"] == "Hatake"
    actions = list(AuditEvent.objects.values_list("action", flat=True).order_by("-seq")[:2])
    assert actions == ["booking.open", "person.create"]


def test_booking_numbers_follow_each_other(site, booking_clerk, client_for):
    client = client_for(booking_clerk)
    first = _intake(client, site).json()["booking_number"]
    second = _intake(client, site, given_name="Naruto", family_name="Uzumaki").json()[
        "booking_number"
    ]
    assert int(second.rsplit("-", 1)[1]) == int(first.rsplit("-", 1)[1]) + 1


def test_a_person_with_an_open_booking_cannot_be_booked_again(site, booking_clerk, client_for):
    client = client_for(booking_clerk)
    person_id = _intake(client, site).json()["person"]["id"]
    response = client.post(
        "/api/bookings/",
        {"facility": str(site.facility.public_id), "source": "warrant", "person_id": person_id},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_booked"


def test_the_database_refuses_a_second_open_booking_even_behind_the_service(site):
    person = person_create(actor=None, facility=site.facility, given_name="A", family_name="B")
    first = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            booking_number="X-1",
            person=person,
            facility=site.facility,
            source="arrest",
            booked_at=first.booked_at,
        )


def test_a_booking_moves_from_intake_to_custody_and_not_back(site, commander, client_for):
    client = client_for(commander)
    number = _intake(client, site).json()["booking_number"]
    url = f"/api/bookings/{number}/transition"
    held = client.post(url, {"to": "in_custody"}, content_type="application/json")
    assert held.status_code == 200
    assert held.json()["status"] == "in_custody"
    again = client.post(url, {"to": "in_custody"}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"


def test_a_release_is_sent_to_the_release_checklist_and_the_booking_stays_open(
    site, commander, client_for
):
    client = client_for(commander)
    number = _intake(client, site).json()["booking_number"]
    url = f"/api/bookings/{number}/transition"
    client.post(url, {"to": "in_custody"}, content_type="application/json")

    response = client.post(
        url, {"to": "released", "release_type": "bail"}, content_type="application/json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "release_needs_checklist"
    assert "POST /api/releases" in response.json()["message"]
    assert client.get(f"/api/bookings/{number}").json()["status"] == "in_custody"


def test_an_officer_cannot_open_a_booking(site, officer, client_for):
    assert _intake(client_for(officer), site).status_code == 403


def test_an_outsider_cannot_see_our_bookings(site, booking_clerk, outsider, client_for):
    number = _intake(client_for(booking_clerk), site).json()["booking_number"]
    response = client_for(outsider).get(f"/api/bookings/{number}")
    assert response.status_code == 404


def test_a_failed_booking_leaves_no_half_created_person(site, booking_clerk, client_for):
    client = client_for(booking_clerk)
    response = client.post(
        "/api/bookings/",
        {
            "facility": str(site.facility.public_id),
            "source": "arrest",
            "person": {"given_name": "", "family_name": ""},
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "family_name" in response.json()["extra"]["fields"]
    assert not Booking.objects.exists()


def test_an_unknown_source_is_refused_naming_the_field(site, booking_clerk, client_for):
    response = client_for(booking_clerk).post(
        "/api/bookings/",
        {
            "facility": str(site.facility.public_id),
            "source": "teleport",
            "person": {"given_name": "A", "family_name": "B"},
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "source" in response.json()["extra"]["fields"]


# --- Intake through the API, in full ------------------------------------------

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _full_intake(client, facility, **overrides):
    payload = {
        "facility": str(facility.public_id),
        "source": "warrant",
        "legal_status": "pretrial",
        "committing_authority": "Leaf Village Police",
        "authority_reference": "W-2026-118",
        "height_cm": 181,
        "weight_kg": 67,
        "eye_colour": "grey",
        "emergency_contact_name": "Gai Maito",
        "emergency_contact_phone": "+81 555 0101",
        "person": {
            "given_name": "Kakashi",
            "family_name": "Hatake",
            "date_of_birth": "1996-09-15",
            "sex": "male",
            "identifiers": {"village_registry": "KL-0915"},
        },
        "charges": [
            {"statute": "KL 12.1", "description": "Theft of scrolls", "severity": "felony"},
            {
                "statute": "KL 3.4",
                "description": "Trespass",
                "severity": "misdemeanour",
                "counts": 2,
                "case_number": "C-77",
            },
        ],
        **overrides,
    }
    return client.post("/api/bookings/", payload, content_type="application/json")


def test_an_intake_with_details_and_charges_returns_the_whole_booking(
    frozen, site, booking_clerk, client_for
):
    response = _full_intake(client_for(booking_clerk), site.facility)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["booking_number"] == "TST-2026-000001"
    assert body["facility"] == str(site.facility.public_id)
    assert body["status"] == "intake"
    assert body["source"] == "warrant"
    assert body["custody_level"] == ""
    assert body["housing"] is None
    assert body["flags"] == []
    assert body["committing_authority"] == "Leaf Village Police"
    assert body["height_cm"] == 181
    assert body["emergency_contact_name"] == "Gai Maito"
    assert body["person"]["identifiers"] == {"village_registry": "KL-0915"}
    assert [(c["statute"], c["severity"], c["counts"]) for c in body["charges"]] == [
        ("KL 12.1", "felony", 1),
        ("KL 3.4", "misdemeanour", 2),
    ]


def test_a_new_booking_shows_its_seven_steps_open_or_pending(
    frozen, site, booking_clerk, client_for
):
    body = _full_intake(client_for(booking_clerk), site.facility).json()
    states = {step["step"]: step["state"] for step in body["checklist"]}
    assert states == {
        "identity": "open",
        "charges": "open",
        "property": "open",
        "housing": "open",
        "medical_screening": "open",
        "classification": "open",
        "prea_screening": "open",
    }
    due = {step["step"]: dt.datetime.fromisoformat(step["due_at"]) for step in body["checklist"]}
    assert due["identity"] == NOW + dt.timedelta(hours=8)
    assert due["classification"] == NOW + dt.timedelta(hours=48)
    assert due["prea_screening"] == NOW + dt.timedelta(hours=72)
    owners = {step["step"]: step["owner"] for step in body["checklist"]}
    assert owners["housing"] == "Housing"
    assert owners["identity"] == "Booking"


def test_an_intake_stores_the_charges_and_audits_every_write_by_the_clerk(
    frozen, site, booking_clerk, client_for
):
    _full_intake(client_for(booking_clerk), site.facility)
    booking = Booking.objects.get()
    assert booking.charges.count() == 2
    assert booking.booked_by == booking_clerk
    events = list(
        AuditEvent.objects.filter(action__in=["person.create", "booking.open", "charge.add"])
    )
    assert [event.action for event in events] == [
        "person.create",
        "booking.open",
        "charge.add",
        "charge.add",
    ]
    assert {event.actor_username for event in events} == {"bea_booking"}
    assert {event.facility_id for event in events if event.action != "person.create"} == {
        site.facility.pk
    }


def test_booking_numbers_are_unique_and_sequential_per_facility(
    frozen, site, other_site, booking_clerk, outsider, client_for
):
    ours, theirs = client_for(booking_clerk), client_for(outsider)
    numbers = []
    for n, (client, facility) in enumerate(
        [(ours, site.facility), (theirs, other_site.facility)] * 3
    ):
        person = {"given_name": f"Genin{n}", "family_name": "Leaf", "sex": "unknown"}
        response = _full_intake(client, facility, person=person, charges=[])
        assert response.status_code == 201, response.content
        numbers.append(response.json()["booking_number"])
    assert numbers == [
        "TST-2026-000001",
        "OTH-2026-000001",
        "TST-2026-000002",
        "OTH-2026-000002",
        "TST-2026-000003",
        "OTH-2026-000003",
    ]
    assert len(set(Booking.objects.values_list("booking_number", flat=True))) == 6


def test_a_booking_is_read_back_by_its_number_in_any_case(frozen, site, booking_clerk, client_for):
    client = client_for(booking_clerk)
    _full_intake(client, site.facility)
    response = client.get("/api/bookings/tst-2026-000001")
    assert response.status_code == 200
    assert response.json()["booking_number"] == "TST-2026-000001"


def test_an_officer_reads_a_booking_but_cannot_correct_it(
    frozen, site, booking_clerk, officer, client_for
):
    _full_intake(client_for(booking_clerk), site.facility)
    client = client_for(officer)
    assert client.get("/api/bookings/TST-2026-000001").status_code == 200
    response = client.patch(
        "/api/bookings/TST-2026-000001", {"build": "slim"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_a_clerk_corrects_the_details_and_the_audit_keeps_old_and_new(
    frozen, site, booking_clerk, client_for
):
    client = client_for(booking_clerk)
    _full_intake(client, site.facility)
    response = client.patch(
        "/api/bookings/TST-2026-000001",
        {"eye_colour": "dark grey", "legal_status": "hold"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["eye_colour"] == "dark grey"
    assert response.json()["legal_status"] == "hold"
    event = AuditEvent.objects.get(action="booking.update")
    assert event.changes == {
        "eye_colour": ["grey", "dark grey"],
        "legal_status": ["pretrial", "hold"],
    }


def test_confirming_identity_completes_the_step_with_the_method(
    frozen, site, booking_clerk, client_for
):
    client = client_for(booking_clerk)
    _full_intake(client, site.facility)
    response = client.post(
        "/api/bookings/TST-2026-000001/checklist/identity",
        {"method": "village registry card"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    identity = next(step for step in response.json() if step["step"] == "identity")
    assert identity["state"] == "done"
    assert identity["completed_by"] == "bea_booking"
    assert identity["note"] == "village registry card"


def test_confirming_identity_without_saying_how_is_refused(frozen, site, booking_clerk, client_for):
    client = client_for(booking_clerk)
    _full_intake(client, site.facility)
    response = client.post(
        "/api/bookings/TST-2026-000001/checklist/identity",
        {"method": "  "},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "method" in response.json()["extra"]["fields"]


def test_an_unknown_booking_number_is_not_found(site, booking_clerk, client_for):
    response = client_for(booking_clerk).get("/api/bookings/TST-2026-999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_outsider_cannot_book_into_our_facility(frozen, site, outsider, client_for):
    response = _full_intake(client_for(outsider), site.facility)
    assert response.status_code == 404
    assert not Booking.objects.exists()


def test_an_anonymous_caller_is_asked_to_sign_in(site):
    from django.test import Client

    response = Client().get("/api/bookings/roster", {"facility": str(site.facility.public_id)})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_corrected_date_of_birth_makes_a_minor_of_the_person_with_the_flag_to_match(
    frozen, site, booking_clerk, client_for
):
    client = client_for(booking_clerk)
    number = _full_intake(client, site.facility).json()["booking_number"]
    url = f"/api/bookings/{number}/date-of-birth"

    refused = client.post(url, {"date_of_birth": "2012-01-01", "reason": ""},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 400
    assert set(refused.json()["extra"]["fields"]) == {"reason"}

    response = client.post(
        url, {"date_of_birth": "2012-01-01", "reason": "Birth certificate"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["person"]["date_of_birth"] == "2012-01-01"
    flags = client.get(f"/api/classification/bookings/{number}/flags").json()
    assert [(f["kind"], f["origin"]) for f in flags] == [("juvenile", "date_of_birth")]
