"""Reads of counts: the live count, formal counts and their sheets, and the count schedule.

The live count is derived, never stored: who is housed where comes from the
open bed assignments, who is out from the open movements.  It costs two
queries whatever the facility's size (its units, and one aggregate of
everyone held per unit), so it can be read after every movement.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db.models import Case, Count, FilteredRelation, Q, QuerySet, Value, When

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.custody.models import (
    CountSheet,
    CountStatus,
    FormalCount,
    MovementKind,
)
from cellblock.custody.schedule import Slot, parse_times, slots_between, slots_of_day
from cellblock.facilities.models import Facility, HousingUnit

# Who may read counts: everyone who sees where people are held.
READ_PERM = Perm.HOUSING_VIEW


# --- The live count -----------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """People of one place (a unit, or those held without a bed) and where they are now."""

    held: int = 0
    out_of_cell: int = 0
    out_of_facility: int = 0

    @property
    def out(self) -> int:
        return self.out_of_cell + self.out_of_facility

    @property
    def in_place(self) -> int:
        """In their cell (for a unit) or at reception (for those without a bed)."""
        return self.held - self.out

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.held + other.held,
            self.out_of_cell + other.out_of_cell,
            self.out_of_facility + other.out_of_facility,
        )


@dataclass(frozen=True)
class UnitCount:
    unit: HousingUnit
    figures: Figures

    @property
    def housed(self) -> int:
        return self.figures.held

    @property
    def in_cell(self) -> int:
        return self.figures.in_place

    @property
    def out_of_cell(self) -> int:
        return self.figures.out_of_cell

    @property
    def out_of_facility(self) -> int:
        return self.figures.out_of_facility


@dataclass(frozen=True)
class LiveCount:
    """A facility's count now: per unit, and those held without a bed."""

    facility: Facility
    at: dt.datetime
    units: list[UnitCount]
    # Held but not housed (intake, waiting for a bed): ``held`` is how many.
    unhoused: Figures = field(default_factory=Figures)

    @property
    def housed(self) -> int:
        return sum(unit.housed for unit in self.units)

    @property
    def in_cell(self) -> int:
        return sum(unit.in_cell for unit in self.units)

    @property
    def held(self) -> int:
        return self.housed + self.unhoused.held

    @property
    def out_of_cell(self) -> int:
        return sum(unit.out_of_cell for unit in self.units) + self.unhoused.out_of_cell

    @property
    def out_of_facility(self) -> int:
        return sum(unit.out_of_facility for unit in self.units) + self.unhoused.out_of_facility


def _open_movement(prefix: str, at: dt.datetime | None) -> Q:
    """The movement a person is out on (at ``at``; None: now, the open one)."""
    if at is None:
        return Q(**{f"{prefix}returned_at__isnull": True})
    return Q(**{f"{prefix}left_at__lte": at}) & (
        Q(**{f"{prefix}returned_at__isnull": True}) | Q(**{f"{prefix}returned_at__gt": at})
    )


def _held_q(prefix: str, at: dt.datetime | None) -> Q:
    """Bookings held (at ``at``; None: now, by status)."""
    if at is None:
        return Q(**{f"{prefix}status__in": OPEN_STATUSES})
    return (
        Q(**{f"{prefix}booked_at__lte": at})
        & (Q(**{f"{prefix}released_at__isnull": True}) | Q(**{f"{prefix}released_at__gt": at}))
        & (Q(**{f"{prefix}cancelled_at__isnull": True}) | Q(**{f"{prefix}cancelled_at__gt": at}))
    )


def _assigned_q(prefix: str, at: dt.datetime | None) -> Q:
    """The bed assignment a person sleeps in (at ``at``; None: now, the open one)."""
    if at is None:
        return Q(**{f"{prefix}ended_at__isnull": True})
    return Q(**{f"{prefix}started_at__lte": at}) & (
        Q(**{f"{prefix}ended_at__isnull": True}) | Q(**{f"{prefix}ended_at__gt": at})
    )


def _kind_counts(path: str) -> dict[str, Count]:
    return {
        "out_of_cell": Count("id", filter=Q(**{f"{path}__kind": MovementKind.OUT_OF_CELL})),
        "out_of_facility": Count("id", filter=Q(**{f"{path}__kind": MovementKind.OUT_OF_FACILITY})),
    }


# The key of those held without a bed in ``figures_by_place``.
UNHOUSED = None


def figures_by_place(
    facility: Facility,
    *,
    at: dt.datetime | None = None,
    unit_ids: list[int] | None = None,
) -> dict[int | None, Figures]:
    """``{unit id: Figures}`` of everyone held, and ``UNHOUSED`` for those without a bed.

    One query: the held bookings, each joined to the bed it is in and the
    movement it is out on (at most one of each, by constraint), counted per
    unit.  ``at`` reads the past from the histories (a late entry); None reads
    the open rows, which is what the indexes serve fastest.  ``unit_ids``
    counts only those units (and leaves out the unhoused).
    """
    bookings = Booking.objects.filter(_held_q("", at), facility_id=facility.pk).annotate(
        bed_now=FilteredRelation("bed_assignments", condition=_assigned_q("bed_assignments__", at)),
        out=FilteredRelation("movements", condition=_open_movement("movements__", at)),
    )
    if unit_ids is not None:
        bookings = bookings.filter(bed_now__bed__cell__unit_id__in=unit_ids)
    rows = (
        bookings.values("bed_now__bed__cell__unit_id")
        .annotate(held=Count("id"), **_kind_counts("out"))
        .values_list("bed_now__bed__cell__unit_id", "held", "out_of_cell", "out_of_facility")
        .order_by()
    )
    return {unit_id: Figures(held, cell, out) for unit_id, held, cell, out in rows}


def figures_by_unit(
    facility: Facility,
    *,
    at: dt.datetime | None = None,
    unit_ids: list[int] | None = None,
) -> dict[int, Figures]:
    """``{unit id: Figures}`` of the people housed in each unit: one query."""
    found = figures_by_place(facility, at=at, unit_ids=unit_ids)
    return {unit_id: figures for unit_id, figures in found.items() if unit_id is not None}


def facility_units(facility: Facility) -> list[HousingUnit]:
    return list(
        HousingUnit.objects.filter(zone__facility_id=facility.pk)
        .select_related("zone")
        .order_by("zone__code", "code")
    )


def live_count(facility: Facility, *, at: dt.datetime | None = None) -> LiveCount:
    """Housed, in cell, out of cell and out of the facility, per unit: two queries."""
    units = facility_units(facility)
    by_place = figures_by_place(facility, at=at)
    counts = [UnitCount(unit, by_place.get(unit.pk, Figures())) for unit in units]
    return LiveCount(
        facility=facility, at=at or clock.now(), units=counts,
        unhoused=by_place.get(UNHOUSED, Figures()),
    )  # fmt: skip


def unit_in_cell(facility: Facility, unit_id: int, *, at: dt.datetime | None = None) -> int:
    """How many of a unit's people are in their cells (what its sheet should find): one query."""
    figures = figures_by_unit(facility, at=at, unit_ids=[unit_id]).get(unit_id, Figures())
    return figures.in_place


# --- Formal counts ------------------------------------------------------------------


def counts_for_user(user: User) -> QuerySet[FormalCount]:
    return FormalCount.objects.filter(facility_id__in=user.facilities_with(READ_PERM))


def count_get_for_user(user: User, public_id: str | uuid.UUID) -> FormalCount:
    """The count, if ``user`` may read the counts of its facility; otherwise 404."""
    key = parse_public_id(public_id, what="formal count")
    count = (
        counts_for_user(user)
        .filter(public_id=key)
        .select_related("facility", "started_by", "cleared_by")
        .first()
    )
    if count is None:
        raise NotFound(f"No formal count with id {key}.")
    return count


def sheet_get_for_user(
    user: User, count_id: str | uuid.UUID, sheet_id: str | uuid.UUID
) -> CountSheet:
    """A sheet of a count the user may read; otherwise 404."""
    count = count_get_for_user(user, count_id)
    key = parse_public_id(sheet_id, what="count sheet")
    sheet = (
        CountSheet.objects.filter(count=count, public_id=key)
        .select_related("unit__zone", "counted_by", "recounted_by", "reconciled_by")
        .first()
    )
    if sheet is None:
        raise NotFound(f"No count sheet with id {key} in this count.")
    sheet.count = count
    return sheet


def count_sheets(count: FormalCount) -> list[CountSheet]:
    """The count's sheets with their units and who counted: one query."""
    sheets = list(
        CountSheet.objects.filter(count=count)
        .select_related("unit__zone", "counted_by", "recounted_by", "reconciled_by")
        .order_by("unit__zone__code", "unit__code")
    )
    for sheet in sheets:
        sheet.count = count
    return sheets


def open_count(facility: Facility) -> FormalCount | None:
    return (
        FormalCount.objects.filter(facility_id=facility.pk, status=CountStatus.OPEN)
        .select_related("started_by")
        .first()
    )


def latest_count(facility: Facility) -> FormalCount | None:
    """The open count, else the last one started: one query."""
    return (
        FormalCount.objects.filter(facility_id=facility.pk)
        .select_related("started_by", "cleared_by")
        # The open one first (at most one, by constraint), then the newest.
        .order_by(
            Case(When(status=CountStatus.OPEN, then=Value(0)), default=Value(1)),
            "-started_at",
            "-id",
        )
        .first()
    )


# --- The schedule -------------------------------------------------------------------

# What a scheduled count's state is, and the colour the pages give it.
UPCOMING = "upcoming"
DUE = "due"
IN_PROGRESS = "in_progress"
DONE = "cleared"
DONE_LATE = "cleared_late"
MISSED = "missed"
STATE_LABELS = {
    UPCOMING: "Upcoming",
    DUE: "Due now",
    IN_PROGRESS: "In progress",
    DONE: "Cleared",
    DONE_LATE: "Cleared late",
    MISSED: "Missed",
}
STATE_TONES = {
    UPCOMING: "muted",
    DUE: "warn",
    IN_PROGRESS: "info",
    DONE: "ok",
    DONE_LATE: "warn",
    MISSED: "bad",
}


@dataclass(frozen=True)
class ScheduledCount:
    """One count time of the policy on one day, and the count that answered it."""

    slot: Slot
    grace: dt.timedelta
    # The latest count started for this time that was not cancelled.
    count: FormalCount | None
    now: dt.datetime

    @property
    def due_at(self) -> dt.datetime:
        return self.slot.starts_at

    @property
    def missed_at(self) -> dt.datetime:
        """Not started by then, the count is missed (policy.formal_count_grace_minutes)."""
        return self.slot.starts_at + self.grace

    @property
    def state(self) -> str:
        count = self.count
        if count is not None and count.status == CountStatus.OPEN:
            return IN_PROGRESS
        if count is not None:
            return DONE if count.started_at <= self.missed_at else DONE_LATE
        if self.now >= self.missed_at:
            return MISSED
        # A count may be started up to the grace before its time.
        return DUE if self.now >= self.due_at - self.grace else UPCOMING

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def tone(self) -> str:
        return STATE_TONES[self.state]


def count_times(facility: Facility) -> tuple[tuple[dt.time, ...], dt.timedelta]:
    """The policy's count times (local) and the grace before one is missed."""
    policy = policy_of(facility)
    return (
        parse_times(policy.formal_count_times),
        dt.timedelta(minutes=policy.formal_count_grace_minutes),
    )


def _answered(
    facility: Facility, slots: list[Slot], grace: dt.timedelta, now: dt.datetime
) -> list[ScheduledCount]:
    starts = [slot.starts_at for slot in slots]
    answers: dict[dt.datetime, FormalCount] = {}
    if starts:
        # Oldest first, so the latest count of a time is the one kept.
        for count in (
            FormalCount.objects.filter(facility_id=facility.pk, scheduled_for__in=starts)
            .exclude(status=CountStatus.CANCELLED)
            .select_related("started_by", "cleared_by")
            .order_by("started_at")
        ):
            if count.scheduled_for is not None:
                answers[count.scheduled_for] = count
    return [ScheduledCount(slot, grace, answers.get(slot.starts_at), now) for slot in slots]


def scheduled_counts(
    facility: Facility, day: dt.date, *, now: dt.datetime | None = None
) -> list[ScheduledCount]:
    """The day's count times (local ``day``), each with the count that answered it: two queries."""
    times, grace = count_times(facility)
    slots = slots_of_day(day, times, facility.timezone)
    return _answered(facility, slots, grace, now or clock.now())


def missed_counts(
    facility: Facility, now: dt.datetime, *, since: dt.datetime | None = None
) -> list[ScheduledCount]:
    """Count times since ``since`` (default: a day back) whose grace passed without a count.

    A count started late still answers its time (shown "cleared late"); a
    cancelled one does not.  Two queries.
    """
    times, grace = count_times(facility)
    start = since if since is not None else now - dt.timedelta(days=1)
    # Slots whose time plus the grace is at or before now.
    slots = slots_between(
        start, now - grace + dt.timedelta(microseconds=1), times, facility.timezone
    )
    return [s for s in _answered(facility, slots, grace, now) if s.state == MISSED]


def slot_for(
    facility: Facility, scheduled_for: dt.datetime, times: tuple[dt.time, ...] | None = None
) -> Slot | None:
    """The count time ``scheduled_for`` is, or None if it is not one of the policy's."""
    if times is None:
        times, _ = count_times(facility)
    day = clock.local(scheduled_for, facility.timezone).date()
    for candidate in (day - dt.timedelta(days=1), day, day + dt.timedelta(days=1)):
        for slot in slots_of_day(candidate, times, facility.timezone):
            if slot.starts_at == scheduled_for:
                return slot
    return None
