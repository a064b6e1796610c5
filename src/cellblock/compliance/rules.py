"""The compliance rule book: facts about a facility in, alerts out.

Pure functions over plain dataclasses (no Django): ``compliance/selectors.py``
gathers the facts from the records in a fixed number of queries, and these
functions decide.  Every alert carries its rule, its figure and the limit it
broke, the source of that limit, since when the condition holds (from the
facts, not from when someone looked), the person or the place, and who must
act.  An alert is never stored as a verdict: it holds while the facts say so
and clears when they no longer do.

Thresholds read as the rules are written: "older than 15 minutes" alerts from
the 16th minute on (strictly more than the limit); "from day 12" alerts on day
12 (at least the limit); a return or a count due by a time plus its grace is
late from that minute, as the movements and counts pages show it (and so is
a production to court); a release date is a facility-local day: the person
may leave at any time that day, and is held past it from the next midnight.
Each rule's tests pin one minute before, at and after.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from cellblock.facilities.policy import POLICY_SOURCES

WARNING = "warning"
BREACH = "breach"
_SEVERITY_ORDER = {BREACH: 0, WARNING: 1}

# --- Rule codes ------------------------------------------------------------------

JUVENILE_IN_ADULT_FACILITY = "juvenile_in_adult_facility"
CHILD_IN_SOLITARY = "child_in_solitary"
PROLONGED_SOLITARY = "prolonged_solitary"
DARK_CELL = "dark_cell"
RESTRAINT_CHECKS_OVERDUE = "restraint_checks_overdue"
RESTRAINT_OVER_LIMIT = "restraint_over_limit"
RESTRAINT_REMOVED_WITHOUT_AUTHORITY = "restraint_removed_without_authority"
OBSERVATION_OVERDUE = "observation_overdue"
OBSERVATION_FIXED_PATTERN = "observation_fixed_pattern"
EXERCISE_MISSED = "exercise_missed"
NO_VISITS = "no_visits"
MOVEMENT_OVERDUE = "movement_overdue"
FORMAL_COUNT_MISSED = "formal_count_missed"
POST_SHORT = "post_short"
MEALS_MISSED = "meals_missed"
HUNGER_STRIKE = "hunger_strike"
FORCED_ENTRY = "forced_entry"
HOUSING_RULE = "housing_rule"
VISIT_OVERRUN = "visit_overrun"
REQUEST_OVERDUE = "request_overdue"
HEALTH_ASSESSMENT_OVERDUE = "health_assessment_overdue"
BREAK_GLASS_ACCESS = "break_glass_access"
RELEASE_OVERDUE = "release_overdue"
RELEASE_EARLY = "release_early"
RELEASE_DATE_UNREVIEWED = "release_date_unreviewed"
COURT_PRODUCTION_MISSED = "court_production_missed"

# --- Who must act ------------------------------------------------------------------

COMMANDER = "commander"
SUPERVISOR = "supervisor"
MEDIC = "medical"
CLASSIFICATION = "classification"
# The officers on the guard posts covering the person's cell or zone this shift.
OFFICERS_ON_DUTY = "officers_on_duty"
# The officer escorting a movement or supervising a visit, by name.
ESCORT = "escort"
# The member of staff a request is addressed to by name.
ADDRESSEE = "addressee"
# The medic who reviews break-glass openings: the facility's named medical lead, or every
# medic when none is named (medical.services.access.medical_leads).
MEDICAL_LEAD = "medical_lead"
# Roles a request may be addressed to besides those above (the staff roles' own codes).
OFFICER = "officer"
BOOKING = "booking"
COURT = "court"
VISITS = "visits"
AUDITOR = "auditor"
ADMIN = "admin"

ROLE_LABELS: dict[str, str] = {
    COMMANDER: "Commander",
    SUPERVISOR: "Supervisor",
    MEDIC: "Medic",
    CLASSIFICATION: "Classification",
    OFFICERS_ON_DUTY: "Officers on duty",
    ESCORT: "Escort",
    ADDRESSEE: "Addressee",
    MEDICAL_LEAD: "Medical lead",
    OFFICER: "Officers",
    BOOKING: "Booking",
    COURT: "Court",
    VISITS: "Visits desk",
    AUDITOR: "Auditor",
    ADMIN: "Administrator",
}

# Observation levels (the suicide-risk flag's detail, or "general").
GENERAL = "general"
AT_RISK = "at_risk"
SUICIDE_WATCH = "suicide_watch"
CONSTANT = "constant"
LEVEL_LABELS = {
    GENERAL: "general population",
    AT_RISK: "at-risk / special management",
    SUICIDE_WATCH: "suicide watch",
    CONSTANT: "constant observation",
}

# Checks on suicide watch must be irregular: this many equal gaps in a row make a pattern.
FIXED_PATTERN_GAPS = 4
FIXED_PATTERN_TOLERANCE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Rule:
    """What a rule is called, where its limit comes from, and who must act on it."""

    code: str
    title: str
    source: str
    who: tuple[str, ...]
    # The facility policy number that sets the limit ("" for a fixed rule).
    policy_field: str = ""
    # What the figure counts.
    unit: str = ""


# The unit of each rule's figure.
UNITS: dict[str, str] = {
    JUVENILE_IN_ADULT_FACILITY: "h",
    CHILD_IN_SOLITARY: "days",
    PROLONGED_SOLITARY: "days",
    DARK_CELL: "days",
    RESTRAINT_CHECKS_OVERDUE: "min",
    RESTRAINT_OVER_LIMIT: "min",
    RESTRAINT_REMOVED_WITHOUT_AUTHORITY: "min",
    OBSERVATION_OVERDUE: "min",
    OBSERVATION_FIXED_PATTERN: "min",
    EXERCISE_MISSED: "days",
    NO_VISITS: "days",
    MOVEMENT_OVERDUE: "min",
    FORMAL_COUNT_MISSED: "min",
    POST_SHORT: "officers",
    MEALS_MISSED: "meals",
    HUNGER_STRIKE: "meals",
    FORCED_ENTRY: "min",
    HOUSING_RULE: "min",
    VISIT_OVERRUN: "min",
    REQUEST_OVERDUE: "days",
    HEALTH_ASSESSMENT_OVERDUE: "days",
    BREAK_GLASS_ACCESS: "min",
    RELEASE_OVERDUE: "days",
    RELEASE_EARLY: "days",
    RELEASE_DATE_UNREVIEWED: "days",
    COURT_PRODUCTION_MISSED: "min",
}


def _source(policy_field: str, fixed: str = "") -> str:
    return POLICY_SOURCES.get(policy_field, fixed) if policy_field else fixed


# Where a release date comes from: the sentences and the credit rules, computed as documented.
RELEASE_SOURCE = "sentence computation (docs/release-dates.md)"


def _rule(code: str, title: str, who: tuple[str, ...], field_: str = "", fixed: str = "") -> Rule:
    return Rule(code, title, _source(field_, fixed), who, field_, UNITS[code])


# The one table of rules: code -> title, source, who must act.
RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        _rule(
            JUVENILE_IN_ADULT_FACILITY, "Juvenile held in an adult facility", (COMMANDER,),
            "juvenile_adult_hold_hours",
        ),
        _rule(
            CHILD_IN_SOLITARY, "Child in solitary", (COMMANDER,),
            fixed="Mandela Rules 43(1)(b), 45(2); Havana Rule 67",
        ),
        _rule(
            PROLONGED_SOLITARY, "Prolonged solitary", (COMMANDER,),
            "prolonged_solitary_breach_day",
        ),
        _rule(DARK_CELL, "Dark cell", (SUPERVISOR, COMMANDER), fixed="Mandela Rule 43(1)(c)"),
        _rule(
            RESTRAINT_CHECKS_OVERDUE, "Restraint checks overdue", (OFFICERS_ON_DUTY, SUPERVISOR),
            "restraint_check_minutes",
        ),
        _rule(
            RESTRAINT_OVER_LIMIT, "Restraint beyond the limit without approval",
            (SUPERVISOR, MEDIC), "restraint_max_minutes_without_approval",
        ),
        _rule(
            RESTRAINT_REMOVED_WITHOUT_AUTHORITY, "Restraint removed without authority",
            (SUPERVISOR,), fixed="Texas 37 TAC 273.6",
        ),
        _rule(
            OBSERVATION_OVERDUE, "Observation check overdue", (OFFICERS_ON_DUTY, SUPERVISOR),
            # The interval depends on the person's level: both sources apply.
            fixed=f"{POLICY_SOURCES['check_interval_general_minutes']}; "
            f"{POLICY_SOURCES['check_interval_suicide_watch_minutes']}",
        ),
        _rule(
            OBSERVATION_FIXED_PATTERN, "Suicide-watch checks at fixed intervals", (SUPERVISOR,),
            "check_interval_suicide_watch_minutes",
        ),
        _rule(
            EXERCISE_MISSED, "Outdoor exercise missed", (SUPERVISOR,),
            "outdoor_exercise_minutes_per_day",
        ),
        _rule(NO_VISITS, "No visits", (SUPERVISOR,), "no_visit_alert_days"),
        _rule(
            MOVEMENT_OVERDUE, "Movement overdue", (ESCORT, SUPERVISOR),
            "movement_return_grace_minutes",
        ),
        _rule(
            FORMAL_COUNT_MISSED, "Formal count missed", (SUPERVISOR,), "formal_count_times",
        ),
        _rule(POST_SHORT, "Guard post short", (SUPERVISOR,), fixed="local policy"),
        _rule(
            MEALS_MISSED, "Meals missed: medical referral", (MEDIC, SUPERVISOR),
            "meals_missed_referral",
        ),
        _rule(HUNGER_STRIKE, "Hunger strike", (MEDIC, SUPERVISOR), "hunger_strike_meals"),
        _rule(
            FORCED_ENTRY, "Unauthorised entry", (COMMANDER,),
            fixed="local policy (restricted zone, entry grants)",
        ),
        _rule(
            HOUSING_RULE, "Housing rule broken", (CLASSIFICATION, SUPERVISOR),
            fixed="housing rule book (docs/housing.md)",
        ),
        _rule(VISIT_OVERRUN, "Visit over its time", (ESCORT, SUPERVISOR), "visit_length_minutes"),
        # The addressee: the named member of staff, or everyone holding the role addressed
        # (the commander once the request was escalated).
        _rule(REQUEST_OVERDUE, "Request unanswered past its deadline", (ADDRESSEE,),
              "request_answer_days"),
        _rule(
            HEALTH_ASSESSMENT_OVERDUE, "Health assessment overdue", (MEDIC,),
            "health_assessment_days",
        ),
        # Clinical records are for medical staff: an emergency opening is reviewed by them.
        _rule(
            BREAK_GLASS_ACCESS, "Medical record opened by break-glass", (MEDICAL_LEAD,),
            "break_glass_minutes",
        ),
        # Holding someone past their date is unlawful detention: the commander answers for it.
        _rule(
            RELEASE_OVERDUE, "Held past the release date", (COMMANDER,), fixed=RELEASE_SOURCE,
        ),
        # Only the commander may release early (with a reason); the court should know.
        _rule(
            RELEASE_EARLY, "Release prepared before its date", (COMMANDER, COURT),
            fixed=RELEASE_SOURCE,
        ),
        _rule(
            RELEASE_DATE_UNREVIEWED, "Release date changed, not reviewed", (COURT, COMMANDER),
            fixed=RELEASE_SOURCE,
        ),
        _rule(
            COURT_PRODUCTION_MISSED, "Missed production to court", (SUPERVISOR, COMMANDER),
            "court_production_grace_minutes",
        ),
    )
}  # fmt: skip


# --- Facts -----------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """The policy numbers the rules use (defaults: the cited policy defaults)."""

    juvenile_adult_hold_hours: int = 6
    prolonged_solitary_alert_day: int = 12
    prolonged_solitary_breach_day: int = 16
    restraint_check_minutes: int = 15
    restraint_max_minutes_without_approval: int = 120
    outdoor_exercise_minutes_per_day: int = 60
    no_visit_alert_days: int = 30
    movement_return_grace_minutes: int = 15
    formal_count_grace_minutes: int = 30
    meals_missed_referral: int = 3
    hunger_strike_meals: int = 9
    visit_length_minutes: int = 30
    request_answer_days: int = 15
    health_assessment_days: int = 14
    court_production_grace_minutes: int = 30


@dataclass(frozen=True)
class Where:
    """A place as staff name it, with the ids that find the officers posted there."""

    label: str
    zone_id: int | None = None
    cell_id: int | None = None


@dataclass(frozen=True)
class Streak:
    """So many days (or meals) in a row, the first of them starting at ``since``."""

    count: int = 0
    since: dt.datetime | None = None


NO_STREAK = Streak()


@dataclass(frozen=True)
class Held:
    """One person held at the facility, as the rules see them."""

    booking: str
    name: str
    booked_at: dt.datetime
    born: dt.date | None = None
    # Their cell (None: not housed), since when, and whether its light works.
    where: Where | None = None
    housed_since: dt.datetime | None = None
    cell_lit: bool = True
    # On a movement now (not in the cell).
    out_of_cell: bool = False
    # The latest of: a check that saw them, their return from a movement, their housing.
    last_seen_at: dt.datetime | None = None
    observation_level: str = GENERAL
    observation_minutes: int = 60
    # Suicide watch: the times of their latest checks, oldest first.
    recent_checks: tuple[dt.datetime, ...] = ()
    solitary: Streak = NO_STREAK
    exercise_missed: Streak = NO_STREAK
    # The last visit: out to the visit room, or a visit started (in a room or their cell).
    # None: never in this booking.
    last_visit_at: dt.datetime | None = None
    # Meals refused or missed in a row, since the first of them.
    meals_without: Streak = NO_STREAK
    # When the full health assessment is due (booked at + the policy days); None once one
    # was completed.
    health_assessment_due_at: dt.datetime | None = None


@dataclass(frozen=True)
class RestraintFact:
    key: str
    booking: str
    name: str
    kind: str
    applied_at: dt.datetime
    where: Where | None = None
    last_check_at: dt.datetime | None = None
    supervisor_approved: bool = False
    medic_approved: bool = False
    removed_at: dt.datetime | None = None
    removal_authorised: bool = False
    removal_reviewed: bool = False


@dataclass(frozen=True)
class OpenMovement:
    booking: str
    name: str
    destination: str
    left_at: dt.datetime
    expected_return_at: dt.datetime | None
    escort: str = ""
    where: Where | None = None


@dataclass(frozen=True)
class CountSlot:
    """A scheduled formal count of today, and whether a count answered it."""

    label: str
    due_at: dt.datetime
    answered: bool


@dataclass(frozen=True)
class PostFact:
    code: str
    name: str
    required: int
    on_post: int
    shift_started_at: dt.datetime
    where: Where | None = None


@dataclass(frozen=True)
class IncidentFact:
    number: str
    occurred_at: dt.datetime
    place: str
    where: Where | None = None


@dataclass(frozen=True)
class ReviewFact:
    """An open housing alert raised by the housing app."""

    booking: str
    name: str
    code: str
    subject: str
    message: str
    raised_at: dt.datetime
    where: Where | None = None


@dataclass(frozen=True)
class VisitFact:
    """A visit in progress: when it started and when its booked length runs out."""

    key: str
    booking: str
    name: str
    place: str
    started_at: dt.datetime
    due_end_at: dt.datetime
    # The length booked, in minutes (the policy's, or longer for legal visits or an override).
    minutes: int
    escort: str = ""
    where: Where | None = None


@dataclass(frozen=True)
class RequestFact:
    """A request or grievance still waiting for staff, with its deadline and addressee."""

    number: str
    booking: str
    name: str
    subject: str
    due_at: dt.datetime
    # A role code (ROLE_LABELS) or "" when addressed to ``addressee`` by name.
    addressee_role: str = ""
    addressee: str = ""
    escalated: bool = False
    where: Where | None = None


@dataclass(frozen=True)
class BreakGlassFact:
    """A commander's emergency opening of a medical record, not yet reviewed.

    Who opened it and for whom; never the reason, which the board does not show.
    """

    key: str
    booking: str
    name: str
    opened_by: str
    opened_at: dt.datetime
    # How long it was opened for, in minutes (the policy's when it was opened).
    minutes: int
    where: Where | None = None


@dataclass(frozen=True)
class ReleaseDue:
    """A held person's computed release date, and whatever else keeps them in or lets them out."""

    booking: str
    name: str
    release_on: dt.date
    # The facility-local midnight that ends ``release_on``: held from then on, they are held
    # past their date.
    overdue_from: dt.datetime
    # Lawfully held whatever the date: an open hold or warrant, or a charge still pending on
    # an open case (remanded on another case).
    open_hold: bool = False
    pending_charge: bool = False
    # Out on a temporary absence (furlough, an assignment with a return): released for now.
    away: bool = False
    # A time-served release being prepared: its id and when it was asked for ("" for none).
    release_key: str = ""
    release_requested_at: dt.datetime | None = None
    where: Where | None = None


@dataclass(frozen=True)
class DateChangeFact:
    """A recomputation that moved a held person's release date, not yet reviewed."""

    key: str
    booking: str
    name: str
    previous_on: dt.date | None
    new_on: dt.date | None
    # What moved it ("sentence", "credit", "rule", "verdict", "transfer") and how.
    cause: str
    cause_detail: str
    computed_at: dt.datetime
    where: Where | None = None


@dataclass(frozen=True)
class HearingFact:
    """A scheduled hearing of a person held here, with no production started for it."""

    key: str
    booking: str
    name: str
    kind: str
    court: str
    docket: str
    scheduled_at: dt.datetime
    # The hearing's facility-local date and time, as staff read it ("2026-03-14 10:00").
    when: str
    where: Where | None = None


@dataclass(frozen=True)
class Facts:
    now: dt.datetime
    # The facility-local date of ``now``.
    today: dt.date
    facility: str
    serves_adults: bool = True
    limits: Limits = field(default_factory=Limits)
    people: Sequence[Held] = ()
    restraints: Sequence[RestraintFact] = ()
    movements: Sequence[OpenMovement] = ()
    counts: Sequence[CountSlot] = ()
    posts: Sequence[PostFact] = ()
    incidents: Sequence[IncidentFact] = ()
    reviews: Sequence[ReviewFact] = ()
    visits: Sequence[VisitFact] = ()
    requests: Sequence[RequestFact] = ()
    break_glass: Sequence[BreakGlassFact] = ()
    releases: Sequence[ReleaseDue] = ()
    date_changes: Sequence[DateChangeFact] = ()
    hearings: Sequence[HearingFact] = ()


# --- Alerts ----------------------------------------------------------------------


@dataclass(frozen=True)
class Responsible:
    """A role that must act, and the staff who hold it (filled by the selector)."""

    role: str
    names: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


@dataclass(frozen=True)
class Alert:
    rule: str
    title: str
    severity: str
    number: int
    unit: str
    limit: int
    source: str
    since: dt.datetime
    # "<rule>:<booking number or place>": what an alert is about, stable while it holds.
    subject: str
    message: str
    booking: str | None = None
    person: str = ""
    place: str = ""
    responsible: tuple[Responsible, ...] = ()
    where: Where | None = None

    @property
    def figure(self) -> str:
        return figure_text(self.number, self.unit)

    @property
    def limit_text(self) -> str:
        """ "limit 15 min", "needs 2 officers", or "none allowed" for a rule that allows none."""
        if self.limit == 0:
            return "none allowed"
        if self.unit == "officers":
            return f"needs {figure_text(self.limit, self.unit)}"
        return f"limit {figure_text(self.limit, self.unit)}"

    @property
    def is_breach(self) -> bool:
        return self.severity == BREACH


def figure_text(number: int, unit: str) -> str:
    """130 min -> "130 min (2 h 10 min)"; 1 days -> "1 day"; long spans also in days."""
    if unit == "min" and number >= 48 * 60:
        return f"{number:,} min ({number // (24 * 60)} days)"
    if unit == "min" and number >= 120:
        hours, minutes = divmod(number, 60)
        return f"{number} min ({hours} h {minutes} min)" if minutes else f"{number} min ({hours} h)"
    if unit == "h" and number >= 48:
        return f"{number} h ({number // 24} days)"
    singular = {"days": "day", "meals": "meal", "officers": "officer"}
    if number == 1 and unit in singular:
        return f"1 {singular[unit]}"
    return f"{number:,} {unit}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _minutes(span: dt.timedelta) -> int:
    return int(span.total_seconds() // 60)


def age_on(born: dt.date | None, day: dt.date) -> int | None:
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _alert(
    code: str,
    *,
    severity: str,
    number: int,
    limit: int,
    since: dt.datetime,
    key: str,
    message: str,
    booking: str | None = None,
    person: str = "",
    where: Where | None = None,
    place: str = "",
    named: dict[str, tuple[str, ...]] | None = None,
) -> Alert:
    rule = RULES[code]
    named = named or {}
    return Alert(
        rule=code, title=rule.title, severity=severity, number=number, unit=rule.unit, limit=limit,
        source=rule.source, since=since, subject=f"{code}:{key}", message=message,
        booking=booking, person=person, place=place or (where.label if where else ""),
        responsible=tuple(Responsible(role, named.get(role, ())) for role in rule.who),
        where=where,
    )  # fmt: skip


def _for_person(
    code: str,
    held: Held,
    *,
    severity: str,
    number: int,
    limit: int,
    since: dt.datetime,
    message: str,
) -> Alert:
    return _alert(
        code, severity=severity, number=number, limit=limit, since=since,
        key=held.booking, message=message, booking=held.booking, person=held.name,
        where=held.where,
    )  # fmt: skip


# --- Messages (tests assert on these) ---------------------------------------------

JUVENILE_MESSAGE = (
    "{name}, aged {age}, has been held {held} in an adult facility; the limit is {limit} h."
)
CHILD_SOLITARY_MESSAGE = (
    "{name}, aged {age}, has spent {days} in a row in solitary; a child may never be held "
    "in solitary."
)
PROLONGED_MESSAGE = (
    "{name} has spent {days} in a row in solitary (22 h or more in cell without meaningful "
    "contact); alert from day {alert}, breach from day {breach}."
)
DARK_CELL_MESSAGE = "{name} is held in {place}, which has no working light."
RESTRAINT_CHECKS_MESSAGE = (
    "{name} has been in {kind} for {span} since the last check; checks are due every {limit} min."
)
RESTRAINT_LIMIT_MESSAGE = (
    "{name} has been in {kind} for {span} without both a supervisor's and a medic's "
    "approval; the limit is {limit} min."
)
RESTRAINT_REMOVED_MESSAGE = (
    "{kind} came off {name} without anyone's authority; a supervisor must review the removal."
)
OBSERVATION_MESSAGE = "{name} was last seen {span} ago; {level} checks are due every {limit} min."
FIXED_PATTERN_MESSAGE = (
    "{name} is on suicide watch, but the last {gaps} checks came every {gap} min like "
    "clockwork; checks must be irregular."
)
EXERCISE_MESSAGE = "{name} has had less than {limit} min of outdoor exercise on {days} in a row."
NO_VISITS_MESSAGE = "{name} has had no visit for {days}; the alert comes after {limit}."
NO_VISITS_SOLITARY = " With {streak} of solitary, this is a breach."
MOVEMENT_MESSAGE = "{name} is {span} late back from {destination}."
COUNT_MESSAGE = (
    "The {label} formal count has not been started; it was due {span} ago ({grace} min grace)."
)
POST_MESSAGE = "{post} has {on} of the {required} officers it needs this shift."
MEALS_MESSAGE = "{name} has gone without {count} meals in a row: refer to medical."
HUNGER_MESSAGE = "{name} has gone without {count} meals in a row: treat as a hunger strike."
FORCED_MESSAGE = "Unauthorised entry into {place} ({number}) waits for the commander's review."
VISIT_AT_LIMIT_MESSAGE = (
    "{name}'s visit in {place} has reached its {limit} min: the escort must end it now."
)
VISIT_OVERRUN_MESSAGE = (
    "{name}'s visit in {place} has run {span} over its {limit} min: the escort must end it now."
)
REQUEST_OVERDUE_MESSAGE = (
    "{number} from {name} ({subject}) is unanswered past its {limit}-day deadline "
    "({days} overdue); it waits for {addressee}."
)
REQUEST_ESCALATED = " It was escalated to the commander."
HEALTH_ASSESSMENT_MESSAGE = (
    "{name} was booked {days} ago and has had no health assessment; it is due within "
    "{limit} days of booking."
)
BREAK_GLASS_MESSAGE = (
    "{opener} opened the medical record of {name} by break-glass {span} ago; the medical lead "
    "must review why."
)
RELEASE_OVERDUE_MESSAGE = (
    "{name} was due for release on {date} and is still held, {days} past the date, with no "
    "hold, warrant or pending charge to keep them: release them or record what holds them."
)
RELEASE_EARLY_MESSAGE = (
    "A time-served release of {name} is being prepared {days} before the release date "
    "({date}); only the commander may release early, with a reason."
)
DATE_CHANGE_MESSAGE = (
    "{name}'s release date moved from {previous} to {new} ({cause}: {detail}) {ago}; "
    "the court must review the change."
)
PRODUCTION_MESSAGE = (
    "{name} has not been produced for the {kind} at {court} ({docket}) set for {when}: "
    "{span} late ({grace} min grace)."
)


# --- Rules about one person -------------------------------------------------------


def juvenile_in_adult_facility(held: Held, facts: Facts) -> list[Alert]:
    age = age_on(held.born, facts.today)
    if not facts.serves_adults or age is None or age >= 18:
        return []
    limit = facts.limits.juvenile_adult_hold_hours
    held_for = facts.now - held.booked_at
    if held_for <= dt.timedelta(hours=limit):
        return []
    hours = int(held_for.total_seconds() // 3600)
    message = JUVENILE_MESSAGE.format(
        name=held.name, age=age, held=figure_text(hours, "h"), limit=limit
    )
    return [
        _for_person(
            JUVENILE_IN_ADULT_FACILITY, held, severity=BREACH, number=hours, limit=limit,
            since=held.booked_at + dt.timedelta(hours=limit), message=message,
        )
    ]  # fmt: skip


def child_in_solitary(held: Held, facts: Facts) -> list[Alert]:
    age = age_on(held.born, facts.today)
    streak = held.solitary
    if age is None or age >= 18 or streak.count < 1 or streak.since is None:
        return []
    days = _plural(streak.count, "day")
    message = CHILD_SOLITARY_MESSAGE.format(name=held.name, age=age, days=days)
    return [
        _for_person(
            CHILD_IN_SOLITARY, held, severity=BREACH, number=streak.count, limit=0,
            since=streak.since, message=message,
        )
    ]  # fmt: skip


def prolonged_solitary(held: Held, facts: Facts) -> list[Alert]:
    limits = facts.limits
    streak = held.solitary
    if streak.count < limits.prolonged_solitary_alert_day or streak.since is None:
        return []
    breach = streak.count >= limits.prolonged_solitary_breach_day
    message = PROLONGED_MESSAGE.format(
        name=held.name, days=_plural(streak.count, "day"),
        alert=limits.prolonged_solitary_alert_day, breach=limits.prolonged_solitary_breach_day,
    )  # fmt: skip
    return [
        _for_person(
            PROLONGED_SOLITARY, held, severity=BREACH if breach else WARNING,
            number=streak.count, limit=limits.prolonged_solitary_breach_day if breach
            else limits.prolonged_solitary_alert_day,
            since=streak.since + dt.timedelta(days=limits.prolonged_solitary_alert_day - 1),
            message=message,
        )
    ]  # fmt: skip


def dark_cell(held: Held, facts: Facts) -> list[Alert]:
    if held.where is None or held.cell_lit or held.housed_since is None:
        return []
    days = max(0, (facts.now - held.housed_since).days)
    message = DARK_CELL_MESSAGE.format(name=held.name, place=held.where.label)
    return [
        _for_person(
            DARK_CELL, held, severity=BREACH, number=days, limit=0,
            since=held.housed_since, message=message,
        )
    ]  # fmt: skip


def observation_overdue(held: Held, facts: Facts) -> list[Alert]:
    if held.where is None or held.out_of_cell or held.last_seen_at is None:
        return []
    limit = held.observation_minutes
    since_seen = facts.now - held.last_seen_at
    if since_seen <= dt.timedelta(minutes=limit):
        return []
    minutes = _minutes(since_seen)
    level = LEVEL_LABELS.get(held.observation_level, held.observation_level)
    message = OBSERVATION_MESSAGE.format(
        name=held.name, span=figure_text(minutes, "min"), level=level, limit=limit
    )
    return [
        _for_person(
            OBSERVATION_OVERDUE, held, severity=BREACH, number=minutes, limit=limit,
            since=held.last_seen_at + dt.timedelta(minutes=limit), message=message,
        )
    ]  # fmt: skip


def fixed_gaps(checks: Sequence[dt.datetime]) -> dt.timedelta | None:
    """The common gap if the last ``FIXED_PATTERN_GAPS`` gaps are equal within a minute."""
    if len(checks) < FIXED_PATTERN_GAPS + 1:
        return None
    last = sorted(checks)[-(FIXED_PATTERN_GAPS + 1) :]
    gaps = [later - earlier for earlier, later in itertools.pairwise(last)]
    if max(gaps) - min(gaps) > FIXED_PATTERN_TOLERANCE:
        return None
    return min(gaps)


def observation_fixed_pattern(held: Held, facts: Facts) -> list[Alert]:
    if held.observation_level != SUICIDE_WATCH:
        return []
    gap = fixed_gaps(held.recent_checks)
    if gap is None:
        return []
    since = sorted(held.recent_checks)[-(FIXED_PATTERN_GAPS + 1)]
    minutes = round(gap.total_seconds() / 60)
    message = FIXED_PATTERN_MESSAGE.format(name=held.name, gaps=FIXED_PATTERN_GAPS, gap=minutes)
    return [
        _for_person(
            OBSERVATION_FIXED_PATTERN, held, severity=WARNING, number=minutes,
            limit=held.observation_minutes, since=since, message=message,
        )
    ]  # fmt: skip


def exercise_missed(held: Held, facts: Facts) -> list[Alert]:
    streak = held.exercise_missed
    if streak.count < 1 or streak.since is None:
        return []
    limit = facts.limits.outdoor_exercise_minutes_per_day
    message = EXERCISE_MESSAGE.format(
        name=held.name, limit=limit, days=_plural(streak.count, "day")
    )
    return [
        _for_person(
            EXERCISE_MISSED, held, severity=BREACH, number=streak.count, limit=limit,
            since=streak.since, message=message,
        )
    ]  # fmt: skip


def no_visits(held: Held, facts: Facts) -> list[Alert]:
    limit = facts.limits.no_visit_alert_days
    last = held.last_visit_at or held.booked_at
    if facts.now - last < dt.timedelta(days=limit):
        return []
    days = (facts.now - last).days
    in_solitary = held.solitary.count >= 1
    message = NO_VISITS_MESSAGE.format(
        name=held.name, days=_plural(days, "day"), limit=_plural(limit, "day")
    )
    if in_solitary:
        message += NO_VISITS_SOLITARY.format(streak=_plural(held.solitary.count, "day"))
    return [
        _for_person(
            NO_VISITS, held, severity=BREACH if in_solitary else WARNING, number=days,
            limit=limit, since=last + dt.timedelta(days=limit), message=message,
        )
    ]  # fmt: skip


def meals(held: Held, facts: Facts) -> list[Alert]:
    limits = facts.limits
    streak = held.meals_without
    if streak.count < limits.meals_missed_referral or streak.since is None:
        return []
    # A hunger strike replaces the referral: one alert per person, the worse one.
    strike = streak.count >= limits.hunger_strike_meals
    code, template = (HUNGER_STRIKE, HUNGER_MESSAGE) if strike else (MEALS_MISSED, MEALS_MESSAGE)
    return [
        _for_person(
            code, held, severity=BREACH if strike else WARNING, number=streak.count,
            limit=limits.hunger_strike_meals if strike else limits.meals_missed_referral,
            since=streak.since, message=template.format(name=held.name, count=streak.count),
        )
    ]  # fmt: skip


def health_assessment_overdue(held: Held, facts: Facts) -> list[Alert]:
    due = held.health_assessment_due_at
    # Due within the days of booking: overdue once that moment is past.
    if due is None or facts.now <= due:
        return []
    days = (facts.now - held.booked_at).days
    limit = facts.limits.health_assessment_days
    message = HEALTH_ASSESSMENT_MESSAGE.format(
        name=held.name, days=_plural(days, "day"), limit=limit
    )
    return [
        _for_person(
            HEALTH_ASSESSMENT_OVERDUE, held, severity=BREACH, number=days, limit=limit,
            since=due, message=message,
        )
    ]  # fmt: skip


PERSON_RULES: tuple[Callable[[Held, Facts], list[Alert]], ...] = (
    juvenile_in_adult_facility,
    child_in_solitary,
    prolonged_solitary,
    dark_cell,
    observation_overdue,
    observation_fixed_pattern,
    exercise_missed,
    no_visits,
    meals,
    health_assessment_overdue,
)


# --- Rules about restraints, movements, counts, posts, incidents, reviews, visits --


def restraint_alerts(restraint: RestraintFact, facts: Facts) -> list[Alert]:
    limits = facts.limits
    key = f"{restraint.booking}:{restraint.key}"

    def alert(code: str, *, number: int, limit: int, since: dt.datetime, message: str) -> Alert:
        return _alert(
            code, severity=BREACH, number=number, limit=limit, since=since, key=key,
            message=message, booking=restraint.booking, person=restraint.name,
            where=restraint.where,
        )  # fmt: skip

    if restraint.removed_at is not None:
        if restraint.removal_authorised or restraint.removal_reviewed:
            return []
        message = RESTRAINT_REMOVED_MESSAGE.format(kind=restraint.kind, name=restraint.name)
        return [
            alert(
                RESTRAINT_REMOVED_WITHOUT_AUTHORITY, limit=0, since=restraint.removed_at,
                number=_minutes(facts.now - restraint.removed_at), message=message,
            )
        ]  # fmt: skip
    found: list[Alert] = []
    last = max(restraint.applied_at, restraint.last_check_at or restraint.applied_at)
    interval = limits.restraint_check_minutes
    if facts.now - last > dt.timedelta(minutes=interval):
        minutes = _minutes(facts.now - last)
        message = RESTRAINT_CHECKS_MESSAGE.format(
            name=restraint.name,
            kind=restraint.kind.lower(),
            span=figure_text(minutes, "min"),
            limit=interval,
        )
        found.append(
            alert(
                RESTRAINT_CHECKS_OVERDUE, number=minutes, limit=interval,
                since=last + dt.timedelta(minutes=interval), message=message,
            )
        )  # fmt: skip
    most = limits.restraint_max_minutes_without_approval
    approved = restraint.supervisor_approved and restraint.medic_approved
    if not approved and facts.now - restraint.applied_at > dt.timedelta(minutes=most):
        minutes = _minutes(facts.now - restraint.applied_at)
        message = RESTRAINT_LIMIT_MESSAGE.format(
            name=restraint.name,
            kind=restraint.kind.lower(),
            span=figure_text(minutes, "min"),
            limit=most,
        )
        found.append(
            alert(
                RESTRAINT_OVER_LIMIT, number=minutes, limit=most,
                since=restraint.applied_at + dt.timedelta(minutes=most), message=message,
            )
        )  # fmt: skip
    return found


def movement_overdue(movement: OpenMovement, facts: Facts) -> list[Alert]:
    if movement.expected_return_at is None:
        return []
    grace = facts.limits.movement_return_grace_minutes
    due = movement.expected_return_at + dt.timedelta(minutes=grace)
    # Overdue from that minute on, as the movements page says (custody.selectors.movements).
    if facts.now < due:
        return []
    minutes = _minutes(facts.now - movement.expected_return_at)
    message = MOVEMENT_MESSAGE.format(
        name=movement.name, span=figure_text(minutes, "min"), destination=movement.destination
    )
    return [
        _alert(
            MOVEMENT_OVERDUE, severity=BREACH, number=minutes, limit=grace,
            since=due, key=movement.booking, message=message, booking=movement.booking,
            person=movement.name, where=movement.where,
            named={ESCORT: (movement.escort,)} if movement.escort else None,
        )
    ]  # fmt: skip


def formal_count_missed(slot: CountSlot, facts: Facts) -> list[Alert]:
    grace = facts.limits.formal_count_grace_minutes
    due = slot.due_at + dt.timedelta(minutes=grace)
    # Missed from that minute on, as the counts page says (custody.selectors.counts).
    if slot.answered or facts.now < due:
        return []
    minutes = _minutes(facts.now - slot.due_at)
    message = COUNT_MESSAGE.format(label=slot.label, span=figure_text(minutes, "min"), grace=grace)
    return [
        _alert(
            FORMAL_COUNT_MISSED, severity=BREACH, number=minutes, limit=grace,
            since=due, key=f"{facts.facility}@{facts.today.isoformat()}T{slot.label}",
            message=message, place=f"{facts.facility} count {slot.label}",
        )
    ]  # fmt: skip


def post_short(post: PostFact, facts: Facts) -> list[Alert]:
    if post.on_post >= post.required:
        return []
    message = POST_MESSAGE.format(post=post.name, on=post.on_post, required=post.required)
    return [
        _alert(
            POST_SHORT, severity=BREACH, number=post.on_post, limit=post.required,
            since=post.shift_started_at, key=post.code, message=message,
            place=post.name, where=post.where,
        )
    ]  # fmt: skip


def forced_entry(incident: IncidentFact, facts: Facts) -> list[Alert]:
    message = FORCED_MESSAGE.format(place=incident.place, number=incident.number)
    return [
        _alert(
            FORCED_ENTRY, severity=BREACH, number=_minutes(facts.now - incident.occurred_at),
            limit=0, since=incident.occurred_at, key=incident.number,
            message=message, place=incident.place, where=incident.where,
        )
    ]  # fmt: skip


def housing_rule(review: ReviewFact, facts: Facts) -> list[Alert]:
    alert = _alert(
        HOUSING_RULE, severity=BREACH, number=_minutes(facts.now - review.raised_at),
        limit=0, since=review.raised_at, key=review.subject, message=review.message,
        booking=review.booking, person=review.name, where=review.where,
    )  # fmt: skip
    # The housing rule's own code names the alert.
    return [replace(alert, title=f"{alert.title}: {review.code.replace('_', ' ')}")]


def visit_overrun(visit: VisitFact, facts: Facts) -> list[Alert]:
    # Due at the end of its length: the officer is prompted at that minute, not after it.
    if facts.now < visit.due_end_at:
        return []
    minutes = _minutes(facts.now - visit.due_end_at)
    values = {"name": visit.name, "place": visit.place, "limit": visit.minutes}
    message = (
        VISIT_OVERRUN_MESSAGE.format(span=figure_text(minutes, "min"), **values)
        if minutes
        else VISIT_AT_LIMIT_MESSAGE.format(**values)
    )
    return [
        _alert(
            # At the limit it is time to end it; past the limit the rule is broken.
            VISIT_OVERRUN, severity=BREACH if minutes else WARNING, number=minutes,
            limit=visit.minutes, since=visit.due_end_at, key=f"{visit.booking}:{visit.key}",
            message=message, booking=visit.booking, person=visit.name, where=visit.where,
            place=visit.place, named={ESCORT: (visit.escort,)} if visit.escort else None,
        )
    ]  # fmt: skip


def request_overdue(request: RequestFact, facts: Facts) -> list[Alert]:
    if facts.now < request.due_at:
        return []
    days = (facts.now - request.due_at).days
    limit = facts.limits.request_answer_days
    if request.addressee_role:
        role = request.addressee_role
        addressee = f"the {ROLE_LABELS.get(role, role).lower()}"
        who = Responsible(role)
    else:
        addressee = request.addressee
        who = Responsible(ADDRESSEE, (request.addressee,) if request.addressee else ())
    message = REQUEST_OVERDUE_MESSAGE.format(
        number=request.number, name=request.name, subject=request.subject, limit=limit,
        days=_plural(days, "day"), addressee=addressee,
    )  # fmt: skip
    if request.escalated:
        message += REQUEST_ESCALATED
    alert = _alert(
        REQUEST_OVERDUE, severity=BREACH, number=days, limit=limit, since=request.due_at,
        key=request.number, message=message, booking=request.booking, person=request.name,
        where=request.where,
    )  # fmt: skip
    # Whoever the request is addressed to must answer it: a named person or a role.
    return [replace(alert, responsible=(who,))]


def break_glass_access(access: BreakGlassFact, facts: Facts) -> list[Alert]:
    # A warning from the minute it is opened until someone reviews it, open or not.
    minutes = max(0, _minutes(facts.now - access.opened_at))
    message = BREAK_GLASS_MESSAGE.format(
        opener=access.opened_by, name=access.name, span=figure_text(minutes, "min")
    )
    return [
        _alert(
            BREAK_GLASS_ACCESS, severity=WARNING, number=minutes, limit=access.minutes,
            since=access.opened_at, key=f"{access.booking}:{access.key}", message=message,
            booking=access.booking, person=access.name, where=access.where,
        )
    ]  # fmt: skip


# --- Rules about release dates and court ---------------------------------------------


def release_overdue(due: ReleaseDue, facts: Facts) -> list[Alert]:
    # The due day itself is not overdue: the person may walk out at any time that day.
    if facts.today <= due.release_on:
        return []
    # Someone away, or held on a hold or another case, is not held past their date.
    if due.away or due.open_hold or due.pending_charge:
        return []
    days = (facts.today - due.release_on).days
    message = RELEASE_OVERDUE_MESSAGE.format(
        name=due.name, date=due.release_on.isoformat(), days=_plural(days, "day")
    )
    return [
        _alert(
            RELEASE_OVERDUE, severity=BREACH, number=days, limit=0, since=due.overdue_from,
            key=due.booking, message=message, booking=due.booking, person=due.name,
            where=due.where,
        )
    ]  # fmt: skip


def release_early(due: ReleaseDue, facts: Facts) -> list[Alert]:
    requested = due.release_requested_at
    # On the due day a time-served release is on time.
    if not due.release_key or requested is None or due.release_on <= facts.today:
        return []
    days = (due.release_on - facts.today).days
    message = RELEASE_EARLY_MESSAGE.format(
        name=due.name, days=_plural(days, "day"), date=due.release_on.isoformat()
    )
    return [
        _alert(
            RELEASE_EARLY, severity=WARNING, number=days, limit=0, since=requested,
            key=f"{due.booking}:{due.release_key}", message=message, booking=due.booking,
            person=due.name, where=due.where,
        )
    ]  # fmt: skip


def _date_text(day: dt.date | None) -> str:
    return day.isoformat() if day else "no date"


def release_date_unreviewed(change: DateChangeFact, facts: Facts) -> list[Alert]:
    # A warning from the minute the date moves until someone reviews the change.
    days = max(0, (facts.now - change.computed_at).days)
    message = DATE_CHANGE_MESSAGE.format(
        name=change.name, previous=_date_text(change.previous_on),
        new=_date_text(change.new_on), cause=change.cause, detail=change.cause_detail,
        ago=f"{_plural(days, 'day')} ago" if days else "less than a day ago",
    )  # fmt: skip
    return [
        _alert(
            RELEASE_DATE_UNREVIEWED, severity=WARNING, number=days, limit=0,
            since=change.computed_at, key=f"{change.booking}:{change.key}", message=message,
            booking=change.booking, person=change.name, where=change.where,
        )
    ]  # fmt: skip


def court_production_missed(hearing: HearingFact, facts: Facts) -> list[Alert]:
    grace = facts.limits.court_production_grace_minutes
    due = hearing.scheduled_at + dt.timedelta(minutes=grace)
    # Missed from that minute on, like a late return or count.
    if facts.now < due:
        return []
    minutes = _minutes(facts.now - hearing.scheduled_at)
    message = PRODUCTION_MESSAGE.format(
        name=hearing.name, kind=hearing.kind.lower(), court=hearing.court,
        docket=hearing.docket, when=hearing.when, span=figure_text(minutes, "min"), grace=grace,
    )  # fmt: skip
    return [
        _alert(
            COURT_PRODUCTION_MISSED, severity=BREACH, number=minutes, limit=grace, since=due,
            key=f"{hearing.booking}:{hearing.key}", message=message, booking=hearing.booking,
            person=hearing.name, where=hearing.where,
        )
    ]  # fmt: skip


# --- Everything at once ------------------------------------------------------------


def sort_key(alert: Alert) -> tuple[int, dt.datetime, str]:
    """Breaches first, then the oldest condition, then by subject (stable)."""
    return (_SEVERITY_ORDER.get(alert.severity, 2), alert.since, alert.subject)


def evaluate(facts: Facts) -> list[Alert]:
    """Every alert the facts give, breaches first, then oldest first."""
    found: list[Alert] = []
    for held in facts.people:
        for person_rule in PERSON_RULES:
            found += person_rule(held, facts)
    for restraint in facts.restraints:
        found += restraint_alerts(restraint, facts)
    for movement in facts.movements:
        found += movement_overdue(movement, facts)
    for slot in facts.counts:
        found += formal_count_missed(slot, facts)
    for post in facts.posts:
        found += post_short(post, facts)
    for incident in facts.incidents:
        found += forced_entry(incident, facts)
    for review in facts.reviews:
        found += housing_rule(review, facts)
    for visit in facts.visits:
        found += visit_overrun(visit, facts)
    for request in facts.requests:
        found += request_overdue(request, facts)
    for access in facts.break_glass:
        found += break_glass_access(access, facts)
    for due in facts.releases:
        found += release_overdue(due, facts) + release_early(due, facts)
    for change in facts.date_changes:
        found += release_date_unreviewed(change, facts)
    for hearing in facts.hearings:
        found += court_production_missed(hearing, facts)
    return sorted(found, key=sort_key)
