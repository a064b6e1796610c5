"""The restrictive-housing clock: time in and out of cell per day, and days of solitary.

A day is a facility-local calendar day.  In custody runs from the booking
until release; in cell is in custody minus the movements out of the cell
(``Movement`` from ``left_at`` to ``returned_at``, or until now while open).
A *day of solitary* (Mandela Rule 44) is a day in cell for at least
``policy.solitary_hours_per_day`` hours without meaningful contact: no
movement with ``meaningful_contact`` overlapping it and no welfare check
(``RoundCheck.welfare_contact``) in it.  Today counts as soon as its time in
cell reaches the limit (only late in the day) and can no longer count once
contact comes or too much of it was spent out.  A streak is the run of such
days ending today, or yesterday while today may still count.

Exercise is time at the exercise yard; a day missed is a completed day, wholly
in custody, with less than ``policy.outdoor_exercise_minutes_per_day``.

The streaks of a whole facility are found in a fixed number of queries: the
last two days of everyone first, then the history of those whose streak runs
further back.  A day with nothing recorded (no movement, no welfare check)
after the booking day is a whole day in cell: the walk back jumps over such
days, so its cost grows with the events recorded, not with the days held.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db.models import Q

from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.compliance.rules import NO_STREAK, Streak
from cellblock.core import clock
from cellblock.custody.models import Destination, Movement, RoundCheck
from cellblock.custody.schedule import day_bounds, local_date
from cellblock.facilities.models import Facility, FacilityPolicy

ONE_DAY = dt.timedelta(days=1)


@functools.lru_cache(maxsize=4096)
def _bounds(day: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    # The same few days come up for every person held: work each out once.
    return day_bounds(day, zone)


@dataclass(frozen=True)
class Outing:
    """A movement out of the cell, as the clock sees it."""

    left_at: dt.datetime
    returned_at: dt.datetime | None
    contact: bool
    exercise: bool


@dataclass(frozen=True)
class Day:
    """One facility-local day of one person in custody."""

    day: dt.date
    starts_at: dt.datetime
    ends_at: dt.datetime
    in_custody_minutes: int
    out_of_cell_minutes: int
    exercise_minutes: int
    contact: bool
    solitary: bool
    # Over, and in custody from its first minute to its last.
    complete: bool
    # Today only: not a day of solitary yet, but it may still become one.
    pending: bool = False

    @property
    def in_cell_minutes(self) -> int:
        return self.in_custody_minutes - self.out_of_cell_minutes


@dataclass(frozen=True)
class Streaks:
    solitary: Streak = NO_STREAK
    exercise_missed: Streak = NO_STREAK
    # False: the streak may run back before the history it was given.
    complete: bool = True


@dataclass(frozen=True)
class Limits:
    """The two policy numbers of the clock."""

    solitary_hours: int = 22
    exercise_minutes: int = 60


def outing_of(destination: str, left_at: dt.datetime, returned_at: dt.datetime | None,
              contact: bool) -> Outing:  # fmt: skip
    return Outing(left_at, returned_at, contact, destination == Destination.EXERCISE_YARD)


def _merged(spans: Iterable[tuple[dt.datetime, dt.datetime]]) -> float:
    """Seconds covered by the spans, overlaps counted once (late entries may overlap)."""
    total = 0.0
    end: dt.datetime | None = None
    for start, stop in sorted(spans):
        if end is not None and start < end:
            if stop > end:
                total += (stop - end).total_seconds()
                end = stop
            continue
        total += (stop - start).total_seconds()
        end = stop
    return total


def _clip(
    start: dt.datetime, stop: dt.datetime, lower: dt.datetime, upper: dt.datetime
) -> tuple[dt.datetime, dt.datetime] | None:
    start, stop = max(start, lower), min(stop, upper)
    return (start, stop) if stop > start else None


def day_of(
    day: dt.date,
    *,
    zone: str,
    booked_at: dt.datetime,
    released_at: dt.datetime | None,
    outings: Sequence[Outing],
    welfare_checks: Sequence[dt.datetime],
    now: dt.datetime,
    limits: Limits,
) -> Day:
    """The clock of one day, from the outings and welfare checks that touch it."""
    starts_at, ends_at = _bounds(day, zone)
    held_from = max(starts_at, booked_at)
    held_until = min(ends_at, now, released_at or ends_at)
    in_custody = max(0.0, (held_until - held_from).total_seconds())
    out: list[tuple[dt.datetime, dt.datetime]] = []
    exercise: list[tuple[dt.datetime, dt.datetime]] = []
    contact = False
    if in_custody:
        for outing in outings:
            span = _clip(outing.left_at, outing.returned_at or now, held_from, held_until)
            if span is None:
                continue
            out.append(span)
            if outing.exercise:
                exercise.append(span)
            contact = contact or outing.contact
        contact = contact or any(held_from <= at <= held_until for at in welfare_checks)
    out_seconds = _merged(out)
    in_cell = in_custody - out_seconds
    needed = limits.solitary_hours * 3600
    solitary = bool(in_custody) and not contact and in_cell >= needed
    is_today = starts_at <= now < ends_at
    # The rest of today may still be spent in cell (nobody knows yet).
    still_to_come = (ends_at - now).total_seconds() if is_today and released_at is None else 0.0
    return Day(
        day=day, starts_at=starts_at, ends_at=ends_at,
        in_custody_minutes=int(in_custody // 60), out_of_cell_minutes=int(out_seconds // 60),
        exercise_minutes=int(_merged(exercise) // 60), contact=contact, solitary=solitary,
        complete=ends_at <= now and booked_at <= starts_at
        and (released_at is None or released_at >= ends_at),
        pending=is_today and not solitary and not contact and in_cell + still_to_come >= needed,
    )  # fmt: skip


def days_between(
    first: dt.date,
    last: dt.date,
    *,
    zone: str,
    booked_at: dt.datetime,
    released_at: dt.datetime | None,
    outings: Sequence[Outing],
    welfare_checks: Sequence[dt.datetime],
    now: dt.datetime,
    limits: Limits,
) -> list[Day]:
    """Every day from ``first`` to ``last``, in order."""
    days: list[Day] = []
    day = first
    while day <= last:
        days.append(
            day_of(
                day, zone=zone, booked_at=booked_at, released_at=released_at, outings=outings,
                welfare_checks=welfare_checks, now=now, limits=limits,
            )
        )  # fmt: skip
        day += ONE_DAY
    return days


def streaks(
    *,
    zone: str,
    booked_at: dt.datetime,
    outings: Sequence[Outing],
    welfare_checks: Sequence[dt.datetime],
    now: dt.datetime,
    limits: Limits,
    known_from: dt.date | None = None,
) -> Streaks:
    """Solitary days and days without exercise in a row, for someone held now.

    ``outings`` and ``welfare_checks`` are everything recorded since
    ``known_from`` (a local date; None: since the booking).  When a streak runs
    back beyond it, the answer says it is not ``complete``.
    """
    today = local_date(now, zone)
    first = local_date(booked_at, zone)
    # The days something happened on; any other day after the first is a whole day in cell.
    touched: dict[dt.date, list[Outing]] = defaultdict(list)
    checks: dict[dt.date, list[dt.datetime]] = defaultdict(list)
    for outing in outings:
        day = max(first, local_date(outing.left_at, zone))
        last = min(today, local_date(outing.returned_at or now, zone))
        while day <= last:
            touched[day].append(outing)
            day += ONE_DAY
    for at in welfare_checks:
        checks[local_date(at, zone)].append(at)
    events = sorted({first, *touched, *checks} - {today}, reverse=True)

    judged: dict[dt.date, Day] = {}

    def clock(day: dt.date) -> Day:
        if day not in judged:
            judged[day] = day_of(
                day, zone=zone, booked_at=booked_at, released_at=None,
                outings=touched.get(day, []), welfare_checks=checks.get(day, []), now=now,
                limits=limits,
            )  # fmt: skip
        return judged[day]

    floor = known_from or first
    complete = True

    def run_back(breaks: Callable[[Day], bool]) -> tuple[int, dt.date]:
        """Days in a row ending yesterday, and the first of them."""
        nonlocal complete
        start = today - ONE_DAY
        if start < first:
            return 0, today
        for day in events:
            if day > start:
                continue
            if day < floor:
                # The run goes back beyond what was fetched: the caller needs more history.
                complete = False
                return (start - day).days, day + ONE_DAY
            if breaks(clock(day)):
                return (start - day).days, day + ONE_DAY
        # Nothing broke it back to the booking day (an event day, so it was judged above).
        return (start - first).days + 1, first

    def since(day: dt.date) -> dt.datetime:
        return max(booked_at, _bounds(day, zone)[0])

    solitary = NO_STREAK
    today_clock = clock(today)
    if today_clock.solitary or today_clock.pending:
        count, first_day = run_back(lambda day: not day.solitary)
        if today_clock.solitary:
            count, first_day = count + 1, first_day if count else today
        if count:
            solitary = Streak(count, since(first_day))
    exercise = NO_STREAK
    if limits.exercise_minutes > 0:
        minimum = limits.exercise_minutes
        count, first_day = run_back(lambda day: not day.complete or day.exercise_minutes >= minimum)
        if count:
            exercise = Streak(count, since(first_day))
    return Streaks(solitary=solitary, exercise_missed=exercise, complete=complete)


# --- Reads ---------------------------------------------------------------------

_MOVEMENT_COLUMNS = ("booking_id", "destination", "left_at", "returned_at", "meaningful_contact")


def limits_of(policy: FacilityPolicy) -> Limits:
    return Limits(
        solitary_hours=policy.solitary_hours_per_day,
        exercise_minutes=policy.outdoor_exercise_minutes_per_day,
    )


def _by_booking(
    movements: Iterable[tuple[int, str, dt.datetime, dt.datetime | None, bool]],
    checks: Iterable[tuple[int, dt.datetime]],
) -> tuple[dict[int, list[Outing]], dict[int, list[dt.datetime]]]:
    outings: dict[int, list[Outing]] = defaultdict(list)
    for booking_id, destination, left_at, returned_at, contact in movements:
        outings[booking_id].append(outing_of(destination, left_at, returned_at, contact))
    welfare: dict[int, list[dt.datetime]] = defaultdict(list)
    for booking_id, at in checks:
        welfare[booking_id].append(at)
    return outings, welfare


def facility_streaks(
    facility: Facility,
    now: dt.datetime,
    held: Mapping[int, dt.datetime],
    limits: Limits,
    *,
    booking_id: int | None = None,
) -> dict[int, Streaks]:
    """The streaks of everyone in ``held`` (booking id -> booked at), in four queries at most.

    First the movements and welfare checks of the last two days of everyone
    held; then, only for those whose streak may run back further, their whole
    history.  A compliant facility fetches almost no history.  ``booking_id``
    narrows the reads to one person.
    """
    zone = facility.timezone
    yesterday = local_date(now, zone) - ONE_DAY
    window = day_bounds(yesterday, zone)[0]
    in_facility = Q(booking__facility=facility, booking__status__in=OPEN_STATUSES)
    if booking_id is not None:
        in_facility &= Q(booking_id=booking_id)
    movements = Movement.objects.filter(in_facility, left_at__lt=now).filter(
        Q(returned_at__isnull=True) | Q(returned_at__gt=window)
    )
    checks = RoundCheck.objects.filter(
        in_facility, welfare_contact=True, checked_at__gte=window, checked_at__lte=now
    )
    outings, welfare = _by_booking(
        movements.values_list(*_MOVEMENT_COLUMNS), checks.values_list("booking_id", "checked_at")
    )
    found: dict[int, Streaks] = {}
    further: list[int] = []
    for booking_id, booked_at in held.items():
        result = streaks(
            zone=zone, booked_at=booked_at, outings=outings.get(booking_id, ()),
            welfare_checks=welfare.get(booking_id, ()), now=now, limits=limits,
            known_from=yesterday,
        )  # fmt: skip
        if result.complete:
            found[booking_id] = result
        else:
            further.append(booking_id)
    if further:
        # Only what the first reads left out: movements over before the window, older checks.
        older_outings, older_welfare = _by_booking(
            Movement.objects.filter(booking_id__in=further, returned_at__lte=window).values_list(
                *_MOVEMENT_COLUMNS
            ),
            RoundCheck.objects.filter(
                booking_id__in=further, welfare_contact=True, checked_at__lt=window
            ).values_list("booking_id", "checked_at"),
        )
        for booking_id in further:
            found[booking_id] = streaks(
                zone=zone, booked_at=held[booking_id],
                outings=[*older_outings.get(booking_id, ()), *outings.get(booking_id, ())],
                welfare_checks=[*older_welfare.get(booking_id, ()), *welfare.get(booking_id, ())],
                now=now, limits=limits,
            )  # fmt: skip
    return found


def booking_streaks(booking: Booking, now: dt.datetime, limits: Limits) -> Streaks:
    """One person's streaks (nothing once released: a streak is about someone held now)."""
    if booking.released_at is not None or booking.status not in OPEN_STATUSES:
        return Streaks()
    outings, welfare = _by_booking(
        Movement.objects.filter(booking=booking, left_at__lt=now).values_list(*_MOVEMENT_COLUMNS),
        RoundCheck.objects.filter(
            booking=booking, welfare_contact=True, checked_at__lte=now
        ).values_list("booking_id", "checked_at"),
    )
    return streaks(
        zone=booking.facility.timezone, booked_at=booking.booked_at,
        outings=outings.get(booking.pk, ()), welfare_checks=welfare.get(booking.pk, ()),
        now=now, limits=limits,
    )  # fmt: skip


def days_out_of_cell(
    booking: Booking,
    first_day: dt.date,
    last_day: dt.date,
    *,
    now: dt.datetime | None = None,
    limits: Limits | None = None,
) -> list[Day]:
    """Each day from ``first_day`` to ``last_day``: in custody, out of cell, exercise, contact.

    Out-of-cell minutes per person per day are derived from movements; two queries.
    """
    from cellblock.classification.selectors import policy_of

    now = now or clock.now()
    zone = booking.facility.timezone
    limits = limits or limits_of(policy_of(booking.facility))
    starts_at = day_bounds(first_day, zone)[0]
    ends_at = day_bounds(last_day, zone)[1]
    outings, welfare = _by_booking(
        Movement.objects.filter(booking=booking, left_at__lt=ends_at)
        .filter(Q(returned_at__isnull=True) | Q(returned_at__gt=starts_at))
        .values_list(*_MOVEMENT_COLUMNS),
        RoundCheck.objects.filter(
            booking=booking, welfare_contact=True, checked_at__gte=starts_at,
            checked_at__lt=ends_at,
        ).values_list("booking_id", "checked_at"),
    )  # fmt: skip
    return days_between(
        first_day, last_day, zone=zone, booked_at=booking.booked_at,
        released_at=booking.released_at, outings=outings.get(booking.pk, ()),
        welfare_checks=welfare.get(booking.pk, ()), now=now, limits=limits,
    )  # fmt: skip
