"""Meals gone without in a row: refused or missed at the end of a person's record."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.classification.models import FlagKind
from cellblock.classification.services import flag_set
from cellblock.custody.selectors.meals import (
    current_meal,
    diet_notes,
    meal_sheet,
    meals_in_a_row_without,
    meals_of,
)
from cellblock.custody.services.meals import meal_record
from cellblock.custody.tests.conftest import NOW

pytestmark = pytest.mark.django_db

DAY = NOW.date()


def _meals(clock, officer, booking, outcomes, *, days=3):
    """Record ``outcomes`` for the meals from dinner of NOW's day onwards, travelling as we go."""
    slots = [(DAY + dt.timedelta(days=d), m) for d in range(days) for m in range(3)][2:]
    for (day, meal), outcome in zip(slots, outcomes, strict=False):
        served = {0: dt.time(7), 1: dt.time(12), 2: dt.time(17, 30)}[meal]
        clock.move_to(dt.datetime.combine(day, served, tzinfo=dt.UTC) + dt.timedelta(minutes=20))
        outside = outcome == "outside_food"
        meal_record(
            actor=officer, booking=booking, outcome=outcome,
            brought_by="Sakura" if outside else "", item="soup" if outside else "",
        )  # fmt: skip


def test_refused_and_missed_meals_in_a_row_are_counted_from_the_first(clock, hold, officer):
    sasuke = hold("Uchiha", given_name="Sasuke")
    _meals(clock, officer, sasuke, ["served", "refused", "missed", "refused"])
    count, since = meals_in_a_row_without([sasuke.pk])[sasuke.pk]
    assert count == 3
    # Breakfast of the next day, 07:00 (UTC in the test jail).
    assert since == dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(7), tzinfo=dt.UTC)


@pytest.mark.parametrize("breaker", ["served", "outside_food"])
def test_a_meal_eaten_ends_the_run(clock, hold, officer, breaker):
    sasuke = hold("Uchiha", given_name="Sasuke")
    _meals(clock, officer, sasuke, ["refused", "missed", breaker, "refused"])
    assert meals_in_a_row_without([sasuke.pk])[sasuke.pk][0] == 1


def test_someone_whose_last_meal_was_eaten_is_not_listed(clock, hold, officer):
    person = hold()
    _meals(clock, officer, person, ["refused", "served"])
    assert meals_in_a_row_without([person.pk]) == {}
    assert meals_in_a_row_without([]) == {}


def test_two_queries_for_any_number_of_people(clock, hold, officer, django_assert_num_queries):
    people = [hold(f"Person{n}", given_name="Held") for n in range(3)]
    for person in people:
        meal_record(actor=officer, booking=person, outcome="refused")
    with django_assert_num_queries(2):
        runs = meals_in_a_row_without([p.pk for p in people])
    assert {pk: count for pk, (count, _) in runs.items()} == {p.pk: 1 for p in people}


def test_a_persons_meals_newest_first_with_their_names(clock, hold, officer):
    person = hold()
    _meals(clock, officer, person, ["served", "refused"])
    lines = meals_of(person, limit=5)
    assert [(line.name, line.record.outcome) for line in lines] == [
        ("Breakfast (07:00)", "refused"),
        ("Dinner (17:30)", "served"),
    ]


def test_diet_notes_come_from_diet_and_preference_flags(clock, hold, commander):
    sasuke = hold("Uchiha", given_name="Sasuke")
    flag_set(actor=commander, booking=sasuke, kind=FlagKind.DIET, detail="no sweets",
             reason="will not eat them")  # fmt: skip
    flag_set(actor=commander, booking=sasuke, kind=FlagKind.PREFERENCE, detail="tomatoes",
             reason="asks for them")  # fmt: skip
    flag_set(actor=commander, booking=sasuke, kind=FlagKind.ESCAPE_RISK, reason="fled before")
    notes = diet_notes([sasuke.pk], NOW)[sasuke.pk]
    assert [(f.kind, f.detail) for f in notes] == [
        ("diet", "no sweets"),
        ("preference", "tomatoes"),
    ]


def test_the_meal_sheet_costs_the_same_queries_for_one_or_many(
    clock, site, hold, officer, django_assert_num_queries
):
    slot = current_meal(site.facility, NOW)
    meal_record(actor=officer, booking=hold(), outcome="missed")
    with django_assert_num_queries(5):
        assert len(meal_sheet(site.facility, site.unit, slot, NOW)) == 1
    for n in range(3):
        meal_record(actor=officer, booking=hold(f"P{n}"), outcome="refused")
    with django_assert_num_queries(5):
        rows = meal_sheet(site.facility, site.unit, slot, NOW)
    assert len(rows) == 4
    assert sorted(row.without for row in rows) == [1, 1, 1, 1]
