"""The court API with personas: cases, the verdict that remands, hearings, sentences, holds.

Errors answer ``{"message", "code", "extra"}``; another facility's records are
404; list endpoints cost the same queries for one row or many.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking, IntakeStepCode
from cellblock.classification.models import ProtectiveOrder
from cellblock.court.models import Case, Hearing, Sentence
from cellblock.court.tests.court_support import DOCKET, NOW, error_of, events
from cellblock.custody.models import Movement

pytestmark = pytest.mark.django_db

API = "/api/court"
AT_TWO = NOW.replace(hour=14)


def post(client, path, payload=None):
    return client.post(path, payload or {}, content_type="application/json")


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return response.json()


@pytest.fixture
def clerk(client_for, court_clerk):
    return client_for(court_clerk)


def _case_payload(site, court, **more):
    payload = {
        "facility": str(site.facility.public_id), "court": str(court.court.public_id),
        "docket_number": DOCKET,
        "person": {"given_name": "Kakashi", "family_name": "Hatake",
                   "date_of_birth": "1996-09-15", "sex": "male"},
        "presiding_authority": "Tsunade, Fifth Hokage",
        "charges": [
            {"statute": "KPC 311", "description": "Offence against a minor", "severity": "felony"},
            {"statute": "KPC 240", "description": "Assault", "severity": "misdemeanour"},
        ],
        "parties": [{"person": {"given_name": "Sakura", "family_name": "Haruno",
                                "date_of_birth": "2010-03-28", "sex": "female"},
                     "role": "protected_party"}],
    }  # fmt: skip
    return {**payload, **more}


def _open(clerk, site, court, **more):
    return ok(post(clerk, f"{API}/cases", _case_payload(site, court, **more)), 201)


# --- Case file 1, steps 1 and 2 -------------------------------------------------------------


def test_the_verdict_remands_kakashi_orders_no_contact_and_the_escort_takes_him_down(
    clock, site, court, clerk, client_for, officer, court_clerk
):
    case = _open(clerk, site, court)
    assert [c["count"] for c in case["charges"]] == [1, 2]
    assert case["parties"][0]["role"] == "protected_party"
    decision = ok(
        post(clerk, f"{API}/cases/{case['id']}/verdicts", {
            "verdicts": [{"count": 1, "verdict": "guilty"}, {"count": 2, "verdict": "guilty"}],
            "sentences": [{"count": 1, "term": {"years": 2}},
                          {"count": 2, "term": {"months": 6}, "relation": "consecutive",
                           "consecutive_to_count": 1}],
            "remand": {"escort": officer.username},
            "no_contact": True,
        }),
        201,
    )  # fmt: skip
    number = decision["booking_number"]
    assert decision["remanded"] is True
    assert decision["case"]["status"] == "disposed"
    first, second = decision["sentences"]
    assert second["consecutive_to"] == first["id"]
    assert first["time_served_days"] == 0
    (order,) = decision["orders"]
    assert order["protected_person"]["given_name"] == "Sakura"
    assert (order["scope"], order["reference"]) == ("all_contact", DOCKET)

    booking = Booking.objects.get(booking_number=number)
    assert (booking.source, booking.status, booking.legal_status) == (
        "court_remand", "in_custody", "sentenced",
    )  # fmt: skip
    done = set(
        booking.intake_steps.filter(completed_at__isnull=False).values_list("step", flat=True)
    )
    assert done == {IntakeStepCode.IDENTITY, IntakeStepCode.CHARGES}
    # In the courtroom until the escort takes him to the cells.
    movement = Movement.objects.get(public_id=decision["movement"])
    assert (movement.destination, movement.returned_at) == ("court", None)
    escort = client_for(officer)
    back = ok(post(escort, f"/api/custody/movements/{movement.public_id}/return"))
    assert back["returned_at"] is not None

    record = ok(clerk.get(f"{API}/bookings/{number}/court"))
    assert record["legal_status"] == "sentenced"
    assert [s["count"] for s in record["active_sentences"]] == [1, 2]
    assert record["cases"][0]["docket_number"] == DOCKET
    # Every step in the audit chain with its actor.
    actors = {
        action: {e.actor for e in events(action)}
        for action in ("case.open", "case.verdict", "booking.open", "sentence.impose",
                       "protective_order.create", "movement.start", "movement.return")
    }  # fmt: skip
    assert actors == {
        "case.open": {court_clerk}, "case.verdict": {court_clerk}, "booking.open": {court_clerk},
        "sentence.impose": {court_clerk}, "protective_order.create": {court_clerk},
        "movement.start": {officer}, "movement.return": {officer},
    }  # fmt: skip


def test_a_person_already_held_answers_409_and_nothing_changes(
    clock, held, site, court, clerk, officer
):
    booking = held()
    case = _open(clerk, site, court, person=None, person_id=str(booking.person.public_id))
    refused = error_of(
        post(clerk, f"{API}/cases/{case['id']}/verdicts", {
            "verdicts": [{"count": 1, "verdict": "guilty"}],
            "remand": {"escort": officer.username},
        }),
        409,
    )  # fmt: skip
    assert refused["code"] == "already_in_custody"
    assert refused["extra"] == {"booking_number": booking.booking_number}
    assert not AuditEvent.objects.filter(action="case.verdict").exists()


def test_a_not_guilty_verdict_opens_no_booking(clock, site, court, clerk):
    case = _open(clerk, site, court)
    decision = ok(
        post(clerk, f"{API}/cases/{case['id']}/verdicts", {
            "verdicts": [{"count": 1, "verdict": "not_guilty"},
                         {"count": 2, "verdict": "dismissed", "note": "No evidence."}],
        }),
        201,
    )  # fmt: skip
    assert (decision["booking_number"], decision["remanded"], decision["movement"]) == (
        None, False, None,
    )  # fmt: skip
    assert [c["verdict"] for c in decision["case"]["charges"]] == ["not_guilty", "dismissed"]
    assert not Booking.objects.exists()
    refused = error_of(
        post(clerk, f"{API}/cases/{case['id']}/verdicts", {
            "verdicts": [{"count": 1, "verdict": "guilty"}], "remand": {},
        }),
        409,
    )  # fmt: skip
    assert refused["code"] == "verdict_recorded"


def test_the_verdict_names_each_bad_field_as_the_payload_does(clock, site, court, clerk):
    case = _open(clerk, site, court)
    path = f"{API}/cases/{case['id']}/verdicts"
    unknown = error_of(post(clerk, path, {"verdicts": [{"count": 7, "verdict": "guilty"}]}), 400)
    assert unknown["code"] == "validation_failed"
    assert list(unknown["extra"]["fields"]) == ["verdicts[0].count"]
    bad = error_of(
        post(clerk, path, {
            "verdicts": [{"count": 1, "verdict": "guilty"}, {"count": 2, "verdict": "not_guilty"}],
            "sentences": [{"count": 2, "term": {"years": 1}},
                          {"count": 1, "term": {}}],
        }),
        400,
    )  # fmt: skip
    assert set(bad["extra"]["fields"]) == {"sentences[1].term"}
    not_guilty = error_of(
        post(clerk, path, {
            "verdicts": [{"count": 1, "verdict": "guilty"}, {"count": 2, "verdict": "not_guilty"}],
            "sentences": [{"count": 2, "term": {"years": 1}}],
        }),
        400,
    )  # fmt: skip
    assert list(not_guilty["extra"]["fields"]) == ["sentences[0].count"]
    no_escort = error_of(
        post(clerk, path, {"verdicts": [{"count": 1, "verdict": "guilty"}], "remand": {}}), 400
    )
    assert list(no_escort["extra"]["fields"]) == ["remand.escort"]


def test_a_new_person_who_may_be_on_record_is_named_before_filing(
    clock, site, court, clerk, person
):
    kakashi = person()
    refused = error_of(post(clerk, f"{API}/cases", _case_payload(site, court)), 409)
    assert refused["code"] == "possible_duplicates"
    assert refused["extra"]["matches"][0]["id"] == str(kakashi.public_id)
    assert not Case.objects.exists()
    case = _open(clerk, site, court, person=None, person_id=str(kakashi.public_id))
    assert case["person"]["id"] == str(kakashi.public_id)


def test_the_same_docket_answers_409(clock, site, court, clerk):
    _open(clerk, site, court)
    refused = error_of(
        post(clerk, f"{API}/cases", _case_payload(
            site, court, person={"given_name": "Obito", "family_name": "Uchiha"}, parties=[],
        )),
        409,
    )  # fmt: skip
    assert refused["code"] == "docket_exists"


def test_officers_read_cases_but_do_not_file_them_and_outsiders_see_none(
    clock, site, court, clerk, client_for, officer, outsider
):
    case = _open(clerk, site, court)
    refused = error_of(post(client_for(officer), f"{API}/cases", _case_payload(site, court)), 403)
    assert refused["code"] == "missing_role"
    assert ok(client_for(officer).get(f"{API}/cases/{case['id']}"))["id"] == case["id"]
    hidden = error_of(client_for(outsider).get(f"{API}/cases/{case['id']}"), 404)
    assert hidden["code"] == "not_found"
    error_of(
        client_for(outsider).get(f"{API}/cases", {"facility": str(site.facility.public_id)}), 404
    )


def test_the_case_list_costs_the_same_queries_for_one_case_or_five(
    clock, site, clerk, file_case, person, court_clerk, django_assert_num_queries
):
    file_case(person())
    where = {"facility": str(site.facility.public_id)}
    with CaptureQueriesContext(connection) as one:
        assert len(ok(clerk.get(f"{API}/cases", where))) == 1
    for n in range(4):
        file_case(person(f"Genin{n}", "Konoha"), docket=f"TST-CR-2026-01{n}")
    with django_assert_num_queries(len(one.captured_queries)):
        listed = ok(clerk.get(f"{API}/cases", where))
    assert len(listed) == 5
    assert {row["pending"] for row in listed} == {2}
    assert len(ok(clerk.get(f"{API}/cases", {**where, "status": "disposed"}))) == 0


def test_a_count_is_added_and_linked_to_the_booking_charge(clock, held, site, court, clerk):
    booking = held()
    case = _open(clerk, site, court, person=None, person_id=str(booking.person.public_id))
    added = ok(
        post(clerk, f"{API}/cases/{case['id']}/charges",
             {"statute": "KPC 99", "description": "Escape", "severity": "felony"}),
        201,
    )  # fmt: skip
    assert added["count"] == 3
    charge = booking.charges.get()
    linked = ok(
        post(clerk, f"{API}/cases/{case['id']}/charges/1/link",
             {"booking_charge": str(charge.public_id)})
    )  # fmt: skip
    assert (linked["booking_charge"], linked["booking_number"]) == (
        str(charge.public_id), booking.booking_number,
    )  # fmt: skip


# --- Hearings --------------------------------------------------------------------------------


def test_a_hearing_is_scheduled_produced_returned_and_adjourned(
    clock, held, site, court, clerk, client_for, officer
):
    booking = held()
    case = _open(clerk, site, court, person=None, person_id=str(booking.person.public_id))
    hearing = ok(
        post(clerk, f"{API}/cases/{case['id']}/hearings",
             {"kind": "trial", "scheduled_at": AT_TWO.isoformat(), "expected_minutes": 90}),
        201,
    )  # fmt: skip
    assert (hearing["booking_number"], hearing["courtroom"]) == (
        booking.booking_number, "Courthouse",
    )  # fmt: skip
    refused = error_of(post(clerk, f"{API}/hearings/{hearing['id']}/produce"), 403)
    assert refused["code"] == "missing_role"
    escort = client_for(officer)
    produced = ok(post(escort, f"{API}/hearings/{hearing['id']}/produce",
                       {"escort": officer.username}))  # fmt: skip
    assert produced["production"]["returned_at"] is None
    assert produced["production"]["expected_return_at"] == "2026-03-13T15:30:00Z"
    again = error_of(post(escort, f"{API}/hearings/{hearing['id']}/produce", {}), 409)
    assert again["code"] == "already_produced"
    back = ok(post(escort, f"{API}/hearings/{hearing['id']}/return"))
    assert back["production"]["returned_at"] is not None
    concluded = ok(
        post(clerk, f"{API}/hearings/{hearing['id']}/conclude", {
            "status": "adjourned", "outcome": "Witness ill.",
            "next_at": (AT_TWO + dt.timedelta(days=7)).isoformat(),
        })
    )  # fmt: skip
    assert concluded["hearing"]["status"] == "adjourned"
    assert concluded["next_hearing"]["scheduled_at"] == "2026-03-20T14:00:00Z"
    case_now = ok(clerk.get(f"{API}/cases/{case['id']}"))
    assert [h["status"] for h in case_now["hearings"]] == ["adjourned", "scheduled"]


def test_the_calendar_costs_the_same_queries_for_one_hearing_or_six(
    clock, held, person, site, clerk, file_case, court_clerk, django_assert_num_queries
):
    from cellblock.court.services.hearings import hearing_schedule

    booking = held()
    case = file_case(booking.person)
    hearing_schedule(actor=court_clerk, case=case, kind="trial", scheduled_at=AT_TWO)
    where = {"facility": str(site.facility.public_id), "from": "2026-03-13T00:00:00Z"}
    with CaptureQueriesContext(connection) as one:
        assert len(ok(clerk.get(f"{API}/hearings", where))) == 1
    for n in range(5):
        # Two more held here, three on bail: the calendar has them all.
        someone = held(f"Genin{n}", "Konoha").person if n < 2 else person(f"Genin{n}", "Konoha")
        other = file_case(someone, docket=f"TST-CR-2026-02{n}")
        hearing_schedule(
            actor=court_clerk, case=other, kind="review",
            scheduled_at=AT_TWO + dt.timedelta(days=n),
        )  # fmt: skip
    with django_assert_num_queries(len(one.captured_queries)):
        week = ok(clerk.get(f"{API}/hearings", where))
    assert len(week) == 6
    assert [h["scheduled_at"] for h in week] == sorted(h["scheduled_at"] for h in week)
    wrong = error_of(clerk.get(f"{API}/hearings", {**where, "to": "2026-03-12T00:00:00Z"}), 400)
    assert list(wrong["extra"]["fields"]) == ["to"]


def test_a_missed_production_is_listed(clock, held, site, clerk, file_case, court_clerk):
    from cellblock.court.services.hearings import hearing_schedule

    booking = held()
    case = file_case(booking.person)
    hearing = hearing_schedule(
        actor=court_clerk, case=case, kind="arraignment", scheduled_at=NOW - dt.timedelta(hours=1)
    )
    where = {"facility": str(site.facility.public_id)}
    assert [h["id"] for h in ok(clerk.get(f"{API}/hearings/missed", where))] == [
        str(hearing.public_id)
    ]


# --- Sentences and credits -------------------------------------------------------------------


def test_sentences_are_imposed_corrected_credited_and_vacated(
    clock, held, site, court, clerk, client_for, officer
):
    booking = held()
    case = _open(clerk, site, court, person=None, person_id=str(booking.person.public_id))
    ok(post(clerk, f"{API}/cases/{case['id']}/verdicts",
            {"verdicts": [{"count": 1, "verdict": "guilty"}]}), 201)  # fmt: skip
    sentence = ok(
        post(clerk, f"{API}/cases/{case['id']}/sentences", {"count": 1, "term": {"years": 1}}),
        201,
    )
    assert sentence["term"]["text"] == "1 year"
    taken = error_of(
        post(clerk, f"{API}/cases/{case['id']}/sentences", {"count": 1, "term": {"years": 1}}),
        409,
    )
    assert taken["code"] == "sentence_exists"
    unheard = error_of(
        post(clerk, f"{API}/cases/{case['id']}/sentences", {"count": 2, "term": {"years": 1}}),
        400,
    )
    assert list(unheard["extra"]["fields"]) == ["count"]
    corrected = ok(
        post(clerk, f"{API}/sentences/{sentence['id']}/correct",
             {"count": 1, "term": {"months": 18}, "reason": "The judgment says 18 months."}),
        201,
    )  # fmt: skip
    assert corrected["term"]["text"] == "18 months"
    old = ok(clerk.get(f"{API}/sentences/{sentence['id']}"))
    assert (old["status"], old["end_reason"]) == ("vacated", "The judgment says 18 months.")
    credit = ok(
        post(clerk, f"{API}/sentences/{corrected['id']}/credits",
             {"kind": "forfeited", "days": 3, "reason": "Fight in the yard."}),
        201,
    )  # fmt: skip
    assert credit["rule"] == "STATE v1"
    assert ok(clerk.get(f"{API}/sentences/{corrected['id']}"))["credits"][0]["days"] == 3
    error_of(
        post(client_for(officer), f"{API}/sentences/{corrected['id']}/vacate",
             {"reason": "No."}),
        403,
    )  # fmt: skip
    vacated = ok(post(clerk, f"{API}/sentences/{corrected['id']}/vacate",
                      {"reason": "Quashed on appeal."}))  # fmt: skip
    assert vacated["status"] == "vacated"
    assert not Sentence.objects.filter(status="active").exists()
    again = error_of(
        post(clerk, f"{API}/sentences/{corrected['id']}/vacate", {"reason": "Again."}), 409
    )
    assert again["code"] == "sentence_not_active"


# --- Holds -----------------------------------------------------------------------------------


def test_the_booking_desk_places_a_warrant_and_the_court_lifts_it(
    clock, held, clerk, client_for, booking_clerk, officer, outsider
):
    booking = held()
    path = f"{API}/bookings/{booking.booking_number}/holds"
    payload = {"kind": "warrant", "issued_by": "Suna Village Court", "reference": "W-17"}
    desk = client_for(booking_clerk)
    hold = ok(post(desk, path, payload), 201)
    assert (hold["open"], hold["placed_by"]) == (True, booking_clerk.username)
    assert error_of(post(desk, path, payload), 409)["code"] == "hold_exists"
    assert error_of(post(client_for(officer), path, payload), 403)["code"] == "missing_role"
    assert error_of(client_for(outsider).get(path), 404)["code"] == "not_found"
    assert ok(clerk.get(f"{API}/bookings/{booking.booking_number}/court"))["legal_status"] == "hold"
    lifted = ok(post(clerk, f"{API}/holds/{hold['id']}/lift", {"reason": "Recalled by Suna."}))
    assert (lifted["open"], lifted["lifted_by"]) == (False, "cal_court")
    assert [h["open"] for h in ok(clerk.get(path))] == [False]
    assert (
        ok(clerk.get(f"{API}/bookings/{booking.booking_number}/court"))["legal_status"]
        == "pretrial"
    )


def test_the_holds_list_costs_the_same_queries_for_one_hold_or_four(
    clock, held, clerk, court_clerk, django_assert_num_queries
):
    from cellblock.court.services.holds import hold_place

    booking = held()
    path = f"{API}/bookings/{booking.booking_number}/holds"

    def place(reference):
        hold_place(
            actor=court_clerk,
            booking=booking,
            kind="detainer",
            issued_by="Mist",
            reference=reference,
        )

    place("D-1")
    with CaptureQueriesContext(connection) as one:
        assert len(ok(clerk.get(path))) == 1
    for n in range(2, 5):
        place(f"D-{n}")
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(ok(clerk.get(path))) == 4


def test_the_no_contact_order_reaches_the_classification_record(clock, site, court, clerk, officer):
    case = _open(clerk, site, court)
    decision = ok(
        post(clerk, f"{API}/cases/{case['id']}/verdicts", {
            "verdicts": [{"count": 1, "verdict": "guilty"}],
            "remand": {"escort": officer.username}, "no_contact": True,
        }),
        201,
    )  # fmt: skip
    order = ProtectiveOrder.objects.get(public_id=decision["orders"][0]["id"])
    assert order.person.bookings.get().booking_number == decision["booking_number"]
    assert Hearing.objects.count() == 0


def test_the_court_record_of_a_booking_costs_the_same_queries_for_one_case_or_three(
    clock, held, clerk, file_case, court_clerk, django_assert_num_queries
):
    from cellblock.court import sentencing
    from cellblock.court.services.verdicts import SentenceData, VerdictData, verdict_record

    booking = held()

    def sentenced(docket):
        case = file_case(booking.person, docket=docket)
        one, two = case.charges.order_by("count_number")
        verdict_record(
            actor=court_clerk, case=case,
            verdicts=[VerdictData(one, "guilty"), VerdictData(two, "guilty")],
            sentences=[SentenceData(one, sentencing.Term(years=1)),
                       SentenceData(two, sentencing.Term(months=3))],
        )  # fmt: skip

    sentenced("TST-CR-2026-0301")
    path = f"{API}/bookings/{booking.booking_number}/court"
    with CaptureQueriesContext(connection) as one:
        assert len(ok(clerk.get(path))["active_sentences"]) == 2
    sentenced("TST-CR-2026-0302")
    sentenced("TST-CR-2026-0303")
    with django_assert_num_queries(len(one.captured_queries)):
        record = ok(clerk.get(path))
    assert (len(record["cases"]), len(record["active_sentences"])) == (3, 6)
