"""The count page: the live count, a formal count walked through forms, and who sees what."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.custody.models import CountStatus, FormalCount, SheetStatus
from cellblock.custody.services.counts import NOT_BALANCED, count_start
from cellblock.custody.services.movements import movement_start
from cellblock.custody.views import counts as views
from cellblock.facilities.services import cell_create, unit_create
from cellblock.housing.models import BedAssignment

pytestmark = pytest.mark.django_db

PAGE = "/custody/count/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    """The page's text without tags, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def queries(client, path, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **headers)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def people(clock, hold, officer):
    housed = [hold("Hatake"), hold("Uzumaki", given_name="Naruto"), hold("Uchiha")]
    movement_start(actor=officer, booking=housed[1], destination="court")
    movement_start(actor=officer, booking=housed[2], destination="exercise_yard")
    hold("Waiting", housed=False)
    return housed


def _open_count(supervisor, site):
    count = count_start(actor=supervisor, facility=site.facility, method="head")
    return FormalCount.objects.select_related("facility").get(pk=count.pk)


def test_the_page_has_its_url_name():
    assert reverse("custody:count") == PAGE


def test_the_live_count_shows_each_unit_and_the_totals(site, people, officer, client_for):
    response = client_for(officer).get(PAGE)

    assert response.status_code == 200
    page = text(response)
    assert "Live count" in page
    assert re.search(r"Unit A1 A1 Block A 3 1 1 1", page)
    assert re.search(r"Held but not housed reception, waiting for a bed 1 1 at reception 0 0", page)
    assert re.search(r"Total 4 1 1 1", page)
    assert 'hx-trigger="every 30s"' in response.content.decode()


def test_the_live_fragment_refreshes_alone(site, people, officer, client_for):
    response = client_for(officer).get(reverse("custody:count_live"), **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<section")
    assert 'id="live-count"' in body
    assert "<html" not in body


def test_a_supervisor_starts_the_due_count_from_the_page(
    site, people, supervisor, client_for, clock
):
    clock.move_to(dt.datetime(2026, 3, 14, 18, 5, tzinfo=dt.UTC))
    client = client_for(supervisor)
    page = client.get(PAGE).content.decode()
    assert "the 18:00 count (due now)" in page

    response = client.post(
        reverse("custody:count_start"),
        {"method": "hard", "scheduled_for": "2026-03-14T18:00:00+00:00"},
    )

    assert response.status_code == 302
    count = FormalCount.objects.get()
    assert (count.method, count.scheduled_for) == (
        "hard", dt.datetime(2026, 3, 14, 18, 0, tzinfo=dt.UTC),
    )  # fmt: skip
    follow = text(client.get(PAGE))
    assert "Hard count started: 1 sheet to count." in follow
    assert "Moves, movements out and releases wait until this count clears" in follow


def test_officers_see_no_start_form_but_enter_figures(
    site, people, supervisor, officer, client_for
):
    _open_count(supervisor, site)

    page = client_for(officer).get(PAGE).content.decode()

    assert 'data-testid="start-form"' not in page
    assert 'data-testid="clear-form"' not in page
    assert 'data-testid="figure-form"' in page
    assert "autofocus" in page


def test_a_count_walked_through_with_htmx_recount_reconcile_and_clear(
    site, people, supervisor, officer, client_for
):
    count = _open_count(supervisor, site)
    sheet = count.sheets.get()
    figure = reverse("custody:count_figure", args=[count.public_id, sheet.public_id])
    counter, boss = client_for(officer), client_for(supervisor)

    first = counter.post(figure, {"counted": "2"}, **HTMX)
    assert first.status_code == 200
    assert "Unit A1: 2 counted, it differs. Count again." in text(first)
    assert 'class="sheet-recount row-warn"' in first.content.decode()

    second = counter.post(figure, {"counted": "2"}, **HTMX)
    assert "still differs. A supervisor must reconcile it." in text(second)
    assert 'data-testid="reconcile-form"' not in second.content.decode()

    refused = boss.post(reverse("custody:count_clear", args=[count.public_id]), **HTMX)
    assert refused.status_code == 200
    assert NOT_BALANCED.format(units="Unit A1", verb="is") in text(refused)

    reconcile = reverse("custody:count_reconcile", args=[count.public_id, sheet.public_id])
    blank = boss.post(reconcile, {"explanation": ""}, **HTMX)
    assert "Explanation is required" in text(blank)
    done = boss.post(reconcile, {"explanation": "Yard officer brought Uchiha back"}, **HTMX)
    assert "Unit A1 reconciled." in text(done)

    cleared = boss.post(reverse("custody:count_clear", args=[count.public_id]), **HTMX)
    assert views.CLEARED in text(cleared)
    count.refresh_from_db()
    sheet.refresh_from_db()
    assert (count.status, sheet.status) == (CountStatus.CLEARED, SheetStatus.RECONCILED)


def test_a_figure_that_is_not_a_number_is_shown_beside_its_sheet(
    site, people, supervisor, officer, client_for
):
    count = _open_count(supervisor, site)
    sheet = count.sheets.get()
    figure = reverse("custody:count_figure", args=[count.public_id, sheet.public_id])

    with_htmx = client_for(officer).post(figure, {"counted": "two"}, **HTMX)
    without = client_for(officer).post(figure, {"counted": "-3"})

    assert with_htmx.status_code == 200
    assert 'data-testid="sheet-error"' in with_htmx.content.decode()
    assert "Counted must be a whole number of people, 0 or more." in text(with_htmx)
    assert without.status_code == 400
    assert "Counted must be a whole number" in text(without)


def test_without_htmx_a_figure_redirects_with_its_verdict(
    site, people, supervisor, officer, client_for
):
    count = _open_count(supervisor, site)
    sheet = count.sheets.get()
    client = client_for(officer)

    response = client.post(
        reverse("custody:count_figure", args=[count.public_id, sheet.public_id]), {"counted": "1"}
    )

    assert response.status_code == 302
    assert "Unit A1: 1 counted, it matches." in text(client.get(PAGE))


def test_a_count_is_cancelled_with_a_reason_from_the_page(site, people, supervisor, client_for):
    count = _open_count(supervisor, site)
    cancel = reverse("custody:count_cancel", args=[count.public_id])
    client = client_for(supervisor)

    blank = client.post(cancel, {"reason": ""}, **HTMX)
    done = client.post(cancel, {"reason": "Lockdown"}, **HTMX)

    assert "Reason is required to cancel a count." in text(blank)
    assert '<details class="end" open>' in blank.content.decode()
    assert views.CANCELLED in text(done)


def test_officers_cannot_clear_and_outsiders_cannot_reach_a_count(
    site, people, supervisor, officer, outsider, client_for
):
    count = _open_count(supervisor, site)
    sheet = count.sheets.get()

    by_officer = client_for(officer).post(reverse("custody:count_clear", args=[count.public_id]))
    by_outsider = client_for(outsider).post(
        reverse("custody:count_figure", args=[count.public_id, sheet.public_id]), {"counted": "1"}
    )

    assert by_officer.status_code == 403
    assert by_outsider.status_code == 404


def test_the_schedule_shows_the_missed_and_upcoming_counts(site, people, officer, client_for):
    page = client_for(officer).get(PAGE).content.decode()

    assert 'data-state="missed"' in page
    assert 'data-state="upcoming"' in page


def test_the_page_costs_the_same_queries_however_many_are_held(
    site, people, supervisor, officer, client_for, hold
):
    _open_count(supervisor, site)
    client = client_for(officer)
    few = queries(client, PAGE)
    few_live = queries(client, reverse("custody:count_live"), **HTMX)
    unit = unit_create(actor=None, zone=site.zone, code="A2", name="Unit A2")
    cell = cell_create(actor=None, unit=unit, code="A2-1", beds=2)
    for n, bed in enumerate(cell.beds.all()):
        # Beds assigned directly: the count freezes moves, and this page only reads them.
        booking = hold(f"More{n}", housed=False)
        BedAssignment.objects.create(booking=booking, bed=bed, started_at=booking.booked_at)
        movement_start(
            actor=None, booking=booking, destination="visit_room", emergency_reason="test"
        )

    assert queries(client, PAGE) == few
    assert queries(client, reverse("custody:count_live"), **HTMX) == few_live
