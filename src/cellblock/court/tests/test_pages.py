"""The court pages: who opens which, what each shows, the forms' answers, and query counts.

The hearing calendar with production to court, the case list, opening a case,
the case page, the verdict form (case file 1: guilty, a sentence, remand and
no contact), a sentence's credits and correction, holds, the review of
recomputed release dates, and the "Court and sentence" section of a profile.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cellblock.booking.models import Booking, BookingStatus, LegalStatus
from cellblock.classification.models import ProtectiveOrder
from cellblock.court import sentencing
from cellblock.court.models import (
    Case,
    CaseParty,
    CreditEntry,
    Hearing,
    Hold,
    ReleaseDate,
    ReleaseDateChange,
    Sentence,
    SentenceStatus,
)
from cellblock.court.services.cases import case_party_add
from cellblock.court.services.hearings import hearing_produce, hearing_schedule
from cellblock.court.services.holds import hold_place
from cellblock.court.services.verdicts import SentenceData, VerdictData, verdict_record
from cellblock.court.tests.court_support import DOCKET, NOW
from cellblock.custody.models import Movement
from cellblock.people.models import Person

pytestmark = pytest.mark.django_db

CALENDAR = reverse("court:calendar")
CASES = reverse("court:cases")
NEW_CASE = reverse("court:case_new")
CHANGES = reverse("court:changes")
CUSTODY_ROLES = [
    "officer", "supervisor", "booking_clerk", "medic", "court_clerk", "visits_clerk", "auditor",
    "commander",
]  # fmt: skip


def text(response) -> str:
    """The page's text without tags, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(captured)


def case_url(case: Case) -> str:
    return reverse("court:case", args=[case.public_id])


def tomorrow_at(hour: int) -> dt.datetime:
    return dt.datetime.combine(NOW.date() + dt.timedelta(days=1), dt.time(hour), tzinfo=dt.UTC)


def a_hearing(case: Case, clerk, *, at: dt.datetime | None = None, kind: str = "trial") -> Hearing:
    return hearing_schedule(
        actor=clerk, case=case, kind=kind, scheduled_at=at or tomorrow_at(9), courtroom="Room 1"
    )


def sentence_guilty(case: Case, clerk, *, years: int = 2) -> Sentence:
    """Guilty on count 1 with a sentence of ``years``; the other counts stay pending."""
    count = case.charges.get(count_number=1)
    result = verdict_record(
        actor=clerk, case=case, verdicts=[VerdictData(charge=count, verdict="guilty")],
        sentences=[SentenceData(charge=count, term=sentencing.Term(years=years))],
    )  # fmt: skip
    return result.sentences[0]


# --- The calendar ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", CUSTODY_ROLES)
def test_the_calendar_opens_for_every_custody_role(
    persona, request, clock, held, file_case, court_clerk, client_for
):
    booking = held()
    a_hearing(file_case(booking.person), court_clerk)
    response = client_for(request.getfixturevalue(persona)).get(CALENDAR)
    assert response.status_code == 200
    assert "Kakashi Hatake" in text(response)
    assert DOCKET in text(response)


def test_the_administrator_gets_no_calendar(clock, admin_user, client_for):
    assert client_for(admin_user).get(CALENDAR).status_code == 403


def test_the_calendar_shows_the_week_and_moves_by_weeks(
    clock, held, file_case, court_clerk, client_for
):
    case = file_case(held().person)
    a_hearing(case, court_clerk, at=tomorrow_at(9))
    a_hearing(case, court_clerk, at=tomorrow_at(9) + dt.timedelta(days=7), kind="sentencing")
    client = client_for(court_clerk)
    this_week = client.get(CALENDAR).content.decode()
    # Friday 13 March 2026: the week runs from Monday the 9th; tomorrow is Saturday the 14th.
    assert 'data-day="2026-03-09"' in this_week
    assert this_week.count('data-testid="hearing"') == 1
    next_week = client.get(f"{CALENDAR}?week=2026-03-16").content.decode()
    assert next_week.count('data-testid="hearing"') == 1
    assert "Sentencing" in next_week


def test_the_calendar_filters_by_kind(clock, held, file_case, court_clerk, client_for):
    case = file_case(held().person)
    a_hearing(case, court_clerk, kind="trial")
    a_hearing(case, court_clerk, kind="review", at=tomorrow_at(14))
    body = client_for(court_clerk).get(f"{CALENDAR}?kind=review").content.decode()
    assert body.count('data-testid="hearing"') == 1


def test_a_week_that_is_not_a_date_says_so_and_shows_this_week(clock, court_clerk, client_for):
    response = client_for(court_clerk).get(f"{CALENDAR}?week=next-tuesday")
    assert response.status_code == 400
    assert "Could not read the week (next-tuesday)" in text(response)


def test_an_officer_produces_the_person_from_the_calendar_and_brings_them_back(
    clock, held, file_case, court_clerk, officer, client_for
):
    booking = held()
    hearing = a_hearing(file_case(booking.person), court_clerk)
    client = client_for(officer)
    body = client.get(CALENDAR).content.decode()
    assert 'data-testid="produce-form"' in body
    response = client.post(
        reverse("court:hearing_produce", args=[hearing.public_id]),
        {"escort": officer.username, "next": CALENDAR},
    )
    assert response.status_code == 302
    assert response.url == CALENDAR
    hearing.refresh_from_db()
    assert hearing.production is not None
    assert hearing.production.destination == "court"
    assert hearing.production.escort == officer
    body = client.get(CALENDAR).content.decode()
    assert 'data-production="at_court"' in body
    assert 'data-testid="return-form"' in body
    client.post(reverse("court:hearing_return", args=[hearing.public_id]), {"next": CALENDAR})
    production = hearing.production
    assert production is not None
    production.refresh_from_db()
    assert production.returned_at is not None


def test_the_court_clerk_sees_who_is_to_be_produced_but_no_button(
    clock, held, file_case, court_clerk, client_for
):
    booking = held()
    a_hearing(file_case(booking.person), court_clerk)
    body = client_for(court_clerk).get(CALENDAR).content.decode()
    assert 'data-production="to_produce"' in body
    assert 'data-testid="produce-form"' not in body
    hearing = Hearing.objects.get()
    response = client_for(court_clerk).post(
        reverse("court:hearing_produce", args=[hearing.public_id])
    )
    assert response.status_code == 403


def test_a_production_missed_past_the_grace_is_red_on_the_calendar(
    clock, held, file_case, court_clerk, officer, client_for
):
    booking = held()
    hearing = a_hearing(file_case(booking.person), court_clerk, at=NOW + dt.timedelta(hours=1))
    assert 'data-production="to_produce"' in client_for(officer).get(CALENDAR).content.decode()
    # The policy's 30 minutes of grace; a fresh sign-in after each jump (sessions lock when idle).
    clock.move_to(hearing.scheduled_at + dt.timedelta(minutes=29))
    assert 'data-production="to_produce"' in client_for(officer).get(CALENDAR).content.decode()
    clock.move_to(hearing.scheduled_at + dt.timedelta(minutes=31))
    response = client_for(officer).get(CALENDAR)
    body = response.content.decode()
    assert 'data-production="missed"' in body
    assert "hearing hearing-bad" in body
    assert "1 not produced" in text(response)


def test_the_calendar_costs_the_same_queries_for_one_hearing_or_many(
    clock, held, file_case, person, court_clerk, officer, client_for
):
    case = file_case(held().person)
    a_hearing(case, court_clerk)
    client = client_for(officer)
    client.get(CALENDAR)
    one = queries(client, CALENDAR)
    other = file_case(held("Might", "Guy").person, docket="TST-CR-2026-0043")
    for n in range(4):
        a_hearing(other, court_clerk, at=tomorrow_at(10 + n))
    hearing_produce(actor=officer, hearing=Hearing.objects.filter(case=case).get())
    assert queries(client, CALENDAR) == one


# --- Cases --------------------------------------------------------------------------------


def test_the_case_list_shows_open_cases_with_their_pending_counts(
    clock, held, file_case, court_clerk, officer, client_for
):
    case = file_case(held().person)
    sentence_guilty(case, court_clerk)
    response = client_for(officer).get(CASES)
    body = response.content.decode()
    assert f'data-case="{case.public_id}"' in body
    assert "1 of 2" in text(response)
    assert "Open a case" not in text(response)  # an officer opens none
    assert 'data-testid="open-case"' in client_for(court_clerk).get(CASES).content.decode()


def test_the_case_list_filters_by_status(clock, file_case, person, court_clerk, client_for):
    case = file_case(person())
    count_1, count_2 = case.charges.order_by("count_number")
    verdict_record(
        actor=court_clerk, case=case,
        verdicts=[VerdictData(charge=count_1, verdict="not_guilty"),
                  VerdictData(charge=count_2, verdict="dismissed")],
    )  # fmt: skip
    client = client_for(court_clerk)
    assert f'data-case="{case.public_id}"' not in client.get(CASES).content.decode()
    assert (
        f'data-case="{case.public_id}"' in client.get(f"{CASES}?status=disposed").content.decode()
    )
    assert f'data-case="{case.public_id}"' in client.get(f"{CASES}?status=all").content.decode()


def test_the_case_list_costs_the_same_queries_for_one_case_or_many(
    clock, held, person, file_case, court_clerk, client_for
):
    file_case(held().person)
    client = client_for(court_clerk)
    client.get(CASES)
    one = queries(client, CASES)
    for n in range(4):
        case = file_case(person(f"Genin{n}", "Leaf"), docket=f"TST-CR-2026-01{n}")
        a_hearing(case, court_clerk)
    assert queries(client, CASES) == one


def test_the_person_search_finds_someone_not_held(clock, person, court_clerk, client_for):
    kakashi = person()
    response = client_for(court_clerk).get(reverse("court:people"), {"person_q": "hatake"})
    body = response.content.decode()
    assert f'value="{kakashi.public_id}"' in body
    assert "not held" in body


def test_the_court_clerk_opens_a_case_with_typed_counts(
    clock, court, person, court_clerk, client_for
):
    kakashi = person()
    response = client_for(court_clerk).post(
        NEW_CASE,
        {
            "person": str(kakashi.public_id), "court": str(court.court.public_id),
            "docket_number": "KON-CR-0001", "presiding_authority": "Tsunade, Fifth Hokage",
            "rows": "3", "statute-1": "KON 12", "description-1": "Endangering a minor",
            "severity-1": "felony", "statute-2": "", "description-2": "",
        },
    )  # fmt: skip
    case = Case.objects.get(docket_number="KON-CR-0001")
    assert response.status_code == 302
    assert response.url == case_url(case)
    assert case.person == kakashi
    assert [c.statute for c in case.charges.all()] == ["KON 12"]


def _new_person_case(court, docket: str, **extra: str) -> dict[str, str]:
    return {
        "court": str(court.court.public_id), "docket_number": docket,
        "presiding_authority": "Tsunade, Fifth Hokage", "rows": "1",
        "statute-1": "KON 12", "description-1": "Endangering a minor", "severity-1": "felony",
        "new_given_name": "Kakashi", "new_family_name": "Hatake",
        "new_date_of_birth": "1996-09-15", "new_sex": "male", **extra,
    }  # fmt: skip


def test_the_clerk_records_a_person_never_booked_with_the_case(
    clock, court, court_clerk, client_for
):
    response = client_for(court_clerk).post(NEW_CASE, _new_person_case(court, "KON-CR-0003"))
    assert response.status_code == 302
    case = Case.objects.get(docket_number="KON-CR-0003")
    assert (case.person.full_name, case.person.date_of_birth) == (
        "Kakashi Hatake", dt.date(1996, 9, 15),
    )  # fmt: skip


def test_a_new_person_who_may_be_on_record_is_refused_until_confirmed(
    clock, court, person, court_clerk, client_for
):
    on_record = person()
    client = client_for(court_clerk)
    refused = client.post(NEW_CASE, _new_person_case(court, "KON-CR-0004"))
    assert refused.status_code == 400
    assert "1 person on record may be this person" in text(refused)
    # The one on record is offered in the search results, and nothing was written.
    assert "Kakashi Hatake" in text(refused)
    assert not Case.objects.filter(docket_number="KON-CR-0004").exists()
    confirmed = client.post(
        NEW_CASE, _new_person_case(court, "KON-CR-0004", confirm_new_person="1")
    )
    assert confirmed.status_code == 302
    assert Case.objects.get(docket_number="KON-CR-0004").person.pk != on_record.pk


def test_a_refused_case_records_no_new_person(clock, court, court_clerk, client_for):
    before = Person.objects.count()
    refused = client_for(court_clerk).post(
        NEW_CASE, _new_person_case(court, "", new_date_of_birth="1996-09-15")
    )
    assert refused.status_code == 400
    assert Person.objects.count() == before


def test_a_case_opened_from_a_profile_takes_the_booking_charges(
    clock, court, held, court_clerk, client_for
):
    booking = held()
    client = client_for(court_clerk)
    page = client.get(f"{NEW_CASE}?booking={booking.booking_number}").content.decode()
    assert 'data-testid="case-person"' in page
    charge = booking.charges.get()
    assert f'value="{charge.public_id}" checked' in page
    client.post(
        NEW_CASE,
        {
            "person": str(booking.person.public_id), "court": str(court.court.public_id),
            "docket_number": "KON-CR-0002", "presiding_authority": "Tsunade",
            "booking_charge": str(charge.public_id), "rows": "1",
        },
    )  # fmt: skip
    count = Case.objects.get(docket_number="KON-CR-0002").charges.get()
    assert count.booking_charge == charge


def test_opening_a_case_without_a_person_names_the_field(clock, court, court_clerk, client_for):
    response = client_for(court_clerk).post(
        NEW_CASE,
        {"court": str(court.court.public_id), "docket_number": "X-1", "statute-1": "KON 1"},
    )
    assert response.status_code == 400
    assert 'data-testid="error-person"' in response.content.decode()
    assert not Case.objects.exists()


def test_a_docket_number_used_before_is_refused_with_the_service_message(
    clock, court, file_case, person, court_clerk, client_for
):
    file_case(person())
    response = client_for(court_clerk).post(
        NEW_CASE,
        {
            "person": str(person("Might", "Guy").public_id), "court": str(court.court.public_id),
            "docket_number": DOCKET, "presiding_authority": "Tsunade", "statute-1": "KON 1",
            "description-1": "Too youthful", "severity-1": "misdemeanour",
        },
    )  # fmt: skip
    assert response.status_code == 409
    assert DOCKET in text(response)
    assert Case.objects.count() == 1


def test_an_officer_may_not_open_a_case(clock, officer, client_for):
    assert client_for(officer).get(NEW_CASE).status_code == 403


# --- One case -----------------------------------------------------------------------------


def test_the_case_page_shows_counts_parties_hearings_and_sentences(
    clock, held, person, file_case, court_clerk, officer, client_for
):
    booking = held()
    case = file_case(booking.person)
    case_party_add(actor=court_clerk, case=case, person=person("Sakura", "Haruno"), role="victim")
    a_hearing(case, court_clerk)
    sentence = sentence_guilty(case, court_clerk)
    response = client_for(officer).get(case_url(case))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-count="1" data-verdict="guilty"' in body
    assert 'data-count="2" data-verdict="pending"' in body
    assert "Sakura Haruno" in text(response)
    assert f'data-sentence="{sentence.public_id}"' in body
    # The worked computation of the release date sits beside the sentence.
    release = ReleaseDate.objects.get(booking=booking)
    assert release.release_on is not None
    assert release.release_on.isoformat() in body
    assert "How the release date is worked out for count 1" in body
    # An officer reads it; the forms are the court's.
    assert 'data-testid="schedule-form"' not in body
    assert (
        'data-testid="schedule-form"'
        in client_for(court_clerk).get(case_url(case)).content.decode()
    )


def test_someone_of_another_facility_gets_not_found(clock, held, file_case, outsider, client_for):
    case = file_case(held().person)
    assert client_for(outsider).get(case_url(case)).status_code == 404


def test_the_court_clerk_schedules_and_concludes_a_hearing_on_the_case_page(
    clock, held, file_case, court_clerk, client_for
):
    case = file_case(held().person)
    client = client_for(court_clerk)
    response = client.post(
        reverse("court:hearing_schedule", args=[case.public_id]),
        {"kind": "arraignment", "scheduled_at": "2026-03-16T09:30", "expected_minutes": "45"},
    )
    assert response.status_code == 302
    hearing = Hearing.objects.get(case=case)
    assert hearing.scheduled_at == dt.datetime(2026, 3, 16, 9, 30, tzinfo=dt.UTC)
    assert hearing.expected_minutes == 45
    clock.move_to(dt.datetime(2026, 3, 16, 10, 30, tzinfo=dt.UTC))
    client_for(court_clerk).post(
        reverse("court:hearing_conclude", args=[hearing.public_id]),
        {"status": "adjourned", "outcome": "Counsel ill", "next_at": "2026-03-23T09:30"},
    )
    hearing.refresh_from_db()
    assert hearing.status == "adjourned"
    assert Hearing.objects.filter(case=case, status="scheduled").count() == 1


def test_a_hearing_time_that_is_not_a_time_is_refused_beside_the_field(
    clock, held, file_case, court_clerk, client_for
):
    case = file_case(held().person)
    response = client_for(court_clerk).post(
        reverse("court:hearing_schedule", args=[case.public_id]),
        {"kind": "trial", "scheduled_at": "soon"},
    )
    assert response.status_code == 400
    assert 'data-testid="error-scheduled_at"' in response.content.decode()
    assert not Hearing.objects.exists()


def test_the_court_clerk_names_a_protected_party_found_by_name(
    clock, person, file_case, court_clerk, client_for
):
    case = file_case(person())
    sakura = person("Sakura", "Haruno", date_of_birth=dt.date(2010, 3, 28), sex="female")
    client = client_for(court_clerk)
    found = client.post(
        reverse("court:party_add", args=[case.public_id]), {"party_q": "Haruno", "find": "1"}
    )
    assert f'value="{sakura.public_id}"' in found.content.decode()
    client.post(
        reverse("court:party_add", args=[case.public_id]),
        {"party": str(sakura.public_id), "role": "protected_party"},
    )
    assert CaseParty.objects.get(case=case).person == sakura


def test_the_case_page_costs_the_same_queries_however_full(
    clock, held, person, file_case, court_clerk, client_for
):
    booking = held()
    case = file_case(booking.person)
    a_hearing(case, court_clerk)
    client = client_for(court_clerk)
    client.get(case_url(case))
    one = queries(client, case_url(case))
    for n in range(3):
        a_hearing(case, court_clerk, at=tomorrow_at(10 + n))
        case_party_add(
            actor=court_clerk, case=case, person=person(f"Witness{n}", "Leaf"), role="witness"
        )
    count_1, count_2 = case.charges.order_by("count_number")
    verdict_record(
        actor=court_clerk, case=case,
        verdicts=[VerdictData(charge=count_1, verdict="guilty"),
                  VerdictData(charge=count_2, verdict="guilty")],
        sentences=[SentenceData(charge=count_1, term=sentencing.Term(years=1)),
                   SentenceData(charge=count_2, term=sentencing.Term(months=6),
                                relation="consecutive", consecutive_to=count_1)],
    )  # fmt: skip
    assert queries(client, case_url(case)) == one


# --- The verdict --------------------------------------------------------------------------


def test_case_file_1_the_verdict_remands_sentences_and_orders_no_contact_through_the_page(
    clock, court, person, file_case, court_clerk, officer, client_for
):
    kakashi = person()
    sakura = person("Sakura", "Haruno", date_of_birth=dt.date(2010, 3, 28), sex="female")
    case = file_case(kakashi, parties=[(sakura, "protected_party")])
    url = reverse("court:verdict", args=[case.public_id])
    client = client_for(court_clerk)
    form = client.get(url).content.decode()
    assert 'data-testid="remand"' in form
    assert "No contact with Sakura Haruno (protected party)" in text(client.get(url))
    response = client.post(
        url,
        {
            "count-1-verdict": "guilty", "count-1-years": "2", "count-1-relation": "concurrent",
            "count-1-good_time": "yes", "count-2-verdict": "dismissed",
            "remand": "1", "escort": officer.username, "no_contact": "1",
        },
    )  # fmt: skip
    assert response.status_code == 302, text(response)
    booking = Booking.objects.get(person=kakashi)
    assert booking.status == BookingStatus.IN_CUSTODY
    assert booking.source == "court_remand"
    assert booking.legal_status == LegalStatus.SENTENCED
    sentence = Sentence.objects.get(case=case)
    assert (sentence.term_years, sentence.status) == (2, SentenceStatus.ACTIVE)
    order = ProtectiveOrder.objects.get(person=kakashi)
    assert order.protected_person == sakura
    page = client.get(case_url(case))
    assert "remanded" in text(page)
    assert booking.booking_number in text(page)
    # He is in the courtroom until an officer takes him to the cells, from the case page.
    assert 'data-testid="at-court"' in page.content.decode()
    assert 'data-testid="to-the-cells"' not in page.content.decode()  # a clerk moves nobody
    desk = client_for(officer)
    form = desk.get(case_url(case)).content.decode()
    movement = Movement.objects.get(booking=booking, returned_at__isnull=True)
    assert reverse("custody:movement_return", args=[movement.public_id]) in form
    desk.post(reverse("custody:movement_return", args=[movement.public_id]))
    movement.refresh_from_db()
    assert movement.returned_at is not None
    assert 'data-testid="at-court"' not in desk.get(case_url(case)).content.decode()


def test_a_sentence_on_a_count_found_not_guilty_is_refused_naming_the_count(
    clock, person, file_case, court_clerk, client_for
):
    case = file_case(person())
    url = reverse("court:verdict", args=[case.public_id])
    response = client_for(court_clerk).post(
        url, {"count-1-verdict": "not_guilty", "count-1-years": "1"}
    )
    assert response.status_code == 400
    assert "Count 1, sentence:" in text(response)
    assert not Sentence.objects.exists()


def test_a_term_that_is_not_a_number_is_refused_before_anything_is_recorded(
    clock, person, file_case, court_clerk, client_for
):
    case = file_case(person())
    response = client_for(court_clerk).post(
        reverse("court:verdict", args=[case.public_id]),
        {"count-1-verdict": "guilty", "count-1-years": "two"},
    )
    assert response.status_code == 400
    assert "Years: is not a whole number." in text(response)
    assert case.charges.get(count_number=1).verdict == "pending"


def test_a_verdict_form_with_no_verdict_says_so(clock, person, file_case, court_clerk, client_for):
    case = file_case(person())
    response = client_for(court_clerk).post(reverse("court:verdict", args=[case.public_id]), {})
    assert response.status_code == 400
    assert "give a verdict on at least one count" in text(response)


def test_an_officer_may_not_record_a_verdict(clock, person, file_case, officer, client_for):
    case = file_case(person())
    assert (
        client_for(officer).get(reverse("court:verdict", args=[case.public_id])).status_code == 403
    )


# --- A sentence -------------------------------------------------------------------------------


def test_forfeited_good_time_moves_the_date_and_is_listed_for_review(
    clock, held, file_case, court_clerk, client_for
):
    booking = held()
    sentence = sentence_guilty(file_case(booking.person), court_clerk)
    before = ReleaseDate.objects.get(booking=booking).release_on
    client = client_for(court_clerk)
    page = client.get(reverse("court:sentence", args=[sentence.public_id]))
    assert 'data-testid="breakdown"' in page.content.decode()
    client.post(
        reverse("court:credit_record", args=[sentence.public_id]),
        {"kind": "forfeited", "days": "10", "reason": "Fighting in the yard"},
    )
    assert CreditEntry.objects.get(sentence=sentence).days == 10
    after = ReleaseDate.objects.get(booking=booking).release_on
    assert before is not None
    assert after == before + dt.timedelta(days=10)
    changes = client.get(CHANGES)
    assert "10 days later" in text(changes)
    assert "Credit" in text(changes)


def test_a_credit_of_no_days_is_refused_beside_the_field(
    clock, held, file_case, court_clerk, client_for
):
    sentence = sentence_guilty(file_case(held().person), court_clerk)
    response = client_for(court_clerk).post(
        reverse("court:credit_record", args=[sentence.public_id]),
        {"kind": "earned", "days": "many", "reason": "Work"},
    )
    assert response.status_code == 400
    assert 'data-testid="error-days"' in response.content.decode()


def test_a_corrected_sentence_replaces_the_old_one(clock, held, file_case, court_clerk, client_for):
    sentence = sentence_guilty(file_case(held().person), court_clerk, years=2)
    response = client_for(court_clerk).post(
        reverse("court:sentence_correct", args=[sentence.public_id]),
        {
            "years": "1", "months": "6", "relation": "concurrent", "good_time": "yes",
            "imposed_on": sentence.imposed_on.isoformat(), "reason": "Clerical error",
        },
    )  # fmt: skip
    assert response.status_code == 302
    sentence.refresh_from_db()
    assert sentence.status == SentenceStatus.VACATED
    new = Sentence.objects.get(status=SentenceStatus.ACTIVE)
    assert (new.term_years, new.term_months) == (1, 6)
    assert response.url == reverse("court:sentence", args=[new.public_id])


def test_a_vacated_sentence_shows_its_reason_and_no_forms(
    clock, held, file_case, court_clerk, client_for
):
    sentence = sentence_guilty(file_case(held().person), court_clerk)
    client = client_for(court_clerk)
    client.post(
        reverse("court:sentence_vacate", args=[sentence.public_id]), {"reason": "Quashed on appeal"}
    )
    page = client.get(reverse("court:sentence", args=[sentence.public_id]))
    assert "Quashed on appeal" in text(page)
    assert 'data-testid="credit-form"' not in page.content.decode()


# --- Holds --------------------------------------------------------------------------------


def test_the_court_clerk_places_and_lifts_a_hold(clock, held, court_clerk, client_for):
    booking = held()
    client = client_for(court_clerk)
    url = reverse("court:holds", args=[booking.booking_number])
    client.post(
        reverse("court:hold_place", args=[booking.booking_number]),
        {"kind": "warrant", "issued_by": "Sand Village Court", "reference": "W-4471"},
    )
    hold = Hold.objects.get(booking=booking)
    assert "W-4471" in text(client.get(url))
    client.post(reverse("court:hold_lift", args=[hold.public_id]), {"reason": "Served in Suna"})
    hold.refresh_from_db()
    assert hold.lifted_at is not None
    assert 'data-testid="no-holds"' in client.get(url).content.decode()


def test_a_hold_without_a_reference_is_refused_beside_the_field(
    clock, held, booking_clerk, client_for
):
    booking = held()
    response = client_for(booking_clerk).post(
        reverse("court:hold_place", args=[booking.booking_number]),
        {"kind": "detainer", "issued_by": "Sand Village"},
    )
    assert response.status_code == 400
    assert 'data-testid="error-reference"' in response.content.decode()


def test_an_officer_reads_holds_but_places_none(clock, held, court_clerk, officer, client_for):
    booking = held()
    hold_place(
        actor=court_clerk, booking=booking, kind="warrant", issued_by="Suna", reference="W-1"
    )
    client = client_for(officer)
    page = client.get(reverse("court:holds", args=[booking.booking_number])).content.decode()
    assert "W-1" in page
    assert 'data-testid="place-form"' not in page
    assert 'data-testid="lift-form"' not in page
    response = client.post(
        reverse("court:hold_place", args=[booking.booking_number]),
        {"kind": "warrant", "issued_by": "Suna", "reference": "W-2"},
    )
    assert response.status_code == 403


# --- Release-date changes -----------------------------------------------------------------


def test_the_court_clerk_reviews_a_changed_release_date(
    clock, held, file_case, court_clerk, client_for
):
    booking = held()
    sentence_guilty(file_case(booking.person), court_clerk)
    change = ReleaseDateChange.objects.get(booking=booking)
    client = client_for(court_clerk)
    page = client.get(CHANGES)
    assert f'data-change="{change.public_id}"' in page.content.decode()
    assert "first date" in text(page)
    response = client.post(
        reverse("court:change_review", args=[change.public_id]),
        {"note": "Checked against the order", "next": CHANGES},
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.reviewed_by == court_clerk
    assert change.review_note == "Checked against the order"
    assert 'data-testid="changes-empty"' in client.get(CHANGES).content.decode()
    assert "Checked against the order" in text(client.get(f"{CHANGES}?show=reviewed"))


def test_an_officer_reads_the_changes_but_reviews_none(
    clock, held, file_case, court_clerk, officer, client_for
):
    booking = held()
    sentence_guilty(file_case(booking.person), court_clerk)
    change = ReleaseDateChange.objects.get(booking=booking)
    client = client_for(officer)
    assert 'data-testid="review-form"' not in client.get(CHANGES).content.decode()
    assert client.post(reverse("court:change_review", args=[change.public_id])).status_code == 403


def test_the_changes_list_costs_the_same_queries_for_one_change_or_many(
    clock, held, file_case, court_clerk, client_for
):
    sentence_guilty(file_case(held().person), court_clerk)
    client = client_for(court_clerk)
    client.get(CHANGES)
    one = queries(client, CHANGES)
    for n in range(3):
        case = file_case(held(f"Genin{n}", "Leaf").person, docket=f"TST-CR-2026-02{n}")
        sentence_guilty(case, court_clerk)
    assert queries(client, CHANGES) == one


# --- The profile section ------------------------------------------------------------------


def test_the_profile_shows_the_court_section_after_the_charges(
    clock, held, file_case, court_clerk, officer, client_for
):
    booking = held()
    case = file_case(booking.person)
    sentence_guilty(case, court_clerk)
    hold_place(
        actor=court_clerk, booking=booking, kind="detainer", issued_by="Suna", reference="D-9"
    )
    response = client_for(officer).get(reverse("booking:profile", args=[booking.booking_number]))
    body = response.content.decode()
    keys = re.findall(r'data-section="(\w+)"', body)
    assert keys[keys.index("charges") + 1] == "court"
    section = body[body.index('data-section="court"') :].split("</section>")[0]
    release_on = ReleaseDate.objects.get(booking=booking).release_on
    assert release_on is not None
    assert release_on.isoformat() in section
    assert DOCKET in section
    assert "D-9" in section
    assert "1 of 2 counts pending" in re.sub(r"\s+", " ", section)
    assert 'data-testid="profile-breakdown"' in section


def test_the_profile_costs_the_same_queries_with_more_court_records(
    clock, held, file_case, court_clerk, commander, client_for
):
    booking = held()
    case = file_case(booking.person)
    url = reverse("booking:profile", args=[booking.booking_number])
    client = client_for(commander)
    client.get(url)
    one = queries(client, url)
    sentence_guilty(case, court_clerk)
    a_hearing(case, court_clerk)
    hold_place(
        actor=court_clerk, booking=booking, kind="warrant", issued_by="Suna", reference="W-1"
    )
    file_case(booking.person, docket="TST-CR-2026-0099")
    assert queries(client, url) == one


# --- The menu -----------------------------------------------------------------------------


def test_the_menu_leads_custody_staff_to_the_court_and_the_releases(
    clock, officer, admin_user, client_for
):
    menu = client_for(officer).get(reverse("core:dashboard")).content.decode()
    nav = menu[menu.index('aria-label="Main"') :].split("</nav>")[0]
    # The menu's "Court" group holds the calendar and the release board.
    group = nav[nav.index('aria-label="Court"') :].split("</ul>")[0]
    assert re.findall(r">([^<]+)</a>", group) == ["Court", "Releases"]
    assert f'href="{CALENDAR}"' in nav
    assert f'href="{reverse("release:board")}"' in nav
    admin_menu = client_for(admin_user).get(reverse("core:dashboard")).content.decode()
    assert f'href="{CALENDAR}"' not in admin_menu
