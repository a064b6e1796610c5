"""Who may sleep where, judged once per kind of person and kind of bed.

A thousand medium-custody men without special needs are, to the rule book, one
person; a hundred cells of one unit with the same working features are one
cell.  The rules that do not depend on other people (``rules.place_violations``)
are therefore asked once per pair of kinds, not once per person and bed, which
is what lets the engine work on a whole state's population.

Everything is turned into integer indices in a sorted order here, so the
rest of the engine never depends on the order of the input or on string
hashing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from cellblock.housing import rules
from cellblock.housing.engine.model import Instance

# Keep-separate scopes as ranks: a pair may not share the cell (0), the unit (1)
# or the facility (2).  "total" and any scope the rule book does not name mean
# the facility, as in ``rules.shares_scope``.
T = TypeVar("T")

# The hard rules counted for a pair ruled out by sex or age group before the rest was
# asked: more than any fully judged pair breaks, so such beds are the farthest misses.
UNASKED_HARD = 100

SCOPE_RANKS = {rules.SCOPE_CELL: 0, rules.SCOPE_UNIT: 1}
FACILITY_RANK = 2


def place_kind(place: rules.Place) -> rules.Place:
    """The place as the person-and-bed rules see it: its names and keys blanked."""
    # The bed key stays non-blank: the lower-bunk rule only applies to a bed.
    return replace(
        place, facility="", unit="", cell="", unit_label="", cell_label="",
        facility_label="", bed="*", bed_label="",
    )  # fmt: skip


def resident_kind(resident: rules.Resident) -> rules.Resident:
    """The person as the person-and-bed rules see them, with no current bed."""
    return replace(
        resident, key="", person="", label="This person", groups=frozenset(), current_bed=""
    )


def scope_rank(scope: str) -> int:
    return SCOPE_RANKS.get(scope, FACILITY_RANK)


@dataclass
class Index:
    """The instance in integers: beds, cells, units, kinds and who may go where."""

    beds: list[rules.Place]
    bed_pos: dict[str, int]
    bed_cell: list[int]
    bed_kind: list[int]
    # Cells are (facility, cell); units are (facility, unit).
    cell_beds: list[list[int]]
    cell_unit: list[int]
    cell_facility: list[int]
    unit_label: list[str]
    # Units open to both juveniles and adults, where the two may never mix.
    unit_mixed: list[bool]
    unit_facility: list[int]
    kinds: list[rules.Place]
    residents: list[rules.Resident]
    res_pos: dict[str, int]
    res_kind: list[int]
    rkinds: list[rules.Resident]
    # [resident kind][place kind]: lawful for the person-and-bed rules, and its price.
    lawful: list[list[bool]]
    cost: list[list[int]]
    # [resident kind][place kind]: how many hard rules the pair breaks (UNASKED_HARD
    # when sex or age group alone rule it out).
    hard_count: list[list[int]]
    # Per resident: the index of the bed they sleep in now, or -1.
    current: list[int]
    # Per resident: True when they have a current bed at all (any other bed is a move).
    housed: list[bool]
    # Per resident: (other resident, scope rank) of every keep-separate order binding them.
    partners: list[list[tuple[int, int]]]
    # Per resident kind: the place kinds lawful for it, cheapest first.
    lawful_kinds: list[list[int]]
    # Per place kind: its beds, in order.
    kind_beds: list[list[int]]

    def region(self, bed: int, rank: int) -> int:
        """The cell, unit or facility of ``bed`` for a keep-separate order of ``rank``."""
        cell = self.bed_cell[bed]
        if rank == 0:
            return cell
        if rank == 1:
            return self.cell_unit[cell]
        return self.cell_facility[cell]

    def prea_conflict(self, a: int, b: int) -> bool:
        ra, rb = self.residents[a], self.residents[b]
        return (ra.prea_abuser and rb.prea_victim) or (ra.prea_victim and rb.prea_abuser)

    def lawful_at(self, resident: int, bed: int) -> bool:
        return self.lawful[self.res_kind[resident]][self.bed_kind[bed]]

    def place_cost(self, resident: int, bed: int) -> int:
        """The person-and-bed price of ``bed`` for ``resident``, a move included."""
        extra = rules.COST_MOVE if self.housed[resident] and self.current[resident] != bed else 0
        return self.cost[self.res_kind[resident]][self.bed_kind[bed]] + extra


def _numbered(keys: Sequence[T]) -> dict[T, int]:
    numbers: dict[T, int] = {}
    for key in keys:
        numbers.setdefault(key, len(numbers))
    return numbers


def build_index(instance: Instance) -> Index:
    beds = sorted(instance.places, key=lambda p: (p.facility, p.unit, p.cell, p.bed))
    # A bed listed twice would be two beds to the engine and one to the rules: keep the first.
    bed_pos: dict[str, int] = {}
    unique_beds: list[rules.Place] = []
    for place in beds:
        if place.bed not in bed_pos:
            bed_pos[place.bed] = len(unique_beds)
            unique_beds.append(place)
    beds = unique_beds

    facilities = _numbered([p.facility for p in beds])
    units = _numbered([(p.facility, p.unit) for p in beds])
    cells = _numbered([(p.facility, p.cell) for p in beds])
    bed_kinds = [place_kind(p) for p in beds]
    kinds_of = _numbered(bed_kinds)
    kinds = list(kinds_of)

    bed_cell = [cells[(p.facility, p.cell)] for p in beds]
    bed_kind = [kinds_of[kind] for kind in bed_kinds]
    cell_beds: list[list[int]] = [[] for _ in cells]
    cell_unit = [0] * len(cells)
    cell_facility = [0] * len(cells)
    unit_label = [""] * len(units)
    unit_mixed = [False] * len(units)
    unit_facility = [0] * len(units)
    for b, place in enumerate(beds):
        c = bed_cell[b]
        u = units[(place.facility, place.unit)]
        cell_beds[c].append(b)
        cell_unit[c] = u
        cell_facility[c] = facilities[place.facility]
        unit_facility[u] = facilities[place.facility]
        unit_label[u] = place.unit_label
        if place.unit_age_group not in (rules.ADULT_UNIT, rules.JUVENILE_UNIT):
            unit_mixed[u] = True

    residents = sorted(instance.residents, key=lambda r: r.key)
    res_pos = {r.key: i for i, r in enumerate(residents)}
    resident_kinds = [resident_kind(r) for r in residents]
    rkinds_of = _numbered(resident_kinds)
    rkinds = list(rkinds_of)
    res_kind = [rkinds_of[kind] for kind in resident_kinds]

    lawful = []
    cost = []
    hard_count = []
    for rkind in rkinds:
        row_lawful = []
        row_cost = []
        row_hard = []
        for kind in kinds:
            # Most pairs fail on sex or age group alone: asked first, they spare the
            # rest of the rule book, and the pair is unlawful either way.
            quick = rules.sex_violations(rkind, kind) or rules.age_group_violations(rkind, kind)
            if any(v.hard for v in quick):
                row_lawful.append(False)
                row_cost.append(0)
                row_hard.append(UNASKED_HARD)
                continue
            found = rules.place_violations(rkind, kind)
            hard = sum(1 for v in found if v.hard)
            row_lawful.append(hard == 0)
            row_cost.append(rules.price(found))
            row_hard.append(hard)
        lawful.append(row_lawful)
        cost.append(row_cost)
        hard_count.append(row_hard)

    kind_beds: list[list[int]] = [[] for _ in kinds]
    for b, k in enumerate(bed_kind):
        kind_beds[k].append(b)
    lawful_kinds = [
        sorted((k for k in range(len(kinds)) if lawful[rk][k]), key=lambda k: (cost[rk][k], k))
        for rk in range(len(rkinds))
    ]

    current = [bed_pos.get(r.current_bed, -1) if r.current_bed else -1 for r in residents]
    housed = [bool(r.current_bed) for r in residents]
    partners = _partners(residents, instance.separations)

    return Index(
        beds=beds, bed_pos=bed_pos, bed_cell=bed_cell, bed_kind=bed_kind,
        cell_beds=cell_beds, cell_unit=cell_unit, cell_facility=cell_facility,
        unit_label=unit_label, unit_mixed=unit_mixed, unit_facility=unit_facility,
        kinds=kinds, residents=residents, res_pos=res_pos, res_kind=res_kind,
        rkinds=rkinds, lawful=lawful, cost=cost, hard_count=hard_count, current=current,
        housed=housed,
        partners=partners, lawful_kinds=lawful_kinds, kind_beds=kind_beds,
    )  # fmt: skip


def _partners(
    residents: list[rules.Resident], separations: Sequence[rules.Separation]
) -> list[list[tuple[int, int]]]:
    """Each resident's keep-separate partners here, with the widest scope binding them."""
    by_person: dict[str, list[int]] = {}
    by_group: dict[str, list[int]] = {}
    for i, resident in enumerate(residents):
        by_person.setdefault(resident.person, []).append(i)
        for group in sorted(resident.groups):
            by_group.setdefault(group, []).append(i)
    widest: dict[tuple[int, int], int] = {}
    for order in sorted(separations, key=lambda s: s.key):
        sides = by_person.get(order.person, [])
        if order.other_person is not None:
            others = by_person.get(order.other_person, [])
        else:
            others = by_group.get(order.group or "", []) if order.group is not None else []
        rank = scope_rank(order.scope)
        for a in sides:
            for b in others:
                if a == b or not order.binds(residents[a], residents[b]):
                    continue
                pair = (min(a, b), max(a, b))
                widest[pair] = max(widest.get(pair, -1), rank)
    partners: list[list[tuple[int, int]]] = [[] for _ in residents]
    for (a, b), rank in sorted(widest.items()):
        partners[a].append((b, rank))
        partners[b].append((a, rank))
    return partners
