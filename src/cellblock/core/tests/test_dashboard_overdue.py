"""The dashboard's "Intake overdue" panel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.booking import checklist
from cellblock.booking.services import booking_identity_confirm, booking_open
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

DASHBOARD = "/"
BOOKED = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
# intake_completion_hours is 8 by default: nine hours on, the intake steps are late.
LATER = BOOKED + dt.timedelta(hours=9)


def book(facility, given="Naruto", family="Uzumaki"):
    person = person_create(actor=None, facility=facility, given_name=given, family_name=family)
    return booking_open(actor=None, facility=facility, person=person, source="arrest")


def panel(html: str) -> str:
    start = html.index('data-testid="intake-overdue"')
    return html[start : html.index("</section>", start)]


def test_a_booking_whose_identity_step_is_overdue_is_listed(
    site, officer, client_for, time_machine
):
    time_machine.move_to(BOOKED, tick=False)
    booking = book(site.facility)
    time_machine.move_to(LATER, tick=False)
    response = client_for(officer).get(DASHBOARD)
    assert response.status_code == 200
    html = panel(response.content.decode())
    assert "Intake overdue" in html
    assert "Naruto Uzumaki" in html
    assert reverse("booking:profile", args=[booking.booking_number]) in html
    identity = html[html.index('data-step="identity"') :].split("</li>")[0]
    assert "Identity confirmed" in identity
    assert "overdue by 1\xa0hour" in identity


def test_a_late_receiving_screening_is_listed_with_the_other_late_steps(
    site, officer, client_for, time_machine
):
    time_machine.move_to(BOOKED, tick=False)
    book(site.facility)
    time_machine.move_to(LATER, tick=False)
    html = panel(client_for(officer).get(DASHBOARD).content.decode())
    screening = html[html.index('data-step="medical_screening"') :].split("</li>")[0]
    assert "Medical receiving screening" in screening
    assert "overdue by 1\xa0hour" in screening


def test_steps_of_modules_not_installed_are_never_listed(
    site, officer, client_for, time_machine, monkeypatch
):
    # As if the medical module were not installed: nobody could record the screening.
    recorded = checklist.recorded_steps() - {"medical_screening"}
    monkeypatch.setattr(checklist, "recorded_steps", lambda: recorded)
    time_machine.move_to(BOOKED, tick=False)
    book(site.facility)
    # Days later every deadline has passed, but the screening is still not listed.
    time_machine.move_to(BOOKED + dt.timedelta(days=5), tick=False)
    html = panel(client_for(officer).get(DASHBOARD).content.decode())
    assert "Identity confirmed" in html
    assert "medical_screening" not in html
    assert "Medical receiving screening" not in html


def test_a_completed_step_is_not_overdue(site, booking_clerk, officer, client_for, time_machine):
    time_machine.move_to(BOOKED, tick=False)
    booking = book(site.facility)
    booking_identity_confirm(actor=booking_clerk, booking=booking, method="passport")
    time_machine.move_to(LATER, tick=False)
    html = panel(client_for(officer).get(DASHBOARD).content.decode())
    assert 'data-step="identity"' not in html
    assert 'data-step="charges"' in html


def test_nothing_overdue_says_so(site, officer, client_for, time_machine):
    time_machine.move_to(BOOKED, tick=False)
    book(site.facility)
    time_machine.move_to(BOOKED + dt.timedelta(hours=2), tick=False)
    html = panel(client_for(officer).get(DASHBOARD).content.decode())
    assert "No intake step is overdue." in html


def test_another_facility_s_late_intake_is_not_ours(
    site, other_site, officer, client_for, time_machine
):
    time_machine.move_to(BOOKED, tick=False)
    book(other_site.facility, "Gaara", "Sabaku")
    time_machine.move_to(LATER, tick=False)
    html = panel(client_for(officer).get(DASHBOARD).content.decode())
    assert "Gaara" not in html
    assert "No intake step is overdue." in html


def test_staff_without_booking_view_see_no_panel_and_the_cards_stay(
    site, admin_user, client_for, time_machine
):
    time_machine.move_to(BOOKED, tick=False)
    book(site.facility)
    time_machine.move_to(LATER, tick=False)
    html = client_for(admin_user).get(DASHBOARD).content.decode()
    assert 'data-testid="intake-overdue"' not in html
    assert "Uzumaki" not in html
    assert 'data-testid="occupied"' in html


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_query_count_does_not_grow_with_late_bookings(
    site, officer, client_for, time_machine, django_assert_num_queries
):
    client = client_for(officer)
    time_machine.move_to(BOOKED, tick=False)
    book(site.facility)
    time_machine.move_to(LATER, tick=False)
    client.get(DASHBOARD)  # the first request after sign-in does one-off writes
    one = _queries(client)
    time_machine.move_to(BOOKED, tick=False)
    for n in range(6):
        book(site.facility, f"Genin{n}", "Leaf")
    time_machine.move_to(LATER, tick=False)
    with django_assert_num_queries(one):
        html = client.get(DASHBOARD).content.decode()
    assert panel(html).count("Identity confirmed") == 7
