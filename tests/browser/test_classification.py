"""Classification in Chromium: scored by keyboard on a tablet, an override approved in the queue.

A classification officer answers the instrument with the keyboard alone and
watches the total and level follow; she asks for an override, which a
supervisor approves from the queue; the profile then shows the scored level,
the override and who approved it.
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
from cellblock.classification.services import (
    protective_order_create,
    separation_order_create,
    staff_conflict_create,
)
from cellblock.conftest import SmallFacility, ready_for_bed
from cellblock.core import clock
from cellblock.core.roles import Role
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create

from .conftest import TABLET_PORTRAIT

pytestmark = pytest.mark.browser


def _book(site: SmallFacility, given: str, family: str, hours_ago: int = 0) -> Booking:
    person = person_create(
        actor=None, facility=site.facility, given_name=given, family_name=family,
        date_of_birth=dt.date(1990, 11, 27),
    )  # fmt: skip
    return booking_open(
        actor=None, facility=site.facility, person=person, source="arrest",
        booked_at=clock.now() - dt.timedelta(hours=hours_ago),
    )  # fmt: skip


@pytest.fixture
def lee(site: SmallFacility, supervisor: Any) -> Booking:
    """Rock Lee, booked this morning, with his orders; around him late work and an alert."""
    booking = _book(site, "Rock", "Lee", hours_ago=2)
    guy = _book(site, "Might", "Guy", hours_ago=60)  # classification overdue
    _book(site, "Tenten", "Ama", hours_ago=80)  # classification and PREA overdue
    cellmates = [_book(site, "Zabuza", "Momochi", 10), _book(site, "Haku", "Yuki", 10)]
    for cellmate, bed in zip(cellmates, site.cells[0].beds.all(), strict=True):
        ready_for_bed(cellmate)
        bed_assign(actor=None, booking=cellmate, bed=bed)
    separation_order_create(
        actor=None, facility=site.facility, person=cellmates[0].person,
        other_person=cellmates[1].person, scope="cell", reason="fought in the yard",
    )  # fmt: skip
    separation_order_create(
        actor=None, facility=site.facility, person=booking.person, other_person=guy.person,
        scope="unit", reason="Rivals since the academy; fought at intake.",
    )  # fmt: skip
    hinata = person_create(
        actor=None, facility=site.facility, given_name="Hinata", family_name="Hyuga"
    )
    # On record with no order yet: the pages record one for her.
    person_create(actor=None, facility=site.facility, given_name="Hanabi", family_name="Hyuga")
    protective_order_create(
        actor=None, facility=site.facility, person=booking.person, protected_person=hinata,
        protected_role="witness", source="court_order", scope="all_contact",
        issued_by="Konoha village court", reference="KVC-2026-114",
        expires_at=clock.now() + dt.timedelta(days=180),
    )  # fmt: skip
    staff_conflict_create(
        actor=None, facility=site.facility, person=booking.person, staff=supervisor,
        kind="family", reason="Sam Supervisor is his uncle.",
    )  # fmt: skip
    return booking


def named_screenshot(
    screenshot: Callable[..., Path], page: Page, name: str, **options: Any
) -> Path:
    """Save ``name`` (e.g. classification-queue.png) beside the other screenshots."""
    taken = screenshot(page, name, **options)
    return taken.replace(taken.with_name(f"{name}.png"))


def fits_the_screen(page: Page) -> bool:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= TABLET_PORTRAIT["width"]


def test_an_override_is_asked_by_keyboard_and_approved_in_the_queue(
    page_as: Any,
    staff_factory: Callable[..., Any],
    supervisor: Any,
    lee: Booking,
    screenshot: Callable[..., Path],
) -> None:
    cleo = staff_factory("cleo_classification", Role.CLASSIFICATION)
    page: Page = page_as(cleo, viewport=TABLET_PORTRAIT)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Classification").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Classification queue")
    assert fits_the_screen(page)
    row = page.locator(f'tr[data-booking="{lee.booking_number}"]').filter(
        has_text="Initial classification"
    )
    row.get_by_role("link", name=re.compile("Assess")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Classify Rock Lee")
    assert fits_the_screen(page)

    # Keyboard only: the first answer of the first item has the focus.
    score = page.get_by_test_id("score")
    violence = page.get_by_role("group", name=re.compile("institutional violence"))
    expect(violence.get_by_role("radio").first).to_be_focused()
    page.keyboard.press("ArrowDown")  # assault without a weapon: 3 points
    expect(violence.get_by_role("radio", name=re.compile("Assault without"))).to_be_checked()
    expect(score.get_by_test_id("score-total")).to_have_text("3")
    expect(score.get_by_test_id("score-left")).to_have_text("7 of 8 items to answer.")
    page.keyboard.press("Tab")  # severity of the current offence
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # high: 4 points
    expect(score.get_by_test_id("score-total")).to_have_text("7")
    for _ in range(6):  # every other item: the first answer, none
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
    expect(score.get_by_test_id("score-left")).to_have_text("All 8 items answered.")
    expect(score.get_by_test_id("score-level")).to_have_text("Medium")
    assert fits_the_screen(page)
    screenshot(page, "assess-tablet")

    page.keyboard.press("Tab")
    expect(page.get_by_label("Override to")).to_be_focused()
    page.get_by_label("Override to").select_option("maximum")
    page.get_by_label("Override reason").focus()
    page.keyboard.type("Leads a fighting ring in the yard.")
    page.get_by_role("button", name="Record the assessment").press("Enter")

    expect(page).to_have_url(
        re.compile(rf"/bookings/{lee.booking_number}/#section-classification$")
    )
    expect(page.get_by_role("status")).to_contain_text("Scored Medium (7 points).")
    level = page.get_by_test_id("class-level")
    expect(level.get_by_test_id("override-status")).to_have_text("Override awaiting approval")
    expect(level.get_by_test_id("level-in-force")).to_have_text("Medium")

    # The supervisor finds it in the queue, with the late work in red.
    boss: Page = page_as(supervisor)
    boss.goto("/classification/")
    overdue = boss.locator('tr[data-state="overdue"]')
    expect(overdue.filter(has_text="Tenten Ama")).to_have_count(2)
    expect(overdue.filter(has_text="Might Guy")).to_have_count(1)
    expect(boss.get_by_test_id("queue-alerts")).to_contain_text("Zabuza Momochi")
    override = boss.get_by_test_id("override").filter(has_text="Rock Lee")
    expect(override).to_contain_text("Leads a fighting ring in the yard.")
    named_screenshot(screenshot, boss, "classification-queue")
    override.get_by_label(re.compile("Note")).fill("Confirmed by the yard officers.")
    override.get_by_role("button", name=re.compile("Approve")).click()
    expect(boss.get_by_role("status")).to_contain_text(
        "Override approved: Rock Lee is now Maximum."
    )
    expect(boss.get_by_test_id("override")).to_have_count(0)

    # The profile: the scored level, the override and who approved it.
    boss.goto(f"/bookings/{lee.booking_number}/#section-classification")
    level = boss.get_by_test_id("class-level")
    expect(level.get_by_test_id("level-in-force")).to_have_text("Maximum")
    expect(level.get_by_test_id("scored-level")).to_contain_text("Medium")
    expect(level.get_by_test_id("scored-level")).to_contain_text("7 points")
    expect(level.get_by_test_id("override-status")).to_have_text("Override approved")
    expect(level.get_by_test_id("override-decision")).to_contain_text("Approved by Sam Supervisor")
    expect(boss.locator(".profile-head").get_by_text("Maximum")).to_be_visible()
    named_screenshot(screenshot, boss, "classification-profile", full_page=False)

    # The orders page: read by the supervisor, kept by classification staff.
    page.goto(f"/classification/bookings/{lee.booking_number}/orders/")
    expect(page.get_by_test_id("separations")).to_contain_text("Might Guy")
    expect(page.get_by_test_id("protective")).to_contain_text("Hinata Hyuga")
    expect(page.get_by_test_id("staff-conflicts")).to_contain_text("Sam Supervisor")
    screenshot(page, "orders-tablet")
    assert fits_the_screen(page)


def test_orders_and_flags_are_recorded_from_the_pages(
    page_as: Any,
    staff_factory: Callable[..., Any],
    lee: Booking,
    screenshot: Callable[..., Path],
) -> None:
    cleo = staff_factory("cleo_classification", Role.CLASSIFICATION)
    tenten = Booking.objects.get(person__given_name="Tenten")
    page: Page = page_as(cleo, viewport=TABLET_PORTRAIT)
    page.goto(f"/classification/bookings/{lee.booking_number}/orders/")

    # Keep apart: typing a name offers the people held here.
    page.get_by_text("Keep Rock Lee apart from someone").click()
    page.get_by_label("Search people held here").fill("tent")
    choice = page.get_by_test_id("others").get_by_role("radio")
    expect(choice).to_have_count(1)
    choice.check()
    page.get_by_label("Scope").select_option("cell")
    page.get_by_test_id("separation-form").get_by_label("Reason").fill("Threatened her at meals.")
    page.get_by_role("button", name="Record the keep-separate order").click()
    expect(page.get_by_role("status")).to_contain_text("Keep-separate order recorded")
    expect(page.get_by_test_id("separations")).to_contain_text("Tenten Ama")

    # A protective order for someone on record: the match is offered as the name is typed.
    page.get_by_text("Record a protective order").click()
    form = page.get_by_test_id("protective-form")
    form.get_by_label("Given name").fill("hanabi")
    form.get_by_label("Family name").fill("hyuga")
    form.get_by_test_id("matches").get_by_role("radio", name=re.compile("Hanabi Hyuga")).check()
    form.get_by_label("Role").select_option("victim")
    form.get_by_label("No contact by").select_option("visits")
    form.get_by_label("Source").select_option("administrative")
    form.get_by_label("Issued by").fill("The warden")
    assert fits_the_screen(page)
    screenshot(page, "protective-form")
    form.get_by_role("button", name="Record the protective order").click()
    expect(page.get_by_role("status")).to_contain_text("no contact with Hanabi Hyuga (visits)")
    assert tenten.person.given_name == "Tenten"

    # A flag from the profile, its detail suggested for the kind chosen.
    page.goto(f"/bookings/{lee.booking_number}/#section-classification")
    page.get_by_text("Set or lift a flag").click()
    flags = page.get_by_test_id("flag-form")
    flags.get_by_label("Flag").select_option("suicide_risk")
    expect(flags.get_by_label("Detail")).to_have_attribute("list", "flag-detail-suicide_risk")
    expect(flags.get_by_text("Detail: the observation level")).to_be_visible()
    flags.get_by_label("Detail").fill("suicide_watch")
    flags.get_by_label("Reason").fill("Statements to the night officer.")
    flags.get_by_role("button", name="Set the flag").click()
    expect(page.get_by_role("status")).to_contain_text("Flag set: Suicide risk: suicide_watch.")
    expect(page.get_by_test_id("profile-flags")).to_contain_text("Suicide risk")
    page.get_by_text("Set or lift a flag").click()
    page.get_by_test_id("manage-flags").scroll_into_view_if_needed()
    screenshot(page, "profile-manage-flags", full_page=False)
