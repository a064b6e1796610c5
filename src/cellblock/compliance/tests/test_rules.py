"""The compliance rule book on plain facts: each threshold one minute before, at and after."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from cellblock.compliance import rules
from cellblock.compliance.rules import (
    BREACH,
    WARNING,
    BreakGlassFact,
    CountSlot,
    DateChangeFact,
    Facts,
    HearingFact,
    Held,
    IncidentFact,
    Limits,
    OpenMovement,
    PostFact,
    ReleaseDue,
    RequestFact,
    RestraintFact,
    ReviewFact,
    Streak,
    VisitFact,
    Where,
)
from cellblock.facilities.policy import POLICY_SOURCES

DOCS = Path(__file__).resolve().parents[4] / "docs" / "compliance.md"

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
MINUTE = dt.timedelta(minutes=1)
CELL = Where("Isolation / ISO-1", zone_id=2, cell_id=7)
CHILD = dt.date(2016, 1, 1)
ADULT = dt.date(1996, 9, 15)


def facts(**kwargs: object) -> Facts:
    return Facts(now=NOW, today=TODAY, facility="TST", **kwargs)  # type: ignore[arg-type]


def held(**kwargs: object) -> Held:
    base = Held(
        booking="TST-2026-000001", name="Naruto Uzumaki", booked_at=NOW - dt.timedelta(days=2),
        born=ADULT, where=CELL, housed_since=NOW - dt.timedelta(days=2), last_seen_at=NOW,
    )  # fmt: skip
    return replace(base, **kwargs)  # type: ignore[arg-type]


def alerts_for(person: Held, **kwargs: object) -> list[rules.Alert]:
    return rules.evaluate(facts(people=[person], **kwargs))


def codes(alerts: list[rules.Alert]) -> list[str]:
    return [alert.rule for alert in alerts]


def only(alerts: list[rules.Alert], code: str) -> rules.Alert:
    found = [alert for alert in alerts if alert.rule == code]
    assert len(found) == 1, codes(alerts)
    return found[0]


# --- The table ----------------------------------------------------------------------


def test_every_rule_has_a_title_a_source_and_someone_to_act():
    # 25 rules; meals has a referral and a hunger-strike level.
    assert len(rules.RULES) == 26
    for code, rule in rules.RULES.items():
        assert rule.code == code
        assert rule.title
        assert rule.source
        assert rule.who
        assert all(role in rules.ROLE_LABELS for role in rule.who)
        assert rule.unit in ("h", "days", "min", "officers", "meals")


def test_the_rule_table_in_the_docs_lists_every_rule_code():
    rows = [line for line in DOCS.read_text().splitlines() if line.startswith("| `")]
    documented = [row.split("`")[1] for row in rows]
    assert sorted(documented) == sorted(rules.RULES)


def test_sources_come_from_the_policy_where_a_policy_number_sets_the_limit():
    for rule in rules.RULES.values():
        if rule.policy_field:
            assert rule.source == POLICY_SOURCES[rule.policy_field]
    assert rules.RULES[rules.JUVENILE_IN_ADULT_FACILITY].source == "JJDPA; PREA 115.14"
    assert rules.RULES[rules.PROLONGED_SOLITARY].source == "Mandela Rules 43-44"
    assert rules.RULES[rules.EXERCISE_MISSED].source == "Mandela Rule 23"
    assert rules.RULES[rules.DARK_CELL].source == "Mandela Rule 43(1)(c)"
    assert "Havana Rule 67" in rules.RULES[rules.CHILD_IN_SOLITARY].source
    assert rules.RULES[rules.VISIT_OVERRUN].source == "Mesa Co., Fresno Co."
    assert rules.RULES[rules.REQUEST_OVERDUE].source == "LASD"
    assert "NCCHC J-E-04" in rules.RULES[rules.HEALTH_ASSESSMENT_OVERDUE].source
    assert "HIPAA" in rules.RULES[rules.BREAK_GLASS_ACCESS].source
    for code in (rules.RELEASE_OVERDUE, rules.RELEASE_EARLY, rules.RELEASE_DATE_UNREVIEWED):
        assert rules.RULES[code].source == "sentence computation (docs/release-dates.md)"
    assert rules.RULES[rules.COURT_PRODUCTION_MISSED].source == "local policy (production to court)"


def test_a_person_held_by_the_rules_raises_nothing():
    assert alerts_for(held()) == []


# --- 1. Juvenile in an adult facility ---------------------------------------------


@pytest.mark.parametrize(
    ("held_for", "alerted"),
    [
        (dt.timedelta(hours=6) - MINUTE, False),
        (dt.timedelta(hours=6), False),
        (dt.timedelta(hours=6) + MINUTE, True),
    ],
)
def test_a_child_held_past_the_adult_jail_limit_is_a_breach(held_for, alerted):
    person = held(born=CHILD, booked_at=NOW - held_for)
    found = [a for a in alerts_for(person) if a.rule == rules.JUVENILE_IN_ADULT_FACILITY]
    assert bool(found) is alerted
    if alerted:
        alert = found[0]
        assert (alert.severity, alert.number, alert.unit, alert.limit) == (BREACH, 6, "h", 6)
        assert alert.since == person.booked_at + dt.timedelta(hours=6)
        assert alert.subject == "juvenile_in_adult_facility:TST-2026-000001"
        assert alert.message == rules.JUVENILE_MESSAGE.format(
            name="Naruto Uzumaki", age=10, held="6 h", limit=6
        )
        assert [r.role for r in alert.responsible] == [rules.COMMANDER]


def test_the_juvenile_rule_counts_age_on_the_facilitys_date_and_only_in_adult_facilities():
    long_ago = NOW - dt.timedelta(days=3)
    eighteen_today = dt.date(2008, 3, 14)
    seventeen = dt.date(2008, 3, 15)
    assert rules.JUVENILE_IN_ADULT_FACILITY not in codes(
        alerts_for(held(born=eighteen_today, booked_at=long_ago))
    )
    assert rules.JUVENILE_IN_ADULT_FACILITY in codes(
        alerts_for(held(born=seventeen, booked_at=long_ago))
    )
    assert rules.JUVENILE_IN_ADULT_FACILITY not in codes(
        alerts_for(held(born=None, booked_at=long_ago))
    )
    juvenile_hall = rules.evaluate(
        Facts(now=NOW, today=TODAY, facility="JUV", serves_adults=False,
              people=[held(born=CHILD, booked_at=long_ago)])
    )  # fmt: skip
    assert rules.JUVENILE_IN_ADULT_FACILITY not in codes(juvenile_hall)


# --- 2 and 3. Solitary --------------------------------------------------------------


def test_any_day_of_solitary_for_a_child_is_a_breach():
    since = NOW - dt.timedelta(hours=12)
    assert rules.CHILD_IN_SOLITARY not in codes(alerts_for(held(born=CHILD)))
    alert = only(alerts_for(held(born=CHILD, solitary=Streak(1, since))), rules.CHILD_IN_SOLITARY)
    assert (alert.severity, alert.number, alert.unit, alert.since) == (BREACH, 1, "days", since)
    assert "1 day in a row" in alert.message
    assert rules.CHILD_IN_SOLITARY not in codes(alerts_for(held(solitary=Streak(1, since))))


@pytest.mark.parametrize(
    ("days", "severity", "limit"),
    [(11, None, None), (12, WARNING, 12), (13, WARNING, 12), (15, WARNING, 12),
     (16, BREACH, 16), (17, BREACH, 16), (90, BREACH, 16)],
)  # fmt: skip
def test_prolonged_solitary_alerts_from_day_12_and_breaches_from_day_16(days, severity, limit):
    since = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    everything = alerts_for(held(solitary=Streak(days, since)))
    found = [a for a in everything if a.rule == rules.PROLONGED_SOLITARY]
    if severity is None:
        assert found == []
        return
    alert = found[0]
    assert (alert.severity, alert.number, alert.limit) == (severity, days, limit)
    # It began to hold on day 12 of the streak, whatever its severity now.
    assert alert.since == since + dt.timedelta(days=11)
    assert alert.message == rules.PROLONGED_MESSAGE.format(
        name="Naruto Uzumaki", days=f"{days} days", alert=12, breach=16
    )


def test_the_solitary_thresholds_are_the_facilitys_policy():
    limits = Limits(prolonged_solitary_alert_day=5, prolonged_solitary_breach_day=8)
    since = NOW - dt.timedelta(days=5)
    found = alerts_for(held(solitary=Streak(5, since)), limits=limits)
    assert only(found, rules.PROLONGED_SOLITARY).severity == WARNING


# --- 4. Dark cell -------------------------------------------------------------------


def test_a_person_in_a_cell_without_working_light_is_a_breach_since_they_were_housed():
    housed = NOW - dt.timedelta(days=90, hours=3)
    alert = only(alerts_for(held(cell_lit=False, housed_since=housed)), rules.DARK_CELL)
    assert (alert.severity, alert.number, alert.unit, alert.since) == (BREACH, 90, "days", housed)
    assert alert.place == "Isolation / ISO-1"
    assert (
        alert.message == "Naruto Uzumaki is held in Isolation / ISO-1, which has no working light."
    )
    assert [r.role for r in alert.responsible] == [rules.SUPERVISOR, rules.COMMANDER]
    assert alert.limit_text == "none allowed"
    assert rules.DARK_CELL not in codes(alerts_for(held(cell_lit=False, where=None)))


# --- 5, 6, 7. Restraints ------------------------------------------------------------


def restraint(**kwargs: object) -> RestraintFact:
    base = RestraintFact(
        key="r1", booking="TST-2026-000001", name="Naruto Uzumaki", kind="Chains",
        applied_at=NOW - dt.timedelta(minutes=30), where=CELL, last_check_at=NOW,
    )  # fmt: skip
    return replace(base, **kwargs)  # type: ignore[arg-type]


def restraint_alerts(fact: RestraintFact) -> list[rules.Alert]:
    return rules.evaluate(facts(restraints=[fact]))


@pytest.mark.parametrize(("ago", "alerted"), [(14, False), (15, False), (16, True)])
def test_restraint_checks_are_overdue_after_15_minutes(ago, alerted):
    found = restraint_alerts(restraint(last_check_at=NOW - dt.timedelta(minutes=ago)))
    assert (rules.RESTRAINT_CHECKS_OVERDUE in codes(found)) is alerted
    if alerted:
        alert = only(found, rules.RESTRAINT_CHECKS_OVERDUE)
        assert (alert.number, alert.unit, alert.limit) == (16, "min", 15)
        assert alert.since == NOW - dt.timedelta(minutes=1)
        assert [r.role for r in alert.responsible] == [rules.OFFICERS_ON_DUTY, rules.SUPERVISOR]
        assert alert.subject == "restraint_checks_overdue:TST-2026-000001:r1"


def test_a_restraint_never_checked_counts_from_its_application():
    applied = NOW - dt.timedelta(days=90)
    alert = only(
        restraint_alerts(restraint(applied_at=applied, last_check_at=None)),
        rules.RESTRAINT_CHECKS_OVERDUE,
    )
    assert alert.number == 90 * 24 * 60
    assert alert.figure == "129,600 min (90 days)"


@pytest.mark.parametrize(("minutes", "alerted"), [(119, False), (120, False), (121, True)])
def test_restraint_beyond_two_hours_needs_both_approvals(minutes, alerted):
    fact = restraint(applied_at=NOW - dt.timedelta(minutes=minutes))
    found = restraint_alerts(fact)
    assert (rules.RESTRAINT_OVER_LIMIT in codes(found)) is alerted
    if alerted:
        alert = only(found, rules.RESTRAINT_OVER_LIMIT)
        assert (alert.number, alert.limit) == (121, 120)
        assert [r.role for r in alert.responsible] == [rules.SUPERVISOR, rules.MEDIC]
    late = replace(fact, applied_at=NOW - dt.timedelta(hours=5))
    assert rules.RESTRAINT_OVER_LIMIT in codes(restraint_alerts(replace(late, medic_approved=True)))
    both = replace(late, medic_approved=True, supervisor_approved=True)
    assert rules.RESTRAINT_OVER_LIMIT not in codes(restraint_alerts(both))


def test_a_removal_without_authority_alerts_until_a_supervisor_reviews_it():
    removed = NOW - dt.timedelta(minutes=5)
    fact = restraint(removed_at=removed)
    alert = only(restraint_alerts(fact), rules.RESTRAINT_REMOVED_WITHOUT_AUTHORITY)
    assert (alert.since, alert.number) == (removed, 5)
    assert codes(restraint_alerts(fact)) == [rules.RESTRAINT_REMOVED_WITHOUT_AUTHORITY]
    assert restraint_alerts(replace(fact, removal_reviewed=True)) == []
    assert restraint_alerts(replace(fact, removal_authorised=True)) == []


# --- 8, 9. Observation --------------------------------------------------------------


@pytest.mark.parametrize(("ago", "alerted"), [(59, False), (60, False), (61, True)])
def test_a_general_population_check_is_overdue_after_60_minutes(ago, alerted):
    found = alerts_for(held(last_seen_at=NOW - dt.timedelta(minutes=ago)))
    assert (rules.OBSERVATION_OVERDUE in codes(found)) is alerted
    if alerted:
        alert = only(found, rules.OBSERVATION_OVERDUE)
        assert (alert.number, alert.limit) == (61, 60)
        assert alert.since == NOW - MINUTE
        assert alert.message == rules.OBSERVATION_MESSAGE.format(
            name="Naruto Uzumaki", span="61 min", level="general population", limit=60
        )


@pytest.mark.parametrize(("ago", "alerted"), [(14, False), (15, False), (16, True)])
def test_suicide_watch_checks_are_overdue_after_their_own_interval(ago, alerted):
    person = held(
        observation_level=rules.SUICIDE_WATCH, observation_minutes=15,
        last_seen_at=NOW - dt.timedelta(minutes=ago),
    )  # fmt: skip
    assert (rules.OBSERVATION_OVERDUE in codes(alerts_for(person))) is alerted


def test_nobody_is_overdue_while_out_of_their_cell_or_not_housed():
    long_ago = NOW - dt.timedelta(hours=5)
    assert alerts_for(held(last_seen_at=long_ago, out_of_cell=True)) == []
    assert alerts_for(held(last_seen_at=long_ago, where=None)) == []


def checks_with_gaps(*minutes: float) -> tuple[dt.datetime, ...]:
    times = [NOW - dt.timedelta(minutes=sum(minutes))]
    for gap in minutes:
        times.append(times[-1] + dt.timedelta(minutes=gap))
    return tuple(times)


@pytest.mark.parametrize(
    ("gaps", "alerted"),
    [
        ((12, 12, 12, 12), True),
        ((12, 12, 12, 12 + 59 / 60), True),
        ((12, 12, 12, 13), True),
        ((12, 12, 12, 13 + 1 / 60), False),
        ((5, 12, 7, 14), False),
    ],
)
def test_suicide_watch_checks_like_clockwork_are_flagged(gaps, alerted):
    person = held(
        observation_level=rules.SUICIDE_WATCH, observation_minutes=15,
        recent_checks=checks_with_gaps(*gaps), last_seen_at=NOW,
    )  # fmt: skip
    found = alerts_for(person)
    assert (rules.OBSERVATION_FIXED_PATTERN in codes(found)) is alerted
    if alerted:
        alert = only(found, rules.OBSERVATION_FIXED_PATTERN)
        assert alert.severity == WARNING
        assert alert.number == 12
        assert alert.since == person.recent_checks[0]


def test_a_fixed_pattern_needs_five_checks_and_applies_only_on_suicide_watch():
    watch = held(observation_level=rules.SUICIDE_WATCH, observation_minutes=15)
    assert alerts_for(replace(watch, recent_checks=checks_with_gaps(10, 10, 10))) == []
    general = held(recent_checks=checks_with_gaps(10, 10, 10, 10))
    assert alerts_for(general) == []


# --- 10, 11. Exercise and visits ----------------------------------------------------


def test_each_day_in_a_row_without_an_hour_of_exercise_is_a_breach():
    assert alerts_for(held(exercise_missed=Streak(0, None))) == []
    since = NOW - dt.timedelta(days=89, hours=12)
    alert = only(alerts_for(held(exercise_missed=Streak(89, since))), rules.EXERCISE_MISSED)
    assert (alert.severity, alert.number, alert.unit, alert.limit) == (BREACH, 89, "days", 60)
    assert alert.message == rules.EXERCISE_MESSAGE.format(
        name="Naruto Uzumaki", limit=60, days="89 days"
    )


@pytest.mark.parametrize(
    ("since_visit", "alerted"),
    [
        (dt.timedelta(days=30) - MINUTE, False),
        (dt.timedelta(days=30), True),
        (dt.timedelta(days=30) + MINUTE, True),
    ],
)
def test_no_visit_for_30_days_is_a_warning(since_visit, alerted):
    person = held(last_visit_at=NOW - since_visit, booked_at=NOW - dt.timedelta(days=100))
    found = alerts_for(person)
    assert (rules.NO_VISITS in codes(found)) is alerted
    if alerted:
        alert = only(found, rules.NO_VISITS)
        assert (alert.severity, alert.number, alert.limit) == (WARNING, 30, 30)
        assert alert.since == NOW - since_visit + dt.timedelta(days=30)


def test_never_visited_counts_from_booking_and_in_solitary_it_is_a_breach():
    booked = NOW - dt.timedelta(days=90, hours=2)
    person = held(booked_at=booked, solitary=Streak(89, booked + dt.timedelta(days=1)))
    alert = only(alerts_for(person), rules.NO_VISITS)
    assert (alert.severity, alert.number, alert.since) == (
        BREACH, 90, booked + dt.timedelta(days=30)
    )  # fmt: skip
    assert alert.message.endswith("With 89 days of solitary, this is a breach.")


# --- 12. Movements ------------------------------------------------------------------


@pytest.mark.parametrize(("late", "alerted"), [(14, False), (15, True), (16, True)])
def test_a_movement_is_overdue_from_the_end_of_its_grace(late, alerted):
    movement = OpenMovement(
        booking="TST-2026-000002", name="Kakashi Hatake", destination="Court",
        left_at=NOW - dt.timedelta(hours=3), expected_return_at=NOW - dt.timedelta(minutes=late),
        escort="Hiroki", where=CELL,
    )  # fmt: skip
    found = rules.evaluate(facts(movements=[movement]))
    assert (rules.MOVEMENT_OVERDUE in codes(found)) is alerted
    if alerted:
        alert = only(found, rules.MOVEMENT_OVERDUE)
        assert (alert.number, alert.limit) == (late, 15)
        assert alert.since == NOW - dt.timedelta(minutes=late) + dt.timedelta(minutes=15)
        assert alert.responsible[0] == rules.Responsible(rules.ESCORT, ("Hiroki",))
        assert alert.message == f"Kakashi Hatake is {late} min late back from Court."
    no_time = replace(movement, expected_return_at=None)
    assert rules.evaluate(facts(movements=[no_time])) == []


# --- 13, 14. Counts and posts -------------------------------------------------------


@pytest.mark.parametrize(("ago", "alerted"), [(29, False), (30, True), (31, True)])
def test_a_formal_count_not_started_by_the_end_of_its_grace_is_missed(ago, alerted):
    slot = CountSlot(label="06:00", due_at=NOW - dt.timedelta(minutes=ago), answered=False)
    found = rules.evaluate(facts(counts=[slot]))
    assert (rules.FORMAL_COUNT_MISSED in codes(found)) is alerted
    if alerted:
        alert = only(found, rules.FORMAL_COUNT_MISSED)
        assert alert.booking is None
        assert alert.place == "TST count 06:00"
        assert alert.subject == "formal_count_missed:TST@2026-03-14T06:00"
    answered = replace(slot, answered=True, due_at=NOW - dt.timedelta(hours=3))
    assert rules.evaluate(facts(counts=[answered])) == []


@pytest.mark.parametrize(("on_post", "alerted"), [(1, True), (2, False), (3, False)])
def test_a_post_with_fewer_officers_than_required_is_short(on_post, alerted):
    post = PostFact(
        code="GATE", name="Lower level gate", required=2, on_post=on_post,
        shift_started_at=NOW - dt.timedelta(hours=6),
    )  # fmt: skip
    found = rules.evaluate(facts(posts=[post]))
    assert (rules.POST_SHORT in codes(found)) is alerted
    if alerted:
        alert = only(found, rules.POST_SHORT)
        assert (alert.figure, alert.limit_text) == ("1 officer", "needs 2 officers")
        assert alert.message == "Lower level gate has 1 of the 2 officers it needs this shift."


# --- 15. Meals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meals", "code", "severity"),
    [(2, None, None), (3, rules.MEALS_MISSED, WARNING), (8, rules.MEALS_MISSED, WARNING),
     (9, rules.HUNGER_STRIKE, BREACH), (10, rules.HUNGER_STRIKE, BREACH)],
)  # fmt: skip
def test_meals_missed_in_a_row_refer_to_medical_then_count_as_a_hunger_strike(
    meals, code, severity
):
    since = NOW - dt.timedelta(days=3)
    found = alerts_for(held(meals_without=Streak(meals, since)))
    if code is None:
        assert found == []
        return
    assert codes(found) == [code]
    assert found[0].severity == severity
    assert [r.role for r in found[0].responsible] == [rules.MEDIC, rules.SUPERVISOR]


# --- 16, 17. Forced entry and housing rules -----------------------------------------


def test_an_unreviewed_forced_entry_alerts_the_commander():
    incident = IncidentFact(
        number="TST-INC-2026-0001", occurred_at=NOW - dt.timedelta(minutes=10),
        place="Isolation / ISO-1", where=CELL,
    )  # fmt: skip
    alert = only(rules.evaluate(facts(incidents=[incident])), rules.FORCED_ENTRY)
    assert alert.subject == "forced_entry:TST-INC-2026-0001"
    assert [r.role for r in alert.responsible] == [rules.COMMANDER]


def test_open_housing_alerts_show_on_the_board_with_their_own_code():
    review = ReviewFact(
        booking="TST-2026-000003", name="Sasuke Uchiha", code="keep_separate",
        subject="keep_separate:9:TST-2026-000003", message="Sasuke shares a cell with Naruto.",
        raised_at=NOW - dt.timedelta(hours=1),
    )  # fmt: skip
    alert = only(rules.evaluate(facts(reviews=[review])), rules.HOUSING_RULE)
    assert alert.title == "Housing rule broken: keep separate"
    assert alert.message == "Sasuke shares a cell with Naruto."
    assert alert.subject == "housing_rule:keep_separate:9:TST-2026-000003"


# --- 18. Visits over their time -----------------------------------------------------


def visit(**kwargs: object) -> VisitFact:
    started = NOW - dt.timedelta(minutes=20)
    base = VisitFact(
        key="v1", booking="KON-2026-000001", name="Kakashi Hatake", place="Visit room 1",
        started_at=started, due_end_at=started + dt.timedelta(minutes=20), minutes=20,
        escort="Hiroki",
    )  # fmt: skip
    return replace(base, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("started_ago", "expected"),
    [
        (dt.timedelta(minutes=20) - dt.timedelta(seconds=1), None),
        (dt.timedelta(minutes=20), (WARNING, 0)),
        (dt.timedelta(minutes=21) - dt.timedelta(seconds=1), (WARNING, 0)),
        (dt.timedelta(minutes=21), (BREACH, 1)),
        (dt.timedelta(minutes=22), (BREACH, 2)),
    ],
)
def test_a_visit_alerts_at_exactly_its_due_end_counting_whole_minutes_over(started_ago, expected):
    started = NOW - started_ago
    fact = visit(started_at=started, due_end_at=started + dt.timedelta(minutes=20))
    found = rules.evaluate(facts(visits=[fact]))
    if expected is None:
        assert found == []
        return
    alert = only(found, rules.VISIT_OVERRUN)
    assert (alert.severity, alert.number) == expected
    assert (alert.unit, alert.limit, alert.limit_text) == ("min", 20, "limit 20 min")
    assert alert.since == started + dt.timedelta(minutes=20)
    assert alert.subject == "visit_overrun:KON-2026-000001:v1"
    assert (alert.booking, alert.person, alert.place) == (
        "KON-2026-000001", "Kakashi Hatake", "Visit room 1"
    )  # fmt: skip
    assert alert.responsible == (
        rules.Responsible(rules.ESCORT, ("Hiroki",)), rules.Responsible(rules.SUPERVISOR)
    )  # fmt: skip


def test_the_overrun_message_prompts_the_escort_at_the_limit_and_counts_after_it():
    at_limit = only(rules.evaluate(facts(visits=[visit()])), rules.VISIT_OVERRUN)
    assert at_limit.message == rules.VISIT_AT_LIMIT_MESSAGE.format(
        name="Kakashi Hatake", place="Visit room 1", limit=20
    )
    late = visit(started_at=NOW - dt.timedelta(minutes=27), due_end_at=NOW - MINUTE * 7)
    alert = only(rules.evaluate(facts(visits=[late])), rules.VISIT_OVERRUN)
    assert alert.message == (
        "Kakashi Hatake's visit in Visit room 1 has run 7 min over its 20 min: "
        "the escort must end it now."
    )


def test_a_visit_without_an_escort_still_names_the_supervisors():
    alert = only(rules.evaluate(facts(visits=[visit(escort="")])), rules.VISIT_OVERRUN)
    assert alert.responsible == (
        rules.Responsible(rules.ESCORT), rules.Responsible(rules.SUPERVISOR)
    )  # fmt: skip


# --- 19. Requests past their deadline ---------------------------------------------------


def request(**kwargs: object) -> RequestFact:
    base = RequestFact(
        number="KON-REQ-2026-0001", booking="KON-2026-000001", name="Kakashi Hatake",
        subject="Speak with the Hokage", due_at=NOW, addressee_role=rules.COMMANDER,
    )  # fmt: skip
    return replace(base, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overdue_by", "days"),
    [
        (-dt.timedelta(seconds=1), None),
        (dt.timedelta(0), 0),
        (dt.timedelta(hours=23, minutes=59), 0),
        (dt.timedelta(days=1), 1),
        (dt.timedelta(days=6, hours=5), 6),
    ],
)
def test_a_request_alerts_from_its_deadline_counting_whole_days_overdue(overdue_by, days):
    due = NOW - overdue_by
    found = rules.evaluate(facts(requests=[request(due_at=due)]))
    if days is None:
        assert found == []
        return
    alert = only(found, rules.REQUEST_OVERDUE)
    assert (alert.severity, alert.number, alert.unit, alert.limit) == (BREACH, days, "days", 15)
    assert alert.since == due
    assert alert.subject == "request_overdue:KON-REQ-2026-0001"
    assert alert.booking == "KON-2026-000001"


def test_an_overdue_request_names_its_addressee_a_role_or_a_person():
    by_role = only(
        rules.evaluate(facts(requests=[request(addressee_role=rules.MEDIC)])),
        rules.REQUEST_OVERDUE,
    )
    assert by_role.responsible == (rules.Responsible(rules.MEDIC),)
    assert by_role.message == rules.REQUEST_OVERDUE_MESSAGE.format(
        number="KON-REQ-2026-0001", name="Kakashi Hatake", subject="Speak with the Hokage",
        limit=15, days="0 days", addressee="the medic",
    )  # fmt: skip
    named = request(addressee_role="", addressee="Shizune", due_at=NOW - dt.timedelta(days=1))
    alert = only(rules.evaluate(facts(requests=[named])), rules.REQUEST_OVERDUE)
    assert alert.responsible == (rules.Responsible(rules.ADDRESSEE, ("Shizune",)),)
    assert alert.responsible[0].label == "Addressee"
    assert "(1 day overdue); it waits for Shizune." in alert.message


def test_an_escalated_request_waits_for_the_commander_and_says_so():
    escalated = request(addressee_role=rules.COMMANDER, escalated=True)
    alert = only(rules.evaluate(facts(requests=[escalated])), rules.REQUEST_OVERDUE)
    assert alert.responsible == (rules.Responsible(rules.COMMANDER),)
    assert alert.message.endswith("it waits for the commander. It was escalated to the commander.")


def test_the_request_deadline_is_the_facilitys_policy():
    alert = only(
        rules.evaluate(facts(requests=[request()], limits=Limits(request_answer_days=10))),
        rules.REQUEST_OVERDUE,
    )
    assert alert.limit == 10


# --- 20. Health assessment overdue -------------------------------------------------------


@pytest.mark.parametrize(
    ("since_due", "alerted"), [(-MINUTE, False), (dt.timedelta(0), False), (MINUTE, True)]
)
def test_a_health_assessment_not_done_within_fourteen_days_of_booking_is_a_breach(
    since_due, alerted
):
    booked = NOW - dt.timedelta(days=14) - since_due
    person = held(booked_at=booked, health_assessment_due_at=booked + dt.timedelta(days=14))
    found = [a for a in alerts_for(person) if a.rule == rules.HEALTH_ASSESSMENT_OVERDUE]
    assert bool(found) is alerted
    if alerted:
        alert = found[0]
        assert (alert.severity, alert.number, alert.unit, alert.limit) == (
            BREACH, 14, "days", 14
        )  # fmt: skip
        assert alert.since == booked + dt.timedelta(days=14)
        assert alert.responsible == (rules.Responsible(rules.MEDIC),)
        assert alert.message == rules.HEALTH_ASSESSMENT_MESSAGE.format(
            name="Naruto Uzumaki", days="14 days", limit=14
        )


def test_a_completed_health_assessment_raises_nothing_however_long_ago_the_booking():
    person = held(booked_at=NOW - dt.timedelta(days=90), health_assessment_due_at=None)
    assert rules.HEALTH_ASSESSMENT_OVERDUE not in codes(alerts_for(person))


def test_the_health_assessment_figure_is_the_days_since_booking_and_the_limit_the_policys():
    booked = NOW - dt.timedelta(days=20, hours=3)
    person = held(booked_at=booked, health_assessment_due_at=booked + dt.timedelta(days=7))
    limits = Limits(health_assessment_days=7)
    alert = only(alerts_for(person, limits=limits), rules.HEALTH_ASSESSMENT_OVERDUE)
    assert (alert.number, alert.limit, alert.figure) == (20, 7, "20 days")


# --- 21. Break-glass access -------------------------------------------------------------


def opening(**kwargs: object) -> BreakGlassFact:
    base = BreakGlassFact(
        key="b0c1", booking="KON-2026-000003", name="Sasuke Uchiha", opened_by="Tsunade",
        opened_at=NOW - dt.timedelta(minutes=42), minutes=60, where=CELL,
    )  # fmt: skip
    return replace(base, **kwargs)  # type: ignore[arg-type]


def test_an_unreviewed_break_glass_is_a_warning_for_the_medical_lead_counting_minutes():
    alert = only(rules.evaluate(facts(break_glass=[opening()])), rules.BREAK_GLASS_ACCESS)
    assert (alert.severity, alert.number, alert.unit, alert.limit) == (WARNING, 42, "min", 60)
    assert alert.since == NOW - dt.timedelta(minutes=42)
    assert alert.subject == "break_glass_access:KON-2026-000003:b0c1"
    assert (alert.booking, alert.person, alert.place) == (
        "KON-2026-000003", "Sasuke Uchiha", CELL.label
    )  # fmt: skip
    assert alert.responsible == (rules.Responsible(rules.MEDICAL_LEAD),)
    assert alert.responsible[0].label == "Medical lead"
    assert alert.message == (
        "Tsunade opened the medical record of Sasuke Uchiha by break-glass 42 min ago; the "
        "medical lead must review why."
    )


@pytest.mark.parametrize(("minutes", "text"), [(0, "0 min"), (59, "59 min"), (130, "130 min")])
def test_a_break_glass_warns_from_the_minute_it_opens_and_keeps_warning_after_it_ends(
    minutes, text
):
    fact = opening(opened_at=NOW - dt.timedelta(minutes=minutes))
    alert = only(rules.evaluate(facts(break_glass=[fact])), rules.BREAK_GLASS_ACCESS)
    assert alert.number == minutes
    assert f"by break-glass {text}" in alert.message


def test_two_openings_of_one_record_are_two_alerts():
    found = rules.evaluate(facts(break_glass=[opening(), opening(key="d2e3")]))
    assert len([a for a in found if a.rule == rules.BREAK_GLASS_ACCESS]) == 2


# --- 23, 24. Release dates: overdue and early -----------------------------------------

DUE = ReleaseDue(
    booking="TST-2026-000001", name="Kakashi Hatake", release_on=TODAY,
    overdue_from=dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC),
    where=CELL,
)  # fmt: skip


def release_alerts(due: ReleaseDue, today: dt.date, code: str) -> list[rules.Alert]:
    found = rules.evaluate(Facts(now=NOW, today=today, facility="TST", releases=[due]))
    return [alert for alert in found if alert.rule == code]


@pytest.mark.parametrize(("days_after", "alerted"), [(-1, False), (0, False), (1, True), (2, True)])
def test_held_past_the_release_date_is_a_breach_from_the_day_after(days_after, alerted):
    found = release_alerts(DUE, TODAY + dt.timedelta(days=days_after), rules.RELEASE_OVERDUE)
    assert bool(found) is alerted
    if alerted:
        alert = found[0]
        assert (alert.severity, alert.number, alert.limit) == (BREACH, days_after, 0)
        assert (alert.since, alert.subject) == (DUE.overdue_from, "release_overdue:TST-2026-000001")
        assert [who.role for who in alert.responsible] == [rules.COMMANDER]
        assert alert.message == (
            f"Kakashi Hatake was due for release on {TODAY.isoformat()} and is still held, "
            f"{days_after} day{'s' if days_after > 1 else ''} past the date, with no hold, "
            "warrant or pending charge to keep them: release them or record what holds them."
        )


@pytest.mark.parametrize("holding", ["open_hold", "pending_charge", "away"])
def test_a_hold_a_pending_charge_or_an_absence_means_nobody_is_held_past_the_date(holding):
    due = replace(DUE, **{holding: True})  # type: ignore[arg-type]
    assert release_alerts(due, TODAY + dt.timedelta(days=5), rules.RELEASE_OVERDUE) == []


PREPARED = replace(DUE, release_key="9f1c", release_requested_at=NOW - dt.timedelta(hours=3))


@pytest.mark.parametrize(("days_before", "number"), [(2, 2), (1, 1), (0, None), (-1, None)])
def test_a_time_served_release_prepared_before_the_date_warns_commander_and_court(
    days_before, number
):
    found = release_alerts(PREPARED, TODAY - dt.timedelta(days=days_before), rules.RELEASE_EARLY)
    assert [alert.number for alert in found] == ([number] if number else [])
    if number:
        alert = found[0]
        assert (alert.severity, alert.since) == (WARNING, PREPARED.release_requested_at)
        assert alert.subject == "release_early:TST-2026-000001:9f1c"
        assert [who.role for who in alert.responsible] == [rules.COMMANDER, rules.COURT]
        assert "only the commander may release early, with a reason" in alert.message


def test_without_a_release_in_preparation_an_early_date_is_nothing():
    assert release_alerts(DUE, TODAY - dt.timedelta(days=3), rules.RELEASE_EARLY) == []


# --- 25. A release date changed, not reviewed ------------------------------------------


def change(**kwargs: object) -> DateChangeFact:
    base = DateChangeFact(
        key="c0ffee", booking="TST-2026-000001", name="Kakashi Hatake",
        previous_on=dt.date(2026, 5, 1), new_on=dt.date(2026, 4, 20), cause="rule",
        cause_detail="STATE v2 (applies from 2026-01-01)", computed_at=NOW, where=CELL,
    )  # fmt: skip
    return replace(base, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ago", "days", "text"),
    [(dt.timedelta(0), 0, "less than a day ago"), (dt.timedelta(days=1) - MINUTE, 0,
     "less than a day ago"), (dt.timedelta(days=1), 1, "1 day ago"),
     (dt.timedelta(days=3, hours=5), 3, "3 days ago")],
)  # fmt: skip
def test_an_unreviewed_date_change_warns_the_court_counting_whole_days(ago, days, text):
    found = rules.evaluate(facts(date_changes=[change(computed_at=NOW - ago)]))
    alert = only(found, rules.RELEASE_DATE_UNREVIEWED)
    assert (alert.severity, alert.number, alert.since) == (WARNING, days, NOW - ago)
    assert [who.role for who in alert.responsible] == [rules.COURT, rules.COMMANDER]
    assert alert.message == (
        "Kakashi Hatake's release date moved from 2026-05-01 to 2026-04-20 "
        f"(rule: STATE v2 (applies from 2026-01-01)) {text}; the court must review the change."
    )


def test_a_date_that_appears_or_goes_away_reads_as_no_date():
    found = rules.evaluate(
        facts(date_changes=[change(previous_on=None), change(key="beef", new_on=None)])
    )
    messages = [alert.message for alert in found]
    assert any("from no date to 2026-04-20" in message for message in messages)
    assert any("from 2026-05-01 to no date" in message for message in messages)


# --- 26. A missed production to court ---------------------------------------------------


def hearing(**kwargs: object) -> HearingFact:
    base = HearingFact(
        key="h1", booking="TST-2026-000001", name="Kakashi Hatake", kind="Trial",
        court="District Court", docket="KON-2026-17", scheduled_at=NOW - dt.timedelta(hours=1),
        when="2026-03-14 11:00", where=CELL,
    )  # fmt: skip
    return replace(base, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("late", "minutes"),
    [(dt.timedelta(minutes=29), None), (dt.timedelta(minutes=30), 30),
     (dt.timedelta(minutes=31), 31)],
)  # fmt: skip
def test_a_production_is_missed_from_the_end_of_its_grace_counting_minutes_late(late, minutes):
    found = rules.evaluate(facts(hearings=[hearing(scheduled_at=NOW - late)]))
    hits = [alert for alert in found if alert.rule == rules.COURT_PRODUCTION_MISSED]
    assert [alert.number for alert in hits] == ([minutes] if minutes else [])
    if minutes:
        alert = hits[0]
        assert (alert.severity, alert.limit) == (BREACH, 30)
        assert alert.since == NOW - late + dt.timedelta(minutes=30)
        assert [who.role for who in alert.responsible] == [rules.SUPERVISOR, rules.COMMANDER]
        assert alert.message == (
            "Kakashi Hatake has not been produced for the trial at District Court "
            f"(KON-2026-17) set for 2026-03-14 11:00: {minutes} min late (30 min grace)."
        )


def test_the_production_grace_is_the_facilitys_policy():
    found = rules.evaluate(
        facts(
            hearings=[hearing(scheduled_at=NOW - dt.timedelta(minutes=40))],
            limits=Limits(court_production_grace_minutes=45),
        )
    )
    assert [alert for alert in found if alert.rule == rules.COURT_PRODUCTION_MISSED] == []


# --- All together -------------------------------------------------------------------


def test_alerts_come_breaches_first_then_oldest_first():
    old = NOW - dt.timedelta(days=40)
    person = held(
        born=CHILD, booked_at=old, cell_lit=False, housed_since=old,
        solitary=Streak(12, old + dt.timedelta(days=1)), last_visit_at=None,
        last_seen_at=NOW - dt.timedelta(hours=2),
    )  # fmt: skip
    found = alerts_for(person)
    severities = [alert.severity for alert in found]
    assert severities == sorted(severities, key=lambda s: s != BREACH)
    breaches = [alert.since for alert in found if alert.severity == BREACH]
    assert breaches == sorted(breaches)
    assert set(codes(found)) == {
        rules.JUVENILE_IN_ADULT_FACILITY, rules.CHILD_IN_SOLITARY, rules.PROLONGED_SOLITARY,
        rules.DARK_CELL, rules.OBSERVATION_OVERDUE, rules.NO_VISITS,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("number", "unit", "text"),
    [(16, "min", "16 min"), (130, "min", "130 min (2 h 10 min)"), (120, "min", "120 min (2 h)"),
     (4320, "min", "4,320 min (3 days)"), (1, "days", "1 day"), (90, "days", "90 days"),
     (2160, "h", "2160 h (90 days)"), (1, "meals", "1 meal")],
)  # fmt: skip
def test_figures_read_as_staff_say_them(number, unit, text):
    assert rules.figure_text(number, unit) == text
