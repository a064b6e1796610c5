"""The whole problem as one CP-SAT model, to prove a placement optimal.

Variables count people of one class in beds of one kind in one cell: new
bookings of one kind with no keep-separate order are interchangeable, so they
share integer variables; everyone else (the housed, who may keep their own
bed, and the parties of keep-separate orders) is a class of one.  Beds of one
kind in one cell are interchangeable too, so a solution of the model is a
placement up to who takes which of two equal bunks.  Every rule is exact:

- a bed kind is open to a class only where ``rules.place_violations`` allows it;
- beds: per cell and kind, no more people than beds; a kept bed is that bed;
- crowding: 10 n (n - 1) per cell of n, as the maximum of its tangents;
- PREA pairing: per cell, high abuser risk and high victim risk never together;
- single cell: a single-celled person's cell holds one;
- juveniles and adults never share a unit open to both;
- keep-separate: the two parties never in the same cell, unit or facility.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cellblock.housing import rules
from cellblock.housing.engine.bound import cell_capacity, usable_kinds
from cellblock.housing.engine.eligibility import Index

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

UNPLACED = -1


@dataclass
class ExactResult:
    assignment: list[int] | None
    bound: int
    optimal: bool


@dataclass
class _Class:
    members: list[int]
    kind: int
    # Set for a class of one: that resident (their own bed and orders matter).
    single: int | None


def _classes(ix: Index) -> list[_Class]:
    pooled: dict[int, list[int]] = {}
    classes = []
    for i in range(len(ix.residents)):
        if ix.housed[i] or ix.partners[i]:
            classes.append(_Class([i], ix.res_kind[i], i))
        else:
            pooled.setdefault(ix.res_kind[i], []).append(i)
    for rk, members in sorted(pooled.items()):
        classes.append(_Class(members, rk, None))
    return classes


def _cell_kinds(ix: Index, usable: list[bool]) -> list[list[tuple[int, list[int]]]]:
    result = []
    for beds in ix.cell_beds:
        by_kind: dict[int, list[int]] = {}
        for b in beds:
            if usable[ix.bed_kind[b]]:
                by_kind.setdefault(ix.bed_kind[b], []).append(b)
        result.append(sorted(by_kind.items()))
    return result


def model_size(ix: Index) -> int:
    """How many placement variables the exact model would have."""
    # A cell rarely has more than one bed of a kind a person could take twice over,
    # so cells with the kind approximate the variables of a class.
    cells_of_kind = [0] * len(ix.kinds)
    for beds in ix.cell_beds:
        for k in sorted({ix.bed_kind[b] for b in beds}):
            cells_of_kind[k] += 1
    per_kind = [sum(cells_of_kind[k] for k in ix.lawful_kinds[rk]) for rk in range(len(ix.rkinds))]
    return sum(per_kind[c.kind] for c in _classes(ix))


def solve_exact(
    ix: Index,
    hint: list[int],
    *,
    seed: int,
    time_limit: float,
    relative_gap: float,
) -> ExactResult:
    # Imported here: CP-SAT pulls in pandas, seconds that a run which never needs
    # the exact model (or a web process that only imports the engine) should not pay.
    from ortools.sat.python import cp_model

    usable = usable_kinds(ix)
    cell_kinds = _cell_kinds(ix, usable)
    capacity = cell_capacity(ix, usable)
    classes = _classes(ix)
    model = cp_model.CpModel()

    # (class, cell, kind) -> variable; per class and cell, the variables that put it there.
    place_vars: dict[tuple[int, int, int], cp_model.IntVar] = {}
    in_cell: list[dict[int, list[cp_model.IntVar]]] = [{} for _ in classes]
    ub_of: dict[int, int] = {}
    keep: dict[int, cp_model.IntVar] = {}
    unplaced: list[cp_model.IntVar] = []
    slot_load: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    cell_load: list[list[cp_model.IntVar]] = [[] for _ in ix.cell_beds]
    objective: list[Any] = []
    claimants: dict[int, list[cp_model.IntVar]] = {}

    for q, cls in enumerate(classes):
        size = len(cls.members)
        rk = cls.kind
        move = rules.COST_MOVE if cls.single is not None and ix.housed[cls.single] else 0
        terms: list[cp_model.IntVar] = []
        for c, kinds in enumerate(cell_kinds):
            for k, beds in kinds:
                if not ix.lawful[rk][k]:
                    continue
                ub = min(size, len(beds))
                var = (
                    model.new_bool_var(f"x{q}_{c}_{k}")
                    if ub == 1
                    else model.new_int_var(0, ub, f"n{q}_{c}_{k}")
                )
                ub_of[var.index] = ub
                place_vars[(q, c, k)] = var
                in_cell[q].setdefault(c, []).append(var)
                slot_load.setdefault((c, k), []).append(var)
                cell_load[c].append(var)
                terms.append(var)
                price = ix.cost[rk][k] + move
                if price:
                    objective.append(price * var)
        if cls.single is not None:
            bed = ix.current[cls.single]
            if bed >= 0 and ix.lawful[rk][ix.bed_kind[bed]]:
                var = model.new_bool_var(f"keep{cls.single}")
                ub_of[var.index] = 1
                keep[cls.single] = var
                c = ix.bed_cell[bed]
                in_cell[q].setdefault(c, []).append(var)
                slot_load.setdefault((c, ix.bed_kind[bed]), []).append(var)
                cell_load[c].append(var)
                claimants.setdefault(bed, []).append(var)
                terms.append(var)
                price = ix.cost[rk][ix.bed_kind[bed]]
                if price:
                    objective.append(price * var)
        gone = model.new_int_var(0, size, f"u{q}")
        unplaced.append(gone)
        objective.append(rules.COST_UNPLACED * gone)
        model.add(cp_model.LinearExpr.sum([*terms, gone]) == size)

    for c, kinds in enumerate(cell_kinds):
        for k, beds in kinds:
            load = slot_load.get((c, k))
            if load:
                model.add(cp_model.LinearExpr.sum(load) <= len(beds))
    for _, vars_ in sorted(claimants.items()):
        if len(vars_) > 1:
            model.add_at_most_one(vars_)

    # Crowding: the convex price of a cell's occupancy, as the maximum of its tangents.
    for c, load in enumerate(cell_load):
        cap = capacity[c]
        if cap < 2 or sum(ub_of[var.index] for var in load) < 2:
            continue
        occupancy = cp_model.LinearExpr.sum(load)
        top = rules.COST_PER_CELLMATE * cap * (cap - 1)
        crowd = model.new_int_var(0, top, f"crowd{c}")
        for j in range(1, cap):
            base = rules.COST_PER_CELLMATE * j * (j - 1)
            slope = 2 * rules.COST_PER_CELLMATE * j
            model.add(crowd >= base + slope * (occupancy - j))
        objective.append(crowd)

    def upper(var: cp_model.IntVar) -> int:
        return ub_of[var.index]

    residents = ix.residents
    # Rules between people inside a cell: PREA pairing and single cells.
    groups: dict[int, dict[str, list[cp_model.IntVar]]] = {}
    for q, cls in enumerate(classes):
        kind = ix.rkinds[cls.kind]
        if kind.prea_abuser and kind.prea_victim:
            role = "both"
        elif kind.prea_abuser:
            role = "abuser"
        elif kind.prea_victim:
            role = "victim"
        else:
            role = ""
        for c, vars_ in in_cell[q].items():
            if role:
                groups.setdefault(c, {}).setdefault(role, []).extend(vars_)
            if kind.single_cell:
                groups.setdefault(c, {}).setdefault("single", []).extend(vars_)
    for c, found in sorted(groups.items()):
        abusers = found.get("abuser", [])
        victims = found.get("victim", [])
        both = found.get("both", [])
        singles = found.get("single", [])
        flags: list[cp_model.IntVar] = []
        if abusers and (victims or both):
            a = model.new_bool_var(f"abuser{c}")
            for var in abusers:
                model.add(var <= upper(var) * a)
            flags.append(a)
        if victims and (abusers or both):
            v = model.new_bool_var(f"victim{c}")
            for var in victims:
                model.add(var <= upper(var) * v)
            flags.append(v)
        if both or len(flags) == 2:
            model.add(cp_model.LinearExpr.sum(both) + cp_model.LinearExpr.sum(flags) <= 1)
        if singles and capacity[c] >= 2:
            s = model.new_bool_var(f"single{c}")
            for var in singles:
                model.add(var <= upper(var) * s)
            model.add(cp_model.LinearExpr.sum(cell_load[c]) + (capacity[c] - 1) * s <= capacity[c])

    # Juveniles and adults never share a unit open to both.
    by_age: dict[int, tuple[list[cp_model.IntVar], list[cp_model.IntVar]]] = {}
    for q, cls in enumerate(classes):
        young = ix.rkinds[cls.kind].juvenile
        for c, vars_ in in_cell[q].items():
            u = ix.cell_unit[c]
            if ix.unit_mixed[u]:
                by_age.setdefault(u, ([], []))[0 if young else 1].extend(vars_)
    for u, (juveniles, adults) in sorted(by_age.items()):
        if juveniles and adults:
            young_unit = model.new_bool_var(f"juvenile_unit{u}")
            for var in juveniles:
                model.add(var <= upper(var) * young_unit)
            for var in adults:
                model.add(var <= upper(var) * (1 - young_unit))

    # Keep-separate orders between classes of one.
    class_of = {cls.single: q for q, cls in enumerate(classes) if cls.single is not None}
    for i in range(len(residents)):
        for other, rank in ix.partners[i]:
            if other < i:
                continue
            regions: dict[int, list[cp_model.IntVar]] = {}
            for who in (i, other):
                for c, vars_ in in_cell[class_of[who]].items():
                    region = c if rank == 0 else ix.cell_unit[c]
                    if rank >= 2:
                        region = ix.cell_facility[c]
                    regions.setdefault(region, []).extend(vars_)
            for _, vars_ in sorted(regions.items()):
                if len(vars_) > 1:
                    model.add(cp_model.LinearExpr.sum(vars_) <= 1)

    model.minimize(cp_model.LinearExpr.sum(objective))

    # Start from the repaired placement.
    counts: dict[tuple[int, int, int], int] = {}
    gone_count = [0] * len(classes)
    class_index = {i: q for q, cls in enumerate(classes) for i in cls.members}
    for i, bed in enumerate(hint):
        q = class_index[i]
        if bed == UNPLACED:
            gone_count[q] += 1
        elif i in keep and bed == ix.current[i]:
            continue
        else:
            key = (q, ix.bed_cell[bed], ix.bed_kind[bed])
            counts[key] = counts.get(key, 0) + 1
    for i, var in sorted(keep.items()):
        model.add_hint(var, int(hint[i] == ix.current[i]))
    for key, var in place_vars.items():
        model.add_hint(var, counts.get(key, 0))
    for q, var in enumerate(unplaced):
        model.add_hint(var, gone_count[q])

    solver = cp_model.CpSolver()
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = max(time_limit, 0.01)
    solver.parameters.max_time_in_seconds = max(time_limit * 1.5, 0.05)
    solver.parameters.relative_gap_limit = relative_gap
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactResult(None, 0, False)
    bound = math.ceil(solver.best_objective_bound - 1e-6)

    assignment = [UNPLACED] * len(residents)
    taken = [False] * len(ix.beds)
    for i, var in sorted(keep.items()):
        if solver.value(var):
            assignment[i] = ix.current[i]
            taken[ix.current[i]] = True
    waiting = [[i for i in cls.members if assignment[i] == UNPLACED] for cls in classes]
    slot_beds = {(c, k): beds for c, kinds in enumerate(cell_kinds) for k, beds in kinds}
    for (q, c, k), var in place_vars.items():
        amount = solver.value(var)
        if amount <= 0:
            continue
        free = [bed for bed in slot_beds[(c, k)] if not taken[bed]]
        for bed in free[:amount]:
            taken[bed] = True
            assignment[waiting[q].pop(0)] = bed
    return ExactResult(assignment, bound, status == cp_model.OPTIMAL)
