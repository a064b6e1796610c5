"""Rules found in review: release staff, closed bookings, housing order, audited reads."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from PIL import Image

from cellblock.audit.models import AuditEvent
from cellblock.booking import checklist
from cellblock.booking.models import BookingStatus, PropertyKind
from cellblock.booking.services import (
    PropertyData,
    booking_open,
    booking_transition,
    property_item_add,
)
from cellblock.conftest import make_staff, ready_for_bed
from cellblock.core.errors import Conflict
from cellblock.core.roles import Role
from cellblock.facilities import services as facility_services
from cellblock.facilities.models import Agency, Bed
from cellblock.housing.services import bed_assign
from cellblock.people.models import PersonPhoto
from cellblock.people.services import PHOTO_BOOKING_CLOSED, person_create, person_photo_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(site, booking_clerk):
    person = person_create(actor=None, facility=None, given_name="Rock", family_name="Lee")
    return booking_open(actor=booking_clerk, facility=site.facility, person=person, source="arrest")


def _jpeg(size=(400, 300), orientation=None) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    Image.new("RGB", size, "navy").save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_supervisor_returns_property_from_the_profile_of_a_released_booking(
    site, booking, booking_clerk, supervisor, commander, client_for
):
    item = property_item_add(
        actor=booking_clerk, booking=booking,
        data=PropertyData(kind=PropertyKind.TAKEN, description="Weights"),
    )  # fmt: skip
    booking = booking_transition(actor=commander, booking=booking, to=BookingStatus.IN_CUSTODY)
    booking_transition(
        actor=commander, booking=booking, to=BookingStatus.RELEASED, release_type="time_served"
    )
    client = client_for(supervisor)
    profile = client.get(f"/bookings/{booking.booking_number}/")
    assert 'aria-label="Return Weights"' in profile.content.decode()
    response = client.post(
        f"/intake/{booking.booking_number}/property/{item.public_id}/return/", {"note": "signed"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/bookings/{booking.booking_number}/#property"
    item.refresh_from_db()
    assert item.returned_by == supervisor
    assert client.get(response["Location"]).status_code == 200


def test_a_photo_for_a_closed_booking_is_refused(site, booking, commander, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    closed = booking_transition(actor=commander, booking=booking, to=BookingStatus.CANCELLED)
    with pytest.raises(Conflict) as refused:
        person_photo_add(actor=commander, person=booking.person, content=_jpeg(), booking=closed)
    assert refused.value.message == PHOTO_BOOKING_CLOSED.format(booking=closed)
    assert not PersonPhoto.objects.exists()


def test_a_thumbnail_stands_upright_as_the_camera_was_held(
    site, booking, booking_clerk, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    # Stored sideways (400 x 300) with EXIF orientation 6: the camera was upright.
    photo = person_photo_add(
        actor=booking_clerk, person=booking.person, content=_jpeg(orientation=6), booking=booking
    )
    with photo.thumbnail.open("rb") as stored, Image.open(stored) as thumb:
        assert thumb.height > thumb.width


def test_the_receiving_screening_comes_before_a_bed(site, booking, supervisor, medic):
    bed = Bed.objects.filter(cell=site.cells[0]).first()
    assert bed is not None
    assert "medical_screening" in checklist.recorded_steps()
    with pytest.raises(Conflict) as refused:
        bed_assign(actor=supervisor, booking=booking, bed=bed)
    assert refused.value.code == "intake_before_housing"
    assert "Medical receiving screening" in refused.value.message

    ready_for_bed(booking, by=medic)
    assert bed_assign(actor=supervisor, booking=booking, bed=bed).bed == bed


def test_opening_a_profile_is_recorded_without_its_contents(site, booking, officer, client_for):
    client_for(officer).get(f"/bookings/{booking.booking_number}/")
    event = AuditEvent.objects.filter(action="booking.read").get()
    assert event.actor == officer
    assert event.changes == {"section": "profile"}
    assert event.object_label == f"profile of {booking.booking_number}"


def test_patching_a_text_field_with_null_is_refused_by_name(
    site, booking, booking_clerk, client_for
):
    response = client_for(booking_clerk).patch(
        f"/api/bookings/{booking.booking_number}",
        {"committing_authority": None},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["committing_authority"]


def test_a_search_of_punctuation_alone_finds_nobody(site, booking, officer, client_for):
    response = client_for(officer).get("/api/bookings/search", {"q": "!!!"})
    assert response.status_code == 200
    assert response.json() == []


def test_the_year_on_a_booking_number_is_the_facility_s_local_year(booking_clerk):
    agency = Agency.objects.get(code="TEST")
    tokyo = facility_services.facility_create(
        actor=None, agency=agency, code="TKY", name="Tokyo Jail", timezone="Asia/Tokyo"
    )
    clerk = make_staff("tokyo_clerk", tokyo, Role.BOOKING)
    person = person_create(actor=None, facility=None, given_name="Hinata", family_name="Hyuga")
    # 16:30 UTC on 31 December is half past one on New Year's morning in Tokyo.
    with time_machine.travel(dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC), tick=False):
        booking = booking_open(actor=clerk, facility=tokyo, person=person, source="arrest")
    assert booking.booking_number == "TKY-2027-000001"


def test_a_photo_taken_in_another_agency_stays_with_it(
    site, booking_clerk, officer, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    far = facility_services.agency_create(actor=None, code="FAR", name="Far County")
    far_jail = facility_services.facility_create(
        actor=None, agency=far, code="FAR", name="Far Jail", timezone="UTC"
    )
    far_clerk = make_staff("far_clerk", far_jail, Role.BOOKING, Role.COMMANDER)
    person = person_create(actor=None, facility=None, given_name="Might", family_name="Guy")
    there = booking_open(actor=far_clerk, facility=far_jail, person=person, source="arrest")
    far_photo = person_photo_add(actor=far_clerk, person=person, content=_jpeg(), booking=there)
    booking_transition(
        actor=far_clerk, booking=booking_transition(
            actor=far_clerk, booking=there, to=BookingStatus.IN_CUSTODY
        ), to=BookingStatus.RELEASED, release_type="time_served",
    )  # fmt: skip
    here = booking_open(actor=booking_clerk, facility=site.facility, person=person, source="arrest")
    client = client_for(officer)
    assert client.get(f"/people/photos/{far_photo.public_id}/thumbnail/").status_code == 404
    roster = client.get("/api/bookings/roster", {"facility": str(site.facility.public_id)})
    [row] = roster.json()["results"]
    assert row["booking_number"] == here.booking_number
    assert row["photo_id"] is None


def test_the_overdue_badge_counts_every_late_booking_not_only_those_listed(
    site, booking_clerk, officer, client_for, monkeypatch
):
    import cellblock.core.views as core_views

    for name in ("Ten", "Ten Ten", "Neji"):
        person = person_create(actor=None, facility=None, given_name=name, family_name="Test")
        booking_open(actor=booking_clerk, facility=site.facility, person=person, source="arrest")
    monkeypatch.setattr(core_views, "OVERDUE_SHOWN", 2)
    with time_machine.travel(dt.timedelta(hours=9)):
        page = client_for(officer).get("/").content.decode()
    assert page.count('class="overdue-steps"') == 2
    assert '<span class="badge badge-bad">3</span>' in page
