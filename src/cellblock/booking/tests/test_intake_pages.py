"""The intake wizard's pages, as the booking desk uses them.

Through the pages with personas: a booking clerk opens bookings, the
duplicate check offers people already on record, refused input names its
field and writes nothing; an officer may not book, and staff of another
facility do not even see the booking.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from cellblock.audit.models import AuditEvent
from cellblock.booking import intake_views
from cellblock.booking.checklist import STEPS
from cellblock.booking.forms import NEW_PERSON
from cellblock.booking.intake_views import DUPLICATES_FOUND
from cellblock.booking.models import Booking, Charge, IntakeStep, PropertyItem
from cellblock.booking.services import (
    BOOKED_IN_FUTURE,
    ChargeData,
    booking_open,
    booking_transition,
)
from cellblock.people.models import Person, PersonPhoto
from cellblock.people.selectors import MATCH_IDENTIFIER, MATCH_NAME_AND_BIRTH
from cellblock.people.services import (
    PHOTO_NOT_AN_IMAGE,
    PHOTO_TOO_LARGE,
    person_create,
    person_photo_add,
)

pytestmark = pytest.mark.django_db

NEW = "/intake/new/"
MATCHES = "/intake/new/matches/"
HTMX = {"HTTP_HX_REQUEST": "true"}
NOON_UTC = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Photos go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def clerk(booking_clerk, client_for):
    return client_for(booking_clerk)


def intake_form(**changes) -> dict[str, str]:
    """What a clerk types for Kakashi Hatake, with ``changes``."""
    data = {
        "given_name": "Kakashi",
        "family_name": "Hatake",
        "date_of_birth": "1996-09-15",
        "sex": "male",
        "identifier_kind_0": "village_registry",
        "identifier_value_0": "KON-0042",
        "identifier_kind_1": "",
        "identifier_value_1": "",
        "source": "court_remand",
        "legal_status": "sentenced",
        "booked_at": "",
        "committing_authority": "Hokage's court",
        "authority_reference": "VERDICT-7",
        "height_cm": "181",
        "weight_kg": "67",
        "eye_colour": "grey",
        "emergency_contact_name": "Might Guy",
        "emergency_contact_relationship": "rival",
        "emergency_contact_phone": "+81 3 0000 0000",
        "charge_statute": "KVL 12.3",
        "charge_description": "Assault on a fellow shinobi",
        "charge_severity": "felony",
        "charge_counts": "1",
    }
    data.update(changes)
    return data


def png(size=(60, 80), colour=(250, 140, 0)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def booked(site, actor=None, given="Sasuke", family="Uchiha", **kwargs) -> Booking:
    person = person_create(
        actor=actor, facility=site.facility, given_name=given, family_name=family,
        date_of_birth=kwargs.pop("date_of_birth", dt.date(2010, 7, 23)),
    )  # fmt: skip
    return booking_open(
        actor=actor, facility=site.facility, person=person, source="arrest", **kwargs
    )


def counts() -> tuple[int, int, int]:
    return Person.objects.count(), Booking.objects.count(), AuditEvent.objects.count()


def url(name: str, booking: Booking, *args) -> str:
    return reverse(f"intake:{name}", args=[booking.booking_number, *args])


def text(response) -> str:
    return response.content.decode()


# --- New booking ------------------------------------------------------------------


def test_the_url_names_others_link_to():
    assert reverse("intake:new") == "/intake/new/"
    assert reverse("intake:matches") == "/intake/new/matches/"
    for name in ("identity", "details", "charges", "photo", "property"):
        assert reverse(f"intake:{name}", args=["TST-2026-000001"]) == (
            f"/intake/TST-2026-000001/{name}/"
        )


def test_the_new_booking_page_shows_the_steps_and_now_on_the_facility_clock(site, clerk):
    site.facility.timezone = "Asia/Tokyo"
    site.facility.save(update_fields=["timezone"])
    with time_machine.travel(NOON_UTC, tick=False):
        response = clerk.get(NEW)
    assert response.status_code == 200
    page = text(response)
    for label in ("Person", "Booking", "Charges", "Photo", "Property", "Identity"):
        assert f'data-testid="step-{label.lower()}"' in page
    # Noon in UTC is nine in the evening in Konoha's zone.
    assert 'value="2026-03-01T21:00"' in page
    assert 'name="given_name"' in page
    assert "autofocus" in page
    # The clerk is told where to look for people already on record.
    assert 'hx-post="/intake/new/matches/"' in page
    assert 'hx-trigger="change, keyup changed delay:400ms"' in page


def test_a_booking_clerk_books_a_new_person(site, booking_clerk, clerk):
    response = clerk.post(NEW, intake_form())

    booking = Booking.objects.get()
    assert re.fullmatch(r"TST-\d{4}-000001", booking.booking_number)
    assert response.status_code == 302
    assert response["Location"] == url("charges", booking)
    person = booking.person
    assert (person.given_name, person.family_name) == ("Kakashi", "Hatake")
    assert person.identifiers.get().value == "KON-0042"
    assert booking.facility == site.facility
    assert booking.booked_by == booking_clerk
    assert (booking.source, booking.legal_status) == ("court_remand", "sentenced")
    assert (booking.height_cm, booking.eye_colour) == (181, "grey")
    assert booking.emergency_contact_name == "Might Guy"
    assert booking.committing_authority == "Hokage's court"
    charge = Charge.objects.get(booking=booking)
    assert (charge.statute, charge.severity) == ("KVL 12.3", "felony")
    assert set(IntakeStep.objects.filter(booking=booking).values_list("step", flat=True)) == {
        spec.code.value for spec in STEPS
    }
    actions = {
        (event.action, event.object_id)
        for event in AuditEvent.objects.filter(action__in=["booking.open", "person.create"])
    }
    assert actions == {
        ("booking.open", str(booking.public_id)),
        ("person.create", str(person.public_id)),
    }
    landed = clerk.get(response["Location"])
    assert f"Booking {booking.booking_number} opened for Kakashi Hatake." in text(landed)


def test_a_booking_without_a_charge_opens_with_none(site, clerk):
    form = intake_form(charge_statute="", charge_description="", charge_severity="")
    assert clerk.post(NEW, form).status_code == 302
    assert not Charge.objects.exists()


def test_the_time_typed_is_read_on_the_facility_clock(site, clerk):
    site.facility.timezone = "Asia/Tokyo"
    site.facility.save(update_fields=["timezone"])
    with time_machine.travel(NOON_UTC, tick=False):
        response = clerk.post(NEW, intake_form(booked_at="2026-03-01T08:00"))
    assert response.status_code == 302
    assert Booking.objects.get().booked_at == dt.datetime(2026, 2, 28, 23, 0, tzinfo=dt.UTC)


def test_typing_jose_nunez_offers_jose_nunez_born_the_same_day(site, clerk):
    jose = person_create(
        actor=None, facility=None, given_name="José", family_name="Ñúñez",
        date_of_birth=dt.date(1990, 5, 1),
    )  # fmt: skip
    response = clerk.post(
        MATCHES,
        {"given_name": "jose", "family_name": "nunez", "date_of_birth": "1990-05-01"},
        **HTMX,
    )
    assert response.status_code == 200
    panel = text(response)
    assert "<html" not in panel
    assert "José Ñúñez" in panel
    assert MATCH_NAME_AND_BIRTH in panel
    assert "1990-05-01" in panel
    assert f'value="{jose.public_id}"' in panel
    assert "This is the person" in panel
    assert "None of these: a new person" in panel


def test_a_document_number_finds_its_owner_whatever_the_spelling(site, clerk):
    person_create(
        actor=None, facility=None, given_name="Itachi", family_name="Uchiha",
        identifiers={"state_id": "AB-123"},
    )  # fmt: skip
    response = clerk.get(
        MATCHES,
        {"given_name": "I", "identifier_kind_0": "state_id", "identifier_value_0": "ab 123"},
    )
    assert "Itachi Uchiha" in text(response)
    assert MATCH_IDENTIFIER.format(kind="State identification number") in text(response)


def test_the_panel_keeps_the_choice_made_while_the_clerk_types_on(site, clerk):
    jose = person_create(
        actor=None, facility=None, given_name="José", family_name="Ñúñez",
        date_of_birth=dt.date(1990, 5, 1),
    )  # fmt: skip
    typed = {"given_name": "Jose", "family_name": "Nunez", "date_of_birth": "1990-05-01"}
    chosen = text(clerk.post(MATCHES, {**typed, "match": str(jose.public_id)}, **HTMX))
    assert re.search(rf'value="{jose.public_id}"\s+checked', chosen)
    nothing_typed = text(clerk.post(MATCHES, {}, **HTMX))
    assert "people already on record appear here" in nothing_typed
    no_one = text(clerk.post(MATCHES, {"family_name": "Nobody"}, **HTMX))
    assert 'data-testid="no-matches"' in no_one


def test_submitting_without_choosing_among_matches_is_refused_and_writes_nothing(site, clerk):
    jose = person_create(
        actor=None, facility=None, given_name="José", family_name="Ñúñez",
        date_of_birth=dt.date(1990, 5, 1),
    )  # fmt: skip
    before = counts()
    form = intake_form(given_name="jose", family_name="NUNEZ", date_of_birth="1990-05-01")
    response = clerk.post(NEW, form)

    assert response.status_code == 400
    assert counts() == before
    page = text(response)
    assert DUPLICATES_FOUND in page
    assert f'value="{jose.public_id}"' in page
    # What was typed is still there.
    assert 'value="NUNEZ"' in page
    assert 'value="Assault on a fellow shinobi"' in page


def test_choosing_the_existing_person_books_them(site, clerk):
    jose = person_create(
        actor=None, facility=None, given_name="José", family_name="Ñúñez",
        date_of_birth=dt.date(1990, 5, 1),
    )  # fmt: skip
    people = Person.objects.count()
    form = intake_form(
        given_name="jose", family_name="nunez", date_of_birth="1990-05-01",
        identifier_value_0="", match=str(jose.public_id),
    )  # fmt: skip
    response = clerk.post(NEW, form)

    assert response.status_code == 302
    assert Booking.objects.get().person == jose
    assert Person.objects.count() == people
    # The record is the one on file: what was typed does not rename the person.
    jose.refresh_from_db()
    assert jose.family_name == "Ñúñez"


def test_confirming_a_new_person_records_a_second_one(site, clerk):
    person_create(
        actor=None, facility=None, given_name="José", family_name="Ñúñez",
        date_of_birth=dt.date(1990, 5, 1),
    )  # fmt: skip
    form = intake_form(given_name="José", family_name="Ñúñez", match=NEW_PERSON)
    assert clerk.post(NEW, form).status_code == 302
    assert Person.objects.filter(family_key="nunez").count() == 2


def test_a_person_with_an_open_booking_is_refused_naming_that_booking(site, clerk):
    held = booked(site, given="Sasuke", family="Uchiha")
    typed = {"given_name": "sasuke", "family_name": "uchiha", "date_of_birth": "2010-07-23"}

    panel = text(clerk.post(MATCHES, typed, **HTMX))
    assert f"Open booking {held.booking_number}" in panel
    assert "cannot be booked again" in panel
    # Nobody may pick them: there is no radio for a person held now.
    assert f'value="{held.person.public_id}"' not in panel

    before = counts()
    response = clerk.post(NEW, intake_form(**typed, match=str(held.person.public_id)))
    assert response.status_code == 409
    assert held.booking_number in text(response)
    assert "already has an open booking" in text(response)
    assert counts() == before


def test_a_person_whose_booking_was_released_may_be_booked_again(site, commander, clerk):
    earlier = booked(site, given="Sasuke", family="Uchiha")
    booking_transition(actor=commander, booking=earlier, to="in_custody")
    booking_transition(actor=commander, booking=earlier, to="released", release_type="bail")
    typed = {"given_name": "Sasuke", "family_name": "Uchiha", "date_of_birth": "2010-07-23"}
    response = clerk.post(NEW, intake_form(**typed, match=str(earlier.person.public_id)))
    assert response.status_code == 302
    assert earlier.person.bookings.count() == 2


def test_a_booking_time_in_the_future_is_refused_next_to_the_field(site, clerk):
    before = counts()
    with time_machine.travel(NOON_UTC, tick=False):
        response = clerk.post(NEW, intake_form(booked_at="2026-03-02T09:00"))
    assert response.status_code == 400
    assert response.context["form"].errors["booked_at"] == [BOOKED_IN_FUTURE]
    page = text(response)
    assert 'id="id_booked_at_error"' in page
    assert 'aria-describedby="id_booked_at_helptext id_booked_at_error"' in page
    assert 'href="#id_booked_at">Booked at: cannot be in the future.' in page
    # The person was created in the same transaction as the refused booking: gone too.
    assert counts() == before


def test_a_date_of_birth_after_the_booking_is_refused_and_leaves_no_person_behind(site, clerk):
    before = counts()
    with time_machine.travel(NOON_UTC, tick=False):
        response = clerk.post(
            NEW, intake_form(date_of_birth="2026-03-01", booked_at="2026-02-27T10:00")
        )
    assert response.status_code == 400
    errors = response.context["form"].errors["date_of_birth"]
    assert "is after the booking time (2026-02-27)" in errors[0]
    assert 'id="id_date_of_birth_error"' in text(response)
    assert counts() == before
    assert not AuditEvent.objects.filter(action="person.create").exists()


def test_an_unknown_severity_is_refused_at_the_charge(site, clerk):
    before = counts()
    response = clerk.post(NEW, intake_form(charge_severity="capital"))
    assert response.status_code == 400
    (problem,) = response.context["form"].errors["charge_severity"]
    assert problem.startswith("'capital' is not a severity")
    assert 'id="id_charge_severity_error"' in text(response)
    assert counts() == before


def test_a_nameless_person_is_refused_at_the_family_name(site, clerk):
    response = clerk.post(NEW, intake_form(given_name="", family_name=""))
    assert response.status_code == 400
    assert response.context["form"].errors["family_name"]
    assert not Booking.objects.exists()


def test_a_document_number_without_its_kind_is_refused(site, clerk):
    form = intake_form(identifier_kind_1="", identifier_value_1="X-1")
    response = clerk.post(NEW, form)
    assert response.status_code == 400
    assert response.context["form"].errors["identifier_kind_1"]
    assert not Person.objects.exists()


def test_a_document_number_on_record_is_refused_at_the_identifiers(site, clerk):
    person_create(
        actor=None, facility=None, given_name="Itachi", family_name="Uchiha",
        identifiers={"village_registry": "KON 0042"},
    )  # fmt: skip
    before = counts()
    # The clerk insists on a new person although the document is someone else's.
    response = clerk.post(NEW, intake_form(match=NEW_PERSON))
    assert response.status_code == 409
    assert response.context["form"].group_errors["identifiers"]
    assert 'data-testid="error-identifiers"' in text(response)
    assert 'href="#identifiers-group"' in text(response)
    assert counts() == before


def test_an_unreadable_date_is_refused_keeping_what_was_typed(site, clerk):
    response = clerk.post(NEW, intake_form(date_of_birth="1996-02-31", height_cm="tall"))
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"date_of_birth", "height_cm"}
    assert 'value="Kakashi"' in text(response)
    assert not Person.objects.exists()


def test_a_bad_height_from_the_service_is_shown_at_the_height(site, clerk):
    response = clerk.post(NEW, intake_form(height_cm="999"))
    assert response.status_code == 400
    assert response.context["form"].errors["height_cm"] == [
        "must be between 40 and 260 centimetres."
    ]


# --- Who may use the pages ------------------------------------------------------------


def test_an_officer_may_not_open_the_intake_pages(site, officer, client_for):
    booking = booked(site)
    client = client_for(officer)
    assert client.get(NEW).status_code == 403
    assert client.post(MATCHES, {"family_name": "Uchiha"}).status_code == 403
    for name in ("charges", "photo", "property", "identity", "details"):
        assert client.get(url(name, booking)).status_code == 403, name
    assert client.post(NEW, intake_form()).status_code == 403
    assert Booking.objects.count() == 1


def test_staff_of_another_facility_get_404_for_our_bookings(site, outsider, client_for):
    booking = booked(site)
    client = client_for(outsider)
    for name in ("charges", "photo", "property", "identity", "details"):
        assert client.get(url(name, booking)).status_code == 404, name
    response = client.post(
        url("charges", booking), {"statute": "X", "description": "Y", "severity": "felony"}
    )
    assert response.status_code == 404
    assert client.post(url("property_sign", booking)).status_code == 404
    assert not Charge.objects.exists()


def test_a_booking_opened_by_an_outsider_lands_in_their_own_facility(
    site, other_site, outsider, client_for
):
    response = client_for(outsider).post(NEW, intake_form())
    assert response.status_code == 302
    assert Booking.objects.get().facility == other_site.facility


# --- Charges ----------------------------------------------------------------------------


def test_the_charges_page_lists_charges_with_their_severity(site, booking_clerk, clerk):
    booking = booked(site, booking_clerk, charges=[ChargeData("KVL 1", "Theft", "misdemeanour")])
    response = clerk.get(url("charges", booking))
    assert response.status_code == 200
    page = text(response)
    assert '<span class="sev sev-misdemeanour">Misdemeanour</span>' in page
    assert 'data-testid="step-charges" data-state="open"' in page
    assert 'data-testid="check-medical_screening" data-state="open"' in page


def test_steps_past_their_deadline_show_as_overdue(site, booking_clerk, clerk):
    with time_machine.travel(NOON_UTC, tick=False):
        booking = booked(site, booking_clerk)
        on_time = text(clerk.get(url("charges", booking)))
    assert 'data-testid="check-identity" data-state="open"' in on_time
    # The facility's policy gives intake eight hours.
    with time_machine.travel(NOON_UTC + dt.timedelta(hours=9), tick=False):
        late = text(clerk.get(url("charges", booking)))
    assert 'data-testid="step-identity" data-state="overdue"' in late
    assert 'data-testid="check-identity" data-state="overdue"' in late
    # The medical module's receiving screening has the same eight hours.
    assert 'data-testid="check-medical_screening" data-state="overdue"' in late


def test_a_charge_added_by_htmx_comes_back_as_the_table(site, booking_clerk, clerk):
    booking = booked(site, booking_clerk)
    response = clerk.post(
        url("charges", booking),
        {"statute": "KVL 7", "description": "Escape attempt", "severity": "felony", "counts": "2"},
        **HTMX,
    )
    assert response.status_code == 200
    fragment = text(response)
    assert fragment.lstrip().startswith('<div id="charges"')
    assert "Escape attempt" in fragment
    assert "Charge added: KVL 7 Escape attempt." in fragment
    assert Charge.objects.get().counts == 2


def test_a_charge_added_without_htmx_redirects_back(site, booking_clerk, clerk):
    booking = booked(site, booking_clerk)
    response = clerk.post(
        url("charges", booking), {"statute": "KVL 7", "description": "x", "severity": "felony"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("charges", booking)


def test_a_charge_missing_its_statute_is_refused_at_the_field(site, booking_clerk, clerk):
    booking = booked(site, booking_clerk)
    data = {"statute": "", "description": "Escape attempt", "severity": "treason"}
    page = clerk.post(url("charges", booking), data)
    assert page.status_code == 400
    assert set(page.context["form"].errors) == {"statute", "severity"}
    fragment = clerk.post(url("charges", booking), data, **HTMX)
    # htmx swaps only successful answers, so the fragment with its errors is a 200.
    assert fragment.status_code == 200
    assert 'id="id_statute_error"' in text(fragment)
    assert 'value="Escape attempt"' in text(fragment)
    assert not Charge.objects.exists()


def test_removing_a_charge_needs_a_reason(site, booking_clerk, clerk):
    booking = booked(site, booking_clerk, charges=[ChargeData("KVL 1", "Theft", "misdemeanour")])
    charge = Charge.objects.get()
    refused = clerk.post(url("charge_remove", booking, charge.public_id), {"reason": " "})
    assert refused.status_code == 400
    assert "Say why the charge is removed." in text(refused)
    assert Charge.objects.exists()

    removed = clerk.post(
        url("charge_remove", booking, charge.public_id), {"reason": "typed twice"}, **HTMX
    )
    assert removed.status_code == 200
    assert not Charge.objects.exists()
    event = AuditEvent.objects.get(action="charge.remove")
    assert event.reason == "typed twice"


def test_charges_cannot_be_removed_once_in_custody(site, booking_clerk, commander, clerk):
    booking = booked(site, booking_clerk, charges=[ChargeData("KVL 1", "Theft", "misdemeanour")])
    booking_transition(actor=commander, booking=booking, to="in_custody")
    charge = Charge.objects.get()
    assert "Remove" not in text(clerk.get(url("charges", booking))).split("<tbody>")[1]
    refused = clerk.post(url("charge_remove", booking, charge.public_id), {"reason": "oops"})
    assert refused.status_code == 409
    assert "only during intake" in text(refused)
    assert Charge.objects.exists()


def test_all_charges_recorded_completes_the_step(site, booking_clerk, clerk):
    booking = booked(site, booking_clerk)
    refused = clerk.post(url("charges_complete", booking), follow=True)
    assert "record at least one charge first" in text(refused)
    assert IntakeStep.objects.get(booking=booking, step="charges").completed_at is None

    clerk.post(
        url("charges", booking), {"statute": "K 1", "description": "x", "severity": "felony"}
    )
    response = clerk.post(url("charges_complete", booking))
    assert response["Location"] == url("photo", booking)
    step = IntakeStep.objects.get(booking=booking, step="charges")
    assert step.completed_at is not None
    assert step.note == "1 charge"
    page = text(clerk.get(url("photo", booking)))
    assert 'data-testid="step-charges" data-state="done"' in page


# --- Photo ------------------------------------------------------------------------------


def upload(name: str, content: bytes, content_type: str = "image/png") -> dict:
    return {"photo": SimpleUploadedFile(name, content, content_type=content_type)}


def test_a_good_png_is_stored_with_the_booking(site, booking_clerk, clerk, tmp_path):
    booking = booked(site, booking_clerk)
    assert 'data-testid="no-photo"' in text(clerk.get(url("photo", booking)))
    response = clerk.post(url("photo", booking), upload("face.png", png()))

    assert response.status_code == 302
    photo = PersonPhoto.objects.get()
    assert (photo.person, photo.booking, photo.taken_by) == (
        booking.person,
        booking,
        booking_clerk,
    )
    assert photo.content_type == "image/png"
    assert default_storage.path(str(photo.image.name)).startswith(str(tmp_path))
    page = text(clerk.get(url("photo", booking)))
    assert reverse("people:thumbnail", args=[photo.public_id]) in page
    assert "Photo stored." in page
    assert 'data-testid="step-photo" data-state="done"' in page


def test_a_file_that_is_not_an_image_is_refused(site, booking_clerk, clerk):
    booking = booked(site, booking_clerk)
    response = clerk.post(url("photo", booking), upload("face.png", b"%PDF-1.4 not a picture"))
    assert response.status_code == 400
    assert f"photo: {PHOTO_NOT_AN_IMAGE}" in text(response)
    assert not PersonPhoto.objects.exists()


def test_a_photo_over_the_size_limit_is_refused_after_reading_one_byte_past_it(
    site, booking_clerk, clerk, settings, monkeypatch
):
    settings.CELLBLOCK_PHOTO_MAX_BYTES = 1024
    booking = booked(site, booking_clerk)
    content = png(size=(300, 300)) + b"\0" * 4096
    handed_over = []

    def spy(**kwargs):
        handed_over.append(len(kwargs["content"]))
        return person_photo_add(**kwargs)

    monkeypatch.setattr(intake_views, "person_photo_add", spy)
    response = clerk.post(url("photo", booking), upload("big.png", content))
    assert response.status_code == 400
    assert "photo: " + PHOTO_TOO_LARGE.format(limit=1024) in text(response)
    assert not PersonPhoto.objects.exists()
    # One byte past the limit is all the page reads: enough for the service to refuse.
    assert handed_over == [1025]


def test_sending_no_file_says_so(site, booking_clerk, clerk):
    booking = booked(site, booking_clerk)
    response = clerk.post(url("photo", booking), {})
    assert response.status_code == 400
    assert "photo: choose a photo file" in text(response)


def test_the_same_photo_twice_is_refused(site, booking_clerk, clerk):
    booking = booked(site, booking_clerk)
    content = png()
    clerk.post(url("photo", booking), upload("a.png", content))
    response = clerk.post(url("photo", booking), upload("b.png", content))
    assert response.status_code == 409
    assert "this exact photo is already on the record" in text(response)
    assert PersonPhoto.objects.count() == 1


# --- Property ---------------------------------------------------------------------------


def add_item(client, booking, **changes):
    data = {
        "kind": "taken", "description": "Wallet with cash", "quantity": "1", "condition": "worn",
        "bag_number": "B-17", "cash_amount": "12.50", **changes,
    }  # fmt: skip
    return client.post(url("property", booking), data)


def test_property_is_recorded_signed_and_shown_with_cash_totals(site, booking_clerk, clerk):
    booking = booked(site, booking_clerk)
    assert add_item(clerk, booking).status_code == 302
    add_item(clerk, booking, description="Kunai pouch", cash_amount="")
    add_item(clerk, booking, kind="issued", description="Grey jumpsuit", cash_amount="")

    page = text(clerk.get(url("property", booking)))
    taken, issued = page.split('data-testid="property-taken"')[1].split(
        'data-testid="property-issued"'
    )
    assert "Wallet with cash" in taken
    assert "Kunai pouch" in taken
    assert "Grey jumpsuit" in issued
    assert "Grey jumpsuit" not in taken
    assert '<td class="num" data-testid="cash-held"><strong>12.50</strong>' in page
    assert "Sign the inventory" in page
    # Returning is for release staff only.
    assert "Return</button>" not in page

    response = clerk.post(url("property_sign", booking), follow=True)
    assert "Inventory signed (2 taken, 1 issued)." in text(response)
    step = IntakeStep.objects.get(booking=booking, step="property")
    assert step.completed_by == booking_clerk
    signed = text(clerk.get(url("property", booking)))
    assert "Signed</span> by <strong>Bea Booking</strong>" in signed
    assert 'data-testid="check-property" data-state="done"' in signed


def test_an_item_with_a_bad_amount_is_refused_at_the_field(site, booking_clerk, clerk):
    booking = booked(site, booking_clerk)
    response = add_item(clerk, booking, cash_amount="lots", quantity="0")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"cash_amount", "quantity"}
    assert 'value="Wallet with cash"' in text(response)
    assert not PropertyItem.objects.exists()


def test_correcting_an_item_needs_a_reason(site, booking_clerk, clerk):
    booking = booked(site, booking_clerk)
    add_item(clerk, booking)
    item = PropertyItem.objects.get()
    prefix = f"edit-{item.public_id}"
    data = {
        f"{prefix}-description": "Wallet with cash", f"{prefix}-quantity": "1",
        f"{prefix}-condition": "worn", f"{prefix}-bag_number": "B-18",
        f"{prefix}-cash_amount": "15.00", f"{prefix}-reason": "",
    }  # fmt: skip
    refused = clerk.post(url("property_update", booking, item.public_id), data)
    assert refused.status_code == 400
    assert "Say why the record changes." in text(refused)
    assert "<details open>" in text(refused)

    data[f"{prefix}-reason"] = "recounted with the person"
    response = clerk.post(url("property_update", booking, item.public_id), data, follow=True)
    assert "Corrected: 1 x Wallet with cash." in text(response)
    item.refresh_from_db()
    assert (item.bag_number, item.cash_amount) == ("B-18", Decimal("15.00"))
    assert AuditEvent.objects.get(action="property.update").reason == "recounted with the person"


def test_release_staff_return_an_item(site, booking_clerk, commander, client_for):
    booking = booked(site, booking_clerk)
    add_item(client_for(booking_clerk), booking)
    item = PropertyItem.objects.get()
    client = client_for(commander)
    assert "Return</button>" in text(client.get(url("property", booking)))
    response = client.post(
        url("property_return", booking, item.public_id), {"note": "to his sister"}, follow=True
    )
    assert "Returned: 1 x Wallet with cash." in text(response)
    item.refresh_from_db()
    assert item.returned_by == commander
    # The clerk may not return anything.
    other = client_for(booking_clerk).post(url("property_return", booking, item.public_id))
    assert other.status_code == 403


# --- Identity and details ---------------------------------------------------------------


def test_identity_is_confirmed_with_how_it_was_established(site, booking_clerk, clerk):
    booking = booked(site, booking_clerk)
    page = text(clerk.get(url("identity", booking)))
    assert "How was identity established?" in page
    assert "Sasuke Uchiha" in page

    refused = clerk.post(url("identity", booking), {"method": "other", "details": ""})
    assert refused.status_code == 400
    assert refused.context["form"].errors["details"]
    refused = clerk.post(url("identity", booking), {"method": "", "details": ""})
    assert refused.status_code == 400
    assert refused.context["form"].errors["method"]

    response = clerk.post(
        url("identity", booking), {"method": "document", "details": "passport X123"}, follow=True
    )
    assert "Identity confirmed: Identity document: passport X123." in text(response)
    step = IntakeStep.objects.get(booking=booking, step="identity")
    assert step.note == "Identity document: passport X123"
    assert step.completed_by == booking_clerk
    assert 'data-testid="identity-confirmed"' in text(response)


def test_details_are_corrected_and_bad_numbers_refused_at_their_field(site, booking_clerk, clerk):
    booking = booked(site, booking_clerk)
    page = clerk.get(url("details", booking))
    assert page.status_code == 200
    data = {
        "committing_authority": "Village council", "authority_reference": "ORD-9",
        "legal_status": "pretrial", "height_cm": "999", "weight_kg": "",
        "emergency_contact_name": "Itachi",
    }  # fmt: skip
    refused = clerk.post(url("details", booking), data)
    assert refused.status_code == 400
    assert refused.context["form"].errors["height_cm"]
    booking.refresh_from_db()
    assert booking.committing_authority == ""

    data["height_cm"] = "168"
    response = clerk.post(url("details", booking), data, follow=True)
    assert "Booking details saved." in text(response)
    booking.refresh_from_db()
    assert (booking.committing_authority, booking.height_cm) == ("Village council", 168)
    assert AuditEvent.objects.filter(action="booking.update").exists()
