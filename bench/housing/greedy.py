"""The greedy reference: first fit, as a housing officer works through a list.

The housed keep their bed while it is still lawful (an officer does not move
people for nothing); then each person in list order takes the first bed, in
bed order, that the checker's rules allow given everyone placed before them,
or stays unplaced.  Nothing is ever undone.

Free beds are indexed by what the person-and-bed rules look at (sex served,
age group, rating, restrictive housing, working features, lower bunk), so a
person only walks the beds of kinds open to them; taken beds are skipped for
good, and the rules between people are counts kept per cell, unit and
facility.  A run over 100,000 people takes seconds.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bench.housing.checker import (
    CELL_SCOPE,
    FACILITY_SCOPE,
    UNIT_SCOPE,
    InstanceLike,
    container,
    place_rule_breaks,
)

SCOPES = (CELL_SCOPE, UNIT_SCOPE, FACILITY_SCOPE)


def _scope(scope: str) -> str:
    return scope if scope in (CELL_SCOPE, UNIT_SCOPE) else FACILITY_SCOPE


def _place_kind(place: Any) -> tuple[Any, ...]:
    return (
        place.sex_served, place.unit_age_group, place.security_rating,
        place.working_features, bool(place.restrictive_housing), bool(place.lower_bunk),
    )  # fmt: skip


def _resident_kind(resident: Any) -> tuple[Any, ...]:
    return (
        resident.sex, resident.juvenile, resident.custody_level, resident.containment,
        bool(resident.restrictive_housing), resident.care_needs,
    )  # fmt: skip


@dataclass
class Result:
    assignment: dict[str, str]
    unplaced: list[str]
    # People who kept the bed they had.
    kept: int


class Housing:
    """The beds and who is placed so far, with the counts the rules between people need."""

    def __init__(self, instance: InstanceLike, bed_order: Sequence[int] | None = None) -> None:
        self.places = list(instance.places)
        order = list(bed_order) if bed_order is not None else range(len(self.places))
        self.rank = {position: index for index, position in enumerate(order)}
        self.position = {place.bed: index for index, place in enumerate(self.places)}
        self.closed = bytearray(len(self.places))
        # Free beds of each kind, in bed order; ``heads`` skips the ones taken for good.
        kinds: dict[tuple[Any, ...], int] = {}
        self.kind_example: list[Any] = []
        self.lists: list[list[int]] = []
        for position in order:
            place = self.places[position]
            if place.out_of_service:
                self.closed[position] = 1
                continue
            kind = kinds.setdefault(_place_kind(place), len(kinds))
            if kind == len(self.lists):
                self.lists.append([])
                self.kind_example.append(place)
            self.lists[kind].append(position)
        self.heads = [0] * len(self.lists)
        self.open_kinds: dict[tuple[Any, ...], list[int]] = {}
        self.cell_beds: defaultdict[Hashable, list[int]] = defaultdict(list)
        for position, place in enumerate(self.places):
            self.cell_beds[(place.facility, place.cell)].append(position)

        self.in_cell: Counter[Hashable] = Counter()
        self.single_cells: set[Hashable] = set()
        self.juveniles: Counter[Hashable] = Counter()
        self.adults: Counter[Hashable] = Counter()
        self.victims: Counter[Hashable] = Counter()
        self.abusers: Counter[Hashable] = Counter()
        self.where: defaultdict[str, list[Any]] = defaultdict(list)
        self.members: Counter[tuple[str, Hashable]] = Counter()
        self.holders: Counter[tuple[str, Hashable]] = Counter()
        # Orders: between two people (both ways), and a person against a group.
        self.pairs: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
        self.against: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
        self.watched: defaultdict[str, set[str]] = defaultdict(set)
        for order in instance.separations:
            if order.other_person is not None:
                self.pairs[order.person].append((order.other_person, order.scope))
                self.pairs[order.other_person].append((order.person, order.scope))
            elif order.group is not None:
                self.against[order.person].append((order.group, _scope(order.scope)))
                self.watched[order.group].add(_scope(order.scope))

    def kinds_for(self, resident: Any) -> list[int]:
        key = _resident_kind(resident)
        found = self.open_kinds.get(key)
        if found is None:
            found = [
                kind
                for kind, place in enumerate(self.kind_example)
                if not place_rule_breaks(resident, place)
            ]
            self.open_kinds[key] = found
        return found

    def allows(self, resident: Any, position: int) -> bool:
        """Whether the rules between people let ``resident`` take the free bed at ``position``."""
        place = self.places[position]
        cell = (place.facility, place.cell)
        unit = (place.facility, place.unit)
        if self.in_cell[cell] and (resident.single_cell or cell in self.single_cells):
            return False
        if self.adults[unit] if resident.juvenile else self.juveniles[unit]:
            return False
        if (resident.prea_abuser and self.victims[cell]) or (
            resident.prea_victim and self.abusers[cell]
        ):
            return False
        for other, scope in self.pairs.get(resident.person, ()):
            here = container(scope, place)
            if any(container(scope, there) == here for there in self.where.get(other, ())):
                return False
        for group, scope in self.against.get(resident.person, ()):
            if self.members[(group, container(scope, place))]:
                return False
        for group in resident.groups:
            for scope in self.watched.get(group, ()):
                if self.holders[(group, container(scope, place))]:
                    return False
        return True

    def take(self, resident: Any, position: int) -> None:
        place = self.places[position]
        cell = (place.facility, place.cell)
        self.closed[position] = 1
        self.in_cell[cell] += 1
        (self.juveniles if resident.juvenile else self.adults)[(place.facility, place.unit)] += 1
        self.victims[cell] += bool(resident.prea_victim)
        self.abusers[cell] += bool(resident.prea_abuser)
        self.where[resident.person].append(place)
        if resident.single_cell:
            # Nobody else will sleep in this cell: its other beds leave the free lists.
            self.single_cells.add(cell)
            for other in self.cell_beds[cell]:
                self.closed[other] = 1
        for group in resident.groups:
            for scope in self.watched.get(group, ()):
                self.members[(group, container(scope, place))] += 1
        for group, scope in self.against.get(resident.person, ()):
            self.holders[(group, container(scope, place))] += 1

    def free_beds(self, kinds: list[int]) -> Iterator[int]:
        """The free beds of ``kinds``, in bed order."""
        heap = []
        for kind in kinds:
            beds, head = self.lists[kind], self.heads[kind]
            while head < len(beds) and self.closed[beds[head]]:
                head += 1
            self.heads[kind] = head
            if head < len(beds):
                heap.append((self.rank[beds[head]], kind, head))
        heapq.heapify(heap)
        while heap:
            _, kind, index = heapq.heappop(heap)
            beds = self.lists[kind]
            position = beds[index]
            if not self.closed[position]:
                yield position
            index += 1
            while index < len(beds) and self.closed[beds[index]]:
                index += 1
            if index < len(beds):
                heapq.heappush(heap, (self.rank[beds[index]], kind, index))

    def first_fit(self, resident: Any) -> int | None:
        for position in self.free_beds(self.kinds_for(resident)):
            if self.allows(resident, position):
                return position
        return None

    def keeps(self, resident: Any) -> int | None:
        """The person's current bed, when it is free and still lawful for them."""
        position = self.position.get(resident.current_bed) if resident.current_bed else None
        if position is None or self.closed[position]:
            return None
        if place_rule_breaks(resident, self.places[position]):
            return None
        return position if self.allows(resident, position) else None


def first_fit(
    instance: InstanceLike,
    *,
    resident_order: Sequence[int] | None = None,
    bed_order: Sequence[int] | None = None,
) -> Result:
    """Keep the housed where the rules allow, then place everyone else by first fit."""
    housing = Housing(instance, bed_order)
    residents = list(instance.residents)
    order = list(resident_order) if resident_order is not None else range(len(residents))
    assignment: dict[str, str] = {}
    waiting = []
    for index in order:
        resident = residents[index]
        position = housing.keeps(resident)
        if position is None:
            waiting.append(resident)
            continue
        housing.take(resident, position)
        assignment[resident.key] = housing.places[position].bed
    kept = len(assignment)
    unplaced = []
    for resident in waiting:
        position = housing.first_fit(resident)
        if position is None:
            unplaced.append(resident.key)
            continue
        housing.take(resident, position)
        assignment[resident.key] = housing.places[position].bed
    return Result(assignment=assignment, unplaced=unplaced, kept=kept)
