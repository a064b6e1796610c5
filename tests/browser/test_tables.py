"""Tables sort on a header press and the cell list filters as one types."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from cellblock.conftest import SmallFacility
from cellblock.facilities import services as facility_services

pytestmark = pytest.mark.browser


def cell_codes(table: Locator) -> list[str]:
    return [text.split()[0] for text in table.locator("tbody th").all_inner_texts()]


def test_sort_on_header(page_as, commander, busy_site: SmallFacility) -> None:
    facility_services.cell_create(actor=None, unit=busy_site.unit, code="A1-10", beds=1)
    page: Page = page_as(commander)
    page.goto("/facilities/")
    table = page.get_by_role("region", name=re.compile("Block A")).get_by_role("table")
    cell_header = table.get_by_role("columnheader", name="Cell")
    state_header = table.get_by_role("columnheader", name="State")

    # Cell codes sort the way people read them: A1-10 after A1-3.
    cell_header.get_by_role("button").click()
    expect(cell_header).to_have_attribute("aria-sort", "ascending")
    assert cell_codes(table) == ["A1-1", "A1-2", "A1-3", "A1-10"]
    cell_header.get_by_role("button").click()
    expect(cell_header).to_have_attribute("aria-sort", "descending")
    assert cell_codes(table) == ["A1-10", "A1-3", "A1-2", "A1-1"]

    # By keyboard; the state sorts worst first: out of service, then needs a check.
    state_header.get_by_role("button").focus()
    page.keyboard.press("Enter")
    expect(state_header).to_have_attribute("aria-sort", "ascending")
    expect(cell_header).not_to_have_attribute("aria-sort", re.compile("."))
    assert cell_codes(table)[:2] == ["A1-2", "A1-1"]

    # Numbers sort as numbers.
    free_header = table.get_by_role("columnheader", name="Free")
    free_header.get_by_role("button").click()
    free_header.get_by_role("button").click()
    assert cell_codes(table)[:2] == ["A1-3", "A1-10"]


def test_filter_cells(page_as, commander, busy_site: SmallFacility, screenshot) -> None:
    page: Page = page_as(commander)
    page.goto("/facilities/")
    search = page.get_by_label("Filter cells")
    rows = page.locator("tr[data-cell]")
    block_a = page.get_by_role("region", name=re.compile("Block A"))
    lower = page.get_by_role("region", name=re.compile("Lower level"))

    # "/" jumps to the filter from anywhere on the page.
    page.locator("body").press("/")
    expect(search).to_be_focused()
    page.keyboard.type("iron")
    expect(rows.filter(visible=True)).to_have_count(1)
    expect(page.get_by_role("row", name=re.compile("ISO-1"))).to_be_visible()
    expect(block_a).to_be_hidden()
    expect(page.get_by_text("1 of 4 shown")).to_be_visible()
    screenshot(page, full_page=False)

    # Every word must match; the state words count too.
    search.fill("out of service")
    expect(rows.filter(visible=True)).to_have_count(1)
    expect(page.get_by_role("row", name=re.compile("A1-2"))).to_be_visible()
    expect(lower).to_be_hidden()

    search.fill("no such cell")
    expect(rows.filter(visible=True)).to_have_count(0)
    expect(page.get_by_text("No cell matches the filter.")).to_be_visible()

    search.press("Escape")
    expect(search).to_have_value("")
    expect(rows.filter(visible=True)).to_have_count(4)
    expect(block_a).to_be_visible()
    expect(lower).to_be_visible()
    expect(page.get_by_text("No cell matches the filter.")).to_be_hidden()
