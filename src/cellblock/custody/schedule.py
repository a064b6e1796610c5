"""Local times of the facility's day: shifts, meals and formal counts.

Policy stores them as "HH:MM,HH:MM" in the facility's own time zone; the
functions here turn them into aware UTC datetimes for a given day, and find
which shift or meal a moment belongs to.  Pure functions: tests pass the zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


def parse_times(text: str) -> tuple[dt.time, ...]:
    """ "06:00,18:00" -> (06:00, 18:00), sorted; the policy validator guarantees the form."""
    times = [dt.time.fromisoformat(part.strip()) for part in text.split(",") if part.strip()]
    return tuple(sorted(times))


def local_date(at: dt.datetime, zone: str) -> dt.date:
    return at.astimezone(ZoneInfo(zone)).date()


def at_local(day: dt.date, time: dt.time, zone: str) -> dt.datetime:
    """The aware UTC moment of ``time`` on ``day`` in ``zone``."""
    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def day_bounds(day: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """Local midnight to the next local midnight, in UTC (23 or 25 hours across DST)."""
    return at_local(day, dt.time(0), zone), at_local(day + dt.timedelta(days=1), dt.time(0), zone)


@dataclass(frozen=True)
class Slot:
    """One occurrence of a scheduled time: the shift, meal or count ``index`` of ``day``."""

    day: dt.date
    index: int
    starts_at: dt.datetime
    ends_at: dt.datetime


def slots_of_day(day: dt.date, times: tuple[dt.time, ...], zone: str) -> list[Slot]:
    """Each time of ``day`` until the next one (the last runs to the first of the next day)."""
    if not times:
        return []
    starts = [at_local(day, time, zone) for time in times]
    starts.append(at_local(day + dt.timedelta(days=1), times[0], zone))
    return [Slot(day, i, starts[i], starts[i + 1]) for i in range(len(times))]


def slot_at(at: dt.datetime, times: tuple[dt.time, ...], zone: str) -> Slot:
    """The slot ``at`` falls in; before the day's first time it is yesterday's last slot."""
    day = local_date(at, zone)
    for candidate in (day, day - dt.timedelta(days=1)):
        for slot in slots_of_day(candidate, times, zone):
            if slot.starts_at <= at < slot.ends_at:
                return slot
    raise ValueError("no slot found: empty schedule")


def slots_between(
    start: dt.datetime, end: dt.datetime, times: tuple[dt.time, ...], zone: str
) -> list[Slot]:
    """Every slot that starts in [start, end), in order."""
    slots: list[Slot] = []
    day = local_date(start, zone) - dt.timedelta(days=1)
    last = local_date(end, zone)
    while day <= last:
        slots += [s for s in slots_of_day(day, times, zone) if start <= s.starts_at < end]
        day += dt.timedelta(days=1)
    return slots
