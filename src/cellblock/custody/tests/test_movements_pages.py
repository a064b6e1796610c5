"""The movements page: who is out (overdue in red), taking someone out, "Returned"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.core.roles import Role
from cellblock.custody.models import Movement
from cellblock.custody.services.counts import count_start
from cellblock.custody.services.movements import movement_start
from cellblock.custody.views import movements as views
from cellblock.facilities.services import cell_create, unit_create

from .conftest import NOW

pytestmark = pytest.mark.django_db

PAGE = "/custody/movements/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def queries(client, path, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **headers)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def kakashi(clock, hold):
    return hold("Hatake")


@pytest.fixture
def hiroki(staff_factory):
    return staff_factory("hiroki", Role.OFFICER)


def _send(client, booking, **more):
    data = {"booking": booking.booking_number, "destination": "court",
            "destination_detail": "Village hall", "escort": "hiroki",
            "expected_return_at": "2026-03-14T14:00", "reason": "Hearing"}  # fmt: skip
    return client.post(reverse("custody:movement_start"), {**data, **more})


def test_the_page_has_its_url_name():
    assert reverse("custody:movements") == PAGE


def test_an_officer_sends_someone_to_court_from_the_form(kakashi, hiroki, officer, client_for):
    client = client_for(officer)

    response = _send(client, kakashi)

    assert response.status_code == 302
    movement = Movement.objects.get()
    assert (movement.destination, movement.escort, movement.recorded_by) == (
        "court", hiroki, officer,
    )  # fmt: skip
    assert movement.expected_return_at == dt.datetime(2026, 3, 14, 14, 0, tzinfo=dt.UTC)
    page = text(client.get(PAGE))
    assert "Kakashi Hatake is out: Court." in page
    assert re.search(
        r"Kakashi Hatake \S+ A1 / A1-1 Court Village hall 12:00 0 min out 14:00 hiroki", page
    )


def test_the_person_field_offers_people_as_one_types(kakashi, officer, client_for):
    response = client_for(officer).get(
        reverse("custody:movement_people"), {"booking": "hatak"}, **HTMX
    )

    assert response.status_code == 200
    assert f'<option value="{kakashi.booking_number}">' in response.content.decode()


def test_a_form_with_problems_comes_back_with_them_beside_the_fields(kakashi, officer, client_for):
    client = client_for(officer)

    response = client.post(
        reverse("custody:movement_start"),
        {"booking": "NOPE-1", "destination": "", "expected_return_at": "tomorrow"},
    )

    assert response.status_code == 400
    page = text(response)
    assert "Person " + views.NOT_HELD_HERE in page
    assert "Destination " + views.CHOOSE_DESTINATION in page
    assert "Expected return " + views.BAD_TIME in page
    assert not Movement.objects.exists()


def test_a_service_refusal_names_the_field(kakashi, officer, client_for):
    response = _send(client_for(officer), kakashi, escort="", expected_return_at="2026-03-14T11:00")

    assert response.status_code == 400
    assert "Expected return must be after the person leaves" in text(response)


def test_during_a_count_the_form_asks_for_an_emergency_and_refuses_without_one(
    site, kakashi, hiroki, supervisor, officer, client_for
):
    count_start(actor=supervisor, facility=site.facility, method="head")
    client = client_for(officer)
    assert 'data-testid="count-warning"' in client.get(PAGE).content.decode()

    refused = _send(client, kakashi)
    done = _send(client, kakashi, emergency_reason="Judge orders him now")

    assert refused.status_code == 409
    assert "A formal count is in progress" in text(refused)
    assert done.status_code == 302
    assert Movement.objects.get().emergency_reason == "Judge orders him now"


def test_overdue_returns_are_shown_in_red(kakashi, hiroki, officer, client_for, clock):
    movement_start(
        actor=officer, booking=kakashi, destination="court",
        expected_return_at=NOW + dt.timedelta(hours=1),
    )  # fmt: skip
    clock.move_to(NOW + dt.timedelta(hours=1, minutes=15))

    page = client_for(officer).get(PAGE).content.decode()

    assert 'class="row-bad"' in page
    assert 'data-overdue="yes"' in page
    assert "Overdue since 13:15" in page
    assert 'data-testid="overdue-count">1 overdue' in page


def test_returned_takes_the_person_off_the_list(kakashi, officer, client_for, clock):
    movement = movement_start(actor=officer, booking=kakashi, destination="exercise_yard")
    clock.shift(dt.timedelta(minutes=20))
    client = client_for(officer)

    response = client.post(reverse("custody:movement_return", args=[movement.public_id]), **HTMX)

    assert response.status_code == 200
    body = text(response)
    assert "Kakashi Hatake is back from Exercise yard." in body
    assert "Everyone is in their cell." in body
    assert Movement.objects.get().returned_at == NOW + dt.timedelta(minutes=20)


def test_a_second_return_is_refused_on_the_list(kakashi, officer, client_for):
    movement = movement_start(actor=officer, booking=kakashi, destination="exercise_yard")
    client = client_for(officer)
    url = reverse("custody:movement_return", args=[movement.public_id])
    client.post(url, **HTMX)

    again = client.post(url, **HTMX)

    assert again.status_code == 200
    assert 'data-testid="return-error"' in again.content.decode()


def test_readers_see_the_list_without_the_forms(kakashi, officer, auditor, client_for):
    movement_start(actor=officer, booking=kakashi, destination="exercise_yard")

    page = client_for(auditor).get(PAGE).content.decode()

    assert 'data-testid="out-row"' in page
    assert 'data-testid="send-out"' not in page
    assert 'data-testid="return-form"' not in page


def test_an_outsider_cannot_return_someone_here(kakashi, officer, outsider, client_for):
    movement = movement_start(actor=officer, booking=kakashi, destination="exercise_yard")

    response = client_for(outsider).post(
        reverse("custody:movement_return", args=[movement.public_id])
    )

    assert response.status_code == 404


def test_the_page_costs_the_same_queries_however_many_are_out(kakashi, officer, client_for, hold):
    movement_start(actor=officer, booking=kakashi, destination="exercise_yard")
    client = client_for(officer)
    few = queries(client, PAGE)
    few_open = queries(client, reverse("custody:movements_open"), **HTMX)
    for n in range(3):
        movement_start(actor=officer, booking=hold(f"More{n}"), destination="medical")

    assert queries(client, PAGE) == few
    assert queries(client, reverse("custody:movements_open"), **HTMX) == few_open


def test_a_large_list_shows_the_overdue_first_and_a_unit_shows_all_its_people(
    site, kakashi, officer, client_for, clock, hold, monkeypatch
):
    monkeypatch.setattr(views, "OPEN_SHOWN", 2)
    a2 = unit_create(actor=None, zone=site.zone, code="A2", name="Unit A2")
    cell = cell_create(actor=None, unit=a2, code="A2-1", beds=2)
    movement_start(actor=officer, booking=kakashi, destination="exercise_yard")
    clock.shift(dt.timedelta(minutes=5))
    late = hold("Late", bed=cell.beds.get(code="B1"))
    movement_start(
        actor=officer, booking=late, destination="medical",
        expected_return_at=NOW + dt.timedelta(minutes=10),
    )  # fmt: skip
    clock.shift(dt.timedelta(minutes=5))
    movement_start(actor=officer, booking=hold("Third"), destination="visit_room")
    clock.move_to(NOW + dt.timedelta(minutes=30))
    client = client_for(officer)

    everyone = client.get(PAGE).content.decode()
    only_a2 = client.get(PAGE, {"unit": "A2"}).content.decode()

    rows = re.findall(r'data-booking="([^"]+)" data-overdue="(yes|no)"', everyone)
    assert rows == [(late.booking_number, "yes"), (kakashi.booking_number, "no")]
    assert 'data-testid="shown-part"' in everyone
    assert 'data-testid="out-count">3<' in everyone
    assert re.findall(r'data-booking="([^"]+)" data-overdue', only_a2) == [late.booking_number]
    assert 'data-testid="shown-part"' not in only_a2
