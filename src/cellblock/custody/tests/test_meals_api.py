"""The meals API: record a meal, read a person's meals; case file 3 step 6."""

from __future__ import annotations

import datetime as dt

import pytest

from cellblock.classification.models import FlagKind
from cellblock.classification.services import flag_set

pytestmark = pytest.mark.django_db

API = "/api/custody"


def _post(client, payload):
    return client.post(f"{API}/meals", payload, content_type="application/json")


def test_sasuke_misses_a_meal_and_the_next_afternoon_sakura_brings_tomato_soup(
    clock, hold, officer, medic, commander, client_for
):
    sasuke = hold("Uchiha", given_name="Sasuke")
    flag_set(actor=commander, booking=sasuke, kind=FlagKind.DIET, detail="no sweets",
             reason="will not eat sweets")  # fmt: skip
    missed = _post(client_for(officer), {"booking": sasuke.booking_number, "outcome": "missed"})
    assert missed.status_code == 201, missed.content
    assert missed.json()["meal_name"] == "Lunch (12:00)"
    clock.shift(dt.timedelta(days=1, hours=3))
    soup = _post(
        client_for(medic),
        {"booking": sasuke.booking_number, "outcome": "outside_food",
         "brought_by": "Sakura Haruno", "item": "tomato soup"},
    )  # fmt: skip
    assert soup.status_code == 201, soup.content
    assert soup.json()["meal_date"] == "2026-03-15"
    assert soup.json()["recorded_by"] == medic.username
    log = client_for(officer).get(f"{API}/bookings/{sasuke.booking_number}/meals").json()
    assert [(m["outcome"], m["meal_date"], m["meal"]) for m in log["meals"]] == [
        ("outside_food", "2026-03-15", 1),
        ("missed", "2026-03-14", 1),
    ]
    assert log["meals"][0]["item"] == "tomato soup"
    assert log["notes"] == [
        {"kind": "diet", "detail": "no sweets", "reason": "will not eat sweets"}
    ]
    assert log["without_in_a_row"] == 0


def test_the_log_counts_the_meals_gone_without(clock, hold, officer, client_for):
    person = hold()
    _post(client_for(officer), {"booking": person.booking_number, "outcome": "refused"})
    log = client_for(officer).get(f"{API}/bookings/{person.booking_number}/meals").json()
    assert log["without_in_a_row"] == 1
    assert log["without_since"] == "2026-03-14T12:00:00Z"


def test_a_meal_recorded_twice_is_a_409_with_the_outcome_on_file(clock, hold, officer, client_for):
    person = hold()
    client = client_for(officer)
    _post(client, {"booking": person.booking_number, "outcome": "served"})
    again = _post(client, {"booking": person.booking_number, "outcome": "refused"})
    assert again.status_code == 409
    assert again.json()["code"] == "meal_recorded"
    assert again.json()["extra"]["outcome"] == "served"


def test_outside_food_without_who_and_what_is_a_400(clock, hold, officer, client_for):
    response = _post(
        client_for(officer), {"booking": hold().booking_number, "outcome": "outside_food"}
    )
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"brought_by", "item"}


def test_a_named_meal_and_a_late_entry(clock, hold, officer, client_for):
    person = hold()
    clock.shift(dt.timedelta(hours=7))
    response = _post(
        client_for(officer),
        {"booking": person.booking_number, "outcome": "refused", "meal_date": "2026-03-14",
         "meal": 2, "at": "2026-03-14T17:45:00Z"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["meal_name"] == "Dinner (17:30)"
    assert response.json()["recorded_at"] == "2026-03-14T17:45:00Z"


def test_a_visits_clerk_may_read_but_not_record(clock, hold, visits_clerk, client_for):
    person = hold()
    client = client_for(visits_clerk)
    assert _post(client, {"booking": person.booking_number, "outcome": "served"}).status_code == 403
    assert client.get(f"{API}/bookings/{person.booking_number}/meals").status_code == 200


def test_people_held_elsewhere_are_not_found(clock, hold, outsider, client_for):
    person = hold()
    client = client_for(outsider)
    assert _post(client, {"booking": person.booking_number, "outcome": "served"}).status_code == 404
    assert client.get(f"{API}/bookings/{person.booking_number}/meals").status_code == 404


def test_the_limit_is_bounded(clock, hold, officer, client_for):
    response = client_for(officer).get(
        f"{API}/bookings/{hold().booking_number}/meals", {"limit": 0}
    )
    assert response.status_code == 400
