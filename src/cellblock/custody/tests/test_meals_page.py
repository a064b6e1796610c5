"""The meals page: the unit's people with diet notes, one tap per outcome, outside food."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.classification.models import FlagKind
from cellblock.classification.services import flag_set
from cellblock.custody.models import MealRecord
from cellblock.custody.services.meals import meal_record
from cellblock.custody.views.meals import meals_profile_context

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def sasuke(hold, commander):
    booking = hold("Uchiha", given_name="Sasuke")
    flag_set(actor=commander, booking=booking, kind=FlagKind.DIET, detail="no sweets",
             reason="will not eat sweets")  # fmt: skip
    return booking


def _meal(site):
    """The form's hidden fields: lunch of NOW's day in the unit."""
    return {"unit": str(site.unit.public_id), "date": "2026-03-14", "meal": "1"}


def _tap(client, site, booking, outcome, **more):
    data = {
        "booking": booking.booking_number,
        "outcome": outcome,
        **_meal(site),
        **more,
    }
    return client.post(reverse("custody:meals_record"), data, **HTMX)


def test_the_sheet_opens_on_the_current_meal_with_diet_notes(
    clock, site, sasuke, officer, client_for
):
    html = client_for(officer).get(reverse("custody:meals")).content.decode()
    assert "Lunch (12:00) of Saturday 14 March 2026 (now)" in html
    assert "Sasuke Uchiha" in html
    assert "Diet: no sweets" in html
    assert 'data-testid="meal-buttons"' in html


def test_one_tap_records_the_outcome_and_swaps_the_row(clock, site, sasuke, officer, client_for):
    response = _tap(client_for(officer), site, sasuke, "missed")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="meal-{sasuke.booking_number}"')
    assert 'data-outcome="missed"' in html
    assert "1 in a row without food since" in html
    record = MealRecord.objects.get()
    assert (record.meal_date, record.meal, record.outcome) == (dt.date(2026, 3, 14), 1, "missed")


def test_a_second_tap_shows_what_is_on_file(clock, site, sasuke, officer, client_for):
    meal_record(actor=officer, booking=sasuke, outcome="refused")
    html = _tap(client_for(officer), site, sasuke, "served").content.decode()
    assert "already recorded for Sasuke Uchiha: refused." in html
    assert MealRecord.objects.get().outcome == "refused"


def test_outside_food_is_recorded_from_its_form(clock, site, sasuke, medic, client_for):
    client = client_for(medic)
    response = client.post(
        reverse("custody:meals_record"),
        {"booking": sasuke.booking_number, "outcome": "outside_food", **_meal(site),
         "brought_by": "Sakura Haruno", "item": "tomato soup"},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Sasuke Uchiha: Lunch (12:00) of 2026-03-14 recorded as outside food." in page
    assert "tomato soup from Sakura Haruno" in page


def test_outside_food_without_what_shows_the_form_again(clock, site, sasuke, officer, client_for):
    response = client_for(officer).post(
        reverse("custody:meals_record"),
        {"booking": sasuke.booking_number, "outcome": "outside_food", **_meal(site),
         "brought_by": "Sakura Haruno"},
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 400
    assert "What: say what it was for outside food." in html
    assert 'value="Sakura Haruno"' in html
    assert not MealRecord.objects.exists()


def test_another_meal_can_be_chosen(clock, site, sasuke, officer, client_for):
    clock.shift(dt.timedelta(hours=8))
    html = (
        client_for(officer)
        .get(
            reverse("custody:meals"),
            {"unit": site.unit.public_id, "date": "2026-03-14", "meal": "1"},
        )
        .content.decode()
    )
    assert "Lunch (12:00) of Saturday 14 March 2026" in html
    assert "(now)" not in html.split("<h1>")[1].split("</div>")[0]


def test_a_visits_clerk_sees_the_sheet_without_buttons(
    clock, site, sasuke, visits_clerk, client_for
):
    client = client_for(visits_clerk)
    html = client.get(reverse("custody:meals")).content.decode()
    assert "Sasuke Uchiha" in html
    assert 'data-testid="meal-buttons"' not in html
    assert _tap(client, site, sasuke, "served").status_code == 403


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_sheet_costs_the_same_queries_for_one_or_many(
    clock, site, sasuke, hold, officer, client_for
):
    meal_record(actor=officer, booking=sasuke, outcome="refused")
    client = client_for(officer)
    url = reverse("custody:meals")
    _count(client, url)
    few = _count(client, url)
    for n in range(3):
        meal_record(actor=officer, booking=hold(f"P{n}"), outcome="refused")
    assert _count(client, url) == few


def test_the_profile_section_lists_recent_meals_and_the_run_without_food(
    clock, rf, sasuke, officer
):
    meal_record(actor=officer, booking=sasuke, outcome="refused", note="turned to the wall")
    data = meals_profile_context(rf.get("/"), sasuke)
    html = render_to_string("custody/meals/profile_section.html", {"data": data, "tz": "UTC"})
    assert "Diet: no sweets" in html
    assert "1 meal in a row refused or missed, since 2026-03-14 12:00." in html
    assert "Sat 14 Mar · Lunch (12:00)" in html
    assert "turned to the wall" in html
