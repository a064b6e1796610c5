"""Browser tests: a real Chromium, driven by Playwright, against the live server.

One headless Chromium serves the whole session; each test gets a fresh browser
context (cookies, storage) and pytest-django's ``live_server`` with a
transactional database, so the server thread sees what the test created.

Debian's Chromium is used as installed (``/usr/bin/chromium``); Playwright
never downloads a browser here.  Without it the tests skip, except on CI
(``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request, Response, expect, sync_playwright

from cellblock.booking.services import booking_open
from cellblock.conftest import *  # noqa: F403  (personas and the small facility)
from cellblock.conftest import PASSWORD, SmallFacility
from cellblock.core import clock
from cellblock.facilities import services as facility_services
from cellblock.facilities.models import FeatureStatus
from cellblock.housing.models import BedAssignment
from cellblock.people.services import person_create

# Playwright's sync API keeps an event loop in the main thread, so Django would
# refuse the ORM calls that the test body and fixtures make between page steps.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MISSING_CHROMIUM = (
    f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
    "(make system-deps) to run browser tests"
)
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
TABLET_PORTRAIT = {"width": 820, "height": 1180}
# Pages answer in milliseconds; a step or expectation that waits longer than
# this has failed (the margin is for a busy CI machine).
STEP_TIMEOUT_MS = 10_000
expect.set_options(timeout=STEP_TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(MISSING_CHROMIUM, pytrace=False)
        pytest.skip(MISSING_CHROMIUM)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


# --- Data ---------------------------------------------------------------------


@pytest.fixture
def busy_site(site: SmallFacility) -> SmallFacility:
    """The small facility on a working day.

    A restricted lower level with an isolation cell, three people held, a cell
    out of service, a compromised light and two guard posts.
    """
    fs = facility_services
    lower = fs.zone_create(
        actor=None, facility=site.facility, code="L", name="Lower level", restricted=True,
        description="Underground; isolation cells behind an iron door.",
    )  # fmt: skip
    iso = fs.unit_create(
        actor=None, zone=lower, code="ISO", name="Isolation", security_rating="special",
        restrictive_housing=True,
    )  # fmt: skip
    iso_cell = fs.cell_create(
        actor=None, unit=iso, code="ISO-1", name="Isolation cell", beds=1,
        features=["iron-door", "observation"],
    )  # fmt: skip
    extra = fs.cell_create(actor=None, unit=site.unit, code="A1-3", beds=2, features=["wheelchair"])
    fs.cell_feature_set(
        actor=None, cell=site.cells[0], tag="lighting", status=FeatureStatus.COMPROMISED,
        note="flickering",
    )  # fmt: skip
    fs.cell_set_service(actor=None, cell=site.cells[1], out_of_service=True, reason="broken window")
    fs.post_create(
        actor=None, facility=site.facility, code="DESK", name="Block A desk", zone=site.zone
    )
    fs.post_create(
        actor=None, facility=site.facility, code="GATE", name="Lower level gate",
        required_officers=2, zone=lower,
    )  # fmt: skip
    # Three people held: two in A1-1, one in isolation.  The beds are assigned
    # directly; these pages only read assignments.
    beds = [*site.cells[0].beds.order_by("code"), iso_cell.beds.get()]
    for n, bed in enumerate(beds):
        person = person_create(
            actor=None, facility=site.facility, given_name=f"Held{n}", family_name="Person"
        )
        booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
        BedAssignment.objects.create(booking=booking, bed=bed, started_at=clock.now())
    site.cells.append(extra)
    return site


# --- Pages --------------------------------------------------------------------


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        # Remember a failed test so the console-error check does not pile a second
        # failure on top of the first (no test here is marked xfail).
        item.stash[_CALL_FAILED] = report.failed or hasattr(report, "wasxfail")
    return report


@pytest.fixture
def browser_errors() -> list[str]:
    """Script errors and failed loads seen by this test's pages.

    Pages must run without script errors, load every style and script, and
    never reach past the live server.  Whatever is left in this list at
    teardown fails a test that otherwise passed; a test that expects some
    clears the list.
    """
    return []


def _check_response(response: Response, errors: list[str]) -> None:
    # Pages may answer 403 or 404 on purpose; what they load (styles,
    # scripts, htmx fragments) must not fail.
    if response.status >= 400 and response.request.resource_type != "document":
        errors.append(f"{response.request.method} {response.url} answered {response.status}")


def _check_failed_request(request: Request, errors: list[str]) -> None:
    # ERR_ABORTED is a load cut short by the next navigation, or one whose
    # error status was reported above; anything else (a blocked trip to the
    # network, a dropped connection) is a problem.
    if request.failure != "net::ERR_ABORTED":
        errors.append(f"{request.method} {request.url} failed: {request.failure}")


@pytest.fixture
def new_page(
    browser: Browser, live_server: Any, browser_errors: list[str], request: pytest.FixtureRequest
) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh context (own cookies) at the given viewport."""
    contexts: list[Any] = []
    origin = live_server.url

    def open_page(viewport: dict[str, int] | None = None) -> Page:
        context = browser.new_context(
            viewport=viewport or VIEWPORT, base_url=origin, locale="en-GB"
        )
        context.set_default_timeout(STEP_TIMEOUT_MS)
        # Nothing may come from the network: no CDN, no fonts, no telemetry.
        context.route(lambda url: not url.startswith(origin), lambda route: route.abort())
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: browser_errors.append(f"script error: {exc}"))
        page.on("response", lambda response: _check_response(response, browser_errors))
        page.on("requestfailed", lambda request: _check_failed_request(request, browser_errors))
        return page

    yield open_page
    for context in contexts:
        context.close()
    if browser_errors and not request.node.stash.get(_CALL_FAILED, False):
        report = "\n".join(dict.fromkeys(browser_errors))  # each problem once, in order
        if "/static/" in report:
            report += "\n(A 404 under /static/ means Django's static file finders miss the file.)"
        pytest.fail(f"The browser reported:\n{report}", pytrace=False)


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A signed-out page at the default (landscape tablet) viewport."""
    return new_page()


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Fill in and send the real sign-in form."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def page_as(new_page: Callable[..., Page]) -> Callable[..., Page]:
    """``page_as(user)``: a page signed in as ``user`` through the sign-in form.

    Personas sign in with ``PASSWORD``; ``viewport`` overrides the default size.
    """

    def open_as(user: Any, viewport: dict[str, int] | None = None) -> Page:
        page = new_page(viewport)
        sign_in(page, user.username)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.wait_for_load_state()
        return page

    return open_as


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """``screenshot(page)`` saves test-artifacts/screenshots/<test-name>.png.

    A ``label`` names further shots of the same test: ``<test-name>-<label>.png``.
    """

    def take(page: Page, label: str = "", *, full_page: bool = True) -> Path:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
        path = SCREENSHOTS / (f"{name}-{label}.png" if label else f"{name}.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
