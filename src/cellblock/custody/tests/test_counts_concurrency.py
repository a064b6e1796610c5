"""A count and movements at the same moment, each on its own connection.

Moves, movements and counts all take the facility's moves lock first
(PostgreSQL: a row lock; SQLite: IMMEDIATE transactions queue writers), so a
count's snapshot never misses a movement in flight, and two supervisors
starting a count at once make one count.
"""

from __future__ import annotations

from functools import partial

import pytest

from cellblock.core.errors import Conflict
from cellblock.core.roles import Role
from cellblock.core.threads_for_tests import run_together
from cellblock.custody.models import CountSheet, FormalCount, Movement
from cellblock.custody.services.counts import count_cancel, count_start
from cellblock.custody.services.movements import movement_return, movement_start

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 3


def _codes(errors):
    assert all(isinstance(error, Conflict) for error in errors), errors
    return [error.code for error in errors]


def test_two_supervisors_starting_a_count_at_once_make_one_count(
    site, supervisor, staff_factory, hold
):
    hold("Hatake")
    other = staff_factory("second_supervisor", Role.SUPERVISOR)
    for _ in range(ROUNDS):
        started, errors = run_together(
            partial(count_start, actor=supervisor, facility=site.facility, method="head"),
            partial(count_start, actor=other, facility=site.facility, method="hard"),
        )

        assert len(started) == 1
        assert _codes(errors) == ["count_already_open"]
        [count] = started
        assert isinstance(count, FormalCount)
        count.facility = site.facility
        count_cancel(actor=supervisor, count=count, reason="next round")


def test_a_movement_racing_a_count_is_either_on_its_sheet_or_refused(
    site, supervisor, officer, hold
):
    booking = hold("Hatake")
    for _ in range(ROUNDS):
        done, errors = run_together(
            partial(movement_start, actor=officer, booking=booking, destination="court"),
            partial(count_start, actor=supervisor, facility=site.facility, method="head"),
        )

        count = next(d for d in done if isinstance(d, FormalCount))
        sheet = CountSheet.objects.get(count=count)
        movement = Movement.objects.filter(booking=booking, returned_at__isnull=True).first()
        if movement is not None:
            # It went out before the count began: the sheet expects them out.
            assert (sheet.expected, sheet.expected_out) == (0, 1)
            assert errors == []
            movement.booking = booking
            movement_return(actor=officer, movement=movement)
        else:
            assert (sheet.expected, sheet.expected_out) == (1, 0)
            assert _codes(errors) == ["count_in_progress"]
        count.facility = site.facility
        count_cancel(actor=supervisor, count=count, reason="next round")
