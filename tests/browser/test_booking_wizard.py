"""The booking desk in Chromium: a new booking, through every intake step, on a tablet.

The person was held here before (released since): typing the name without
its accents must offer that record, and booking the same person keeps one
record with two bookings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from cellblock.booking.models import Booking, BookingStatus
from cellblock.booking.services import booking_open, booking_transition
from cellblock.conftest import SmallFacility
from cellblock.people.models import Person
from cellblock.people.services import person_create

from .conftest import TABLET_PORTRAIT

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    """Photos go to a temporary directory (the live server shares these settings)."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def jose(site: SmallFacility) -> Person:
    """José Ñúñez, booked here last year and released on bail."""
    person = person_create(
        actor=None, facility=site.facility, given_name="José", family_name="Ñúñez",
        date_of_birth=dt.date(1990, 5, 1), sex="male", identifiers={"state_id": "TX-4471"},
    )  # fmt: skip
    earlier = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    booking_transition(actor=None, booking=earlier, to=BookingStatus.IN_CUSTODY)
    booking_transition(actor=None, booking=earlier, to=BookingStatus.RELEASED, release_type="bail")
    return person


def png_file(folder: Path) -> Path:
    path = folder / "face.png"
    Image.new("RGB", (300, 400), (70, 110, 160)).save(path, format="PNG")
    return path


def named_screenshot(screenshot: Callable[..., Path], page: Page, name: str) -> Path:
    """Save ``name`` (e.g. intake-property.png) beside the other screenshots."""
    # From the top: the sticky menu would otherwise sit in the middle of a full-page shot.
    page.evaluate("window.scrollTo(0, 0)")
    taken = screenshot(page, name)
    return taken.replace(taken.with_name(f"{name}.png"))


def fits_the_screen(page: Page) -> bool:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= TABLET_PORTRAIT["width"]


def test_a_booking_from_the_person_to_the_signed_inventory(
    page_as: Any,
    booking_clerk: Any,
    jose: Person,
    site: SmallFacility,
    screenshot: Callable[..., Path],
    tmp_path: Path,
) -> None:
    page: Page = page_as(booking_clerk, viewport=TABLET_PORTRAIT)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New booking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New booking")
    steps = page.get_by_role("navigation", name="Intake steps")
    expect(steps.get_by_role("listitem")).to_have_count(6)

    # The clerk types without accents, by keyboard, starting in the first field.
    given = page.get_by_label("Given name")
    expect(given).to_be_focused()
    page.keyboard.type("jose")
    page.keyboard.press("Tab")
    page.keyboard.type("nunez")
    page.get_by_label("Date of birth").fill("1990-05-01")

    matches = page.get_by_test_id("matches")
    match = matches.get_by_test_id("match")
    expect(match).to_have_count(1)
    expect(match).to_contain_text("José Ñúñez")
    expect(match).to_contain_text("same name and date of birth")
    expect(match).to_contain_text("1990-05-01")
    expect(match.get_by_test_id("open-booking")).to_have_count(0)
    expect(matches.get_by_label("None of these: a new person")).to_be_visible()
    page.get_by_label("This is the person: José Ñúñez").check()

    page.get_by_label("Source").select_option(label="Arrest")
    page.get_by_label("Committing authority").fill("Konoha military police")
    page.get_by_label("Authority reference").fill("MP-2026-118")
    page.get_by_label("Height (cm)").fill("172")
    page.get_by_label("Eye colour").fill("brown")
    page.get_by_label("Distinguishing marks").fill("scar over the left eyebrow")
    page.get_by_label("Statute").fill("KVL 12.3")
    page.get_by_label("Description", exact=True).fill("Theft of scrolls")
    page.get_by_label("Severity").select_option(label="Felony")
    page.get_by_label("Case number").fill("CR-77")
    assert fits_the_screen(page)
    named_screenshot(screenshot, page, "intake-new-booking")
    page.get_by_role("button", name="Open the booking").click()

    # Booked: the same person, a second booking, and the charges page.
    expect(page).to_have_url(re.compile(r"/intake/TST-\d{4}-\d{6}/charges/$"))
    booking = Booking.objects.get(status=BookingStatus.INTAKE)
    assert booking.person_id == jose.pk
    assert Person.objects.count() == 1
    expect(page.get_by_role("status")).to_contain_text(f"Booking {booking.booking_number} opened")
    table = page.get_by_test_id("charges-table")
    expect(table.get_by_role("row", name=re.compile("KVL 12.3"))).to_contain_text("Felony")

    # A second charge, swapped in by htmx: the page itself stays.
    page.evaluate("window.stillHere = true")
    page.get_by_label("Statute").fill("KVL 4.1")
    page.get_by_label("Description", exact=True).fill("Resisting arrest")
    page.get_by_label("Severity").select_option(label="Misdemeanour")
    page.get_by_role("button", name="Add charge").click()
    expect(page.get_by_test_id("charges-note")).to_have_text(
        "Charge added: KVL 4.1 Resisting arrest."
    )
    expect(table.get_by_role("row")).to_have_count(3)
    expect(table.get_by_role("row", name=re.compile("KVL 4.1"))).to_contain_text("Misdemeanour")
    assert page.evaluate("window.stillHere") is True
    expect(page.get_by_label("Statute")).to_be_focused()
    assert fits_the_screen(page)
    screenshot(page, "charges")
    page.get_by_role("button", name="All charges recorded").click()

    # The photo.
    expect(page.get_by_role("heading", level=1)).to_have_text("Booking photo")
    expect(page.get_by_test_id("no-photo")).to_be_visible()
    page.get_by_label("Photo file").set_input_files(str(png_file(tmp_path)))
    page.get_by_role("button", name="Store the photo").click()
    expect(page.get_by_role("status")).to_contain_text("Photo stored.")
    photo = page.get_by_test_id("current-photo")
    expect(photo).to_be_visible()
    # Visible is not loaded: wait until the browser has decoded the stored image.
    page.wait_for_function(
        "() => { const img = document.querySelector('[data-testid=current-photo]');"
        " return img !== null && img.complete && img.naturalWidth > 0; }"
    )

    # Property: an item taken, one issued, then the signature.
    page.get_by_role("link", name=re.compile("Next: Property")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Property")
    form = page.get_by_test_id("add-item")
    form.get_by_label("Description").fill("Wallet with cash")
    form.get_by_label("Bag number").fill("B-17")
    form.get_by_label("Cash amount").fill("12.50")
    form.get_by_role("button", name="Record the item").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded: 1 x Wallet with cash.")
    form = page.get_by_test_id("add-item")
    form.get_by_label("Description").fill("Grey jumpsuit")
    form.get_by_label("Kind").select_option(label="Issued by the facility")
    form.get_by_label("Condition").select_option(label="New")
    form.get_by_role("button", name="Record the item").click()
    expect(page.get_by_test_id("property-taken")).to_contain_text("Wallet with cash")
    expect(page.get_by_test_id("property-issued")).to_contain_text("Grey jumpsuit")
    expect(page.get_by_test_id("cash-held")).to_have_text("12.50")
    page.get_by_role("button", name="Sign the inventory").click()
    expect(page.get_by_test_id("signature")).to_contain_text("Signed by Bea Booking")
    assert fits_the_screen(page)
    named_screenshot(screenshot, page, "intake-property")

    # Identity, the last step of the desk.
    steps.get_by_role("link", name=re.compile("Identity")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Identity")
    expect(page.get_by_test_id("person-card")).to_contain_text("TX-4471")
    page.get_by_label("How was identity established?").select_option(label="Identity document")
    page.get_by_label("Details").fill("state id TX-4471 checked")
    page.get_by_role("button", name="Confirm identity").click()
    expect(page.get_by_test_id("identity-confirmed")).to_contain_text(
        "Identity document: state id TX-4471 checked"
    )

    # The desk's steps are done; classification is open (48 h); medical waits for its app.
    checklist = page.get_by_test_id("checklist")
    for step in ("identity", "charges", "property"):
        expect(checklist.get_by_test_id(f"check-{step}")).to_have_attribute("data-state", "done")
    expect(checklist.get_by_test_id("check-classification")).to_have_attribute("data-state", "open")
    expect(checklist.get_by_test_id("check-medical_screening")).to_have_attribute(
        "data-state", "open"
    )
    for step in ("charges", "photo", "property", "identity"):
        expect(page.get_by_test_id(f"step-{step}")).to_have_attribute("data-state", "done")
    assert fits_the_screen(page)
    screenshot(page, "identity")


def test_a_duplicate_left_unanswered_is_refused_and_the_form_keeps_what_was_typed(
    page_as: Any,
    booking_clerk: Any,
    jose: Person,
    site: SmallFacility,
    screenshot: Callable[..., Path],
) -> None:
    page: Page = page_as(booking_clerk)
    page.goto("/intake/new/")
    page.get_by_label("Given name").fill("JOSE")
    page.get_by_label("Family name").fill("Nunez")
    page.get_by_label("Date of birth").fill("1990-05-01")
    page.get_by_label("Source").select_option(label="Warrant")
    page.get_by_role("button", name="Open the booking").click()

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_contain_text("Possible duplicates: choose one of the matches")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Family name")).to_have_value("Nunez")
    screenshot(page, full_page=False)
    assert Booking.objects.filter(status=BookingStatus.INTAKE).count() == 0

    # Following the summary's link lands on the choice; a new person it is.
    summary.get_by_role("link").click()
    page.get_by_label("None of these: a new person").check()
    page.get_by_role("button", name="Open the booking").click()
    expect(page).to_have_url(re.compile(r"/charges/$"))
    assert Person.objects.count() == 2
