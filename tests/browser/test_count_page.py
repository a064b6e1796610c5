"""The count page in Chromium: a formal count with a discrepancy, a recount and a reconciliation.

A supervisor starts a head count on a tablet; the live count shows Unit A1
with two people in their cells and one at court.  The officer counts three
(the man at court is remembered, not seen): the sheet asks for a recount; he
counts three again, by the keyboard alone: a discrepancy.  The supervisor
cannot clear the count until she reconciles the sheet with an explanation;
then she clears it and the page says movement resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cellblock.booking.models import Booking
from cellblock.booking.services import booking_open
from cellblock.conftest import SmallFacility, ready_for_bed
from cellblock.custody.services.movements import movement_start
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create

from .conftest import TABLET_PORTRAIT

pytestmark = pytest.mark.browser


def _held(site: SmallFacility, given: str, family: str, bed_code: str) -> Booking:
    person = person_create(actor=None, facility=site.facility, given_name=given, family_name=family)
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    ready_for_bed(booking)
    bed_assign(actor=None, booking=booking, bed=site.cells[0].beds.get(code=bed_code))
    return booking


@pytest.fixture
def block(site: SmallFacility, officer: Any) -> SmallFacility:
    """Kakashi and Naruto in A1-1; Sasuke in A1-2, out at court."""
    _held(site, "Kakashi", "Hatake", "B1")
    _held(site, "Naruto", "Uzumaki", "B2")
    person = person_create(
        actor=None, facility=site.facility, given_name="Sasuke", family_name="Uchiha"
    )
    sasuke = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    ready_for_bed(sasuke)
    bed_assign(actor=None, booking=sasuke, bed=site.cells[1].beds.get(code="B1"))
    movement_start(actor=officer, booking=sasuke, destination="court", destination_detail="Hall")
    return site


def named_screenshot(screenshot: Callable[..., Path], page: Page, name: str) -> Path:
    # From the top, so the sticky menu does not lie across the middle of the page.
    page.evaluate("window.scrollTo(0, 0)")
    taken = screenshot(page, name)
    return taken.replace(taken.with_name(f"{name}.png"))


def fits_the_screen(page: Page) -> bool:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= TABLET_PORTRAIT["width"]


def test_a_count_with_a_discrepancy_is_recounted_reconciled_and_cleared(
    page_as: Any,
    supervisor: Any,
    officer: Any,
    block: SmallFacility,
    screenshot: Callable[..., Path],
) -> None:
    boss: Page = page_as(supervisor, viewport=TABLET_PORTRAIT)
    boss.goto("/custody/count/")
    expect(boss.get_by_role("heading", level=1)).to_have_text("Count")
    live = boss.get_by_test_id("live-table")
    expect(live.locator('tr[data-unit="A1"]')).to_contain_text("3 2 0 1")
    expect(boss.get_by_test_id("total-out-of-facility")).to_have_text("1")
    assert fits_the_screen(boss)

    start = boss.get_by_test_id("start-form")
    start.get_by_label("Method").select_option("head")
    start.get_by_label("Answers").select_option("unscheduled")
    start.get_by_role("button", name="Start a formal count").click()
    formal = boss.get_by_test_id("formal-count")
    expect(formal.get_by_test_id("count-status")).to_have_text("In progress")
    expect(formal.get_by_test_id("count-note")).to_contain_text("Head count started: 1 sheet")
    sheet = formal.locator('tr[data-unit="A1"]')
    expect(sheet.get_by_test_id("sheet-status")).to_have_text("To count")

    # The officer counts on his own tablet, with the number pad and Enter only.
    counter: Page = page_as(officer, viewport=TABLET_PORTRAIT)
    counter.goto("/custody/count/")
    figure = counter.get_by_label("Counted in Unit A1")
    expect(figure).to_be_focused()
    counter.keyboard.type("3")
    counter.keyboard.press("Enter")
    mine = counter.get_by_test_id("formal-count")
    expect(mine.get_by_test_id("count-note")).to_contain_text("3 counted, it differs. Count again.")
    expect(mine.locator('tr[data-unit="A1"]')).to_have_attribute("data-status", "recount")
    expect(counter.get_by_label("Recount in Unit A1")).to_be_focused()
    counter.keyboard.type("3")
    counter.keyboard.press("Enter")
    expect(mine.locator('tr[data-unit="A1"]')).to_have_attribute("data-status", "discrepant")
    expect(mine).to_contain_text("A supervisor reconciles it.")

    # The supervisor may not clear a count with a discrepancy.
    boss.reload()
    expect(sheet.get_by_test_id("sheet-status")).to_have_text("Discrepancy")
    expect(sheet).to_have_class("sheet-discrepant row-bad")
    named_screenshot(screenshot, boss, "count-discrepancy")
    formal.get_by_role("button", name="Clear the count").click()
    expect(formal.get_by_test_id("count-error")).to_contain_text(
        "The count cannot clear: Unit A1 is not matched or reconciled."
    )

    explanation = formal.get_by_label("Reconcile: why they differ in Unit A1")
    explanation.fill("Uchiha is at court; counted from the movement board, not seen")
    explanation.press("Enter")
    expect(sheet.get_by_test_id("sheet-status")).to_have_text("Reconciled")
    expect(sheet).to_contain_text("Uchiha is at court")

    formal.get_by_role("button", name="Clear the count").click()
    expect(formal.get_by_test_id("count-status")).to_have_text("Cleared")
    expect(formal.get_by_test_id("count-note")).to_have_text("Count cleared: movement resumes.")
    assert fits_the_screen(boss)
    named_screenshot(screenshot, boss, "count-page")
