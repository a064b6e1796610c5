"""Reads of the meals log: which meal it is, who went without, and the meal sheet of a unit.

Meals are the facility's policy times (``meal_times``, local) numbered from 0
for each local day.  A meal is "current" from MEAL_LEAD before it is served
until the next one is that close, so an officer recording breakfast at
07:40 records breakfast, and at 11:15 lunch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from cellblock.booking.models import Booking
from cellblock.classification.models import Flag, FlagKind
from cellblock.classification.selectors import active_flags_q, policy_of
from cellblock.custody.models import WENT_WITHOUT, Destination, MealOutcome, MealRecord, Movement
from cellblock.custody.schedule import Slot, at_local, parse_times, slot_at, slots_of_day
from cellblock.custody.selectors.rounds import housed_assignments
from cellblock.facilities.models import Cell, Facility, FacilityPolicy, HousingUnit

# A meal is current from this long before it is served.
MEAL_LEAD = dt.timedelta(minutes=60)

# Names of the meals when a facility serves three a day; otherwise "Meal 1", "Meal 2" ...
THREE_MEALS = ("Breakfast", "Lunch", "Dinner")

# Diet and preference notes come from these classification flags.
DIET_FLAGS = (FlagKind.DIET, FlagKind.PREFERENCE)


def meal_times(policy: FacilityPolicy) -> tuple[dt.time, ...]:
    return parse_times(policy.meal_times)


def meal_name(index: int, times: tuple[dt.time, ...]) -> str:
    """ "Lunch (12:00)", or "Meal 2 (12:00)" where a facility does not serve three meals."""
    base = THREE_MEALS[index] if len(times) == len(THREE_MEALS) else f"Meal {index + 1}"
    return f"{base} ({times[index]:%H:%M})" if 0 <= index < len(times) else base


def current_meal(facility: Facility, at: dt.datetime, policy: FacilityPolicy | None = None) -> Slot:
    """The meal being served (or about to be) at ``at``, in the facility's zone."""
    policy = policy or policy_of(facility)
    slot = slot_at(at + MEAL_LEAD, meal_times(policy), facility.timezone)
    return meal_slot(facility, slot.day, slot.index, policy)


def meal_slot(
    facility: Facility, day: dt.date, index: int, policy: FacilityPolicy | None = None
) -> Slot:
    """Meal ``index`` of local ``day``: from its time until the next meal's."""
    policy = policy or policy_of(facility)
    return slots_of_day(day, meal_times(policy), facility.timezone)[index]


def meals_of_day(facility: Facility, day: dt.date, policy: FacilityPolicy) -> list[Slot]:
    return slots_of_day(day, meal_times(policy), facility.timezone)


# --- Going without ----------------------------------------------------------------


def _broke_later() -> Exists:
    """A later meal of the same person that they ate (served, or food from outside)."""
    return Exists(
        MealRecord.objects.filter(
            booking_id=OuterRef("booking_id"),
            outcome__in=(MealOutcome.SERVED, MealOutcome.OUTSIDE_FOOD),
        ).filter(
            Q(meal_date__gt=OuterRef("meal_date"))
            | Q(meal_date=OuterRef("meal_date"), meal__gt=OuterRef("meal"))
        )
    )


def meals_in_a_row_without(
    booking_ids: Iterable[int] | QuerySet[Booking],
) -> dict[int, tuple[int, dt.datetime]]:
    """``{booking_id: (meals, since)}``: refused or missed meals in a row at the end of each record.

    Only people whose newest recorded meals were refused or missed appear;
    ``since`` is when the first of those meals was served.  A meal served or
    food brought from outside ends the run.  Two queries for any number of
    people: the run's records, and the policies of their facilities.
    """
    if isinstance(booking_ids, QuerySet):
        people = MealRecord.objects.filter(booking__in=booking_ids)
    else:
        ids = list(booking_ids)
        if not ids:
            return {}
        people = MealRecord.objects.filter(booking_id__in=ids)
    records = (
        people.filter(outcome__in=WENT_WITHOUT)
        .exclude(_broke_later())
        .values_list("booking_id", "meal_date", "meal", "booking__facility_id")
    )
    runs: dict[int, tuple[int, dt.date, int, int]] = {}
    for booking_id, day, meal, facility_id in records:
        count, first_day, first_meal, _ = runs.get(booking_id, (0, day, meal, facility_id))
        if (day, meal) < (first_day, first_meal):
            first_day, first_meal = day, meal
        runs[booking_id] = (count + 1, first_day, first_meal, facility_id)
    if not runs:
        return {}
    facilities = {
        f.pk: f
        for f in Facility.objects.filter(pk__in={run[3] for run in runs.values()}).select_related(
            "policy"
        )
    }
    found: dict[int, tuple[int, dt.datetime]] = {}
    for booking_id, (count, day, meal, facility_id) in runs.items():
        facility = facilities[facility_id]
        times = meal_times(_policy_loaded(facility))
        time = times[meal] if meal < len(times) else dt.time(0)
        found[booking_id] = (count, at_local(day, time, facility.timezone))
    return found


def _policy_loaded(facility: Facility) -> FacilityPolicy:
    try:
        return facility.policy
    except FacilityPolicy.DoesNotExist:
        return FacilityPolicy(facility=facility)


# --- A person's meals ---------------------------------------------------------------


@dataclass
class MealLine:
    """One recorded meal with its name and serving time."""

    record: MealRecord
    name: str
    served_at: dt.datetime

    @property
    def went_without(self) -> bool:
        return self.record.outcome in WENT_WITHOUT


def meals_of(booking: Booking, limit: int = 20) -> list[MealLine]:
    """A person's newest recorded meals, newest first (two queries)."""
    policy = policy_of(booking.facility)
    times = meal_times(policy)
    records = MealRecord.objects.filter(booking=booking).select_related("recorded_by")
    return [
        MealLine(
            record=record,
            name=meal_name(record.meal, times),
            served_at=at_local(
                record.meal_date,
                times[record.meal] if record.meal < len(times) else dt.time(0),
                booking.facility.timezone,
            ),
        )
        for record in records.order_by("-meal_date", "-meal")[:limit]
    ]


def diet_notes(booking_ids: Iterable[int], now: dt.datetime) -> dict[int, list[Flag]]:
    """Active diet and preference flags of each person (one query)."""
    notes: dict[int, list[Flag]] = {}
    ids = list(booking_ids)
    if not ids:
        return notes
    for flag in Flag.objects.filter(
        active_flags_q(now), booking_id__in=ids, kind__in=DIET_FLAGS
    ).order_by("kind", "set_at"):
        notes.setdefault(flag.booking_id, []).append(flag)
    return notes


# --- The meal sheet of a unit ---------------------------------------------------------


def _destination_label(value: str | None) -> str:
    return Destination(value).label if value in Destination.values else ""


@dataclass
class MealSheetRow:
    booking: Booking
    cell: Cell
    notes: list[Flag] = field(default_factory=list)
    record: MealRecord | None = None
    # Refused or missed meals in a row, and since when.
    without: int = 0
    without_since: dt.datetime | None = None
    # Out of the cell on a movement now (where to).
    out_destination: str = ""


def meal_sheet(
    facility: Facility, unit: HousingUnit | None, slot: Slot, now: dt.datetime
) -> list[MealSheetRow]:
    """Who is housed in ``unit`` (or the facility), their diet notes and this meal's record.

    At most five queries whatever the size: people, diet notes, this meal's
    records, the runs without food and (when there are any) their policies.
    """
    assignments = list(
        housed_assignments(facility, unit=unit)
        .select_related("booking__person", "bed__cell")
        .annotate(
            out_destination=Subquery(
                Movement.objects.filter(
                    booking_id=OuterRef("booking_id"), returned_at__isnull=True
                ).values("destination")[:1]
            )
        )
        .order_by("bed__cell__code", "booking__person__family_name", "booking__person__given_name")
    )
    ids = [a.booking_id for a in assignments]
    notes = diet_notes(ids, now)
    records = {
        r.booking_id: r
        for r in MealRecord.objects.filter(
            booking_id__in=ids, meal_date=slot.day, meal=slot.index
        ).select_related("recorded_by")
    } if ids else {}  # fmt: skip
    runs = meals_in_a_row_without(ids)
    rows = []
    for a in assignments:
        count, since = runs.get(a.booking_id, (0, None))
        rows.append(
            MealSheetRow(
                booking=a.booking, cell=a.bed.cell, notes=notes.get(a.booking_id, []),
                record=records.get(a.booking_id), without=count, without_since=since,
                out_destination=_destination_label(a.__dict__["out_destination"]),
            )
        )  # fmt: skip
    return rows
