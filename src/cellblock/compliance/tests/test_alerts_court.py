"""The release-date and court rules on the records, with time travel around each threshold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cellblock.booking.services import booking_transition
from cellblock.compliance import rules
from cellblock.compliance.selectors import alerts
from cellblock.compliance.services import compliance_sweep
from cellblock.core import clock as clock_module
from cellblock.court.models import HearingStatus, HoldKind
from cellblock.custody.tests.conftest import NOW
from cellblock.facilities.models import Facility
from cellblock.facilities.services import cell_create, facility_policy_update
from cellblock.release.models import ReleaseKind, ReleaseStatus

from .support import (
    case_of,
    count_on,
    date_moved,
    hearing_set,
    hold_placed,
    out,
    release_prepared,
    sentenced,
)

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
TODAY = NOW.date()
# The test jail keeps UTC: the day after TODAY starts at this midnight.
TOMORROW_MIDNIGHT = dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)


def found(site, rule: str, *, booking=None) -> list[rules.Alert]:
    return [a for a in alerts(site.facility, clock_module.now(), booking=booking) if a.rule == rule]


def released(booking, actor, release_type: str = "time_served") -> None:
    booking_transition(actor=None, booking=booking, to="in_custody")
    booking_transition(actor=actor, booking=booking, to="released", release_type=release_type)


def names(alert: rules.Alert) -> dict[str, tuple[str, ...]]:
    return {who.role: who.names for who in alert.responsible}


# --- Held past the release date ----------------------------------------------------------


@pytest.mark.parametrize(("offset", "days"), [(-MINUTE, None), (dt.timedelta(0), 1), (MINUTE, 1)])
def test_a_person_still_held_the_day_after_their_release_date_is_a_breach_for_the_commander(
    site, hold, clock, commander, offset, days
):
    kakashi = hold("Hatake")
    sentenced(kakashi, release_on=TODAY)
    clock.move_to(TOMORROW_MIDNIGHT + offset)
    hits = found(site, rules.RELEASE_OVERDUE)
    assert [a.number for a in hits] == ([days] if days else [])
    if days:
        alert = hits[0]
        assert (alert.severity, alert.since, alert.booking) == (
            rules.BREACH, TOMORROW_MIDNIGHT, kakashi.booking_number
        )  # fmt: skip
        assert names(alert) == {rules.COMMANDER: ("Cara Commander",)}
        assert f"due for release on {TODAY.isoformat()}" in alert.message
        assert alert.limit_text == "none allowed"


def test_the_days_past_grow_each_local_midnight(site, hold, clock):
    sentenced(hold("Hatake"), release_on=TODAY - dt.timedelta(days=3))
    assert [a.number for a in found(site, rules.RELEASE_OVERDUE)] == [3]
    clock.move_to(TOMORROW_MIDNIGHT + dt.timedelta(days=2))
    assert [a.figure for a in found(site, rules.RELEASE_OVERDUE)] == ["6 days"]


def test_the_release_day_is_the_facilitys_local_day(site, hold, clock):
    # Tokyo is nine hours ahead: the 14th ends there at 15:00 UTC.
    Facility.objects.filter(pk=site.facility.pk).update(timezone="Asia/Tokyo")
    site.facility.refresh_from_db()
    sentenced(hold("Hatake"), release_on=TODAY)
    tokyo_midnight = dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC)
    clock.move_to(tokyo_midnight - MINUTE)
    assert found(site, rules.RELEASE_OVERDUE) == []
    clock.move_to(tokyo_midnight)
    assert [a.since for a in found(site, rules.RELEASE_OVERDUE)] == [tokyo_midnight]


@pytest.mark.parametrize("holding", ["hold", "pending_charge", "away"])
def test_a_hold_another_case_or_a_temporary_absence_keep_the_date_from_being_overdue(
    site, hold, clock, holding
):
    kakashi = hold("Hatake")
    sentenced(kakashi, release_on=TODAY - dt.timedelta(days=2))
    if holding == "hold":
        hold_placed(kakashi, kind=HoldKind.DETAINER)
    elif holding == "pending_charge":
        count_on(case_of(kakashi, docket="DK-OTHER"))
    else:
        release_prepared(kakashi, kind=ReleaseKind.FURLOUGH, status=ReleaseStatus.AWAY)
    assert found(site, rules.RELEASE_OVERDUE) == []


def test_lifting_the_last_hold_makes_the_overdue_show(site, hold, clock):
    kakashi = hold("Hatake")
    sentenced(kakashi, release_on=TODAY - dt.timedelta(days=2))
    warrant = hold_placed(kakashi)
    assert found(site, rules.RELEASE_OVERDUE) == []
    warrant.lifted_at = NOW
    warrant.save(update_fields=["lifted_at"])
    assert [a.number for a in found(site, rules.RELEASE_OVERDUE)] == [2]


def test_a_verdict_on_the_other_case_ends_what_held_them(site, hold, clock):
    kakashi = hold("Hatake")
    sentenced(kakashi, release_on=TODAY - dt.timedelta(days=1))
    other = count_on(case_of(kakashi, docket="DK-OTHER"))
    assert found(site, rules.RELEASE_OVERDUE) == []
    other.verdict, other.verdict_at = "not_guilty", NOW
    other.save(update_fields=["verdict", "verdict_at"])
    assert len(found(site, rules.RELEASE_OVERDUE)) == 1


def test_a_person_released_is_no_longer_held_past_their_date(site, hold, clock, supervisor):
    kakashi = hold("Hatake")
    sentenced(kakashi, release_on=TODAY - dt.timedelta(days=1))
    assert len(found(site, rules.RELEASE_OVERDUE)) == 1
    released(kakashi, supervisor)
    assert found(site, rules.RELEASE_OVERDUE) == []


def test_someone_without_a_release_date_is_never_overdue(site, hold, clock):
    kakashi = hold("Hatake")
    sentenced(kakashi, release_on=TODAY - dt.timedelta(days=1))
    kakashi.release_date.release_on = None
    kakashi.release_date.save(update_fields=["release_on"])
    hold("Uchiha", given_name="Itachi")
    assert found(site, rules.RELEASE_OVERDUE) == []


# --- A release prepared before its date ---------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "days"), [(-MINUTE, 1), (dt.timedelta(0), None), (MINUTE, None)]
)
def test_a_time_served_release_prepared_before_the_date_warns_until_the_date_comes(
    site, hold, clock, commander, court_clerk, offset, days
):
    release_on = TODAY + dt.timedelta(days=2)
    kakashi = hold("Hatake")
    sentenced(kakashi, release_on=release_on)
    release = release_prepared(kakashi)
    hits = found(site, rules.RELEASE_EARLY)
    assert [(a.number, a.severity, a.since) for a in hits] == [(2, rules.WARNING, NOW)]
    assert names(hits[0]) == {rules.COMMANDER: ("Cara Commander",), rules.COURT: ("Cal Court",)}
    assert hits[0].subject == f"release_early:{kakashi.booking_number}:{release.public_id}"
    assert "2 days before the release date" in hits[0].message
    on_the_day = dt.datetime.combine(release_on, dt.time(0), tzinfo=dt.UTC)
    clock.move_to(on_the_day + offset)
    assert [a.number for a in found(site, rules.RELEASE_EARLY)] == ([days] if days else [])
    # On the day it is neither early nor overdue.
    assert found(site, rules.RELEASE_OVERDUE) == []


def test_other_kinds_of_release_and_cancelled_ones_are_not_early(site, hold, clock):
    kakashi = hold("Hatake")
    sentenced(kakashi, release_on=TODAY + dt.timedelta(days=10))
    release_prepared(kakashi, kind=ReleaseKind.BAIL)
    itachi = hold("Uchiha", given_name="Itachi")
    sentenced(itachi, release_on=TODAY + dt.timedelta(days=10))
    release_prepared(itachi, status=ReleaseStatus.CANCELLED)
    assert found(site, rules.RELEASE_EARLY) == []


# --- A release date changed, not reviewed --------------------------------------------------


@pytest.mark.parametrize(("offset", "days"), [(-MINUTE, 0), (dt.timedelta(0), 1), (MINUTE, 1)])
def test_an_unreviewed_date_change_warns_the_court_and_commander_counting_whole_days(
    site, hold, clock, commander, court_clerk, offset, days
):
    kakashi = hold("Hatake")
    sentenced(kakashi, release_on=TODAY + dt.timedelta(days=20))
    change = date_moved(
        kakashi, previous_on=TODAY + dt.timedelta(days=30), new_on=TODAY + dt.timedelta(days=20)
    )
    clock.move_to(NOW + dt.timedelta(days=1) + offset)
    [alert] = found(site, rules.RELEASE_DATE_UNREVIEWED)
    assert (alert.number, alert.severity, alert.since) == (days, rules.WARNING, NOW)
    assert names(alert) == {rules.COURT: ("Cal Court",), rules.COMMANDER: ("Cara Commander",)}
    assert "moved from 2026-04-13 to 2026-04-03 (credit: 10 days earned" in alert.message
    change.reviewed_at, change.reviewed_by = clock_module.now(), court_clerk
    change.save(update_fields=["reviewed_at", "reviewed_by"])
    assert found(site, rules.RELEASE_DATE_UNREVIEWED) == []


def test_each_unreviewed_change_is_its_own_warning(site, hold, clock):
    kakashi = hold("Hatake")
    date_moved(kakashi, previous_on=None, new_on=TODAY + dt.timedelta(days=30), cause="verdict",
               detail="DK-1 count 1 guilty")  # fmt: skip
    clock.move_to(NOW + dt.timedelta(hours=2))
    date_moved(kakashi, previous_on=TODAY + dt.timedelta(days=30), new_on=None, cause="sentence",
               detail="sentence vacated")  # fmt: skip
    hits = found(site, rules.RELEASE_DATE_UNREVIEWED)
    assert len(hits) == 2
    assert "moved from no date to 2026-04-13" in hits[0].message
    assert "moved from 2026-04-13 to no date" in hits[1].message


# --- A missed production to court ------------------------------------------------------------


@pytest.mark.parametrize(("offset", "minutes"), [(-MINUTE, None), (dt.timedelta(0), 30),
                                                 (MINUTE, 31)])  # fmt: skip
def test_a_hearing_nobody_was_produced_for_is_missed_thirty_minutes_after_its_time(
    site, hold, clock, supervisor, commander, offset, minutes
):
    kakashi = hold("Hatake")
    hearing_set(kakashi, at=NOW)
    clock.move_to(NOW + dt.timedelta(minutes=30) + offset)
    hits = found(site, rules.COURT_PRODUCTION_MISSED)
    assert [a.number for a in hits] == ([minutes] if minutes else [])
    if minutes:
        alert = hits[0]
        assert (alert.severity, alert.since, alert.limit) == (
            rules.BREACH, NOW + dt.timedelta(minutes=30), 30
        )  # fmt: skip
        assert names(alert) == {
            rules.SUPERVISOR: ("Sam Supervisor",), rules.COMMANDER: ("Cara Commander",)
        }  # fmt: skip
        assert "for the trial at District Court (DK-1) set for 2026-03-14 12:00" in alert.message


def test_the_production_grace_is_the_facilitys_policy(site, hold, clock):
    facility_policy_update(actor=None, facility=site.facility, court_production_grace_minutes=45)
    hearing_set(hold("Hatake"), at=NOW)
    clock.move_to(NOW + dt.timedelta(minutes=44))
    assert found(site, rules.COURT_PRODUCTION_MISSED) == []
    clock.move_to(NOW + dt.timedelta(minutes=45))
    assert [a.limit for a in found(site, rules.COURT_PRODUCTION_MISSED)] == [45]


def test_producing_the_person_clears_the_missed_production(site, hold, clock, officer):
    kakashi = hold("Hatake")
    hearing = hearing_set(kakashi, at=NOW)
    clock.move_to(NOW + dt.timedelta(hours=1))
    assert len(found(site, rules.COURT_PRODUCTION_MISSED)) == 1
    hearing.production = out(kakashi, "court", clock_module.now(), escort=officer)
    hearing.save(update_fields=["production"])
    assert found(site, rules.COURT_PRODUCTION_MISSED) == []


@pytest.mark.parametrize("status", [HearingStatus.HELD, HearingStatus.CANCELLED,
                                    HearingStatus.ADJOURNED])  # fmt: skip
def test_a_concluded_or_cancelled_hearing_needs_no_production(site, hold, clock, status):
    hearing = hearing_set(hold("Hatake"), at=NOW)
    clock.move_to(NOW + dt.timedelta(hours=1))
    hearing.status, hearing.concluded_at = status, clock_module.now()
    hearing.save(update_fields=["status", "concluded_at"])
    assert found(site, rules.COURT_PRODUCTION_MISSED) == []


def test_a_hearing_of_someone_no_longer_held_here_is_not_a_missed_production(
    site, hold, clock, supervisor
):
    kakashi = hold("Hatake")
    hearing_set(kakashi, at=NOW)
    released(kakashi, supervisor, "bail")
    clock.move_to(NOW + dt.timedelta(hours=1))
    assert found(site, rules.COURT_PRODUCTION_MISSED) == []


# --- Through the API, the board, the dashboard and the report --------------------------------


def test_the_commander_sees_the_early_then_the_overdue_release_through_the_api_and_pages(
    site, hold, clock, commander, court_clerk, client_for
):
    kakashi = hold("Hatake")
    sentenced(kakashi, release_on=TODAY + dt.timedelta(days=1))
    release_prepared(kakashi)
    query = {"facility": site.facility.public_id}

    def listed(rule: str) -> list[dict]:
        # Signed in afresh at each time: a session does not outlive a day away.
        return client_for(commander).get("/api/compliance/alerts", {**query, "rule": rule}).json()

    [early] = listed(rules.RELEASE_EARLY)
    assert (early["severity"], early["figure"], early["booking"]) == (
        "warning", "1 day", kakashi.booking_number
    )  # fmt: skip
    assert [who["names"] for who in early["responsible"]] == [["Cara Commander"], ["Cal Court"]]
    assert listed(rules.RELEASE_OVERDUE) == []
    # The court clerk sees it on the board too.
    board = client_for(court_clerk).get("/compliance/", {"rule": rules.RELEASE_EARLY})
    assert "Release prepared before its date" in board.content.decode()
    # Two days on, the release has not happened: on the due day nothing, then overdue.
    clock.move_to(dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC))
    assert listed(rules.RELEASE_EARLY) == listed(rules.RELEASE_OVERDUE) == []
    clock.move_to(dt.datetime.combine(TODAY + dt.timedelta(days=2), dt.time(0), tzinfo=dt.UTC))
    [overdue] = listed(rules.RELEASE_OVERDUE)
    assert (overdue["severity"], overdue["figure"], overdue["limit"]) == ("breach", "1 day", 0)
    assert overdue["source"] == "sentence computation (docs/release-dates.md)"
    compliance_sweep(actor=None, facility=site.facility)
    api = client_for(commander)
    dashboard = api.get("/").content.decode()
    assert 'data-rule="release_overdue"' in dashboard
    report = api.get("/compliance/report").content.decode()
    assert "Held past the release date" in report
    profile = api.get(f"/bookings/{kakashi.booking_number}/").content.decode()
    assert 'data-rule="release_overdue"' in profile[profile.index('data-section="alerts"') :]


# --- One person, the sweep, and the cost --------------------------------------------------------


def test_one_persons_alerts_include_their_release_and_court_alerts_only(site, hold, clock):
    kakashi, itachi = hold("Hatake"), hold("Uchiha", given_name="Itachi")
    for booking in (kakashi, itachi):
        sentenced(booking, release_on=TODAY - dt.timedelta(days=1))
    hearing_set(itachi, at=NOW - dt.timedelta(hours=1))
    mine = alerts(site.facility, NOW, booking=kakashi)
    assert {(a.rule, a.booking) for a in mine if a.rule.startswith(("release", "court"))} == {
        (rules.RELEASE_OVERDUE, kakashi.booking_number)
    }  # fmt: skip


def test_the_sweep_opens_an_overdue_episode_and_closes_it_on_release(site, hold, clock, supervisor):
    kakashi = hold("Hatake")
    sentenced(kakashi, release_on=TODAY)
    clock.move_to(TOMORROW_MIDNIGHT + dt.timedelta(hours=8))
    result = compliance_sweep(actor=supervisor, facility=site.facility)
    assert f"release_overdue:{kakashi.booking_number}" in result.opened
    clock.shift(dt.timedelta(hours=1))
    released(kakashi, supervisor)
    result = compliance_sweep(actor=supervisor, facility=site.facility)
    assert f"release_overdue:{kakashi.booking_number}" in result.cleared


def test_release_and_court_facts_cost_three_queries_for_one_person_or_many(
    site, hold, clock, django_assert_num_queries
):
    clock.move_to(NOW - dt.timedelta(days=2))
    site.cells.append(cell_create(actor=None, unit=site.unit, code="A1-9", beds=20))
    people = [hold(f"Extra{n}", given_name="Genin") for n in range(6)]
    clock.move_to(NOW)
    sentenced(people[0], release_on=TODAY - dt.timedelta(days=1))
    date_moved(people[0], previous_on=TODAY, new_on=TODAY - dt.timedelta(days=1))
    hearing_set(people[0], at=NOW - dt.timedelta(hours=1), docket="DK-0")
    with CaptureQueriesContext(connection) as one:
        alerts(site.facility, NOW)
    # One query each reads the release dates (with holds, other cases, absences and a release
    # in preparation as subqueries), the unreviewed changes and the hearings due.
    court_reads = [
        q["sql"] for q in one.captured_queries
        if 'FROM "court_' in q["sql"] or 'FROM "release_' in q["sql"]
    ]  # fmt: skip
    assert len(court_reads) == 3
    for n, person in enumerate(people[1:], start=1):
        sentenced(person, release_on=TODAY + dt.timedelta(days=n - 3))
        if n % 2:
            hold_placed(person)
        else:
            release_prepared(person)
        date_moved(person, previous_on=TODAY, new_on=TODAY + dt.timedelta(days=n))
        hearing_set(person, at=NOW - dt.timedelta(hours=n), docket=f"DK-{n}")
    with django_assert_num_queries(len(one.captured_queries)):
        found_now = alerts(site.facility, NOW)
    by_rule = {rule: [a for a in found_now if a.rule == rule] for rule in (
        rules.RELEASE_OVERDUE, rules.RELEASE_EARLY, rules.RELEASE_DATE_UNREVIEWED,
        rules.COURT_PRODUCTION_MISSED,
    )}  # fmt: skip
    # Everyone has a hearing on an open case (a pending charge): nobody is overdue.
    assert by_rule[rules.RELEASE_OVERDUE] == []
    assert len(by_rule[rules.RELEASE_DATE_UNREVIEWED]) == 6
    assert len(by_rule[rules.COURT_PRODUCTION_MISSED]) == 6
    # Prepared for n = 2 (due yesterday: late, not early) and n = 4 (due tomorrow: early).
    assert [a.number for a in by_rule[rules.RELEASE_EARLY]] == [1]
