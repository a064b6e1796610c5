"""The best free beds for one person, cheapest first, with the reasons.

Asked at booking and on the bed board, so it must answer at once with
thousands held: no bed is judged one by one as a model object.  The free beds
come as rows; the rules that depend only on the person and the bed
(``rules.place_violations``) run once per kind of bed (unit, working
features, lower bunk); the rules about company are answered from a few
aggregate facts (who is in each candidate cell, which units hold juveniles,
where the other parties of the person's keep-separate orders sleep).  Only
the few beds returned are then judged by the full rule book, which gives
their violations and messages.  A fixed number of queries, whatever the
population.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db.models import Count

from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.classification.models import Flag, FlagKind, GroupMembership, SeparationOrder
from cellblock.classification.selectors import active_flags_q
from cellblock.core import clock
from cellblock.facilities.models import Bed, CellFeature, Facility, FeatureStatus
from cellblock.housing import rules
from cellblock.housing.models import BedAssignment
from cellblock.housing.selectors import residents_of, separations_for
from cellblock.housing.snapshot import BED_FIELDS, place_from_row

# The flags of people already housed that decide who may join them.
COMPANY_FLAGS = (
    FlagKind.JUVENILE,
    FlagKind.PREA_VICTIM,
    FlagKind.PREA_ABUSER,
    FlagKind.SINGLE_CELL,
)

EMPTY_CELL = "An empty cell."
NEXT_TO_MEDICAL = "Next to medical, as the care need asks."
CONTAINMENT_MET = "Working {feature}, as the containment need asks."
LOWER_BUNK_MET = "A lower bunk, as the care need asks."
WHEELCHAIR_MET = "A wheelchair-accessible cell, as the care need asks."
SINGLE_CELL_MET = "A cell to themselves (single cell)."
RESTRICTIVE_MET = "A restrictive housing unit, as authorised."
JUVENILE_MET = "A juvenile unit, out of sight and sound of adults."
RATING_MET = "{unit} is rated {rating}: fits {level} custody."
SEPARATIONS_MET = "Out of reach of the {people} a keep-separate order keeps them from."
PRICED = "{message} (+{cost})"


@dataclass(frozen=True)
class Recommendation:
    bed: Bed
    cost: int
    reasons: list[str]
    violations: list[rules.Violation]


@dataclass
class _Company:
    """Who sleeps in the candidate cells and units, as counts and flags."""

    cell_count: dict[int, int]
    unit_count: dict[int, int]
    # Flag kind -> cells (or units, for juveniles) holding someone with it.
    flagged_cells: dict[str, set[int]]
    juveniles_by_unit: dict[int, int]
    # Booking id -> flag kinds, for the cellmates of the beds returned.
    flags_of: dict[int, set[str]]


def _free_beds(facility: Facility) -> list[dict[str, object]]:
    # NOT IN over the open assignments: one pass over the one-occupant index, which both
    # engines answer faster than a NOT EXISTS probed bed by bed.
    occupied = BedAssignment.objects.filter(ended_at__isnull=True).values("bed_id")
    return list(
        Bed.objects.filter(
            cell__unit__zone__facility=facility, out_of_service=False,
            cell__out_of_service=False,
        )
        .exclude(pk__in=occupied)
        .values(*BED_FIELDS, "cell__unit__code")
    )  # fmt: skip


def _features(cell_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    tags: dict[int, set[str]] = defaultdict(set)
    for cell_id, tag in CellFeature.objects.filter(
        cell_id__in=set(cell_ids), status=FeatureStatus.WORKING
    ).values_list("cell_id", "tag"):
        tags[cell_id].add(tag)
    return {cell_id: frozenset(found) for cell_id, found in tags.items()}


def _company(
    facility: Facility,
    cell_ids: set[int],
    resident: rules.Resident,
    booking: Booking,
    now: dt.datetime,
) -> _Company:
    # Any open assignment holds its bed, as ``bed_assign`` sees it.
    housed = BedAssignment.objects.filter(ended_at__isnull=True).exclude(booking=booking)
    cell_count = dict(
        housed.filter(bed__cell_id__in=cell_ids)
        .values("bed__cell_id")
        .annotate(n=Count("id"))
        .values_list("bed__cell_id", "n")
    )
    # Only a juvenile needs the head count of every unit (to find adults there).
    unit_count = (
        dict(
            housed.filter(bed__cell__unit__zone__facility=facility)
            .values("bed__cell__unit_id")
            .annotate(n=Count("id"))
            .values_list("bed__cell__unit_id", "n")
        )
        if resident.juvenile
        else {}
    )
    flagged_cells: dict[str, set[int]] = defaultdict(set)
    flags_of: dict[int, set[str]] = defaultdict(set)
    active = Flag.objects.filter(
        active_flags_q(now), booking__bed_assignments__ended_at__isnull=True
    )
    # The flags of the people in the candidate cells ...
    for booking_id, kind, cell_id in (
        active.filter(kind__in=COMPANY_FLAGS, booking__bed_assignments__bed__cell_id__in=cell_ids)
        .exclude(booking=booking)
        .values_list("booking_id", "kind", "booking__bed_assignments__bed__cell_id")
    ):
        flagged_cells[kind].add(cell_id)
        flags_of[booking_id].add(kind)
    # ... and the juveniles of the whole facility, whose units adults may not join.
    juveniles_by_unit = dict(
        active.filter(
            kind=FlagKind.JUVENILE,
            booking__bed_assignments__bed__cell__unit__zone__facility=facility,
        )
        .exclude(booking=booking)
        .values("booking__bed_assignments__bed__cell__unit_id")
        .annotate(n=Count("id"))
        .values_list("booking__bed_assignments__bed__cell__unit_id", "n")
    )
    return _Company(cell_count, unit_count, flagged_cells, juveniles_by_unit, flags_of)


@dataclass
class _Kept:
    """Where the person may not sleep because of keep-separate orders."""

    cells: set[int]
    units: set[int]
    whole_facility: bool
    people: int


def _kept_apart(
    resident: rules.Resident, person_id: int, facility: Facility, orders: list[SeparationOrder]
) -> _Kept:
    kept = _Kept(cells=set(), units=set(), whole_facility=False, people=0)
    if not orders:
        return kept
    my_groups = {int(group) for group in resident.groups}
    own_group_orders = {o.group_id for o in orders if o.group_id and o.person_id == person_id}
    members: dict[int, set[int]] = defaultdict(set)
    for group_id, member in GroupMembership.objects.filter(
        ended_at__isnull=True, group_id__in=own_group_orders
    ).values_list("group_id", "person_id"):
        members[group_id].add(member)
    others_by_order: list[tuple[str, set[int]]] = []
    for order in orders:
        if order.other_person_id is not None:
            others = {order.person_id, order.other_person_id}
        elif order.person_id == person_id and order.group_id is not None:
            others = members[order.group_id]
        elif order.group_id in my_groups:
            others = {order.person_id}
        else:
            continue
        others_by_order.append((order.scope, others - {person_id}))
    everyone = set().union(*(others for _, others in others_by_order))
    kept.people = len(everyone)
    where: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for other, cell_id, unit_id in BedAssignment.objects.filter(
        ended_at__isnull=True,
        booking__status__in=OPEN_STATUSES,
        booking__person_id__in=everyone,
        booking__facility=facility,
    ).values_list("booking__person_id", "bed__cell_id", "bed__cell__unit_id"):
        where[other].append((cell_id, unit_id))
    for scope, others in others_by_order:
        for other in others:
            for cell_id, unit_id in where.get(other, ()):
                if scope == rules.SCOPE_CELL:
                    kept.cells.add(cell_id)
                elif scope == rules.SCOPE_UNIT:
                    kept.units.add(unit_id)
                else:
                    kept.whole_facility = True
    return kept


def _company_allows(
    resident: rules.Resident, cell_id: int, unit_id: int, company: _Company, mates: int
) -> bool:
    """The company rules, from counts: juveniles, PREA pairing, single cells."""
    juveniles = company.juveniles_by_unit.get(unit_id, 0)
    if resident.juvenile and company.unit_count.get(unit_id, 0) > juveniles:
        return False
    if not resident.juvenile and juveniles:
        return False
    flagged = company.flagged_cells
    if resident.prea_abuser and cell_id in flagged[FlagKind.PREA_VICTIM]:
        return False
    if resident.prea_victim and cell_id in flagged[FlagKind.PREA_ABUSER]:
        return False
    if resident.single_cell and mates:
        return False
    return cell_id not in flagged[FlagKind.SINGLE_CELL]


def _reasons(
    resident: rules.Resident,
    place: rules.Place,
    violations: list[rules.Violation],
    *,
    mates: int,
    kept_apart: int,
) -> list[str]:
    """The needs this bed meets, then what it costs and why."""
    found = [CONTAINMENT_MET.format(feature=tag) for tag in sorted(resident.containment)]
    if rules.NEED_LOWER_BUNK in resident.care_needs:
        found.append(LOWER_BUNK_MET)
    if rules.NEED_WHEELCHAIR in resident.care_needs:
        found.append(WHEELCHAIR_MET)
    if resident.care_needs & rules.NEAR_MEDICAL_NEEDS and place.minutes_to_medical == 0:
        found.append(NEXT_TO_MEDICAL)
    if resident.single_cell:
        found.append(SINGLE_CELL_MET)
    if resident.restrictive_housing:
        found.append(RESTRICTIVE_MET)
    if resident.juvenile:
        found.append(JUVENILE_MET)
    if resident.custody_level:
        found.append(
            RATING_MET.format(
                unit=place.unit_label, rating=place.security_rating, level=resident.custody_level
            )
        )
    if kept_apart:
        people = "person" if kept_apart == 1 else f"{kept_apart} people"
        found.append(SEPARATIONS_MET.format(people=people))
    if not mates:
        found.append(EMPTY_CELL)
    found += [
        PRICED.format(message=v.message, cost=v.cost) for v in violations if not v.hard and v.cost
    ]
    return found


def _cellmates(
    cell_ids: set[int], booking: Booking, company: _Company, places: dict[int, rules.Place]
) -> dict[int, list[tuple[rules.Resident, rules.Place]]]:
    """The people in these cells as the rule book sees their company (flags already read)."""
    found: dict[int, list[tuple[rules.Resident, rules.Place]]] = defaultdict(list)
    for row in (
        BedAssignment.objects.filter(
            ended_at__isnull=True, bed__cell_id__in=cell_ids, booking__status__in=OPEN_STATUSES
        )
        .exclude(booking=booking)
        .values(
            "booking_id", "booking__booking_number", "booking__person_id",
            "booking__person__given_name", "booking__person__family_name", "bed_id", "bed__code",
            "bed__cell_id",
        )
    ):  # fmt: skip
        kinds = company.flags_of.get(int(row["booking_id"]), set())
        mate = rules.Resident(
            key=str(row["booking__booking_number"]),
            person=str(row["booking__person_id"]),
            label=(
                f"{row['booking__booking_number']} {row['booking__person__given_name']} "
                f"{row['booking__person__family_name']}"
            ),
            juvenile=FlagKind.JUVENILE in kinds,
            prea_victim=FlagKind.PREA_VICTIM in kinds,
            prea_abuser=FlagKind.PREA_ABUSER in kinds,
            single_cell=FlagKind.SINGLE_CELL in kinds,
        )
        cell_id = int(row["bed__cell_id"])
        there = replace(places[cell_id], bed=str(row["bed_id"]), bed_label=str(row["bed__code"]))
        found[cell_id].append((mate, there))
    return found


def bed_recommendations(
    booking: Booking, *, limit: int = 3, now: dt.datetime | None = None
) -> list[Recommendation]:
    """The ``limit`` cheapest lawful free beds of the booking's facility for this person."""
    now = now or clock.now()
    facility = booking.facility
    resident = residents_of([booking], now)[booking.pk]
    free = _free_beds(facility)
    if not free:
        return []
    cell_ids = {int(str(row["cell_id"])) for row in free}
    features = _features(cell_ids)
    company = _company(facility, cell_ids, resident, booking, now)
    orders = separations_for({booking.person_id}, now)
    kept = _kept_apart(resident, booking.person_id, facility, orders)
    if kept.whole_facility:
        return []
    # The rules about the bed alone, once per kind of bed: lawful, and the price.
    judged: dict[tuple[object, ...], tuple[bool, int]] = {}
    ranked: list[tuple[int, str, str, str, dict[str, object]]] = []
    for row in free:
        cell_id = int(str(row["cell_id"]))
        unit_id = int(str(row["cell__unit_id"]))
        if cell_id in kept.cells or unit_id in kept.units:
            continue
        kind = (unit_id, features.get(cell_id, frozenset()), row["lower_bunk"])
        if kind not in judged:
            place = place_from_row(row, features.get(cell_id, frozenset()), facility)
            found = rules.place_violations(resident, place)
            judged[kind] = (rules.is_lawful(found), rules.price(found))
        lawful, cost = judged[kind]
        mates = company.cell_count.get(cell_id, 0)
        if not lawful or not _company_allows(resident, cell_id, unit_id, company, mates):
            continue
        ranked.append(
            (
                cost + rules.COST_PER_CELLMATE * mates,
                str(row["cell__unit__code"]),
                str(row["cell__code"]),
                str(row["code"]),
                row,
            )
        )
    ranked.sort(key=lambda entry: entry[:4])
    chosen = [entry[4] for entry in ranked[:limit]]
    if not chosen:
        return []
    places = {
        int(str(row["pk"])): place_from_row(
            row, features.get(int(str(row["cell_id"])), frozenset()), facility
        )
        for row in chosen
    }
    by_cell = {int(place.cell): place for place in places.values()}
    mates_by_cell = _cellmates(set(by_cell), booking, company, by_cell)
    beds = Bed.objects.select_related("cell__unit").in_bulk(list(places))
    recommendations = []
    for bed_id, place in places.items():
        housed = mates_by_cell.get(int(place.cell), [])
        # The full rule book for the beds returned: their exact violations and messages.
        violations = rules.placement_violations(resident, place, housed=housed, separations=[])
        if not rules.is_lawful(violations):
            continue
        recommendations.append(
            Recommendation(
                bed=beds[bed_id],
                cost=rules.price(violations),
                reasons=_reasons(
                    resident, place, violations, mates=len(housed), kept_apart=kept.people
                ),
                violations=violations,
            )
        )
    return recommendations
