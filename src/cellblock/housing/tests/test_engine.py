"""The housing engine on plain data: lawful, priced, explained and optimal (no database)."""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import replace
from typing import Any

import pytest
from bench.housing import checker

from cellblock.housing import rules
from cellblock.housing.engine import Instance, Options, Solution, solve
from cellblock.housing.engine.bound import flow_plan
from cellblock.housing.engine.eligibility import build_index
from cellblock.housing.rules import Place, Resident, Separation

CHAKRA = "chakra-suppression"


def _bed(cell: str, bed: str = "A", *, unit: str = "u1", facility: str = "f1", **more) -> Place:
    return Place(
        facility=facility, unit=unit, cell=f"{unit}-{cell}", unit_label=f"Unit {unit}",
        cell_label=f"Unit {unit} / {cell}", facility_label=f"Facility {facility}",
        bed=f"{facility}-{unit}-{cell}-{bed}", bed_label=bed, **more,
    )  # fmt: skip


def _cells(count: int, beds: int = 2, *, unit: str = "u1", facility: str = "f1", **more):
    return tuple(
        _bed(f"c{c}", "AB"[b] if beds <= 2 else str(b), unit=unit, facility=facility,
             lower_bunk=b == 0, **more)
        for c in range(count)
        for b in range(beds)
    )  # fmt: skip


def _person(key: str, **more) -> Resident:
    return Resident(key=key, person=f"p-{key}", label=f"{key} Name", **more)


def _solve(instance: Instance, **options) -> Solution:
    solution = solve(instance, Options(time_limit=5.0, **options))
    _assert_sound(instance, solution)
    return solution


def _assert_sound(instance: Instance, solution: Solution) -> None:
    """Every answer: nobody lost, no hard rule broken, the price as the checker counts it."""
    keys = {r.key for r in instance.residents}
    assert set(solution.assignment) | set(solution.unplaced) == keys
    assert not set(solution.assignment) & set(solution.unplaced)
    # The independent checker, which shares no code with the rule book or the engine.
    judged: Any = instance
    assert checker.hard_violations(judged, solution.assignment) == []
    assert solution.objective == checker.objective(judged, solution.assignment, solution.unplaced)
    assert solution.lower_bound <= solution.objective
    assert set(solution.explanations) == keys
    for key, reason in solution.unplaced.items():
        assert reason
        assert solution.explanations[key].unplaced_reason == reason


def _cell_of(instance: Instance, bed: str) -> str:
    return next(p.cell for p in instance.places if p.bed == bed)


def _unit_of(instance: Instance, bed: str) -> str:
    return next(p.unit for p in instance.places if p.bed == bed)


def test_importing_the_engine_does_not_import_django():
    code = "import cellblock.housing.engine, sys; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603


def test_everyone_fits_so_everyone_is_placed_alone_at_no_price():
    instance = Instance(places=_cells(4), residents=tuple(_person(f"r{i}") for i in range(4)))
    solution = _solve(instance)
    assert len(solution.assignment) == 4
    assert len({_cell_of(instance, bed) for bed in solution.assignment.values()}) == 4
    assert solution.objective == 0
    assert solution.status == "optimal"
    assert solution.gap == 0.0


def test_crowding_is_spread_over_cells():
    instance = Instance(
        places=_cells(2, beds=3), residents=tuple(_person(f"r{i}") for i in range(4))
    )
    solution = _solve(instance)
    # Two and two: 20 + 20, not three and one (60).
    assert solution.objective == 4 * rules.COST_PER_CELLMATE
    assert solution.status == "optimal"


KAKASHI = _person("kakashi", containment=frozenset({CHAKRA}))


def _chakra_block(*, compromised: bool = False) -> tuple[Place, ...]:
    first = frozenset() if compromised else frozenset({CHAKRA})
    return (
        _bed("c1", working_features=first),
        _bed("c2", working_features=frozenset({CHAKRA})),
        *(_bed(f"c{n}") for n in range(3, 7)),
    )


def test_kakashi_gets_a_cell_with_working_chakra_suppression_and_is_told_why():
    instance = Instance(places=_chakra_block(), residents=(KAKASHI, _person("naruto")))
    solution = _solve(instance)
    bed = solution.assignment["kakashi"]
    assert _cell_of(instance, bed) in ("u1-c1", "u1-c2")
    explanation = solution.explanations["kakashi"]
    assert any(CHAKRA in reason for reason in explanation.reasons)
    lost = [alt for alt in explanation.alternatives if alt.cost is None]
    assert lost
    assert any(CHAKRA in why for alt in lost for why in alt.why_not)


def test_when_his_cells_feature_is_compromised_kakashi_moves_to_the_other_one():
    places = _chakra_block(compromised=True)
    kakashi = replace(KAKASHI, current_bed=places[0].bed)
    instance = Instance(places=places, residents=(kakashi,))
    solution = _solve(instance)
    assert solution.assignment["kakashi"] == places[1].bed
    assert solution.moves == 1
    assert solution.objective == rules.COST_MOVE
    assert solution.status == "optimal"


def test_nobody_gets_a_bed_of_the_wrong_sex_age_rating_or_housing_regime():
    places = (
        *_cells(2, unit="women", sex_served="female"),
        *_cells(2, unit="men", sex_served="male"),
        *_cells(2, unit="youth", unit_age_group=rules.JUVENILE_UNIT),
        *_cells(2, unit="max", security_rating="maximum"),
        *_cells(2, unit="seg", restrictive_housing=True, security_rating="special"),
    )
    residents = (
        _person("anna", sex="female"),
        _person("bert", sex="male"),
        _person("kid", sex="male", juvenile=True),
        _person("boss", sex="male", custody_level="maximum"),
        _person("seg", sex="male", custody_level="special", restrictive_housing=True),
    )
    solution = _solve(Instance(places=places, residents=residents))
    units = {key: _unit_of(Instance(places, ()), bed) for key, bed in solution.assignment.items()}
    assert units["anna"] == "women"
    assert units["kid"] == "youth"
    assert units["boss"] == "max"
    assert units["seg"] == "seg"
    assert units["bert"] in ("men", "max")
    assert solution.status == "optimal"


@pytest.mark.parametrize("scope", [rules.SCOPE_CELL, rules.SCOPE_UNIT, rules.SCOPE_FACILITY])
def test_a_keep_separate_order_is_kept_at_its_scope(scope):
    places = (
        *_cells(2, beds=2, unit="u1"),
        *_cells(1, beds=2, unit="u2"),
        *_cells(1, beds=2, unit="u3", facility="f2"),
    )
    residents = (_person("a"), _person("b"), _person("c"), _person("d"), _person("e"))
    order = Separation(key="o1", person="p-a", scope=scope, other_person="p-b")
    # Crowd everyone into facility f1 by making it cheaper there for "a" and "b".
    instance = Instance(places=places, residents=residents, separations=(order,))
    solution = _solve(instance)
    a = next(p for p in places if p.bed == solution.assignment["a"])
    b = next(p for p in places if p.bed == solution.assignment["b"])
    assert not rules.shares_scope(scope, a, b)
    assert solution.status == "optimal"


def test_a_keep_separate_order_against_a_group_keeps_every_member_away():
    places = _cells(3, beds=2)
    residents = (
        _person("boss"),
        _person("m1", groups=frozenset({"gang"})),
        _person("m2", groups=frozenset({"gang"})),
        _person("x"),
    )
    order = Separation(key="o1", person="p-boss", scope=rules.SCOPE_CELL, group="gang")
    instance = Instance(places=places, residents=residents, separations=(order,))
    solution = _solve(instance)
    boss_cell = _cell_of(instance, solution.assignment["boss"])
    for member in ("m1", "m2"):
        assert _cell_of(instance, solution.assignment[member]) != boss_cell


def test_a_high_abuser_risk_never_shares_a_cell_with_a_high_victim_risk():
    places = _cells(2, beds=2)
    residents = (
        _person("abuser", prea_abuser=True),
        _person("victim", prea_victim=True),
        _person("x"),
        _person("y"),
    )
    instance = Instance(places=places, residents=residents)
    solution = _solve(instance)
    assert _cell_of(instance, solution.assignment["abuser"]) != _cell_of(
        instance, solution.assignment["victim"]
    )
    assert solution.status == "optimal"


def test_a_single_celled_person_is_alone_even_if_others_must_double_up():
    instance = Instance(
        places=_cells(2, beds=2),
        residents=(_person("solo", single_cell=True), _person("x"), _person("y")),
    )
    solution = _solve(instance)
    solo_cell = _cell_of(instance, solution.assignment["solo"])
    mates = [k for k, b in solution.assignment.items() if _cell_of(instance, b) == solo_cell]
    assert mates == ["solo"]
    assert solution.objective == 2 * rules.COST_PER_CELLMATE
    assert solution.status == "optimal"


def test_a_single_celled_person_takes_a_whole_cell_when_beds_run_short():
    instance = Instance(
        places=_cells(2, beds=2),
        residents=(_person("solo", single_cell=True), *(_person(k) for k in "xyz")),
    )
    solution = _solve(instance)
    # Three in the cells either way: solo alone and two sharing, or three sharing without solo.
    assert len(solution.unplaced) == 1
    assert solution.objective == rules.COST_UNPLACED + 2 * rules.COST_PER_CELLMATE
    assert solution.status == "optimal"


def test_a_lower_bunk_need_gets_a_lower_bunk():
    places = (_bed("c1", "A", lower_bunk=False), _bed("c1", "B", lower_bunk=True))
    residents = (_person("a"), _person("bad-knees", care_needs=frozenset({rules.NEED_LOWER_BUNK})))
    solution = _solve(Instance(places=places, residents=residents))
    assert solution.assignment["bad-knees"] == places[1].bed


def test_juveniles_and_adults_never_share_a_unit_open_to_both():
    places = (*_cells(2, unit="mixed", unit_age_group=rules.ANY), *_cells(2, unit="adults"))
    residents = (_person("kid", juvenile=True), _person("a1"), _person("a2"))
    instance = Instance(places=places, residents=residents)
    solution = _solve(instance)
    assert _unit_of(instance, solution.assignment["kid"]) == "mixed"
    assert {_unit_of(instance, solution.assignment[a]) for a in ("a1", "a2")} == {"adults"}


def test_an_out_of_service_cell_empties_and_its_occupants_move():
    places = (*_cells(1, out_of_service=True), *_bed_pair("c9"))
    residents = (_person("a", current_bed=places[0].bed), _person("b", current_bed=places[1].bed))
    instance = Instance(places=places, residents=residents)
    solution = _solve(instance)
    assert {_cell_of(instance, bed) for bed in solution.assignment.values()} == {"u1-c9"}
    assert solution.moves == 2
    assert solution.objective == 2 * rules.COST_MOVE + 2 * rules.COST_PER_CELLMATE


def _bed_pair(cell: str, **more) -> tuple[Place, Place]:
    return (_bed(cell, "A", lower_bunk=True, **more), _bed(cell, "B", **more))


def test_a_housed_person_stays_unless_a_move_pays():
    near = _cells(1, unit="infirmary", minutes_to_medical=0)
    far = (
        _bed("c1", unit="far", minutes_to_medical=10),
        _bed("c1", unit="farther", minutes_to_medical=30),
    )
    needs = frozenset({rules.NEED_NEAR_MEDICAL})
    stays = _person("stays", care_needs=needs, current_bed=far[0].bed)  # 50 to stay < 100 to move
    moves = _person("moves", care_needs=needs, current_bed=far[1].bed)  # 150 to stay > 100 to move
    instance = Instance(places=(*near, *far), residents=(stays, moves))
    solution = _solve(instance)
    assert solution.assignment["stays"] == far[0].bed
    assert _unit_of(instance, solution.assignment["moves"]) == "infirmary"
    assert solution.objective == 10 * rules.COST_PER_MINUTE_TO_MEDICAL + rules.COST_MOVE
    assert "keeps the bed they sleep in now" in solution.explanations["stays"].reasons


def test_over_capacity_leaves_people_unplaced_with_a_reason_and_breaks_no_rule():
    instance = Instance(
        places=_cells(2, beds=1), residents=tuple(_person(f"r{i}") for i in range(5))
    )
    solution = _solve(instance)
    assert len(solution.assignment) == 2
    assert len(solution.unplaced) == 3
    assert solution.objective == 3 * rules.COST_UNPLACED
    assert solution.status == "optimal"
    assert all("all taken" in reason for reason in solution.unplaced.values())


def test_nobody_is_placed_where_no_bed_meets_their_containment():
    instance = Instance(places=_cells(2), residents=(KAKASHI,))
    solution = _solve(instance)
    assert solution.unplaced["kakashi"] == f"No bed in the instance meets: containment {CHAKRA}."


def test_the_same_input_and_seed_give_the_same_answer_in_any_order():
    instance = _random_instance(random.Random(7), people=30, cells=14, beds=2)
    first = _solve(instance, seed=3)
    again = _solve(instance, seed=3)
    assert first.assignment == again.assignment
    shuffled = random.Random(1)
    places, residents = list(instance.places), list(instance.residents)
    shuffled.shuffle(places)
    shuffled.shuffle(residents)
    other = _solve(replace(instance, places=tuple(places), residents=tuple(residents)), seed=3)
    assert other.objective == first.objective
    assert other.assignment == first.assignment


def test_progress_is_reported_from_start_to_finish():
    seen: list[tuple[str, float]] = []
    instance = Instance(places=_cells(2), residents=(_person("a"),))
    solve(instance, Options(progress=lambda stage, fraction: seen.append((stage, fraction))))
    assert seen[0][1] == 0.0
    assert seen[-1] == ("done", 1.0)


# Small random instances against brute force.

FEATURES = ("wheelchair-accessible", CHAKRA)


def _random_instance(rnd: random.Random, *, people: int, cells: int, beds: int) -> Instance:
    places = []
    for c in range(cells):
        unit = f"u{c % 3}"
        facility = "f2" if unit == "u2" else "f1"
        features = frozenset(f for f in FEATURES if rnd.random() < 0.3)
        for b in range(rnd.randint(1, beds)):
            places.append(
                _bed(
                    f"c{c}", str(b), unit=unit, facility=facility, working_features=features,
                    lower_bunk=b == 0, out_of_service=rnd.random() < 0.05,
                    unit_age_group=rules.ANY if unit == "u1" else rules.ADULT_UNIT,
                    sex_served="male" if unit == "u0" else rules.ANY,
                    minutes_to_medical=3 * (c % 3),
                )
            )  # fmt: skip
    residents = []
    for i in range(people):
        current = rnd.choice(places).bed if rnd.random() < 0.3 else ""
        residents.append(
            _person(
                f"r{i}", sex=rnd.choice(["male", "male", "female"]),
                juvenile=rnd.random() < 0.15, prea_victim=rnd.random() < 0.2,
                prea_abuser=rnd.random() < 0.2, single_cell=rnd.random() < 0.15,
                containment=frozenset({CHAKRA}) if rnd.random() < 0.1 else frozenset(),
                care_needs=frozenset(
                    n for n in (rules.NEED_LOWER_BUNK, rules.NEED_NEAR_MEDICAL)
                    if rnd.random() < 0.2
                ),
                groups=frozenset({"g"}) if rnd.random() < 0.2 else frozenset(),
                current_bed=current,
            )
        )  # fmt: skip
    # Two residents claiming one bed cannot both be there: keep the first claim.
    claimed: set[str] = set()
    for i, resident in enumerate(residents):
        if resident.current_bed in claimed:
            residents[i] = replace(resident, current_bed="")
        claimed.add(resident.current_bed)
    separations = []
    for s in range(rnd.randint(0, 3)):
        a, b = rnd.sample(range(people), 2) if people > 1 else (0, 0)
        scope = rnd.choice([rules.SCOPE_CELL, rules.SCOPE_UNIT, rules.SCOPE_FACILITY])
        if rnd.random() < 0.3:
            separations.append(Separation(key=f"s{s}", person=f"p-r{a}", scope=scope, group="g"))
        else:
            separations.append(
                Separation(key=f"s{s}", person=f"p-r{a}", scope=scope, other_person=f"p-r{b}")
            )
    return Instance(
        places=tuple(places), residents=tuple(residents), separations=tuple(separations)
    )


def _brute_force(instance: Instance) -> int:
    """The optimum by trying every lawful assignment."""
    residents = sorted(instance.residents, key=lambda r: r.key)
    places = sorted(instance.places, key=lambda p: p.bed)
    options = [
        [p for p in places if rules.is_lawful(rules.place_violations(r, p))] for r in residents
    ]
    best = rules.COST_UNPLACED * len(residents)
    chosen: list[Place | None] = []

    def price() -> int:
        housed = [(r, p) for r, p in zip(residents, chosen, strict=True) if p is not None]
        total = 0
        for r, p in zip(residents, chosen, strict=True):
            if p is None:
                total += rules.COST_UNPLACED
                continue
            found = rules.placement_violations(
                r, p, housed=housed, separations=instance.separations
            )
            if not rules.is_lawful(found):
                return -1
            total += rules.price(found)
        return total

    def walk(i: int, used: set[str]) -> None:
        nonlocal best
        if i == len(residents):
            total = price()
            if total >= 0:
                best = min(best, total)
            return
        for place in [None, *options[i]]:
            if place is not None and place.bed in used:
                continue
            chosen.append(place)
            walk(i + 1, used | ({place.bed} if place else set()))
            chosen.pop()

    walk(0, set())
    return best


@pytest.mark.parametrize("seed", range(20))
def test_small_random_instances_are_solved_to_the_brute_force_optimum(seed):
    rnd = random.Random(seed)
    instance = _random_instance(rnd, people=rnd.randint(2, 6), cells=rnd.randint(2, 4), beds=2)
    solution = _solve(instance)
    assert solution.objective == _brute_force(instance)
    assert solution.status == "optimal"
    assert solution.lower_bound == solution.objective


def test_two_juveniles_kept_apart_with_one_juvenile_unit_leave_one_unplaced_provably():
    places = (
        *_cells(2, unit="juv", unit_age_group=rules.JUVENILE_UNIT),
        *_cells(2, unit="adults", unit_age_group=rules.ADULT_UNIT),
    )
    residents = (_person("a", juvenile=True), _person("b", juvenile=True), _person("c"))
    order = Separation(key="s1", person="p-a", scope=rules.SCOPE_UNIT, other_person="p-b")
    instance = Instance(places=places, residents=residents, separations=(order,))
    solution = _solve(instance)
    _assert_sound(instance, solution)
    assert len(solution.unplaced) == 1
    assert solution.objective == rules.COST_UNPLACED
    # The flow alone proves it: the pair can only sleep in the one juvenile unit.
    assert flow_plan(build_index(instance)).lower_bound == rules.COST_UNPLACED
    assert solution.status == "optimal"


def _confined_instance(rnd: random.Random, *, people: int) -> Instance:
    """Few units, many juveniles, single cells, PREA risks and orders at every scope."""
    places = []
    for c in range(rnd.randint(2, 4)):
        unit = rnd.choice(["juv", "adult", "mixed"])
        facility = "f2" if rnd.random() < 0.3 else "f1"
        age = {"juv": rules.JUVENILE_UNIT, "adult": rules.ADULT_UNIT, "mixed": rules.ANY}[unit]
        for b in range(rnd.randint(1, 2)):
            places.append(
                _bed(f"c{c}", str(b), unit=f"{facility}{unit}", facility=facility,
                     unit_age_group=age, lower_bunk=b == 0)
            )  # fmt: skip
    residents = [
        _person(
            f"r{i}", juvenile=rnd.random() < 0.4, single_cell=rnd.random() < 0.2,
            prea_victim=rnd.random() < 0.25, prea_abuser=rnd.random() < 0.25,
            groups=frozenset({"g"}) if rnd.random() < 0.3 else frozenset(),
            current_bed=rnd.choice(places).bed if rnd.random() < 0.2 else "",
        )
        for i in range(people)
    ]  # fmt: skip
    claimed: set[str] = set()
    for i, resident in enumerate(residents):
        if resident.current_bed in claimed:
            residents[i] = replace(resident, current_bed="")
        claimed.add(resident.current_bed)
    separations = []
    for s in range(rnd.randint(1, 4)):
        a, b = rnd.sample(range(people), 2)
        scope = rnd.choice([rules.SCOPE_CELL, rules.SCOPE_UNIT, rules.SCOPE_FACILITY])
        if rnd.random() < 0.25:
            separations.append(Separation(key=f"s{s}", person=f"p-r{a}", scope=scope, group="g"))
        else:
            separations.append(
                Separation(key=f"s{s}", person=f"p-r{a}", scope=scope, other_person=f"p-r{b}")
            )
    return Instance(tuple(places), tuple(residents), tuple(separations))


@pytest.mark.parametrize("seed", range(25))
def test_the_flow_bound_never_exceeds_the_optimum_with_pairs_forced_apart(seed):
    rnd = random.Random(1000 + seed)
    instance = _confined_instance(rnd, people=rnd.randint(2, 5))
    optimum = _brute_force(instance)
    assert flow_plan(build_index(instance)).lower_bound <= optimum
    solution = _solve(instance)
    _assert_sound(instance, solution)
    assert solution.lower_bound <= optimum <= solution.objective
