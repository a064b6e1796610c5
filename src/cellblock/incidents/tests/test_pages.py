"""Incident pages: the list (filters, colours), the report form with damage, the follow-up page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.booking.services import booking_open
from cellblock.facilities import services as fs
from cellblock.facilities.models import CellFeature
from cellblock.incidents.models import Incident
from cellblock.incidents.services import incident_report, incident_transition
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _book(site, given="Kakashi", family="Hatake"):
    person = person_create(actor=None, facility=site.facility, given_name=given, family_name=family)
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


def _report(actor, site, **more):
    values = {"kind": "assault", "narrative": "A fight.", "place": "yard"}
    return incident_report(actor=actor, facility=site.facility, **{**values, **more})


def test_the_pages_are_named_as_agreed():
    assert reverse("incidents:list") == "/incidents/"
    assert reverse("incidents:new") == "/incidents/new/"


def test_the_list_filters_by_status_kind_and_date_with_status_colours(
    site, officer, supervisor, client_for, clock
):
    first = _report(officer, site)
    clock.shift(dt.timedelta(days=2))
    _report(officer, site, kind="contraband")
    incident_transition(actor=supervisor, incident=first, to="under_review")
    client = client_for(officer)
    html = client.get("/incidents/").content.decode()
    assert 'data-incident="TST-INC-2026-0001" data-status="under_review"' in html
    assert '<span class="status status-warn">Under review</span>' in html
    assert '<span class="status status-bad">Open</span>' in html
    only = client.get("/incidents/", {"status": "open"}).content.decode()
    assert "TST-INC-2026-0002" in only
    assert "TST-INC-2026-0001" not in only
    by_kind = client.get("/incidents/", {"kind": "assault"}).content.decode()
    assert "TST-INC-2026-0001" in by_kind
    assert "TST-INC-2026-0002" not in by_kind
    by_day = client.get("/incidents/", {"since": "2026-03-16", "until": "2026-03-16"})
    assert "TST-INC-2026-0001" not in by_day.content.decode()
    assert "TST-INC-2026-0002" in by_day.content.decode()


def test_the_list_reads_in_the_same_queries_for_one_or_many(site, officer, client_for):
    client = client_for(officer)
    _report(officer, site, people=[_book(site)])
    client.get("/incidents/")
    from django.db import connection

    with CaptureQueriesContext(connection) as one:
        client.get("/incidents/")
    for n in range(4):
        _report(officer, site, people=[_book(site, given=f"P{n}", family="Held")], staff=[officer])
    with CaptureQueriesContext(connection) as many:
        client.get("/incidents/")
    assert len(many.captured_queries) == len(one.captured_queries)


def test_an_officer_reports_damage_and_the_feature_is_marked_compromised(
    site, officer, commander, client_for, clock
):
    cell = site.cells[0]
    fs.cell_feature_set(actor=None, cell=cell, tag="chakra-suppression")
    kakashi = _book(site)
    clock.shift(dt.timedelta(minutes=30))
    client = client_for(officer)
    form = client.get("/incidents/new/").content.decode()
    assert "Choose the cell first" in form
    assert 'value="forced_entry"' not in form
    options = client.get(reverse("incidents:features"), {"cell": str(cell.public_id)})
    assert "chakra-suppression" in options.content.decode()
    assert "lighting" in options.content.decode()
    response = client.post(
        "/incidents/new/",
        {"kind": "property_damage", "occurred_at": "2026-03-14T12:20", "cell": str(cell.public_id),
         "narrative": "He dented a bar while talking to the Hokage.",
         "people": kakashi.booking_number.lower(), "staff": "cara_commander",
         "damaged_feature": "chakra-suppression"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    incident = Incident.objects.get()
    assert response["Location"] == reverse("incidents:detail", args=[incident.public_id])
    assert incident.occurred_at == NOW + dt.timedelta(minutes=20)
    assert list(incident.people.all()) == [kakashi]
    assert list(incident.staff.all()) == [commander]
    assert CellFeature.objects.get(cell=cell, tag="chakra-suppression").status == "compromised"
    detail = client.get(response["Location"]).content.decode()
    assert (
        "Incident TST-INC-2026-0001 reported: chakra-suppression of A1-1 marked compromised."
        in detail
    )
    assert "chakra-suppression compromised" in detail


def test_the_form_names_what_is_wrong_and_keeps_what_was_typed(site, officer, client_for):
    response = client_for(officer).post(
        "/incidents/new/",
        {"kind": "assault", "narrative": "A fight.", "people": "TST-2026-999999",
         "staff": "nobody", "occurred_at": "yesterday"},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "TST-2026-999999 is not held here." in html
    assert "nobody is not on the staff here." in html
    assert "enter a date and time." in html
    assert "A fight.</textarea>" in html
    assert not Incident.objects.exists()


def test_the_follow_up_page_adds_notes_moves_and_reviews(site, officer, supervisor, client_for):
    incident = _report(officer, site)
    page = reverse("incidents:detail", args=[incident.public_id])
    assert 'data-testid="transition-form"' not in client_for(officer).get(page).content.decode()
    client_for(officer).post(reverse("incidents:note", args=[incident.public_id]), {"text": "Seen"})
    boss = client_for(supervisor)
    no_outcome = boss.post(
        reverse("incidents:transition", args=[incident.public_id]), {"to": "closed"}
    )
    assert no_outcome.status_code == 400
    assert "required to close an incident: write the outcome." in no_outcome.content.decode()
    boss.post(reverse("incidents:review", args=[incident.public_id]), {"note": "ok"})
    boss.post(
        reverse("incidents:transition", args=[incident.public_id]),
        {"to": "closed", "note": "Both warned."},
    )
    html = boss.get(page).content.decode()
    assert '<span class="status status-ok" data-testid="incident-status">Closed</span>' in html
    assert "Both warned." in html
    assert "Seen" in html
    assert "Reopen for review" in html


def test_another_facilitys_incident_is_not_found(site, officer, outsider, client_for):
    incident = _report(officer, site)
    response = client_for(outsider).get(reverse("incidents:detail", args=[incident.public_id]))
    assert response.status_code == 404


def test_an_administrator_sees_no_incidents(site, admin_user, client_for):
    assert client_for(admin_user).get("/incidents/").status_code == 403
