"""Formal counts on the policy's schedule: due, in progress, cleared, late, missed."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.core import clock as wall
from cellblock.core.errors import Conflict, ValidationFailed
from cellblock.custody.selectors import counts as reads
from cellblock.custody.selectors.counts import missed_counts, scheduled_counts
from cellblock.custody.services import counts as service
from cellblock.custody.services.counts import (
    count_cancel,
    count_clear,
    count_sheet_record,
    count_start,
)
from cellblock.facilities.services import facility_policy_update

from .conftest import NOW

pytestmark = pytest.mark.django_db

DAY = NOW.date()
SIX = dt.datetime(2026, 3, 14, 6, 0, tzinfo=dt.UTC)
EIGHTEEN = dt.datetime(2026, 3, 14, 18, 0, tzinfo=dt.UTC)


def _states(facility, day=DAY):
    return [(s.due_at.strftime("%H:%M"), s.state) for s in scheduled_counts(facility, day)]


def _at(clock, moment):
    clock.move_to(moment)


def _clear(supervisor, officer, count, facility):
    """Every unit counted as it should be, then cleared."""
    count.facility = facility
    for sheet in count.sheets.all():
        sheet.count = count
        count_sheet_record(actor=officer, sheet=sheet, counted=sheet.expected)
    return count_clear(actor=supervisor, count=count)


def _now():
    return wall.now()


def test_the_day_s_counts_follow_the_policy_times(site, clock):
    assert _states(site.facility) == [("06:00", reads.MISSED), ("18:00", reads.UPCOMING)]


def test_a_count_is_due_from_the_grace_before_its_time(site, clock):
    _at(clock, EIGHTEEN - dt.timedelta(minutes=31))
    assert _states(site.facility)[1] == ("18:00", reads.UPCOMING)
    _at(clock, EIGHTEEN - dt.timedelta(minutes=30))
    assert _states(site.facility)[1] == ("18:00", reads.DUE)


@pytest.mark.parametrize(("minutes_after", "missed"), [(29, False), (30, True), (31, True)])
def test_a_count_not_started_by_its_time_plus_the_grace_is_missed(
    site, clock, minutes_after, missed
):
    now = EIGHTEEN + dt.timedelta(minutes=minutes_after)

    found = missed_counts(site.facility, now, since=NOW)

    assert [s.due_at for s in found] == ([EIGHTEEN] if missed else [])


def test_a_count_started_in_time_answers_its_slot_and_clears_on_time(
    site, clock, supervisor, officer
):
    _at(clock, EIGHTEEN + dt.timedelta(minutes=30))
    count = count_start(
        actor=supervisor, facility=site.facility, method="head", scheduled_for=EIGHTEEN
    )
    assert _states(site.facility)[1] == ("18:00", reads.IN_PROGRESS)

    _clear(supervisor, officer, count, site.facility)

    assert _states(site.facility)[1] == ("18:00", reads.DONE)
    assert missed_counts(site.facility, EIGHTEEN + dt.timedelta(hours=2), since=NOW) == []


def test_a_late_count_clears_the_missed_count_but_shows_late(site, clock, supervisor, officer):
    _at(clock, EIGHTEEN + dt.timedelta(minutes=45))
    assert [s.due_at for s in missed_counts(site.facility, _now(), since=NOW)] == [EIGHTEEN]

    count = count_start(
        actor=supervisor, facility=site.facility, method="head", scheduled_for=EIGHTEEN
    )
    _clear(supervisor, officer, count, site.facility)

    assert _states(site.facility)[1] == ("18:00", reads.DONE_LATE)
    assert missed_counts(site.facility, _now(), since=NOW) == []


def test_a_cancelled_count_does_not_answer_its_time(site, clock, supervisor):
    _at(clock, EIGHTEEN + dt.timedelta(minutes=5))
    count = count_start(
        actor=supervisor, facility=site.facility, method="head", scheduled_for=EIGHTEEN
    )
    count.facility = site.facility
    count_cancel(actor=supervisor, count=count, reason="fire alarm")

    later = EIGHTEEN + dt.timedelta(hours=1)
    assert [s.due_at for s in missed_counts(site.facility, later, since=NOW)] == [EIGHTEEN]
    again = count_start(
        actor=supervisor, facility=site.facility, method="head", scheduled_for=EIGHTEEN
    )
    assert again.scheduled_for == EIGHTEEN


def test_missed_counts_look_back_a_day_unless_told_otherwise(site, clock):
    tomorrow_noon = NOW + dt.timedelta(days=1)

    found = missed_counts(site.facility, tomorrow_noon)
    since_morning = missed_counts(site.facility, tomorrow_noon, since=SIX - dt.timedelta(hours=1))

    assert [s.due_at for s in found] == [EIGHTEEN, SIX + dt.timedelta(days=1)]
    assert [s.due_at for s in since_morning] == [
        SIX, EIGHTEEN, SIX + dt.timedelta(days=1),
    ]  # fmt: skip


def test_count_times_are_the_facility_s_local_times(site, clock, commander):
    facility = site.facility
    facility.timezone = "Asia/Tokyo"
    facility.save(update_fields=["timezone"])
    facility_policy_update(actor=commander, facility=facility, formal_count_times="07:00,19:00")

    slots = scheduled_counts(facility, DAY)

    assert [s.due_at for s in slots] == [
        dt.datetime(2026, 3, 13, 22, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 14, 10, 0, tzinfo=dt.UTC),
    ]


def test_a_scheduled_count_must_be_one_of_the_policy_times(site, clock, supervisor):
    with pytest.raises(ValidationFailed) as refused:
        count_start(
            actor=supervisor, facility=site.facility, method="head",
            scheduled_for=EIGHTEEN + dt.timedelta(minutes=15),
        )  # fmt: skip

    assert refused.value.extra["fields"]["scheduled_for"] == [
        service.NOT_A_COUNT_TIME.format(facility="Test Jail", times="06:00, 18:00")
    ]


def test_a_scheduled_count_starts_no_earlier_than_the_grace_before_its_time(
    site, clock, supervisor
):
    _at(clock, EIGHTEEN - dt.timedelta(minutes=31))
    with pytest.raises(ValidationFailed) as refused:
        count_start(actor=supervisor, facility=site.facility, method="head", scheduled_for=EIGHTEEN)
    _at(clock, EIGHTEEN - dt.timedelta(minutes=30))
    count = count_start(
        actor=supervisor, facility=site.facility, method="head", scheduled_for=EIGHTEEN
    )

    assert refused.value.extra["fields"]["scheduled_for"] == [service.TOO_EARLY.format(minutes=30)]
    assert count.scheduled_for == EIGHTEEN


def test_a_time_already_counted_is_not_counted_twice(site, clock, supervisor, officer):
    count = count_start(actor=supervisor, facility=site.facility, method="head", scheduled_for=SIX)
    _clear(supervisor, officer, count, site.facility)

    with pytest.raises(Conflict) as refused:
        count_start(actor=supervisor, facility=site.facility, method="head", scheduled_for=SIX)

    assert refused.value.code == "count_already_done"


def test_the_schedule_costs_two_queries(site, clock, supervisor, django_assert_num_queries):
    count_start(actor=supervisor, facility=site.facility, method="head", scheduled_for=SIX)

    with django_assert_num_queries(2):
        states = _states(site.facility)

    assert states == [("06:00", reads.IN_PROGRESS), ("18:00", reads.UPCOMING)]
