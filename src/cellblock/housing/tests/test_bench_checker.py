"""The benchmark's independent checker and instance generator (bench/housing), on plain data."""

from __future__ import annotations

import random

import pytest
from bench.housing import checker, generate, greedy

from cellblock.housing import rules
from cellblock.housing.engine.model import Instance
from cellblock.housing.rules import Place, Resident, Separation


def _place(bed: str, cell: str = "c1", unit: str = "u1", facility: str = "f1", **more) -> Place:
    return Place(
        facility=facility, unit=unit, cell=cell, unit_label=f"Unit {unit}",
        cell_label=f"{unit}/{cell}", bed=bed, bed_label=bed, **more,
    )  # fmt: skip


def _resident(key: str, **more) -> Resident:
    return Resident(key=key, person=f"p-{key}", label=key, sex="male", **more)


A1 = _place("a1")
A2 = _place("a2")
B1 = _place("b1", cell="c2")
U2 = _place("x1", cell="c9", unit="u2")
F2 = _place("y1", cell="c1", unit="u1", facility="f2")
BEDS = (A1, A2, B1, U2, F2)


def _rules_broken(places, residents, assignment, separations=()) -> list[tuple[str, str]]:
    return checker.hard_violations(
        Instance(places=tuple(places), residents=tuple(residents), separations=tuple(separations)),
        assignment,
    )


# --- Each hard rule, alone ----------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "place", "resident"),
    [
        ("out_of_service", _place("a1", out_of_service=True), _resident("r")),
        ("sex_mismatch", _place("a1", sex_served="female"), _resident("r")),
        ("juvenile_in_adult_unit", _place("a1"), _resident("r", juvenile=True)),
        ("adult_in_juvenile_unit", _place("a1", unit_age_group="juvenile"), _resident("r")),
        ("custody_above_rating", _place("a1"), _resident("r", custody_level="maximum")),
        ("custody_above_rating", _place("a1", security_rating="minimum"), _resident("r")),
        ("containment_missing", _place("a1"), _resident("r", containment=frozenset({"seal"}))),
        ("restrictive_housing", _place("a1"), _resident("r", restrictive_housing=True)),
        ("restrictive_housing", _place("a1", restrictive_housing=True), _resident("r")),
        ("care_need_unmet", _place("a1"), _resident("r", care_needs=frozenset({"lower-bunk"}))),
        (
            "care_need_unmet",
            _place("a1", lower_bunk=True),
            _resident("r", care_needs=frozenset({"wheelchair-cell"})),
        ),
    ],
)
def test_the_checker_flags_a_bed_the_person_may_not_have(rule, place, resident):
    assert _rules_broken([place], [resident], {"r": place.bed}) == [(rule, "r")]


def test_the_checker_accepts_a_bed_that_meets_every_need():
    place = _place(
        "a1", lower_bunk=True, security_rating="special", restrictive_housing=True,
        working_features=frozenset({"seal", "wheelchair-accessible"}), sex_served="male",
    )  # fmt: skip
    resident = _resident(
        "r", custody_level="special", restrictive_housing=True, containment=frozenset({"seal"}),
        care_needs=frozenset({"lower-bunk", "wheelchair-cell", "near-medical"}),
    )  # fmt: skip
    assert _rules_broken([place], [resident], {"r": "a1"}) == []


def test_the_checker_flags_an_unknown_bed_and_an_unknown_person():
    found = _rules_broken(BEDS, [_resident("r")], {"r": "nowhere", "ghost": "a1"})
    assert found == [("unknown_bed", "r"), ("unknown_resident", "ghost")]


def test_the_checker_flags_both_people_in_one_bed():
    found = _rules_broken(BEDS, [_resident("r"), _resident("s")], {"r": "a1", "s": "a1"})
    assert found == [("bed_occupied", "r"), ("bed_occupied", "s")]


def test_the_checker_flags_a_juvenile_and_the_adults_of_the_unit_even_in_another_cell():
    juvenile = _resident("j", juvenile=True)
    mixed_unit = [_place("a1", unit_age_group="any"), _place("b1", cell="c2", unit_age_group="any")]
    found = _rules_broken(mixed_unit, [juvenile, _resident("r")], {"j": "a1", "r": "b1"})
    assert found == [("juvenile_with_adults", "j"), ("juvenile_with_adults", "r")]


def test_the_checker_flags_a_single_celled_person_and_the_cellmate():
    residents = [_resident("r", single_cell=True), _resident("s")]
    assert _rules_broken(BEDS, residents, {"r": "a1", "s": "a2"}) == [
        ("single_cell", "r"),
        ("single_cell", "s"),
    ]
    assert _rules_broken(BEDS, residents, {"r": "a1", "s": "b1"}) == []


def test_the_checker_flags_a_high_abuser_risk_in_a_cell_with_a_high_victim_risk():
    residents = [_resident("r", prea_abuser=True), _resident("s", prea_victim=True)]
    assert _rules_broken(BEDS, residents, {"r": "a1", "s": "a2"}) == [
        ("prea_pairing", "r"),
        ("prea_pairing", "s"),
    ]
    assert _rules_broken(BEDS, residents, {"r": "a1", "s": "b1"}) == []
    both = [_resident("r", prea_abuser=True, prea_victim=True), _resident("s")]
    assert _rules_broken(BEDS, both, {"r": "a1", "s": "a2"}) == []


@pytest.mark.parametrize(
    ("scope", "bed", "apart"),
    [
        ("cell", "a2", False),
        ("cell", "b1", True),
        ("unit", "b1", False),
        ("unit", "x1", True),
        ("facility", "x1", False),
        ("total", "x1", False),
        ("facility", "y1", True),
    ],
)
def test_the_checker_keeps_two_people_apart_at_the_scope_of_their_order(scope, bed, apart):
    order = Separation(key="o", person="p-r", scope=scope, other_person="p-s")
    found = _rules_broken(BEDS, [_resident("r"), _resident("s")], {"r": "a1", "s": bed}, [order])
    assert found == ([] if apart else [("keep_separate", "r"), ("keep_separate", "s")])


@pytest.mark.parametrize(("scope", "bed", "apart"), [("unit", "b1", False), ("unit", "x1", True)])
def test_the_checker_keeps_a_person_apart_from_every_member_of_a_group(scope, bed, apart):
    order = Separation(key="o", person="p-r", scope=scope, group="g")
    residents = [_resident("r"), _resident("s", groups=frozenset({"g"})), _resident("t")]
    found = _rules_broken(BEDS, residents, {"r": "a1", "s": bed, "t": "a2"}, [order])
    assert found == ([] if apart else [("keep_separate", "r"), ("keep_separate", "s")])


# --- Prices -------------------------------------------------------------------------


def test_the_checker_prices_as_the_rule_book_does():
    assert (
        checker.COST_MOVE,
        checker.COST_PER_CELLMATE,
        checker.COST_PER_MINUTE_TO_MEDICAL,
        checker.COST_UNPLACED,
    ) == (
        rules.COST_MOVE,
        rules.COST_PER_CELLMATE,
        rules.COST_PER_MINUTE_TO_MEDICAL,
        rules.COST_UNPLACED,
    )


def test_the_objective_counts_moves_cellmates_walks_and_the_unplaced():
    far = _place("a1", minutes_to_medical=4)
    residents = [
        _resident("r", current_bed="b1", care_needs=frozenset({"medical-monitoring"})),
        _resident("s", current_bed="a2"),
        _resident("t"),
        _resident("u"),
    ]
    instance = Instance(places=(far, A2, B1), residents=tuple(residents))
    # r moves (100), walks 4 min (20), shares (10); s stays and shares (10); t is unplaced,
    # u is forgotten: both pay the unplaced price.
    assert checker.objective(instance, {"r": "a1", "s": "a2"}, ["t"]) == 140 + 2 * 100_000


# --- Against the rule book, on random small instances -------------------------------


def _random_instance(rng: random.Random) -> Instance:
    # How often something unusual appears: some instances are nearly all lawful, some not.
    odd = rng.choice([0.0, 0.03, 0.1, 0.3])

    def sometimes(weight: float = 1.0) -> bool:
        return rng.random() < odd * weight

    places = []
    for index in range(rng.randint(2, 9)):
        unit = rng.choice(["u1", "u2"])
        places.append(
            Place(
                facility=rng.choice(["f1", "f2"]), unit=unit, cell=f"{unit}-c{rng.randint(1, 3)}",
                unit_label=unit, cell_label="c", bed=f"b{index}",
                unit_age_group=rng.choice(["juvenile", "any"]) if sometimes() else "adult",
                working_features=frozenset(
                    rng.sample(["seal", "wheelchair-accessible"], rng.randint(0, 2))
                ),
                out_of_service=sometimes(0.3), lower_bunk=rng.random() < 0.5,
                sex_served=rng.choice(["any", "female"]) if sometimes() else "male",
                security_rating=rng.choice(rules.RATING_ORDER) if sometimes() else "special",
                restrictive_housing=sometimes(0.5), minutes_to_medical=rng.randint(0, 6),
            )
        )  # fmt: skip
    residents = []
    for index in range(rng.randint(1, 6)):
        residents.append(
            Resident(
                key=f"r{index}", person=f"p{index}", label=f"r{index}",
                juvenile=sometimes(0.5),
                containment=frozenset({"seal"}) if sometimes() else frozenset(),
                prea_victim=sometimes(), prea_abuser=sometimes(),
                groups=frozenset(rng.sample(["g1", "g2"], rng.randint(0, 1))),
                sex=rng.choice(["female", "intersex"]) if sometimes() else "male",
                custody_level=rng.choice(["", *rules.RATING_ORDER]),
                single_cell=sometimes(), restrictive_housing=sometimes(0.5),
                care_needs=frozenset(
                    rng.sample(
                        ["lower-bunk", "wheelchair-cell", "near-medical", "medical-monitoring"],
                        rng.randint(1, 2),
                    )
                ) if sometimes(2) else frozenset(),
                current_bed=rng.choice(["", "", places[0].bed, places[-1].bed]),
            )
        )  # fmt: skip
    separations = []
    for index in range(rng.randint(0, 3) if odd else 0):
        person = rng.choice(residents).person
        other = rng.choice(residents).person
        pairwise = other != person and rng.random() < 0.6
        separations.append(
            Separation(
                key=f"o{index}", person=person,
                scope=rng.choice(["cell", "unit", "facility", "total"]),
                other_person=other if pairwise else None,
                group=None if pairwise else rng.choice(["g1", "g2"]),
            )
        )  # fmt: skip
    return Instance(
        places=tuple(places), residents=tuple(residents), separations=tuple(separations)
    )


def _random_assignment(rng: random.Random, instance: Instance) -> dict[str, str]:
    beds = [place.bed for place in instance.places]
    return {
        resident.key: rng.choice(beds) for resident in instance.residents if rng.random() < 0.85
    }


def _rule_book_verdicts(instance: Instance, assignment: dict[str, str]):
    places = {place.bed: place for place in instance.places}
    residents = {resident.key: resident for resident in instance.residents}
    housed = [(residents[key], places[bed]) for key, bed in assignment.items()]
    return {
        resident.key: rules.placement_violations(
            resident, place, housed=housed, separations=instance.separations
        )
        for resident, place in housed
    }


def test_the_checker_flags_the_same_people_as_the_rule_book_on_random_instances():
    rng = random.Random(5)
    flagged_somewhere = 0
    for _ in range(1500):
        instance = _random_instance(rng)
        assignment = _random_assignment(rng, instance)
        verdicts = _rule_book_verdicts(instance, assignment)
        by_rule_book = {key for key, found in verdicts.items() if not rules.is_lawful(found)}
        by_checker = {key for _, key in checker.hard_violations(instance, assignment)}
        assert by_checker == by_rule_book, (instance, assignment)
        flagged_somewhere += bool(by_checker)
    # The random instances exercise both lawful and unlawful answers.
    assert 150 < flagged_somewhere < 1350


def test_the_checker_objective_is_the_rule_book_price_plus_the_unplaced():
    rng = random.Random(7)
    for _ in range(1000):
        instance = _random_instance(rng)
        assignment = _random_assignment(rng, instance)
        verdicts = _rule_book_verdicts(instance, assignment)
        unplaced = [r.key for r in instance.residents if r.key not in assignment]
        expected = sum(rules.price(found) for found in verdicts.values())
        expected += rules.COST_UNPLACED * len(unplaced)
        assert checker.objective(instance, assignment, unplaced) == expected


def test_the_checker_judges_a_large_population_with_group_orders():
    size = 20_000
    places = tuple(
        _place(f"b{i}", cell=f"c{i // 2}", unit=f"u{i // 500}", lower_bunk=i % 2 == 0)
        for i in range(size)
    )
    residents = tuple(_resident(f"r{i}", groups=frozenset({f"g{i % 50}"})) for i in range(size))
    separations = tuple(
        Separation(key=f"o{i}", person=f"p-r{i}", scope="unit", group=f"g{(i + 1) % 50}")
        for i in range(0, size, 100)
    ) + tuple(
        Separation(key=f"q{i}", person=f"p-r{i}", scope="cell", other_person=f"p-r{i + 1}")
        for i in range(0, size, 8)
    )
    instance = Instance(places=places, residents=residents, separations=separations)
    assignment = {f"r{i}": f"b{i}" for i in range(size)}
    found = checker.hard_violations(instance, assignment)
    # Each pair shares a cell. Every group order targets group g1 (the holders are r0, r100,
    # ...), and every unit of 500 holds 10 members of g1: holders and members are flagged.
    pairs = {i for i in range(size) if i % 8 in (0, 1)}
    holders = set(range(0, size, 100))
    members = {i for i in range(size) if i % 50 == 1}
    assert found == sorted(("keep_separate", f"r{i}") for i in pairs | holders | members)
    assert checker.objective(instance, assignment, []) == size * 10


# --- The generator ------------------------------------------------------------------


def test_the_generator_makes_the_same_instance_for_the_same_seed():
    assert generate.instance("S", "daily", 3) == generate.instance("S", "daily", 3)
    assert generate.instance("S", "daily", 3) != generate.instance("S", "daily", 4)


@pytest.fixture(scope="module")
def medium() -> Instance:
    return generate.instance("M", "cold_start", 1)


def _share(residents, test) -> float:
    return sum(1 for resident in residents if test(resident)) / len(residents)


def test_a_medium_instance_has_the_calibrated_population(medium):
    people = medium.residents
    assert len(medium.places) == 2_000
    assert len(people) == round(0.92 * 2_000)
    assert _share(people, lambda r: r.sex == "male") == pytest.approx(0.858, abs=0.03)
    assert _share(people, lambda r: r.sex == "female") == pytest.approx(0.14, abs=0.03)
    assert _share(people, lambda r: r.juvenile) < 0.01
    assessed = [r for r in people if r.custody_level]
    for level, share in generate.USUAL.custody:
        assert _share(assessed, lambda r, level=level: r.custody_level == level) == pytest.approx(
            share, abs=0.04
        )
    assert _share(people, lambda r: r.restrictive_housing) == pytest.approx(0.045, abs=0.015)
    assert _share(people, lambda r: r.prea_victim) == pytest.approx(0.03, abs=0.015)
    assert _share(people, lambda r: "lower-bunk" in r.care_needs) == pytest.approx(0.05, abs=0.02)
    assert not any(r.current_bed for r in people)


def test_a_medium_instance_has_about_three_keep_separate_orders_per_ten_people(medium):
    orders = medium.separations
    assert len(orders) / len(medium.residents) == pytest.approx(0.3, abs=0.03)
    group_orders = [order for order in orders if order.group is not None]
    assert len(group_orders) / len(orders) == pytest.approx(0.15, abs=0.03)
    assert {order.scope for order in orders} <= {"cell", "unit"}


def test_the_greedy_reference_breaks_no_hard_rule(medium):
    found = greedy.first_fit(medium)
    assert checker.hard_violations(medium, found.assignment) == []
    assert len(found.assignment) + len(found.unplaced) == len(medium.residents)


def test_a_daily_instance_houses_most_people_lawfully_and_some_no_longer_fit():
    daily = generate.instance("M", "daily", 1)
    current = {r.key: r.current_bed for r in daily.residents if r.current_bed}
    assert 0.9 < len(current) / len(daily.residents) < 0.98
    broken = {key for _, key in checker.hard_violations(daily, current)}
    assert 0 < len(broken) < 0.02 * len(current)


def test_a_closure_takes_a_whole_unit_out_of_service():
    closure = generate.instance("M", "closure", 1)
    closed_units = {p.unit for p in closure.places if p.out_of_service}
    assert any(
        all(p.out_of_service for p in closure.places if p.unit == unit) for unit in closed_units
    )


def test_an_over_capacity_instance_holds_more_people_than_beds():
    crowded = generate.instance("S", "over_capacity", 1)
    assert 1.05 <= len(crowded.residents) / len(crowded.places) <= 1.10
