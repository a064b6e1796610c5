"""The alert board in Chromium: from the dashboard's panel to the board, filtered and sorted.

Case file 2 as the supervisor finds it on a tablet: a ten-year-old held ninety
days in the dark isolation cell, chained, never checked.  The dashboard counts
the breaches; the board lists them breaches first with their figures and who
must act; picking a rule narrows the board in place (htmx), and the figure
column sorts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cellblock.booking.models import Booking
from cellblock.booking.services import booking_open
from cellblock.conftest import SmallFacility
from cellblock.core import clock
from cellblock.custody.models import Restraint, RestraintKind, RestraintPurpose
from cellblock.facilities import services as facility_services
from cellblock.housing.models import BedAssignment
from cellblock.people.services import person_create

from .conftest import TABLET_PORTRAIT

pytestmark = pytest.mark.browser


@pytest.fixture
def forgotten(site: SmallFacility, officer: Any) -> Booking:
    """Naruto, ten, in the lower level's isolation cell for ninety days, chained, unchecked."""
    fs = facility_services
    lower = fs.zone_create(
        actor=None, facility=site.facility, code="L", name="Lower level", restricted=True
    )
    iso = fs.unit_create(
        actor=None, zone=lower, code="ISO", name="Isolation", security_rating="special",
        restrictive_housing=True,
    )  # fmt: skip
    cell = fs.cell_create(actor=None, unit=iso, code="ISO-1", beds=1, features=["iron-door"])
    long_ago = clock.now() - dt.timedelta(days=90)
    person = person_create(
        actor=None, facility=site.facility, given_name="Naruto", family_name="Uzumaki",
        date_of_birth=dt.date(2015, 10, 10),
    )  # fmt: skip
    booking = booking_open(
        actor=None, facility=site.facility, person=person, source="arrest", booked_at=long_ago
    )
    # The placement of ninety days ago, as the records hold it.
    BedAssignment.objects.create(booking=booking, bed=cell.beds.get(), started_at=long_ago)
    Restraint.objects.create(
        booking=booking, kind=RestraintKind.CHAINS, purpose=RestraintPurpose.SAFETY,
        reason="fox chakra", applied_at=long_ago, applied_by=officer,
    )  # fmt: skip
    return booking


def fits_the_screen(page: Page) -> bool:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= TABLET_PORTRAIT["width"]


def test_a_supervisor_goes_from_the_dashboard_to_the_board_and_narrows_it(
    page_as: Any,
    supervisor: Any,
    commander: Any,
    forgotten: Booking,
    screenshot: Callable[..., Path],
) -> None:
    page: Page = page_as(supervisor, viewport=TABLET_PORTRAIT)
    panel = page.get_by_test_id("compliance-alerts")
    expect(panel.get_by_role("heading", name="Compliance alerts")).to_be_visible()
    breaches = int(panel.get_by_test_id("compliance-breaches").inner_text())
    assert breaches >= 9
    # The panel lists the first ten alerts; how many warnings join the breaches
    # depends on the hour (a count or a meal due), so at least the nine breaches.
    top = panel.get_by_test_id("compliance-top").locator("li")
    expect(top.first).to_be_visible()
    assert 9 <= top.count() <= 10
    panel.get_by_role("link", name="Open the alert board").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Alert board")
    board = page.get_by_test_id("alert-board")
    expect(board.get_by_test_id("breach-count")).to_have_text(str(breaches))
    rows = board.locator("table[data-testid=alerts] tbody tr")
    expect(rows.first).to_have_attribute("data-severity", "breach")
    dark = board.locator('tr[data-rule="dark_cell"]')
    expect(dark).to_contain_text("Naruto Uzumaki")
    expect(dark).to_contain_text("ISO / ISO-1")
    expect(dark).to_contain_text("90 days")
    expect(dark).to_contain_text("Supervisor: Sam Supervisor")
    expect(dark).to_contain_text("Commander: Cara Commander")
    juvenile = board.locator('tr[data-rule="juvenile_in_adult_facility"]')
    expect(juvenile).to_contain_text("2160 h (90 days)")
    assert fits_the_screen(page)
    taken = screenshot(page, "compliance-board")
    taken.replace(taken.with_name("compliance-board.png"))

    # One rule: the board redraws in place and the address keeps the filter.
    page.get_by_label("Rule").select_option(label="Dark cell")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-rule", "dark_cell")
    expect(page).to_have_url(re.compile(r"/compliance/\?.*rule=dark_cell"))

    # Every rule again; then the words typed narrow the rows, and the figures sort.
    page.get_by_label("Rule").select_option(label="every rule")
    expect(rows).to_have_count(breaches + int(board.get_by_test_id("warning-count").inner_text()))
    page.get_by_label("Find").fill("chains")
    expect(board.locator("tbody tr:not([hidden])")).to_have_count(2)
    page.get_by_label("Find").press("Escape")
    figure = board.get_by_role("columnheader", name="Figure")
    figure.get_by_role("button").click()
    expect(figure).to_have_attribute("aria-sort", "ascending")
    first_number = int(rows.first.locator("td.num").get_attribute("data-sort") or "0")
    last_number = int(rows.last.locator("td.num").get_attribute("data-sort") or "0")
    assert first_number <= last_number
