"""GET /api/custody/bookings/{booking_number}/days and the days page: a person's days in custody."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.compliance.tests.support import lower_level, out, put_in_isolation, seen
from cellblock.core.roles import Role
from cellblock.custody.models import Destination
from cellblock.custody.tests.conftest import NOW

pytestmark = pytest.mark.django_db

MIDNIGHT = NOW.replace(hour=0)


@pytest.fixture
def kakashi(clock, hold, site):
    """Held since 22 February at 10:00 (19 whole days), in the isolation cell, never out."""
    clock.move_to(MIDNIGHT - dt.timedelta(days=20) + dt.timedelta(hours=10))
    booking = hold("Hatake", housed=False)
    put_in_isolation(booking, lower_level(site))
    clock.move_to(NOW)
    return booking


def days_of(client, booking, **query):
    return client.get(f"/api/custody/bookings/{booking.booking_number}/days", query)


def test_a_week_of_days_in_cell_is_a_week_of_solitary(kakashi, officer, client_for):
    response = days_of(client_for(officer), kakashi)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from"], body["to"]) == ("2026-03-08", "2026-03-14")
    assert body["solitary_hours_per_day"] == 22
    assert body["solitary_streak"] == {"days": 19, "since": "2026-02-23T00:00:00Z"}
    assert body["exercise_missed"]["days"] == 19
    full = body["days"][0]
    assert full == {
        "day": "2026-03-08", "in_custody_minutes": 1440, "out_of_cell_minutes": 0,
        "in_cell_minutes": 1440, "exercise_minutes": 0, "contact": False, "solitary": True,
        "complete": True,
    }  # fmt: skip
    today = body["days"][-1]
    assert (today["day"], today["in_custody_minutes"], today["solitary"]) == (
        "2026-03-14", 720, False
    )  # fmt: skip


def test_out_of_cell_minutes_come_from_movements(kakashi, officer, client_for, clock):
    yesterday = MIDNIGHT - dt.timedelta(days=1)
    out(kakashi, Destination.EXERCISE_YARD, yesterday + dt.timedelta(hours=9),
        yesterday + dt.timedelta(hours=10))  # fmt: skip
    out(kakashi, Destination.MEDICAL, yesterday + dt.timedelta(hours=23),
        MIDNIGHT + dt.timedelta(minutes=30))  # fmt: skip
    body = days_of(
        client_for(officer), kakashi, **{"from": "2026-03-13", "to": "2026-03-14"}
    ).json()
    day, today = body["days"]
    assert (day["out_of_cell_minutes"], day["exercise_minutes"], day["contact"]) == (120, 60, True)
    assert (day["solitary"], day["in_cell_minutes"]) == (False, 1320)
    assert (today["out_of_cell_minutes"], today["contact"]) == (30, True)
    # The clinic visit overlapping today ends the streak at once.
    assert body["solitary_streak"] == {"days": 0, "since": None}
    assert body["exercise_missed"]["days"] == 0


def test_a_welfare_check_is_meaningful_contact(kakashi, officer, client_for):
    seen(kakashi, MIDNIGHT - dt.timedelta(hours=3), officer, welfare=True)
    body = days_of(client_for(officer), kakashi, **{"from": "2026-03-13"}).json()
    assert body["days"][0]["contact"] is True
    assert body["days"][0]["solitary"] is False
    assert body["solitary_streak"]["days"] == 0


def test_the_range_is_checked(kakashi, officer, client_for):
    client = client_for(officer)
    backwards = days_of(client, kakashi, **{"from": "2026-03-14", "to": "2026-03-01"})
    assert backwards.status_code == 400
    assert backwards.json()["extra"]["fields"] == {"to": ["must be on or after from."]}
    too_long = days_of(client, kakashi, **{"from": "2024-01-01", "to": "2026-03-14"})
    assert too_long.status_code == 400
    assert "from" in too_long.json()["extra"]["fields"]
    assert days_of(client, kakashi, **{"from": "yesterday"}).status_code == 400


def test_strangers_get_404_and_roles_without_bookings_403(
    kakashi, outsider, staff_factory, client_for
):
    assert days_of(client_for(outsider), kakashi).status_code == 404
    admin = staff_factory("ada", Role.ADMIN)
    assert days_of(client_for(admin), kakashi).status_code == 403
    missing = client_for(outsider).get("/api/custody/bookings/TST-2026-999999/days")
    assert missing.status_code == 404


def test_the_days_cost_the_same_queries_whatever_the_movements(
    kakashi, officer, client_for, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(officer)
    days_of(client, kakashi)
    with CaptureQueriesContext(connection) as before:
        days_of(client, kakashi)
    for day in range(1, 7):
        start = MIDNIGHT - dt.timedelta(days=day) + dt.timedelta(hours=9)
        out(kakashi, Destination.EXERCISE_YARD, start, start + dt.timedelta(minutes=30))
    with django_assert_num_queries(len(before.captured_queries)):
        body = days_of(client, kakashi).json()
    assert [d["exercise_minutes"] for d in body["days"]] == [30] * 6 + [0]


def test_the_days_page_lists_each_day_newest_first(kakashi, officer, client_for):
    response = client_for(officer).get(f"/custody/bookings/{kakashi.booking_number}/days")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index('data-day="2026-03-14"') < html.index('data-day="2026-03-13"')
    assert 'data-testid="solitary-streak">19 days<' in html
    assert 'class="row-bad day-solitary"' in html
    bad = client_for(officer).get(
        f"/custody/bookings/{kakashi.booking_number}/days", {"from": "14.03.2026"}
    )
    assert bad.status_code == 400
    assert "showing the last four weeks" in bad.content.decode()
