"""Reads for housing: the facts the rule book needs about people and places, and the alerts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.classification.models import (
    HOUSING_FLAGS,
    Flag,
    FlagKind,
    GroupMembership,
    SeparationOrder,
)
from cellblock.classification.selectors import active_flags_q, orders_in_force_q
from cellblock.facilities.models import Bed, CellFeature, Facility, FeatureStatus
from cellblock.housing import rules
from cellblock.housing.models import BedAssignment, HousingReview


def resident_label(booking: Booking) -> str:
    person = booking.person
    return f"{booking.booking_number} {person.given_name} {person.family_name}"


def place_of(assignment: BedAssignment) -> rules.Place:
    return bed_place(assignment.bed)


def bed_place(bed: Bed) -> rules.Place:
    """The rule book's view of a bed; its cell's features should be prefetched."""
    cell = bed.cell
    unit = cell.unit
    return rules.Place(
        facility=str(unit.zone.facility_id),
        unit=str(unit.pk),
        cell=str(cell.pk),
        unit_label=unit.name,
        cell_label=f"{unit.name} / {cell.code}",
        unit_age_group=unit.age_group,
        facility_label=unit.zone.facility.name,
        out_of_service=cell.out_of_service or bed.out_of_service,
        working_features=frozenset(
            feature.tag
            for feature in cell.features.all()
            if feature.status == FeatureStatus.WORKING
        ),
        bed=str(bed.pk),
        bed_label=bed.code,
        lower_bunk=bed.lower_bunk,
        sex_served=unit.sex_served,
        security_rating=unit.security_rating,
        restrictive_housing=unit.restrictive_housing,
        minutes_to_medical=unit.minutes_to_medical,
    )


def _open_assignments() -> QuerySet[BedAssignment]:
    return (
        BedAssignment.objects.filter(ended_at__isnull=True, booking__status__in=OPEN_STATUSES)
        .select_related("booking__person", "booking__facility", "bed__cell__unit__zone__facility")
        .prefetch_related("bed__cell__features")
    )


@dataclass(frozen=True)
class ResidentFacts:
    """What the rule book needs of a booking besides its flags: read as plain values."""

    booking_id: int
    booking_number: str
    person_id: int
    label: str
    sex: str
    custody_level: str
    current_bed: int | None


def residents_of(
    bookings: Collection[Booking], now: dt.datetime, *, current_beds: dict[int, int] | None = None
) -> dict[int, rules.Resident]:
    """The rule book's view of each booking: flags that matter for housing, and groups."""
    booking_ids = [booking.pk for booking in bookings]
    missing = [pk for pk in booking_ids if current_beds is None or pk not in current_beds]
    current_beds = dict(current_beds or {})
    if missing:
        current_beds.update(
            BedAssignment.objects.filter(booking_id__in=missing, ended_at__isnull=True).values_list(
                "booking_id", "bed_id"
            )
        )
    return residents_from_facts(
        [
            ResidentFacts(
                booking_id=booking.pk, booking_number=booking.booking_number,
                person_id=booking.person_id, label=resident_label(booking),
                sex=booking.person.sex, custody_level=booking.custody_level,
                current_bed=current_beds.get(booking.pk),
            )
            for booking in bookings
        ],
        now,
    )  # fmt: skip


def residents_from_facts(
    facts: Collection[ResidentFacts], now: dt.datetime
) -> dict[int, rules.Resident]:
    """Residents from plain facts, with their housing flags and groups (two queries)."""
    flags: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for booking_id, kind, detail in Flag.objects.filter(
        active_flags_q(now),
        booking_id__in=[fact.booking_id for fact in facts],
        kind__in=HOUSING_FLAGS,
    ).values_list("booking_id", "kind", "detail"):
        flags[booking_id].append((kind, detail))
    groups: dict[int, set[str]] = defaultdict(set)
    for person_id, group_id in GroupMembership.objects.filter(
        ended_at__isnull=True, person_id__in={fact.person_id for fact in facts}
    ).values_list("person_id", "group_id"):
        groups[person_id].add(str(group_id))
    residents = {}
    for fact in facts:
        kinds = flags[fact.booking_id]
        residents[fact.booking_id] = rules.Resident(
            key=fact.booking_number,
            person=str(fact.person_id),
            label=fact.label,
            juvenile=any(kind == FlagKind.JUVENILE for kind, _ in kinds),
            containment=frozenset(d for kind, d in kinds if kind == FlagKind.CONTAINMENT),
            prea_victim=any(kind == FlagKind.PREA_VICTIM for kind, _ in kinds),
            prea_abuser=any(kind == FlagKind.PREA_ABUSER for kind, _ in kinds),
            groups=frozenset(groups[fact.person_id]),
            sex=fact.sex,
            custody_level=fact.custody_level,
            single_cell=any(kind == FlagKind.SINGLE_CELL for kind, _ in kinds),
            restrictive_housing=any(kind == FlagKind.RESTRICTIVE_HOUSING for kind, _ in kinds),
            care_needs=frozenset(
                d for kind, d in kinds if kind in (FlagKind.MEDICAL_NEED, FlagKind.DISABILITY_NEED)
            ),
            current_bed=str(fact.current_bed) if fact.current_bed else "",
        )
    return residents


# The columns of an open assignment that the rule book needs, read as plain values: a unit
# of 500 read this way costs a fraction of building 500 model instances with their cells.
_HOUSED_COLUMNS = (
    "booking_id", "booking__booking_number", "booking__person_id",
    "booking__person__given_name", "booking__person__family_name", "booking__person__sex",
    "booking__custody_level", "bed_id", "bed__code", "bed__lower_bunk", "bed__out_of_service",
    "bed__cell_id", "bed__cell__code", "bed__cell__out_of_service", "bed__cell__unit_id",
    "bed__cell__unit__name", "bed__cell__unit__age_group", "bed__cell__unit__sex_served",
    "bed__cell__unit__security_rating", "bed__cell__unit__restrictive_housing",
    "bed__cell__unit__minutes_to_medical", "bed__cell__unit__zone__facility_id",
    "bed__cell__unit__zone__facility__name",
)  # fmt: skip


def housed_where(condition: Q, now: dt.datetime) -> dict[int, tuple[rules.Resident, rules.Place]]:
    """Everyone housed now who matches ``condition``, by booking id, as the rule book sees them.

    Four queries, whatever the count: the assignments, the cells' working
    features, the people's housing flags and their groups.
    """
    rows = list(
        BedAssignment.objects.filter(ended_at__isnull=True, booking__status__in=OPEN_STATUSES)
        .filter(condition)
        .values_list(*_HOUSED_COLUMNS)
    )
    if not rows:
        return {}
    features: dict[int, set[str]] = defaultdict(set)
    for cell_id, tag in CellFeature.objects.filter(
        cell_id__in={row[11] for row in rows}, status=FeatureStatus.WORKING
    ).values_list("cell_id", "tag"):
        features[cell_id].add(tag)
    facts = []
    places = {}
    for (
        booking_id, number, person_id, given, family, sex, level, bed_id, bed_code, lower,
        bed_out, cell_id, cell_code, cell_out, unit_id, unit_name, age_group, sex_served,
        rating, restrictive, minutes, facility_id, facility_name,
    ) in rows:  # fmt: skip
        facts.append(
            ResidentFacts(
                booking_id=booking_id, booking_number=number, person_id=person_id,
                label=f"{number} {given} {family}", sex=sex, custody_level=level,
                current_bed=bed_id,
            )
        )  # fmt: skip
        places[booking_id] = rules.Place(
            facility=str(facility_id), unit=str(unit_id), cell=str(cell_id),
            unit_label=unit_name, cell_label=f"{unit_name} / {cell_code}",
            unit_age_group=age_group, facility_label=facility_name,
            out_of_service=cell_out or bed_out, working_features=frozenset(features[cell_id]),
            bed=str(bed_id), bed_label=bed_code, lower_bunk=lower, sex_served=sex_served,
            security_rating=rating, restrictive_housing=restrictive,
            minutes_to_medical=minutes,
        )  # fmt: skip
    residents = residents_from_facts(facts, now)
    return {booking_id: (residents[booking_id], place) for booking_id, place in places.items()}


def separations_for(person_ids: Collection[int], now: dt.datetime) -> list[SeparationOrder]:
    """Keep-separate orders in force that name any of these people, directly or by group."""
    group_ids = GroupMembership.objects.filter(
        ended_at__isnull=True, person_id__in=person_ids
    ).values("group_id")
    return list(
        SeparationOrder.objects.filter(orders_in_force_q(now)).filter(
            Q(person_id__in=person_ids)
            | Q(other_person_id__in=person_ids)
            | Q(group_id__in=group_ids)
        )
    )


def as_separation(order: SeparationOrder) -> rules.Separation:
    return rules.Separation(
        key=str(order.public_id),
        person=str(order.person_id),
        scope=order.scope,
        other_person=str(order.other_person_id) if order.other_person_id else None,
        group=str(order.group_id) if order.group_id else None,
    )


@dataclass(frozen=True)
class PlacementCheck:
    booking: Booking
    place: rules.Place
    violations: list[rules.Violation]


def placement_checks(bookings: Iterable[Booking], now: dt.datetime) -> list[PlacementCheck]:
    """Check the current bed of each housed booking against the rule book.

    A fixed number of queries whatever the count: the bookings' beds, the
    orders naming them, and everyone in the same units or on the other side
    of an order (read as plain values).
    """
    by_id = {booking.pk: booking for booking in bookings}
    mine = dict(
        BedAssignment.objects.filter(
            booking_id__in=by_id, ended_at__isnull=True, booking__status__in=OPEN_STATUSES
        ).values_list("booking_id", "bed__cell__unit_id")
    )
    if not mine:
        return []
    orders = separations_for({by_id[pk].person_id for pk in mine}, now)
    housed = housed_where(
        Q(booking_id__in=mine)
        | Q(bed__cell__unit_id__in=set(mine.values()))
        | _other_parties_q(orders),
        now,
    )
    placed = list(housed.values())
    separations = [as_separation(order) for order in orders]
    checks = []
    for booking_id in mine:
        if booking_id not in housed:
            continue
        resident, place = housed[booking_id]
        violations = rules.placement_violations(
            resident, place, housed=placed, separations=separations
        )
        checks.append(
            PlacementCheck(
                booking=by_id[booking_id],
                place=place,
                violations=[v for v in violations if v.hard],
            )
        )
    return checks


def _other_parties_q(orders: Collection[SeparationOrder]) -> Q:
    """The people on the other side of these orders: named, or members of the named group."""
    people = {o.other_person_id for o in orders if o.other_person_id} | {
        o.person_id for o in orders
    }
    groups = {o.group_id for o in orders if o.group_id}
    members = GroupMembership.objects.filter(ended_at__isnull=True, group_id__in=groups)
    return Q(booking__person_id__in=people) | Q(booking__person_id__in=members.values("person_id"))


def open_reviews(facility: Facility) -> QuerySet[HousingReview]:
    """Housing alerts still waiting for a move, oldest first."""
    return (
        HousingReview.objects.filter(resolved_at__isnull=True, booking__facility=facility)
        .select_related("booking__person")
        .order_by("raised_at", "id")
    )


@dataclass(frozen=True)
class Verdict:
    """What the rule book says about ``booking`` sleeping in ``bed``."""

    resident: rules.Resident
    place: rules.Place
    violations: list[rules.Violation]

    @property
    def hard(self) -> list[rules.Violation]:
        return [violation for violation in self.violations if violation.hard]

    @property
    def soft(self) -> list[rules.Violation]:
        return [violation for violation in self.violations if not violation.hard]

    @property
    def lawful(self) -> bool:
        return not self.hard

    @property
    def cost(self) -> int:
        return rules.price(self.violations)


def beds_with_places() -> QuerySet[Bed]:
    return Bed.objects.select_related("cell__unit__zone__facility").prefetch_related(
        "cell__features"
    )


def placement_verdict(booking: Booking, bed: Bed, now: dt.datetime) -> Verdict:
    """Every rule for moving ``booking`` into ``bed``, given who is housed where now.

    A fixed number of queries: the bed, the orders naming the person, the
    people of the bed's unit and the other parties of the orders, and the
    person's own facts.
    """
    bed = beds_with_places().get(pk=bed.pk)
    place = bed_place(bed)
    orders = separations_for({booking.person_id}, now)
    around = housed_where(
        (Q(bed__cell__unit_id=bed.cell.unit_id) | _other_parties_q(orders))
        & ~Q(booking_id=booking.pk),
        now,
    )
    resident = residents_of([booking], now)[booking.pk]
    violations = rules.placement_violations(
        resident,
        place,
        housed=list(around.values()),
        separations=[as_separation(o) for o in orders],
    )
    return Verdict(resident=resident, place=place, violations=violations)
