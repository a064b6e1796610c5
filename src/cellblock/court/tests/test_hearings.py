"""Hearings: the calendar, production to court and back, adjournments, missed productions."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.court.models import Hearing, HearingStatus
from cellblock.court.selectors import hearings_between, missed_productions
from cellblock.court.services.hearings import (
    hearing_conclude,
    hearing_produce,
    hearing_return,
    hearing_schedule,
)
from cellblock.court.tests.court_support import NOW, events
from cellblock.custody.models import Movement
from cellblock.facilities.services import facility_policy_update

pytestmark = pytest.mark.django_db

TEN = NOW.replace(hour=10)
AT_TWO = NOW.replace(hour=14)


@pytest.fixture
def kakashi(held):
    return held()


@pytest.fixture
def trial(clock, kakashi, file_case, court_clerk):
    case = file_case(kakashi.person)
    return hearing_schedule(
        actor=court_clerk, case=case, kind="trial", scheduled_at=AT_TWO, expected_minutes=90
    )


def test_a_hearing_of_a_held_person_names_the_booking_to_produce(trial, kakashi, court_clerk):
    assert trial.booking == kakashi
    assert trial.courtroom == "Courthouse"
    assert trial.status == HearingStatus.SCHEDULED
    (scheduled,) = events("hearing.schedule")
    assert scheduled.actor == court_clerk
    assert scheduled.changes["booking"] == kakashi.booking_number


def test_a_hearing_of_a_free_person_has_nobody_to_produce(
    clock, file_case, person, court_clerk, officer
):
    case = file_case(person())
    hearing = hearing_schedule(actor=court_clerk, case=case, kind="arraignment", scheduled_at=TEN)
    assert hearing.booking is None
    with pytest.raises(Conflict) as refused:
        hearing_produce(actor=officer, hearing=hearing)
    assert refused.value.code == "not_in_custody"


def test_a_hearing_needs_a_known_kind_an_aware_time_and_a_length(
    clock, kakashi, file_case, court_clerk
):
    case = file_case(kakashi.person)
    naive = AT_TWO.replace(tzinfo=None)
    with pytest.raises(ValidationFailed) as refused:
        hearing_schedule(
            actor=court_clerk, case=case, kind="tea", scheduled_at=naive, expected_minutes=0
        )
    assert set(refused.value.extra["fields"]) == {"kind", "scheduled_at", "expected_minutes"}


def test_an_officer_produces_the_person_and_the_movement_expects_them_back_after_the_hearing(
    trial, kakashi, officer, clock
):
    clock.move_to(AT_TWO - dt.timedelta(minutes=45))
    produced = hearing_produce(actor=officer, hearing=trial, escort=officer)
    movement = produced.production
    assert movement is not None
    assert (movement.booking, movement.destination, movement.destination_detail) == (
        kakashi, "court", "Courthouse",
    )  # fmt: skip
    assert movement.expected_return_at == AT_TWO + dt.timedelta(minutes=90)
    assert movement.escort == officer
    (audited,) = events("hearing.produce")
    assert audited.actor == officer
    assert audited.changes["movement"] == str(movement.public_id)

    clock.move_to(AT_TWO + dt.timedelta(hours=2))
    hearing_return(actor=officer, hearing=trial)
    assert Movement.objects.get(pk=movement.pk).returned_at == AT_TWO + dt.timedelta(hours=2)
    assert events("hearing.return")[0].actor == officer


def test_a_person_produced_late_is_expected_back_a_hearing_later(trial, officer, clock):
    clock.move_to(AT_TWO + dt.timedelta(hours=3))
    movement = hearing_produce(actor=officer, hearing=trial).production
    assert movement is not None
    assert movement.expected_return_at == AT_TWO + dt.timedelta(hours=4, minutes=30)


def test_a_person_is_produced_once(trial, officer):
    hearing_produce(actor=officer, hearing=trial)
    with pytest.raises(Conflict) as refused:
        hearing_produce(actor=officer, hearing=trial)
    assert refused.value.code == "already_produced"


def test_the_court_clerk_does_not_record_movements(trial, court_clerk):
    with pytest.raises(PermissionDenied) as refused:
        hearing_produce(actor=court_clerk, hearing=trial)
    assert "movement.record" in refused.value.message
    assert Hearing.objects.get(pk=trial.pk).production is None


def test_nobody_returns_from_a_hearing_they_were_not_produced_to(trial, officer):
    with pytest.raises(Conflict) as refused:
        hearing_return(actor=officer, hearing=trial)
    assert refused.value.code == "not_produced"


def test_an_adjourned_hearing_schedules_the_next_one_of_the_same_kind(trial, court_clerk):
    next_week = AT_TWO + dt.timedelta(days=7)
    concluded = hearing_conclude(
        actor=court_clerk, hearing=trial, status="adjourned", outcome="Witness absent.",
        next_at=next_week,
    )  # fmt: skip
    assert concluded.status == HearingStatus.ADJOURNED
    following = Hearing.objects.get(case=trial.case, scheduled_at=next_week)
    assert (following.kind, following.expected_minutes, following.booking) == (
        "trial", 90, trial.booking,
    )  # fmt: skip
    (audited,) = events("hearing.conclude")
    assert audited.changes["next_hearing"] == str(following.public_id)
    with pytest.raises(Conflict) as refused:
        hearing_conclude(actor=court_clerk, hearing=trial, status="held")
    assert refused.value.code == "hearing_concluded"


def test_only_an_adjourned_hearing_names_a_next_date(trial, court_clerk):
    with pytest.raises(ValidationFailed) as refused:
        hearing_conclude(
            actor=court_clerk, hearing=trial, status="held", next_at=AT_TWO + dt.timedelta(days=1)
        )
    assert list(refused.value.extra["fields"]) == ["next_at"]


def test_the_calendar_shows_the_week_in_order(clock, site, kakashi, file_case, court_clerk):
    case = file_case(kakashi.person)
    later = hearing_schedule(
        actor=court_clerk, case=case, kind="sentencing", scheduled_at=AT_TWO + dt.timedelta(days=2)
    )
    first = hearing_schedule(actor=court_clerk, case=case, kind="trial", scheduled_at=AT_TWO)
    hearing_schedule(
        actor=court_clerk, case=case, kind="review", scheduled_at=AT_TWO + dt.timedelta(days=9)
    )
    week = list(hearings_between(site.facility, TEN, TEN + dt.timedelta(days=7)))
    assert week == [first, later]


def test_a_production_is_missed_once_the_grace_has_run_out(trial, site, officer, admin_user, clock):
    facility_policy_update(
        actor=admin_user, facility=site.facility, court_production_grace_minutes=15
    )
    clock.move_to(AT_TWO + dt.timedelta(minutes=14))
    assert missed_productions(site.facility, AT_TWO + dt.timedelta(minutes=14)) == []
    clock.move_to(AT_TWO + dt.timedelta(minutes=15))
    assert missed_productions(site.facility, AT_TWO + dt.timedelta(minutes=15)) == [trial]
    hearing_produce(actor=officer, hearing=trial)
    assert missed_productions(site.facility, AT_TWO + dt.timedelta(minutes=15)) == []


def test_a_cancelled_hearing_is_not_a_missed_production(trial, site, court_clerk, clock):
    hearing_conclude(actor=court_clerk, hearing=trial, status="cancelled", outcome="Vacated.")
    assert missed_productions(site.facility, AT_TWO + dt.timedelta(hours=5)) == []
