"""The MIP reference: the same housing model, written plainly and solved by HiGHS.

HiGHS runs in a child process of its own (HiGHS and OR-Tools crash when loaded
into one process), which imports neither OR-Tools nor the engine: the parent
writes the instance as plain tuples (``write_instance``) and the child reads
them back.  ``solve_in_child`` runs it and returns the child's figures.

The model:

- ``x[p, b]`` binary for each person and each bed the person-and-bed rules
  allow (sex, age group, rating, containment, restrictive housing, care needs,
  in service), priced by the move and the walk to medical; ``u[p]`` when the
  person is left unplaced (100,000);
- each person once, each bed once;
- crowding: the people in a cell above the first pay 20, 40, 60 ... (a cell
  of n costs 10 n (n - 1)), a convex staircase of continuous steps;
- single cells, PREA pairing (a binary per cell saying whether it may hold
  victims or abusers), juveniles and adults in units open to both (a binary
  per unit), keep-separate orders as "at most one side" per cell, unit or
  facility, and group orders as a big-M row per container.

Large instances are pruned: each person keeps only ``k`` of their cheapest
lawful cells (ties broken at random, their current cell always kept).  The
bound HiGHS proves is then a bound of the pruned model only, not of the
housing problem, and the results say so.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import resource
import subprocess
import sys
import tempfile
import time
from array import array
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.housing.checker import (
    COST_MOVE,
    COST_PER_CELLMATE,
    COST_PER_MINUTE_TO_MEDICAL,
    COST_UNPLACED,
    NEAR_MEDICAL,
    container,
    place_rule_breaks,
    rank,
)

ROOT = Path(__file__).resolve().parents[2]
# Person-bed pairs beyond which each person keeps only their cheapest cells.
PAIR_BUDGET = 60_000
MIN_CELLS = 6


@dataclass(frozen=True, slots=True)
class Bed:
    bed: str
    facility: str
    unit: str
    cell: str
    out_of_service: bool
    sex_served: str
    unit_age_group: str
    security_rating: str
    working_features: frozenset[str]
    restrictive_housing: bool
    lower_bunk: bool
    minutes_to_medical: int


@dataclass(frozen=True, slots=True)
class Person:
    key: str
    person: str
    juvenile: bool
    containment: frozenset[str]
    prea_victim: bool
    prea_abuser: bool
    groups: frozenset[str]
    sex: str
    custody_level: str
    single_cell: bool
    restrictive_housing: bool
    care_needs: frozenset[str]
    current_bed: str


@dataclass(frozen=True, slots=True)
class Order:
    key: str
    person: str
    scope: str
    other_person: str | None
    group: str | None


def write_instance(instance: Any, path: Path) -> None:
    """The instance as plain tuples: the child reads it without importing the engine."""
    beds = [
        (
            p.bed, p.facility, p.unit, p.cell, p.out_of_service, p.sex_served, p.unit_age_group,
            p.security_rating, p.working_features, p.restrictive_housing, p.lower_bunk,
            p.minutes_to_medical,
        )
        for p in instance.places
    ]  # fmt: skip
    people = [
        (
            r.key, r.person, r.juvenile, r.containment, r.prea_victim, r.prea_abuser, r.groups,
            r.sex, r.custody_level, r.single_cell, r.restrictive_housing, r.care_needs,
            r.current_bed,
        )
        for r in instance.residents
    ]  # fmt: skip
    orders = [(o.key, o.person, o.scope, o.other_person, o.group) for o in instance.separations]
    with path.open("wb") as out:
        pickle.dump((beds, people, orders), out, protocol=pickle.HIGHEST_PROTOCOL)


def read_instance(path: Path) -> tuple[list[Bed], list[Person], list[Order]]:
    with path.open("rb") as source:
        # Our own file, written by the parent process a moment ago.
        beds, people, orders = pickle.load(source)  # noqa: S301
    return (
        [Bed(*row) for row in beds],
        [Person(*row) for row in people],
        [Order(*row) for row in orders],
    )


def solve_in_child(
    instance: Any, *, time_limit: float, seed: int = 1, pair_budget: int = PAIR_BUDGET
) -> dict[str, Any]:
    """Run HiGHS on ``instance`` in a fresh process; its figures, with the assignment."""
    with tempfile.TemporaryDirectory() as tmp:
        source, answer = Path(tmp) / "instance.pickle", Path(tmp) / "answer.json"
        write_instance(instance, source)
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable, "-m", "bench.housing.mip_highs", str(source), str(answer),
                "--time-limit", str(time_limit), "--seed", str(seed),
                "--pair-budget", str(pair_budget),
            ],
            check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"},
        )  # fmt: skip
        result: dict[str, Any] = json.loads(answer.read_text())
        result["process_seconds"] = time.perf_counter() - started
        return result


class Model:
    """Columns and rows, gathered row by row, then handed to HiGHS in one piece."""

    def __init__(self) -> None:
        self.cost = array("d")
        self.upper = array("d")
        self.integer = array("b")
        self.starts = array("q", [0])
        self.index = array("i")
        self.value = array("d")
        self.lower_rows = array("d")
        self.upper_rows = array("d")

    def column(self, cost: float, *, binary: bool, upper: float = 1.0) -> int:
        self.cost.append(cost)
        self.upper.append(upper)
        self.integer.append(1 if binary else 0)
        return len(self.cost) - 1

    def row(self, terms: list[tuple[int, float]], lower: float, upper: float) -> None:
        for column, coefficient in terms:
            self.index.append(column)
            self.value.append(coefficient)
        self.starts.append(len(self.index))
        self.lower_rows.append(lower)
        self.upper_rows.append(upper)


INF = float("inf")


@dataclass
class Cells:
    """The cells in service: the beds of a cell differ only in being a lower bunk."""

    key: list[tuple[str, str]]
    # A bed standing for the cell in the rules: a lower bunk when it has one.
    example: list[Bed]
    beds: list[list[int]]
    lower: list[int]


def cells_of(beds: list[Bed]) -> Cells:
    index: dict[tuple[str, str], int] = {}
    cells = Cells([], [], [], [])
    for number, bed in enumerate(beds):
        if bed.out_of_service:
            continue
        key = (bed.facility, bed.cell)
        if key not in index:
            index[key] = len(cells.key)
            cells.key.append(key)
            cells.example.append(bed)
            cells.beds.append([])
            cells.lower.append(0)
        cell = index[key]
        cells.beds[cell].append(number)
        if bed.lower_bunk:
            cells.lower[cell] += 1
            if not cells.example[cell].lower_bunk:
                cells.example[cell] = bed
    return cells


def _fit(person: Person, bed: Bed) -> tuple[int, int]:
    """How snugly a cell fits: a unit rated for the person's level, serving their sex."""
    level = rank(person.custody_level or "medium")
    return (rank(bed.security_rating) - level, int(bed.sex_served == "any"))


def build(
    beds: list[Bed], people: list[Person], orders: list[Order], *, seed: int, pair_budget: int
) -> tuple[Model, dict[str, Any]]:
    """The model over ``y[p, c]`` (person in cell), exact up to which bed of the cell."""
    rng = random.Random(seed)  # noqa: S311 - tie-breaking, not secrecy
    model = Model()
    info: dict[str, Any] = {}
    cells = cells_of(beds)
    shapes: defaultdict[tuple[Any, ...], list[int]] = defaultdict(list)
    for cell, example in enumerate(cells.example):
        shape = (
            example.sex_served, example.unit_age_group, example.security_rating,
            example.working_features, example.restrictive_housing, example.lower_bunk,
        )  # fmt: skip
        shapes[shape].append(cell)

    # Per kind of person: the lawful cells in tiers of (price, fit), shuffled within a tier.
    tiers_of: dict[tuple[Any, ...], list[list[int]]] = {}

    def tiers(person: Person) -> list[list[int]]:
        medical = bool(person.care_needs & NEAR_MEDICAL)
        key = (
            person.sex, person.juvenile, person.custody_level, person.containment,
            person.restrictive_housing, person.care_needs & {"lower-bunk", "wheelchair-cell"},
            medical,
        )  # fmt: skip
        if key not in tiers_of:
            grouped: defaultdict[tuple[int, ...], list[int]] = defaultdict(list)
            for members in shapes.values():
                example = cells.example[members[0]]
                if place_rule_breaks(person, example):
                    continue
                for cell in members:
                    walk = cells.example[cell].minutes_to_medical if medical else 0
                    grouped[(walk, *_fit(person, cells.example[cell]))].append(cell)
            for members in grouped.values():
                rng.shuffle(members)
            tiers_of[key] = [grouped[tier] for tier in sorted(grouped)]
        return tiers_of[key]

    pairs = sum(sum(len(tier) for tier in tiers(person)) for person in people)
    keep: int | None = None
    if pairs > pair_budget:
        keep = max(MIN_CELLS, pair_budget // max(1, len(people)))
    info["pairs_full"] = pairs
    info["pruned_to_cells"] = keep

    def price(person: Person, cell: int) -> int:
        cost = 0
        if person.current_bed and person.current_bed not in current_beds[cell]:
            cost += COST_MOVE
        minutes = cells.example[cell].minutes_to_medical
        if person.care_needs & NEAR_MEDICAL and minutes > 0:
            cost += COST_PER_MINUTE_TO_MEDICAL * minutes
        return cost

    current_beds = [{beds[index].bed for index in members} for members in cells.beds]
    current_cell = {
        beds[index].bed: cell for cell, members in enumerate(cells.beds) for index in members
    }
    var_person: list[int] = []
    var_cell: list[int] = []
    person_vars: list[list[int]] = []
    for number, person in enumerate(people):
        chosen = _choose_cells(tiers(person), keep, rng)
        here = current_cell.get(person.current_bed) if person.current_bed else None
        if here is not None and here not in chosen and _lawful_here(person, cells, here):
            chosen.append(here)
        mine = []
        for cell in chosen:
            mine.append(model.column(price(person, cell), binary=True))
            var_person.append(number)
            var_cell.append(cell)
        person_vars.append(mine)
    info["y_columns"] = len(var_cell)
    unplaced = [model.column(COST_UNPLACED, binary=False) for _ in people]
    for number, mine in enumerate(person_vars):
        model.row([(column, 1.0) for column in mine] + [(unplaced[number], 1.0)], 1.0, 1.0)

    by_cell: defaultdict[int, list[int]] = defaultdict(list)
    for column, cell in enumerate(var_cell):
        by_cell[cell].append(column)
    prea_binaries = 0
    for cell, columns in by_cell.items():
        size = len(cells.beds[cell])
        # Crowding: the second person costs 20, the third 40 ... (10 n (n - 1) in all);
        # the steps also cap the cell at its beds.
        steps = [
            model.column(2 * COST_PER_CELLMATE * (count - 1), binary=False)
            for count in range(2, size + 1)
        ]
        model.row([(c, 1.0) for c in columns] + [(s, -1.0) for s in steps], -INF, 1.0)
        needing = [c for c in columns if "lower-bunk" in people[var_person[c]].care_needs]
        if len(needing) > cells.lower[cell]:
            model.row([(c, 1.0) for c in needing], -INF, float(cells.lower[cell]))
        if size < 2:
            continue
        in_cell: defaultdict[int, list[int]] = defaultdict(list)
        for column in columns:
            in_cell[var_person[column]].append(column)
        for number, own in in_cell.items():
            if people[number].single_cell:
                # Alone: with this person in the cell, nobody else is.
                others = [(c, 1.0) for c in columns if var_person[c] != number]
                model.row(others + [(c, float(size)) for c in own], -INF, float(size))
        victims = [n for n in in_cell if people[n].prea_victim and not people[n].prea_abuser]
        abusers = [n for n in in_cell if people[n].prea_abuser and not people[n].prea_victim]
        both = [n for n in in_cell if people[n].prea_victim and people[n].prea_abuser]
        if victims and abusers:
            prea_binaries += 1
            victim_cell = model.column(0.0, binary=True)
            for number in victims:
                model.row([(c, 1.0) for c in in_cell[number]] + [(victim_cell, -1.0)], -INF, 0.0)
            for number in abusers:
                model.row([(c, 1.0) for c in in_cell[number]] + [(victim_cell, 1.0)], -INF, 1.0)
        flagged = {*victims, *abusers, *both}
        for number in both:
            others = [(c, 1.0) for c in columns if var_person[c] in flagged - {number}]
            if others:
                weighted = [(c, float(size - 1)) for c in in_cell[number]]
                model.row(others + weighted, -INF, float(size - 1))
    info["prea_binaries"] = prea_binaries

    # Juveniles and adults in units open to both.
    by_unit: defaultdict[Hashable, list[int]] = defaultdict(list)
    for column, cell in enumerate(var_cell):
        example = cells.example[cell]
        if example.unit_age_group not in ("adult", "juvenile"):
            by_unit[(example.facility, example.unit)].append(column)
    for columns in by_unit.values():
        young = [c for c in columns if people[var_person[c]].juvenile]
        old = [c for c in columns if not people[var_person[c]].juvenile]
        if young and old:
            juvenile_unit = model.column(0.0, binary=True)
            for number in {var_person[c] for c in young}:
                terms = [(c, 1.0) for c in young if var_person[c] == number]
                model.row([*terms, (juvenile_unit, -1.0)], -INF, 0.0)
            for number in {var_person[c] for c in old}:
                terms = [(c, 1.0) for c in old if var_person[c] == number]
                model.row([*terms, (juvenile_unit, 1.0)], -INF, 1.0)

    _separation_rows(model, orders, people, cells, var_cell, person_vars)
    info["columns"] = len(model.cost)
    info["rows"] = len(model.lower_rows)
    info["nonzeros"] = len(model.index)
    info["var_person"] = var_person
    info["var_cell"] = var_cell
    info["cells"] = cells
    return model, info


def _lawful_here(person: Person, cells: Cells, cell: int) -> bool:
    return not place_rule_breaks(person, cells.example[cell])


def _choose_cells(tiers: list[list[int]], keep: int | None, rng: random.Random) -> list[int]:
    """All lawful cells or, when pruning, ``keep`` of them: the cheapest and snuggest half
    (ties at random) and a random half of the rest, so people alike do not all crowd into
    the same few cells."""
    if keep is None:
        return [cell for tier in tiers for cell in tier]
    best = keep - keep // 2
    chosen: list[int] = []
    rest: list[int] = []
    for tier in tiers:
        room = best - len(chosen)
        if room <= 0:
            rest.extend(tier)
            continue
        if len(tier) <= room:
            chosen.extend(tier)
            continue
        start = rng.randrange(len(tier))
        rotated = tier[start:] + tier[:start]
        chosen.extend(rotated[:room])
        rest.extend(rotated[room:])
    chosen.extend(rng.sample(rest, min(len(rest), keep - len(chosen))))
    return chosen


def _separation_rows(
    model: Model,
    orders: list[Order],
    people: list[Person],
    cells: Cells,
    var_cell: list[int],
    person_vars: list[list[int]],
) -> None:
    """Keep-separate orders: between two people, and between a person and a group."""
    numbers: defaultdict[str, list[int]] = defaultdict(list)
    for number, person in enumerate(people):
        numbers[person.person].append(number)
    # Beds in service per cell, unit and facility: how many a container can hold.
    capacity: defaultdict[Hashable, int] = defaultdict(int)
    for cell, example in enumerate(cells.example):
        for scope in ("cell", "unit", "facility"):
            capacity[container(scope, example)] += len(cells.beds[cell])

    def places_of(person: str, scope: str) -> defaultdict[Hashable, list[int]]:
        found: defaultdict[Hashable, list[int]] = defaultdict(list)
        for number in numbers.get(person, ()):
            for column in person_vars[number]:
                found[container(scope, cells.example[var_cell[column]])].append(column)
        return found

    # (group, scope) -> container -> (member, column) for the members' candidate cells.
    group_places: dict[tuple[str, str], defaultdict[Hashable, list[tuple[str, int]]]] = {}
    for order in orders:
        mine = places_of(order.person, order.scope)
        if order.other_person is not None:
            theirs = places_of(order.other_person, order.scope)
            for where in mine.keys() & theirs.keys():
                model.row([(c, 1.0) for c in mine[where] + theirs[where]], -INF, 1.0)
            continue
        if order.group is None:
            continue
        scope = order.scope if order.scope in ("cell", "unit") else "facility"
        if (order.group, scope) not in group_places:
            members: defaultdict[Hashable, list[tuple[str, int]]] = defaultdict(list)
            for number, person in enumerate(people):
                if order.group in person.groups:
                    for column in person_vars[number]:
                        where = container(scope, cells.example[var_cell[column]])
                        members[where].append((person.person, column))
            group_places[(order.group, scope)] = members
        members = group_places[(order.group, scope)]
        for where, columns in mine.items():
            housed = [(who, c) for who, c in members.get(where, ()) if who != order.person]
            # As many members as could be there: never more than its beds.
            big = min(len({who for who, _ in housed}), capacity[where])
            if big <= 0:
                continue
            model.row(
                [(c, 1.0) for _, c in housed] + [(c, float(big)) for c in columns],
                -INF,
                float(big),
            )


def beds_in_cells(
    people: list[Person], beds: list[Bed], cells: Cells, placed: dict[int, list[int]]
) -> dict[str, str]:
    """Which bed of its cell each person gets: their own if they have it, lower bunks to those
    who need one."""
    assignment: dict[str, str] = {}
    for cell, numbers in placed.items():
        free = {beds[index].bed: beds[index] for index in cells.beds[cell]}
        waiting = []
        for number in numbers:
            person = people[number]
            own = free.get(person.current_bed)
            needs_lower = "lower-bunk" in person.care_needs
            if own is not None and (own.lower_bunk or not needs_lower):
                assignment[person.key] = own.bed
                del free[own.bed]
            else:
                waiting.append(person)
        waiting.sort(key=lambda person: "lower-bunk" not in person.care_needs)
        for person in waiting:
            needs_lower = "lower-bunk" in person.care_needs
            # Upper bunks first for those who can climb, so lower ones stay for who cannot.
            options = sorted(
                free.values(), key=lambda bed: (bed.lower_bunk != needs_lower, bed.bed)
            )
            if needs_lower and not (options and options[0].lower_bunk):
                # Someone kept a lower bunk they do not need: they climb up (a priced move).
                climber = next(
                    (
                        other for other in numbers
                        if people[other].key in assignment
                        and "lower-bunk" not in people[other].care_needs
                        and any(
                            beds[index].bed == assignment[people[other].key]
                            and beds[index].lower_bunk
                            for index in cells.beds[cell]
                        )
                    ),
                    None,
                )  # fmt: skip
                if climber is None or not options:
                    continue
                lower = assignment[people[climber].key]
                assignment[people[climber].key] = options[0].bed
                del free[options[0].bed]
                assignment[person.key] = lower
                continue
            if not options:
                continue
            assignment[person.key] = options[0].bed
            del free[options[0].bed]
    return assignment


def solve(
    beds: list[Bed],
    people: list[Person],
    orders: list[Order],
    *,
    time_limit: float,
    seed: int,
    pair_budget: int,
) -> dict[str, Any]:
    import highspy
    import numpy as np

    started = time.perf_counter()
    model, info = build(beds, people, orders, seed=seed, pair_budget=pair_budget)
    var_person, var_cell = info.pop("var_person"), info.pop("var_cell")
    cells = info.pop("cells")
    built = time.perf_counter() - started

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("random_seed", seed)
    highs.setOptionValue("threads", 1)
    # The prices are whole numbers: a gap under one is a proof.
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.setOptionValue("mip_abs_gap", 0.999)
    lp = highspy.HighsLp()
    lp.num_col_ = len(model.cost)
    lp.num_row_ = len(model.lower_rows)
    lp.col_cost_ = np.frombuffer(model.cost, dtype=np.float64)
    lp.col_lower_ = np.zeros(lp.num_col_)
    lp.col_upper_ = np.frombuffer(model.upper, dtype=np.float64)
    lp.row_lower_ = np.frombuffer(model.lower_rows, dtype=np.float64)
    lp.row_upper_ = np.frombuffer(model.upper_rows, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = lp.num_col_
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.a_matrix_.start_ = np.frombuffer(model.starts, dtype=np.int64).astype(np.int32)
    lp.a_matrix_.index_ = np.frombuffer(model.index, dtype=np.int32)
    lp.a_matrix_.value_ = np.frombuffer(model.value, dtype=np.float64)
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
        for flag in model.integer
    ]
    highs.passModel(lp)

    # What HiGHS says as it goes: each better solution, and its bound when it moves.
    trajectory: list[tuple[float, float, float]] = []

    def improved(event: Any) -> None:
        out = event.data_out
        trajectory.append((out.running_time, out.objective_function_value, out.mip_dual_bound))

    bounds: list[tuple[float, float]] = []

    def polled(event: Any) -> None:
        out = event.data_out
        if not bounds or out.mip_dual_bound > bounds[-1][1] + 0.5:
            bounds.append((out.running_time, out.mip_dual_bound))

    highs.cbMipImprovingSolution.subscribe(improved)
    highs.cbMipInterrupt.subscribe(polled)
    solve_started = time.perf_counter()
    highs.run()
    seconds = time.perf_counter() - solve_started
    status = highs.modelStatusToString(highs.getModelStatus())
    info_out = highs.getInfo()
    values = np.asarray(highs.getSolution().col_value)
    placed: defaultdict[int, list[int]] = defaultdict(list)
    for column in np.flatnonzero(values[: len(var_cell)] > 0.5):
        placed[var_cell[column]].append(var_person[column])
    assignment = beds_in_cells(people, beds, cells, placed)
    unplaced = [person.key for person in people if person.key not in assignment]
    has_solution = info_out.primal_solution_status >= 2
    return {
        "solver": "highs",
        "status": status,
        "optimal": status == "Optimal",
        "claimed_objective": info_out.objective_function_value if has_solution else None,
        "bound": info_out.mip_dual_bound,
        "bound_valid": info["pruned_to_cells"] is None,
        "gap": info_out.mip_gap,
        "build_seconds": built,
        "seconds": seconds,
        "first_feasible_seconds": trajectory[0][0] if trajectory else None,
        "proof_seconds": seconds if status == "Optimal" else None,
        "trajectory": trajectory,
        "bounds": bounds[-200:],
        "model": info,
        "assignment": assignment if has_solution else {},
        "unplaced": unplaced if has_solution else [p.key for p in people],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("answer", type=Path)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pair-budget", type=int, default=PAIR_BUDGET)
    args = parser.parse_args(argv)
    beds, people, orders = read_instance(args.source)
    result = solve(
        beds, people, orders, time_limit=args.time_limit, seed=args.seed,
        pair_budget=args.pair_budget,
    )  # fmt: skip
    forbidden = [name for name in sys.modules if name.startswith(("ortools", "cellblock"))]
    assert not forbidden, f"the HiGHS process must not load {forbidden}"
    args.answer.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
