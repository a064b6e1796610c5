"""The clinic's worklists (medical/selectors/clinic.py): rows joined, queries counted."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.classification.services import staff_conflict_create
from cellblock.core import clock as core_clock
from cellblock.core.roles import Role
from cellblock.medical.models import EncounterStatus
from cellblock.medical.selectors.clinic import (
    encounters_awaiting_acknowledgement,
    encounters_between,
    health_assessment_due,
    health_assessments_due,
    next_encounters,
    screenings_due,
)
from cellblock.medical.services.encounters import (
    encounter_cancel,
    encounter_complete,
    encounter_schedule,
    encounter_start,
)

# Time stands still on 14 March 2026 from the first fixture on.
pytestmark = [pytest.mark.usefixtures("clock"), pytest.mark.django_db]

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def people(admit):
    """Three adults held and housed (the test jail has adult units only)."""
    return [
        admit(family, given_name=given, born=dt.date(1996, 7, 23))
        for given, family in (("Sasuke", "Uchiha"), ("Naruto", "Uzumaki"), ("Rock", "Lee"))
    ]


@pytest.fixture
def schedule(medic):
    def make(booking, in_hours=1, provider=None, **kwargs):
        values = {"kind": "treatment", "place": "clinic", **kwargs}
        return encounter_schedule(
            actor=medic, booking=booking, provider=provider or medic,
            scheduled_for=core_clock.now() + in_hours * HOUR, **values,
        ).encounter  # fmt: skip

    return make


def test_the_days_encounters_come_in_time_order_in_one_query(
    site, people, schedule, django_assert_max_num_queries
):
    late = schedule(people[0], in_hours=3, place="cell")
    early = schedule(people[1], in_hours=1)
    cancelled = encounter_cancel(actor=None, encounter=schedule(people[2], in_hours=2), reason="x")
    schedule(people[2], in_hours=30)  # tomorrow
    start, end = core_clock.now(), core_clock.now() + 6 * HOUR

    with django_assert_max_num_queries(1):
        rows = encounters_between(site.facility, start, end)
        shown = [(e.booking.person.full_name, e.provider.username, e.cell) for e in rows]

    assert rows == [early, cancelled, late]
    assert shown[2][2] is not None
    assert encounters_between(site.facility, start, end, statuses=["scheduled"]) == [early, late]


def test_the_acknowledgement_list_holds_what_waits_for_a_supervisor(
    site, people, schedule, staff_factory, django_assert_max_num_queries
):
    sakura = staff_factory("sakura_haruno", Role.MEDICAL)
    for booking in people:
        staff_conflict_create(
            actor=None, facility=site.facility, person=booking.person, staff=sakura,
            kind="alleged_victim", reason="Assault on staff",
        )  # fmt: skip
    waiting = [schedule(booking, provider=sakura) for booking in people]
    schedule(people[0])  # another medic: nothing to acknowledge
    encounter_cancel(actor=None, encounter=waiting[2], reason="Not needed")

    with django_assert_max_num_queries(1):
        rows = encounters_awaiting_acknowledgement(site.facility)
        [(e.booking.person.full_name, e.provider.username, e.conflict) for e in rows]

    assert rows == waiting[:2]


def test_the_health_assessment_is_due_fourteen_days_after_booking(people, schedule, medic):
    held = people[0]
    assert health_assessment_due(held) == held.booked_at + dt.timedelta(days=14)

    encounter = encounter_start(
        actor=medic, encounter=schedule(held, in_hours=0, kind="health_assessment")
    )
    assert health_assessment_due(held) is not None
    encounter_complete(actor=medic, encounter=encounter, findings="Fit and well.")

    assert health_assessment_due(held) is None


def test_assessments_outstanding_come_soonest_due_first(
    site, people, schedule, medic, django_assert_max_num_queries
):
    done = encounter_start(
        actor=medic, encounter=schedule(people[1], in_hours=0, kind="health_assessment")
    )
    encounter_complete(actor=medic, encounter=done, findings="Fit and well.")
    now = core_clock.now()

    with django_assert_max_num_queries(2):
        due = health_assessments_due(site.facility, now)
        [booking.person.full_name for booking, _ in due]

    assert due == [
        (people[0], people[0].booked_at + dt.timedelta(days=14)),
        (people[2], people[2].booked_at + dt.timedelta(days=14)),
    ]


def test_screenings_due_lists_who_has_not_been_screened(
    site, people, admit, django_assert_max_num_queries
):
    waiting = admit("Hyuga", given_name="Neji", born=dt.date(1995, 7, 3), screened=False)

    with django_assert_max_num_queries(1):
        due = screenings_due(site.facility)
        [booking.person.full_name for booking in due]

    assert due == [waiting]


def test_next_encounters_gives_each_person_their_next_one(
    people, schedule, medic, clock, django_assert_max_num_queries
):
    sasuke, naruto, lee = people
    schedule(sasuke, in_hours=5)
    sasuke_next = schedule(sasuke, in_hours=2)
    under_way = encounter_start(actor=medic, encounter=schedule(naruto, in_hours=0))
    schedule(naruto, in_hours=1)
    encounter_cancel(actor=None, encounter=schedule(lee, in_hours=1), reason="Moved")
    ids = [b.pk for b in people]

    with django_assert_max_num_queries(1):
        found = next_encounters(ids, core_clock.now())
        [(e.provider.username, e.cell) for e in found.values()]

    assert found == {sasuke.pk: sasuke_next, naruto.pk: under_way}
    assert under_way.status == EncounterStatus.IN_PROGRESS
