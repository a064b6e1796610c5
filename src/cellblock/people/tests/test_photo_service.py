"""Booking photos: stored by their SHA-256 with a thumbnail, and only sound JPEGs and PNGs."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random

import pytest
import time_machine
from django.core.files.storage import default_storage
from PIL import Image

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.people.models import PersonPhoto
from cellblock.people.services import (
    PHOTO_DENIED,
    PHOTO_NOT_AN_IMAGE,
    PHOTO_TOO_MANY_PIXELS,
    person_create,
    person_photo_add,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def booking(site):
    person = person_create(actor=None, facility=None, given_name="Hinata", family_name="Hyuga")
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


def _image(fmt, size=(600, 800), seed=1):
    # Seeded noise: the same bytes on every run.
    noise = random.Random(seed).randbytes(size[0] * size[1] * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", size, noise).save(out, format=fmt)
    return out.getvalue()


def _add(actor, booking, content):
    return person_photo_add(actor=actor, person=booking.person, content=content, booking=booking)


def _files(media):
    return sorted(path for path in media.rglob("*") if path.is_file())


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg")],
)
def test_a_photo_is_stored_under_its_sha256_with_its_size(
    booking, booking_clerk, fmt, content_type, extension
):
    content = _image(fmt)
    photo = _add(booking_clerk, booking, content)
    digest = hashlib.sha256(content).hexdigest()
    assert photo.sha256 == digest
    assert photo.content_type == content_type
    assert (photo.width, photo.height, photo.byte_size) == (600, 800, len(content))
    assert photo.image.name == f"photos/{digest[:2]}/{digest}.{extension}"
    with default_storage.open(photo.image.name) as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == digest
    assert (photo.taken_at, photo.taken_by, photo.booking) == (NOW, booking_clerk, booking)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_photo_gets_a_jpeg_thumbnail_within_the_configured_size(
    booking, booking_clerk, settings, fmt
):
    photo = _add(booking_clerk, booking, _image(fmt))
    assert default_storage.exists(photo.thumbnail.name)
    with default_storage.open(photo.thumbnail.name) as stored, Image.open(stored) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert max(thumbnail.size) <= settings.CELLBLOCK_PHOTO_THUMBNAIL_PX
        # The aspect ratio is kept: 600 x 800 becomes 180 x 240.
        assert thumbnail.size == (180, 240)


def test_adding_a_photo_is_audited(booking, booking_clerk):
    content = _image("JPEG")
    photo = _add(booking_clerk, booking, content)
    event = AuditEvent.objects.get(action="person.photo_add")
    assert event.actor_username == "bea_booking"
    assert event.object_id == str(photo.public_id)
    assert event.changes == {
        "person": str(booking.person.public_id),
        "sha256": hashlib.sha256(content).hexdigest(),
        "content_type": "image/jpeg",
        "bytes": len(content),
        "booking": booking.booking_number,
    }


def test_the_same_photo_twice_for_one_person_is_refused(booking, booking_clerk):
    content = _image("PNG")
    first = _add(booking_clerk, booking, content)
    with pytest.raises(Conflict) as refused:
        _add(booking_clerk, booking, content)
    assert refused.value.code == "photo_duplicate"
    assert refused.value.extra == {"photo_id": str(first.public_id)}
    assert PersonPhoto.objects.count() == 1


def test_two_people_may_share_a_file_without_storing_it_twice(site, booking, booking_clerk, media):
    content = _image("PNG")
    _add(booking_clerk, booking, content)
    twin = person_create(actor=None, facility=None, given_name="Hanabi", family_name="Hyuga")
    person_photo_add(actor=booking_clerk, person=twin, content=content, facility=site.facility)
    assert PersonPhoto.objects.count() == 2
    # One image and one thumbnail, whoever they belong to.
    assert len(_files(media)) == 2


def test_a_truncated_png_is_refused_and_nothing_is_stored(booking, booking_clerk, media):
    content = _image("PNG")
    with pytest.raises(ValidationFailed) as refused:
        _add(booking_clerk, booking, content[: len(content) // 2])
    assert refused.value.extra["fields"] == {"photo": [PHOTO_NOT_AN_IMAGE]}
    assert not PersonPhoto.objects.exists()
    assert _files(media) == []


def test_a_truncated_jpeg_is_refused(booking, booking_clerk):
    content = _image("JPEG")
    with pytest.raises(ValidationFailed):
        _add(booking_clerk, booking, content[: len(content) // 3])


def test_random_bytes_are_refused(booking, booking_clerk):
    with pytest.raises(ValidationFailed) as refused:
        _add(booking_clerk, booking, random.Random(3).randbytes(4000))
    assert refused.value.extra["fields"] == {"photo": [PHOTO_NOT_AN_IMAGE]}


def test_a_photo_with_too_many_pixels_is_refused(booking, booking_clerk, settings):
    settings.CELLBLOCK_PHOTO_MAX_PIXELS = 1000
    with pytest.raises(ValidationFailed) as refused:
        _add(booking_clerk, booking, _image("PNG", size=(40, 30)))
    assert refused.value.extra["fields"] == {
        "photo": [PHOTO_TOO_MANY_PIXELS.format(width=40, height=30, limit=1000)]
    }


def test_an_officer_cannot_take_booking_photos(booking, officer, media):
    with pytest.raises(PermissionDenied) as refused:
        _add(officer, booking, _image("JPEG"))
    assert refused.value.message == PHOTO_DENIED
    assert _files(media) == []


def test_a_booking_clerk_of_another_facility_cannot_take_our_photos(
    booking, other_site, staff_factory
):
    from cellblock.core.roles import Role

    stranger = staff_factory("ben_elsewhere", Role.BOOKING, facility=other_site.facility)
    with pytest.raises(PermissionDenied):
        _add(stranger, booking, _image("JPEG"))


def test_an_upload_through_the_api_answers_the_stored_photo(booking, booking_clerk, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = _image("PNG", size=(120, 160))
    response = client_for(booking_clerk).post(
        f"/api/bookings/{booking.booking_number}/photo",
        {"photo": SimpleUploadedFile("front.png", content, content_type="image/png")},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert (body["width"], body["height"], body["byte_size"]) == (120, 160, len(content))


def test_an_outsider_cannot_upload_a_photo_to_our_booking(booking, outsider, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(outsider).post(
        f"/api/bookings/{booking.booking_number}/photo",
        {"photo": SimpleUploadedFile("x.jpg", _image("JPEG"), content_type="image/jpeg")},
    )
    assert response.status_code == 404
    assert not PersonPhoto.objects.exists()
