"""Reading people through the API: only those booked at your facilities."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from PIL import Image

from cellblock.booking.services import booking_open
from cellblock.people.services import person_create, person_photo_add

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _booked(facility, given, family, **kwargs):
    person = person_create(
        actor=None, facility=None, given_name=given, family_name=family, **kwargs
    )
    booking_open(actor=None, facility=facility, person=person, source="arrest")
    return person


def _png(colour):
    out = io.BytesIO()
    Image.new("RGB", (30, 40), colour).save(out, format="PNG")
    return out.getvalue()


def _names(response):
    assert response.status_code == 200, response.content
    return sorted(f"{p['given_name']} {p['family_name']}" for p in response.json())


def test_an_officer_lists_the_people_booked_at_the_facility(site, other_site, officer, client_for):
    _booked(site.facility, "Shikamaru", "Nara")
    _booked(site.facility, "Chōji", "Akimichi")
    _booked(other_site.facility, "Gaara", "Sabaku")
    person_create(actor=None, facility=None, given_name="Never", family_name="Booked")
    response = client_for(officer).get("/api/people/")
    assert _names(response) == ["Chōji Akimichi", "Shikamaru Nara"]


def test_the_people_list_finds_names_without_accents_or_case(site, officer, client_for):
    _booked(site.facility, "Chōji", "Akimichi")
    _booked(site.facility, "Shikamaru", "Nara")
    client = client_for(officer)
    assert _names(client.get("/api/people/", {"q": "CHOJI"})) == ["Chōji Akimichi"]
    assert _names(client.get("/api/people/", {"q": "akimichi choji"})) == ["Chōji Akimichi"]
    assert _names(client.get("/api/people/", {"q": "nara akimichi"})) == []


def test_a_person_is_read_with_the_identifiers(site, officer, client_for):
    person = _booked(
        site.facility, "Ino", "Yamanaka", date_of_birth=dt.date(1996, 9, 23),
        identifiers={"village_registry": "KL-0923", "passport": "P 555"},
    )  # fmt: skip
    response = client_for(officer).get(f"/api/people/{person.public_id}")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(person.public_id),
        "given_name": "Ino",
        "family_name": "Yamanaka",
        "date_of_birth": "1996-09-23",
        "sex": "unknown",
        "identifiers": {"passport": "P 555", "village_registry": "KL-0923"},
    }


def test_an_outsider_gets_not_found_for_our_people(site, outsider, client_for):
    person = _booked(site.facility, "Ino", "Yamanaka")
    client = client_for(outsider)
    assert client.get(f"/api/people/{person.public_id}").status_code == 404
    assert client.get(f"/api/people/{person.public_id}/photos").status_code == 404
    assert _names(client.get("/api/people/")) == []


def test_a_person_never_booked_here_is_not_found(site, officer, client_for):
    stranger = person_create(actor=None, facility=None, given_name="Never", family_name="Booked")
    assert client_for(officer).get(f"/api/people/{stranger.public_id}").status_code == 404


def test_an_administrator_does_not_read_people(site, admin_user, client_for):
    person = _booked(site.facility, "Ino", "Yamanaka")
    response = client_for(admin_user).get(f"/api/people/{person.public_id}")
    assert response.status_code == 403


def test_a_person_s_photos_are_listed_newest_first(site, booking_clerk, officer, client_for):
    person = _booked(site.facility, "Sai", "Yamanaka")
    with time_machine.travel(NOW, tick=False):
        first = person_photo_add(
            actor=booking_clerk, person=person, content=_png("red"), facility=site.facility
        )
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        second = person_photo_add(
            actor=booking_clerk, person=person, content=_png("blue"), facility=site.facility
        )
    response = client_for(officer).get(f"/api/people/{person.public_id}/photos")
    assert response.status_code == 200
    assert [photo["id"] for photo in response.json()] == [
        str(second.public_id),
        str(first.public_id),
    ]


def test_the_people_list_costs_the_same_queries_for_few_and_many(
    site, officer, client_for, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(officer)
    for n in range(3):
        _booked(site.facility, f"Few{n}", "Leaf", identifiers={"other": f"F{n}"})
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/people/").json()) == 3
    for n in range(20):
        _booked(site.facility, f"Many{n}", "Leaf", identifiers={"other": f"M{n}"})
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/people/").json()) == 23
