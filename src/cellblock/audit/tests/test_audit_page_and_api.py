"""The audit log page (/audit/) and API (/api/audit/...): who sees what, and the filters."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cellblock.audit.models import AuditEvent, AuditHead, Outcome
from cellblock.audit.services import audit_record, audit_record_read
from cellblock.people.models import PersonIdentifier
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

PAGE = "/audit/"
API = "/api/audit/events"
DAY = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def record(action, *, facility=None, actor=None, object_id="", outcome=Outcome.SUCCESS, at=None):
    with time_machine.travel(at or DAY, tick=False), transaction.atomic():
        return audit_record(
            actor=actor, action=action, facility=facility, object_type="test.thing",
            object_id=object_id, outcome=outcome,
        )  # fmt: skip


def seqs_on_page(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [int(seq) for seq in re.findall(r'data-seq="(\d+)"', response.content.decode())]


def seqs_from_api(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [event["seq"] for event in response.json()]


# --- who may read the log ---------------------------------------------------


@pytest.mark.parametrize("persona", ["auditor", "commander"])
def test_auditors_and_commanders_read_the_page_and_the_api(persona, request, client_for):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    last = AuditHead.objects.get(pk=1).seq

    assert seqs_on_page(client.get(PAGE))[0] == last
    assert seqs_from_api(client.get(API))[0] == last


@pytest.mark.parametrize("persona", ["officer", "supervisor", "admin_user"])
def test_other_roles_are_refused_the_page_and_the_api_with_403(persona, request, client_for):
    client = client_for(request.getfixturevalue(persona))

    page = client.get(PAGE)
    api = client.get(API)

    assert page.status_code == 403
    assert b"audit.read" in page.content
    assert api.status_code == 403
    assert api.json()["code"] == "missing_role"
    assert client.get("/api/audit/head").status_code == 403


def test_a_signed_out_visitor_is_sent_to_sign_in_and_the_api_answers_401(site, client):
    page = client.get(PAGE)

    assert page.status_code == 302
    assert "/accounts/login/" in page["Location"]
    assert client.get(API).status_code == 401


def test_an_auditor_of_another_facility_sees_its_events_and_facility_less_ones_but_not_ours(
    site, other_site, auditor, outsider, client_for
):
    ours = record("test.ours", facility=site.facility)
    theirs = record("test.theirs", facility=other_site.facility)
    login = record("auth.login", actor=outsider)

    for client, visible, hidden in (
        (client_for(outsider), {theirs.seq, login.seq}, ours.seq),
        (client_for(auditor), {ours.seq, login.seq}, theirs.seq),
    ):
        on_page = set(seqs_on_page(client.get(PAGE)))
        from_api = set(seqs_from_api(client.get(API, {"limit": 1000})))
        assert visible <= on_page
        assert visible <= from_api
        assert hidden not in on_page
        assert hidden not in from_api
    api_facilities = {e["facility"] for e in client_for(outsider).get(API).json()}
    assert site.facility.name not in api_facilities


# --- filters ----------------------------------------------------------------


@pytest.fixture
def varied(site, auditor, commander, officer):
    """Events by different actors, on different objects, at different times."""
    f = site.facility
    return {
        "early": record("booking.create", facility=f, actor=commander, object_id="B-1",
                        at=DAY - dt.timedelta(days=2)),
        "denied": record("booking.release", facility=f, actor=officer, object_id="B-1",
                         outcome=Outcome.DENIED, at=DAY - dt.timedelta(days=1)),
        "middle": record("housing.assign", facility=f, actor=officer, object_id="B-2", at=DAY),
        "late": record("booking.create", facility=f, actor=commander, object_id="B-3",
                       at=DAY + dt.timedelta(days=1)),
    }  # fmt: skip


FILTER_CASES = {
    "actor": ({"actor": "OLLY_OFFICER"}, ["middle", "denied"]),
    "object id": ({"object_id": "B-1"}, ["denied", "early"]),
    "action prefix": ({"action": "booking."}, ["late", "denied", "early"]),
    "outcome": ({"outcome": "denied"}, ["denied"]),
    "since and until": (
        {"since": "2025-02-28T00:00:00", "until": "2025-03-02T00:00:00"},
        ["middle", "denied"],
    ),
    "together": ({"actor": "cara_commander", "action": "booking.create"}, ["late", "early"]),
}


def _expected(varied, names):
    return [varied[name].seq for name in names]


@pytest.mark.parametrize(("query", "names"), FILTER_CASES.values(), ids=FILTER_CASES.keys())
def test_the_api_filters_events(query, names, varied, auditor, client_for):
    found = seqs_from_api(client_for(auditor).get(API, query))

    assert found == _expected(varied, names)


@pytest.mark.parametrize(("query", "names"), FILTER_CASES.values(), ids=FILTER_CASES.keys())
def test_the_page_filters_events_and_htmx_gets_only_the_events_fragment(
    query, names, varied, auditor, client_for
):
    client = client_for(auditor)

    full = client.get(PAGE, query)
    fragment = client.get(PAGE, query, headers={"HX-Request": "true"})

    assert seqs_on_page(full) == _expected(varied, names)
    assert seqs_on_page(fragment) == _expected(varied, names)
    html = fragment.content.decode()
    assert html.lstrip().startswith('<div id="events"')
    assert "<html" not in html
    assert 'id="audit-filters"' not in html
    assert 'id="audit-filters"' in full.content.decode()


def test_the_api_reads_a_time_given_with_a_zone_as_that_instant(varied, auditor, client_for):
    found = seqs_from_api(
        client_for(auditor).get(API, {"since": "2025-03-01T09:00:00+09:00", "action": "housing."})
    )

    assert found == [varied["middle"].seq]


def test_the_page_shows_the_oldest_first_on_request_and_keeps_the_filters(
    varied, auditor, client_for
):
    response = client_for(auditor).get(PAGE, {"action": "booking.", "order": "oldest"})

    assert seqs_on_page(response) == _expected(varied, ["early", "denied", "late"])
    assert 'aria-sort="ascending"' in response.content.decode()


def test_an_impossible_date_is_left_out_with_a_warning_instead_of_an_error(
    varied, auditor, client_for
):
    response = client_for(auditor).get(PAGE, {"since": "2025-13-45T00:00", "object_id": "B-1"})

    assert seqs_on_page(response) == _expected(varied, ["denied", "early"])
    assert "Could not read the since time" in response.content.decode()


def test_denied_events_are_marked_in_colour(varied, auditor, client_for):
    html = client_for(auditor).get(PAGE, {"outcome": "denied"}).content.decode()

    assert 'class="row-bad"' in html
    assert "status-bad" in html


def test_the_pager_keeps_the_filters(site, auditor, client_for):
    for _ in range(55):
        record("test.many", facility=site.facility)

    html = client_for(auditor).get(PAGE, {"action": "test.many"}).content.decode()

    assert "Page 1 of 2" in html
    assert "action=test.many&amp;order=newest&amp;page=2" in html


# --- cost -------------------------------------------------------------------


def _queries_for_page(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    return len(queries)


def test_the_page_runs_the_same_queries_for_10_or_60_events(
    site, auditor, client_for, django_assert_max_num_queries
):
    client = client_for(auditor)
    client.get(PAGE)  # the session settles on the first request
    while AuditEvent.objects.count() < 10:
        record("test.few", facility=site.facility)
    with django_assert_max_num_queries(12):
        few = _queries_for_page(client)

    while AuditEvent.objects.count() < 60:
        record("test.many", facility=site.facility)
    many = _queries_for_page(client)

    assert few == many


# --- sensitive reads --------------------------------------------------------


def test_a_sensitive_read_records_the_section_but_never_the_contents(
    site, commander, auditor, client_for
):
    person = person_create(
        actor=commander, facility=site.facility, given_name="Iruka", family_name="Umino",
        identifiers={"passport": "KX-774411"},
    )  # fmt: skip
    identifier = PersonIdentifier.objects.get(person=person)

    event = audit_record_read(
        actor=commander, obj=identifier, facility=site.facility, what="identifiers",
        reason="court request",
    )  # fmt: skip

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.action == "personidentifier.read"
    assert stored.changes == {"section": "identifiers"}
    assert "KX-774411" not in stored.object_label
    assert "KX-774411" not in str(stored.changes)
    api_event = next(e for e in client_for(auditor).get(API).json() if e["seq"] == stored.seq)
    assert "KX-774411" not in str(api_event)
    assert api_event["reason"] == "court request"


def test_a_sensitive_read_without_a_section_records_no_changes(site, commander):
    event = audit_record_read(actor=commander, obj=site.facility, facility=site.facility)

    assert AuditEvent.objects.get(pk=event.pk).changes == {}


# --- head and verify over the API -------------------------------------------


def test_an_auditor_reads_the_signed_head_and_runs_verify_over_the_api(site, auditor, client_for):
    client = client_for(auditor)
    head = AuditHead.objects.get(pk=1)

    got = client.get("/api/audit/head").json()
    verified = client.post("/api/audit/verify").json()

    assert (got["seq"], got["entry_hash"]) == (head.seq, head.entry_hash)
    assert verified == {
        "ok": True, "checked": head.seq, "head_seq": head.seq, "first_bad_seq": None, "problem": ""
    }  # fmt: skip


def test_htmx_restoring_a_page_from_history_gets_the_whole_page(varied, auditor, client_for):
    response = client_for(auditor).get(
        PAGE, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    assert 'id="audit-filters"' in response.content.decode()
    assert "HX-Request" in response["Vary"]
