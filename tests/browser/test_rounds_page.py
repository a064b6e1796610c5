"""The rounds page in Chromium: an officer on a tablet marks a cell's occupants seen.

Kakashi has not been seen since he was housed three hours ago, so his cell's
tile is red; Gai, in the same cell, was seen 57 minutes ago.  The officer taps
the red tile, marks Kakashi "Seen, well" with a welfare contact, picks
"Asleep" for Gai with the arrow keys, and records the round: the tiles come
back with the cell green.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cellblock.booking.models import Booking
from cellblock.booking.services import booking_open
from cellblock.conftest import SmallFacility, ready_for_bed
from cellblock.core import clock
from cellblock.custody.models import RoundCheck
from cellblock.housing.models import BedAssignment
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create

from .conftest import TABLET_PORTRAIT

pytestmark = pytest.mark.browser


def _housed(site: SmallFacility, given: str, family: str, cell: int, bed: str) -> Booking:
    person = person_create(actor=None, facility=site.facility, given_name=given, family_name=family)
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    ready_for_bed(booking)
    bed_assign(actor=None, booking=booking, bed=site.cells[cell].beds.get(code=bed))
    return booking


def _since(booking: Booking, hours: float) -> None:
    """Booked and housed ``hours`` ago (the page reads the real clock)."""
    then = clock.now() - dt.timedelta(hours=hours)
    Booking.objects.filter(pk=booking.pk).update(booked_at=then)
    BedAssignment.objects.filter(booking=booking).update(started_at=then)


@pytest.fixture
def held(site: SmallFacility, officer: Any) -> tuple[Booking, Booking, Booking]:
    kakashi = _housed(site, "Kakashi", "Hatake", 0, "B1")
    gai = _housed(site, "Gai", "Maito", 0, "B2")
    sasuke = _housed(site, "Sasuke", "Uchiha", 1, "B1")
    for booking in (kakashi, gai, sasuke):
        _since(booking, 3)
    now = clock.now()
    RoundCheck.objects.create(
        booking=gai, cell=site.cells[0], checked_at=now - dt.timedelta(minutes=57),
        checked_by=officer, status="seen_well",
    )  # fmt: skip
    RoundCheck.objects.create(
        booking=sasuke, cell=site.cells[1], checked_at=now - dt.timedelta(minutes=5),
        checked_by=officer, status="asleep",
    )  # fmt: skip
    return kakashi, gai, sasuke


def named_screenshot(screenshot: Callable[..., Path], page: Page, name: str) -> Path:
    taken = screenshot(page, name)
    return taken.replace(taken.with_name(f"{name}.png"))


def fits_the_screen(page: Page) -> bool:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= TABLET_PORTRAIT["width"]


def test_an_officer_marks_a_cells_occupants_seen_on_a_tablet(
    page_as: Any,
    officer: Any,
    site: SmallFacility,
    held: tuple[Booking, Booking, Booking],
    screenshot: Callable[..., Path],
) -> None:
    kakashi, gai, _ = held
    page: Page = page_as(officer, viewport=TABLET_PORTRAIT)
    page.goto("/custody/rounds/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rounds")
    red = page.locator('li.round-tile[data-cell="A1-1"]')
    green = page.locator('li.round-tile[data-cell="A1-2"]')
    expect(red).to_have_attribute("data-state", "overdue")
    expect(red).to_contain_text("Overdue 2 h")
    expect(green).to_have_attribute("data-state", "fine")
    expect(page.get_by_test_id("round-counts")).to_contain_text("1 overdue")
    assert fits_the_screen(page)

    red.get_by_test_id("cell-tile").click()
    panel = page.get_by_test_id("round-panel")
    expect(panel).to_have_attribute("data-cell", "A1-1")
    first = panel.locator(f'[data-booking="{kakashi.booking_number}"]')
    second = panel.locator(f'[data-booking="{gai.booking_number}"]')
    expect(first.get_by_test_id("last-seen")).to_have_text("never")
    expect(first.get_by_test_id("due")).to_contain_text("Overdue by 2 h")
    expect(second.get_by_test_id("last-seen")).to_have_text("57 min ago")
    expect(second.get_by_test_id("due")).to_contain_text("Due in 3 min")

    # One tap for Kakashi, who was spoken with through the open door.
    first.get_by_text("Seen, well").click()
    first.get_by_label("Went in and spoke with them").check()
    # The keyboard for Gai: on his first choice, one arrow key picks "Asleep".
    second.get_by_role("radio", name="Seen, well").focus()
    page.keyboard.press("ArrowRight")
    expect(second.get_by_role("radio", name="Asleep, breathing")).to_be_checked()
    assert fits_the_screen(page)
    page.evaluate("window.scrollTo(0, 0)")
    named_screenshot(screenshot, page, "rounds")

    panel.get_by_test_id("record-round").click()
    expect(page.get_by_test_id("round-done")).to_contain_text("A1-1: 2 checks recorded at")
    expect(red).to_have_attribute("data-state", "fine")
    expect(page.get_by_test_id("round-counts")).to_contain_text("0 overdue")
    expect(page.get_by_test_id("round-panel")).to_have_count(0)
    checks = dict(RoundCheck.objects.filter(cell=site.cells[0]).values_list("booking_id", "status"))
    assert checks[kakashi.pk] == "seen_well"
    assert RoundCheck.objects.filter(booking=kakashi, welfare_contact=True).exists()
    assert RoundCheck.objects.filter(booking=gai).latest("checked_at").status == "asleep"
