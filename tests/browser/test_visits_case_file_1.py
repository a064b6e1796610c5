"""Case file 1, step 7 in Chromium: Tsunade's one visit by Sakura, overriding the rules.

Kakashi Hatake is held; a court's no-contact order protects Sakura Haruno, who
is sixteen.  The commander schedules Sakura's in-cell visit for noon the next
day: the form names every rule that refuses it before anything is sent, and a
submit without an override is refused with the same rules.  With a reason and
conditions the visit is booked, and its page shows the override to everyone.
At noon an officer checks Sakura in, screens her bento box (allowed) and
starts the visit; twenty minutes later the timer is red, prompts to end the
visit and puts the End button under the officer's finger.  The officer ends
the visit and checks Sakura out.

The clock is moved with time-machine (the live server runs in this process):
first to the morning before, then to the visit, then past its twenty minutes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Page, expect

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.booking.services import booking_open
from cellblock.classification.services import protective_order_create
from cellblock.conftest import SmallFacility, ready_for_bed
from cellblock.facilities.services import facility_policy_update
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create
from cellblock.visits.models import ItemOutcome, Visit, Visitor, VisitStatus
from cellblock.visits.services.registry import (
    visitor_decide,
    visitor_identity_check,
    visitor_register,
)

from .conftest import TABLET_PORTRAIT

pytestmark = pytest.mark.browser

# The day before the visit, in the morning: the visit is at noon the next day,
# inside the booking window (24 hours to 14 days ahead).
DAY_BEFORE = dt.datetime.combine(
    dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC
)
VISIT_AT = DAY_BEFORE + dt.timedelta(days=1, hours=3)
SAKURA_ID = "KON-VR-0316"


@pytest.fixture
def travel() -> Iterator[Any]:
    """The clock at the morning before the visit, running; ``travel.move_to`` jumps."""
    with time_machine.travel(DAY_BEFORE, tick=True) as traveller:
        yield traveller


@pytest.fixture
def kakashi(travel: Any, site: SmallFacility, commander: User) -> Booking:
    """Kakashi held in cell A1-1, Konoha's visits of twenty minutes."""
    facility_policy_update(actor=commander, facility=site.facility, visit_length_minutes=20)
    person = person_create(
        actor=None, facility=site.facility, given_name="Kakashi", family_name="Hatake",
        date_of_birth=dt.date(VISIT_AT.year - 30, 9, 15),
    )  # fmt: skip
    booking = booking_open(actor=None, facility=site.facility, person=person, source="court_remand")
    ready_for_bed(booking)
    bed_assign(actor=None, booking=booking, bed=site.cells[0].beds.order_by("code")[0])
    return booking


@pytest.fixture
def sakura(kakashi: Booking, site: SmallFacility, commander: User) -> Visitor:
    """Sakura, sixteen on the day of the visit, protected from Kakashi by a no-contact order."""
    born = dt.date(VISIT_AT.year - 16, VISIT_AT.month, 1) - dt.timedelta(days=1)
    visitor = visitor_register(
        actor=commander, facility=site.facility, given_name="Sakura", family_name="Haruno",
        date_of_birth=born, sex="female", id_kind="village_registry", id_number=SAKURA_ID,
    )  # fmt: skip
    visitor_identity_check(
        actor=commander, visitor=visitor, id_kind="village_registry", id_number=SAKURA_ID
    )
    visitor_decide(actor=commander, visitor=visitor, status="approved")
    protective_order_create(
        actor=commander, facility=site.facility, person=kakashi.person,
        protected_person=visitor.person, protected_role="protected_party", source="court_order",
        scope="all_contact", issued_by="Tsunade, Hokage", reference="KON-CR-0001",
    )  # fmt: skip
    return visitor


def named_screenshot(screenshot: Callable[..., Path], page: Page, name: str) -> Path:
    """Save ``name`` (visit-override.png) beside the other screenshots."""
    taken = screenshot(page, name)
    return taken.replace(taken.with_name(f"{name}.png"))


def fits_the_screen(page: Page) -> bool:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= TABLET_PORTRAIT["width"]


REFUSING_RULES = ("protective_order", "minor_without_guardian", "not_on_visiting_list")


def test_the_commander_overrides_for_one_visit_and_the_officer_ends_it_at_twenty_minutes(
    page_as: Any,
    commander: User,
    officer: User,
    kakashi: Booking,
    sakura: Visitor,
    travel: Any,
    screenshot: Callable[..., Path],
) -> None:
    # --- The day before: the commander schedules from Kakashi's profile. ------------------
    page: Page = page_as(commander, viewport=TABLET_PORTRAIT)
    page.goto(f"/bookings/{kakashi.booking_number}/")
    visits = page.locator('[data-section="visits"]')
    visits.get_by_role("link", name="Schedule a visit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule a visit")
    expect(page.get_by_test_id("visit-person")).to_contain_text("Kakashi Hatake")

    page.get_by_label("Kind of visit").select_option("in_cell")
    page.get_by_label("Starts").fill(VISIT_AT.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Length (minutes)").fill("20")
    page.get_by_label("Someone else from the registry").fill("Haruno")
    page.get_by_role("checkbox", name=re.compile("Sakura Haruno")).check()

    # The verdict names every rule before anything is sent.
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-allowed", "no")
    for code in REFUSING_RULES:
        expect(verdict.locator(f'li[data-code="{code}"]')).to_be_visible()
    expect(verdict).to_contain_text("Sakura Haruno is protected by a no-contact order")
    expect(verdict).to_contain_text("You may let this one visit go ahead")
    assert fits_the_screen(page)
    named_screenshot(screenshot, page, "visit-verdict")

    # Sent without an override: refused, with the same rules named.
    page.get_by_test_id("schedule-submit").click()
    expect(page.get_by_test_id("refused")).to_contain_text("This visit is refused")
    for code in REFUSING_RULES:
        expect(page.get_by_test_id("verdict").locator(f'li[data-code="{code}"]')).to_be_visible()
    assert not Visit.objects.exists()

    # With the commander's reason and conditions, it is booked once.
    page.get_by_label("Reason").fill("He accepted an assignment beyond S-rank.")
    page.get_by_label("Conditions").fill("One visit, twenty minutes, an officer at the door.")
    page.get_by_test_id("schedule-submit").click()
    expect(page.locator(".flash-success")).to_contain_text("commander's override")
    banner = page.get_by_test_id("override-banner")
    expect(banner).to_contain_text("He accepted an assignment beyond S-rank.")
    expect(banner).to_contain_text("One visit, twenty minutes, an officer at the door.")
    for code in REFUSING_RULES:
        expect(banner.locator(f'li[data-code="{code}"]')).to_be_visible()
    expect(page.get_by_test_id("visit-status")).to_have_text("Scheduled")
    assert fits_the_screen(page)
    named_screenshot(screenshot, page, "visit-override")
    visit = Visit.objects.get()
    detail = f"/visits/{visit.public_id}/"

    # --- Noon the next day: the officer at the desk. ------------------------------------------
    travel.move_to(VISIT_AT - dt.timedelta(minutes=10))
    desk: Page = page_as(officer, viewport=TABLET_PORTRAIT)
    desk.goto(detail)
    expect(desk.get_by_test_id("override-by")).to_have_text(commander.full_name)
    check_in = desk.get_by_test_id("check-in-form")
    check_in.get_by_label("Number on the document").fill(SAKURA_ID)
    check_in.get_by_role("button", name="Check in").click()
    expect(desk.locator(".flash-success")).to_contain_text("Checked in: Sakura Haruno.")

    items = desk.get_by_test_id("item-form")
    items.get_by_label("Item").fill("Bento box")
    items.get_by_label("Outcome").select_option(ItemOutcome.ALLOWED)
    items.get_by_role("button", name="Log the item").click()
    expect(desk.get_by_test_id("visit-items")).to_contain_text("Bento box")
    expect(desk.get_by_test_id("item-outcome")).to_have_text("Allowed in")

    start = desk.get_by_test_id("start-form")
    start.get_by_label("Escorting officer").select_option(officer.username)
    start.get_by_role("button", name="Start the visit").click()
    expect(desk.get_by_test_id("visit-status")).to_have_text("In progress")
    expect(desk.get_by_test_id("visit-timer")).to_contain_text("left")
    expect(desk.get_by_test_id("time-up")).to_be_hidden()
    expect(desk.get_by_test_id("door-events")).to_contain_text("Open")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.IN_PROGRESS
    assert visit.due_end_at is not None

    # --- Twenty minutes later: time is up. ------------------------------------------------------
    travel.move_to(visit.due_end_at + dt.timedelta(seconds=5))
    desk.goto("/visits/")
    running = desk.get_by_test_id("running-visit")
    expect(running).to_contain_text("Kakashi Hatake")
    expect(running.get_by_test_id("visit-timer")).to_have_class(re.compile("timer-up"))
    expect(running.get_by_test_id("time-up")).to_have_text("Time is up: end the visit")
    expect(desk.get_by_test_id("overrun-count")).to_contain_text("1 over time")
    named_screenshot(screenshot, desk, "visit-board-timer")

    desk.goto(detail)
    expect(desk.get_by_test_id("time-up")).to_be_visible()
    end = desk.get_by_test_id("end-visit")
    expect(end).to_be_focused()
    desk.keyboard.press("Enter")
    expect(desk.locator(".flash-success")).to_contain_text("Visit ended")
    expect(desk.get_by_test_id("visit-status")).to_have_text("Ended")

    desk.get_by_test_id("check-out-form").get_by_role("button").click()
    expect(desk.locator(".flash-success")).to_contain_text("the visit is completed")
    expect(desk.get_by_test_id("visit-status")).to_have_text("Completed")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.COMPLETED
    assert visit.ended_at is not None
    assert visit.ended_at >= visit.due_end_at
