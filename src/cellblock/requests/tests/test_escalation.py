"""Deadlines: a request unanswered past its due time goes up to the commander, once."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from cellblock.audit.models import AuditEvent
from cellblock.conftest import build_facility, make_staff
from cellblock.core import clock as core_clock
from cellblock.core.roles import Role
from cellblock.requests.models import RequestEntry
from cellblock.requests.selectors import inbox, requests_overdue
from cellblock.requests.services import (
    ESCALATED_NOTE,
    grievance_appeal,
    request_respond,
    request_take_up,
    requests_escalate_overdue,
)

from .conftest import NOW

pytestmark = pytest.mark.django_db

FIFTEEN_DAYS = dt.timedelta(days=15)


@pytest.fixture(autouse=True)
def _frozen(clock):
    return clock


def test_nothing_is_escalated_before_the_due_time(file_request, site, clock):
    file_request(addressee_role="medical")
    clock.shift(FIFTEEN_DAYS - dt.timedelta(seconds=1))
    assert requests_escalate_overdue(facility=site.facility, now=core_clock.now()) == []


def test_an_overdue_request_goes_up_to_the_commander_at_its_due_time(
    file_request, site, medic, commander, clock
):
    request = file_request(addressee_role="medical")
    clock.shift(FIFTEEN_DAYS)
    now = core_clock.now()
    assert [r.number for r in requests_overdue(site.facility, now)] == [request.number]

    escalated = requests_escalate_overdue(facility=site.facility, now=now)

    assert [r.pk for r in escalated] == [request.pk]
    request.refresh_from_db()
    assert (request.addressee_role, request.addressee, request.escalated_at) == (
        "commander", None, now,
    )  # fmt: skip
    assert request.status == "open"
    entry = RequestEntry.objects.get(request=request, kind="escalated")
    assert (entry.actor, entry.at, entry.to_role) == (None, now, "commander")
    assert entry.text == ESCALATED_NOTE.format(due="2026-03-29 12:00", zone="UTC")
    event = AuditEvent.objects.get(action="request.escalate")
    assert event.actor is None
    assert event.changes["addressee_role"] == ["medical", "commander"]
    # Now the commander's, no longer the medic's.
    assert [r.pk for r in inbox(commander, site.facility, scope="mine")] == [request.pk]
    assert inbox(medic, site.facility, scope="mine") == []


def test_a_request_is_escalated_once(file_request, site, clock):
    file_request(addressee_role="medical")
    clock.shift(FIFTEEN_DAYS + dt.timedelta(hours=1))
    assert len(requests_escalate_overdue(facility=site.facility, now=core_clock.now())) == 1
    clock.shift(dt.timedelta(days=1))
    assert requests_escalate_overdue(facility=site.facility, now=core_clock.now()) == []
    assert RequestEntry.objects.filter(kind="escalated").count() == 1


def test_a_request_already_with_the_commander_keeps_its_addressee(
    file_request, site, commander, clock
):
    to_role = file_request()
    by_name = file_request(addressee_role="", addressee=commander)
    clock.shift(FIFTEEN_DAYS)
    escalated = requests_escalate_overdue(facility=site.facility, now=core_clock.now())
    assert {r.pk for r in escalated} == {to_role.pk, by_name.pk}
    by_name.refresh_from_db()
    assert (by_name.addressee, by_name.addressee_role) == (commander, "")
    assert by_name.escalated_at == core_clock.now()
    assert RequestEntry.objects.filter(kind="escalated").count() == 2


def test_answered_and_withdrawn_requests_are_not_escalated_but_those_taken_up_are(
    file_request, site, commander, supervisor, clock
):
    answered = file_request()
    request_respond(actor=commander, request=answered, text="Yes.")
    taken_up = file_request(addressee_role="supervisor")
    request_take_up(actor=supervisor, request=taken_up)
    clock.shift(FIFTEEN_DAYS)
    escalated = requests_escalate_overdue(facility=site.facility, now=core_clock.now())
    assert [r.pk for r in escalated] == [taken_up.pk]


def test_only_the_facility_swept_is_escalated(file_request, site, clock):
    other = build_facility("OTH", "Other Jail")
    file_request(addressee_role="medical")
    clock.shift(FIFTEEN_DAYS)
    assert requests_escalate_overdue(facility=other.facility, now=core_clock.now()) == []


def test_an_appeal_starts_a_new_deadline_that_escalates_again(
    file_request, site, officer, supervisor, commander, clock
):
    grievance = file_request(kind="grievance", addressee_role="")
    clock.shift(FIFTEEN_DAYS)
    requests_escalate_overdue(facility=site.facility, now=core_clock.now())
    request_respond(actor=commander, request=grievance, text="Late, but no.")
    appealed = grievance_appeal(actor=officer, request=grievance, text="Appeal.")
    assert appealed.escalated_at is None
    assert appealed.due_at == core_clock.now() + FIFTEEN_DAYS
    clock.shift(FIFTEEN_DAYS)
    assert [
        r.pk for r in requests_escalate_overdue(facility=site.facility, now=core_clock.now())
    ] == [grievance.pk]
    assert list(RequestEntry.objects.filter(kind="escalated").values_list("level", flat=True)) == [
        1,
        2,
    ]


def test_the_command_escalates_at_every_facility_and_says_what_it_did(
    file_request, site, clock, staff_factory
):
    first = file_request(addressee_role="medical")
    second = file_request(addressee_role="visits")
    other = build_facility("OTH", "Other Jail")
    make_staff("oth_commander", other.facility, Role.COMMANDER)
    clock.shift(FIFTEEN_DAYS)
    out, err = StringIO(), StringIO()
    call_command("requests", "escalate", stdout=out, stderr=err)
    assert out.getvalue().splitlines() == [
        f"TST: 2 requests sent up to the commander: {first.number}, {second.number}.",
        "2 overdue requests escalated at 2026-03-29 12:00:00 UTC.",
    ]
    # A plain line per tenth and one at the end, off a terminal.
    assert err.getvalue().splitlines()[-1] == "2/2 facilities checked"
    out = StringIO()
    call_command("requests", "escalate", "--facility", "tst", stdout=out, stderr=StringIO())
    assert out.getvalue().splitlines() == [
        "0 overdue requests escalated at 2026-03-29 12:00:00 UTC."
    ]


def test_the_sweep_time_is_the_one_given(file_request, site):
    request = file_request(addressee_role="medical")
    later = NOW + FIFTEEN_DAYS + dt.timedelta(minutes=5)
    assert [r.pk for r in requests_escalate_overdue(facility=site.facility, now=later)] == [
        request.pk
    ]
    request.refresh_from_db()
    assert request.escalated_at == later
