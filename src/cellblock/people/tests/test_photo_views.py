"""Booking photos and thumbnails: streamed only to staff who may see the person."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from cellblock.booking.services import booking_open
from cellblock.people.services import person_create, person_photo_add

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), (250, 140, 0)).save(out, format="PNG")
    return out.getvalue()


def photo_of_someone_booked_at(facility, content=None):
    person = person_create(
        actor=None, facility=facility, given_name="Naruto", family_name="Uzumaki"
    )
    booking = booking_open(actor=None, facility=facility, person=person, source="arrest")
    return person_photo_add(actor=None, person=person, content=content or png(), booking=booking)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_url_names(site):
    photo_id = uuid.uuid4()
    assert reverse("people:photo", args=[photo_id]) == f"/people/photos/{photo_id}/"
    assert reverse("people:thumbnail", args=[photo_id]) == f"/people/photos/{photo_id}/thumbnail/"


def test_an_officer_gets_the_photo_as_stored(site, officer, client_for):
    content = png()
    photo = photo_of_someone_booked_at(site.facility, content)
    response = client_for(officer).get(reverse("people:photo", args=[photo.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response) == content


def test_the_thumbnail_is_a_small_jpeg(site, officer, client_for):
    photo = photo_of_someone_booked_at(site.facility)
    response = client_for(officer).get(reverse("people:thumbnail", args=[photo.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(body(response))) as image:
        assert image.format == "JPEG"
        assert max(image.size) <= 240


@pytest.mark.parametrize("name", ["people:photo", "people:thumbnail"])
def test_an_outsider_gets_not_found(site, outsider, client_for, name):
    photo = photo_of_someone_booked_at(site.facility)
    response = client_for(outsider).get(reverse(name, args=[photo.public_id]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["people:photo", "people:thumbnail"])
def test_a_person_booked_only_elsewhere_is_not_ours_to_see(
    site, other_site, officer, client_for, name
):
    photo = photo_of_someone_booked_at(other_site.facility)
    assert client_for(officer).get(reverse(name, args=[photo.public_id])).status_code == 404


@pytest.mark.parametrize("name", ["people:photo", "people:thumbnail"])
def test_an_administrator_without_person_view_is_refused(site, admin_user, client_for, name):
    photo = photo_of_someone_booked_at(site.facility)
    assert client_for(admin_user).get(reverse(name, args=[photo.public_id])).status_code == 403


def test_an_unknown_photo_is_not_found(site, officer, client_for):
    response = client_for(officer).get(reverse("people:photo", args=[uuid.uuid4()]))
    assert response.status_code == 404


def test_someone_signed_out_is_sent_to_sign_in(client, site):
    photo = photo_of_someone_booked_at(site.facility)
    response = client.get(reverse("people:photo", args=[photo.public_id]))
    assert response.status_code == 302
    assert "/accounts/login" in response["Location"]


def test_a_file_missing_from_storage_is_not_found(site, officer, client_for):
    photo = photo_of_someone_booked_at(site.facility)
    default_storage.delete(photo.image.name)
    response = client_for(officer).get(reverse("people:photo", args=[photo.public_id]))
    assert response.status_code == 404
