"""PREA screening through the API: the flags it gives, and who may read the answers."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.booking.services import booking_open
from cellblock.classification.models import Flag, PreaScreening
from cellblock.classification.prea import ABUSER_CRITERIA, VICTIM_CRITERIA
from cellblock.core.roles import Role
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
API = "/api/classification"

NO_RISK = {code: False for code in [*VICTIM_CRITERIA, *ABUSER_CRITERIA]}
# A single decisive criterion is a high victim risk.
VICTIM = {**NO_RISK, "prior_victimisation": True}
# Two abuser criteria are a high abuser risk.
ABUSER = {**NO_RISK, "prior_violent_convictions": True, "institutional_violence": True}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cleo(staff_factory):
    return staff_factory("cleo_classification", Role.CLASSIFICATION)


@pytest.fixture
def booking(site, clock):
    person = person_create(actor=None, facility=None, given_name="Hinata", family_name="Hyuga")
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


def _url(booking):
    return f"{API}/bookings/{booking.booking_number}/prea"


def _screen(client, booking, answers, **payload):
    return client.post(
        _url(booking), {"answers": answers, **payload}, content_type="application/json"
    )


def _active_flags(booking):
    return sorted(
        (flag.kind, flag.origin)
        for flag in Flag.objects.filter(booking=booking, lifted_at__isnull=True)
    )


def test_a_medic_screens_and_gets_only_the_result_back(booking, medic, client_for):
    response = _screen(client_for(medic), booking, VICTIM, notes="disclosed at intake")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "initial"
    assert (body["victim_score"], body["victim_risk"]) == (1, True)
    assert (body["abuser_score"], body["abuser_risk"]) == (0, False)
    assert body["screened_by"] == "mo_medic"
    assert "answers" not in body
    assert "notes" not in body


def test_a_high_risk_sets_its_flag_from_the_screening(booking, cleo, officer, client_for):
    _screen(client_for(cleo), booking, ABUSER)
    assert _active_flags(booking) == [("prea_abuser", "prea_screening")]
    flags = client_for(officer).get(f"{API}/bookings/{booking.booking_number}/flags").json()
    assert [(f["kind"], f["origin"], f["set_by"]) for f in flags] == [
        ("prea_abuser", "prea_screening", "cleo_classification")
    ]


def test_a_later_screening_without_the_risk_lifts_the_flag(booking, cleo, client_for):
    client = client_for(cleo)
    _screen(client, booking, VICTIM)
    second = _screen(client, booking, NO_RISK).json()
    assert second["kind"] == "reassessment"
    assert _active_flags(booking) == []
    lifted = Flag.objects.get(kind="prea_victim")
    assert lifted.lift_reason.startswith("PREA screening (Reassessment (30 days))")


def test_the_screening_is_audited_without_its_answers(booking, cleo, client_for):
    body = _screen(client_for(cleo), booking, VICTIM).json()
    event = AuditEvent.objects.get(action="prea.screen")
    assert (event.actor_username, event.object_id) == ("cleo_classification", body["id"])
    assert event.changes == {"booking": booking.booking_number, "kind": "initial",
                             "victim_risk": True, "abuser_risk": False}  # fmt: skip
    assert "prior_victimisation" not in str(event.changes)


@pytest.mark.parametrize("reader", ["cleo", "auditor"])
def test_classification_and_the_auditor_read_the_answers_and_the_read_is_audited(
    booking, cleo, auditor, client_for, reader
):
    _screen(client_for(cleo), booking, VICTIM, notes="disclosed at intake")
    user = {"cleo": cleo, "auditor": auditor}[reader]
    response = client_for(user).get(_url(booking))
    assert response.status_code == 200, response.content
    [screening] = response.json()
    assert screening["answers"] == VICTIM
    assert screening["notes"] == "disclosed at intake"
    assert screening["victim_risk"] is True
    read = AuditEvent.objects.get(action="booking.read")
    assert read.actor_username == user.username
    assert read.object_id == str(booking.public_id)
    assert read.changes == {"section": "prea_screening"}
    assert read.object_label == f"PREA screenings of {booking.booking_number}"


def test_an_officer_may_neither_screen_nor_read_the_answers(booking, cleo, officer, client_for):
    _screen(client_for(cleo), booking, VICTIM)
    client = client_for(officer)
    assert client.get(_url(booking)).status_code == 403
    assert _screen(client, booking, NO_RISK).status_code == 403
    assert not AuditEvent.objects.filter(action="booking.read").exists()
    assert PreaScreening.objects.count() == 1


def test_every_criterion_must_be_answered_and_no_other(booking, cleo, client_for):
    answers = {**NO_RISK, "favourite_colour": True}
    del answers["disability"]
    response = _screen(client_for(cleo), booking, answers)
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {
        "answers.disability": ["must be answered yes (true) or no (false)."],
        "answers.favourite_colour": ["is not a PREA screening criterion."],
    }
    assert not PreaScreening.objects.exists()


def test_an_answer_other_than_yes_or_no_is_named(booking, cleo, client_for):
    response = _screen(client_for(cleo), booking, {**NO_RISK, "age": "yes", "disability": 0})
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"answers.age", "answers.disability"}
    assert not PreaScreening.objects.exists()


def test_an_unknown_kind_is_named(booking, cleo, client_for):
    response = _screen(client_for(cleo), booking, NO_RISK, kind="yearly")
    assert response.status_code == 400
    assert "kind" in response.json()["extra"]["fields"]


def test_prea_flags_are_neither_set_nor_lifted_by_hand(booking, cleo, client_for):
    client = client_for(cleo)
    refused = client.post(
        f"{API}/bookings/{booking.booking_number}/flags",
        {"kind": "prea_victim", "reason": "looks vulnerable"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["extra"]["fields"] == {
        "kind": ["is set by PREA screening: record a screening instead."]
    }
    _screen(client, booking, VICTIM)
    flag = Flag.objects.get(kind="prea_victim")
    lift = client.post(
        f"{API}/bookings/{booking.booking_number}/flags/{flag.public_id}/lift",
        {"reason": "seems fine"},
        content_type="application/json",
    )
    assert lift.status_code == 409
    assert lift.json()["code"] == "flag_derived"


def test_an_outsider_gets_not_found(booking, cleo, outsider, client_for):
    _screen(client_for(cleo), booking, VICTIM)
    client = client_for(outsider)
    assert client.get(_url(booking)).status_code == 404
    assert _screen(client, booking, NO_RISK).status_code == 404
    assert not AuditEvent.objects.filter(action="booking.read").exists()
