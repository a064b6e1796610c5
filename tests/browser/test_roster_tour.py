"""The Konoha demo's population in the browser: the roster, its filters, a profile."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from django.core.management import call_command
from playwright.sync_api import Page, expect

from cellblock.demo.konoha import DEMO_PASSWORD
from tests.browser.conftest import TABLET_PORTRAIT, sign_in


def _konoha_as(new_page: Callable[..., Page], username: str, **options: Any) -> Page:
    call_command("demo", stdout=io.StringIO())
    page = new_page(**options)
    sign_in(page, username, DEMO_PASSWORD)
    return page


def test_an_officer_finds_naruto_on_the_roster_and_opens_his_profile(
    new_page: Callable[..., Page], screenshot: Any
) -> None:
    page = _konoha_as(new_page, "hiroki")
    # Kin Tsuchi was booked two days ago and her intake is not finished.
    overdue = page.get_by_role("region", name=re.compile("Intake overdue", re.I))
    expect(overdue).to_contain_text("Tsuchi")
    expect(overdue).to_contain_text("Identity confirmed")
    screenshot(page, "dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Roster").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Roster")
    table = page.locator("table.data")
    expect(table.locator("tbody tr")).to_have_count(7)
    screenshot(page, "roster")

    # Typing filters in place (htmx); accents and case do not matter.
    page.get_by_label(re.compile("Search", re.I)).fill("uzumaki nar")
    expect(table.locator("tbody tr")).to_have_count(1)
    row = table.locator("tbody tr").first
    expect(row).to_contain_text("ISO-1")
    expect(row).to_contain_text("Dangerous")
    expect(row).to_contain_text("Juvenile")
    assert "q=uzumaki" in page.url

    row.get_by_role("link", name=re.compile("Naruto")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Naruto Uzumaki")
    expect(page.get_by_text("ISO-1").first).to_be_visible()
    expect(page.get_by_role("heading", name="Intake checklist")).to_be_visible()
    screenshot(page, "profile")


def test_the_roster_filters_by_flag_and_reads_on_a_tablet(
    new_page: Callable[..., Page], screenshot: Any
) -> None:
    page = _konoha_as(new_page, "tsunade", viewport=TABLET_PORTRAIT)
    page.goto("/bookings/")
    page.get_by_label(re.compile("^Flag", re.I)).select_option("escape_risk")
    rows = page.locator("table.data tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Sasuke")).to_have_count(1)
    expect(rows.filter(has_text="Kabuto")).to_have_count(1)
    expect(rows.filter(has_text="Kakashi")).to_have_count(1)
    # Nothing spills sideways on a tablet held upright: flags stay in sight.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    expect(page.get_by_role("columnheader", name="Flags")).to_be_in_viewport()
    expect(rows.filter(has_text="Sasuke")).to_contain_text("KON-2026-000002")
    screenshot(page, "tablet")

    rows.filter(has_text="Sasuke").get_by_role("link", name=re.compile("Sasuke")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sasuke Uchiha")
    expect(page.get_by_text("HS-01").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "tablet-profile")
