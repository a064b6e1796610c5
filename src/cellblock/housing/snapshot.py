"""A facility as the housing engine sees it: every bed, everyone to house, the orders.

Built in a fixed number of queries whatever the size of the facility (beds as
rows, one query for the cells' working features, the bookings, their beds,
flags and groups, the orders), so a run over 15,000 beds spends its time in
the engine and not in the database.  Beds and people keep the rule book's
keys (``selectors.bed_place`` and ``selectors.residents_of``), so the
engine's answer and a manual move's verdict speak of the same things.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, replace

from cellblock.booking.checklist import STEPS, recorded_steps
from cellblock.booking.models import OPEN_STATUSES, Booking, IntakeStep
from cellblock.facilities.models import Bed, CellFeature, Facility, FeatureStatus
from cellblock.housing import rules
from cellblock.housing.engine.model import Instance
from cellblock.housing.models import BedAssignment, ProposalMode
from cellblock.housing.selectors import as_separation, residents_of, separations_for

# What a bed row carries: the bed, its cell and its unit (the rule book's Place).
BED_FIELDS = (
    "pk",
    "code",
    "lower_bunk",
    "out_of_service",
    "cell_id",
    "cell__code",
    "cell__out_of_service",
    "cell__unit_id",
    "cell__unit__name",
    "cell__unit__age_group",
    "cell__unit__sex_served",
    "cell__unit__security_rating",
    "cell__unit__restrictive_housing",
    "cell__unit__minutes_to_medical",
)


@dataclass(frozen=True)
class Snapshot:
    instance: Instance
    # Resident key (booking number) -> booking id.
    bookings: dict[str, int]
    # Booking id -> the bed (id) they sleep in now, whatever the mode of the run.
    current: dict[int, int]


def place_from_row(
    row: dict[str, object], features: frozenset[str], facility: Facility, *, closing: bool = False
) -> rules.Place:
    """``selectors.bed_place`` from a values() row of ``BED_FIELDS``."""
    unit_name = str(row["cell__unit__name"])
    return rules.Place(
        facility=str(facility.pk),
        unit=str(row["cell__unit_id"]),
        cell=str(row["cell_id"]),
        unit_label=unit_name,
        cell_label=f"{unit_name} / {row['cell__code']}",
        unit_age_group=str(row["cell__unit__age_group"]),
        facility_label=facility.name,
        out_of_service=bool(closing or row["cell__out_of_service"] or row["out_of_service"]),
        working_features=features,
        bed=str(row["pk"]),
        bed_label=str(row["code"]),
        lower_bunk=bool(row["lower_bunk"]),
        sex_served=str(row["cell__unit__sex_served"]),
        security_rating=str(row["cell__unit__security_rating"]),
        restrictive_housing=bool(row["cell__unit__restrictive_housing"]),
        minutes_to_medical=int(str(row["cell__unit__minutes_to_medical"])),
    )


def working_features_by_cell(facility: Facility) -> dict[int, frozenset[str]]:
    tags: dict[int, set[str]] = defaultdict(set)
    for cell_id, tag in CellFeature.objects.filter(
        cell__unit__zone__facility=facility, status=FeatureStatus.WORKING
    ).values_list("cell_id", "tag"):
        tags[cell_id].add(tag)
    return {cell_id: frozenset(found) for cell_id, found in tags.items()}


def not_ready_for_housing(facility: Facility) -> set[int]:
    """Open bookings of ``facility`` with an intake step due before a bed still open.

    ``booking.selectors.steps_due_before_housing`` for a whole facility at once.
    """
    required = [s.code for s in STEPS if s.before_housing and s.code in recorded_steps()]
    if not required:
        return set()
    return set(
        IntakeStep.objects.filter(
            booking__facility=facility,
            booking__status__in=OPEN_STATUSES,
            step__in=required,
            completed_at__isnull=True,
        ).values_list("booking_id", flat=True)
    )


def facility_snapshot(
    facility: Facility,
    *,
    now: dt.datetime,
    mode: str,
    closing_units: Collection[int] = (),
    closing_facility: bool = False,
) -> Snapshot:
    """The engine's instance for ``facility``.

    Everyone held there takes part: the housed, and the open bookings waiting
    for a bed once the intake steps due before housing are done.  In a cold
    start nobody keeps a current bed (everyone is placed afresh); in a daily
    or closure run moving the housed is priced.  The beds of closing units
    (or of the whole facility) are out of service, so the engine empties them.
    """
    features = working_features_by_cell(facility)
    places = tuple(
        place_from_row(
            row, features.get(int(str(row["cell_id"])), frozenset()), facility,
            closing=closing_facility or row["cell__unit_id"] in closing_units,
        )
        for row in Bed.objects.filter(cell__unit__zone__facility=facility)
        .order_by("pk")
        .values(*BED_FIELDS)
    )  # fmt: skip
    current = dict(
        BedAssignment.objects.filter(
            ended_at__isnull=True, booking__facility=facility, booking__status__in=OPEN_STATUSES
        ).values_list("booking_id", "bed_id")
    )
    waiting = not_ready_for_housing(facility)
    bookings = [
        booking
        for booking in Booking.objects.filter(facility=facility, status__in=OPEN_STATUSES)
        .select_related("person")
        .order_by("pk")
        if booking.pk in current or booking.pk not in waiting
    ]
    people = residents_of(bookings, now, current_beds=current)
    residents = tuple(
        replace(people[booking.pk], current_bed="")
        if mode == ProposalMode.COLD_START
        else people[booking.pk]
        for booking in bookings
    )
    orders = separations_for({booking.person_id for booking in bookings}, now)
    return Snapshot(
        instance=Instance(
            places=places,
            residents=residents,
            separations=tuple(as_separation(order) for order in orders),
        ),
        bookings={booking.booking_number: booking.pk for booking in bookings},
        current=current,
    )
