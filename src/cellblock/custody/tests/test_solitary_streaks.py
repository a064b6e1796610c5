"""The solitary clock of a whole facility: the last two days first, history only where needed."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.classification.selectors import policy_of
from cellblock.compliance.tests.support import out, seen
from cellblock.custody.models import Destination
from cellblock.custody.selectors.solitary import booking_streaks, facility_streaks, limits_of
from cellblock.custody.tests.conftest import NOW

pytestmark = pytest.mark.django_db

MIDNIGHT = NOW.replace(hour=0)


@pytest.fixture
def people(clock, hold, officer):
    """Held ten days: one visited five days ago, one checked on and in the yard yesterday."""
    clock.move_to(MIDNIGHT - dt.timedelta(days=10) + dt.timedelta(hours=8))
    visited = hold("Hatake")
    checked = hold("Uchiha", given_name="Sasuke")
    forgotten = hold("Uzumaki", given_name="Naruto")
    clock.move_to(NOW)
    day = MIDNIGHT - dt.timedelta(days=5)
    out(visited, Destination.VISIT_ROOM, day + dt.timedelta(hours=14), day + dt.timedelta(hours=15))
    seen(checked, MIDNIGHT - dt.timedelta(hours=2), officer, welfare=True)
    yard = MIDNIGHT - dt.timedelta(hours=15)
    out(checked, Destination.EXERCISE_YARD, yard, yard + dt.timedelta(hours=1))
    return visited, checked, forgotten


def test_the_facility_clock_agrees_with_each_persons_own(site, people):
    limits = limits_of(policy_of(site.facility))
    held = {booking.pk: booking.booked_at for booking in people}
    found = facility_streaks(site.facility, NOW, held, limits)
    for booking in people:
        assert found[booking.pk] == booking_streaks(booking, NOW, limits)
    visited, checked, forgotten = people
    assert found[visited.pk].solitary.count == 4
    assert found[checked.pk].solitary.count == 0
    assert found[forgotten.pk].solitary.count == 9
    assert found[forgotten.pk].exercise_missed.count == 9


def test_history_is_read_only_for_those_whose_streak_runs_back(
    site, people, django_assert_num_queries
):
    limits = limits_of(policy_of(site.facility))
    visited, checked, forgotten = people
    with django_assert_num_queries(2):
        only_recent = facility_streaks(site.facility, NOW, {checked.pk: checked.booked_at}, limits)
    # Yesterday broke both of his streaks: nothing older matters.
    assert only_recent[checked.pk].solitary.count == 0
    assert only_recent[checked.pk].exercise_missed.count == 0
    with django_assert_num_queries(4):
        facility_streaks(
            site.facility, NOW, {b.pk: b.booked_at for b in (visited, forgotten)}, limits
        )
