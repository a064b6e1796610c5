"""Bad input at intake: each refusal names the field and the rule, and writes nothing."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking, BookingSequence, Charge, IntakeStep
from cellblock.booking.services import (
    BOOKED_AT_NAIVE,
    BOOKED_IN_FUTURE,
    BORN_AFTER_BOOKING,
    booking_open,
)
from cellblock.people.models import Person, PersonIdentifier, PersonPhoto
from cellblock.people.services import PHOTO_NOT_AN_IMAGE, PHOTO_TOO_LARGE, person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def clerk(booking_clerk, client_for):
    return client_for(booking_clerk)


def _written():
    """Everything an intake writes, counted."""
    return {
        "person": Person.objects.count(),
        "identifier": PersonIdentifier.objects.count(),
        "booking": Booking.objects.count(),
        "charge": Charge.objects.count(),
        "step": IntakeStep.objects.count(),
        "photo": PersonPhoto.objects.count(),
        "audit": AuditEvent.objects.count(),
        "numbers": sum(BookingSequence.objects.values_list("last_number", flat=True)),
    }


NARUTO = {
    "given_name": "Naruto",
    "family_name": "Uzumaki",
    "date_of_birth": "2008-10-10",
    "identifiers": {"village_registry": "KL-1010"},
}


def _intake(client, site, *, charges=(), **extra):
    payload = {
        "facility": str(site.facility.public_id),
        "source": "arrest",
        "person": NARUTO,
        "charges": list(charges),
        **extra,
    }
    payload = {name: value for name, value in payload.items() if value is not None}
    return client.post("/api/bookings/", payload, content_type="application/json")


def _refused(response, status, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"message", "code", "extra"}
    if field is not None:
        assert field in body["extra"]["fields"], body
        assert field in body["message"]
    return body


CHARGE = {"statute": "KL 12.1", "description": "Theft", "severity": "felony"}


def test_a_booking_time_in_the_future_is_refused(site, clerk):
    before = _written()
    later = (NOW + dt.timedelta(hours=1)).isoformat()
    body = _refused(_intake(clerk, site, booked_at=later, charges=[CHARGE]), 400, "booked_at")
    assert body["extra"]["fields"]["booked_at"] == [BOOKED_IN_FUTURE]
    assert body["message"] == f"booked_at: {BOOKED_IN_FUTURE}"
    assert _written() == before


def test_a_booking_time_without_a_time_zone_is_refused(site, clerk):
    # 08:00 where?  A facility in another zone would misfile the deadlines by hours.
    before = _written()
    body = _refused(_intake(clerk, site, booked_at="2026-03-14T08:00:00"), 400, "booked_at")
    assert body["extra"]["fields"]["booked_at"] == [BOOKED_AT_NAIVE]
    assert _written() == before


def test_a_date_of_birth_after_the_booking_time_is_refused(site, clerk):
    before = _written()
    person = {"given_name": "Boruto", "family_name": "Uzumaki", "date_of_birth": "2024-03-27"}
    response = _intake(clerk, site, person=person, booked_at="2024-01-05T08:00:00Z")
    body = _refused(response, 400, "date_of_birth")
    assert body["extra"]["fields"]["date_of_birth"] == [
        BORN_AFTER_BOOKING.format(booked=dt.date(2024, 1, 5))
    ]
    assert _written() == before


def test_a_date_of_birth_in_the_future_is_refused(site, clerk):
    before = _written()
    person = {"given_name": "Himawari", "family_name": "Uzumaki", "date_of_birth": "2030-01-01"}
    _refused(_intake(clerk, site, person=person), 400, "date_of_birth")
    assert _written() == before


def test_a_second_open_booking_for_the_same_person_is_refused_naming_the_first(site, clerk):
    first = _intake(clerk, site).json()
    before = _written()
    response = _intake(clerk, site, person=None, person_id=first["person"]["id"])
    body = _refused(response, 409)
    assert body["code"] == "already_booked"
    assert first["booking_number"] in body["message"]
    assert body["extra"]["booking_number"] == first["booking_number"]
    assert _written() == before


def test_an_unknown_charge_severity_is_refused_listing_the_severities(site, clerk):
    before = _written()
    charges = [CHARGE, {**CHARGE, "severity": "capital"}]
    body = _refused(_intake(clerk, site, charges=charges), 400, "charges[1].severity")
    [message] = body["extra"]["fields"]["charges[1].severity"]
    assert "capital" in message
    for severity in ("felony", "misdemeanour", "infraction"):
        assert severity in message
    assert _written() == before


def test_a_charge_with_no_counts_is_refused(site, clerk):
    before = _written()
    body = _refused(
        _intake(clerk, site, charges=[{**CHARGE, "counts": 0}]), 400, "charges[0].counts"
    )
    assert body["extra"]["fields"]["charges[0].counts"] == ["must be between 1 and 999."]
    assert _written() == before


def test_a_charge_with_a_blank_statute_is_refused(site, clerk):
    before = _written()
    body = _refused(
        _intake(clerk, site, charges=[{**CHARGE, "statute": "  "}]), 400, "charges[0].statute"
    )
    assert "statute" in body["extra"]["fields"]["charges[0].statute"][0]
    assert _written() == before


def test_a_charge_without_a_statute_is_refused_naming_the_same_field(site, clerk):
    # Whether the schema or the service notices, a client maps the error to
    # one form field: the same name either way.
    before = _written()
    charge = {"description": "Theft", "severity": "felony"}
    _refused(_intake(clerk, site, charges=[charge]), 400, "charges[0].statute")
    assert _written() == before


def test_every_bad_field_of_an_intake_is_named_at_once(site, clerk):
    before = _written()
    later = (NOW + dt.timedelta(days=1)).isoformat()
    charges = [{**CHARGE, "severity": "capital", "counts": 0}]
    response = _intake(clerk, site, charges=charges, booked_at=later, height_cm=5)
    body = _refused(response, 400)
    assert set(body["extra"]["fields"]) == {
        "booked_at",
        "height_cm",
        "charges[0].severity",
        "charges[0].counts",
    }
    assert _written() == before


def test_a_malformed_date_of_birth_is_refused_naming_the_field(site, clerk):
    before = _written()
    person = {"given_name": "Sasuke", "family_name": "Uchiha", "date_of_birth": "1990-13-45"}
    body = _refused(_intake(clerk, site, person=person), 400)
    assert any("date_of_birth" in name for name in body["extra"]["fields"])
    assert _written() == before


def test_an_unknown_identifier_kind_is_refused(site, clerk):
    before = _written()
    person = {"given_name": "Sasuke", "family_name": "Uchiha", "identifiers": {"tattoo": "fan"}}
    body = _refused(_intake(clerk, site, person=person), 400)
    assert any("identifiers" in name for name in body["extra"]["fields"])
    assert _written() == before


def test_a_facility_that_is_not_an_id_is_refused_naming_the_field(site, clerk):
    before = _written()
    body = _refused(_intake(clerk, site, facility="TST"), 400, "facility")
    assert body["code"] == "validation_failed"
    assert _written() == before


def test_a_body_that_is_not_json_is_refused(site, clerk):
    response = clerk.post("/api/bookings/", "facility=TST", content_type="application/json")
    assert response.status_code == 400
    assert not Booking.objects.exists()


# --- Photos ------------------------------------------------------------------------


def _booking(site):
    person = person_create(actor=None, facility=None, given_name="Rock", family_name="Lee")
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


def _image(fmt, size=(32, 40)):
    # Seeded noise: the same bytes every run, and they do not compress away.
    noise = random.Random(7).randbytes(size[0] * size[1] * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", size, noise).save(out, format=fmt)
    return out.getvalue()


def _upload(client, booking, content, name="photo.jpg", content_type="image/jpeg"):
    return client.post(
        f"/api/bookings/{booking.booking_number}/photo",
        {"photo": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def test_a_photo_over_the_size_limit_is_refused(site, clerk, settings):
    settings.CELLBLOCK_PHOTO_MAX_BYTES = 200
    booking = _booking(site)
    content = _image("PNG")
    assert len(content) > 200
    before = _written()
    body = _refused(_upload(clerk, booking, content, "big.png", "image/png"), 400, "photo")
    [message] = body["extra"]["fields"]["photo"]
    # The upload is read up to one byte past the limit, so that is the size told.
    assert message == PHOTO_TOO_LARGE.format(size=201, limit=200)
    assert _written() == before


def test_a_text_file_is_refused_as_a_photo(site, clerk):
    booking = _booking(site)
    before = _written()
    response = _upload(clerk, booking, b"not a photo at all\n", "notes.txt", "text/plain")
    body = _refused(response, 400, "photo")
    assert body["extra"]["fields"]["photo"] == [PHOTO_NOT_AN_IMAGE]
    assert _written() == before


def test_a_gif_is_refused_as_a_photo_naming_its_format(site, clerk):
    booking = _booking(site)
    before = _written()
    # Named and typed as a JPEG: the bytes decide, not the name.
    body = _refused(_upload(clerk, booking, _image("GIF")), 400, "photo")
    [message] = body["extra"]["fields"]["photo"]
    assert "GIF" in message
    assert "JPEG or PNG" in message
    assert _written() == before


def test_an_empty_file_is_refused_as_a_photo(site, clerk):
    booking = _booking(site)
    before = _written()
    _refused(_upload(clerk, booking, b""), 400, "photo")
    assert _written() == before


def test_an_upload_without_the_photo_field_is_refused_naming_it(site, clerk):
    booking = _booking(site)
    response = clerk.post(f"/api/bookings/{booking.booking_number}/photo", {})
    _refused(response, 400, "photo")
    assert not PersonPhoto.objects.exists()


def test_a_sound_photo_is_accepted_through_the_same_endpoint(site, clerk):
    booking = _booking(site)
    response = _upload(clerk, booking, _image("JPEG"))
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "image/jpeg"
    assert PersonPhoto.objects.get().booking == booking
