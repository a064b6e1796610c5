"""Case file 3, steps 4-5 in Chromium: Sasuke's wounds, the one medic he accepts, her night visit.

Sasuke Uchiha (16) is held pretrial for the attempted murder of Sakura, a medic
on staff: a staff conflict names her his alleged victim.  A medic records his
untreated facial injury and his refusal of every medic but Sakura, witnessed by
Shizune.  Scheduling Shizune warns (amber) that he will refuse her; choosing
Sakura warns (red) of the conflict, and the encounter waits for a supervisor.
Shizune, supervisor and medic, acknowledges it.  Shizune grants Sakura entry to
the cell and Hiroki unlocks the door (the custody side, through the services);
Sakura starts the encounter in the cell and records it: the facial wounds have
healed.  Hiroki, an officer, opens Sasuke's profile and the encounter page and
sees who, when and where, never what was found.
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
from cellblock.classification.services import staff_conflict_create
from cellblock.conftest import SmallFacility, make_staff, ready_for_bed
from cellblock.core import clock
from cellblock.core.roles import Role
from cellblock.custody.services.access import door_event_record, entry_grant_issue
from cellblock.housing.services import bed_assign
from cellblock.medical.models import (
    ConsentRecord,
    Encounter,
    EncounterStatus,
    Injury,
    InjuryStatus,
)
from cellblock.people.services import person_create

from .conftest import TABLET_PORTRAIT

pytestmark = pytest.mark.browser

# An evening at the test jail (UTC), today, so the clock runs on from there.
EVENING = dt.datetime.combine(
    dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1), dt.time(21), tzinfo=dt.UTC
)
FACIAL = "Cuts and bruising across the left cheek and brow, untreated."
REFUSAL = "Refuses every medic except Sakura Haruno."
HEALED = "Facial wounds healed; no sign of infection."


@pytest.fixture
def evening() -> Iterator[Any]:
    """The clock at nine in the evening, running."""
    with time_machine.travel(EVENING, tick=True) as traveller:
        yield traveller


def _staff(site: SmallFacility, username: str, full_name: str, *roles: str) -> User:
    user = make_staff(username, site.facility, *roles)
    user.full_name = full_name
    user.save(update_fields=["full_name"])
    return user


@pytest.fixture
def konoha(evening: Any, site: SmallFacility) -> dict[str, User]:
    return {
        "tsunade": _staff(site, "tsunade", "Tsunade", Role.COMMANDER),
        "shizune": _staff(site, "shizune", "Shizune", Role.SUPERVISOR, Role.MEDICAL),
        "sakura": _staff(site, "sakura", "Sakura Haruno", Role.MEDICAL),
        "hiroki": _staff(site, "hiroki", "Hiroki", Role.OFFICER),
        "kabuto": _staff(site, "kabuto", "Kabuto Yakushi", Role.MEDICAL),
    }


@pytest.fixture
def sasuke(konoha: dict[str, User], site: SmallFacility) -> Booking:
    """Held pretrial at the end of the corridor; Sakura is his alleged victim."""
    person = person_create(
        actor=None, facility=site.facility, given_name="Sasuke", family_name="Uchiha",
        sex="male", date_of_birth=dt.date(EVENING.year - 16, 7, 23),
    )  # fmt: skip
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    ready_for_bed(booking, by=konoha["kabuto"])
    bed_assign(
        actor=konoha["tsunade"], booking=booking, bed=site.cells[1].beds.order_by("code")[0],
        override_reason="No juvenile unit here: held alone at the end of the corridor.",
    )  # fmt: skip
    staff_conflict_create(
        actor=konoha["tsunade"], facility=site.facility, person=person, staff=konoha["sakura"],
        kind="alleged_victim", reason="Sakura is the alleged victim of the attempted murder.",
    )  # fmt: skip
    return booking


def named_screenshot(screenshot: Callable[..., Path], page: Page, name: str) -> Path:
    """Save ``name`` (medical-encounter.png) beside the other screenshots."""
    taken = screenshot(page, name)
    return taken.replace(taken.with_name(f"{name}.png"))


def fits_the_screen(page: Page) -> bool:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= TABLET_PORTRAIT["width"]


def test_sakura_sees_sasuke_after_shizune_acknowledges_and_custody_reads_no_clinical_text(
    page_as: Any,
    konoha: dict[str, User],
    sasuke: Booking,
    site: SmallFacility,
    screenshot: Callable[..., Path],
) -> None:
    number = sasuke.booking_number
    shizune, sakura, hiroki = konoha["shizune"], konoha["sakura"], konoha["hiroki"]

    # --- Step 4: Kabuto records the untreated injury and the refusal. ----------------------
    medic: Page = page_as(konoha["kabuto"], viewport=TABLET_PORTRAIT)
    medic.goto(f"/bookings/{number}/")
    medic.locator('[data-section="medical"]').get_by_test_id("profile-record").click()
    expect(medic.get_by_role("heading", level=1)).to_have_text("Medical record: Sasuke Uchiha")

    injuries = medic.get_by_test_id("record-injuries")
    injuries.get_by_text("Record an injury").click()
    form = injuries.get_by_test_id("injury-form")
    form.get_by_label("Where on the body").select_option("face")
    form.get_by_label("What it is").fill(FACIAL)
    form.get_by_role("button", name="Record the injury").click()
    expect(medic.locator(".flash-success")).to_contain_text("Injury recorded: face.")
    row = medic.get_by_test_id("injuries").locator('tr[data-location="face"]')
    expect(row).to_contain_text(FACIAL)
    expect(row.get_by_test_id("injury-status")).to_have_text("Untreated")

    consents = medic.get_by_test_id("record-consents")
    consents.get_by_text("Record a consent or a refusal").click()
    form = consents.get_by_test_id("consent-form")
    form.get_by_label("Decision").select_option("refusal")
    form.get_by_label("What it covers").select_option("general")
    form.get_by_label("Accepts only this provider").select_option("sakura")
    # Sent without the witness: refused, the message beside the field.
    form.get_by_role("button", name="Record it").click()
    expect(medic.get_by_test_id("error-witness")).to_be_visible()
    form = medic.get_by_test_id("consent-form")
    form.get_by_label("Witness").select_option("shizune")
    form.get_by_label("The person's words").fill(REFUSAL)
    form.get_by_role("button", name="Record it").click()
    expect(medic.locator(".flash-success")).to_contain_text("Refusal recorded for Sasuke Uchiha.")
    expect(medic.locator("#consents-table")).to_contain_text("accepts only Sakura Haruno")
    screenshot(medic, "record")
    refusal = ConsentRecord.objects.get(booking=sasuke)
    assert (refusal.except_provider, refusal.witness) == (sakura, shizune)

    # Scheduling: Shizune warns in amber, Sakura in red.
    medic.get_by_test_id("schedule-encounter").first.click()
    expect(medic.get_by_role("heading", level=1)).to_have_text("Schedule an encounter")
    expect(medic.get_by_test_id("encounter-person")).to_contain_text("Sasuke Uchiha")
    medic.wait_for_load_state()  # htmx is loaded, so choosing a provider asks for warnings
    medic.get_by_label("Provider").select_option("shizune")
    warning = medic.get_by_test_id("schedule-warning")
    expect(warning).to_have_attribute("data-code", "provider_refused")
    expect(warning).to_have_class(re.compile("warning-warn"))
    expect(warning).to_contain_text("refuses every provider except Sakura Haruno")
    medic.get_by_label("Provider").select_option("sakura")
    warning = medic.get_by_test_id("schedule-warning")
    expect(warning).to_have_attribute("data-code", "staff_victim_conflict")
    expect(warning).to_have_class(re.compile("warning-bad"))
    expect(warning).to_contain_text("a supervisor must acknowledge")
    medic.get_by_label("Place").select_option("cell")
    medic.get_by_label("Time").fill((EVENING + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    medic.get_by_label("Reason").fill("Dress the facial wounds.")
    assert fits_the_screen(medic)
    named_screenshot(screenshot, medic, "medical-schedule-warning")
    medic.get_by_test_id("schedule-submit").click()
    expect(medic.locator(".flash-success")).to_contain_text("waits for a supervisor")
    expect(medic.get_by_test_id("encounter-status")).to_have_text(
        "Awaiting supervisor's acknowledgement"
    )
    encounter = Encounter.objects.get(booking=sasuke)
    detail = f"/medical/encounters/{encounter.public_id}/"

    # Shizune, the supervisor, acknowledges with what she arranged.
    supervisor: Page = page_as(shizune, viewport=TABLET_PORTRAIT)
    supervisor.goto("/medical/")
    row = supervisor.locator(f'tr[data-encounter="{encounter.public_id}"]')
    expect(row).to_have_class(re.compile("row-bad"))
    assert fits_the_screen(supervisor)
    screenshot(supervisor, "worklist")
    row.get_by_role("link").first.click()
    panel = supervisor.get_by_test_id("conflict-panel")
    expect(panel).to_contain_text("alleged victim of Sasuke Uchiha")
    supervisor.get_by_label("What you weighed and what you arranged").fill(
        "Two officers at the door throughout; Sakura asked for it."
    )
    supervisor.get_by_test_id("acknowledge").click()
    expect(supervisor.locator(".flash-success")).to_contain_text("Conflict acknowledged")
    expect(supervisor.get_by_test_id("acknowledged")).to_contain_text("Shizune")
    expect(supervisor.get_by_test_id("encounter-status")).to_have_text("Scheduled")

    # --- Step 5: at night Shizune grants Sakura the cell; Hiroki unlocks the door. --------------
    cell = encounter.cell
    assert cell is not None
    now = clock.now()
    entry_grant_issue(
        actor=shizune, staff=sakura, cell=cell, valid_until=now + dt.timedelta(hours=3),
        reason="Sakura treats Sasuke in his cell.",
    )  # fmt: skip
    door_event_record(actor=hiroki, action="unlock", cell=cell, staff_passed=[sakura])

    nurse: Page = page_as(sakura, viewport=TABLET_PORTRAIT)
    nurse.goto(detail)
    nurse.get_by_test_id("start").click()
    expect(nurse.get_by_test_id("encounter-status")).to_have_text("In progress")
    injury = Injury.objects.get(booking=sasuke)
    status = nurse.get_by_test_id("injuries").locator(f'tr[data-injury="{injury.public_id}"]')
    status.get_by_label(re.compile("Status of the face injury")).select_option("healed")
    status.get_by_role("button", name=re.compile("Update")).click()
    expect(nurse.locator(".flash-success")).to_contain_text("Injury updated: healed.")
    nurse.get_by_text("Add a note").click()
    nurse.get_by_test_id("note-form").get_by_label("Clinical note").fill(
        "Wounds closed and clean; he let me look without a word."
    )
    nurse.get_by_role("button", name="Add the note").click()
    expect(nurse.get_by_test_id("notes")).to_contain_text("Wounds closed and clean")
    complete = nurse.get_by_test_id("complete-form")
    complete.get_by_label("Findings").fill(HEALED)
    complete.get_by_test_id("complete").click()
    expect(nurse.get_by_test_id("encounter-status")).to_have_text("Completed")
    expect(nurse.get_by_test_id("findings")).to_have_text(HEALED)
    assert fits_the_screen(nurse)
    named_screenshot(screenshot, nurse, "medical-encounter")
    encounter.refresh_from_db()
    assert encounter.status == EncounterStatus.COMPLETED
    assert encounter.entry_grant is not None
    injury.refresh_from_db()
    assert injury.status == InjuryStatus.HEALED
    door_event_record(actor=hiroki, action="lock", cell=cell, staff_passed=[sakura])

    # --- Hiroki, an officer: who, when and where; never what was found. ----------------------
    officer: Page = page_as(hiroki, viewport=TABLET_PORTRAIT)
    officer.goto(f"/bookings/{number}/")
    section = officer.locator('[data-section="medical"]')
    expect(section).to_contain_text("Cleared for housing")
    expect(section.get_by_test_id("profile-record")).to_have_count(0)
    seen = [officer.content()]
    section.scroll_into_view_if_needed()
    screenshot(officer, "profile")
    officer.goto(detail)
    expect(officer.get_by_test_id("encounter-status")).to_have_text("Completed")
    expect(officer.get_by_test_id("provider")).to_have_text("Sakura Haruno")
    expect(officer.get_by_test_id("encounter-clinical")).to_have_count(0)
    seen.append(officer.content())
    for body in seen:
        for secret in (HEALED, FACIAL, REFUSAL, "Dress the facial wounds.", "Wounds closed"):
            assert secret not in body
    officer.goto(f"/medical/bookings/{number}/")
    expect(officer.get_by_test_id("record-denied")).to_be_visible()
    assert HEALED not in officer.content()
