"""Requests in Chromium: Kakashi asks to speak with the Hokage at the kiosk, and she answers.

Case file 1 step 5, through the pages.  An officer hands the unit tablet to
Kakashi; he names himself with his booking number and date of birth (a wrong
date is refused without saying which part is wrong), addresses his request to
the commander and gets his number.  Tsunade finds it under "Addressed to me"
in her inbox, opens the thread and answers.
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
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create
from cellblock.requests.models import InmateRequest

from .conftest import TABLET_PORTRAIT

pytestmark = pytest.mark.browser

BORN = dt.date(1996, 9, 15)


@pytest.fixture
def kakashi(site: SmallFacility) -> Booking:
    person = person_create(
        actor=None, facility=site.facility, given_name="Kakashi", family_name="Hatake",
        date_of_birth=BORN,
    )  # fmt: skip
    booking = booking_open(
        actor=None, facility=site.facility, person=person, source="court_remand",
        booked_at=clock.now() - dt.timedelta(hours=3),
    )  # fmt: skip
    ready_for_bed(booking)
    bed_assign(actor=None, booking=booking, bed=site.cells[0].beds.get(code="B1"))
    return booking


def test_kakashi_asks_for_the_hokage_at_the_kiosk_and_the_commander_answers(
    page_as: Any,
    officer: Any,
    commander: Any,
    medic: Any,
    kakashi: Booking,
    screenshot: Callable[..., Path],
) -> None:
    tablet: Page = page_as(officer, viewport=TABLET_PORTRAIT)
    tablet.goto("/requests/kiosk/")
    expect(tablet.get_by_role("heading", level=1)).to_have_text("Ask for something")
    number = tablet.get_by_label("Booking number")
    expect(number).to_be_focused()

    # A wrong date of birth: refused, without saying which part is wrong.
    number.fill(kakashi.booking_number)
    tablet.get_by_label("Date of birth").fill("1996-09-16")
    tablet.get_by_role("button", name="Continue").click()
    expect(tablet.get_by_test_id("kiosk-error")).to_contain_text(
        "We could not find you with this booking number and date of birth."
    )

    tablet.get_by_label("Booking number").fill(kakashi.booking_number)
    tablet.get_by_label("Date of birth").fill(BORN.isoformat())
    tablet.get_by_label("Date of birth").press("Enter")
    expect(tablet.get_by_role("heading", level=1)).to_have_text("Hello, Kakashi")
    write = tablet.get_by_test_id("kiosk-write")
    expect(write.get_by_label("The commander")).to_be_focused()
    write.get_by_label("The commander").check()
    write.get_by_label("Subject").fill("I ask to speak with the Hokage")
    write.get_by_label("Your request").fill("About my sentence and the damaged bars.")
    screenshot(tablet, "kiosk")
    write.get_by_role("button", name="Send my request").click()

    year = clock.now().year
    expect(tablet.get_by_test_id("kiosk-number")).to_have_text(f"TST-REQ-{year}-0001")
    screenshot(tablet, "kiosk-filed")
    request = InmateRequest.objects.get()
    assert (request.filed_via, request.filed_by, request.addressee_role) == (
        "kiosk", officer, "commander",
    )  # fmt: skip
    tablet.get_by_test_id("kiosk-finish").click()
    expect(tablet.get_by_label("Booking number")).to_have_value("")

    desk: Page = page_as(commander)
    desk.goto("/requests/")
    expect(desk.get_by_test_id("tab-mine")).to_have_attribute("aria-current", "page")
    row = desk.locator(f'tr[data-request="TST-REQ-{year}-0001"]')
    expect(row).to_contain_text("Kakashi Hatake")
    expect(row).to_contain_text("commander (role)")
    expect(row.locator(".status")).to_have_text("Open")
    screenshot(desk, "inbox")
    row.get_by_role("link", name=f"TST-REQ-{year}-0001").click()

    expect(desk.get_by_test_id("request-text")).to_contain_text("About my sentence")
    answer = desk.get_by_test_id("respond-form")
    answer.get_by_label("Answer").fill("Come to my office at noon tomorrow.")
    answer.get_by_role("button", name="Send the answer").click()
    expect(desk.locator(".flash-success")).to_have_text(f"TST-REQ-{year}-0001 answered.")
    expect(desk.get_by_test_id("request-status")).to_have_text("Answered")
    expect(desk.get_by_test_id("request-thread")).to_contain_text(
        "Come to my office at noon tomorrow."
    )
    screenshot(desk)

    # The medic was never addressed: nothing is waiting for her.
    infirmary: Page = page_as(medic)
    infirmary.goto("/requests/")
    expect(infirmary.get_by_test_id("no-requests")).to_be_visible()
