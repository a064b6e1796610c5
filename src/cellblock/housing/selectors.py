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
from cellblock.facilities.models import Facility, FeatureStatus
from cellblock.housing import rules
from cellblock.housing.models import BedAssignment, HousingReview


def resident_label(booking: Booking) -> str:
    person = booking.person
    return f"{booking.booking_number} {person.given_name} {person.family_name}"


def place_of(assignment: BedAssignment) -> rules.Place:
    cell = assignment.bed.cell
    unit = cell.unit
    return rules.Place(
        facility=str(unit.zone.facility_id),
        unit=str(unit.pk),
        cell=str(cell.pk),
        unit_label=unit.name,
        cell_label=f"{unit.name} / {cell.code}",
        unit_age_group=unit.age_group,
        facility_label=unit.zone.facility.name,
        out_of_service=cell.out_of_service or assignment.bed.out_of_service,
        working_features=frozenset(
            feature.tag
            for feature in cell.features.all()
            if feature.status == FeatureStatus.WORKING
        ),
    )


def _open_assignments() -> QuerySet[BedAssignment]:
    return (
        BedAssignment.objects.filter(ended_at__isnull=True, booking__status__in=OPEN_STATUSES)
        .select_related("booking__person", "booking__facility", "bed__cell__unit__zone__facility")
        .prefetch_related("bed__cell__features")
    )


def _residents(bookings: Collection[Booking], now: dt.datetime) -> dict[int, rules.Resident]:
    """The rule book's view of each booking: flags that matter for housing, and groups."""
    booking_ids = [booking.pk for booking in bookings]
    flags: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for booking_id, kind, detail in Flag.objects.filter(
        active_flags_q(now),
        booking_id__in=booking_ids,
        kind__in=HOUSING_FLAGS,
    ).values_list("booking_id", "kind", "detail"):
        flags[booking_id].append((kind, detail))
    groups: dict[int, set[str]] = defaultdict(set)
    for person_id, group_id in GroupMembership.objects.filter(
        ended_at__isnull=True, person_id__in=[b.person_id for b in bookings]
    ).values_list("person_id", "group_id"):
        groups[person_id].add(str(group_id))
    residents = {}
    for booking in bookings:
        kinds = flags[booking.pk]
        residents[booking.pk] = rules.Resident(
            key=booking.booking_number,
            person=str(booking.person_id),
            label=resident_label(booking),
            juvenile=any(kind == FlagKind.JUVENILE for kind, _ in kinds),
            containment=frozenset(d for kind, d in kinds if kind == FlagKind.CONTAINMENT),
            prea_victim=any(kind == FlagKind.PREA_VICTIM for kind, _ in kinds),
            prea_abuser=any(kind == FlagKind.PREA_ABUSER for kind, _ in kinds),
            groups=frozenset(groups[booking.person_id]),
        )
    return residents


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

    A fixed number of queries whatever the count: the bookings' beds, everyone
    in the same units, the orders naming them and the other parties' beds.
    """
    wanted = {booking.pk for booking in bookings}
    mine = list(_open_assignments().filter(booking_id__in=wanted))
    if not mine:
        return []
    person_ids = {a.booking.person_id for a in mine}
    orders = separations_for(person_ids, now)
    other_people = {o.other_person_id for o in orders if o.other_person_id} | {
        o.person_id for o in orders
    }
    order_groups = {o.group_id for o in orders if o.group_id}
    members = GroupMembership.objects.filter(ended_at__isnull=True, group_id__in=order_groups)
    around = _open_assignments().filter(
        Q(bed__cell__unit_id__in={a.bed.cell.unit_id for a in mine})
        | Q(booking__person_id__in=other_people)
        | Q(booking__person_id__in=members.values("person_id"))
    )
    housed = {a.booking_id: a for a in [*mine, *around]}
    residents = _residents([a.booking for a in housed.values()], now)
    placed = [(residents[a.booking_id], place_of(a)) for a in housed.values()]
    separations = [as_separation(order) for order in orders]
    return [
        PlacementCheck(
            booking=a.booking,
            place=place_of(a),
            violations=[
                v
                for v in rules.placement_violations(
                    residents[a.booking_id], place_of(a), housed=placed, separations=separations
                )
                if v.hard
            ],
        )
        for a in mine
    ]


def open_reviews(facility: Facility) -> QuerySet[HousingReview]:
    """Housing alerts still waiting for a move, oldest first."""
    return (
        HousingReview.objects.filter(resolved_at__isnull=True, booking__facility=facility)
        .select_related("booking__person")
        .order_by("raised_at", "id")
    )
