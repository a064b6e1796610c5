"""The rounds page: cell tiles by urgency, a cell's panel, a round recorded for a cell."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.classification.models import FlagKind
from cellblock.classification.services import flag_set
from cellblock.custody.models import CheckStatus, Destination, RoundCheck
from cellblock.custody.services.movements import movement_start
from cellblock.custody.services.rounds import round_check_record

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _tile(html: str, code: str) -> str:
    found = re.search(
        rf'<li class="round-tile tone-(\w+)" data-cell="{code}" data-state="(\w+)"', html
    )
    assert found, f"no tile for {code}"
    return f"{found.group(1)}/{found.group(2)}"


@pytest.fixture
def cells(site, hold):
    """Kakashi alone in A1-1, Sasuke and Gai in A1-2."""
    kakashi = hold(bed=site.cells[0].beds.get(code="B1"))
    sasuke = hold("Uchiha", given_name="Sasuke", bed=site.cells[1].beds.get(code="B1"))
    gai = hold("Maito", given_name="Gai", bed=site.cells[1].beds.get(code="B2"))
    return kakashi, sasuke, gai


def test_tiles_take_the_colour_of_the_most_urgent_person_in_the_cell(
    clock, site, cells, officer, client_for
):
    kakashi, _sasuke, gai = cells
    clock.shift(dt.timedelta(minutes=30))
    round_check_record(actor=officer, booking=kakashi, status=CheckStatus.SEEN_WELL)
    round_check_record(actor=officer, booking=gai, status=CheckStatus.SEEN_WELL)
    client = client_for(officer)
    # 12:56: Sasuke (never seen since 12:00) is due at 13:00, within five minutes.
    clock.shift(dt.timedelta(minutes=26))
    html = client.get(reverse("custody:rounds")).content.decode()
    assert _tile(html, "A1-1") == "ok/fine"
    assert _tile(html, "A1-2") == "warn/due_soon"
    assert "Due in 4 min" in html
    # 13:01: he is overdue, and the cell is red.
    clock.shift(dt.timedelta(minutes=5))
    html = client.get(reverse("custody:rounds")).content.decode()
    assert _tile(html, "A1-2") == "bad/overdue"
    assert "Overdue 1 min" in html


def test_a_cell_panel_lists_its_people_with_level_and_last_sighting(
    clock, site, cells, officer, commander, client_for
):
    _kakashi, sasuke, gai = cells
    flag_set(
        actor=commander, booking=sasuke, kind=FlagKind.SUICIDE_RISK, detail="suicide_watch",
        reason="said he would",
    )  # fmt: skip
    round_check_record(actor=officer, booking=gai, status=CheckStatus.SEEN_WELL)
    clock.shift(dt.timedelta(minutes=12))
    response = client_for(officer).get(
        reverse("custody:rounds_cell", args=[site.cells[1].public_id]), **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="round-form"' in html
    assert "Sasuke Uchiha" in html
    assert "Gai Maito" in html
    assert "Kakashi" not in html
    assert "Suicide watch · 15 min" in html
    assert "12 min ago" in html
    assert "never" in html


def test_without_htmx_the_cell_link_opens_the_page_with_the_panel(
    clock, site, cells, officer, client_for
):
    client = client_for(officer)
    url = reverse("custody:rounds_cell", args=[site.cells[1].public_id])
    response = client.get(url, follow=True)
    assert 'data-testid="round-panel"' in response.content.decode()


def test_a_round_marks_everyone_in_the_cell_and_returns_the_tiles(
    clock, site, cells, officer, client_for
):
    _kakashi, sasuke, gai = cells
    clock.shift(dt.timedelta(minutes=61))
    client = client_for(officer)
    response = client.post(
        reverse("custody:rounds_record", args=[site.cells[1].public_id]),
        {
            f"status-{sasuke.booking_number}": "asleep",
            f"status-{gai.booking_number}": "concern",
            f"note-{gai.booking_number}": "cut on the hand",
            f"welfare-{gai.booking_number}": "1",
        },
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "A1-2: 2 checks recorded at 13:01." in html
    assert _tile(html, "A1-2") == "ok/fine"
    assert _tile(html, "A1-1") == "bad/overdue"
    checks = {c.booking_id: c for c in RoundCheck.objects.all()}
    assert checks[sasuke.pk].status == "asleep"
    assert (checks[gai.pk].note, checks[gai.pk].welfare_contact) == ("cut on the hand", True)
    assert checks[gai.pk].checked_by == officer


def test_others_seen_well_marks_everyone_left_unmarked(clock, site, cells, officer, client_for):
    _kakashi, sasuke, gai = cells
    client_for(officer).post(
        reverse("custody:rounds_record", args=[site.cells[1].public_id]),
        {f"status-{sasuke.booking_number}": "not_seen", "rest": "seen_well"},
        **HTMX,
    )
    statuses = dict(RoundCheck.objects.values_list("booking_id", "status"))
    assert statuses == {sasuke.pk: "not_seen", gai.pk: "seen_well"}


def test_a_round_with_someone_unmarked_is_sent_back_and_nothing_is_kept(
    clock, site, cells, officer, client_for
):
    _kakashi, sasuke, _gai = cells
    response = client_for(officer).post(
        reverse("custody:rounds_record", args=[site.cells[1].public_id]),
        {f"status-{sasuke.booking_number}": "asleep"},
        **HTMX,
    )
    html = response.content.decode()
    assert "Mark everyone in A1-2" in html
    assert "Choose how you found Gai Maito." in html
    # What was chosen stays chosen.
    assert f'name="status-{sasuke.booking_number}" value="asleep" checked' in html
    assert not RoundCheck.objects.exists()


def test_without_htmx_a_round_redirects_to_the_unit(clock, site, cells, officer, client_for):
    kakashi, _sasuke, _gai = cells
    client = client_for(officer)
    response = client.post(
        reverse("custody:rounds_record", args=[site.cells[0].public_id]),
        {f"status-{kakashi.booking_number}": "emergency"},
    )
    assert response.status_code == 302
    assert f"unit={site.unit.public_id}" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "A1-1: 1 check recorded at 12:00." in page
    assert "Emergency recorded for Kakashi Hatake: call medical and the supervisor now." in page


def test_someone_out_of_the_cell_is_listed_apart_and_not_marked(
    clock, site, cells, officer, supervisor, client_for
):
    _kakashi, sasuke, gai = cells
    movement_start(actor=supervisor, booking=gai, destination=Destination.EXERCISE_YARD)
    clock.shift(dt.timedelta(minutes=1))
    client = client_for(officer)
    html = client.get(
        reverse("custody:rounds_cell", args=[site.cells[1].public_id]), **HTMX
    ).content.decode()
    assert "Gai Maito: out (exercise yard) since 12:00" in html
    assert f"status-{gai.booking_number}" not in html
    client.post(
        reverse("custody:rounds_record", args=[site.cells[1].public_id]),
        {f"status-{sasuke.booking_number}": "seen_well"},
        **HTMX,
    )
    assert list(RoundCheck.objects.values_list("booking_id", flat=True)) == [sasuke.pk]


def test_a_visits_clerk_sees_the_tiles_but_cannot_record(
    clock, site, cells, visits_clerk, client_for
):
    _kakashi, sasuke, _gai = cells
    client = client_for(visits_clerk)
    html = client.get(
        reverse("custody:rounds_cell", args=[site.cells[1].public_id]), **HTMX
    ).content.decode()
    assert 'data-testid="round-form"' not in html
    response = client.post(
        reverse("custody:rounds_record", args=[site.cells[1].public_id]),
        {f"status-{sasuke.booking_number}": "asleep", "rest": "seen_well"},
    )
    assert response.status_code == 403
    assert not RoundCheck.objects.exists()


def test_a_cell_of_another_facility_is_not_found(clock, other_site, officer, client_for):
    response = client_for(officer).get(
        reverse("custody:rounds_cell", args=[other_site.cells[0].public_id]), **HTMX
    )
    assert response.status_code == 404


def test_the_due_list_shows_overdue_first_then_due_soon(clock, site, cells, officer, client_for):
    kakashi, sasuke, gai = cells
    clock.shift(dt.timedelta(minutes=30))
    round_check_record(actor=officer, booking=kakashi, status=CheckStatus.SEEN_WELL)
    clock.shift(dt.timedelta(minutes=32))
    html = client_for(officer).get(reverse("custody:rounds_due")).content.decode()
    rows = re.findall(r'<tr class="(row-\w+)?" data-booking="([^"]+)"', html)
    # Both due at 13:00 in A1-2: by name.
    assert [number for _, number in rows] == [gai.booking_number, sasuke.booking_number]
    assert {css for css, _ in rows} == {"row-bad"}
    assert kakashi.booking_number not in html  # due at 13:30, beyond 15 minutes
    html = client_for(officer).get(reverse("custody:rounds_due"), {"within": 30}).content.decode()
    assert kakashi.booking_number in html


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_for_a_few_people_or_more(
    clock, site, hold, officer, client_for
):
    client = client_for(officer)
    hold(bed=site.cells[0].beds.get(code="B1"))
    url = reverse("custody:rounds")
    _count(client, url)  # the session and roles are read once
    few = _count(client, url)
    hold("Two", bed=site.cells[0].beds.get(code="B2"))
    hold("Three", bed=site.cells[1].beds.get(code="B1"))
    hold("Four", bed=site.cells[1].beds.get(code="B2"))
    assert _count(client, url) == few
    due = reverse("custody:rounds_due")
    assert _count(client, due) == _count(client, due)
