"""The visit board: today's visits at the desk, the timers, the poll."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.visits.models import VisitKind, VisitStatus
from cellblock.visits.tests.pages_support import (
    DESK_OPENS,
    book,
    checked_in,
    ended,
    ino_fixture,  # noqa: F401  (the ino fixture)
    kakashi_fixture,  # noqa: F401  (the kakashi fixture)
    listed,
    running,
)

pytestmark = pytest.mark.django_db
BOARD = reverse("visits:board")


@pytest.fixture
def tomorrow(clock, kakashi, ino, contact_room, visits_clerk):
    """Ino's visit to Kakashi booked for tomorrow 14:00; the clock at the desk's opening."""
    listed(kakashi, visits_clerk, ino)
    visit = book(visits_clerk, kakashi, [ino], contact_room)
    clock.move_to(DESK_OPENS)
    return visit


def test_an_officer_sees_a_visit_still_to_come_with_a_link_to_check_in(
    tomorrow, officer, client_for
):
    response = client_for(officer).get(BOARD)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Still to come today" in body
    assert "Kakashi Hatake" in body
    assert "Ino Yamanaka" in body
    assert reverse("visits:detail", args=[tomorrow.public_id]) in body
    assert "Check in" in body


def test_a_visit_in_progress_shows_its_countdown_and_an_end_button(
    clock, tomorrow, ino, officer, client_for
):
    visit = running(officer, tomorrow, [ino])
    clock.shift(dt.timedelta(minutes=5))
    body = client_for(officer).get(BOARD).content.decode()
    due = visit.due_end_at
    assert due is not None
    left = int((due - (DESK_OPENS + dt.timedelta(minutes=5))).total_seconds())
    assert f'data-seconds-left="{left}"' in body
    assert f'id="end-{visit.public_id}"' in body
    assert reverse("visits:end", args=[visit.public_id]) in body
    # Time is not up yet: the prompt waits, hidden.
    assert 'data-testid="time-up" hidden' in body


def test_at_the_end_of_its_time_the_board_turns_the_timer_red_and_prompts_to_end(
    clock, tomorrow, ino, officer, client_for
):
    visit = running(officer, tomorrow, [ino])
    clock.shift(dt.timedelta(minutes=visit.minutes, seconds=1))
    body = client_for(officer).get(BOARD).content.decode()
    assert "timer-up" in body
    assert 'data-testid="time-up">Time is up: end the visit' in body
    assert 'data-testid="overrun-count">1 over time' in body


def test_visits_ended_wait_for_check_out_and_the_checked_in_for_their_start(
    clock, kakashi, ino, make_visitor, contact_room, visits_clerk, officer, client_for, hold
):
    sakura = make_visitor("Sakura", "Haruno", born=dt.date(1990, 3, 28), id_number="VR-200")
    naruto = hold("Uzumaki", given_name="Naruto", born=dt.date(1990, 10, 10))
    listed(kakashi, visits_clerk, ino)
    listed(naruto, visits_clerk, sakura)
    first = book(visits_clerk, kakashi, [ino], contact_room)
    second = book(visits_clerk, naruto, [sakura], contact_room)
    clock.move_to(DESK_OPENS)
    ended(officer, first, [ino])
    checked_in(officer, second, [sakura])
    body = client_for(officer).get(BOARD).content.decode()
    assert "Ended, to check out" in body
    assert reverse("visits:check_out", args=[first.public_id]) in body
    assert "Checked in, waiting" in body
    assert "Screen items and start" in body


def test_the_board_polls_itself_and_answers_the_poll_with_the_board_alone(
    tomorrow, officer, client_for
):
    client = client_for(officer)
    page = client.get(BOARD).content.decode()
    assert 'hx-get="/visits/?poll=1"' in page
    response = client.get(BOARD, {"poll": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="visit-board"')
    assert "<html" not in body
    assert response["Cache-Control"] == "no-store"


def test_ending_from_the_board_comes_back_to_the_board(clock, tomorrow, ino, officer, client_for):
    visit = running(officer, tomorrow, [ino])
    response = client_for(officer).post(
        reverse("visits:end", args=[visit.public_id]), {"next": BOARD}
    )
    assert response.status_code == 302
    assert response.url == BOARD
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ENDED


def test_staff_without_visits_are_refused_and_an_outsider_sees_only_their_own_facility(
    tomorrow, admin_user, outsider, client_for
):
    assert client_for(admin_user).get(BOARD).status_code == 403
    response = client_for(outsider).get(BOARD)
    assert response.status_code == 200
    assert "Kakashi Hatake" not in response.content.decode()


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(BOARD).status_code == 200
    return len(ctx.captured_queries)


def test_the_board_reads_a_fixed_number_of_queries_however_many_visits(
    clock, kakashi, ino, make_visitor, contact_room, booths, visits_clerk, officer, client_for,
    hold,
):  # fmt: skip
    listed(kakashi, visits_clerk, ino)
    first = book(visits_clerk, kakashi, [ino], contact_room)
    clock.move_to(DESK_OPENS)
    running(officer, first, [ino])
    client = client_for(officer)
    _queries(client)  # the session's first touch
    one = _queries(client)
    clock.move_to(DESK_OPENS - dt.timedelta(days=1))
    for n in range(3):
        person = hold(f"Held{n}", given_name="Someone", born=dt.date(1980, 1, 1))
        visitor = make_visitor(f"Guest{n}", "Visitor", id_number=f"VR-9{n}")
        listed(person, visits_clerk, visitor)
        booked = book(visits_clerk, person, [visitor], booths, kind=VisitKind.NON_CONTACT)
        clock.move_to(DESK_OPENS)
        if n == 0:
            running(officer, booked, [visitor])
        elif n == 1:
            ended(officer, booked, [visitor])
        clock.move_to(DESK_OPENS - dt.timedelta(days=1))
    clock.move_to(DESK_OPENS)
    client = client_for(officer)
    _queries(client)
    assert _queries(client) == one
