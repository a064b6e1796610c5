"""The visit rule book: pure functions over plain data that return violations.

Booking a visit, authorising an in-cell visit, checking visitors in at the
desk and the pages that show why a slot is refused all ask ``check_visit``.
It takes dataclasses, not models, so tests call it without a database.

A violation is *overridable* when the commander may let one visit go ahead
despite it (a protective order, a policy limit, a minor without a guardian),
and not when going ahead is impossible (the room is full or closed, the
person is on another visit, the time has passed).  Each message starts with
the rule's title and names who, which order, which number and which limit.

Legal and official visits are neither held to nor counted against the policy
limits (length, visits per day and per week, visitors per visit, the visiting
list, the notice period); a suspension stops them only when it says so.
Limits and keep-separate orders apply in booking order: a visit checked again
(at authorisation or at the desk) is compared only with visits booked before
it, so a later visit let through by an override never refuses an earlier one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

# Overridable: the commander may let one visit go ahead despite them.
PROTECTIVE_ORDER = "protective_order"
VISITOR_BANNED = "visitor_banned"
VISITOR_NOT_APPROVED = "visitor_not_approved"
NOT_ON_VISITING_LIST = "not_on_visiting_list"
KEEP_SEPARATE = "keep_separate"
VISITS_SUSPENDED = "visits_suspended"
VISIT_TOO_LONG = "visit_too_long"
VISITS_PER_DAY = "visits_per_day"
VISITS_PER_WEEK = "visits_per_week"
TOO_MANY_VISITORS = "too_many_visitors"
BOOKED_TOO_SOON = "booked_too_soon"
BOOKED_TOO_FAR_AHEAD = "booked_too_far_ahead"
MINOR_WITHOUT_GUARDIAN = "minor_without_guardian"
# Not overridable: the visit cannot take place as asked.
ROOM_FULL = "room_full"
ROOM_CLOSED = "room_closed"
ROOM_KIND = "room_kind"
VISITOR_BUSY = "visitor_busy"
PERSON_BUSY = "person_busy"
NOT_IN_CUSTODY = "not_in_custody"
IN_THE_PAST = "in_the_past"
NO_VISITORS = "no_visitors"
VISITOR_IN_CUSTODY = "visitor_in_custody"

OVERRIDABLE = frozenset(
    {
        PROTECTIVE_ORDER,
        VISITOR_BANNED,
        VISITOR_NOT_APPROVED,
        NOT_ON_VISITING_LIST,
        KEEP_SEPARATE,
        VISITS_SUSPENDED,
        VISIT_TOO_LONG,
        VISITS_PER_DAY,
        VISITS_PER_WEEK,
        TOO_MANY_VISITORS,
        BOOKED_TOO_SOON,
        BOOKED_TOO_FAR_AHEAD,
        MINOR_WITHOUT_GUARDIAN,
    }
)
NOT_OVERRIDABLE = frozenset(
    {
        ROOM_FULL,
        ROOM_CLOSED,
        ROOM_KIND,
        VISITOR_BUSY,
        PERSON_BUSY,
        NOT_IN_CUSTODY,
        IN_THE_PAST,
        NO_VISITORS,
        VISITOR_IN_CUSTODY,
    }
)

# The rules legal and official visits are exempt from.
UNLIMITED_EXEMPT = frozenset(
    {
        VISIT_TOO_LONG,
        VISITS_PER_DAY,
        VISITS_PER_WEEK,
        TOO_MANY_VISITORS,
        NOT_ON_VISITING_LIST,
        BOOKED_TOO_SOON,
    }
)

# Each rule's title: the start of its message, and its name on pages and in overrides.
TITLES: dict[str, str] = {
    PROTECTIVE_ORDER: "Protective order",
    VISITOR_BANNED: "Visitor banned",
    VISITOR_NOT_APPROVED: "Visitor not approved",
    NOT_ON_VISITING_LIST: "Visiting list",
    KEEP_SEPARATE: "Keep separate",
    VISITS_SUSPENDED: "Visits suspended",
    VISIT_TOO_LONG: "Visit length",
    VISITS_PER_DAY: "Visits per day",
    VISITS_PER_WEEK: "Visits per week",
    TOO_MANY_VISITORS: "Visitors per visit",
    BOOKED_TOO_SOON: "Booking notice",
    BOOKED_TOO_FAR_AHEAD: "Booking horizon",
    MINOR_WITHOUT_GUARDIAN: "Minor visitor",
    ROOM_FULL: "Room capacity",
    ROOM_CLOSED: "Room hours",
    ROOM_KIND: "Room kind",
    VISITOR_BUSY: "Visitor busy",
    PERSON_BUSY: "Another visit",
    NOT_IN_CUSTODY: "Not in custody",
    IN_THE_PAST: "In the past",
    NO_VISITORS: "No visitors",
    VISITOR_IN_CUSTODY: "Visitor in custody",
}

MESSAGES: dict[str, str] = {
    PROTECTIVE_ORDER: ("{visitor} is protected by a no-contact order against {person} ({order})."),
    VISITOR_BANNED: "{visitor} is banned from the facility until {until}: {reason}.",
    VISITOR_NOT_APPROVED: "{visitor} is not an approved visitor (registry: {status}).",
    NOT_ON_VISITING_LIST: "{visitor} is not on the approved visiting list of {person}.",
    KEEP_SEPARATE: (
        "{person} and {other} are under a keep-separate order ({order}), and {other} has a "
        "visit in {room} from {start} to {end}."
    ),
    KEEP_SEPARATE + ":group": (
        "{person} and {other} are kept apart ({named} from the members of {group}: {order}), "
        "and {other} has a visit in {room} from {start} to {end}."
    ),
    VISITS_SUSPENDED: "the visits of {person} are suspended until {until}: {reason}.",
    VISIT_TOO_LONG: "{minutes} minutes asked; the limit is {limit} minutes.",
    VISITS_PER_DAY: "{person} already has {count} on {day}; the limit is {limit}.",
    VISITS_PER_WEEK: (
        "{person} already has {count} in the week of {monday} to {sunday}; the limit is {limit}."
    ),
    TOO_MANY_VISITORS: "{count} visitors; the limit is {limit} per visit.",
    BOOKED_TOO_SOON: (
        "the visit starts at {start}, {hours} hours from now; visits are booked at least "
        "{limit} hours ahead."
    ),
    BOOKED_TOO_FAR_AHEAD: (
        "the visit starts on {day}, {days} days from now; visits are booked at most "
        "{limit} days ahead."
    ),
    MINOR_WITHOUT_GUARDIAN: (
        "{visitor} is {age} and comes without a parent or guardian (registered: {guardians})."
    ),
    ROOM_FULL: "{room} already holds {count} then ({start} to {end}); its capacity is {limit}.",
    ROOM_CLOSED: "{room} is open from {opens} to {closes}; the visit runs from {start} to {end}.",
    ROOM_CLOSED + ":inactive": "{room} is not in use.",
    ROOM_KIND: "a {kind} visit takes a {wanted} room; {room} is a {room_kind} room.",
    VISITOR_BUSY: "{visitor} is on another visit then ({other}, {start} to {end}).",
    PERSON_BUSY: "{person} has another visit then ({kind}, {start} to {end}).",
    NOT_IN_CUSTODY: "{person} ({booking}) is not held here any more.",
    IN_THE_PAST: "the visit would start at {start}, which has passed.",
    NO_VISITORS: "name at least one visitor.",
    VISITOR_IN_CUSTODY: "{visitor} is in custody ({booking}).",
}

UNTIL_FURTHER_NOTICE = "further notice"
NO_GUARDIAN = "none"


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    overridable: bool = True

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "overridable": self.overridable}


# --- Facts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """The facility's visit numbers (facilities.FacilityPolicy)."""

    length_minutes: int = 30
    per_day: int = 1
    per_week: int = 3
    visitors_per_visit: int = 2
    booking_min_hours: int = 24
    booking_max_days: int = 14


@dataclass(frozen=True)
class Window:
    """Something in force from ``starts_at`` until ``until`` (None: until further notice)."""

    starts_at: dt.datetime
    until: dt.datetime | None = None

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        return self.starts_at < end and (self.until is None or self.until > start)


@dataclass(frozen=True)
class Ban(Window):
    reason: str = ""


@dataclass(frozen=True)
class Suspension(Window):
    reason: str = ""
    # Legal and official visits go ahead during a suspension unless this is set.
    includes_legal: bool = False


@dataclass(frozen=True)
class ProtectiveOrder(Window):
    """No contact between the person in custody and ``protected_person`` (a person's key)."""

    protected_person: str = ""
    # How staff know the order: its reference (docket number) or who issued it.
    label: str = ""


@dataclass(frozen=True)
class Separation(Window):
    """Keep ``person`` apart from ``other_person``, or from every member of ``group``."""

    person: str = ""
    other_person: str | None = None
    group: str | None = None
    group_name: str = ""
    label: str = ""

    def binds(self, me: str, my_groups: frozenset[str], other: str, groups: frozenset[str]) -> bool:
        """True when the order keeps ``me`` and ``other`` apart (in either direction)."""
        if self.other_person is not None:
            return {me, other} == {self.person, self.other_person}
        return (me == self.person and self.group in groups) or (
            other == self.person and self.group in my_groups
        )


@dataclass(frozen=True)
class Room:
    key: str
    name: str
    kind: str
    kind_label: str
    capacity: int
    opens_at: dt.time
    closes_at: dt.time
    active: bool = True


@dataclass(frozen=True)
class InCustody:
    """The person visited."""

    key: str
    name: str
    booking_number: str
    # The booking is open (in intake or in custody).
    held: bool = True
    # Security groups the person belongs to (their keys), for group keep-separate orders.
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class VisitorFacts:
    key: str
    # The visitor's person: protective orders name people, not visitor records.
    person: str
    name: str
    approved: bool = True
    status_label: str = "approved"
    born: dt.date | None = None
    # On the person's visiting list, approved.
    on_list: bool = True
    # The visitors (keys) registered as this visitor's parent or guardian, and their names.
    guardians: frozenset[str] = frozenset()
    guardian_names: tuple[str, ...] = ()
    bans: tuple[Ban, ...] = ()
    # The booking number when the visitor is held in custody themselves.
    held_as: str = ""


@dataclass(frozen=True)
class BookedVisit:
    """Another visit that holds its slot."""

    key: str
    booking: str
    person: str
    person_name: str
    kind_label: str
    unlimited: bool
    room: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    visitors: frozenset[str] = frozenset()
    # The visited person's security groups (keys).
    groups: frozenset[str] = frozenset()
    # Booked before the visit checked (always so for a new visit): limits and
    # keep-separate orders apply in booking order.
    booked_before: bool = True

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        return self.starts_at < end and self.ends_at > start


@dataclass(frozen=True)
class VisitFacts:
    """Everything the rules need about one visit, booked or asked for."""

    # The moment the booking window counts from: now for a new visit, when it was booked
    # for one checked again.
    now: dt.datetime
    # The facility's time zone: days, weeks and opening hours are local.
    zone: str
    kind: str
    kind_label: str
    # Legal and official visits: exempt from the policy limits.
    unlimited: bool
    starts_at: dt.datetime
    minutes: int
    person: InCustody
    visitors: tuple[VisitorFacts, ...]
    policy: Policy = field(default_factory=Policy)
    # None for an in-cell visit.
    room: Room | None = None
    # The room kind this visit kind takes (None: in the cell), and its label.
    room_kind_wanted: str | None = None
    room_kind_wanted_label: str = ""
    booked: tuple[BookedVisit, ...] = ()
    protective_orders: tuple[ProtectiveOrder, ...] = ()
    separations: tuple[Separation, ...] = ()
    suspensions: tuple[Suspension, ...] = ()

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.minutes)


# --- Helpers ----------------------------------------------------------------------------


def local(moment: dt.datetime, zone: str) -> dt.datetime:
    return moment.astimezone(ZoneInfo(zone))


def at_local(day: dt.date, time: dt.time, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def is_minor(visitor: VisitorFacts, day: dt.date) -> bool:
    """Under 18 on ``day`` (an unknown date of birth is not taken for a minor's)."""
    return visitor.born is not None and age_on(visitor.born, day) < 18


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The ISO week (Monday to Sunday) ``day`` falls in."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def _visits(count: int) -> str:
    return f"{count} visit" if count == 1 else f"{count} visits"


def _hhmm(moment: dt.datetime, zone: str) -> str:
    return f"{local(moment, zone):%H:%M}"


def _when(moment: dt.datetime, zone: str) -> str:
    return f"{local(moment, zone):%Y-%m-%d %H:%M}"


def _until(until: dt.datetime | None, zone: str) -> str:
    return UNTIL_FURTHER_NOTICE if until is None else _when(until, zone)


def violation(code: str, variant: str = "", **values: object) -> Violation:
    """The violation of rule ``code``: its title, then its message filled in."""
    text = MESSAGES[f"{code}:{variant}" if variant else code].format(**values)
    return Violation(
        code=code, message=f"{TITLES[code]}: {text}", overridable=code not in NOT_OVERRIDABLE
    )


def most_at_once(
    spans: Iterable[tuple[dt.datetime, dt.datetime]], start: dt.datetime, end: dt.datetime
) -> int:
    """The most of ``spans`` (start, end) running at the same moment within [start, end)."""
    edges: list[tuple[dt.datetime, int]] = []
    for begins, ends in spans:
        if begins < end and ends > start:
            edges += [(max(begins, start), 1), (min(ends, end), -1)]
    # Ends before starts at the same moment: back-to-back visits do not overlap.
    edges.sort(key=lambda edge: (edge[0], edge[1]))
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


# --- The rules ----------------------------------------------------------------------------


def _timing(facts: VisitFacts) -> list[Violation]:
    zone, start = facts.zone, facts.starts_at
    if start <= facts.now:
        return [violation(IN_THE_PAST, start=_when(start, zone))]
    found = []
    ahead = start - facts.now
    if ahead < dt.timedelta(hours=facts.policy.booking_min_hours) and not facts.unlimited:
        found.append(
            violation(
                BOOKED_TOO_SOON,
                start=_when(start, zone),
                hours=f"{ahead.total_seconds() / 3600:.1f}".removesuffix(".0"),
                limit=facts.policy.booking_min_hours,
            )
        )
    if ahead > dt.timedelta(days=facts.policy.booking_max_days):
        found.append(
            violation(
                BOOKED_TOO_FAR_AHEAD,
                day=f"{local(start, zone):%Y-%m-%d}",
                days=ahead.days,
                limit=facts.policy.booking_max_days,
            )
        )
    return found


def _room(facts: VisitFacts) -> list[Violation]:
    room, zone = facts.room, facts.zone
    if room is None:
        return []
    found = []
    if facts.room_kind_wanted is not None and room.kind != facts.room_kind_wanted:
        found.append(
            violation(
                ROOM_KIND,
                kind=facts.kind_label.lower(),
                wanted=facts.room_kind_wanted_label.lower(),
                room=room.name,
                room_kind=room.kind_label.lower(),
            )
        )
    if not room.active:
        found.append(violation(ROOM_CLOSED, "inactive", room=room.name))
    else:
        day = local(facts.starts_at, zone).date()
        opens, closes = at_local(day, room.opens_at, zone), at_local(day, room.closes_at, zone)
        if facts.starts_at < opens or facts.ends_at > closes:
            found.append(
                violation(
                    ROOM_CLOSED,
                    room=room.name,
                    opens=f"{room.opens_at:%H:%M}",
                    closes=f"{room.closes_at:%H:%M}",
                    start=_when(facts.starts_at, zone),
                    end=_hhmm(facts.ends_at, zone),
                )
            )
    in_room = [(v.starts_at, v.ends_at) for v in facts.booked if v.room == room.key]
    at_once = most_at_once(in_room, facts.starts_at, facts.ends_at)
    if at_once >= room.capacity:
        found.append(
            violation(
                ROOM_FULL,
                room=room.name,
                count=_visits(at_once),
                start=_hhmm(facts.starts_at, zone),
                end=_hhmm(facts.ends_at, zone),
                limit=room.capacity,
            )
        )
    return found


def _busy(facts: VisitFacts) -> list[Violation]:
    zone, start, end = facts.zone, facts.starts_at, facts.ends_at
    found = []
    mine = [v for v in facts.booked if v.person == facts.person.key and v.overlaps(start, end)]
    for other in mine[:1]:
        found.append(
            violation(
                PERSON_BUSY,
                person=facts.person.name,
                kind=other.kind_label.lower(),
                start=_hhmm(other.starts_at, zone),
                end=_hhmm(other.ends_at, zone),
            )
        )
    for visitor in facts.visitors:
        clash = next(
            (v for v in facts.booked if visitor.key in v.visitors and v.overlaps(start, end)),
            None,
        )
        if clash is not None:
            found.append(
                violation(
                    VISITOR_BUSY,
                    visitor=visitor.name,
                    other=clash.person_name,
                    start=_hhmm(clash.starts_at, zone),
                    end=_hhmm(clash.ends_at, zone),
                )
            )
    return found


def _people(facts: VisitFacts) -> list[Violation]:
    """Who may visit whom: custody, orders, bans, the registry, the list, minors."""
    person, zone = facts.person, facts.zone
    start, end = facts.starts_at, facts.ends_at
    day = local(start, zone).date()
    found = []
    if not person.held:
        found.append(violation(NOT_IN_CUSTODY, person=person.name, booking=person.booking_number))
    if not facts.visitors:
        found.append(violation(NO_VISITORS))
    for visitor in facts.visitors:
        if visitor.held_as:
            found.append(
                violation(VISITOR_IN_CUSTODY, visitor=visitor.name, booking=visitor.held_as)
            )
    for visitor in facts.visitors:
        for order in facts.protective_orders:
            if order.protected_person == visitor.person and order.overlaps(start, end):
                found.append(
                    violation(
                        PROTECTIVE_ORDER,
                        visitor=visitor.name,
                        person=person.name,
                        order=order.label,
                    )
                )
    found += _keep_separate(facts)
    for suspension in facts.suspensions:
        if suspension.overlaps(start, end) and (suspension.includes_legal or not facts.unlimited):
            found.append(
                violation(
                    VISITS_SUSPENDED,
                    person=person.name,
                    until=_until(suspension.until, zone),
                    reason=suspension.reason,
                )
            )
            break
    for visitor in facts.visitors:
        ban = next((b for b in visitor.bans if b.overlaps(start, end)), None)
        if ban is not None:
            found.append(
                violation(
                    VISITOR_BANNED,
                    visitor=visitor.name,
                    until=_until(ban.until, zone),
                    reason=ban.reason,
                )
            )
    for visitor in facts.visitors:
        if not visitor.approved:
            found.append(
                violation(
                    VISITOR_NOT_APPROVED,
                    visitor=visitor.name,
                    status=visitor.status_label.lower(),
                )
            )
    if not facts.unlimited:
        for visitor in facts.visitors:
            if not visitor.on_list:
                found.append(
                    violation(NOT_ON_VISITING_LIST, visitor=visitor.name, person=person.name)
                )
    coming = {visitor.key for visitor in facts.visitors}
    for visitor in facts.visitors:
        if visitor.born is not None and is_minor(visitor, day) and not visitor.guardians & coming:
            found.append(
                violation(
                    MINOR_WITHOUT_GUARDIAN,
                    visitor=visitor.name,
                    age=age_on(visitor.born, day),
                    guardians=", ".join(visitor.guardian_names) or NO_GUARDIAN,
                )
            )
    return found


def _keep_separate(facts: VisitFacts) -> list[Violation]:
    """A visit room is where two people would meet: no one they are kept apart from then."""
    room, person, zone = facts.room, facts.person, facts.zone
    if room is None:
        return []
    found = []
    start, end = facts.starts_at, facts.ends_at
    orders = [order for order in facts.separations if order.overlaps(start, end)]
    for other in facts.booked:
        if not (other.booked_before and other.room == room.key and other.overlaps(start, end)):
            continue
        if other.person == person.key:
            continue
        for order in orders:
            if not order.binds(person.key, person.groups, other.person, other.groups):
                continue
            named = person.name if order.person == person.key else other.person_name
            values = {
                "person": person.name, "other": other.person_name, "named": named,
                "order": order.label or "on record",
                "room": room.name, "start": _hhmm(other.starts_at, zone),
                "end": _hhmm(other.ends_at, zone), "group": order.group_name,
            }  # fmt: skip
            found.append(
                violation(KEEP_SEPARATE, "group" if order.group is not None else "", **values)
            )
            break
    return found


def _limits(facts: VisitFacts) -> list[Violation]:
    """The policy numbers: visitors per visit, length, visits per day and per week."""
    if facts.unlimited:
        return []
    policy, person, zone = facts.policy, facts.person, facts.zone
    found = []
    if len(facts.visitors) > policy.visitors_per_visit:
        found.append(
            violation(TOO_MANY_VISITORS, count=len(facts.visitors), limit=policy.visitors_per_visit)
        )
    if facts.minutes > policy.length_minutes:
        found.append(violation(VISIT_TOO_LONG, minutes=facts.minutes, limit=policy.length_minutes))
    day = local(facts.starts_at, zone).date()
    monday, sunday = week_of(day)
    counted = [
        local(v.starts_at, zone).date()
        for v in facts.booked
        if v.booking == person.booking_number and v.booked_before and not v.unlimited
    ]
    on_day = sum(1 for d in counted if d == day)
    if on_day >= policy.per_day:
        found.append(
            violation(
                VISITS_PER_DAY,
                person=person.name,
                count=_visits(on_day),
                day=f"{day:%Y-%m-%d}",
                limit=policy.per_day,
            )
        )
    in_week = sum(1 for d in counted if monday <= d <= sunday)
    if in_week >= policy.per_week:
        found.append(
            violation(
                VISITS_PER_WEEK,
                person=person.name,
                count=_visits(in_week),
                monday=f"{monday:%Y-%m-%d}",
                sunday=f"{sunday:%Y-%m-%d}",
                limit=policy.per_week,
            )
        )
    return found


def check_visit(facts: VisitFacts) -> list[Violation]:
    """Every rule ``facts`` breaks: those that cannot be overridden first."""
    found = [*_people(facts), *_room(facts), *_busy(facts), *_timing(facts), *_limits(facts)]
    return sorted(found, key=lambda v: v.overridable)


def refused_codes(violations: Iterable[Violation]) -> list[str]:
    """The codes of ``violations``, each once, in order."""
    return list(dict.fromkeys(v.code for v in violations))
