"""Incidents in Chromium: Kakashi dents a bar, and the report marks the cell's feature compromised.

Case file 1 step 6, through the pages on a tablet.  An officer opens the
report form from the incident list, picks the kind and the cell with the
keyboard; the damaged-feature list fills with that cell's own features; she
names Kakashi by booking number and the Hokage by username, and reports.  The
incident page shows the damage; the cell's chakra-suppression is compromised
and Kakashi's placement now raises a housing alert.
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
from cellblock.classification.services import flag_set
from cellblock.conftest import SmallFacility, ready_for_bed
from cellblock.core import clock
from cellblock.facilities import services as facility_services
from cellblock.facilities.models import CellFeature
from cellblock.housing.models import HousingReview
from cellblock.housing.services import bed_assign
from cellblock.incidents.models import Incident
from cellblock.people.services import person_create

from .conftest import TABLET_PORTRAIT

pytestmark = pytest.mark.browser


@pytest.fixture
def kakashi(site: SmallFacility, commander: Any) -> Booking:
    """Kakashi in A1-1, a cell with chakra-suppression bars, which he must have."""
    cell = site.cells[0]
    facility_services.cell_feature_set(actor=None, cell=cell, tag="chakra-suppression")
    person = person_create(
        actor=None, facility=site.facility, given_name="Kakashi", family_name="Hatake",
        date_of_birth=dt.date(1996, 9, 15),
    )  # fmt: skip
    booking = booking_open(
        actor=None, facility=site.facility, person=person, source="court_remand",
        booked_at=clock.now() - dt.timedelta(hours=3),
    )  # fmt: skip
    ready_for_bed(booking)
    bed_assign(actor=None, booking=booking, bed=cell.beds.get(code="B1"))
    flag_set(
        actor=commander, booking=booking, kind="containment", detail="chakra-suppression",
        reason="elite shinobi",
    )  # fmt: skip
    return booking


def test_an_officer_reports_a_dented_bar_and_the_bars_are_marked_compromised(
    page_as: Any,
    officer: Any,
    commander: Any,
    site: SmallFacility,
    kakashi: Booking,
    screenshot: Callable[..., Path],
) -> None:
    page: Page = page_as(officer, viewport=TABLET_PORTRAIT)
    page.goto("/incidents/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Incidents")
    page.get_by_test_id("report-incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report an incident")

    form = page.get_by_test_id("incident-form")
    # The kind has the focus: the whole form is filled from the keyboard.
    expect(form.get_by_label("What happened")).to_be_focused()
    form.get_by_label("What happened").select_option(label="Damage to a cell or property")
    damaged = form.get_by_label("Damaged feature")
    expect(damaged).to_contain_text("Choose the cell first")
    form.get_by_label("Cell", exact=True).select_option(label="A1-1")
    # The list now offers the cell's own features.
    expect(damaged.locator("option", has_text="chakra-suppression")).to_have_count(1)
    damaged.select_option("chakra-suppression")
    form.get_by_label("Narrative").fill(
        "While talking with the Hokage he gripped a bar of his cell and dented it."
    )
    form.get_by_label("People in custody involved").fill(kakashi.booking_number)
    form.get_by_label("Staff involved").fill(commander.username)
    screenshot(page, "form")
    form.get_by_role("button", name="Report the incident").click()

    expect(page.locator(".flash-success")).to_contain_text(
        "Incident TST-INC-2026-0001 reported: chakra-suppression of A1-1 marked compromised."
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("TST-INC-2026-0001")
    expect(page.get_by_test_id("incident-status")).to_have_text("Open")
    expect(page.get_by_test_id("incident-damage")).to_contain_text("chakra-suppression compromised")
    expect(page.get_by_test_id("incident-facts")).to_contain_text("Kakashi Hatake")
    screenshot(page)

    feature = CellFeature.objects.get(cell=site.cells[0], tag="chakra-suppression")
    assert feature.status == "compromised"
    assert Incident.objects.get().reported_by == officer
    assert HousingReview.objects.filter(
        booking=kakashi, code="containment_missing", resolved_at__isnull=True
    ).exists()

    page.locator(".crumbs").get_by_role("link", name="Incidents").click()
    row = page.locator('tr[data-incident="TST-INC-2026-0001"]')
    expect(row).to_contain_text("chakra-suppression compromised")
    expect(row.locator(".status").first).to_have_text("Open")
