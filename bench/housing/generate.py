"""Seeded housing instances, calibrated from published jail statistics.

``instance(family, scenario, seed)`` returns the engine's input (places,
residents, separations), the same for the same three arguments.  The shares
below are the calibration; bench/README.md ("Housing") gives their sources and
says which ones are stated assumptions.

Families are sized in beds: S (200, one facility), M (2,000), L (15,000 in 3
facilities), XL (60,000 in 25 facilities, a state system) and XXL (100,000 in
40).  Scenarios:

- ``cold_start``: nobody housed, about 92 % of the beds needed;
- ``daily``: yesterday's population housed lawfully (about 96 % of today's
  people have a bed), 3-5 % released, 3-5 % new arrivals, and about 1 % of the
  housed reclassified, some of them now in a bed the rules refuse;
- ``closure``: the daily state with one unit (S, M, L) or one facility (XL,
  XXL) out of service: everyone in it must move;
- ``over_capacity``: the daily state after a surge, 105-110 % of the beds;
- ``dense``: a cold start with over three times the keep-separate orders, more
  security-group members, and PREA risk flags at about three times the rate.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bench.housing.greedy import first_fit
from cellblock.housing.engine.model import Instance
from cellblock.housing.rules import Place, Resident, Separation

SCENARIOS = ("cold_start", "daily", "closure", "over_capacity", "dense")


@dataclass(frozen=True)
class Family:
    beds: int
    facilities: int


FAMILIES = {
    "S": Family(beds=200, facilities=1),
    "M": Family(beds=2_000, facilities=1),
    "L": Family(beds=15_000, facilities=3),
    "XL": Family(beds=60_000, facilities=25),
    "XXL": Family(beds=100_000, facilities=40),
}


@dataclass(frozen=True)
class Mix:
    """Who is held: shares of the population (see bench/README.md for the sources)."""

    male: float = 0.858
    female: float = 0.140
    # The rest: intersex or sex not recorded, housed in units serving any sex.
    juvenile: float = 0.003
    # Custody levels of the assessed; ``unassessed`` are still blank (housed as medium).
    unassessed: float = 0.04
    custody: tuple[tuple[str, float], ...] = (
        ("minimum", 0.25), ("medium", 0.50), ("maximum", 0.20), ("special", 0.05),
    )  # fmt: skip
    restrictive_housing: float = 0.045
    # Protective custody and others who must sleep alone.
    single_cell: float = 0.02
    prea_victim: float = 0.03
    prea_abuser: float = 0.02
    lower_bunk: float = 0.05
    wheelchair: float = 0.005
    near_medical: float = 0.03
    medical_monitoring: float = 0.01
    # Suicide watch needs an anti-ligature cell; a few need chakra suppression.
    anti_ligature: float = 0.004
    chakra_suppression: float = 0.0005
    # Security threat groups: the share of members, and one group per so many people.
    group_member: float = 0.12
    people_per_group: int = 150
    # Keep-separate orders per person, and the share of them that are group orders.
    orders_per_person: float = 0.3
    group_order_share: float = 0.15


USUAL = Mix()
DENSE = replace(USUAL, orders_per_person=1.0, group_member=0.25, prea_victim=0.10, prea_abuser=0.07)
# Sizes of co-defendant groups (2 to 6) and how often each occurs (an assumption).
CODEFENDANTS = ((2, 0.45), (3, 0.25), (4, 0.15), (5, 0.10), (6, 0.05))
OCCUPANCY = 0.92
# Small units of one kind fill up by chance: a jail keeps more room in them.
SLACK = {"maximum": 1.1, "special": 1.25}

ANTI_LIGATURE = "anti-ligature"
CHAKRA = "chakra-suppression"
WHEELCHAIR = "wheelchair-accessible"


@dataclass(frozen=True)
class UnitKind:
    name: str
    sex: str
    age: str
    rating: str
    restrictive: bool
    # Share of the facility's beds.
    share: float
    # Cell sizes and the share of the unit's beds in cells of that size.
    cells: tuple[tuple[int, float], ...]
    # Chance that a cell has each working feature.
    features: tuple[tuple[str, float], ...] = ()
    medical: bool = False


def _unit_kinds(mix: Mix) -> list[UnitKind]:
    general = 1 - mix.restrictive_housing
    kinds = []
    cells = {
        "minimum": ((1, 0.1), (2, 0.5), (6, 0.2), (8, 0.2)),
        "medium": ((1, 0.1), (2, 0.7), (4, 0.1), (6, 0.1)),
        "maximum": ((1, 0.25), (2, 0.75)),
        "special": ((1, 0.5), (2, 0.5)),
    }
    for sex, share in (("male", mix.male), ("female", mix.female)):
        for level, level_share in mix.custody:
            features = [(WHEELCHAIR, 0.04)]
            if level in ("maximum", "special"):
                features += [(ANTI_LIGATURE, 0.05), (CHAKRA, 0.02)]
            kinds.append(
                UnitKind(
                    name=f"{sex}-{level}", sex=sex, age="adult", rating=level, restrictive=False,
                    share=share * general * level_share * SLACK.get(level, 1.0),
                    cells=cells[level],
                    features=tuple(features),
                )
            )  # fmt: skip
        kinds.append(
            UnitKind(
                name=f"{sex}-restrictive", sex=sex, age="adult", rating="special",
                restrictive=True, share=share * mix.restrictive_housing * SLACK["special"],
                cells=((1, 0.7), (2, 0.3)),
                features=((WHEELCHAIR, 0.05), (ANTI_LIGATURE, 0.3), (CHAKRA, 0.03)),
            )
        )  # fmt: skip
    kinds.append(
        UnitKind(
            name="medical", sex="any", age="adult", rating="special", restrictive=False,
            share=0.03, cells=((1, 0.8), (2, 0.2)),
            features=((WHEELCHAIR, 0.5), (ANTI_LIGATURE, 0.3), (CHAKRA, 0.05)), medical=True,
        )
    )  # fmt: skip
    kinds.append(
        UnitKind(
            name="juvenile", sex="any", age="juvenile", rating="special", restrictive=False,
            share=0.005, cells=((1, 1.0),), features=((WHEELCHAIR, 0.2), (ANTI_LIGATURE, 0.3)),
        )
    )  # fmt: skip
    return kinds


def _split(total: int, shares: Sequence[float], minimum: int) -> list[int]:
    """``total`` split by ``shares``, each at least ``minimum``, summing to ``total``."""
    weight = sum(shares)
    counts = [max(minimum, round(total * share / weight)) for share in shares]
    largest = max(range(len(counts)), key=lambda index: counts[index])
    counts[largest] += total - sum(counts)
    return counts


def _facility(rng: random.Random, number: int, beds: int, mix: Mix) -> list[Place]:
    facility = f"F{number:02d}"
    label = f"Facility {number}"
    kinds = _unit_kinds(mix)
    unit_size = max(16, min(128, beds // 12))
    places: list[Place] = []
    unit_number = 0
    for kind, kind_beds in zip(kinds, _split(beds, [kind.share for kind in kinds], 2), strict=True):
        units = max(1, round(kind_beds / unit_size))
        for unit_beds in _split(kind_beds, [rng.uniform(0.7, 1.3) for _ in range(units)], 1):
            unit_number += 1
            places.extend(_unit(rng, facility, label, unit_number, kind, unit_beds))
    return places


def _unit(
    rng: random.Random, facility: str, label: str, number: int, kind: UnitKind, beds: int
) -> list[Place]:
    unit = f"{facility}-U{number:03d}"
    unit_label = f"{label} / {kind.name} {number}"
    minutes = 0 if kind.medical else rng.randint(2, 12)
    places = []
    cell_number = 0
    sizes = [size for size, _ in kind.cells]
    weights = [share / size for size, share in kind.cells]
    left = beds
    while left > 0:
        size = min(left, rng.choices(sizes, weights)[0])
        left -= size
        cell_number += 1
        cell = f"{unit}-C{cell_number:03d}"
        features = frozenset(tag for tag, chance in kind.features if rng.random() < chance)
        # About one cell in a hundred is out of service on any day (repairs).
        closed = rng.random() < 0.01
        for bed in range(size):
            places.append(
                Place(
                    facility=facility, unit=unit, cell=cell, unit_label=unit_label,
                    cell_label=f"{unit_label} / C-{cell_number:03d}", unit_age_group=kind.age,
                    working_features=features, facility_label=label, out_of_service=closed,
                    bed=f"{cell}-{'ABCDEFGH'[bed]}", bed_label="ABCDEFGH"[bed],
                    # A single bed, the bottom of a bunk, every other dormitory bed.
                    lower_bunk=bed % 2 == 0, sex_served=kind.sex,
                    security_rating=kind.rating, restrictive_housing=kind.restrictive,
                    minutes_to_medical=minutes,
                )
            )  # fmt: skip
    return places


def places_for(rng: random.Random, family: Family, mix: Mix) -> list[Place]:
    sizes = _split(family.beds, [rng.uniform(0.5, 1.5) for _ in range(family.facilities)], 50)
    places = []
    for number, beds in enumerate(sizes, start=1):
        places.extend(_facility(rng, number, beds, mix))
    return places


def _resident(rng: random.Random, number: int, mix: Mix, groups: list[str]) -> Resident:
    draw = rng.random()
    sex = "male" if draw < mix.male else "female" if draw < mix.male + mix.female else "unknown"
    juvenile = rng.random() < mix.juvenile
    level = ""
    if rng.random() >= mix.unassessed:
        levels, shares = zip(*mix.custody, strict=True)
        level = rng.choices(levels, shares)[0]
    needs = set()
    for need, share in (
        ("lower-bunk", mix.lower_bunk), ("wheelchair-cell", mix.wheelchair),
        ("near-medical", mix.near_medical), ("medical-monitoring", mix.medical_monitoring),
    ):  # fmt: skip
        if rng.random() < share:
            needs.add(need)
    containment = set()
    if rng.random() < mix.anti_ligature:
        containment.add(ANTI_LIGATURE)
    if rng.random() < mix.chakra_suppression:
        containment.add(CHAKRA)
    member: frozenset[str] = frozenset()
    if groups and rng.random() < mix.group_member:
        # A few large groups and many small ones.
        weights = [1 / (index + 1) ** 0.8 for index in range(len(groups))]
        member = frozenset(rng.choices(groups, weights))
    return Resident(
        key=f"BK{number:06d}", person=f"P{number:06d}", label=f"Person {number}",
        juvenile=juvenile, containment=frozenset(containment),
        prea_victim=rng.random() < mix.prea_victim, prea_abuser=rng.random() < mix.prea_abuser,
        groups=member, sex=sex, custody_level=level,
        single_cell=rng.random() < mix.single_cell,
        # Juveniles and people of unrecorded sex have no restrictive housing unit here.
        restrictive_housing=(
            not juvenile and sex != "unknown" and rng.random() < mix.restrictive_housing
        ),
        care_needs=frozenset(needs),
    )  # fmt: skip


def residents_for(
    rng: random.Random, count: int, mix: Mix, *, first: int = 1, groups: list[str]
) -> list[Resident]:
    return [_resident(rng, number, mix, groups) for number in range(first, first + count)]


def separations_for(
    rng: random.Random, residents: Sequence[Resident], mix: Mix, facilities: int, first: int = 1
) -> list[Separation]:
    """Co-defendant groups (orders between each two, unit scope) and rival-group blocks."""
    wanted = round(mix.orders_per_person * len(residents))
    group_orders = round(wanted * mix.group_order_share)
    orders: list[Separation] = []
    sizes = [size for size, _ in CODEFENDANTS]
    shares = [share for _, share in CODEFENDANTS]
    people = [resident.person for resident in residents]
    while len(orders) < wanted - group_orders:
        size = rng.choices(sizes, shares)[0]
        case = rng.sample(people, size)
        # Co-defendants are kept out of each other's unit; some orders are narrower or wider.
        draw = rng.random()
        scope = "cell" if draw < 0.05 else "unit"
        if 0.05 <= draw < 0.15 and size <= facilities:
            scope = "facility"
        for index, person in enumerate(case):
            for other in case[index + 1 :]:
                orders.append(
                    Separation(
                        key=f"KS{first + len(orders):06d}", person=person, scope=scope,
                        other_person=other,
                    )
                )  # fmt: skip
    members: dict[str, list[str]] = {}
    for resident in residents:
        for group in resident.groups:
            members.setdefault(group, []).append(resident.person)
    rivals = sorted(members)
    while len(rivals) > 1 and group_orders > 0:
        # A block: a handful of one group's members kept from every member of a rival group.
        mine, theirs = rng.sample(rivals, 2)
        # Kept out of a whole facility only where there are many to choose from.
        scope = "facility" if facilities >= 10 and rng.random() < 0.3 else "unit"
        for person in rng.sample(members[mine], min(5, len(members[mine]), group_orders)):
            orders.append(
                Separation(
                    key=f"KS{first + len(orders):06d}", person=person, scope=scope, group=theirs
                )
            )
            group_orders -= 1
    return orders


def instance(family: str, scenario: str, seed: int = 1) -> Instance:
    """The instance of ``family`` for ``scenario``: the same for the same arguments."""
    # Reproducible instances, not secrets.
    rng = random.Random(f"housing/{family}/{scenario}/{seed}")  # noqa: S311
    shape = FAMILIES[family]
    mix = DENSE if scenario == "dense" else USUAL
    places = places_for(rng, shape, mix)
    groups = [f"G{index:04d}" for index in range(max(2, shape.beds // mix.people_per_group))]
    if scenario in ("cold_start", "dense"):
        residents = residents_for(rng, round(OCCUPANCY * shape.beds), mix, groups=groups)
        separations = separations_for(rng, residents, mix, shape.facilities)
        return Instance(tuple(places), tuple(residents), tuple(separations))
    return _delta(rng, shape, scenario, places, mix, groups)


def _delta(
    rng: random.Random,
    shape: Family,
    scenario: str,
    places: list[Place],
    mix: Mix,
    groups: list[str],
) -> Instance:
    """Yesterday housed lawfully, then releases, arrivals and reclassifications."""
    released_share = rng.uniform(0.03, 0.05)
    if scenario == "over_capacity":
        today = round(rng.uniform(1.05, 1.10) * shape.beds)
        yesterday = round(0.95 * shape.beds)
    else:
        today = round(OCCUPANCY * shape.beds)
        arriving = round(rng.uniform(0.03, 0.05) * today)
        yesterday = round((today - arriving) / (1 - released_share))
    released = round(released_share * yesterday)
    arriving = today - (yesterday - released)
    people = residents_for(rng, yesterday + arriving, mix, groups=groups)
    separations = separations_for(rng, people, mix, shape.facilities)
    housed = _yesterday(rng, places, people[:yesterday], separations)
    stay = sorted(rng.sample(range(yesterday), yesterday - released))
    residents = [housed[index] for index in stay] + people[yesterday:]
    kept = {resident.person for resident in residents}
    separations = [
        order
        for order in separations
        if order.person in kept and (order.other_person is None or order.other_person in kept)
    ]
    residents, separations = _reclassify(rng, residents, separations, yesterday - released)
    if scenario == "closure":
        places = _close(rng, places, shape)
    return Instance(tuple(places), tuple(residents), tuple(separations))


def _yesterday(
    rng: random.Random,
    places: list[Place],
    people: list[Resident],
    separations: Sequence[Separation],
) -> list[Resident]:
    """``people`` with the bed each held yesterday: a lawful placement made by hand, cell by cell.

    The hardest to house first (single cells, restrictive housing, containment,
    wheelchairs, lower bunks), each into the first free lawful bed of cells taken in
    a random order, as a jail fills over months.
    """
    cells: dict[str, list[int]] = {}
    for position, place in enumerate(places):
        cells.setdefault(place.cell, []).append(position)
    cell_order = list(cells)
    rng.shuffle(cell_order)
    bed_order = [position for cell in cell_order for position in cells[cell]]

    def difficulty(index: int) -> tuple[int, float]:
        person = people[index]
        hard = (
            4 * person.single_cell + 3 * person.restrictive_housing
            + 3 * bool(person.containment) + 2 * ("wheelchair-cell" in person.care_needs)
            + person.juvenile * 3 + ("lower-bunk" in person.care_needs)
        )  # fmt: skip
        return (-hard, rng.random())

    order = sorted(range(len(people)), key=difficulty)
    placed = first_fit(
        Instance(tuple(places), tuple(people), tuple(separations)),
        resident_order=order,
        bed_order=bed_order,
    ).assignment
    return [replace(person, current_bed=placed.get(person.key, "")) for person in people]


def _reclassify(
    rng: random.Random,
    residents: list[Resident],
    separations: list[Separation],
    housed: int,
) -> tuple[list[Resident], list[Separation]]:
    """About 1 % of the housed get new facts; some no longer fit the bed they hold."""
    levels = ("minimum", "medium", "maximum", "special")
    residents = list(residents)
    separations = list(separations)
    by_unit: dict[str, list[str]] = {}
    for resident in residents[:housed]:
        if not resident.current_bed:
            continue
        by_unit.setdefault(resident.current_bed.rsplit("-C", 1)[0], []).append(resident.person)
    for index in rng.sample(range(housed), max(1, round(0.01 * housed))):
        resident = residents[index]
        draw = rng.random()
        if draw < 0.4:
            level = resident.custody_level or "medium"
            higher = levels[min(len(levels) - 1, levels.index(level) + 1)]
            resident = replace(resident, custody_level=higher)
        elif draw < 0.55:
            resident = replace(resident, restrictive_housing=not resident.juvenile)
        elif draw < 0.7:
            resident = replace(resident, prea_abuser=True)
        elif draw < 0.85:
            resident = replace(resident, care_needs=resident.care_needs | {"lower-bunk"})
        else:
            # A new keep-separate order against someone in the same unit.
            mates = [
                person
                for person in by_unit.get(resident.current_bed.rsplit("-C", 1)[0], [])
                if person != resident.person
            ]
            if mates:
                separations.append(
                    Separation(
                        key=f"KS-R{index:06d}", person=resident.person, scope="unit",
                        other_person=rng.choice(mates),
                    )
                )  # fmt: skip
        residents[index] = resident
    return residents, separations


def _close(rng: random.Random, places: list[Place], shape: Family) -> list[Place]:
    """One unit (a facility of several thousand beds elsewhere) taken out of service."""
    if shape.facilities > 3:
        facility = rng.choice(sorted({place.facility for place in places}))
        return [
            replace(place, out_of_service=True) if place.facility == facility else place
            for place in places
        ]
    sizes: dict[str, int] = {}
    for place in places:
        if not place.restrictive_housing and place.unit_age_group == "adult":
            sizes[place.unit] = sizes.get(place.unit, 0) + 1
    unit = rng.choice(sorted(sizes))
    return [
        replace(place, out_of_service=True) if place.unit == unit else place for place in places
    ]
