"""One visit's page: what it shows, and the visit day's steps taken from it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils.html import escape

from cellblock.visits.models import ItemOutcome, VisitKind, VisitStatus
from cellblock.visits.services.day import ID_NUMBER_MISMATCH
from cellblock.visits.tests.pages_support import (
    DESK_OPENS,
    book,
    checked_in,
    ino_fixture,  # noqa: F401  (the ino fixture)
    kakashi_fixture,  # noqa: F401  (the kakashi fixture)
    listed,
    running,
)
from cellblock.visits.views.detail import CANCELLED, CHECKED_IN, CHECKED_OUT, ITEM_SCREENED

pytestmark = pytest.mark.django_db


def url(visit, action=""):
    name = f"visits:{action}" if action else "visits:detail"
    return reverse(name, args=[visit.public_id])


@pytest.fixture
def visit(clock, kakashi, ino, contact_room, visits_clerk):
    listed(kakashi, visits_clerk, ino)
    return book(visits_clerk, kakashi, [ino], contact_room)


@pytest.fixture
def at_the_desk(clock, visit):
    clock.move_to(DESK_OPENS)
    return visit


def test_the_page_shows_who_where_and_when(visit, officer, client_for):
    response = client_for(officer).get(url(visit))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Visit to Kakashi Hatake" in body
    assert "Visit room 1" in body
    assert "Ino Yamanaka" in body
    assert "2026-03-15 14:00" in body
    assert 'data-testid="visit-status">Scheduled' in body


def test_an_outsider_gets_404_and_an_administrator_403(visit, outsider, admin_user, client_for):
    assert client_for(outsider).get(url(visit)).status_code == 404
    assert client_for(admin_user).get(url(visit)).status_code == 403


def test_an_auditor_reads_the_visit_but_is_offered_no_action(visit, auditor, client_for):
    body = client_for(auditor).get(url(visit)).content.decode()
    assert 'data-testid="visit-actions"' not in body


def test_the_officer_is_offered_check_in_and_the_clerk_cancelling(
    visit, officer, visits_clerk, client_for
):
    officer_page = client_for(officer).get(url(visit)).content.decode()
    assert 'data-testid="check-in-form"' in officer_page
    assert 'data-testid="cancel-form"' not in officer_page
    clerk_page = client_for(visits_clerk).get(url(visit)).content.decode()
    assert 'data-testid="cancel-form"' in clerk_page


def test_a_document_number_that_differs_from_the_registry_is_refused_by_name(
    at_the_desk, ino, officer, client_for
):
    key = ino.public_id
    data = {"present": [str(key)], f"id_kind-{key}": "village_registry", f"id_number-{key}": "X-1"}
    response = client_for(officer).post(url(at_the_desk, "check_in"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert escape(ID_NUMBER_MISMATCH.format(visitor="Ino Yamanaka").split(":")[0]) in body
    at_the_desk.refresh_from_db()
    assert at_the_desk.status == VisitStatus.SCHEDULED


def test_the_officer_checks_the_visitor_in_screens_an_item_and_starts_the_visit(
    at_the_desk, ino, officer, client_for
):
    client = client_for(officer)
    key = ino.public_id
    data = {
        "present": [str(key)],
        f"id_kind-{key}": "village_registry",
        f"id_number-{key}": "VR 100",
    }
    response = client.post(url(at_the_desk, "check_in"), data, follow=True)
    assert escape(CHECKED_IN.format(names="Ino Yamanaka")) in response.content.decode()
    item = {"description": "Bento box", "outcome": ItemOutcome.ALLOWED, "visitor": str(key)}
    response = client.post(url(at_the_desk, "screen_item"), item, follow=True)
    body = response.content.decode()
    assert escape(ITEM_SCREENED.format(description="Bento box", outcome="allowed in")) in body
    assert 'data-testid="item-outcome">Allowed in' in body
    response = client.post(url(at_the_desk, "start"), {"escort": officer.username}, follow=True)
    body = response.content.decode()
    at_the_desk.refresh_from_db()
    assert at_the_desk.status == VisitStatus.IN_PROGRESS
    assert at_the_desk.escort == officer
    assert 'data-testid="visit-timer"' in body
    assert 'id="end-visit"' in body


def test_refusing_an_item_needs_a_reason(at_the_desk, ino, officer, client_for):
    checked_in(officer, at_the_desk, [ino])
    item = {
        "description": "Kunai",
        "outcome": ItemOutcome.CONFISCATED,
        "visitor": str(ino.public_id),
    }
    response = client_for(officer).post(url(at_the_desk, "screen_item"), item)
    assert response.status_code == 400
    assert "Reason is required when an item is confiscated" in response.content.decode()


def test_at_the_end_of_its_time_the_page_prompts_to_end_and_ending_then_checking_out_completes(
    clock, at_the_desk, ino, officer, client_for
):
    running(officer, at_the_desk, [ino])
    clock.shift(dt.timedelta(minutes=31))
    client = client_for(officer)
    body = client.get(url(at_the_desk)).content.decode()
    assert "timer-up" in body
    assert 'data-testid="time-up">Time is up: end the visit' in body
    response = client.post(url(at_the_desk, "end"), follow=True)
    body = response.content.decode()
    assert "Visit ended 1 min late." in body
    assert 'data-testid="overran">1 min over' in body
    response = client.post(url(at_the_desk, "check_out"), follow=True)
    assert escape(CHECKED_OUT) in response.content.decode()
    at_the_desk.refresh_from_db()
    assert at_the_desk.status == VisitStatus.COMPLETED


def test_a_no_show_before_the_start_is_refused_with_the_message(at_the_desk, officer, client_for):
    response = client_for(officer).post(url(at_the_desk, "no_show"))
    assert response.status_code == 409
    assert "cannot be a no-show before then" in response.content.decode()


def test_cancelling_needs_a_reason_and_then_cancels(visit, visits_clerk, client_for):
    client = client_for(visits_clerk)
    response = client.post(url(visit, "cancel"), {"reason": ""})
    assert response.status_code == 400
    assert "Reason: say why the visit is cancelled." in response.content.decode()
    response = client.post(url(visit, "cancel"), {"reason": "The visitor called off."}, follow=True)
    assert escape(CANCELLED) in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED


def test_a_supervisor_authorises_an_in_cell_visit_the_clerk_requested(
    clock, kakashi, ino, visits_clerk, supervisor, officer, client_for
):
    listed(kakashi, visits_clerk, ino)
    requested = book(visits_clerk, kakashi, [ino], None, kind=VisitKind.IN_CELL)
    assert requested.status == VisitStatus.REQUESTED
    assert (
        'data-testid="authorise-form"'
        not in client_for(officer).get(url(requested)).content.decode()
    )
    response = client_for(supervisor).post(url(requested, "authorise"))
    assert response.status_code == 302
    requested.refresh_from_db()
    assert requested.status == VisitStatus.SCHEDULED
    assert requested.authorised_by == supervisor


def test_an_officer_cannot_authorise(clock, kakashi, ino, visits_clerk, officer, client_for):
    listed(kakashi, visits_clerk, ino)
    requested = book(visits_clerk, kakashi, [ino], None, kind=VisitKind.IN_CELL)
    assert client_for(officer).post(url(requested, "authorise")).status_code == 403
