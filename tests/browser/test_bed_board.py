"""The bed board in Chromium: a supervisor sees the rule book's verdict live, then moves.

A supervisor opens the unit board from the facility's tiles on a tablet, picks
a person waiting for a bed and a bed beside the man he must be kept from: the
verdict turns red with the order's words.  She picks a lawful bed, sees it
green with its price, confirms, and the board shows him in his new bed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cellblock.booking.models import Booking
from cellblock.booking.services import booking_open
from cellblock.classification.services import separation_order_create
from cellblock.conftest import SmallFacility, ready_for_bed
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create

from .conftest import TABLET_PORTRAIT

pytestmark = pytest.mark.browser


def _book(site: SmallFacility, given: str, family: str) -> Booking:
    person = person_create(actor=None, facility=site.facility, given_name=given, family_name=family)
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


@pytest.fixture
def rivals(site: SmallFacility) -> tuple[Booking, Booking]:
    """Kiba sleeps in A1-1; Shino, waiting for a bed, must never share his cell."""
    kiba = _book(site, "Kiba", "Inuzuka")
    shino = _book(site, "Shino", "Aburame")
    ready_for_bed(kiba)
    # Shino is screened too: he waits only for a bed.
    ready_for_bed(shino)
    bed_assign(actor=None, booking=kiba, bed=site.cells[0].beds.get(code="B1"))
    separation_order_create(
        actor=None, facility=site.facility, person=kiba.person, other_person=shino.person,
        scope="cell", reason="fought in the yard",
    )  # fmt: skip
    return kiba, shino


def named_screenshot(screenshot: Callable[..., Path], page: Page, name: str) -> Path:
    """Save ``name`` (bed-board.png) beside the other screenshots."""
    taken = screenshot(page, name)
    return taken.replace(taken.with_name(f"{name}.png"))


def fits_the_screen(page: Page) -> bool:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= TABLET_PORTRAIT["width"]


def test_a_supervisor_sees_the_verdict_live_and_moves_to_a_lawful_bed(
    page_as: Any,
    supervisor: Any,
    site: SmallFacility,
    rivals: tuple[Booking, Booking],
    screenshot: Callable[..., Path],
) -> None:
    _, shino = rivals
    page: Page = page_as(supervisor, viewport=TABLET_PORTRAIT)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Bed board").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bed board")
    expect(page.get_by_test_id("unhoused")).to_contain_text("Shino Aburame")
    page.get_by_test_id("unit-tile").filter(has_text="Unit A1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Unit A1")
    assert fits_the_screen(page)

    panel = page.get_by_test_id("move-panel")
    verdict = page.get_by_test_id("move-verdict")
    # The unit arrives by htmx: choose only once htmx has bound the panel's triggers.
    page.wait_for_function("() => document.querySelector('#move-booking')?.['htmx-internal-data']")
    panel.get_by_label("Person", exact=True).select_option(shino.booking_number)
    expect(verdict).to_contain_text("Shino Aburame sleeps in no bed yet.")
    expect(panel.get_by_test_id("recommended")).to_be_visible()

    # Beside Kiba: the keep-separate order refuses it, in red, before anything is written.
    panel.get_by_label("Bed", exact=True).select_option(label="A1-1 / B2 · vacant")
    refused = verdict.get_by_test_id("verdict")
    expect(refused).to_have_attribute("data-lawful", "no")
    expect(refused).to_contain_text("Refused by the rule book")
    expect(refused).to_contain_text("keep-separate order (cell)")
    expect(panel.get_by_test_id("confirm-move")).to_be_disabled()

    # A cell of his own: lawful, in green, with its price.
    panel.get_by_label("Bed", exact=True).select_option(label="A1-2 / B1 · vacant")
    lawful = verdict.get_by_test_id("verdict")
    expect(lawful).to_have_attribute("data-lawful", "yes")
    expect(lawful).to_contain_text("Lawful")
    expect(lawful.get_by_test_id("verdict-cost")).to_have_text("0")
    panel.get_by_label("Reason for the move").fill("first bed after intake")
    named_screenshot(screenshot, page, "bed-board")

    page.keyboard.press("Enter")  # Enter in the reason confirms the move
    expect(page.locator(".flash-success")).to_contain_text("Shino Aburame moved to")
    row = page.locator(f'tr[data-booking="{shino.booking_number}"]')
    expect(row.get_by_role("rowheader")).to_contain_text("A1-2 / B1")
    expect(row).to_have_attribute("data-state", "occupied")
