"""Recording meals: the meal meant, outside food, one record per person per meal."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.audit.models import AuditEvent
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.custody.models import MealRecord
from cellblock.custody.services.meals import meal_record
from cellblock.custody.tests.conftest import NOW

pytestmark = pytest.mark.django_db

DAY = NOW.date()
NEXT_DAY = DAY + dt.timedelta(days=1)


def test_an_officer_records_the_current_meal(clock, hold, officer):
    sasuke = hold("Uchiha", given_name="Sasuke")
    record = meal_record(actor=officer, booking=sasuke, outcome="missed", note="asleep")
    assert (record.meal_date, record.meal, record.outcome) == (DAY, 1, "missed")
    assert (record.recorded_at, record.recorded_by) == (NOW, officer)
    event = AuditEvent.objects.get(action="meals.record")
    assert event.changes["outcome"] == "missed"
    assert event.changes["meal"] == 1


@pytest.mark.parametrize(
    ("local_time", "meal"),
    [((10, 59), 0), ((11, 0), 1), ((16, 29), 1), ((16, 30), 2), ((6, 0), 0)],
    ids=["10:59 breakfast", "11:00 lunch", "16:29 lunch", "16:30 dinner", "06:00 breakfast"],
)
def test_the_meal_is_the_one_served_within_the_hour(clock, hold, officer, local_time, meal):
    person = hold()
    moment = dt.datetime.combine(NEXT_DAY, dt.time(*local_time), tzinfo=dt.UTC)
    clock.move_to(moment)
    record = meal_record(actor=officer, booking=person, outcome="served")
    assert (record.meal_date, record.meal) == (NEXT_DAY, meal)


def test_late_in_the_night_it_is_still_dinner_of_the_day_before(clock, hold, officer):
    person = hold()
    clock.move_to(dt.datetime.combine(NEXT_DAY, dt.time(2, 0), tzinfo=dt.UTC))
    record = meal_record(actor=officer, booking=person, outcome="refused")
    assert (record.meal_date, record.meal) == (DAY, 2)


def test_a_late_entry_records_the_meal_of_its_time(clock, hold, officer):
    person = hold()
    clock.shift(dt.timedelta(hours=8))
    record = meal_record(
        actor=officer, booking=person, outcome="refused", at=NOW + dt.timedelta(hours=5, minutes=40)
    )
    assert (record.meal_date, record.meal) == (DAY, 2)
    assert record.recorded_at == NOW + dt.timedelta(hours=5, minutes=40)


def test_outside_food_says_who_brought_what(clock, hold, medic):
    sasuke = hold("Uchiha", given_name="Sasuke")
    record = meal_record(
        actor=medic, booking=sasuke, outcome="outside_food", brought_by="Sakura Haruno",
        item="tomato soup",
    )  # fmt: skip
    assert (record.brought_by, record.item) == ("Sakura Haruno", "tomato soup")


def test_outside_food_without_who_or_what_is_refused(clock, hold, officer):
    with pytest.raises(ValidationFailed) as refused:
        meal_record(actor=officer, booking=hold(), outcome="outside_food", brought_by="  ")
    assert refused.value.extra["fields"] == {
        "brought_by": ["say who brought it for outside food."],
        "item": ["say what it was for outside food."],
    }


def test_who_brought_food_is_only_for_outside_food(clock, hold, officer):
    with pytest.raises(ValidationFailed) as refused:
        meal_record(actor=officer, booking=hold(), outcome="served", brought_by="Ino")
    assert refused.value.extra["fields"] == {"brought_by": ["is only recorded for outside food."]}


def test_an_unknown_outcome_is_refused(clock, hold, officer):
    with pytest.raises(ValidationFailed) as refused:
        meal_record(actor=officer, booking=hold(), outcome="eaten")
    assert "outcome" in refused.value.extra["fields"]


def test_a_meal_is_recorded_once_and_the_second_time_names_the_first(clock, hold, officer):
    sasuke = hold("Uchiha", given_name="Sasuke")
    meal_record(actor=officer, booking=sasuke, outcome="refused")
    with pytest.raises(Conflict) as refused:
        meal_record(actor=officer, booking=sasuke, outcome="served", meal_date=DAY, meal=1)
    assert refused.value.code == "meal_recorded"
    assert refused.value.message == (
        "Lunch (12:00) of 2026-03-14 is already recorded for Sasuke Uchiha: refused."
    )
    assert refused.value.extra["outcome"] == "refused"
    assert MealRecord.objects.count() == 1


def test_a_meal_not_served_yet_cannot_be_recorded(clock, hold, officer):
    with pytest.raises(ValidationFailed) as refused:
        meal_record(actor=officer, booking=hold(), outcome="served", meal_date=DAY, meal=2)
    assert refused.value.extra["fields"] == {
        "meal": ["Dinner (17:30) of 2026-03-14 is not served yet."]
    }


def test_a_meal_over_before_booking_cannot_be_recorded(clock, hold, officer):
    person = hold()
    with pytest.raises(ValidationFailed) as refused:
        meal_record(actor=officer, booking=person, outcome="missed", meal_date=DAY, meal=0)
    assert "meal_date" in refused.value.extra["fields"]


@pytest.mark.parametrize(
    ("meal_date", "meal", "field"),
    [(DAY, 3, "meal"), (DAY, None, "meal")],
    ids=["a fourth meal", "a date without the meal"],
)
def test_a_meal_that_does_not_exist_is_refused(clock, hold, officer, meal_date, meal, field):
    with pytest.raises(ValidationFailed) as refused:
        meal_record(actor=officer, booking=hold(), outcome="served", meal_date=meal_date, meal=meal)
    assert field in refused.value.extra["fields"]


def test_a_visits_clerk_cannot_record_meals(clock, hold, visits_clerk):
    with pytest.raises(PermissionDenied):
        meal_record(actor=visits_clerk, booking=hold(), outcome="served")


def test_a_meal_in_the_future_is_refused(clock, hold, officer):
    with pytest.raises(ValidationFailed) as refused:
        meal_record(
            actor=officer, booking=hold(), outcome="served", at=NOW + dt.timedelta(minutes=1)
        )
    assert refused.value.extra["fields"] == {"at": ["must not be in the future."]}
