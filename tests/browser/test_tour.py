"""A walk through the pages as an officer and as a commander, in a real browser."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from cellblock.accounts.services import membership_grant
from cellblock.conftest import PASSWORD, SmallFacility
from cellblock.core.roles import Role

from .conftest import TABLET_PORTRAIT, sign_in

pytestmark = pytest.mark.browser


def nav_labels(page: Any) -> list[str]:
    return page.get_by_role("navigation", name="Main").get_by_role("link").all_inner_texts()


def test_officer_tour(page_as: Any, officer: Any, site: SmallFacility, screenshot: Any) -> None:
    page = page_as(officer)

    expect(page).to_have_title(re.compile("Dashboard"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Test Jail")
    expect(page.get_by_test_id("current-facility")).to_have_text("Test Jail")
    expect(page.get_by_test_id("role-officer")).to_be_visible()
    # Two cells of two beds, nobody held yet.
    expect(page.get_by_test_id("capacity")).to_have_text("4")
    expect(page.get_by_test_id("occupied")).to_have_text("0")
    # An officer's menu: no audit log.
    assert nav_labels(page) == [
        "Dashboard", "Alerts", "Count", "Rounds", "Posts",
        "Roster", "Classification", "Bed board",
        "Visits", "Requests", "Medical",
        "Movements", "Meals", "Restraints", "Doors", "Incidents",
        "Court", "Releases",
        "Facility",
    ]  # fmt: skip
    screenshot(page, "dashboard")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Facility").click()
    expect(page).to_have_url(re.compile(r"/facilities/$"))
    expect(page.get_by_test_id("facility-summary")).to_contain_text("0 held")
    expect(page.get_by_test_id("facility-summary")).to_contain_text("4 beds in service")
    expect(page.get_by_role("row", name=re.compile("A1-1"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("A1-2"))).to_be_visible()
    screenshot(page, "facility")


def test_commander_tour(
    page_as: Any, commander: Any, busy_site: SmallFacility, screenshot: Any
) -> None:
    page = page_as(commander)

    expect(page.get_by_role("heading", level=1)).to_have_text("Test Jail")
    expect(page.get_by_test_id("role-commander")).to_be_visible()
    # A1-1 and A1-3 (2 beds each) and ISO-1 (1 bed); A1-2 is out of service.
    expect(page.get_by_test_id("capacity")).to_have_text("5")
    expect(page.get_by_test_id("occupied")).to_have_text("3")
    expect(page.get_by_test_id("out-of-service")).to_have_text("1")
    # The commander's menu: every group, every entry.
    assert nav_labels(page) == [
        "Dashboard", "Alerts", "Count", "Rounds", "Posts",
        "Roster", "New booking", "Classification", "Bed board",
        "Visits", "Requests", "Medical",
        "Movements", "Meals", "Restraints", "Doors", "Incidents",
        "Court", "Releases",
        "Facility", "Staff", "Import", "Audit log",
    ]  # fmt: skip
    screenshot(page, "dashboard")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Facility").click()
    summary = page.get_by_test_id("facility-summary")
    expect(summary).to_contain_text("3 held")
    expect(summary).to_contain_text("5 beds in service")
    expect(summary).to_contain_text("60%")
    lower = page.get_by_role("region", name=re.compile("Lower level"))
    expect(lower.get_by_text(re.compile("restricted", re.I))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("A1-2"))).to_contain_text("broken window")
    expect(page.get_by_role("row", name=re.compile("A1-1"))).to_contain_text("compromised")
    screenshot(page, "facility")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(page.get_by_test_id("audit-events")).to_contain_text("cell.out_of_service")
    screenshot(page, "audit")


def test_facility_switcher(
    page_as: Any, commander: Any, site: SmallFacility, other_site: SmallFacility, screenshot: Any
) -> None:
    membership_grant(actor=None, user=commander, facility=other_site.facility, role=Role.OFFICER)
    page = page_as(commander)
    expect(page.get_by_role("heading", level=1)).to_have_text("Other Jail")  # first by name

    page.get_by_label("Facility").select_option(label="Test Jail")
    expect(page.get_by_role("status")).to_contain_text("Now working in Test Jail.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Test Jail")
    expect(page.get_by_test_id("role-commander")).to_be_visible()
    screenshot(page)


def test_tablet_portrait(
    page_as: Any, commander: Any, busy_site: SmallFacility, screenshot: Any
) -> None:
    page = page_as(commander, viewport=TABLET_PORTRAIT)
    expect(page.get_by_test_id("occupied")).to_have_text("3")
    screenshot(page, "dashboard")
    page.goto("/facilities/")
    expect(page.get_by_role("row", name=re.compile("ISO-1"))).to_be_visible()
    # Nothing wider than the screen: no sideways scrolling on the tablet.
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET_PORTRAIT["width"]
    screenshot(page, "facility")


def test_api_docs(page: Any, screenshot: Any) -> None:
    # Swagger UI comes from django-ninja's own static files; a CDN would be
    # refused (see browser_errors), so this also proves none is needed.
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("cellblock API")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    screenshot(page, full_page=False)


def test_wrong_password(page: Any, officer: Any, screenshot: Any) -> None:
    sign_in(page, officer.username, "not the password")

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    # The username stays filled in; the password does not.
    expect(page.get_by_label("Username")).to_have_value(officer.username)
    expect(page.get_by_label("Password")).to_have_value("")
    screenshot(page)


def test_sign_out(page_as: Any, officer: Any, site: SmallFacility) -> None:
    page = page_as(officer)
    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto("/facilities/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/facilities/"))


def test_sign_in_by_keyboard(page: Any, officer: Any, site: SmallFacility) -> None:
    page.goto("/accounts/login/")
    username, password = page.get_by_label("Username"), page.get_by_label("Password")
    sign_in_button = page.get_by_role("button", name="Sign in")

    expect(username).to_be_focused()
    page.keyboard.type(officer.username)
    page.keyboard.press("Tab")
    expect(password).to_be_focused()
    page.keyboard.press("Tab")
    expect(sign_in_button).to_be_focused()
    # Focus is plain to see, not only a change of shade.
    style, width = sign_in_button.evaluate(
        "el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]"
    )
    assert style == "solid"
    assert float(width.removesuffix("px")) >= 3
    page.keyboard.press("Shift+Tab")
    expect(password).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Test Jail")
