"""Supervisors housing people at the same moment, each on their own connection.

On PostgreSQL the bed and the booking are row-locked (``select_for_update``);
SQLite takes its write lock when a transaction begins (IMMEDIATE), so there the
writers queue up whole.  Either way exactly one wins and the other gets a 409,
and the two partial unique constraints are the last line behind the locks.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, cast

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from cellblock.booking.models import Booking
from cellblock.booking.services import booking_open
from cellblock.classification.services import separation_order_create
from cellblock.conftest import screen_clear
from cellblock.core import clock
from cellblock.core.errors import Conflict
from cellblock.core.roles import Role
from cellblock.core.threads_for_tests import run_together
from cellblock.facilities.models import Bed
from cellblock.facilities.services import cell_create, unit_create, zone_create
from cellblock.housing.models import BedAssignment
from cellblock.housing.services import bed_assign
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5


def _conflict_codes(errors: list[BaseException]) -> list[str]:
    assert all(isinstance(error, Conflict) for error in errors), errors
    return [error.code for error in errors if isinstance(error, Conflict)]


def _booking(site, name: str):
    """A booking screened clear at intake: only the race stands between it and a bed."""
    person = person_create(actor=None, facility=site.facility, given_name="K", family_name=name)
    booking = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    return screen_clear(booking)


def _open_in(bed: Bed) -> int:
    return BedAssignment.objects.filter(bed=bed, ended_at__isnull=True).count()


@pytest.fixture
def supervisors(supervisor, staff_factory):
    return [supervisor, staff_factory("second_supervisor", Role.SUPERVISOR)]


def test_two_people_placed_in_the_same_free_bed_at_once_one_gets_it_the_other_a_409(
    site, supervisors
):
    for round_ in range(ROUNDS):
        cell = cell_create(actor=None, unit=site.unit, code=f"R{round_}", beds=1)
        bed = cell.beds.get()
        bookings = [_booking(site, f"Racer{round_}-{n}") for n in range(2)]

        placed, errors = run_together(
            *(
                partial(bed_assign, actor=actor, booking=booking, bed=bed, expect_from=None)
                for actor, booking in zip(supervisors, bookings, strict=True)
            )
        )

        assert len(placed) == 1
        assert _conflict_codes(errors) == ["bed_occupied"]
        [refused] = errors
        assert isinstance(refused, Conflict)
        assert refused.status == 409
        [assignment] = BedAssignment.objects.filter(bed=bed, ended_at__isnull=True)
        [winner] = placed
        assert isinstance(winner, BedAssignment)
        assert assignment.pk == winner.pk
        # The loser is still unhoused.
        [loser] = [b for b in bookings if b.pk != assignment.booking_id]
        assert not BedAssignment.objects.filter(booking=loser).exists()


def test_two_moves_of_the_same_person_at_once_one_wins_the_other_is_told_he_moved(
    site, supervisors
):
    for round_ in range(ROUNDS):
        booking = _booking(site, f"Mover{round_}")
        cell = cell_create(actor=None, unit=site.unit, code=f"M{round_}", beds=3)
        here, there, elsewhere = cell.beds.order_by("code")
        bed_assign(actor=None, booking=booking, bed=here)

        moved, errors = run_together(
            *(
                partial(bed_assign, actor=actor, booking=booking, bed=bed, expect_from=here)
                for actor, bed in zip(supervisors, [there, elsewhere], strict=True)
            )
        )

        assert len(moved) == 1
        assert _conflict_codes(errors) == ["moved_meanwhile"]
        [winner] = moved
        assert isinstance(winner, BedAssignment)
        [assignment] = BedAssignment.objects.filter(booking=booking, ended_at__isnull=True)
        assert assignment.pk == winner.pk
        assert assignment.bed_id in (there.pk, elsewhere.pk)
        assert _open_in(here) == 0
        assert BedAssignment.objects.filter(booking=booking).count() == 2


def test_two_people_kept_apart_placed_in_one_cell_at_once_are_not_both_housed(
    site, supervisors, commander
):
    # The cell is locked with the bed: the second sees the first and the rule book refuses.
    for round_ in range(ROUNDS):
        cell = cell_create(actor=None, unit=site.unit, code=f"K{round_}", beds=2)
        zabuza, haku = _booking(site, f"Momochi{round_}"), _booking(site, f"Yuki{round_}")
        separation_order_create(
            actor=commander, facility=site.facility, person=zabuza.person,
            other_person=haku.person, scope="cell", reason="threats",
        )  # fmt: skip

        placed, errors = run_together(
            *(
                partial(bed_assign, actor=actor, booking=booking, bed=bed)
                for actor, booking, bed in zip(
                    supervisors, [zabuza, haku], cell.beds.order_by("code"), strict=True
                )
            )
        )

        assert len(placed) == 1
        assert _conflict_codes(errors) == ["housing_rule"]
        [refused] = errors
        assert isinstance(refused, Conflict)
        assert [v["code"] for v in refused.extra["violations"] if v["hard"]] == ["keep_separate"]
        assert BedAssignment.objects.filter(bed__cell=cell, ended_at__isnull=True).count() == 1


def test_two_people_kept_apart_in_the_facility_placed_in_two_zones_at_once_are_not_both_housed(
    site, supervisors, commander
):
    block_b = zone_create(actor=None, facility=site.facility, code="B", name="Block B")
    unit_b = unit_create(actor=None, zone=block_b, code="B1", name="Unit B1")
    for round_ in range(ROUNDS):
        beds = [
            cell_create(actor=None, unit=unit, code=f"F{round_}", beds=1).beds.get()
            for unit in (site.unit, unit_b)
        ]
        zabuza, haku = _booking(site, f"Momochi{round_}"), _booking(site, f"Yuki{round_}")
        separation_order_create(
            actor=commander, facility=site.facility, person=zabuza.person,
            other_person=haku.person, scope="facility", reason="threats",
        )  # fmt: skip

        placed, errors = run_together(
            *(
                partial(bed_assign, actor=actor, booking=booking, bed=bed)
                for actor, booking, bed in zip(supervisors, [zabuza, haku], beds, strict=True)
            )
        )

        assert len(placed) == 1
        assert _conflict_codes(errors) == ["housing_rule"]


# --- Through the API ---------------------------------------------------------------------------


def _post_move(client: Client, booking: Booking, bed: Bed) -> Callable[[], Any]:
    """A supervisor's POST of a move of the unhoused ``booking`` into ``bed``, ready to send."""
    body = {"booking": booking.booking_number, "to_bed": str(bed.public_id), "from_bed": None,
            "reason": "intake"}  # fmt: skip
    return partial(client.post, "/api/housing/moves", body, content_type="application/json")


def test_two_supervisors_posting_moves_into_one_bed_at_once_get_a_201_and_a_409(
    site, supervisors, client_for
):
    for round_ in range(ROUNDS):
        bed = cell_create(actor=None, unit=site.unit, code=f"P{round_}", beds=1).beds.get()
        bookings = [_booking(site, f"Poster{round_}-{n}") for n in range(2)]
        clients = [client_for(actor) for actor in supervisors]

        responses, errors = run_together(
            *(
                _post_move(client, booking, bed)
                for client, booking in zip(clients, bookings, strict=True)
            )
        )

        assert errors == []
        by_status = {r.status_code: r.json() for r in cast(list[Any], responses)}
        assert sorted(by_status) == [201, 409]
        assert by_status[201]["status"] == "moved"
        refused = by_status[409]
        assert set(refused) == {"message", "code", "extra"}
        assert refused["code"] == "bed_occupied"
        assert _open_in(bed) == 1


# --- The constraints: the last line --------------------------------------------------------------


def test_the_database_refuses_a_second_occupant_of_a_bed(site):
    bed = site.cells[0].beds.get(code="B1")
    bed_assign(actor=None, booking=_booking(site, "First"), bed=bed)

    with pytest.raises(IntegrityError), transaction.atomic():
        BedAssignment.objects.create(
            booking=_booking(site, "Second"), bed=bed, started_at=clock.now()
        )

    assert _open_in(bed) == 1


def test_the_database_refuses_a_second_open_bed_for_one_booking(site):
    booking = _booking(site, "Twice")
    bed_assign(actor=None, booking=booking, bed=site.cells[0].beds.get(code="B1"))

    with pytest.raises(IntegrityError), transaction.atomic():
        BedAssignment.objects.create(
            booking=booking, bed=site.cells[1].beds.get(code="B1"), started_at=clock.now()
        )

    assert BedAssignment.objects.filter(booking=booking, ended_at__isnull=True).count() == 1


def test_an_ended_assignment_leaves_the_bed_free_for_the_next(site):
    bed = site.cells[0].beds.get(code="B1")
    first = bed_assign(actor=None, booking=_booking(site, "First"), bed=bed)
    BedAssignment.objects.filter(pk=first.pk).update(ended_at=clock.now())

    BedAssignment.objects.create(booking=_booking(site, "Next"), bed=bed, started_at=clock.now())

    assert _open_in(bed) == 1
