"""Each rule on the records, with time travel: one minute before, at and after its threshold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cellblock.classification.models import Flag, FlagKind, ObservationLevel
from cellblock.compliance import rules
from cellblock.compliance.selectors import alerts
from cellblock.core import clock as clock_module
from cellblock.core.roles import Role
from cellblock.custody.models import (
    CountMethod,
    Destination,
    FormalCount,
    MealOutcome,
    MealRecord,
    PostAssignment,
    Restraint,
    RestraintCheck,
)
from cellblock.custody.tests.conftest import NOW
from cellblock.facilities.models import FeatureStatus
from cellblock.facilities.services import cell_create, cell_feature_set
from cellblock.housing.models import HousingReview
from cellblock.incidents.models import Incident, IncidentKind, IncidentOrigin
from cellblock.requests.models import RequestStatus
from cellblock.visits.models import VisitStatus

from .support import out, put_in_isolation, request_filed, restrain, seen, visit_room, visiting

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
MIDNIGHT = NOW.replace(hour=0)
CHILD = dt.date(2015, 10, 10)
BEFORE_AT_AFTER = [(-MINUTE, False), (dt.timedelta(0), True), (MINUTE, True)]
STRICTLY_AFTER = [(-MINUTE, False), (dt.timedelta(0), False), (MINUTE, True)]


def found(site, rule: str, *, booking=None) -> list[rules.Alert]:
    return [a for a in alerts(site.facility, clock_module.now(), booking=booking) if a.rule == rule]


def booked_at(clock, hold, when: dt.datetime, *args, **kwargs):
    clock.move_to(when)
    booking = hold(*args, **kwargs)
    return booking


# --- 1. Juvenile in an adult facility ------------------------------------------------


@pytest.mark.parametrize(("offset", "alerted"), STRICTLY_AFTER)
def test_a_child_is_held_in_an_adult_facility_past_six_hours(site, hold, clock, offset, alerted):
    child = hold("Uzumaki", given_name="Boruto", born=CHILD, housed=False)
    clock.move_to(NOW + dt.timedelta(hours=6) + offset)
    hits = found(site, rules.JUVENILE_IN_ADULT_FACILITY)
    assert bool(hits) is alerted
    if alerted:
        assert hits[0].booking == child.booking_number
        assert hits[0].since == NOW + dt.timedelta(hours=6)


# --- 2, 3. Solitary ----------------------------------------------------------------------


@pytest.mark.parametrize(("offset", "alerted"), BEFORE_AT_AFTER)
def test_a_child_alone_in_cell_for_22_hours_is_in_solitary(site, hold, clock, offset, alerted):
    booked_at(clock, hold, MIDNIGHT, "Uzumaki", given_name="Boruto", born=CHILD, housed=False)
    clock.move_to(MIDNIGHT + dt.timedelta(hours=22) + offset)
    hits = found(site, rules.CHILD_IN_SOLITARY)
    assert bool(hits) is alerted
    if alerted:
        assert (hits[0].number, hits[0].since) == (1, MIDNIGHT)


@pytest.mark.parametrize(
    ("days_back", "offset", "severity"),
    [
        (11, -MINUTE, None), (11, dt.timedelta(0), rules.WARNING), (11, MINUTE, rules.WARNING),
        (15, -MINUTE, rules.WARNING), (15, dt.timedelta(0), rules.BREACH),
        (15, MINUTE, rules.BREACH),
    ],
)  # fmt: skip
def test_prolonged_solitary_warns_on_day_12_and_breaches_on_day_16(
    site, hold, clock, days_back, offset, severity
):
    first_day = MIDNIGHT - dt.timedelta(days=days_back)
    booked_at(clock, hold, first_day, "Hatake", housed=False)
    clock.move_to(MIDNIGHT + dt.timedelta(hours=22) + offset)
    hits = found(site, rules.PROLONGED_SOLITARY)
    assert [a.severity for a in hits] == ([severity] if severity else [])


def test_a_visit_breaks_the_solitary_streak(site, hold, clock, officer):
    kakashi = booked_at(clock, hold, MIDNIGHT - dt.timedelta(days=20), "Hatake", housed=False)
    clock.move_to(NOW)
    assert found(site, rules.PROLONGED_SOLITARY)[0].number == 20
    out(kakashi, Destination.VISIT_ROOM, NOW - dt.timedelta(days=5, hours=1),
        NOW - dt.timedelta(days=5))  # fmt: skip
    assert found(site, rules.PROLONGED_SOLITARY) == []
    assert found(site, rules.NO_VISITS) == []


def test_two_people_sharing_a_cell_are_not_in_solitary_but_one_alone_is(site, hold, clock):
    first_day = MIDNIGHT - dt.timedelta(days=20)
    cell, other_cell = site.cells
    beds = list(cell.beds.order_by("code"))
    clock.move_to(first_day)
    hold("Hatake", bed=beds[0])
    hold("Uchiha", given_name="Sasuke", bed=beds[1])
    alone = hold("Uzumaki", given_name="Naruto", bed=other_cell.beds.order_by("code").first())
    clock.move_to(NOW)
    hits = found(site, rules.PROLONGED_SOLITARY)
    assert [a.booking for a in hits] == [alone.booking_number]


# --- 4. Dark cell --------------------------------------------------------------------------


def test_a_person_housed_where_the_light_is_broken_is_a_breach_until_it_works(
    site, hold, clock, supervisor
):
    cell = site.cells[0]
    cell_feature_set(
        actor=None, cell=cell, tag="lighting", status=FeatureStatus.COMPROMISED, note="bulb out"
    )
    kakashi = hold("Hatake", bed=cell.beds.get(code="B1"))
    hits = found(site, rules.DARK_CELL)
    assert [(a.booking, a.since, a.place) for a in hits] == [
        (kakashi.booking_number, NOW, "A1 / A1-1")
    ]
    cell_feature_set(actor=supervisor, cell=cell, tag="lighting", status=FeatureStatus.WORKING)
    assert found(site, rules.DARK_CELL) == []


# --- 5, 6, 7. Restraints ----------------------------------------------------------------------


@pytest.mark.parametrize(("offset", "alerted"), STRICTLY_AFTER)
def test_restraint_checks_are_overdue_after_15_minutes(site, hold, clock, officer, offset, alerted):
    kakashi = hold("Hatake")
    chains = restrain(kakashi, at=NOW, by=officer)
    RestraintCheck.objects.create(
        restraint=chains, checked_at=NOW + dt.timedelta(minutes=10), checked_by=officer
    )
    clock.move_to(NOW + dt.timedelta(minutes=25) + offset)
    hits = found(site, rules.RESTRAINT_CHECKS_OVERDUE)
    assert bool(hits) is alerted
    if alerted:
        assert hits[0].since == NOW + dt.timedelta(minutes=25)


@pytest.mark.parametrize(("offset", "alerted"), STRICTLY_AFTER)
def test_a_restraint_past_two_hours_without_both_approvals_is_a_breach(
    site, hold, clock, officer, supervisor, offset, alerted
):
    kakashi = hold("Hatake")
    chains = restrain(kakashi, at=NOW, by=officer)
    clock.move_to(NOW + dt.timedelta(hours=2) + offset)
    assert bool(found(site, rules.RESTRAINT_OVER_LIMIT)) is alerted
    Restraint.objects.filter(pk=chains.pk).update(
        extension_supervisor=supervisor, extension_supervisor_at=NOW
    )
    assert bool(found(site, rules.RESTRAINT_OVER_LIMIT)) is alerted


def test_both_approvals_allow_a_restraint_past_two_hours(
    site, hold, clock, officer, supervisor, medic
):
    chains = restrain(hold("Hatake"), at=NOW, by=officer)
    Restraint.objects.filter(pk=chains.pk).update(
        extension_supervisor=supervisor, extension_supervisor_at=NOW, extension_medic=medic,
        extension_medic_at=NOW,
    )  # fmt: skip
    clock.move_to(NOW + dt.timedelta(hours=5))
    assert found(site, rules.RESTRAINT_OVER_LIMIT) == []


def test_a_removal_without_authority_alerts_the_supervisor_until_reviewed(
    site, hold, clock, officer, medic, supervisor
):
    bindings = restrain(
        hold("Uchiha", given_name="Sasuke"), at=NOW, by=officer, kind="wrist_bindings"
    )
    removed = NOW + dt.timedelta(minutes=10)
    Restraint.objects.filter(pk=bindings.pk).update(removed_at=removed, removed_by=medic)
    clock.move_to(removed + MINUTE)
    hits = found(site, rules.RESTRAINT_REMOVED_WITHOUT_AUTHORITY)
    assert [(a.since, [r.names for r in a.responsible]) for a in hits] == [
        (removed, [("Sam Supervisor",)])
    ]
    assert found(site, rules.RESTRAINT_CHECKS_OVERDUE) == []
    Restraint.objects.filter(pk=bindings.pk).update(
        removal_reviewed_by=supervisor, removal_reviewed_at=removed + MINUTE
    )
    assert found(site, rules.RESTRAINT_REMOVED_WITHOUT_AUTHORITY) == []


# --- 8, 9. Observation ----------------------------------------------------------------------


@pytest.mark.parametrize(("offset", "alerted"), STRICTLY_AFTER)
def test_a_general_population_check_is_overdue_after_an_hour(site, hold, clock, offset, alerted):
    hold("Hatake")
    clock.move_to(NOW + dt.timedelta(hours=1) + offset)
    hits = found(site, rules.OBSERVATION_OVERDUE)
    assert bool(hits) is alerted
    if alerted:
        assert (hits[0].limit, hits[0].since) == (60, NOW + dt.timedelta(hours=1))


def test_a_check_or_a_return_restarts_the_observation_clock(site, hold, clock, officer):
    kakashi = hold("Hatake")
    seen(kakashi, NOW + dt.timedelta(minutes=50), officer)
    clock.move_to(NOW + dt.timedelta(minutes=110))
    assert found(site, rules.OBSERVATION_OVERDUE) == []
    clock.move_to(NOW + dt.timedelta(minutes=111))
    assert found(site, rules.OBSERVATION_OVERDUE)[0].number == 61
    # Out to the yard, nobody can look at him; back, the clock starts again.
    yard = out(kakashi, Destination.EXERCISE_YARD, NOW + dt.timedelta(minutes=111))
    assert found(site, rules.OBSERVATION_OVERDUE) == []
    yard.returned_at = NOW + dt.timedelta(minutes=171)
    yard.save(update_fields=["returned_at"])
    clock.move_to(NOW + dt.timedelta(minutes=231))
    assert found(site, rules.OBSERVATION_OVERDUE) == []


@pytest.mark.parametrize(("offset", "alerted"), STRICTLY_AFTER)
def test_restrictive_housing_is_watched_every_30_minutes(
    site, hold, isolation, clock, offset, alerted
):
    kakashi = hold("Hatake", housed=False)
    put_in_isolation(kakashi, isolation)
    clock.move_to(NOW + dt.timedelta(minutes=30) + offset)
    assert bool(found(site, rules.OBSERVATION_OVERDUE)) is alerted


@pytest.mark.parametrize(
    ("gaps", "alerted"),
    [((12, 12, 12, 12), True), ((12, 12, 12, 13), True), ((12, 12, 12, 14), False)],
)
def test_suicide_watch_checks_at_fixed_intervals_are_flagged(
    site, hold, clock, officer, gaps, alerted
):
    sasuke = hold("Uchiha", given_name="Sasuke")
    Flag.objects.create(
        booking=sasuke, kind=FlagKind.SUICIDE_RISK, detail=ObservationLevel.SUICIDE_WATCH,
        reason="said so", set_at=NOW,
    )  # fmt: skip
    at = NOW
    seen(sasuke, at, officer)
    for gap in gaps:
        at += dt.timedelta(minutes=gap)
        seen(sasuke, at, officer)
    clock.move_to(at + MINUTE)
    hits = found(site, rules.OBSERVATION_FIXED_PATTERN)
    assert bool(hits) is alerted
    if alerted:
        assert (hits[0].severity, hits[0].since) == (rules.WARNING, NOW)


# --- 10, 11. Exercise and visits -------------------------------------------------------------


@pytest.mark.parametrize(("offset", "days"), [(-MINUTE, 0), (dt.timedelta(0), 1), (MINUTE, 1)])
def test_a_whole_day_without_an_hour_of_exercise_counts_once_it_is_over(
    site, hold, clock, offset, days
):
    booked_at(clock, hold, NOW - dt.timedelta(days=1), "Hatake")
    clock.move_to(MIDNIGHT + dt.timedelta(days=1) + offset)
    hits = found(site, rules.EXERCISE_MISSED)
    assert [a.number for a in hits] == ([days] if days else [])


def test_an_hour_in_the_yard_keeps_the_day(site, hold, clock):
    kakashi = booked_at(clock, hold, NOW - dt.timedelta(days=1), "Hatake")
    out(kakashi, Destination.EXERCISE_YARD, NOW, NOW + dt.timedelta(minutes=60))
    clock.move_to(MIDNIGHT + dt.timedelta(days=1, minutes=1))
    assert found(site, rules.EXERCISE_MISSED) == []


@pytest.mark.parametrize(("offset", "alerted"), BEFORE_AT_AFTER)
def test_thirty_days_without_a_visit_alert(site, hold, clock, offset, alerted):
    kakashi = hold("Hatake")
    out(kakashi, Destination.VISIT_ROOM, NOW, NOW + dt.timedelta(minutes=20))
    clock.move_to(NOW + dt.timedelta(days=30) + offset)
    hits = found(site, rules.NO_VISITS)
    assert bool(hits) is alerted
    if alerted:
        # Thirty days alone in a cell: solitary as well, so a breach.
        assert (hits[0].number, hits[0].severity) == (30, rules.BREACH)


# --- 12. Movements --------------------------------------------------------------------------


@pytest.mark.parametrize(("offset", "alerted"), BEFORE_AT_AFTER)
def test_a_return_is_overdue_from_the_end_of_the_grace(site, hold, clock, officer, offset, alerted):
    kakashi = hold("Hatake")
    out(kakashi, Destination.COURT, NOW, expected=NOW + dt.timedelta(hours=1), escort=officer)
    clock.move_to(NOW + dt.timedelta(hours=1, minutes=15) + offset)
    hits = found(site, rules.MOVEMENT_OVERDUE)
    assert bool(hits) is alerted
    if alerted:
        assert hits[0].responsible[0].names == ("Olly Officer",)
        assert hits[0].message.startswith("Kakashi Hatake is 1")


# --- 13, 14. Counts and posts ---------------------------------------------------------------


@pytest.mark.parametrize(("offset", "alerted"), BEFORE_AT_AFTER)
def test_the_morning_count_is_missed_thirty_minutes_after_its_time(site, clock, offset, alerted):
    clock.move_to(NOW.replace(hour=6, minute=30) + offset)
    hits = found(site, rules.FORMAL_COUNT_MISSED)
    assert [a.place for a in hits] == (["TST count 06:00"] if alerted else [])


def test_a_count_started_for_its_time_answers_it(site, clock, supervisor):
    FormalCount.objects.create(
        facility=site.facility, method=CountMethod.HEAD, scheduled_for=NOW.replace(hour=6),
        started_at=NOW.replace(hour=6, minute=50), started_by=supervisor,
    )  # fmt: skip
    assert found(site, rules.FORMAL_COUNT_MISSED) == []


def test_a_post_short_of_officers_is_a_breach_and_names_who_is_on_duty(
    site, hold, clock, gate_post, staff_factory, isolation, supervisor
):
    hiroki = staff_factory("hiroki", Role.OFFICER)
    PostAssignment.objects.create(
        post=gate_post, officer=hiroki, shift_date=NOW.date(), shift=0, assigned_at=NOW
    )
    hits = found(site, rules.POST_SHORT)
    assert [(a.place, a.number, a.limit) for a in hits] == [("Lower level gate", 1, 2)]
    # The officer on the post covering the lower level must act on its people.
    kakashi = hold("Hatake", housed=False)
    put_in_isolation(kakashi, isolation)
    clock.move_to(NOW + dt.timedelta(minutes=31))
    overdue = found(site, rules.OBSERVATION_OVERDUE)[0]
    assert overdue.responsible[0] == rules.Responsible(rules.OFFICERS_ON_DUTY, ("Hiroki",))
    PostAssignment.objects.create(
        post=gate_post, officer=supervisor, shift_date=NOW.date(), shift=0, assigned_at=NOW
    )
    assert found(site, rules.POST_SHORT) == []


# --- 15. Meals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meals", "code"),
    [(2, None), (3, rules.MEALS_MISSED), (8, rules.MEALS_MISSED), (9, rules.HUNGER_STRIKE)],
)
def test_meals_refused_in_a_row_refer_to_medical_then_count_as_a_hunger_strike(
    site, hold, clock, officer, meals, code
):
    sasuke = booked_at(clock, hold, NOW - dt.timedelta(days=5), "Uchiha", given_name="Sasuke")
    clock.move_to(NOW)
    slots = [(NOW.date() - dt.timedelta(days=d), m) for d in range(4, -1, -1) for m in range(3)]
    eaten, refused = slots[: -meals - 1], slots[-meals - 1 : -1]
    for day, meal in eaten:
        MealRecord.objects.create(
            booking=sasuke, meal_date=day, meal=meal, outcome=MealOutcome.SERVED,
            recorded_at=NOW, recorded_by=officer,
        )  # fmt: skip
    for day, meal in refused:
        MealRecord.objects.create(
            booking=sasuke, meal_date=day, meal=meal, outcome=MealOutcome.REFUSED,
            recorded_at=NOW, recorded_by=officer,
        )  # fmt: skip
    hits = found(site, rules.MEALS_MISSED) + found(site, rules.HUNGER_STRIKE)
    assert [(a.rule, a.number) for a in hits] == ([(code, meals)] if code else [])


# --- 16, 17. Forced entry and housing rules ---------------------------------------------------


def test_a_forced_entry_alerts_the_commander_until_it_is_reviewed(
    site, isolation, clock, commander
):
    incident = Incident.objects.create(
        facility=site.facility, number="TST-INC-2026-0001", kind=IncidentKind.FORCED_ENTRY,
        origin=IncidentOrigin.AUTOMATIC, occurred_at=NOW, reported_at=NOW, cell=isolation,
        narrative="Entry without a grant.",
    )  # fmt: skip
    hits = found(site, rules.FORCED_ENTRY)
    assert [(a.place, a.responsible[0].names) for a in hits] == [
        ("ISO / ISO-1", ("Cara Commander",))
    ]
    incident.reviewed_at, incident.reviewed_by = NOW, commander
    incident.save(update_fields=["reviewed_at", "reviewed_by"])
    assert found(site, rules.FORCED_ENTRY) == []


def test_open_housing_alerts_are_on_the_board_until_resolved(site, hold, clock):
    kakashi = hold("Hatake")
    review = HousingReview.objects.create(
        booking=kakashi, code="containment", subject=f"containment:{kakashi.booking_number}",
        message="Needs chakra-suppression bars.", cause="flag set", raised_at=NOW,
    )  # fmt: skip
    hits = found(site, rules.HOUSING_RULE)
    assert [(a.message, a.title) for a in hits] == [
        ("Needs chakra-suppression bars.", "Housing rule broken: containment")
    ]
    review.resolved_at = NOW
    review.save(update_fields=["resolved_at"])
    assert found(site, rules.HOUSING_RULE) == []


# --- 18. Visits over their time --------------------------------------------------------------

SECOND = dt.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("after", "number"),
    [(-SECOND, None), (dt.timedelta(0), 0), (MINUTE - SECOND, 0), (MINUTE, 1), (2 * MINUTE, 2)],
)
def test_a_visit_alerts_at_exactly_its_due_end_and_names_its_escort(
    site, hold, clock, officer, supervisor, after, number
):
    kakashi = hold("Hatake")
    room = visit_room(site)
    visiting(kakashi, started_at=NOW, minutes=20, escort=officer, room=room)
    clock.move_to(NOW + dt.timedelta(minutes=20) + after)
    hits = found(site, rules.VISIT_OVERRUN)
    assert [a.number for a in hits] == ([] if number is None else [number])
    if hits:
        alert = hits[0]
        assert (alert.since, alert.limit, alert.place) == (
            NOW + dt.timedelta(minutes=20), 20, "Visit room 1"
        )  # fmt: skip
        assert [(r.role, r.names) for r in alert.responsible] == [
            (rules.ESCORT, ("Olly Officer",)), (rules.SUPERVISOR, ("Sam Supervisor",))
        ]  # fmt: skip


def test_the_overrun_counts_from_when_the_visit_really_started_and_clears_when_it_ends(
    site, hold, clock, officer
):
    kakashi = hold("Hatake")
    # Booked for noon, started ten minutes late: due at 12:30, not 12:20.
    late_start = NOW + dt.timedelta(minutes=10)
    visit = visiting(kakashi, started_at=late_start, minutes=20, escort=officer)
    visit.starts_at = NOW
    visit.ends_at = NOW + dt.timedelta(minutes=20)
    visit.save(update_fields=["starts_at", "ends_at"])
    clock.move_to(NOW + dt.timedelta(minutes=30) - SECOND)
    assert found(site, rules.VISIT_OVERRUN) == []
    clock.move_to(NOW + dt.timedelta(minutes=33))
    alert = found(site, rules.VISIT_OVERRUN)[0]
    # In his own cell: the place is the cell.
    assert (alert.number, alert.place, alert.booking) == (3, "A1 / A1-1", kakashi.booking_number)
    visit.status, visit.ended_at = VisitStatus.ENDED, NOW + dt.timedelta(minutes=33)
    visit.save(update_fields=["status", "ended_at"])
    assert found(site, rules.VISIT_OVERRUN) == []


# --- 19. Requests past their deadline ---------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "days"),
    [(-SECOND, None), (dt.timedelta(0), 0), (dt.timedelta(hours=23), 0), (dt.timedelta(days=1), 1)],
)
def test_a_request_unanswered_past_fifteen_days_alerts_its_addressee(
    site, hold, clock, commander, after, days
):
    kakashi = hold("Hatake")
    request_filed(kakashi, filed_at=NOW, role="commander")
    clock.move_to(NOW + dt.timedelta(days=15) + after)
    hits = found(site, rules.REQUEST_OVERDUE)
    assert [a.number for a in hits] == ([] if days is None else [days])
    if hits:
        assert hits[0].since == NOW + dt.timedelta(days=15)
        assert [(r.role, r.label, r.names) for r in hits[0].responsible] == [
            (rules.COMMANDER, "Commander", ("Cara Commander",))
        ]


def test_an_overdue_request_names_a_named_addressee_or_everyone_holding_the_role(
    site, hold, clock, supervisor, visits_clerk
):
    kakashi = hold("Hatake")
    request_filed(kakashi, filed_at=NOW, number="TST-REQ-2026-0001", addressee=supervisor)
    request_filed(kakashi, filed_at=NOW, number="TST-REQ-2026-0002", role="visits")
    clock.move_to(NOW + dt.timedelta(days=16))
    hits = {a.subject: a for a in found(site, rules.REQUEST_OVERDUE)}
    named = hits["request_overdue:TST-REQ-2026-0001"]
    assert [(r.role, r.names) for r in named.responsible] == [
        (rules.ADDRESSEE, ("Sam Supervisor",))
    ]
    assert named.message.endswith("it waits for Sam Supervisor.")
    desk = hits["request_overdue:TST-REQ-2026-0002"]
    assert [(r.role, r.names) for r in desk.responsible] == [(rules.VISITS, ("Vic Visits",))]


def test_an_answered_request_is_not_overdue(site, hold, clock):
    request = request_filed(hold("Hatake"), filed_at=NOW)
    clock.move_to(NOW + dt.timedelta(days=20))
    assert len(found(site, rules.REQUEST_OVERDUE)) == 1
    request.status, request.answered_at = RequestStatus.ANSWERED, NOW + dt.timedelta(days=20)
    request.save(update_fields=["status", "answered_at"])
    assert found(site, rules.REQUEST_OVERDUE) == []


def test_a_visit_in_the_cell_counts_as_a_visit(site, hold, clock, officer):
    kakashi = hold("Hatake")
    visiting(
        kakashi, started_at=NOW + dt.timedelta(days=10), escort=officer,
        status=VisitStatus.COMPLETED,
    )  # fmt: skip
    clock.move_to(NOW + dt.timedelta(days=31))
    assert found(site, rules.NO_VISITS, booking=kakashi) == []
    clock.move_to(NOW + dt.timedelta(days=40))
    hits = found(site, rules.NO_VISITS, booking=kakashi)
    assert [(a.number, a.since) for a in hits] == [(30, NOW + dt.timedelta(days=40))]


def test_the_latest_of_a_visit_room_trip_and_a_visit_started_is_the_last_visit(
    site, hold, clock, officer
):
    kakashi = hold("Hatake")
    out(kakashi, Destination.VISIT_ROOM, NOW + dt.timedelta(days=5),
        NOW + dt.timedelta(days=5, minutes=30))  # fmt: skip
    visiting(
        kakashi, started_at=NOW + dt.timedelta(days=2), escort=officer,
        status=VisitStatus.COMPLETED,
    )  # fmt: skip
    clock.move_to(NOW + dt.timedelta(days=35))
    hits = found(site, rules.NO_VISITS, booking=kakashi)
    assert [a.since for a in hits] == [NOW + dt.timedelta(days=35)]


# --- One person, and the cost ----------------------------------------------------------------


def test_one_persons_alerts_leave_out_the_others_and_the_places(naruto, site, hold, clock):
    kakashi = booked_at(clock, hold, NOW - dt.timedelta(days=3), "Hatake")
    clock.move_to(NOW)
    mine = alerts(site.facility, NOW, booking=kakashi)
    assert mine
    assert {a.booking for a in mine} == {kakashi.booking_number}


def test_the_alerts_take_the_same_queries_for_two_people_or_twenty(
    naruto, site, hold, clock, django_assert_num_queries
):
    clock.move_to(NOW - dt.timedelta(days=2))
    hold("Hatake")
    clock.move_to(NOW)
    with CaptureQueriesContext(connection) as two:
        alerts(site.facility, NOW)
    clock.move_to(NOW - dt.timedelta(days=2))
    site.cells.append(cell_create(actor=None, unit=site.unit, code="A1-9", beds=20))
    for n in range(18):
        hold(f"Extra{n}", given_name="Genin")
    clock.move_to(NOW)
    with django_assert_num_queries(len(two.captured_queries)):
        found_now = alerts(site.facility, NOW)
    assert len({a.booking for a in found_now} - {None}) == 20


def test_visits_and_requests_cost_the_same_queries_for_one_or_many(
    site, hold, clock, officer, supervisor, medic, visits_clerk, django_assert_num_queries
):
    clock.move_to(NOW - dt.timedelta(days=20))
    site.cells.append(cell_create(actor=None, unit=site.unit, code="A1-9", beds=20))
    people = [hold(f"Extra{n}", given_name="Genin") for n in range(6)]
    room = visit_room(site)
    clock.move_to(NOW - dt.timedelta(hours=1))
    visiting(people[0], started_at=clock_module.now(), escort=officer, room=room)
    request_filed(people[0], filed_at=NOW - dt.timedelta(days=20))
    clock.move_to(NOW)
    with CaptureQueriesContext(connection) as one:
        alerts(site.facility, NOW)
    assert {a.rule for a in alerts(site.facility, NOW)} >= {
        rules.VISIT_OVERRUN, rules.REQUEST_OVERDUE
    }  # fmt: skip
    roles = ["medical", "visits", "supervisor", "officer", "classification"]
    for n, person in enumerate(people[1:], start=1):
        visiting(person, started_at=NOW - dt.timedelta(minutes=5 * n), escort=supervisor)
        request_filed(
            person, filed_at=NOW - dt.timedelta(days=15 + n), number=f"TST-REQ-2026-{n + 1:04}",
            role=roles[n - 1], addressee=medic if n == 5 else None,
        )  # fmt: skip
    with django_assert_num_queries(len(one.captured_queries)):
        found_now = alerts(site.facility, NOW)
    assert len([a for a in found_now if a.rule == rules.REQUEST_OVERDUE]) == 6
    # Twenty minutes booked: those started an hour, 25 and 20 minutes ago are at or past it.
    overruns = sorted(a.number for a in found_now if a.rule == rules.VISIT_OVERRUN)
    assert overruns == [0, 5, 40]
