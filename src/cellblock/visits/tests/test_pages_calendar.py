"""The visit calendar: a room's day in slots, per day, with free places."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.visits.models import VisitKind
from cellblock.visits.tests.conftest import TOMORROW_2PM
from cellblock.visits.tests.pages_support import (
    book,
    ino_fixture,  # noqa: F401  (the ino fixture)
    kakashi_fixture,  # noqa: F401  (the kakashi fixture)
    listed,
)

pytestmark = pytest.mark.django_db
CALENDAR = reverse("visits:calendar")
TOMORROW = "2026-03-15"


def test_a_rooms_day_shows_slots_of_the_policy_length_with_the_visit_and_the_places_left(
    clock, kakashi, ino, contact_room, visits_clerk, officer, client_for
):
    listed(kakashi, visits_clerk, ino)
    visit = book(visits_clerk, kakashi, [ino], contact_room)
    response = client_for(officer).get(CALENDAR, {"room": contact_room.public_id, "day": TOMORROW})
    assert response.status_code == 200
    body = response.content.decode()
    # 08:00 to 20:00 in 30-minute slots.
    assert body.count('data-testid="slot"') == 24
    assert "14:00\u201314:30" in body
    assert reverse("visits:detail", args=[visit.public_id]) in body
    assert "1 of 2" in body  # the room holds two visits at once
    assert "Sunday 15 March 2026" in body


def test_the_day_moves_backwards_and_forwards(clock, contact_room, officer, client_for):
    body = client_for(officer).get(CALENDAR, {"day": TOMORROW}).content.decode()
    room = contact_room.public_id
    assert f"?day=2026-03-14&amp;room={room}" in body
    assert f"?day=2026-03-16&amp;room={room}" in body


def test_a_day_that_cannot_be_read_falls_back_to_today_and_says_so(
    clock, contact_room, officer, client_for
):
    response = client_for(officer).get(CALENDAR, {"day": "14/03"})
    assert response.status_code == 400
    assert "Could not read the day (14/03); showing today." in response.content.decode()


def test_the_clerk_may_book_a_free_slot_and_an_officer_may_not(
    clock, contact_room, visits_clerk, officer, client_for
):
    clerk = client_for(visits_clerk).get(CALENDAR, {"day": TOMORROW}).content.decode()
    assert f"{reverse('visits:new')}?room={contact_room.public_id}&amp;kind=contact" in clerk
    assert "starts_at=2026-03-15T14%3A00" in clerk
    assert "Book" not in client_for(officer).get(CALENDAR, {"day": TOMORROW}).content.decode()


def test_in_cell_visits_of_the_day_are_listed_under_the_rooms(
    clock, kakashi, ino, contact_room, commander, client_for
):
    listed(kakashi, commander, ino)
    visit = book(commander, kakashi, [ino], None, kind=VisitKind.IN_CELL)
    body = client_for(commander).get(CALENDAR, {"day": TOMORROW}).content.decode()
    assert "In-cell visits" in body
    assert reverse("visits:detail", args=[visit.public_id]) in body


def test_without_visit_rooms_the_page_says_so(clock, site, admin_user, commander, client_for):
    body = client_for(commander).get(CALENDAR).content.decode()
    assert "No visit room is in use." in body
    assert client_for(admin_user).get(CALENDAR).status_code == 403


def _queries(client, room) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(CALENDAR, {"room": room.public_id, "day": TOMORROW}).status_code == 200
    return len(ctx.captured_queries)


def test_the_calendar_reads_a_fixed_number_of_queries_however_many_visits(
    clock, kakashi, ino, hold, make_visitor, booths, visits_clerk, officer, client_for
):
    listed(kakashi, visits_clerk, ino)
    book(visits_clerk, kakashi, [ino], booths, kind=VisitKind.NON_CONTACT)
    client = client_for(officer)
    _queries(client, booths)
    one = _queries(client, booths)
    for n in range(3):
        person = hold(f"Held{n}", given_name="Someone", born=dt.date(1980, 1, 1))
        visitor = make_visitor(f"Guest{n}", "Visitor", id_number=f"VR-9{n}")
        listed(person, visits_clerk, visitor)
        starts = TOMORROW_2PM + dt.timedelta(minutes=30 * n)
        book(visits_clerk, person, [visitor], booths, starts_at=starts, kind=VisitKind.NON_CONTACT)
    assert _queries(client, booths) == one
