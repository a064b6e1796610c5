"""An independent judge of housing answers: hard violations and the objective.

It reads the engine's input (``Instance``: places, residents, separations) by
attribute only and imports neither the rule book nor the engine, so a mistake
shared by the two cannot hide here.  The rules are re-read from the housing
issue and the rule book's documentation, and written again as counts over
dicts so a run of 100,000 people is judged in about a second:

- the bed exists, is in service and holds one person;
- sex: the unit serves any sex or the person's;
- age: juveniles never in an adult unit, adults never in a juvenile unit, and
  no unit holds juveniles and adults together;
- custody level (blank counts as medium) at or below the unit's rating;
- containment tags within the cell's working features;
- restrictive housing both ways (the person's placement if and only if the unit's);
- a single-celled person alone in the cell;
- care needs: lower bunk, wheelchair-accessible cell;
- keep-separate orders at their scope (cell, unit, or the whole facility),
  between two people or between a person and every member of a group;
- PREA: a high abuser risk never shares a cell with a high victim risk.

The prices (soft rules) are the rule book's, written down again below.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, Protocol

# The rule book's prices (cellblock.housing.rules.COST_*), written again rather than
# imported so the checker shares no code with what it checks; a test keeps them equal.
COST_MOVE = 100
COST_PER_CELLMATE = 10
COST_PER_MINUTE_TO_MEDICAL = 5
COST_UNPLACED = 100_000

# Custody levels and unit ratings, lowest first; anything else ranks above them all.
RANKS = {"minimum": 0, "medium": 1, "maximum": 2, "special": 3}
UNKNOWN_RANK = 4
# A person not yet assessed is housed as medium custody.
UNASSESSED_LEVEL = "medium"
ANY_SEX = "any"
ADULT_UNIT = "adult"
JUVENILE_UNIT = "juvenile"
LOWER_BUNK = "lower-bunk"
WHEELCHAIR_CELL = "wheelchair-cell"
WHEELCHAIR_FEATURE = "wheelchair-accessible"
NEAR_MEDICAL = frozenset({"near-medical", "medical-monitoring"})
CELL_SCOPE = "cell"
UNIT_SCOPE = "unit"
FACILITY_SCOPE = "facility"

# The names of the hard rules, as the rule book codes them.
UNKNOWN_RESIDENT = "unknown_resident"
UNKNOWN_BED = "unknown_bed"
OUT_OF_SERVICE = "out_of_service"
BED_OCCUPIED = "bed_occupied"
SEX_MISMATCH = "sex_mismatch"
JUVENILE_IN_ADULT_UNIT = "juvenile_in_adult_unit"
ADULT_IN_JUVENILE_UNIT = "adult_in_juvenile_unit"
JUVENILE_WITH_ADULTS = "juvenile_with_adults"
CUSTODY_ABOVE_RATING = "custody_above_rating"
CONTAINMENT_MISSING = "containment_missing"
RESTRICTIVE_HOUSING = "restrictive_housing"
SINGLE_CELL = "single_cell"
CARE_NEED_UNMET = "care_need_unmet"
KEEP_SEPARATE = "keep_separate"
PREA_PAIRING = "prea_pairing"


# Read-only views of the engine's dataclasses (frozen), so any record with these
# attributes can be judged.
class PlaceLike(Protocol):
    @property
    def facility(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def cell(self) -> str: ...
    @property
    def bed(self) -> str: ...
    @property
    def unit_age_group(self) -> str: ...
    @property
    def working_features(self) -> frozenset[str]: ...
    @property
    def out_of_service(self) -> bool: ...
    @property
    def lower_bunk(self) -> bool: ...
    @property
    def sex_served(self) -> str: ...
    @property
    def security_rating(self) -> str: ...
    @property
    def restrictive_housing(self) -> bool: ...
    @property
    def minutes_to_medical(self) -> int: ...


class ResidentLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def person(self) -> str: ...
    @property
    def juvenile(self) -> bool: ...
    @property
    def containment(self) -> frozenset[str]: ...
    @property
    def prea_victim(self) -> bool: ...
    @property
    def prea_abuser(self) -> bool: ...
    @property
    def groups(self) -> frozenset[str]: ...
    @property
    def sex(self) -> str: ...
    @property
    def custody_level(self) -> str: ...
    @property
    def single_cell(self) -> bool: ...
    @property
    def restrictive_housing(self) -> bool: ...
    @property
    def care_needs(self) -> frozenset[str]: ...
    @property
    def current_bed(self) -> str: ...


class SeparationLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def person(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def other_person(self) -> str | None: ...
    @property
    def group(self) -> str | None: ...


class InstanceLike(Protocol):
    @property
    def places(self) -> Sequence[Any]: ...
    @property
    def residents(self) -> Sequence[Any]: ...
    @property
    def separations(self) -> Sequence[Any]: ...


def rank(value: str) -> int:
    return RANKS.get(value, UNKNOWN_RANK)


def container(scope: str, place: PlaceLike) -> Hashable:
    """The cell, unit or facility an order of ``scope`` forbids sharing."""
    if scope == CELL_SCOPE:
        return (place.facility, "cell", place.cell)
    if scope == UNIT_SCOPE:
        return (place.facility, "unit", place.unit)
    # facility, total, or a scope this checker does not know: the widest reading.
    return (place.facility,)


def place_rule_breaks(resident: ResidentLike, place: PlaceLike) -> list[str]:
    """The hard rules broken by the person and the bed alone, whoever else is housed."""
    broken = []
    if place.out_of_service:
        broken.append(OUT_OF_SERVICE)
    if place.sex_served != ANY_SEX and place.sex_served != resident.sex:
        broken.append(SEX_MISMATCH)
    if resident.juvenile and place.unit_age_group == ADULT_UNIT:
        broken.append(JUVENILE_IN_ADULT_UNIT)
    if not resident.juvenile and place.unit_age_group == JUVENILE_UNIT:
        broken.append(ADULT_IN_JUVENILE_UNIT)
    if rank(resident.custody_level or UNASSESSED_LEVEL) > rank(place.security_rating):
        broken.append(CUSTODY_ABOVE_RATING)
    if not resident.containment <= place.working_features:
        broken.append(CONTAINMENT_MISSING)
    if bool(resident.restrictive_housing) != bool(place.restrictive_housing):
        broken.append(RESTRICTIVE_HOUSING)
    if LOWER_BUNK in resident.care_needs and not place.lower_bunk:
        broken.append(CARE_NEED_UNMET)
    if WHEELCHAIR_CELL in resident.care_needs and WHEELCHAIR_FEATURE not in place.working_features:
        broken.append(CARE_NEED_UNMET)
    return broken


def _placed(
    instance: InstanceLike, assignment: Mapping[str, str], found: list[tuple[str, str]]
) -> list[tuple[Any, Any]]:
    """(resident, place) for every assignment that names a known person and bed."""
    residents = {resident.key: resident for resident in instance.residents}
    places = {place.bed: place for place in instance.places}
    placed = []
    for key, bed in assignment.items():
        resident = residents.get(key)
        if resident is None:
            found.append((UNKNOWN_RESIDENT, key))
            continue
        place = places.get(bed)
        if place is None:
            found.append((UNKNOWN_BED, key))
            continue
        placed.append((resident, place))
    return placed


def hard_violations(instance: InstanceLike, assignment: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every hard rule broken by ``assignment`` (resident key -> bed key): (rule, resident key).

    A rule between two people is reported on both of them; the list is sorted
    and holds each (rule, resident) once.
    """
    found: list[tuple[str, str]] = []
    placed = _placed(instance, assignment, found)

    for resident, place in placed:
        found.extend((rule, resident.key) for rule in place_rule_breaks(resident, place))

    # A bed holds one person.
    per_bed = Counter(place.bed for _, place in placed)
    found.extend(
        (BED_OCCUPIED, resident.key) for resident, place in placed if per_bed[place.bed] > 1
    )

    _company(placed, found)
    _keep_separate(instance.separations, placed, found)
    return sorted(set(found))


def _company(placed: list[tuple[Any, Any]], found: list[tuple[str, str]]) -> None:
    """Juveniles among adults in a unit; single cells, PREA pairing in a cell."""
    juveniles: Counter[Hashable] = Counter()
    adults: Counter[Hashable] = Counter()
    in_cell: Counter[Hashable] = Counter()
    singles: Counter[Hashable] = Counter()
    victims: Counter[Hashable] = Counter()
    abusers: Counter[Hashable] = Counter()
    for resident, place in placed:
        unit = (place.facility, place.unit)
        cell = (place.facility, place.cell)
        (juveniles if resident.juvenile else adults)[unit] += 1
        in_cell[cell] += 1
        singles[cell] += bool(resident.single_cell)
        victims[cell] += bool(resident.prea_victim)
        abusers[cell] += bool(resident.prea_abuser)
    for resident, place in placed:
        unit = (place.facility, place.unit)
        cell = (place.facility, place.cell)
        if juveniles[unit] and adults[unit]:
            found.append((JUVENILE_WITH_ADULTS, resident.key))
        # Alone, or sharing with a single-celled person (the rule binds both sides).
        if in_cell[cell] > 1 and (resident.single_cell or singles[cell]):
            found.append((SINGLE_CELL, resident.key))
        other_victims = victims[cell] - bool(resident.prea_victim)
        other_abusers = abusers[cell] - bool(resident.prea_abuser)
        if (resident.prea_abuser and other_victims) or (resident.prea_victim and other_abusers):
            found.append((PREA_PAIRING, resident.key))


def _keep_separate(
    separations: Iterable[SeparationLike],
    placed: list[tuple[Any, Any]],
    found: list[tuple[str, str]],
) -> None:
    by_person: defaultdict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for resident, place in placed:
        by_person[resident.person].append((resident, place))
    orders = list(separations)
    # (group, scope) -> container -> the members housed there, for the groups under an order.
    wanted = {(order.group, _scope(order.scope)) for order in orders if order.other_person is None}
    members: defaultdict[tuple[Any, str], defaultdict[Hashable, list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    if wanted:
        groups = {group for group, _ in wanted}
        for resident, place in placed:
            for group in resident.groups & groups:
                for scope in (CELL_SCOPE, UNIT_SCOPE, FACILITY_SCOPE):
                    if (group, scope) in wanted:
                        members[(group, scope)][container(scope, place)].append(resident.key)
    for order in orders:
        for resident, place in by_person.get(order.person, ()):
            where = container(order.scope, place)
            if order.other_person is not None:
                others = [
                    other.key
                    for other, there in by_person.get(order.other_person, ())
                    if other.key != resident.key and container(order.scope, there) == where
                ]
            else:
                there_now = members.get((order.group, _scope(order.scope)))
                housed = there_now.get(where, []) if there_now is not None else []
                others = [key for key in housed if key != resident.key]
            if others:
                found.append((KEEP_SEPARATE, resident.key))
                found.extend((KEEP_SEPARATE, key) for key in others)


def _scope(scope: str) -> str:
    """Cell, unit, or the whole facility (facility, total, and any scope unknown here)."""
    return scope if scope in (CELL_SCOPE, UNIT_SCOPE) else FACILITY_SCOPE


def resident_cost(resident: ResidentLike, place: PlaceLike, cellmates: int) -> int:
    """The soft rules' price of one placement, ``cellmates`` being the others in the cell."""
    cost = COST_PER_CELLMATE * cellmates
    if resident.current_bed and resident.current_bed != place.bed:
        cost += COST_MOVE
    if resident.care_needs & NEAR_MEDICAL and place.minutes_to_medical > 0:
        cost += COST_PER_MINUTE_TO_MEDICAL * place.minutes_to_medical
    return cost


def objective(
    instance: InstanceLike, assignment: Mapping[str, str], unplaced: Iterable[str]
) -> int:
    """The price of an answer: moves, crowding, walks to medical, and each person unplaced.

    Someone neither assigned nor reported unplaced counts as unplaced: an answer
    cannot gain by forgetting people.
    """
    places = {place.bed: place for place in instance.places}
    residents = {resident.key: resident for resident in instance.residents}
    placed = [
        (residents[key], places[bed])
        for key, bed in assignment.items()
        if key in residents and bed in places
    ]
    per_cell = Counter((place.facility, place.cell) for _, place in placed)
    total = sum(
        resident_cost(resident, place, per_cell[(place.facility, place.cell)] - 1)
        for resident, place in placed
    )
    left = (set(unplaced) | (residents.keys() - assignment.keys())) & residents.keys()
    left -= {resident.key for resident, _ in placed}
    return total + COST_UNPLACED * len(left)


def summary(
    instance: InstanceLike, assignment: Mapping[str, str], unplaced: Iterable[str]
) -> dict[str, Any]:
    """The figures a benchmark row needs: violations by rule, unplaced, moves, objective."""
    unplaced = list(unplaced)
    violations = hard_violations(instance, assignment)
    by_rule = Counter(rule for rule, _ in violations)
    residents = {resident.key: resident for resident in instance.residents}
    moves = sum(
        1
        for key, bed in assignment.items()
        if key in residents and residents[key].current_bed and residents[key].current_bed != bed
    )
    return {
        "hard_violations": len(violations),
        "hard_violations_by_rule": dict(sorted(by_rule.items())),
        "violating_residents": len({key for _, key in violations}),
        "placed": len(assignment),
        "unplaced": len(residents.keys() - assignment.keys()),
        "moves": moves,
        "objective": objective(instance, assignment, unplaced),
    }
