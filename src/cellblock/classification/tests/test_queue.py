"""The classification queue: who is due or overdue, overdue first, and the dashboard's counts."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.booking.services import ChargeData, booking_open, booking_transition, charge_add
from cellblock.classification.instrument import NIC_CUSTODY_V1
from cellblock.classification.prea import ABUSER_CRITERIA, VICTIM_CRITERIA
from cellblock.classification.selectors import (
    DUE_LABELS,
    DueKind,
    classification_queue,
    overdue_counts,
)
from cellblock.classification.services import assessment_record, prea_screening_record
from cellblock.core.roles import Role
from cellblock.facilities.services import facility_policy_update
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

NOTHING = {item["code"]: item["answers"][0]["code"] for item in NIC_CUSTODY_V1["items"]}
NO = {code: False for code in [*VICTIM_CRITERIA, *ABUSER_CRITERIA]}


@pytest.fixture
def cleo(staff_factory):
    return staff_factory("cleo_classification", Role.CLASSIFICATION)


def _book(facility, given, at):
    person = person_create(actor=None, facility=None, given_name=given, family_name="Test")
    with time_machine.travel(at, tick=False):
        return booking_open(actor=None, facility=facility, person=person, source="arrest")


def _rows(facility, at, **more):
    return [
        (row.booking.person.given_name, row.kind, row.overdue)
        for row in classification_queue(facility, at, **more)
    ]


def test_overdue_work_comes_first_then_by_due_time(site):
    early = _book(site.facility, "Early", NOW - 4 * DAY)
    late = _book(site.facility, "Late", NOW - HOUR)
    assert [row.booking for row in classification_queue(site.facility, NOW)] == [
        early, early, late, late,
    ]  # fmt: skip
    assert _rows(site.facility, NOW) == [
        # Both of Early's are overdue: the 48-hour classification before the 72-hour PREA.
        ("Early", DueKind.INITIAL, True),
        ("Early", DueKind.PREA_INITIAL, True),
        ("Late", DueKind.INITIAL, False),
        ("Late", DueKind.PREA_INITIAL, False),
    ]


def test_each_row_says_what_is_due(site):
    _book(site.facility, "Ino", NOW)
    rows = classification_queue(site.facility, NOW)
    assert [row.label for row in rows] == [
        DUE_LABELS[DueKind.INITIAL], DUE_LABELS[DueKind.PREA_INITIAL],
    ]  # fmt: skip
    assert [row.label for row in rows] == ["Initial classification", "PREA screening (72 h)"]


def test_the_horizon_decides_how_far_ahead_the_queue_looks(site, cleo):
    booking = _book(site.facility, "Ino", NOW)
    with time_machine.travel(NOW, tick=False):
        assessment_record(actor=cleo, booking=booking, answers=NOTHING)
        prea_screening_record(actor=cleo, booking=booking, answers=NO)
    # The PREA reassessment (30 days) is due before the review (90 days).
    assert _rows(site.facility, NOW) == []
    assert _rows(site.facility, NOW, horizon=31 * DAY) == [
        ("Ino", DueKind.PREA_REASSESSMENT, False)
    ]
    assert _rows(site.facility, NOW, horizon=91 * DAY) == [
        ("Ino", DueKind.PREA_REASSESSMENT, False),
        ("Ino", DueKind.REVIEW, False),
    ]


def test_done_work_leaves_the_queue(site, cleo):
    booking = _book(site.facility, "Ino", NOW - 5 * DAY)
    with time_machine.travel(NOW, tick=False):
        assessment_record(actor=cleo, booking=booking, answers=NOTHING)
        prea_screening_record(actor=cleo, booking=booking, answers=NO)
    assert _rows(site.facility, NOW) == []
    assert overdue_counts(site.facility, NOW) == overdue_counts(site.facility, NOW + DAY)
    assert overdue_counts(site.facility, NOW).classification == 0


def test_the_policy_sets_the_deadlines(site, commander):
    facility_policy_update(
        actor=commander, facility=site.facility, classification_initial_hours=24,
        prea_screening_hours=36,
    )  # fmt: skip
    _book(site.facility, "Ino", NOW)
    due = {row.kind: row.due_at for row in classification_queue(site.facility, NOW)}
    assert due == {DueKind.INITIAL: NOW + 24 * HOUR, DueKind.PREA_INITIAL: NOW + 36 * HOUR}


def test_an_event_after_classification_is_listed_with_what_happened(site, cleo, booking_clerk):
    booking = _book(site.facility, "Ino", NOW - DAY)
    with time_machine.travel(NOW, tick=False):
        assessment_record(actor=cleo, booking=booking, answers=NOTHING)
        prea_screening_record(actor=cleo, booking=booking, answers=NO)
        charge_add(
            actor=booking_clerk, booking=booking,
            data=ChargeData("PC 459", "Burglary", "felony"),
        )  # fmt: skip
    [row] = classification_queue(site.facility, NOW)
    assert (row.kind, row.detail, row.due_at) == (
        DueKind.EVENT, "New charge: PC 459 Burglary", NOW + 48 * HOUR,
    )  # fmt: skip
    assert overdue_counts(site.facility, NOW + 49 * HOUR).classification == 1


def test_only_people_held_at_this_facility_are_queued(site, other_site, commander):
    _book(site.facility, "Ino", NOW - 5 * DAY)
    _book(other_site.facility, "Temari", NOW - 5 * DAY)
    gone = _book(site.facility, "Gone", NOW - 5 * DAY)
    booking_transition(actor=commander, booking=gone, to="cancelled", reason="mistaken")

    assert {name for name, _, _ in _rows(site.facility, NOW)} == {"Ino"}
    counts = overdue_counts(site.facility, NOW)
    assert (counts.classification, counts.prea) == (1, 1)


def test_the_queue_costs_the_same_queries_however_many_are_due(
    site, cleo, booking_clerk, django_assert_num_queries
):
    def fill(names):
        for name in names:
            booking = _book(site.facility, name, NOW - 2 * DAY)
            with time_machine.travel(NOW - DAY, tick=False):
                assessment_record(actor=cleo, booking=booking, answers=NOTHING)
                prea_screening_record(actor=cleo, booking=booking, answers=NO)
                charge_add(
                    actor=booking_clerk, booking=booking, data=ChargeData("X 1", "Theft", "felony")
                )
            _book(site.facility, f"{name} junior", NOW - DAY)

    # The policy, then one query per kind of due work (initial, review, event, PREA twice).
    fill(["Ino"])
    with django_assert_num_queries(6):
        small = classification_queue(site.facility, NOW, horizon=40 * DAY)
    fill(["Shikamaru", "Choji", "Asuma"])
    with django_assert_num_queries(6):
        big = classification_queue(site.facility, NOW, horizon=40 * DAY)
    assert len(big) == 4 * len(small)
    for row in big:
        assert row.booking.person.given_name


def test_a_limited_queue_keeps_exactly_the_most_urgent_rows(site, cleo):
    for hours in (100, 80, 60, 50, 30, 10, 1):
        _book(site.facility, f"Booked {hours} h ago", NOW - hours * HOUR)
    everything = _rows(site.facility, NOW)
    assert _rows(site.facility, NOW, limit=4) == everything[:4]
    assert len(everything) > 4


def test_the_overdue_counts_match_the_queue(site, cleo, django_assert_num_queries):
    for hours in (100, 80, 60, 50, 30, 10, 1):
        _book(site.facility, f"Booked {hours} h ago", NOW - hours * HOUR)
    rows = classification_queue(site.facility, NOW)
    prea_kinds = {DueKind.PREA_INITIAL, DueKind.PREA_REASSESSMENT}
    # The policy, then one count per kind of due work.
    with django_assert_num_queries(6):
        counts = overdue_counts(site.facility, NOW)
    assert counts.prea == sum(1 for row in rows if row.overdue and row.kind in prea_kinds)
    assert counts.classification == sum(
        1 for row in rows if row.overdue and row.kind not in prea_kinds
    )
    assert (counts.classification, counts.prea) == (4, 2)
