"""Clerks booking visits at the same moment, each on their own connection.

On PostgreSQL the booking, the room and the visitors are row-locked before the
rules read the schedule; SQLite takes its write lock when a transaction begins
(IMMEDIATE), so there the writers queue up whole.  Either way one of two
clashing visits is booked and the other refused with the rule named.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest

from cellblock.core import clock
from cellblock.core.errors import Conflict
from cellblock.core.roles import Role
from cellblock.core.threads_for_tests import run_together
from cellblock.visits.models import ListEntryStatus, Visit, VisitingListEntry, VisitStatus
from cellblock.visits.services.scheduling import visit_schedule

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 3


def _refusals(errors: list[BaseException]) -> list[list[str]]:
    assert all(isinstance(error, Conflict) for error in errors), errors
    return [
        [v["code"] for v in error.extra["violations"]]
        for error in errors
        if isinstance(error, Conflict) and error.code == "visit_refused"
    ]


def _listed(booking, *visitors):
    for visitor in visitors:
        VisitingListEntry.objects.create(
            booking=booking, visitor=visitor, relationship="friend",
            status=ListEntryStatus.APPROVED, added_at=clock.now(),
        )  # fmt: skip


def _slot(round_: int) -> dt.datetime:
    """Two days ahead at 10:00, a day and an hour later each round: inside the booking window
    and the room's hours, and one visit a day for each person."""
    day = (clock.now() + dt.timedelta(days=2 + round_)).date()
    return dt.datetime.combine(day, dt.time(10 + round_), tzinfo=dt.UTC)


@pytest.fixture
def clerks(visits_clerk, staff_factory):
    return [visits_clerk, staff_factory("second_clerk", Role.VISITS)]


def test_two_clerks_booking_the_last_place_in_a_room_one_gets_it(
    hold, make_visitor, clerks, contact_room
):
    people = [hold(name, given_name="Some") for name in ("First", "Second", "Third")]
    visitors = [make_visitor(f"Visitor{n}", "Outside") for n in range(3)]
    for booking, visitor in zip(people, visitors, strict=True):
        _listed(booking, visitor)
    for round_ in range(ROUNDS):
        starts_at = _slot(round_)
        # One of the two places is taken already.
        visit_schedule(
            actor=clerks[0], booking=people[0], kind="contact", visitors=[visitors[0]],
            starts_at=starts_at, room=contact_room,
        )  # fmt: skip

        booked, errors = run_together(
            *(
                partial(
                    visit_schedule,
                    actor=clerk,
                    booking=booking,
                    kind="contact",
                    visitors=[visitor],
                    starts_at=starts_at,
                    room=contact_room,
                )
                for clerk, booking, visitor in zip(clerks, people[1:], visitors[1:], strict=True)
            )
        )

        assert len(booked) == 1
        assert _refusals(errors) == [["room_full"]]
        at_once = Visit.objects.filter(room=contact_room, starts_at=starts_at)
        assert at_once.count() == contact_room.capacity


def test_two_visits_for_the_same_person_at_once_one_is_booked(
    hold, make_visitor, clerks, contact_room, booths
):
    kakashi = hold("Hatake")
    ino, sakura = make_visitor("Ino", "Yamanaka"), make_visitor("Sakura", "Haruno")
    _listed(kakashi, ino, sakura)
    for round_ in range(ROUNDS):
        starts_at = _slot(round_)

        booked, errors = run_together(
            partial(
                visit_schedule, actor=clerks[0], booking=kakashi, kind="contact",
                visitors=[ino], starts_at=starts_at, room=contact_room,
            ),
            partial(
                visit_schedule, actor=clerks[1], booking=kakashi, kind="non_contact",
                visitors=[sakura], starts_at=starts_at, room=booths,
            ),
        )  # fmt: skip

        assert len(booked) == 1
        [codes] = _refusals(errors)
        assert "person_busy" in codes
        assert "visits_per_day" in codes
        assert Visit.objects.filter(booking=kakashi, starts_at=starts_at).count() == 1


def test_one_visitor_booked_to_two_people_at_once_visits_one(
    hold, make_visitor, clerks, contact_room, booths
):
    kakashi, naruto = hold("Hatake"), hold("Uzumaki", given_name="Naruto")
    ino = make_visitor("Ino", "Yamanaka")
    _listed(kakashi, ino)
    _listed(naruto, ino)
    for round_ in range(ROUNDS):
        starts_at = _slot(round_)

        booked, errors = run_together(
            partial(
                visit_schedule, actor=clerks[0], booking=kakashi, kind="contact",
                visitors=[ino], starts_at=starts_at, room=contact_room,
            ),
            partial(
                visit_schedule, actor=clerks[1], booking=naruto, kind="non_contact",
                visitors=[ino], starts_at=starts_at, room=booths,
            ),
        )  # fmt: skip

        assert len(booked) == 1
        assert _refusals(errors) == [["visitor_busy"]]
        assert (
            Visit.objects.filter(
                participants__visitor=ino, starts_at=starts_at, status=VisitStatus.SCHEDULED
            ).count()
            == 1
        )
