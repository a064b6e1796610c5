"""API tokens by keyboard, and what a role may not open."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from cellblock.accounts.models import User
from cellblock.conftest import SmallFacility
from cellblock.core import clock

pytestmark = pytest.mark.browser


def test_create_and_revoke_token_by_keyboard(
    page_as, officer, site: SmallFacility, screenshot
) -> None:
    page: Page = page_as(officer)
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your API tokens")

    page.get_by_label("Name").focus()
    page.keyboard.type("count tablet 3")
    page.keyboard.press("Enter")

    token = page.get_by_test_id("new-token")
    expect(token).to_have_text(re.compile(r"^cbk_\S+$"))
    row = page.get_by_role("row", name=re.compile("count tablet 3"))
    expect(row).to_contain_text("Active")
    screenshot(page, full_page=False)

    row.get_by_role("button", name="Revoke count tablet 3").click()
    expect(page.get_by_role("status")).to_contain_text("Token 'count tablet 3' revoked.")
    expect(page.get_by_role("row", name=re.compile("count tablet 3"))).to_contain_text("Revoked")
    expect(page.get_by_test_id("new-token")).to_have_count(0)


def test_officer_cannot_open_the_audit_log(
    page_as, officer, site: SmallFacility, screenshot
) -> None:
    page: Page = page_as(officer)
    response = page.goto("/audit/")

    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("Not allowed")
    expect(page.get_by_role("alert")).to_contain_text("audit.read")
    # The menu still works from here.
    page.get_by_role("link", name="Back to the dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Test Jail")


def test_an_administrator_releases_a_locked_account_from_the_staff_page(
    page_as, admin_user, officer, screenshot
) -> None:
    User.objects.filter(pk=officer.pk).update(locked_at=clock.now())
    page = page_as(admin_user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    row = page.locator("tr", has_text="olly_officer")
    expect(row.get_by_text("Locked")).to_be_visible()
    row.get_by_label("Reason for releasing olly_officer").fill("identity checked at the desk")
    screenshot(page)
    row.get_by_role("button", name="Release").click()
    expect(page.get_by_text("is released and can sign in again")).to_be_visible()
    officer.refresh_from_db()
    assert officer.locked_at is None
