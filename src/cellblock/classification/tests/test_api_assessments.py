"""The custody instrument through the API: scoring, overrides and who may approve them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking
from cellblock.booking.services import booking_open
from cellblock.classification.instrument import NIC_CUSTODY_V1
from cellblock.classification.models import Assessment
from cellblock.classification.services import NO_SECOND_PERSON, assessment_record
from cellblock.core.roles import Role
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
API = "/api/classification"

# The first answer of every item is worth nothing.
NOTHING = {item["code"]: item["answers"][0]["code"] for item in NIC_CUSTODY_V1["items"]}
# 4 + 3 = 7 points: medium.
VIOLENT = {**NOTHING, "current_offence": "high", "prior_assaultive": "moderate"}
# 7 + 7 = 14 points: maximum.
ESCAPER = {**NOTHING, "institutional_violence": "assault_weapon_or_injury",
           "escape_history": "secure_recent"}  # fmt: skip


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cleo(staff_factory):
    return staff_factory("cleo_classification", Role.CLASSIFICATION)


@pytest.fixture
def booking(site, clock):
    person = person_create(actor=None, facility=None, given_name="Rock", family_name="Lee")
    return booking_open(actor=None, facility=site.facility, person=person, source="arrest")


def _url(booking, tail=""):
    return f"{API}/bookings/{booking.booking_number}/assessments{tail}"


def _assess(client, booking, answers, **payload):
    return client.post(
        _url(booking), {"answers": answers, **payload}, content_type="application/json"
    )


def _decide(client, booking, assessment_id, decision, **payload):
    return client.post(
        _url(booking, f"/{assessment_id}/{decision}"), payload, content_type="application/json"
    )


def _custody_level(booking):
    return Booking.objects.get(pk=booking.pk).custody_level


def _fields(response):
    assert response.status_code == 400, response.content
    return response.json()["extra"]["fields"]


@pytest.mark.parametrize(
    ("answers", "total", "level"),
    [
        (NOTHING, 0, "minimum"),
        (VIOLENT, 7, "medium"),
        (ESCAPER, 14, "maximum"),
        ({**NOTHING, "special_needs": "high_notoriety"}, 0, "special"),
    ],
)
def test_the_default_instrument_scores_answers_into_a_custody_level(
    booking, cleo, client_for, answers, total, level
):
    response = _assess(client_for(cleo), booking, answers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["total"], body["scored_level"], body["level"]) == (total, level, level)
    assert body["status"] == "scored"
    assert body["instrument"] == "nic-custody v1"
    assert body["reason"] == "initial"
    assert sum(body["item_points"].values()) == total
    assert body["assessed_by"] == "cleo_classification"
    assert _custody_level(booking) == level


def test_a_total_of_five_is_still_minimum_and_six_is_medium(booking, cleo, client_for):
    client = client_for(cleo)
    five = {**NOTHING, "institutional_violence": "assault_no_weapon",
            "detainers": "misdemeanour", "prior_felonies": "one"}  # fmt: skip
    assert _assess(client, booking, five).json()["scored_level"] == "minimum"
    six = {**five, "disciplinary": "minor"}
    assert _assess(client, booking, six).json()["scored_level"] == "medium"


def test_a_special_management_answer_is_given_as_the_reason(booking, cleo, client_for):
    answers = {**ESCAPER, "special_needs": "protective_custody"}
    body = _assess(client_for(cleo), booking, answers).json()
    assert body["scored_level"] == "special"
    assert body["special_reasons"] == ["Special management need: Needs protective custody"]


def test_the_scoring_is_audited_with_the_level_it_put_in_force(booking, cleo, client_for):
    body = _assess(client_for(cleo), booking, VIOLENT).json()
    event = AuditEvent.objects.get(action="classification.assess")
    assert event.actor_username == "cleo_classification"
    assert event.object_id == body["id"]
    assert event.changes["custody_level"] == [None, "medium"]
    assert event.changes["total"] == 7


def test_an_unanswered_item_and_an_unknown_answer_are_named(booking, cleo, client_for):
    answers = {**NOTHING, "escape_history": "often"}
    del answers["detainers"]
    fields = _fields(_assess(client_for(cleo), booking, answers))
    assert fields["answers.detainers"] == ["must be answered."]
    assert fields["answers.escape_history"][0].startswith("must be one of none, minimum_old")
    assert not Assessment.objects.exists()


def test_an_override_without_a_reason_names_override_reason(booking, cleo, client_for):
    response = _assess(client_for(cleo), booking, NOTHING, override_level="maximum")
    assert _fields(response) == {"override_reason": ["an override up or down needs a reason."]}
    assert not Assessment.objects.exists()


def test_an_override_to_the_scored_level_is_refused(booking, cleo, client_for):
    response = _assess(
        client_for(cleo), booking, NOTHING, override_level="minimum", override_reason="same"
    )
    assert _fields(response)["override_level"] == [
        "is the scored level (minimum): no override needed."
    ]


def test_an_override_waits_for_approval_and_the_scored_level_holds_meanwhile(
    site, booking, cleo, supervisor, client_for
):
    response = _assess(
        client_for(cleo), booking, NOTHING, override_level="maximum",
        override_reason="threatened staff at intake",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["scored_level"], body["level"]) == (
        "override_pending", "minimum", "minimum",
    )  # fmt: skip
    assert body["override_level"] == "maximum"
    assert _custody_level(booking) == "minimum"
    pending = client_for(supervisor).get(
        f"{API}/overrides/pending", {"facility": str(site.facility.public_id)}
    )
    assert pending.status_code == 200
    [row] = pending.json()
    assert row["id"] == body["id"]
    assert row["booking_number"] == booking.booking_number
    assert row["person"]["family_name"] == "Lee"
    assert (row["override_level"], row["assessed_by"]) == ("maximum", "cleo_classification")


def test_a_supervisor_approves_an_override_and_the_custody_level_changes(
    site, booking, cleo, supervisor, client_for
):
    assessment = _assess(
        client_for(cleo), booking, NOTHING, override_level="maximum", override_reason="threats"
    ).json()
    response = _decide(client_for(supervisor), booking, assessment["id"], "approve", note="agreed")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["level"]) == ("override_approved", "maximum")
    assert (body["decided_by"], body["decision_note"]) == ("sam_supervisor", "agreed")
    assert body["decided_at"].startswith("2026-03-14T12:00")
    assert _custody_level(booking) == "maximum"
    event = AuditEvent.objects.get(action="classification.override_approve")
    assert event.actor_username == "sam_supervisor"
    assert event.changes["custody_level"] == ["minimum", "maximum"]
    # The profile's history shows the score, the override and who approved it.
    [row] = client_for(supervisor).get(_url(booking)).json()
    assert (row["scored_level"], row["override_level"], row["decided_by"]) == (
        "minimum", "maximum", "sam_supervisor",
    )  # fmt: skip
    pending = client_for(supervisor).get(
        f"{API}/overrides/pending", {"facility": str(site.facility.public_id)}
    )
    assert pending.json() == []


def test_the_assessor_cannot_approve_their_own_override(booking, commander, client_for):
    client = client_for(commander)
    assessment = _assess(
        client, booking, NOTHING, override_level="medium", override_reason="gang ties"
    ).json()
    response = _decide(client, booking, assessment["id"], "approve")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "override_needs_second_person"
    assert body["message"] == NO_SECOND_PERSON.format(user="cara_commander")
    assert _custody_level(booking) == "minimum"


def test_an_officer_or_classification_staff_cannot_approve(booking, cleo, officer, client_for):
    assessment = _assess(
        client_for(cleo), booking, NOTHING, override_level="medium", override_reason="gang ties"
    ).json()
    for user in (officer, cleo):
        response = _decide(client_for(user), booking, assessment["id"], "approve")
        assert response.status_code == 403
        assert response.json()["code"] == "missing_role"
    assert Assessment.objects.get().status == "override_pending"


def test_an_officer_cannot_record_an_assessment(booking, officer, client_for):
    assert _assess(client_for(officer), booking, NOTHING).status_code == 403


def test_a_refusal_needs_a_note_and_keeps_the_scored_level(booking, cleo, supervisor, client_for):
    assessment = _assess(
        client_for(cleo), booking, VIOLENT, override_level="minimum", override_reason="model"
    ).json()
    client = client_for(supervisor)
    assert _fields(_decide(client, booking, assessment["id"], "refuse", note=" ")) == {
        "note": ["say why the override is refused."]
    }
    response = _decide(client, booking, assessment["id"], "refuse", note="score stands")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["level"]) == ("override_refused", "medium")
    assert _custody_level(booking) == "medium"
    again = _decide(client, booking, assessment["id"], "approve")
    assert again.status_code == 409
    assert again.json()["code"] == "override_not_pending"


def test_an_override_superseded_by_a_newer_assessment_cannot_be_approved(
    booking, cleo, supervisor, client_for, clock
):
    client = client_for(cleo)
    old = _assess(client, booking, NOTHING, override_level="medium", override_reason="x").json()
    clock.shift(dt.timedelta(hours=1))
    assessment_record(actor=cleo, booking=booking, answers=VIOLENT)
    response = _decide(client_for(supervisor), booking, old["id"], "approve")
    assert response.status_code == 409
    assert response.json()["code"] == "assessment_superseded"


def test_the_history_is_newest_first_and_costs_the_same_however_long(
    booking, cleo, officer, client_for, clock, django_assert_max_num_queries,
    django_assert_num_queries,
):  # fmt: skip
    for answers in (NOTHING, VIOLENT):
        assessment_record(actor=cleo, booking=booking, answers=answers)
        clock.shift(dt.timedelta(days=1))
    client = client_for(officer)
    with django_assert_max_num_queries(8) as short:
        rows = client.get(_url(booking)).json()
    count = len(short.captured_queries)
    assert [row["scored_level"] for row in rows] == ["medium", "minimum"]
    assert [row["reason"] for row in rows] == ["scheduled", "initial"]
    for _ in range(3):
        assessment_record(actor=cleo, booking=booking, answers=ESCAPER)
    with django_assert_num_queries(count):
        assert len(client.get(_url(booking)).json()) == 5


def test_a_missing_assessment_is_not_found_under_another_booking(
    site, booking, cleo, supervisor, client_for
):
    assessment = _assess(
        client_for(cleo), booking, NOTHING, override_level="medium", override_reason="x"
    ).json()
    person = person_create(actor=None, facility=None, given_name="Might", family_name="Guy")
    other = booking_open(actor=None, facility=site.facility, person=person, source="arrest")
    response = _decide(client_for(supervisor), other, assessment["id"], "approve")
    assert response.status_code == 404


def test_the_instrument_in_force_lists_items_points_and_cut_points(booking, officer, client_for):
    response = client_for(officer).get(f"{API}/bookings/{booking.booking_number}/instrument")
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["version"]) == ("nic-custody", 1)
    assert body["cut_points"] == {"minimum": 5, "medium": 11}
    assert body["published_at"] is None  # the shipped default, not yet used
    escape = next(item for item in body["items"] if item["code"] == "escape_history")
    assert [a["points"] for a in escape["answers"]] == [0, 1, 3, 5, 7]
    assert {"item": "special_needs", "answer": "high_notoriety"} in body["special_management"]
    assert body["max_total"] == 7 + 6 + 5 + 7 + 5 + 6 + 3


def test_the_first_assessment_publishes_the_default_and_versions_list_it(
    booking, cleo, officer, client_for
):
    _assess(client_for(cleo), booking, NOTHING)
    response = client_for(officer).get(f"{API}/instruments/nic-custody")
    assert response.status_code == 200
    [version] = response.json()
    assert version["version"] == 1
    assert version["published_at"].startswith("2026-03-14T12:00")
    assert client_for(officer).get(f"{API}/instruments/no-such").status_code == 404


def test_an_outsider_gets_not_found_everywhere(site, booking, cleo, outsider, client_for):
    assessment = _assess(
        client_for(cleo), booking, NOTHING, override_level="medium", override_reason="x"
    ).json()
    client = client_for(outsider)
    assert client.get(_url(booking)).status_code == 404
    assert _assess(client, booking, NOTHING).status_code == 404
    assert _decide(client, booking, assessment["id"], "approve").status_code == 404
    assert _decide(client, booking, assessment["id"], "refuse", note="no").status_code == 404
    assert client.get(f"{API}/bookings/{booking.booking_number}/instrument").status_code == 404
    pending = client.get(f"{API}/overrides/pending", {"facility": str(site.facility.public_id)})
    assert pending.status_code == 404
    assert Assessment.objects.get().status == "override_pending"
