"""The Konoha demo in Chromium: the key screens of each case file, as the staff who act in it.

``cellblock demo`` loads Konoha Prison with the three case files of
docs/scenarios/ at the current time.  Each test walks one case file through
the pages its acting roles use, asserts what each screen must show and saves
a full-page screenshot of it (test-artifacts/screenshots/):

1. The verdict: Tsunade reads Kakashi's case and release date, finds him on
   the bed board with the reason his cell no longer holds him, and the release
   board; at noon the next day Kurenai checks Sakura in, Hiroki starts her
   twenty-minute visit and watches its timer; Tsunade starts the release to
   an assignment.
2. The last cell: Tsunade's alert board lists Naruto's breaches with their
   rules; Iruka's booking wizard finds him already held; Hiroki logs the ANBU
   captain's forced entry into the restricted lower level.
3. Baby steps: Shizune's post board shows the two officers at Sasuke's door;
   Sakura opens her encounter in his cell, with the staff-victim conflict
   acknowledged, and sees the warnings when an encounter is scheduled; Hiroki
   checks his bindings and reads the meal he missed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import Page, expect

from cellblock.audit.tests.support import flushable_audit_trail
from cellblock.custody.models import MealOutcome, MealRecord
from cellblock.demo.konoha import DEMO_PASSWORD
from cellblock.visits.models import Visit

from .conftest import sign_in

pytestmark = pytest.mark.browser

# Argon2 is slow on purpose; the demo creates thirteen accounts.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Sakura's village registry card, as the visits desk registered it in the demo.
SAKURA_CARD = "KV-0328"

# Case file 2: what the board must hold against Naruto, three months in the dark.
NARUTO_BREACHES = (
    "juvenile_in_adult_facility",
    "child_in_solitary",
    "prolonged_solitary",
    "dark_cell",
    "restraint_checks_overdue",
    "observation_overdue",
    "no_visits",
    "exercise_missed",
)


@pytest.fixture(scope="module")
def konoha(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Konoha loaded and committed once for the module, flushed once at its end.

    The live server reads the demo from its own connection, so it is committed,
    and the three tours share it rather than each loading it again.
    """
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        call_command("demo", stdout=io.StringIO())
        yield
        flushable_audit_trail()
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def transactional_db(konoha: None, django_db_blocker: Any) -> Iterator[None]:
    """Every test here reads the demo the module committed: no flush after each one.

    The live server makes a test transactional, and a transactional test ends
    by emptying every table; here the tests share one Konoha instead.  What a
    tour adds (a visit started, a door logged) touches no other tour's screens.
    """
    with django_db_blocker.unblock():
        yield


@pytest.fixture(autouse=True)
def flushable_audit_trail_after_transactional_tests() -> None:
    """The audit trail's triggers stay on: the only flush is the module's."""


@pytest.fixture
def konoha_as(new_page: Callable[..., Page]) -> Callable[[str], Page]:
    """``konoha_as(username)``: a page signed in as a demo login, through the form."""

    def open_as(username: str) -> Page:
        page = new_page()
        sign_in(page, username, DEMO_PASSWORD)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        return page

    return open_as


def go(page: Page, menu_item: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=menu_item, exact=True
    ).click()


def heading(page: Page) -> Any:
    return expect(page.get_by_role("heading", level=1))


def shot(screenshot: Callable[..., Path], page: Page, label: str) -> Path:
    # From the top: the sticky menu would otherwise sit in the middle of a full-page shot.
    page.evaluate("window.scrollTo(0, 0)")
    return screenshot(page, label)


def test_kakashi_from_the_verdict_to_his_cell_sakuras_timed_visit_and_his_release(
    konoha_as: Callable[[str], Page], screenshot: Callable[..., Path]
) -> None:
    # --- Tsunade, the Hokage: the case she presided over. -------------------------------------
    tsunade = konoha_as("tsunade")
    go(tsunade, "Court")
    heading(tsunade).to_have_text("Hearing calendar")
    tsunade.get_by_role("main").get_by_role("link", name="Cases", exact=True).click()
    heading(tsunade).to_have_text("Cases")
    tsunade.get_by_test_id("filter-status").select_option(label="Disposed")
    tsunade.get_by_test_id("cases").get_by_role("link", name="KON-CR-2026-0042").click()
    heading(tsunade).to_contain_text("KON-CR-2026-0042: Kakashi Hatake")
    expect(tsunade.get_by_test_id("case-status")).to_have_text("Disposed")
    expect(tsunade.get_by_test_id("case-booking")).to_contain_text("Sentenced")
    expect(tsunade.get_by_test_id("case-release-date")).to_contain_text(
        re.compile(r"\d{4}-\d{2}-\d{2}")
    )
    expect(tsunade.get_by_test_id("case-counts")).to_contain_text("Guilty")
    parties = tsunade.get_by_test_id("case-parties")
    expect(parties).to_contain_text("Sakura Haruno")
    expect(parties).to_contain_text("Protected party")
    shot(screenshot, tsunade, "court-case")

    # The bed board: his bars are dented, so MC-05 no longer holds him; a move is proposed.
    go(tsunade, "Bed board")
    heading(tsunade).to_have_text("Bed board")
    tsunade.get_by_test_id("unit-tile").filter(has_text="Main corridor").click()
    heading(tsunade).to_contain_text("Main corridor")
    his_name = tsunade.get_by_role("link", name="Kakashi Hatake", exact=True)
    kakashi = tsunade.get_by_test_id("rehouse").locator("li", has=his_name)
    expect(kakashi).to_contain_text("in MC-05 / B1")
    expect(kakashi).to_contain_text("needs a cell with working chakra-suppression")
    expect(kakashi).to_contain_text("Recommended:")
    mc05 = tsunade.get_by_test_id("cells").locator("tr", has_text="MC-05")
    expect(mc05).to_contain_text("chakra-suppression")
    tsunade.get_by_label("Filter the beds").fill("MC-05")
    expect(tsunade.locator("#bed-table tbody tr:not([hidden])")).to_have_count(2)
    shot(screenshot, tsunade, "bed-board")

    # The release board as her shift begins: Gatō due out today, Kabuto held for the Sound.
    go(tsunade, "Releases")
    heading(tsunade).to_have_text("Release board")
    expect(tsunade.get_by_test_id("board-due-today")).to_contain_text("Gatō")
    soon = tsunade.get_by_test_id("board-due-soon").locator("tr", has_text="Kabuto Yakushi")
    expect(soon).to_contain_text("Detainer")
    shot(screenshot, tsunade, "release-board")

    # --- Noon the next day, Konoha time: the visit she allowed. --------------------------------
    visit = Visit.objects.get(booking__person__given_name="Kakashi")
    with time_machine.travel(visit.starts_at, tick=True):
        # Kurenai, at the visits desk, checks Sakura in and screens her bento box.
        desk = konoha_as("kurenai")
        go(desk, "Visits")
        heading(desk).to_have_text("Visits today")
        upcoming = desk.get_by_test_id("board-upcoming").locator("tr", has_text="Kakashi Hatake")
        expect(upcoming).to_contain_text("Sakura Haruno")
        upcoming.get_by_role("link", name=re.compile("Check in")).click()
        heading(desk).to_contain_text("Visit to Kakashi Hatake")
        banner = desk.get_by_test_id("override-banner")
        for code in ("protective_order", "minor_without_guardian"):
            expect(banner).to_contain_text(code)
        expect(desk.get_by_test_id("override-by")).to_have_text("Tsunade")
        check_in = desk.get_by_test_id("check-in-form")
        check_in.get_by_label("Document", exact=True).select_option("village_registry")
        check_in.get_by_label("Number on the document").fill(SAKURA_CARD)
        check_in.get_by_role("button", name="Check in").click()
        expect(desk.locator(".flash-success")).to_contain_text("Checked in: Sakura Haruno.")
        items = desk.get_by_test_id("item-form")
        items.get_by_label("Item").fill("Bento box")
        items.get_by_label("Outcome").select_option("allowed")
        items.get_by_role("button", name="Log the item").click()
        expect(desk.get_by_test_id("item-outcome")).to_have_text("Allowed in")

        # Hiroki opens the cell door and starts the twenty minutes.
        officer = konoha_as("hiroki")
        go(officer, "Visits")
        waiting = officer.get_by_test_id("board-checked-in")
        expect(waiting).to_contain_text("Kakashi Hatake")
        waiting.get_by_role("link", name=re.compile("start", re.I)).first.click()
        start = officer.get_by_test_id("start-form")
        start.get_by_label("Escorting officer").select_option("hiroki")
        start.get_by_role("button", name="Start the visit").click()
        expect(officer.get_by_test_id("visit-status")).to_have_text("In progress")
        expect(officer.get_by_test_id("visit-timer")).to_contain_text(re.compile("left", re.I))
        expect(officer.get_by_test_id("door-events")).to_contain_text("Open")
        shot(screenshot, officer, "visit-timer")
        go(officer, "Visits")
        running = officer.get_by_test_id("running-visit")
        expect(running).to_contain_text("Kakashi Hatake")
        expect(running).to_contain_text("Sakura Haruno")
        expect(running.get_by_test_id("visit-timer")).to_contain_text(re.compile(r"1\d:\d\d"))
        expect(officer.get_by_test_id("running-count")).to_have_text("1")
        shot(screenshot, officer, "visit-board")

        # Tsunade releases him to an assignment: the checklist opens.
        commander = konoha_as("tsunade")
        go(commander, "Roster")
        commander.get_by_role("main").get_by_role("link", name="Hatake, Kakashi").click()
        heading(commander).to_contain_text("Kakashi Hatake")
        commander.locator('[data-section="release"]').get_by_role(
            "link", name="Prepare a release"
        ).click()
        heading(commander).to_have_text("Release: Kakashi Hatake")
        commander.wait_for_load_state()  # htmx is loaded, so the kind asks for its fields
        commander.get_by_label("Kind of release").select_option("assignment")
        expect(commander.get_by_test_id("start-fields")).to_have_attribute(
            "data-kind", "assignment"
        )
        commander.get_by_label("Authority").fill("Order of the Fifth Hokage")
        commander.get_by_label("Rank of the assignment").fill("Beyond S-rank")
        commander.get_by_label("Conditions").fill("Accepted the assignment; no return expected.")
        commander.get_by_test_id("start-release").click()
        expect(commander.get_by_test_id("release-status")).to_have_text(
            "Release to an assignment: preparing"
        )
        expect(commander.locator(".flash-success")).to_contain_text(
            "Release to an assignment started for Kakashi Hatake"
        )
        expect(commander.get_by_test_id("checklist-count")).to_have_text("1 of 5 done")
        shot(screenshot, commander, "release-checklist")


def test_naruto_on_the_alert_board_at_the_booking_desk_and_behind_the_iron_door(
    konoha_as: Callable[[str], Page], screenshot: Callable[..., Path]
) -> None:
    # --- Tsunade: every breach against Naruto, with its rule and who must act. -----------------
    tsunade = konoha_as("tsunade")
    go(tsunade, "Alerts")
    heading(tsunade).to_have_text("Alert board")
    board = tsunade.get_by_test_id("alert-board")

    def naruto(rule: str) -> Any:
        return board.locator(f'tr[data-rule="{rule}"]', has_text="Naruto Uzumaki")

    for rule in NARUTO_BREACHES:
        expect(naruto(rule)).to_have_attribute("data-severity", "breach")
    expect(naruto("juvenile_in_adult_facility")).to_contain_text("2160 h (90 days)")
    expect(naruto("child_in_solitary")).to_contain_text("Commander: Tsunade")
    # In the dark since he was housed there, three months ago.
    expect(naruto("dark_cell")).to_contain_text("ISO / ISO-1")
    expect(naruto("dark_cell").locator(".alert-figure")).to_contain_text(
        re.compile(r"\b(89|90) days")
    )
    expect(naruto("restraint_checks_overdue")).to_contain_text("Supervisor: Shizune")
    # Only his rows: the board narrows in place.
    tsunade.get_by_label("Find").fill("Naruto Uzumaki")
    expect(board.locator("tbody tr:not([hidden])").first).to_contain_text("Naruto Uzumaki")
    shot(screenshot, tsunade, "alert-board")

    # --- Iruka at the booking desk: the wizard finds him already held. ---------------------------
    clerk = konoha_as("iruka")
    go(clerk, "New booking")
    heading(clerk).to_have_text("New booking")
    steps = clerk.get_by_role("navigation", name="Intake steps")
    expect(steps.get_by_role("listitem")).to_have_count(6)
    clerk.get_by_label("Given name").fill("naruto")
    # Typed, as at the desk: the records are searched as the keys go down.
    clerk.get_by_label("Family name").press_sequentially("uzumaki")
    match = clerk.get_by_test_id("match")
    expect(match).to_have_count(1)
    expect(match).to_contain_text("Naruto Uzumaki")
    expect(match.get_by_test_id("open-booking")).to_contain_text(
        re.compile(r"Open booking KON-\d{4}-\d{6}: already held")
    )
    shot(screenshot, clerk, "booking-wizard")

    # --- Hiroki at the lower level's gate: the ANBU captain goes down without a grant. ----------
    officer = konoha_as("hiroki")
    go(officer, "Doors")
    heading(officer).to_have_text("Access and doors")
    expect(officer.get_by_test_id("zone-rules")).to_contain_text("Nobody without a grant")
    door = officer.get_by_test_id("door-form")
    door.get_by_label("Door").select_option(label="Mountain Prison lower level: the zone itself")
    door.get_by_label("Action").select_option("open")
    door.get_by_label("Staff who passed").select_option("anbu_captain")
    door.get_by_label("Note").fill("The ANBU captain went down over my protest.")
    door.get_by_role("button", name="Log the door").click()
    expect(officer.get_by_test_id("door-refused")).to_contain_text("restricted zone")
    # He went in anyway: the officer records it as forced.
    officer.get_by_test_id("forced").check()
    officer.get_by_test_id("door-form").get_by_role("button", name="Log the door").click()
    expect(officer.locator(".flash")).to_contain_text(
        re.compile(r"forced entry logged; incident KON-INC-\d{4}-\d{4} opened")
    )
    forced = officer.get_by_test_id("door-log").locator('tr[data-outcome="forced"]')
    expect(forced).to_contain_text("Denied but forced")
    expect(forced).to_contain_text("ANBU Captain")
    shot(screenshot, officer, "forced-entry")


def test_sasuke_behind_two_officers_with_his_one_medic_his_bindings_and_meals(
    konoha_as: Callable[[str], Page], screenshot: Callable[..., Path]
) -> None:
    # --- Shizune, the shift supervisor: two officers on the end-of-corridor door. -------------
    supervisor = konoha_as("shizune")
    go(supervisor, "Posts")
    heading(supervisor).to_have_text("Post board")
    end = supervisor.get_by_test_id("post-table").locator(
        "tr", has_text="End-of-corridor door post"
    )
    expect(end).to_contain_text("Cell HS-01")
    expect(end).to_contain_text("Izumo Kamizuki")
    expect(end).to_contain_text("Kotetsu Hagane")
    expect(end.get_by_test_id("post-state")).to_have_text("Staffed")
    shot(screenshot, supervisor, "post-board")

    # --- Sakura, the one medic he accepts: tonight's encounter in his cell. --------------------
    medic = konoha_as("sakura")
    go(medic, "Medical")
    heading(medic).to_have_text("Medical")
    medic.locator("tr[data-encounter]", has_text="Sasuke Uchiha").get_by_role("link").first.click()
    heading(medic).to_contain_text("Sasuke Uchiha")
    expect(medic.get_by_test_id("conflict-panel")).to_contain_text(
        "Sakura Haruno is the alleged victim of Sasuke Uchiha"
    )
    expect(medic.get_by_test_id("acknowledged")).to_contain_text("Shizune")
    expect(medic.get_by_test_id("provider")).to_have_text("Sakura Haruno")
    expect(medic.get_by_test_id("encounter-status")).to_have_text("Scheduled")
    expect(medic.get_by_test_id("encounter-facts")).to_contain_text("In cell HS-01")
    shot(screenshot, medic, "medical-encounter")

    # Scheduling another: Shizune is refused by him, Sakura needs a supervisor's acknowledgement.
    medic.get_by_role("link", name=re.compile("whole medical record")).click()
    medic.get_by_test_id("schedule-encounter").first.click()
    heading(medic).to_have_text("Schedule an encounter")
    medic.wait_for_load_state()  # htmx is loaded, so choosing a provider asks for warnings
    medic.get_by_label("Provider").select_option("shizune")
    warning = medic.get_by_test_id("schedule-warning")
    expect(warning).to_have_attribute("data-code", "provider_refused")
    medic.get_by_label("Provider").select_option("sakura")
    warning = medic.get_by_test_id("schedule-warning")
    expect(warning).to_have_attribute("data-code", "staff_victim_conflict")
    expect(warning).to_contain_text("a supervisor must acknowledge")
    shot(screenshot, medic, "medical-schedule-warning")

    # --- Hiroki: the bindings on his wrists, checked; the lunch he missed. ----------------------
    officer = konoha_as("hiroki")
    go(officer, "Restraints")
    heading(officer).to_have_text("Restraints")
    bindings = officer.get_by_test_id("restraint-table").locator("tr", has_text="Sasuke Uchiha")
    expect(bindings).to_contain_text("Wrist bindings")
    expect(bindings).to_contain_text("HS-01")
    expect(bindings).to_contain_text("authorised by Shizune")
    expect(bindings.get_by_test_id("care-badges")).to_contain_text("Monitor meals")
    bindings.get_by_test_id("check-done").click()
    bindings = officer.get_by_test_id("restraint-table").locator("tr", has_text="Sasuke Uchiha")
    expect(bindings).to_have_attribute("data-state", "ok")
    shot(screenshot, officer, "restraints")

    missed = MealRecord.objects.get(
        booking__person__given_name="Sasuke", outcome=MealOutcome.MISSED
    )
    go(officer, "Meals")
    heading(officer).to_have_text("Meals")
    pick = officer.get_by_test_id("meal-pick")
    pick.get_by_label("Unit").select_option(label="End of the corridor (high security) (HS)")
    pick.get_by_label("Date").fill(missed.meal_date.isoformat())
    pick.get_by_label("Meal", exact=True).select_option(str(missed.meal))
    pick.get_by_role("button", name="Show").click()
    sasuke = officer.get_by_test_id("meal-table").locator("tr", has_text="Sasuke Uchiha")
    expect(sasuke).to_have_attribute("data-outcome", "missed")
    expect(sasuke.get_by_test_id("diet-notes")).to_contain_text("no sweets")
    expect(sasuke).to_contain_text("The tray came back untouched.")
    shot(screenshot, officer, "meals")
