"""Clerks recording the same order at the same moment, each on their own connection.

Row locks (``select_for_update``) only serialise writers on PostgreSQL, so
these run there; SQLite serialises whole transactions and is covered by the
single-threaded tests.
"""

from __future__ import annotations

from functools import partial

import pytest
from django.db import connection

from cellblock.booking.services import ChargeData, booking_open, charge_add
from cellblock.classification.models import GroupMembership, SeparationOrder, StaffConflict
from cellblock.classification.services import (
    group_member_add,
    security_group_create,
    separation_order_create,
    staff_conflict_create,
)
from cellblock.core.errors import Conflict
from cellblock.core.roles import Role
from cellblock.core.threads_for_tests import run_together
from cellblock.people.services import person_create

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason=(
            "proves PostgreSQL's row locks; SQLite takes its write lock when a transaction "
            "begins (IMMEDIATE), so concurrent writers there never race"
        ),
    ),
]

ROUNDS = 4


def _person(given: str):
    return person_create(actor=None, facility=None, given_name=given, family_name="Test")


@pytest.fixture
def clerks(staff_factory):
    return [staff_factory(f"clerk_{n}", Role.CLASSIFICATION) for n in range(2)]


def _conflict_codes(errors: list[BaseException]) -> list[str]:
    assert all(isinstance(error, Conflict) for error in errors), errors
    return [error.code for error in errors if isinstance(error, Conflict)]


def test_two_clerks_recording_the_same_pair_at_once_make_one_order(site, clerks):
    for round_ in range(ROUNDS):
        haku, zabuza = _person(f"Haku{round_}"), _person(f"Zabuza{round_}")

        def record(clerk, a, b):
            return lambda: separation_order_create(
                actor=clerk, facility=site.facility, person=a, other_person=b, scope="cell",
                reason="threats",
            )  # fmt: skip

        # One gives the pair one way round, the other the other way.
        orders, errors = run_together(
            record(clerks[0], haku, zabuza), record(clerks[1], zabuza, haku)
        )

        assert len(orders) == 1
        assert _conflict_codes(errors) == ["separation_exists"]
        [refused] = errors
        assert isinstance(refused, Conflict)
        assert refused.status == 409
        assert SeparationOrder.objects.filter(person__in=[haku, zabuza]).count() == 1


def test_the_same_person_added_to_a_group_twice_at_once_is_one_membership(site, clerks):
    group = security_group_create(
        actor=None, facility=site.facility, code="akatsuki", name="Akatsuki", kind="gang"
    )
    for round_ in range(ROUNDS):
        itachi = _person(f"Itachi{round_}")
        memberships, errors = run_together(
            *(
                partial(
                    group_member_add, actor=clerk, facility=site.facility, group=group,
                    person=itachi, basis="cloak",
                )
                for clerk in clerks
            )
        )  # fmt: skip
        assert len(memberships) == 1
        assert _conflict_codes(errors) == ["member_exists"]
        assert GroupMembership.objects.filter(person=itachi).count() == 1


def test_the_same_staff_conflict_recorded_twice_at_once_is_one_record(site, clerks, medic):
    for round_ in range(ROUNDS):
        sasuke = _person(f"Sasuke{round_}")
        conflicts, errors = run_together(
            *(
                partial(
                    staff_conflict_create, actor=clerk, facility=site.facility, person=sasuke,
                    staff=medic, kind="alleged_victim", reason="attempted murder",
                )
                for clerk in clerks
            )
        )  # fmt: skip
        assert len(conflicts) == 1
        assert _conflict_codes(errors) == ["conflict_exists"]
        assert StaffConflict.objects.filter(person=sasuke).count() == 1


def test_co_defendants_charged_at_the_same_moment_are_still_kept_apart(
    site, booking_clerk, staff_factory
):
    clerks = [booking_clerk, staff_factory("second_clerk", Role.BOOKING)]
    for round_ in range(ROUNDS):
        people = [_person(f"{name}{round_}") for name in ("Gato", "Zabuza")]
        bookings = [
            booking_open(actor=None, facility=site.facility, person=person, source="arrest")
            for person in people
        ]
        charge = ChargeData("PC 211", "Robbery", "felony", case_number=f"KON-{round_}")
        # Each clerk charges a different booking: no booking lock keeps them apart.
        charges, errors = run_together(
            *(
                partial(charge_add, actor=clerk, booking=booking, data=charge)
                for clerk, booking in zip(clerks, bookings, strict=True)
            )
        )
        assert errors == []
        assert len(charges) == 2
        assert SeparationOrder.objects.filter(person__in=people).count() == 1
