"""Case file 1, step 8 in Chromium: Tsunade releases Kakashi to an assignment, by the checklist.

Kakashi Hatake was remanded by the court's verdict (a two-year sentence) and
is housed in the test jail; his gear and some cash were taken at intake.  Two
others are on the release board: Might Guy, held two days past his date (red),
and Rock Lee, due today.  Tsunade opens Kakashi's profile, prepares a release
to an assignment (a mission beyond S-rank, no return expected: the kind
select narrows the form to the assignment's fields), and tries to complete it
at once: refused, every open step named.  She returns his property (he signs
for it), hands over the cash and calls off his visits; Shizune, a medic,
writes the discharge note; Tsunade completes the release.  The booking
closes as a release to an assignment, the bed is free and the count drops at
once.
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
from cellblock.booking.models import Booking, BookingStatus
from cellblock.booking.services import (
    ChargeData,
    PropertyData,
    booking_open,
    booking_transition,
    property_item_add,
)
from cellblock.conftest import SmallFacility, make_staff, ready_for_bed
from cellblock.court import sentencing
from cellblock.court.services.cases import CaseChargeData, case_open
from cellblock.court.services.verdicts import (
    RemandData,
    SentenceData,
    VerdictData,
    verdict_record,
)
from cellblock.court.testing import court_setup
from cellblock.custody.services.movements import movement_return
from cellblock.housing.models import BedAssignment
from cellblock.housing.services import bed_assign
from cellblock.people.models import Person
from cellblock.people.services import person_create
from cellblock.release.models import Release, ReleaseStatus

from .conftest import TABLET_PORTRAIT

pytestmark = pytest.mark.browser

# A morning at the test jail (UTC), tomorrow, so the clock runs on from there.
MORNING = dt.datetime.combine(
    dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC
)
TODAY = MORNING.date()
RANK = "Beyond S-rank"
CONDITIONS = "Accepted the assignment; reports to the Hokage alone."
DISCHARGE = "Chakra exhaustion resolved; fit to travel."


@pytest.fixture
def morning() -> Iterator[Any]:
    with time_machine.travel(MORNING, tick=True) as traveller:
        yield traveller


def _staff(site: SmallFacility, username: str, full_name: str, *roles: str) -> User:
    user = make_staff(username, site.facility, *roles)
    user.full_name = full_name
    user.save(update_fields=["full_name"])
    return user


@pytest.fixture
def konoha(morning: Any, site: SmallFacility) -> dict[str, User]:
    return {
        "tsunade": _staff(site, "tsunade", "Tsunade", "commander"),
        "shizune": _staff(site, "shizune", "Shizune", "supervisor", "medical"),
        "hiroki": _staff(site, "hiroki", "Hiroki", "officer"),
    }


def _person(site: SmallFacility, given: str, family: str, born: dt.date) -> Person:
    return person_create(
        actor=None, facility=site.facility, given_name=given, family_name=family, sex="male",
        date_of_birth=born,
    )  # fmt: skip


def _housed(site: SmallFacility, booking: Booking, by: User) -> Booking:
    ready_for_bed(booking)
    free = [
        bed
        for cell in site.cells
        for bed in cell.beds.order_by("code")
        if not bed.assignments.filter(ended_at__isnull=True).exists()
    ]
    bed_assign(actor=by, booking=booking, bed=free[0])
    return booking


def _sentenced_before(
    site: SmallFacility, by: User, person: Person, *, docket: str, days: int, ago: int
) -> Booking:
    """Someone held on a sentence of ``days`` imposed ``ago`` days ago (no good time)."""
    booking = booking_open(
        actor=None, facility=site.facility, person=person, source="arrest",
        charges=[ChargeData(statute="KON 3", description="Brawling", severity="misdemeanour")],
    )  # fmt: skip
    booking = booking_transition(actor=None, booking=booking, to=BookingStatus.IN_CUSTODY)
    _housed(site, booking, by)
    setup = court_setup(site.facility)
    case = case_open(
        actor=by, facility=site.facility, court=setup.court, docket_number=docket,
        person=person, presiding_authority="Tsunade, Fifth Hokage",
        charges=[CaseChargeData(statute="KON 3", description="Brawling", severity="misdemeanour",
                                booking_charge=booking.charges.get())],
    )  # fmt: skip
    count = case.charges.get()
    verdict_record(
        actor=by, case=case, verdicts=[VerdictData(charge=count, verdict="guilty")],
        sentences=[SentenceData(charge=count, term=sentencing.Term(days=days),
                                imposed_on=TODAY - dt.timedelta(days=ago), time_served_days=0)],
    )  # fmt: skip
    return booking


@pytest.fixture
def kakashi(konoha: dict[str, User], site: SmallFacility) -> Booking:
    """Remanded by the verdict (two years, a protected party), walked to the cells, housed."""
    tsunade = konoha["tsunade"]
    setup = court_setup(site.facility)
    kakashi = _person(site, "Kakashi", "Hatake", dt.date(TODAY.year - 30, 9, 15))
    sakura = _person(site, "Sakura", "Haruno", dt.date(TODAY.year - 16, 3, 28))
    case = case_open(
        actor=tsunade, facility=site.facility, court=setup.court, docket_number="KON-CR-0001",
        person=kakashi, presiding_authority="Tsunade, Fifth Hokage",
        charges=[CaseChargeData(statute="KON 12", description="Endangering a minor",
                                severity="felony")],
        parties=[(sakura, "protected_party")],
    )  # fmt: skip
    result = verdict_record(
        actor=tsunade, case=case,
        verdicts=[VerdictData(charge=case.charges.get(), verdict="guilty")],
        sentences=[SentenceData(charge=case.charges.get(), term=sentencing.Term(years=2))],
        remand=RemandData(escort=konoha["hiroki"]), no_contact=True,
    )  # fmt: skip
    assert result.booking is not None
    assert result.movement is not None
    movement_return(actor=konoha["hiroki"], movement=result.movement)
    booking = _housed(site, result.booking, tsunade)
    for item in (
        PropertyData(kind="taken", description="Ninja tool pouch", bag_number="B-7"),
        PropertyData(kind="taken", description="Cash", cash_amount="120.00"),
    ):
        property_item_add(actor=None, booking=booking, data=item)
    return booking


@pytest.fixture
def others(konoha: dict[str, User], site: SmallFacility, kakashi: Booking) -> dict[str, Booking]:
    """Might Guy, two days past his date; Rock Lee, due today."""
    tsunade = konoha["tsunade"]
    guy = _person(site, "Might", "Guy", dt.date(TODAY.year - 31, 1, 1))
    lee = _person(site, "Rock", "Lee", dt.date(TODAY.year - 19, 11, 27))
    return {
        "guy": _sentenced_before(site, tsunade, guy, docket="KON-CR-0007", days=10, ago=12),
        "lee": _sentenced_before(site, tsunade, lee, docket="KON-CR-0008", days=7, ago=7),
    }


def named_screenshot(screenshot: Callable[..., Path], page: Page, name: str) -> Path:
    """Save ``name`` (release-checklist.png) beside the other screenshots."""
    taken = screenshot(page, name)
    return taken.replace(taken.with_name(f"{name}.png"))


def fits_the_screen(page: Page) -> bool:
    """No sideways scrolling on the tablet: neither the page nor any of its tables."""
    width: int = page.evaluate("document.documentElement.scrollWidth")
    hidden: int = page.evaluate(
        "Array.from(document.querySelectorAll('.table-scroll'))"
        ".filter(box => box.scrollWidth > box.clientWidth + 1).length"
    )
    return width <= TABLET_PORTRAIT["width"] and hidden == 0


def test_tsunade_releases_kakashi_to_an_assignment_through_the_checklist(
    page_as: Any,
    konoha: dict[str, User],
    kakashi: Booking,
    others: dict[str, Booking],
    site: SmallFacility,
    screenshot: Callable[..., Path],
) -> None:
    number = kakashi.booking_number
    tsunade, shizune = konoha["tsunade"], konoha["shizune"]

    # --- The release board: Guy overdue in red, Lee due today. --------------------------------
    page: Page = page_as(tsunade, viewport=TABLET_PORTRAIT)
    expect(page.get_by_test_id("occupied")).to_have_text("3")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Releases").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Release board")
    overdue = page.get_by_test_id("board-overdue")
    expect(overdue.get_by_test_id("overdue-alert")).to_be_visible()
    guy = overdue.locator(f'tr[data-booking="{others["guy"].booking_number}"]')
    expect(guy).to_have_class(re.compile("row-bad"))
    expect(guy).to_contain_text("2 days past")
    expect(page.get_by_test_id("board-due-today")).to_contain_text("Rock Lee")
    assert fits_the_screen(page)
    named_screenshot(screenshot, page, "release-board")

    # --- Step 8: from Kakashi's profile to his release page. -------------------------------------
    page.goto(f"/bookings/{number}/")
    court = page.locator('[data-section="court"]')
    expect(court.get_by_test_id("profile-legal-status")).to_have_text("Sentenced")
    page.locator('[data-section="release"]').get_by_role("link", name="Prepare a release").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Release: Kakashi Hatake")
    page.wait_for_load_state()  # htmx is loaded, so choosing the kind asks for its fields
    page.get_by_label("Kind of release").select_option("assignment")
    fields = page.get_by_test_id("start-fields")
    expect(fields).to_have_attribute("data-kind", "assignment")
    expect(fields.locator('[data-for="furlough"]')).to_have_count(0)
    expect(page.get_by_test_id("kind-steps")).to_contain_text("Property returned and signed for")
    page.get_by_label("Authority").fill("Order of the Fifth Hokage")
    page.get_by_label("Rank of the assignment").fill(RANK)
    page.get_by_label("Conditions").fill(CONDITIONS)
    page.get_by_test_id("start-release").click()
    expect(page.locator(".flash-success")).to_contain_text("Release to an assignment started")
    expect(page.get_by_test_id("release-status")).to_have_text(
        "Release to an assignment: preparing"
    )
    expect(page.get_by_test_id("assignment-rank")).to_have_text(RANK)
    expect(page.get_by_test_id("checklist-count")).to_have_text("1 of 5 done")

    # Completing now is refused, and the refusal names every open step.
    page.get_by_test_id("complete").click()
    refusal = page.get_by_test_id("release-error")
    expect(refusal).to_have_attribute("data-code", "release_checklist_incomplete")
    for label in (
        "Property returned and signed for", "Money returned", "Medical discharge note",
        "Upcoming visits cancelled",
    ):  # fmt: skip
        expect(refusal).to_contain_text(label)
    expect(page.locator('[data-step="property_returned"]')).to_have_class(re.compile("is-refused"))
    assert fits_the_screen(page)
    named_screenshot(screenshot, page, "release-refused")

    # Tsunade works the checklist: property (he signs), money, visits.
    step = page.locator('[data-step="property_returned"]')
    step.get_by_role("button", name="Return the property").click()
    expect(page.get_by_test_id("error-signed")).to_be_visible()
    step = page.locator('[data-step="property_returned"]')
    step.get_by_label("Kakashi Hatake signed for the property").check()
    step.get_by_role("button", name="Return the property").click()
    expect(page.locator(".flash-success")).to_contain_text("Property returned and signed for")
    money = page.locator('[data-step="money_returned"]')
    expect(money.get_by_label("Amount handed over")).to_have_value("120.00")
    money.get_by_role("button", name="Hand over the money").click()
    expect(page.locator('[data-step="money_returned"]')).to_have_attribute("data-done", "yes")
    page.locator('[data-step="visits_cancelled"]').get_by_role("button").click()
    expect(page.locator('[data-step="visits_cancelled"]')).to_have_attribute("data-done", "yes")
    medical = page.locator('[data-step="medical_discharge"]')
    expect(medical.get_by_test_id("needs-medic")).to_be_visible()

    # Shizune, a medic, writes the discharge note on the same page.
    medic: Page = page_as(shizune, viewport=TABLET_PORTRAIT)
    medic.goto(f"/releases/bookings/{number}/")
    form = medic.get_by_test_id("medical-form")
    form.get_by_label("Discharge note").fill(DISCHARGE)
    form.get_by_role("button", name="Record the discharge note").click()
    expect(medic.locator('[data-step="medical_discharge"]')).to_have_attribute("data-done", "yes")

    # Tsunade completes the release: the booking closes, the bed frees, the count drops.
    page.reload()
    expect(page.get_by_test_id("checklist-count")).to_have_text("5 of 5 done")
    expect(page.locator('[data-step="holds_clear"]')).to_have_attribute("data-done", "yes")
    assert DISCHARGE not in page.content()  # the note is clinical: custody never reads it
    assert fits_the_screen(page)
    named_screenshot(screenshot, page, "release-checklist")
    page.get_by_test_id("complete").click()
    expect(page.locator(".flash-success")).to_contain_text(
        "Kakashi Hatake released: release to an assignment. The bed is free"
    )
    expect(page.get_by_test_id("release-status")).to_have_text(
        "Release to an assignment: completed"
    )
    expect(page.get_by_test_id("completed")).to_contain_text("Tsunade")
    named_screenshot(screenshot, page, "release-completed")

    kakashi.refresh_from_db()
    assert (kakashi.status, kakashi.release_type) == (BookingStatus.RELEASED, "assignment")
    assert not BedAssignment.objects.filter(booking=kakashi, ended_at__isnull=True).exists()
    release = Release.objects.get(booking=kakashi)
    assert (release.status, release.authorised_by) == (ReleaseStatus.COMPLETED, tsunade)
    assert release.conditions == CONDITIONS
    page.goto("/")
    expect(page.get_by_test_id("occupied")).to_have_text("2")
