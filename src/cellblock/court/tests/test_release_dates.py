"""Release dates through the services and the API: computed, stored, moved, listed, reviewed.

Sentences are written straight to the database here (the court services that
record them have their own tests); each test then asks for a recompute the
way those services do, or adds a credit rule version, and checks what the
booking's date became, which change is listed for review, and what the audit
trail says.  The personas: the commander and the court clerk review, the
administrator adds rule versions, an officer reads, an outsider gets 404s.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cellblock.accounts.models import User
from cellblock.audit.models import AuditEvent
from cellblock.booking.models import Booking, BookingStatus
from cellblock.booking.services import booking_open, booking_transition
from cellblock.conftest import SmallFacility
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.court.models import (
    Case,
    CaseCharge,
    CreditEntry,
    CreditKind,
    CreditRule,
    Jurisdiction,
    ReleaseDate,
    ReleaseDateChange,
    Sentence,
    SentenceStatus,
    Verdict,
)
from cellblock.court.sentencing import Term
from cellblock.court.services.config import (
    court_create,
    credit_rule_add,
    jurisdiction_create,
    rule_as_data,
)
from cellblock.court.services.release_dates import (
    release_date_change_review,
    release_date_of,
    release_date_recompute,
    unreviewed_changes,
)
from cellblock.court.testing import CourtSetup, court_setup
from cellblock.facilities.services import agency_create, facility_create
from cellblock.people.services import person_create

pytestmark = pytest.mark.django_db

# A Saturday evening in the test jail's zone (UTC).
NOW = dt.datetime(2026, 3, 14, 18, 0, tzinfo=dt.UTC)
NEW_YEAR = dt.date(2026, 1, 1)
ONE_YEAR = Term(years=1)
API = "/api/court"
_dockets = itertools.count(1)


# --- Fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def court(site: SmallFacility, clock: Any) -> CourtSetup:
    """STATE: good time a third, up to 5 days of earned credit a month, from 2000."""
    return court_setup(site.facility, good_time=(1, 3), earned_cap=5)


@pytest.fixture
def held(site: SmallFacility, clock: Any) -> Callable[..., Booking]:
    """Book someone into custody at the test jail (or ``facility``)."""

    def make(given: str = "Kakashi", family: str = "Hatake", facility: Any = None) -> Booking:
        where = facility or site.facility
        person = person_create(
            actor=None, facility=where, given_name=given, family_name=family, sex="male",
            date_of_birth=dt.date(1990, 9, 15),
        )  # fmt: skip
        booking = booking_open(actor=None, facility=where, person=person, source="arrest")
        return booking_transition(actor=None, booking=booking, to=BookingStatus.IN_CUSTODY)

    return make


def sentence(
    booking: Booking,
    court: CourtSetup,
    *,
    term: Term = ONE_YEAR,
    imposed: dt.date = NEW_YEAR,
    starts: dt.date | None = None,
    severity: str = "misdemeanour",
    follows: Sentence | None = None,
    served: int = 0,
) -> Sentence:
    """A guilty count and its sentence, written as the verdict service leaves them."""
    case = Case.objects.create(
        agency=booking.facility.agency, court=court.court, docket_number=f"CR-{next(_dockets)}",
        person=booking.person, facility=booking.facility, presiding_authority="Judge Tsunade",
        filed_at=NOW,
    )  # fmt: skip
    charge = CaseCharge.objects.create(
        case=case, count_number=1, statute="PC 484", description="Theft", severity=severity,
        verdict=Verdict.GUILTY, verdict_at=NOW,
    )  # fmt: skip
    return Sentence.objects.create(
        case=case, charge=charge, person=booking.person, jurisdiction=court.jurisdiction,
        imposed_on=imposed, starts_on=starts or imposed, term_years=term.years,
        term_months=term.months, term_days=term.days,
        relation="consecutive" if follows else "concurrent", consecutive_to=follows,
        time_served_days=served, imposed_by="Judge Tsunade", recorded_at=NOW,
    )  # fmt: skip


def credit(given: Sentence, court: CourtSetup, kind: str, days: int) -> CreditEntry:
    return CreditEntry.objects.create(
        sentence=given, kind=kind, days=days, reason="Kitchen work", rule=court.rule,
        recorded_at=NOW,
    )  # fmt: skip


def recompute(booking: Booking, actor: User | None = None, cause: str = "sentence") -> ReleaseDate:
    return release_date_recompute(
        actor=actor, booking=booking, cause=cause, cause_detail="Sentence on CR-1 count 1"
    )


def changes_of(booking: Booking) -> list[ReleaseDateChange]:
    return list(ReleaseDateChange.objects.filter(booking=booking).order_by("computed_at", "id"))


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def post(client: Client, url: str, body: Any):
    return client.post(url, data=json.dumps(body), content_type="application/json")


# --- Recomputing one booking ------------------------------------------------------------------


def test_a_sentence_gives_the_booking_its_date_and_a_change_to_review(held, court, court_clerk):
    booking = held()
    given = sentence(booking, court)

    stored = recompute(booking, court_clerk)

    # A year from 1 January 2026 is 365 days; a third of them (121) off: 2 September.
    assert stored.release_on == dt.date(2026, 9, 2)
    assert stored.controlling_sentence == given
    assert stored.rule_versions == ["STATE v1"]
    [change] = changes_of(booking)
    assert (change.previous_on, change.new_on) == (None, dt.date(2026, 9, 2))
    assert (change.cause, change.computed_by, change.reviewed_at) == ("sentence", court_clerk, None)
    [event] = events("release_date.compute")
    assert event.object_id == str(booking.public_id)
    assert event.actor == court_clerk
    assert event.changes["previous_on"] is None
    assert event.changes["new_on"] == "2026-09-02"
    assert event.changes["change"] == str(change.public_id)


def test_the_breakdown_shows_each_sentence_its_rule_and_its_working(held, court):
    booking = held()
    first = sentence(booking, court)
    second = sentence(booking, court, term=Term(months=6), follows=first, severity="felony")

    stored = recompute(booking)

    by_sentence = {row["sentence"]: row for row in stored.breakdown}
    assert set(by_sentence) == {str(first.public_id), str(second.public_id)}
    follower = by_sentence[str(second.public_id)]
    # The second follows the first: from 2 September for 6 months, its own third off.
    assert follower["starts_on"] == "2026-09-02"
    assert follower["full_term_on"] == "2027-03-02"
    assert follower["release_on"] == "2027-01-01"
    assert follower["controlling"] is True
    assert follower["consecutive_to"] == str(first.public_id)
    assert (follower["rule"], follower["rule_source"]) == ("STATE v1", "State code 1.1")
    assert (follower["term"], follower["severity"], follower["count"]) == (
        "6 months",
        "felony",
        1,
    )
    assert follower["lines"][0].startswith("Consecutive: runs from 2026-09-02")
    assert follower["lines"][-1] == "Release 2027-01-01."
    assert by_sentence[str(first.public_id)]["controlling"] is False
    assert stored.release_on == dt.date(2027, 1, 1)
    assert stored.controlling_sentence == second


def test_a_recompute_that_moves_nothing_leaves_nothing_to_review(held, court, clock):
    booking = held()
    sentence(booking, court)
    recompute(booking)
    clock.shift(dt.timedelta(hours=2))

    stored = recompute(booking)

    assert stored.computed_at == NOW + dt.timedelta(hours=2)
    assert len(changes_of(booking)) == 1
    assert len(events("release_date.compute")) == 1


def test_earned_credit_and_forfeiture_move_the_date_and_each_move_is_listed(
    held, court, court_clerk
):
    booking = held()
    given = sentence(booking, court)
    recompute(booking)

    credit(given, court, CreditKind.EARNED, 10)
    earned = recompute(booking, court_clerk, cause="credit")
    credit(given, court, CreditKind.FORFEITED, 30)
    forfeited = recompute(booking, court_clerk, cause="credit")

    assert earned.release_on == dt.date(2026, 8, 23)
    # 121 + 10 credited, 30 taken back: 101 days off 1 January 2027.
    assert forfeited.release_on == dt.date(2026, 9, 22)
    moves = [(c.previous_on, c.new_on, c.cause) for c in changes_of(booking)]
    assert moves == [
        (None, dt.date(2026, 9, 2), "sentence"),
        (dt.date(2026, 9, 2), dt.date(2026, 8, 23), "credit"),
        (dt.date(2026, 8, 23), dt.date(2026, 9, 22), "credit"),
    ]
    assert [e.changes["days"] for e in events("release_date.compute")] == [None, -10, 30]


def test_a_vacated_sentence_takes_the_date_away_and_that_is_a_change_too(held, court):
    booking = held()
    given = sentence(booking, court)
    recompute(booking)
    Sentence.objects.filter(pk=given.pk).update(
        status=SentenceStatus.VACATED, ended_at=NOW, end_reason="Set aside on appeal"
    )

    stored = recompute(booking)

    assert stored.release_on is None
    assert stored.controlling_sentence is None
    assert stored.breakdown == []
    assert (changes_of(booking)[-1].previous_on, changes_of(booking)[-1].new_on) == (
        dt.date(2026, 9, 2),
        None,
    )


def test_sentences_of_every_case_of_the_person_count_and_the_latest_controls(held, court):
    booking = held()
    sentence(booking, court, term=Term(years=1))
    later = sentence(booking, court, term=Term(years=2), imposed=dt.date(2026, 2, 1))

    stored = recompute(booking)

    assert stored.controlling_sentence == later
    assert len(stored.breakdown) == 2


def test_a_recompute_needs_a_court_release_or_rule_role_and_a_known_cause(
    held, court, officer, admin_user
):
    booking = held()
    sentence(booking, court)

    with pytest.raises(PermissionDenied) as refused:
        recompute(booking, officer)
    assert refused.value.code == "missing_role"
    with pytest.raises(ValidationFailed) as unknown:
        release_date_recompute(actor=None, booking=booking, cause="whim", cause_detail="")
    assert "cause" in unknown.value.extra["fields"]
    assert recompute(booking, admin_user).release_on == dt.date(2026, 9, 2)


def test_a_transfer_recomputes_at_the_receiving_facility_of_the_same_agency(
    held, court, other_site, court_clerk
):
    """The clerk holds no role at the receiving facility; the sentences follow the person."""
    booking = held(facility=other_site.facility)
    sentence(booking, court)

    stored = release_date_recompute(
        actor=court_clerk, booking=booking, cause="transfer", cause_detail="From TST"
    )

    assert stored.release_on == dt.date(2026, 9, 2)


def test_a_sentence_imposed_before_any_rule_version_is_refused_by_name(held, court):
    booking = held()
    sentence(booking, court, imposed=dt.date(1999, 12, 31))

    with pytest.raises(Conflict) as refused:
        recompute(booking)

    assert refused.value.code == "no_credit_rule"
    assert "imposed on 1999-12-31" in refused.value.message
    assert not ReleaseDate.objects.filter(booking=booking).exists()


def test_sentences_consecutive_to_each_other_in_a_circle_are_refused(held, court):
    booking = held()
    first = sentence(booking, court)
    second = sentence(booking, court, follows=first)
    Sentence.objects.filter(pk=first.pk).update(relation="consecutive", consecutive_to=second)

    with pytest.raises(Conflict) as refused:
        recompute(booking)

    assert refused.value.code == "release_date_not_computable"
    assert "circle" in refused.value.message


# --- A new credit rule version ----------------------------------------------------------------


def test_a_new_version_recomputes_every_affected_open_booking_and_lists_the_moves(
    held, court, admin_user, site, other_site
):
    since = held("Kakashi", "Hatake")
    sentence(since, court, imposed=dt.date(2026, 2, 1))
    before = held("Obito", "Uchiha")
    sentence(before, court, imposed=dt.date(2025, 12, 1))
    elsewhere = held("Rin", "Nohara", facility=other_site.facility)
    sentence(elsewhere, court, imposed=dt.date(2026, 3, 1))
    pretrial = held("Might", "Guy")
    for booking in (since, before, elsewhere):
        recompute(booking)

    result = credit_rule_add(
        actor=admin_user, facility=site.facility, jurisdiction=court.jurisdiction,
        applies_from=NEW_YEAR, good_time=(1, 2), source="State code 1.1 as amended 2026",
    )  # fmt: skip

    assert result.rule.version == 2
    moved = {change.booking: change for change in result.changes}
    # Sentences imposed since 1 January move to v2 (half off), wherever the person is held
    # in the agency; the one imposed in December keeps v1; nobody unsentenced is touched.
    assert set(moved) == {since, elsewhere}
    change = moved[since]
    assert (change.previous_on, change.new_on) == (dt.date(2026, 10, 3), dt.date(2026, 8, 3))
    assert (change.cause, change.cause_detail) == ("rule", "STATE v2 (applies from 2026-01-01)")
    assert change.computed_by == admin_user
    assert ReleaseDate.objects.get(booking=since).rule_versions == ["STATE v2"]
    kept = ReleaseDate.objects.get(booking=before)
    assert (kept.rule_versions, kept.computed_at) == (["STATE v1"], NOW)
    assert release_date_of(pretrial) is None
    [added] = events("credit_rule.add")
    assert added.changes["version"] == 2
    assert added.changes["dates_moved"] == 2
    assert len(events("release_date.compute")) == 3 + 2


def test_a_version_reaching_back_moves_sentences_imposed_since_its_date(held, court, commander):
    """docs/release-dates.md V7 and V8: the same sentence before and after STATE v2 is known."""
    CreditRule.objects.filter(pk=court.rule.pk).update(
        good_time_numerator=1, good_time_denominator=4, earned_days_per_month_cap=0
    )
    booking = held()
    sentence(booking, court, imposed=dt.date(2025, 9, 1))
    assert recompute(booking).release_on == dt.date(2026, 6, 2)

    result = credit_rule_add(
        actor=commander, facility=booking.facility, jurisdiction=court.jurisdiction,
        applies_from=dt.date(2025, 7, 1), good_time=(1, 3), excluded_severities=["felony"],
        source="State code 1.1 as amended",
    )  # fmt: skip

    [change] = result.changes
    assert (change.previous_on, change.new_on) == (dt.date(2026, 6, 2), dt.date(2026, 5, 3))


def test_a_closed_booking_is_not_recomputed(held, court, admin_user, site):
    booking = held()
    sentence(booking, court, imposed=dt.date(2026, 2, 1))
    recompute(booking)
    Booking.objects.filter(pk=booking.pk).update(
        status=BookingStatus.RELEASED, released_at=NOW, release_type="time_served"
    )

    result = credit_rule_add(
        actor=admin_user, facility=site.facility, jurisdiction=court.jurisdiction,
        applies_from=NEW_YEAR, good_time=(1, 2), source="Amended",
    )  # fmt: skip

    assert result.changes == []


def test_versions_are_numbered_in_turn_and_read_back_as_the_modules_data(court, admin_user, site):
    second = credit_rule_add(
        actor=admin_user, facility=site.facility, jurisdiction=court.jurisdiction,
        applies_from=NEW_YEAR, good_time=(1, 4), excluded_severities=["felony", "felony"],
        earned_days_per_month_cap=10, minimum_served_percent=85, source="Truth in sentencing",
    ).rule  # fmt: skip
    third = credit_rule_add(
        actor=admin_user, facility=site.facility, jurisdiction=court.jurisdiction,
        applies_from=NEW_YEAR, source="Correction",
    ).rule  # fmt: skip

    assert (second.version, third.version) == (2, 3)
    data = rule_as_data(second)
    assert (data.label, str(data.good_time), data.excluded_severities) == (
        "STATE v2",
        "1/4",
        frozenset({"felony"}),
    )
    assert (data.earned_days_per_month_cap, data.minimum_served_percent) == (10, 85)
    assert second.created_by == admin_user


def test_a_rule_version_names_every_bad_field(court, admin_user, site):
    with pytest.raises(ValidationFailed) as refused:
        credit_rule_add(
            actor=admin_user, facility=site.facility, jurisdiction=court.jurisdiction,
            applies_from=NEW_YEAR, good_time=(3, 3), excluded_severities=["treason"],
            earned_days_per_month_cap=31, minimum_served_percent=101, source=" ",
        )  # fmt: skip

    assert set(refused.value.extra["fields"]) == {
        "good_time",
        "excluded_severities",
        "earned_days_per_month_cap",
        "minimum_served_percent",
        "source",
    }
    assert CreditRule.objects.filter(jurisdiction=court.jurisdiction).count() == 1


def test_only_the_administrator_or_the_commander_adds_a_version(
    court, site, court_clerk, officer, outsider
):
    for who in (court_clerk, officer, outsider):
        with pytest.raises(PermissionDenied) as refused:
            credit_rule_add(
                actor=who, facility=site.facility, jurisdiction=court.jurisdiction,
                applies_from=NEW_YEAR, source="Not theirs",
            )  # fmt: skip
        assert refused.value.code == "missing_role"


# --- Jurisdictions and courts -----------------------------------------------------------------


def test_the_administrator_sets_up_a_jurisdiction_and_its_court(admin_user, site, clock):
    jurisdiction = jurisdiction_create(
        actor=admin_user, facility=site.facility, code=" fire ", name="Land of Fire"
    )
    court = court_create(
        actor=admin_user, facility=site.facility, code="hokage", name="Hokage's Court",
        jurisdiction=jurisdiction, location="Village hall",
    )  # fmt: skip

    assert (jurisdiction.code, jurisdiction.agency) == ("FIRE", site.agency)
    assert (court.code, court.jurisdiction, court.location) == (
        "HOKAGE",
        jurisdiction,
        "Village hall",
    )
    assert [e.changes["code"] for e in events("jurisdiction.create")] == ["FIRE"]
    assert [e.changes["jurisdiction"] for e in events("court.create")] == ["FIRE"]
    with pytest.raises(Conflict) as again:
        jurisdiction_create(actor=admin_user, facility=site.facility, code="FIRE", name="Again")
    assert again.value.code == "jurisdiction_exists"
    with pytest.raises(Conflict) as court_again:
        court_create(
            actor=admin_user, facility=site.facility, code="HOKAGE", name="Again",
            jurisdiction=jurisdiction,
        )  # fmt: skip
    assert court_again.value.code == "court_exists"


def test_a_court_cannot_apply_another_agencys_jurisdiction(admin_user, site, clock):
    sand = agency_create(actor=None, code="SAND", name="Hidden Sand")
    suna = facility_create(actor=None, agency=sand, code="SUNA", name="Suna Prison")
    theirs = jurisdiction_create(actor=None, facility=suna, code="WIND", name="Land of Wind")

    with pytest.raises(ValidationFailed) as refused:
        court_create(
            actor=admin_user, facility=site.facility, code="X", name="X", jurisdiction=theirs
        )

    assert set(refused.value.extra["fields"]) == {"jurisdiction"}
    with pytest.raises(PermissionDenied):
        jurisdiction_create(actor=admin_user, facility=suna, code="SAND", name="Not hers")


# --- Review -----------------------------------------------------------------------------------


def test_the_court_clerk_reviews_a_change_once(held, court, court_clerk, commander, site):
    booking = held()
    sentence(booking, court)
    recompute(booking)
    [change] = unreviewed_changes(site.facility)

    reviewed = release_date_change_review(
        actor=court_clerk, change=change, note="Checked against the judgment."
    )

    assert reviewed.reviewed_by == court_clerk
    assert reviewed.review_note == "Checked against the judgment."
    assert list(unreviewed_changes(site.facility)) == []
    with pytest.raises(Conflict) as again:
        release_date_change_review(actor=commander, change=change)
    assert again.value.code == "already_reviewed"
    assert "cal_court" in again.value.message
    [event] = events("release_date.review")
    assert event.actor == court_clerk
    assert event.object_id == str(change.public_id)
    assert event.changes["new_on"] == "2026-09-02"


def test_an_officer_cannot_review_a_change(held, court, officer):
    booking = held()
    sentence(booking, court)
    recompute(booking)

    with pytest.raises(PermissionDenied):
        release_date_change_review(actor=officer, change=changes_of(booking)[0])


# --- The API ----------------------------------------------------------------------------------


def test_the_release_date_answers_its_breakdown_versions_and_changes(
    held, court, client_for, officer
):
    booking = held()
    first = sentence(booking, court)
    sentence(booking, court, term=Term(months=6), follows=first)
    recompute(booking)

    answer = client_for(officer).get(f"{API}/bookings/{booking.booking_number}/release-date")

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["release_on"] == "2027-01-01"
    # Saturday 14 March 2026 to 1 January 2027.
    assert body["days_left"] == 293
    assert body["rule_versions"] == ["STATE v1"]
    assert [row["release_on"] for row in body["breakdown"]] == ["2026-09-02", "2027-01-01"]
    assert body["breakdown"][1]["lines"][-1] == "Release 2027-01-01."
    [change] = body["changes"]
    assert (change["previous_on"], change["new_on"], change["days"]) == (None, "2027-01-01", None)
    assert change["person"] == "Kakashi Hatake"


def test_a_booking_without_sentences_answers_no_date(held, court, client_for, court_clerk):
    booking = held()

    body = client_for(court_clerk).get(f"{API}/bookings/{booking.booking_number}/release-date")

    assert body.json()["release_on"] is None
    assert body.json()["breakdown"] == []


def test_the_release_date_is_read_in_the_same_queries_however_many_sentences(
    held, court, client_for, court_clerk, django_assert_num_queries
):
    one, many = held("Kakashi", "Hatake"), held("Obito", "Uchiha")
    sentence(one, court)
    recompute(one)
    previous = None
    for months in (3, 6, 9, 12):
        previous = sentence(many, court, term=Term(months=months), follows=previous)
        recompute(many)
    client = client_for(court_clerk)
    client.get(f"{API}/bookings/{one.booking_number}/release-date")  # the session, warmed up

    with CaptureQueriesContext(connection) as few:
        client.get(f"{API}/bookings/{one.booking_number}/release-date")
    with django_assert_num_queries(len(few.captured_queries)):
        answer = client.get(f"{API}/bookings/{many.booking_number}/release-date")

    assert len(answer.json()["changes"]) == 4
    assert len(few.captured_queries) <= 8


def test_another_facilitys_booking_is_not_found_and_the_administrator_sees_no_dates(
    held, court, client_for, outsider, admin_user
):
    booking = held()
    url = f"{API}/bookings/{booking.booking_number}/release-date"

    assert client_for(outsider).get(url).status_code == 404
    refused = client_for(admin_user).get(url)
    assert refused.status_code == 403
    assert refused.json()["code"] == "missing_role"


def test_changes_are_listed_unreviewed_then_reviewed_through_the_api(
    held, court, client_for, court_clerk, officer, site
):
    booking = held()
    sentence(booking, court)
    recompute(booking)
    clerk = client_for(court_clerk)

    listed = clerk.get(f"{API}/release-date-changes", {"facility": str(site.facility.public_id)})
    [change] = listed.json()
    refused = post(client_for(officer), f"{API}/release-date-changes/{change['id']}/review", {})
    reviewed = post(clerk, f"{API}/release-date-changes/{change['id']}/review", {"note": "OK"})
    again = post(clerk, f"{API}/release-date-changes/{change['id']}/review", {})

    assert change["new_on"] == "2026-09-02"
    assert change["booking_number"] == booking.booking_number
    assert refused.status_code == 403
    assert reviewed.status_code == 200, reviewed.content
    assert (reviewed.json()["reviewed_by"], reviewed.json()["review_note"]) == ("cal_court", "OK")
    assert again.status_code == 409
    assert again.json()["code"] == "already_reviewed"
    assert clerk.get(f"{API}/release-date-changes").json() == []
    [done] = clerk.get(f"{API}/release-date-changes", {"reviewed": "true"}).json()
    assert done["id"] == change["id"]


def test_another_facilitys_change_is_not_found(held, court, client_for, outsider):
    booking = held()
    sentence(booking, court)
    recompute(booking)
    [change] = changes_of(booking)

    answer = post(client_for(outsider), f"{API}/release-date-changes/{change.public_id}/review", {})

    assert answer.status_code == 404


def test_the_administrator_adds_a_version_through_the_api_and_sees_the_moves(
    held, court, client_for, admin_user, court_clerk
):
    booking = held()
    sentence(booking, court, imposed=dt.date(2026, 2, 1))
    recompute(booking)
    url = f"{API}/jurisdictions/{court.jurisdiction.public_id}/credit-rules"
    payload = {
        "applies_from": "2026-01-01", "good_time_numerator": 1, "good_time_denominator": 2,
        "excluded_severities": ["felony"], "source": "State code 1.1 as amended 2026",
    }  # fmt: skip

    refused = post(client_for(court_clerk), url, payload)
    added = post(client_for(admin_user), url, payload)

    assert refused.status_code == 403
    assert added.status_code == 201, added.content
    body = added.json()
    assert (body["rule"]["label"], body["rule"]["excluded_severities"]) == ("STATE v2", ["felony"])
    [change] = body["changes"]
    assert (change["previous_on"], change["new_on"], change["cause"]) == (
        "2026-10-03",
        "2026-08-03",
        "rule",
    )
    assert change["cause_detail"] == "STATE v2 (applies from 2026-01-01)"
    listed = client_for(court_clerk).get(url).json()
    assert [rule["version"] for rule in listed] == [2, 1]


def test_a_bad_version_is_a_400_naming_the_fields(court, client_for, admin_user):
    url = f"{API}/jurisdictions/{court.jurisdiction.public_id}/credit-rules"

    answer = post(
        client_for(admin_user), url,
        {"applies_from": "2026-01-01", "good_time_numerator": 2, "good_time_denominator": 2,
         "earned_days_per_month_cap": 40, "source": "Bad"},
    )  # fmt: skip

    assert answer.status_code == 400
    assert set(answer.json()["extra"]["fields"]) == {"good_time", "earned_days_per_month_cap"}


def test_jurisdictions_and_courts_are_read_by_court_staff_and_set_up_by_the_commander(
    court, client_for, commander, court_clerk, admin_user, officer
):
    made = post(client_for(commander), f"{API}/jurisdictions", {"code": "FIRE", "name": "Fire"})
    court_made = post(
        client_for(admin_user), f"{API}/courts",
        {"code": "HOKAGE", "name": "Hokage's Court", "jurisdiction": made.json()["id"],
         "location": "Village hall"},
    )  # fmt: skip
    duplicate = post(client_for(admin_user), f"{API}/courts", {
        "code": "hokage", "name": "Again", "jurisdiction": made.json()["id"]})  # fmt: skip
    refused = post(client_for(court_clerk), f"{API}/jurisdictions", {"code": "X", "name": "X"})

    assert made.status_code == 201, made.content
    assert court_made.status_code == 201, court_made.content
    assert duplicate.json()["code"] == "court_exists"
    assert refused.status_code == 403
    jurisdictions = client_for(court_clerk).get(f"{API}/jurisdictions").json()
    assert [(j["code"], len(j["rules"])) for j in jurisdictions] == [("FIRE", 0), ("STATE", 1)]
    courts = client_for(officer).get(f"{API}/courts").json()
    assert sorted(c["code"] for c in courts) == ["DIST", "HOKAGE"]
    assert client_for(admin_user).get(f"{API}/courts").status_code == 200


def test_a_court_under_an_unknown_jurisdiction_is_a_400_naming_it(court, client_for, admin_user):
    nowhere = "00000000-0000-0000-0000-000000000000"
    answer = post(
        client_for(admin_user), f"{API}/courts", {"code": "X", "name": "X", "jurisdiction": nowhere}
    )

    assert answer.status_code == 400
    assert set(answer.json()["extra"]["fields"]) == {"jurisdiction"}


def test_jurisdiction_queries_are_not_per_rule(court, client_for, court_clerk, admin_user, site):
    client = client_for(court_clerk)
    client.get(f"{API}/jurisdictions")
    with CaptureQueriesContext(connection) as one_version:
        client.get(f"{API}/jurisdictions")
    for year in (2020, 2021, 2022):
        credit_rule_add(
            actor=admin_user, facility=site.facility, jurisdiction=court.jurisdiction,
            applies_from=dt.date(year, 1, 1), source=f"Amended {year}",
        )  # fmt: skip
    jurisdiction_create(actor=admin_user, facility=site.facility, code="FIRE", name="Fire")

    with CaptureQueriesContext(connection) as four_versions:
        answer = client.get(f"{API}/jurisdictions")

    assert len(four_versions.captured_queries) == len(one_version.captured_queries)
    assert Jurisdiction.objects.count() == 2
    assert len(answer.json()[1]["rules"]) == 4


# --- A sentence and a rule version at the same moment -----------------------------------------


def _in_turn(first: Callable[[], object], second: Callable[[], object]) -> None:
    """``first`` does its work and holds its transaction open while ``second`` starts.

    ``second`` must wait for ``first`` to commit (it is still running half a second
    later), then finish on what ``first`` committed.
    """
    holding, go = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                first()
                holding.set()
                go.wait(timeout=30)
        except BaseException as error:
            errors.append(error)
            holding.set()
        finally:
            connection.close()

    def run() -> None:
        try:
            second()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    holder, runner = threading.Thread(target=hold), threading.Thread(target=run)
    holder.start()
    assert holding.wait(timeout=30)
    runner.start()
    runner.join(timeout=0.5)
    waited = runner.is_alive()
    go.set()
    holder.join(timeout=60)
    runner.join(timeout=60)
    assert not errors, errors
    assert waited, "the second writer did not wait for the first to commit"


def _sentence_and_recompute(booking: Booking, court: CourtSetup) -> Callable[[], object]:
    def work() -> object:
        with transaction.atomic():
            sentence(booking, court, imposed=dt.date(2026, 2, 1))
            return recompute(booking)

    return work


def _new_version(admin: User, site: SmallFacility, court: CourtSetup) -> Callable[[], object]:
    return lambda: credit_rule_add(
        actor=admin, facility=site.facility, jurisdiction=court.jurisdiction,
        applies_from=NEW_YEAR, good_time=(1, 2), source="Amended while the court sat",
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_sentence_recorded_while_a_version_is_added_is_computed_under_it(
    held, court, admin_user, site
):
    booking = held()

    _in_turn(_new_version(admin_user, site, court), _sentence_and_recompute(booking, court))

    stored = release_date_of(booking)
    assert stored is not None
    assert (stored.release_on, stored.rule_versions) == (dt.date(2026, 8, 3), ["STATE v2"])


@pytest.mark.django_db(transaction=True)
def test_a_version_added_while_a_sentence_is_recorded_recomputes_it(held, court, admin_user, site):
    booking = held()

    _in_turn(_sentence_and_recompute(booking, court), _new_version(admin_user, site, court))

    stored = release_date_of(booking)
    assert stored is not None
    assert (stored.release_on, stored.rule_versions) == (dt.date(2026, 8, 3), ["STATE v2"])
    moves = [(c.previous_on, c.new_on, c.cause) for c in changes_of(booking)]
    assert moves == [
        (None, dt.date(2026, 10, 3), "sentence"),
        (dt.date(2026, 10, 3), dt.date(2026, 8, 3), "rule"),
    ]
