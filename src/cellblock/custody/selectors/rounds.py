"""Observation levels and the observation board: who must be looked at, and by when.

A person's level comes from their flags and placement (level_for): constant
observation and suicide watch from the suicide-risk flag's detail; at risk /
special management from that detail, a special custody level, a restrictive
housing flag or a restrictive housing unit; everyone else is general
population.  The interval between checks is the facility's policy number for
the level (Texas 37 TAC 275.1, NCCHC).  A check that saw the person restarts
their clock; so do their return from a movement (nobody can look at an empty
cell) and their placement in a new bed.  The board reads a facility (or a
unit, or a cell) in a fixed number of queries, whatever its size.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.db import models
from django.db.models import OuterRef, Subquery

from cellblock.booking.models import OPEN_STATUSES, Booking, CustodyLevel
from cellblock.classification.models import Flag, FlagKind
from cellblock.classification.models import ObservationLevel as SuicideDetail
from cellblock.classification.selectors import active_flags_q, policy_of
from cellblock.custody.models import SEEN_STATUSES, CheckStatus, Destination, Movement, RoundCheck
from cellblock.facilities.models import Cell, Facility, FacilityPolicy, HousingUnit
from cellblock.housing.models import BedAssignment


class Level(models.TextChoices):
    """How closely a person is watched, from the loosest to the closest."""

    GENERAL = "general", "General population"
    AT_RISK = "at_risk", "At risk / special management"
    SUICIDE_WATCH = "suicide_watch", "Suicide watch"
    CONSTANT = "constant", "Constant observation"


# Closer levels win when several reasons apply.
_RANK = {Level.GENERAL: 0, Level.AT_RISK: 1, Level.SUICIDE_WATCH: 2, Level.CONSTANT: 3}

# The colour of each level's badge (cellblock.css badge-*).
LEVEL_TONE = {
    Level.GENERAL: "muted",
    Level.AT_RISK: "warn",
    Level.SUICIDE_WATCH: "bad",
    Level.CONSTANT: "bad",
}

# Checks in a row whose gaps, all equal, make a pattern the person can predict.
FIXED_PATTERN_GAPS = 4
FIXED_PATTERN_TOLERANCE = dt.timedelta(minutes=1)
FIXED_PATTERN = "fixed-interval pattern: the last {gaps} checks came every {minutes} min"
# How far back the pattern looks (suicide watch checks come at most 15 min apart).
FIXED_PATTERN_WINDOW = dt.timedelta(hours=24)

# A check due within this many minutes shows amber on the rounds page.
DUE_SOON_MINUTES = 5

# The state of a row, the worst first: the colour of a person and of their cell's tile.
OVERDUE = "overdue"
DUE_SOON = "due_soon"
FINE = "fine"
OUT = "out"
STATE_RANK = {OVERDUE: 3, DUE_SOON: 2, FINE: 1, OUT: 0}

_SUICIDE_LEVELS: dict[str, Level] = {
    SuicideDetail.CONSTANT: Level.CONSTANT,
    SuicideDetail.SUICIDE_WATCH: Level.SUICIDE_WATCH,
    SuicideDetail.AT_RISK: Level.AT_RISK,
}

# The flags that decide a level.
LEVEL_FLAGS = (FlagKind.SUICIDE_RISK, FlagKind.RESTRICTIVE_HOUSING)


class FlagLike(Protocol):
    kind: str
    detail: str


def level_for(flags: Iterable[FlagLike], custody_level: str, restrictive: bool) -> Level:
    """The closest level any of the person's active flags or placement asks for.

    ``restrictive``: housed in a restrictive housing unit.
    """
    level = Level.GENERAL
    candidates: list[Level] = []
    for flag in flags:
        if flag.kind == FlagKind.SUICIDE_RISK:
            # A suicide-risk flag with an unknown detail is treated as a watch, never looser.
            candidates.append(_SUICIDE_LEVELS.get(flag.detail, Level.SUICIDE_WATCH))
        elif flag.kind == FlagKind.RESTRICTIVE_HOUSING:
            candidates.append(Level.AT_RISK)
    if custody_level == CustodyLevel.SPECIAL or restrictive:
        candidates.append(Level.AT_RISK)
    for candidate in candidates:
        if _RANK[candidate] > _RANK[level]:
            level = candidate
    return level


def interval_for(level: str, policy: FacilityPolicy) -> int:
    """Minutes allowed between two checks at ``level`` under ``policy``."""
    return {
        Level.GENERAL: policy.check_interval_general_minutes,
        Level.AT_RISK: policy.check_interval_special_minutes,
        Level.SUICIDE_WATCH: policy.check_interval_suicide_watch_minutes,
        Level.CONSTANT: policy.constant_observation_log_minutes,
    }[Level(level)]


def fixed_pattern(times: list[dt.datetime]) -> int | None:
    """The gap in minutes if the newest checks came at a fixed interval, else None.

    ``times`` are check times, newest first.  A watch must be irregular
    (NCCHC): when the last FIXED_PATTERN_GAPS gaps are equal within
    FIXED_PATTERN_TOLERANCE the person can predict the next one.
    """
    if len(times) <= FIXED_PATTERN_GAPS:
        return None
    newest = times[: FIXED_PATTERN_GAPS + 1]
    gaps = [newest[i] - newest[i + 1] for i in range(FIXED_PATTERN_GAPS)]
    if max(gaps) - min(gaps) > FIXED_PATTERN_TOLERANCE:
        return None
    return round(sum(gaps, dt.timedelta()).total_seconds() / 60 / FIXED_PATTERN_GAPS)


def minutes_between(start: dt.datetime, end: dt.datetime) -> int:
    """Whole minutes from ``start`` to ``end`` (rounded down; 0 when ``end`` is earlier)."""
    return max(int((end - start).total_seconds() // 60), 0)


def ago_label(minutes: int | None) -> str:
    """ "never", "just now", "12 min ago", "3 h 5 min ago", "4 days ago"."""
    if minutes is None:
        return "never"
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min ago" if rest else f"{hours} h ago"
    days = minutes // (24 * 60)
    return f"{days} day{'s' if days > 1 else ''} ago"


def span_label(minutes: int) -> str:
    """ "14 min", "2 h 5 min", "90 days"."""
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days = minutes // (24 * 60)
    return f"{days} day{'s' if days > 1 else ''}"


@dataclass
class ObservationRow:
    """One housed person on the observation board."""

    booking: Booking
    cell: Cell
    level: Level
    interval_minutes: int
    # The newest check that saw the person (not "not seen").
    last_seen_at: dt.datetime | None
    # The newest check of any status, and its status.
    last_check_at: dt.datetime | None
    last_status: str
    # When their clock started: the last sighting, their return from a movement or their
    # placement in this bed, whichever came last.
    since: dt.datetime
    # None while they are out of their cell.
    due_at: dt.datetime | None
    overdue: bool
    minutes_overdue: int
    # The fixed gap in minutes when a suicide watch's checks became predictable.
    fixed_pattern_minutes: int | None
    # Out of their cell on a movement: since when, and where.
    out_since: dt.datetime | None
    out_destination: str
    now: dt.datetime

    @property
    def fixed_pattern(self) -> bool:
        return self.fixed_pattern_minutes is not None

    @property
    def fixed_pattern_note(self) -> str:
        if self.fixed_pattern_minutes is None:
            return ""
        return FIXED_PATTERN.format(gaps=FIXED_PATTERN_GAPS, minutes=self.fixed_pattern_minutes)

    @property
    def state(self) -> str:
        if self.due_at is None:
            return OUT
        if self.overdue:
            return OVERDUE
        if self.due_at - self.now <= dt.timedelta(minutes=DUE_SOON_MINUTES):
            return DUE_SOON
        return FINE

    @property
    def minutes_to_due(self) -> int | None:
        """Minutes left before the check is due, rounded up (None while out; 0 once due)."""
        if self.due_at is None:
            return None
        seconds = (self.due_at - self.now).total_seconds()
        return max(math.ceil(seconds / 60), 0)

    @property
    def minutes_since_seen(self) -> int | None:
        if self.last_seen_at is None:
            return None
        return minutes_between(self.last_seen_at, self.now)

    @property
    def out_destination_label(self) -> str:
        if self.out_destination in Destination.values:
            return Destination(self.out_destination).label
        return self.out_destination

    @property
    def last_seen_label(self) -> str:
        return ago_label(self.minutes_since_seen)

    @property
    def due_label(self) -> str:
        """ "overdue by 14 min", "due in 3 min", "due now", or "out of cell" while away."""
        if self.due_at is None:
            return "out of cell"
        if self.overdue:
            late = self.minutes_overdue
            return f"overdue by {span_label(late)}" if late else "overdue"
        left = self.minutes_to_due or 0
        return f"due in {span_label(left)}" if left else "due now"

    @property
    def level_label(self) -> str:
        return self.level.label

    @property
    def level_tone(self) -> str:
        return LEVEL_TONE[self.level]

    @property
    def last_status_label(self) -> str:
        return CheckStatus(self.last_status).label if self.last_status else ""


def _last_check(field: str, *, seen_only: bool) -> Subquery:
    checks = RoundCheck.objects.filter(booking_id=OuterRef("booking_id"))
    if seen_only:
        checks = checks.filter(status__in=SEEN_STATUSES)
    return Subquery(checks.order_by("-checked_at").values(field)[:1])


def housed_assignments(
    facility: Facility, *, unit: HousingUnit | None = None, cell: Cell | None = None
) -> models.QuerySet[BedAssignment]:
    """Open bed assignments of open bookings in ``facility`` (or one unit or cell)."""
    found = BedAssignment.objects.filter(
        ended_at__isnull=True,
        booking__status__in=OPEN_STATUSES,
        bed__cell__unit__zone__facility=facility,
    )
    if unit is not None:
        found = found.filter(bed__cell__unit=unit)
    if cell is not None:
        found = found.filter(bed__cell=cell)
    return found


def observation_board(
    facility: Facility,
    now: dt.datetime,
    *,
    cell: Cell | None = None,
    unit: HousingUnit | None = None,
) -> list[ObservationRow]:
    """Every person housed in ``facility`` (or ``unit``, or ``cell``) with their next check.

    Four queries whatever the size: the policy, the housed people with their
    last checks and movements, their level flags, and the recent checks of
    those on suicide watch (for the fixed-interval pattern).  Sorted by due
    time, the people out of their cells last.
    """
    policy = policy_of(facility)
    movements = Movement.objects.filter(booking_id=OuterRef("booking_id"))
    open_movement = movements.filter(returned_at__isnull=True)
    assignments = list(
        housed_assignments(facility, unit=unit, cell=cell)
        .select_related("booking__person", "bed__cell__unit")
        .annotate(
            last_seen_at=_last_check("checked_at", seen_only=True),
            last_check_at=_last_check("checked_at", seen_only=False),
            last_status=_last_check("status", seen_only=False),
            last_return_at=Subquery(
                movements.filter(returned_at__isnull=False)
                .order_by("-returned_at")
                .values("returned_at")[:1]
            ),
            out_since=Subquery(open_movement.values("left_at")[:1]),
            out_destination=Subquery(open_movement.values("destination")[:1]),
        )
    )
    booking_ids = [a.booking_id for a in assignments]
    flags: dict[int, list[Flag]] = {}
    if booking_ids:
        for flag in Flag.objects.filter(
            active_flags_q(now), booking_id__in=booking_ids, kind__in=LEVEL_FLAGS
        ):
            flags.setdefault(flag.booking_id, []).append(flag)
    levels = {
        a.booking_id: level_for(
            flags.get(a.booking_id, ()),
            a.booking.custody_level,
            a.bed.cell.unit.restrictive_housing,
        )
        for a in assignments
    }
    watched = [pk for pk, level in levels.items() if level == Level.SUICIDE_WATCH]
    recent: dict[int, list[dt.datetime]] = {}
    if watched:
        for booking_id, checked_at in (
            RoundCheck.objects.filter(
                booking_id__in=watched, checked_at__gt=now - FIXED_PATTERN_WINDOW
            )
            .order_by("booking_id", "-checked_at")
            .values_list("booking_id", "checked_at")
        ):
            recent.setdefault(booking_id, []).append(checked_at)
    rows = [
        _row(a, levels[a.booking_id], policy, recent.get(a.booking_id, []), now)
        for a in assignments
    ]
    rows.sort(key=_board_order)
    return rows


def _row(
    assignment: BedAssignment,
    level: Level,
    policy: FacilityPolicy,
    recent: list[dt.datetime],
    now: dt.datetime,
) -> ObservationRow:
    found = assignment.__dict__
    last_seen: dt.datetime | None = found["last_seen_at"]
    returned: dt.datetime | None = found["last_return_at"]
    out_since: dt.datetime | None = found["out_since"]
    interval = interval_for(level, policy)
    # The clock runs from the latest of: the last sighting, the return from a movement,
    # and the placement in this bed (staff handled the person at each).
    since = max(filter(None, (last_seen, returned, assignment.started_at)))
    due_at = None if out_since is not None else since + dt.timedelta(minutes=interval)
    overdue = due_at is not None and now > due_at
    return ObservationRow(
        booking=assignment.booking, cell=assignment.bed.cell, level=level,
        interval_minutes=interval, last_seen_at=last_seen,
        last_check_at=found["last_check_at"], last_status=found["last_status"] or "",
        since=since, due_at=due_at, overdue=overdue,
        minutes_overdue=minutes_between(due_at, now) if overdue and due_at else 0,
        fixed_pattern_minutes=fixed_pattern(recent) if level == Level.SUICIDE_WATCH else None,
        out_since=out_since, out_destination=found["out_destination"] or "", now=now,
    )  # fmt: skip


def _board_order(row: ObservationRow) -> tuple[int, dt.datetime, str, str]:
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return (
        int(row.due_at is None),
        row.due_at or far,
        row.cell.code,
        row.booking.person.family_name,
    )


def due_within(rows: Iterable[ObservationRow], minutes: int) -> list[ObservationRow]:
    """The rows overdue or due within ``minutes`` of their ``now``, soonest first."""
    return [
        row
        for row in rows
        if row.due_at is not None and row.due_at - row.now <= dt.timedelta(minutes=minutes)
    ]


def worst_state(rows: Iterable[ObservationRow]) -> str | None:
    """The most urgent state among ``rows`` (None for nobody)."""
    states = [row.state for row in rows]
    return max(states, key=STATE_RANK.__getitem__) if states else None
