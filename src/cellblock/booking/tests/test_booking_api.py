import pytest
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


def test_a_booking_moves_from_intake_to_custody_to_release(site, commander, client_for):
    client = client_for(commander)
    number = _intake(client, site).json()["booking_number"]
    url = f"/api/bookings/{number}/transition"
    assert (
        client.post(url, {"to": "in_custody"}, content_type="application/json").status_code == 200
    )
    released = client.post(
        url, {"to": "released", "release_type": "bail"}, content_type="application/json"
    )
    assert released.status_code == 200
    assert released.json()["release_type"] == "bail"
    again = client.post(url, {"to": "in_custody"}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"


def test_a_release_without_a_release_type_names_the_field(site, commander, client_for):
    client = client_for(commander)
    number = _intake(client, site).json()["booking_number"]
    client.post(
        f"/api/bookings/{number}/transition", {"to": "in_custody"}, content_type="application/json"
    )
    response = client.post(
        f"/api/bookings/{number}/transition", {"to": "released"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "release_type" in response.json()["extra"]["fields"]


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
