"""Request pages with personas: inbox, filing, a thread and its actions, kiosk, profile."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.booking.services import booking_open
from cellblock.conftest import build_facility
from cellblock.core.access import endpoints
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.people.services import person_create
from cellblock.requests import views
from cellblock.requests.models import InmateRequest
from cellblock.requests.services import request_respond, request_take_up

from .conftest import KAKASHI_BORN

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen(clock):
    return clock


def _html(response, status=200):
    assert response.status_code == status, response.content[:2000]
    return response.content.decode()


def _rows(html):
    """The request numbers listed, in order."""
    return re.findall(r'data-request="([A-Z0-9-]+)"', html)


def test_every_request_page_and_operation_declares_its_access(admin_user):
    mine = [
        e
        for e in endpoints()
        if e.name.startswith("requests:") or e.route.startswith("api/requests")
    ]
    assert {e.name for e in mine if not e.is_api} == {
        f"requests:{name}"
        for name in (
            "inbox", "new", "people", "kiosk", "detail", "take_up", "note", "respond", "route",
            "close", "withdraw", "appeal",
        )
    }  # fmt: skip
    assert [e for e in mine if not e.declared] == []
    assert all(isinstance(e.permission, Perm) for e in mine)


def test_the_pages_send_strangers_to_sign_in_and_refuse_roles_without_requests(admin_user):
    some = "0b6a8c4e-93a8-4d5e-9a56-5a4c8a0c7d11"
    anonymous, admin = Client(), Client()
    admin.force_login(admin_user)
    for path in ("/requests/", "/requests/new/", "/requests/kiosk/", f"/requests/{some}/"):
        assert anonymous.get(path).status_code == 302
        assert admin.get(path).status_code == 403


def test_the_pages_are_named_as_agreed():
    assert reverse("requests:inbox") == "/requests/"
    assert reverse("requests:new") == "/requests/new/"
    assert reverse("requests:kiosk") == "/requests/kiosk/"
    some = "0b6a8c4e-93a8-4d5e-9a56-5a4c8a0c7d11"
    assert reverse("requests:detail", args=[some]) == f"/requests/{some}/"


# --- Filing and the inbox ---------------------------------------------------------------


def test_an_officer_files_for_kakashi_to_the_commander_who_sees_it_as_hers(
    kakashi, officer, commander, medic, client_for
):
    client = client_for(officer)
    form = _html(client.get("/requests/new/", {"booking": kakashi.booking_number}))
    assert f'<option value="{kakashi.booking_number}" selected>' in form
    assert '<option value="role:commander">Commander</option>' in form
    response = client.post(
        "/requests/new/",
        {
            "booking": kakashi.booking_number, "kind": "request", "category": "speak_to_staff",
            "addressee": "role:commander", "subject": "Asks to speak with the Hokage",
            "text": "I want to speak with Lady Tsunade.",
        },
        follow=True,
    )  # fmt: skip
    html = _html(response)
    request = InmateRequest.objects.get()
    assert response.redirect_chain[-1][0] == f"/requests/{request.public_id}/"
    assert (
        "TST-REQ-2026-0001 filed: addressed to the commander (role), answer due "
        "2026-03-29 12:00 (UTC)."
    ) in html
    assert (request.filed_by, request.filed_via) == (officer, "officer")

    mine = _html(client_for(commander).get("/requests/"))
    assert _rows(mine) == ["TST-REQ-2026-0001"]
    assert "Asks to speak with the Hokage" in mine
    assert _rows(_html(client_for(medic).get("/requests/"))) == []
    assert _rows(_html(client_for(medic).get("/requests/", {"scope": "all"}))) == [
        "TST-REQ-2026-0001"
    ]


def test_the_filing_form_says_what_is_missing(kakashi, officer, client_for):
    html = _html(
        client_for(officer).post("/requests/new/", {"kind": "request", "subject": ""}), 400
    )
    assert "The request was not filed" in html
    assert f"Person {views.CHOOSE_PERSON}" in html
    html = _html(
        client_for(officer).post(
            "/requests/new/",
            {"booking": kakashi.booking_number, "kind": "request", "subject": "", "text": "x"},
        ),
        400,
    )
    assert "Subject is required: say in a few words what it is about." in html
    assert "Addressed to: is required: address the request to a role" in html
    assert InmateRequest.objects.count() == 0


def test_the_filing_form_finds_people_held_here(kakashi, officer, client_for, other_site):
    stranger = person_create(
        actor=None, facility=other_site.facility, given_name="Kakashi", family_name="Elsewhere"
    )
    booking_open(actor=None, facility=other_site.facility, person=stranger, source="arrest")
    html = _html(client_for(officer).get("/requests/new/people/", {"q": "kakashi"}))
    assert f'<option value="{kakashi.booking_number}">Kakashi Hatake' in html
    assert "Elsewhere" not in html
    empty = _html(client_for(officer).get("/requests/new/people/", {"q": "nobody"}))
    assert "No one held here matches “nobody”" in empty


def test_filing_to_a_named_member_of_staff(kakashi, officer, medic, client_for):
    form = _html(client_for(officer).get("/requests/new/"))
    assert '<option value="staff:mo_medic">Mo Medic · medical</option>' in form
    client_for(officer).post(
        "/requests/new/",
        {
            "booking": kakashi.booking_number, "kind": "request", "category": "medical",
            "addressee": "staff:mo_medic", "subject": "Headache", "text": "Since Tuesday.",
        },
    )  # fmt: skip
    assert InmateRequest.objects.get().addressee == medic


def test_the_inbox_filters_by_status_and_kind(file_request, commander, client_for):
    first = file_request()
    grievance = file_request(kind="grievance", addressee_role="commander")
    request_respond(actor=commander, request=first, text="Yes.")
    client = client_for(commander)
    assert _rows(_html(client.get("/requests/"))) == [grievance.number]
    answered = _html(client.get("/requests/", {"status": "answered"}))
    assert _rows(answered) == [first.number]
    assert '<span class="status status-ok">Answered</span>' in answered
    assert _rows(_html(client.get("/requests/", {"status": "any"}))) == [
        first.number, grievance.number,
    ]  # fmt: skip
    assert _rows(_html(client.get("/requests/", {"status": "any", "kind": "request"}))) == [
        first.number
    ]


def test_overdue_requests_are_red_with_due_dates_on_the_facility_clock(
    file_request, site, commander, client_for, clock
):
    Facility.objects.filter(pk=site.facility.pk).update(timezone="Asia/Tokyo")
    on_time = file_request()
    clock.shift(dt.timedelta(days=1))
    late = file_request()
    clock.shift(dt.timedelta(days=14, hours=12))
    html = _html(client_for(commander).get("/requests/"))
    assert f'data-request="{on_time.number}" data-status="open" data-overdue' in html
    assert f'data-request="{late.number}" data-status="open">' in html
    # Filed at 12:00 UTC: due at 21:00 in Tokyo, fifteen days on.
    assert (
        '<td data-sort="2026-03-29T12:00:00+00:00" class="nowrap due-overdue">2026-03-29 21:00'
        in (html)
    )
    assert "1 overdue" in html
    only = _html(client_for(commander).get("/requests/", {"overdue": "on"}))
    assert _rows(only) == [on_time.number]


def test_the_inbox_reads_in_the_same_queries_for_one_or_many(
    file_request, commander, client_for, hold
):
    client = client_for(commander)
    file_request()
    client.get("/requests/")
    with CaptureQueriesContext(connection) as one:
        client.get("/requests/?scope=all")
    for n in range(3):
        file_request(booking=hold(f"Held{n}", given_name="Person"), kind="grievance")
    with CaptureQueriesContext(connection) as many:
        assert len(_rows(_html(client.get("/requests/?scope=all")))) == 4
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_outsider_sees_none_of_it(file_request, outsider, client_for):
    request = file_request()
    client = client_for(outsider)
    assert client.get(f"/requests/{request.public_id}/").status_code == 404
    assert (
        client.post(f"/requests/{request.public_id}/respond/", {"respond-text": "Hi"}).status_code
        == 404
    )
    assert _rows(_html(client.get("/requests/?scope=all"))) == []


# --- One request ------------------------------------------------------------------------


def test_the_commander_answers_from_the_thread(file_request, commander, client_for):
    request = file_request()
    client = client_for(commander)
    page = _html(client.get(f"/requests/{request.public_id}/"))
    assert 'data-testid="respond-form"' in page
    assert 'data-testid="take-up-form"' in page
    assert 'data-testid="route-form"' in page
    assert "I want to speak with Lady Tsunade about my sentence." in page
    response = client.post(
        f"/requests/{request.public_id}/respond/",
        {"respond-text": "Come to my office at noon."},
        follow=True,
    )
    html = _html(response)
    assert "TST-REQ-2026-0001 answered." in html
    assert '<span class="status status-ok" data-testid="request-status">Answered</span>' in html
    assert "Come to my office at noon." in html
    assert 'data-testid="close-form"' in html


def test_the_officer_adds_and_withdraws_but_does_not_answer(file_request, officer, client_for):
    request = file_request()
    client = client_for(officer)
    page = _html(client.get(f"/requests/{request.public_id}/"))
    assert 'data-testid="respond-form"' not in page
    assert 'data-testid="note-form"' in page
    assert 'data-testid="withdraw-form"' in page
    refused = _html(
        client.post(f"/requests/{request.public_id}/respond/", {"respond-text": "Yes."}), 403
    )
    assert "only they, a supervisor or the commander may answer it" in refused
    client.post(f"/requests/{request.public_id}/notes/", {"note-text": "He asked again."})
    withdrawn = _html(
        client.post(
            f"/requests/{request.public_id}/withdraw/",
            {"withdraw-reason": "He spoke with her in the yard."},
            follow=True,
        )
    )
    assert "TST-REQ-2026-0001 withdrawn." in withdrawn
    assert "He asked again." in withdrawn
    assert InmateRequest.objects.get().status == "withdrawn"


def test_a_reason_is_needed_to_withdraw(file_request, officer, client_for):
    request = file_request()
    html = _html(client_for(officer).post(f"/requests/{request.public_id}/withdraw/", {}), 400)
    assert "Reason is required: say why the request is withdrawn." in html


def test_the_auditor_reads_the_thread_but_has_no_actions(file_request, auditor, client_for):
    request = file_request()
    client = client_for(auditor)
    page = _html(client.get(f"/requests/{request.public_id}/"))
    assert 'data-testid="request-actions"' not in page
    assert 'data-testid="note-form"' not in page
    assert client.post(f"/requests/{request.public_id}/take-up/").status_code == 403
    assert (
        client.post(
            f"/requests/{request.public_id}/withdraw/", {"withdraw-reason": "x"}
        ).status_code
        == 403
    )
    assert InmateRequest.objects.get().status == "open"


def test_the_commander_routes_to_medical(file_request, commander, medic, client_for):
    request = file_request()
    client_for(commander).post(
        f"/requests/{request.public_id}/route/", {"route-addressee": "role:medical"}
    )
    request.refresh_from_db()
    assert request.addressee_role == "medical"
    assert _rows(_html(client_for(medic).get("/requests/"))) == [request.number]


def test_a_grievance_is_appealed_from_its_page(file_request, officer, supervisor, client_for):
    grievance = file_request(kind="grievance", addressee_role="")
    request_take_up(actor=supervisor, request=grievance)
    request_respond(actor=supervisor, request=grievance, text="No.")
    client = client_for(officer)
    page = _html(client.get(f"/requests/{grievance.public_id}/"))
    assert "Appeal: appeal to the commander" in page
    html = _html(
        client.post(
            f"/requests/{grievance.public_id}/appeal/", {"appeal-text": "Unfair."}, follow=True
        )
    )
    assert (
        "TST-GRV-2026-0001 appealed: appeal to the commander, addressed to the commander (role), "
        "answer due 2026-03-29 12:00 (UTC)."
    ) in html
    assert "level 2: Appeal to the commander" in html


# --- The kiosk --------------------------------------------------------------------------


def _identify(client, number, born):
    return client.post(
        "/requests/kiosk/", {"step": "identify", "booking_number": number, "date_of_birth": born}
    )


def test_kakashi_files_at_the_kiosk_under_the_officer_on_the_tablet(kakashi, officer, client_for):
    client = client_for(officer)
    page = _html(client.get("/requests/kiosk/"))
    assert "Type your booking number and your date of birth." in page
    # Typed in lower case, without the zeros.
    short = kakashi.booking_number.lower().replace("-00000", "-")
    write = _html(_identify(client, short, KAKASHI_BORN.isoformat()))
    assert "Hello, Kakashi" in write
    assert f'name="booking_number" value="{kakashi.booking_number}"' in write
    response = client.post(
        "/requests/kiosk/",
        {
            "step": "write", "booking_number": kakashi.booking_number,
            "date_of_birth": KAKASHI_BORN.isoformat(), "addressee_role": "commander",
            "kind": "request", "subject": "The Hokage", "text": "I ask to speak with her.",
        },
    )  # fmt: skip
    request = InmateRequest.objects.get()
    assert response.status_code == 302
    assert response.url == f"/requests/kiosk/?filed={request.public_id}"
    assert (request.filed_via, request.filed_by, request.addressee_role) == (
        "kiosk", officer, "commander",
    )  # fmt: skip
    done = _html(client.get(response.url))
    assert "Your request is filed" in done
    assert "TST-REQ-2026-0001" in done
    assert "Sunday 29 March 2026" in done


def test_a_wrong_pair_at_the_kiosk_does_not_say_which_part_is_wrong(
    kakashi, officer, client_for, site
):
    client = client_for(officer)
    wrong_birthday = _html(_identify(client, kakashi.booking_number, "1996-09-16"), 400)
    wrong_number = _html(_identify(client, "TST-2026-000099", KAKASHI_BORN.isoformat()), 400)
    for html in (wrong_birthday, wrong_number):
        assert views.KIOSK_NOT_FOUND in html
        assert "Hello" not in html
        # Nothing typed is shown back to the next person at the tablet.
        assert kakashi.booking_number not in html
    assert views.KIOSK_BOTH_NEEDED in _html(_identify(client, "", ""), 400)


def test_the_kiosk_stops_after_five_wrong_pairs(kakashi, officer, client_for, clock):
    client = client_for(officer)
    for _ in range(views.KIOSK_TRIES):
        _identify(client, kakashi.booking_number, "2000-01-01")
    paused = _html(_identify(client, kakashi.booking_number, KAKASHI_BORN.isoformat()), 400)
    assert views.KIOSK_TOO_MANY in paused
    # The wrong tries expire after the pause.
    clock.shift(views.KIOSK_PAUSE + dt.timedelta(seconds=1))
    assert "Hello, Kakashi" in _html(
        _identify(client, kakashi.booking_number, KAKASHI_BORN.isoformat())
    )


def test_the_kiosk_knows_only_people_held_at_its_facility(officer, client_for):
    elsewhere = build_facility("OTH", "Other Jail")
    person = person_create(
        actor=None, facility=elsewhere.facility, given_name="Sasuke", family_name="Uchiha",
        date_of_birth=dt.date(2010, 7, 23),
    )  # fmt: skip
    booking = booking_open(actor=None, facility=elsewhere.facility, person=person, source="arrest")
    html = _html(_identify(client_for(officer), booking.booking_number, "2010-07-23"), 400)
    assert views.KIOSK_NOT_FOUND in html


def test_the_kiosk_writes_back_what_is_missing(kakashi, officer, client_for):
    response = client_for(officer).post(
        "/requests/kiosk/",
        {
            "step": "write", "booking_number": kakashi.booking_number,
            "date_of_birth": KAKASHI_BORN.isoformat(), "kind": "request", "subject": "",
            "text": "",
        },
    )  # fmt: skip
    html = _html(response, 400)
    assert "Hello, Kakashi" in html
    assert "Subject is required" in html
    assert "Who should answer: is required" in html


# --- The profile ------------------------------------------------------------------------


def test_the_profile_lists_open_requests_with_due_dates_and_an_overdue_badge(
    file_request, kakashi, officer, commander, client_for, clock
):
    answered = file_request(subject="Books")
    request_respond(actor=commander, request=answered, text="Yes.")
    waiting = file_request(subject="The Hokage")
    html = _html(client_for(officer).get(f"/bookings/{kakashi.booking_number}/"))
    assert 'data-testid="profile-requests"' in html
    assert f'data-request="{waiting.number}"' in html
    assert f'data-request="{answered.number}"' in html
    assert "2026-03-29 12:00" in html
    assert 'data-testid="request-overdue"' not in html
    assert f"/requests/new/?booking={kakashi.booking_number}" in html
    clock.shift(dt.timedelta(days=15))
    html = _html(client_for(officer).get(f"/bookings/{kakashi.booking_number}/"))
    assert 'data-testid="request-overdue"' in html


def test_the_profile_says_when_there_is_no_request(kakashi, auditor, client_for):
    html = _html(client_for(auditor).get(f"/bookings/{kakashi.booking_number}/"))
    assert "No open request from Kakashi Hatake." in html
    assert "/requests/new/?booking=" not in html
