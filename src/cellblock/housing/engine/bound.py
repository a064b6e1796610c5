"""A proven lower bound, and a first placement, from one min-cost flow.

Drop the rules between people (keep-separate orders, PREA pairing, single
cells, juveniles among adults) and what remains is a transportation problem:
kinds of people flow to kinds of beds, each bed takes one, a cell's crowding
price grows by 2 x COST_PER_CELLMATE per extra occupant (convex, so unit arcs
of rising cost price it exactly), and whoever finds no bed pays the unplaced
price.  Its optimum is a lower bound on any lawful placement, and it is
usually one repair away from being one.

Network: a node per kind of person (new bookings and anyone who moves) and one
per housed person (free to keep their bed, or to join their kind at the move
price) -> a node per (class of identical cells of a unit, kind of bed) -> a
node per (cell, kind of bed) -> a node per cell -> the sink through unit arcs
priced 0, 20, 40 ...  The bed kind splits a cell into e.g. its lower and upper
bunks, so a lower-bunk need is met exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]

from cellblock.housing import rules
from cellblock.housing.engine.eligibility import Index

UNPLACED = -1
# The most beds a single-celled person is counted as taking out of use.
MAX_SINGLE_UNITS = 4


@dataclass
class FlowPlan:
    lower_bound: int
    # Per resident: a bed index, or UNPLACED.
    assignment: list[int]
    # Pairs of people forced apart behind a gate.
    pairs: int = 0
    # The gated flow's own placement, when it differs: worth repairing too where
    # many pairs are forced apart.
    alternative: list[int] | None = None


def usable_kinds(ix: Index) -> list[bool]:
    """Bed kinds lawful for at least one person of the instance."""
    usable = [False] * len(ix.kinds)
    for rk in range(len(ix.rkinds)):
        for k in ix.lawful_kinds[rk]:
            usable[k] = True
    return usable


def cell_capacity(ix: Index, usable: list[bool]) -> list[int]:
    return [sum(1 for b in beds if usable[ix.bed_kind[b]]) for beds in ix.cell_beds]


def _single_units(ix: Index, cell_kinds: list[list[tuple[int, list[int]]]]) -> list[int]:
    """Per kind of person, the beds a single-celled one of them takes out of use (1 otherwise).

    It is the smallest capacity of a cell they may lawfully have, capped so that
    the common multiple of all of them stays small.
    """
    # Per bed kind, the smallest capacity of a cell holding one of them.
    smallest = [0] * len(ix.kinds)
    for kinds in cell_kinds:
        size = sum(len(bs) for _, bs in kinds)
        for k, _ in kinds:
            smallest[k] = size if not smallest[k] else min(smallest[k], size)
    units = [1] * len(ix.rkinds)
    for rk, kind in enumerate(ix.rkinds):
        if not kind.single_cell:
            continue
        sizes = [smallest[k] for k in ix.lawful_kinds[rk] if smallest[k]]
        if sizes:
            units[rk] = max(1, min(min(sizes), MAX_SINGLE_UNITS))
    return units


def _confinement(ix: Index) -> list[tuple[int, int]]:
    """Per kind of person: the one unit and the one facility all their lawful beds are in.

    -1 where their lawful beds span more than one (or there are none).
    """
    kind_units: list[set[int]] = [set() for _ in ix.kinds]
    for k, beds in enumerate(ix.kind_beds):
        kind_units[k] = {ix.cell_unit[ix.bed_cell[b]] for b in beds}
    found = []
    for rk in range(len(ix.rkinds)):
        units: set[int] = set()
        for k in ix.lawful_kinds[rk]:
            units |= kind_units[k]
            if len(units) > 1:
                break
        facilities = {ix.unit_facility[u] for u in units}
        if len(units) > 1:
            # The unit is not unique; the facility may still be.
            facilities = set()
            for k in ix.lawful_kinds[rk]:
                facilities |= {ix.unit_facility[u] for u in kind_units[k]}
                if len(facilities) > 1:
                    break
        unit = next(iter(units)) if len(units) == 1 else -1
        facility = next(iter(facilities)) if len(facilities) == 1 else -1
        found.append((unit, facility))
    return found


def _forced_pairs(ix: Index, units: list[int]) -> dict[int, int]:
    """Disjoint pairs under a keep-separate order whom the beds alone force apart.

    Both parties' lawful beds all lie in one unit (or, for a facility-wide order,
    one facility), so a lawful placement houses at most one of them.  Each person
    is in at most one pair, so counting one unplaced per pair stays a lower bound.
    """
    confined = _confinement(ix)
    forced: list[list[int]] = [[] for _ in ix.residents]
    for i in range(len(ix.residents)):
        if units[ix.res_kind[i]] != 1:
            continue
        unit_i, facility_i = confined[ix.res_kind[i]]
        if unit_i < 0 and facility_i < 0:
            continue
        for j, rank in ix.partners[i]:
            if units[ix.res_kind[j]] != 1:
                continue
            unit_j, facility_j = confined[ix.res_kind[j]]
            same_unit = rank >= 1 and unit_i >= 0 and unit_i == unit_j
            same_facility = rank >= 2 and facility_i >= 0 and facility_i == facility_j
            if same_unit or same_facility:
                forced[i].append(j)
    # A greedy matching, the least connected first: a rival group's few members kept
    # from many then each find a partner of their own, and more pairs count.
    paired: dict[int, int] = {}
    for i in sorted(range(len(ix.residents)), key=lambda p: (len(forced[p]), p)):
        if i in paired or not forced[i]:
            continue
        free = [j for j in forced[i] if j not in paired]
        if free:
            j = min(free, key=lambda p: (len(forced[p]), p))
            paired[i] = j
            paired[j] = i
    return paired


def flow_plan(ix: Index) -> FlowPlan:
    """The bound with pairs forced apart, and the placement of the plain flow.

    The gates tighten the bound, but which party of a pair they keep out is
    arbitrary to the flow; the plain flow leaves that choice to the repair, which
    keeps out the one who stands in more people's way.
    """
    gated = _flow_plan(ix, gated=True)
    if not gated.pairs:
        return gated
    plain = _flow_plan(ix, gated=False)
    return FlowPlan(
        max(gated.lower_bound, plain.lower_bound),
        plain.assignment,
        pairs=gated.pairs,
        alternative=gated.assignment,
    )


def _flow_plan(ix: Index, *, gated: bool) -> FlowPlan:
    usable = usable_kinds(ix)
    people = len(ix.residents)
    if people == 0:
        return FlowPlan(0, [])

    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    costs: list[int] = []

    def arc(tail: int, head: int, capacity: int, cost: int) -> int:
        tails.append(tail)
        heads.append(head)
        caps.append(capacity)
        costs.append(cost)
        return len(tails) - 1

    # Cells grouped into classes: same unit, same beds by kind.
    cell_kinds: list[list[tuple[int, list[int]]]] = []
    classes: dict[tuple[int, tuple[tuple[int, int], ...]], list[int]] = {}
    for c, beds in enumerate(ix.cell_beds):
        by_kind: dict[int, list[int]] = {}
        for b in beds:
            if usable[ix.bed_kind[b]]:
                by_kind.setdefault(ix.bed_kind[b], []).append(b)
        kinds = sorted(by_kind.items())
        cell_kinds.append(kinds)
        if kinds:
            signature = tuple((k, len(bs)) for k, bs in kinds)
            classes.setdefault((ix.cell_unit[c], signature), []).append(c)

    # A single-celled person is ``units[rk]`` units of flow that fill a whole cell, so
    # every price is counted in ``scale``-ths to stay whole.
    units = _single_units(ix, cell_kinds)
    scale = math.lcm(*units) if units else 1

    def share(rk: int, cost: int) -> int:
        return scale // units[rk] * cost

    def alone(rk: int) -> int:
        # What ``units[rk]`` units pay on the crowding arcs of one cell, refunded: alone
        # in their cell, a single-celled person shares with nobody.
        n = units[rk]
        return scale * rules.COST_PER_CELLMATE * (n - 1)

    paired = _forced_pairs(ix, units) if gated else {}
    nodes = 1  # 0 is the sink
    sink = 0
    kind_node = list(range(nodes, nodes + len(ix.rkinds)))
    nodes += len(ix.rkinds)
    supply: dict[int, int] = {}
    pool_size = [0] * len(ix.rkinds)
    for i in range(people):
        rk = ix.res_kind[i]
        pool_size[rk] += 1
        if not ix.housed[i] and i not in paired:
            supply[kind_node[rk]] = supply.get(kind_node[rk], 0) + units[rk]

    cell_node = list(range(nodes, nodes + len(ix.cell_beds)))
    nodes += len(ix.cell_beds)
    slot_node: dict[tuple[int, int], int] = {}
    for c, kinds in enumerate(cell_kinds):
        for k, bs in kinds:
            slot_node[(c, k)] = nodes
            nodes += 1
            arc(slot_node[(c, k)], cell_node[c], len(bs), 0)
        occupants = sum(len(bs) for _, bs in kinds)
        for extra in range(occupants):
            arc(cell_node[c], sink, 1, scale * 2 * rules.COST_PER_CELLMATE * extra)

    # Class nodes and the arcs from kinds of people into them.
    class_arcs: list[tuple[int, int, int]] = []  # (arc, resident kind, class node)
    # class node -> its bed kind and [(arc into a cell, cell)]
    class_cells: dict[int, tuple[int, list[tuple[int, int]]]] = {}
    singles = [rk for rk in range(len(ix.rkinds)) if ix.rkinds[rk].single_cell]
    # Whole cells handed to the single-celled: (arc, resident kind, node, units) and
    # per node its [(arc into a cell, cell)].
    whole_arcs: list[tuple[int, int, int, int]] = []
    whole_cells: dict[int, list[tuple[int, int]]] = {}
    for (_, signature), members in sorted(classes.items()):
        for k, count in signature:
            node = nodes
            nodes += 1
            class_cells[node] = (k, [(arc(node, slot_node[(c, k)], count, 0), c) for c in members])
            total = count * len(members)
            for rk in range(len(ix.rkinds)):
                if ix.lawful[rk][k] and not ix.rkinds[rk].single_cell:
                    class_arcs.append(
                        (arc(kind_node[rk], node, total, scale * ix.cost[rk][k]), rk, node)
                    )
        # Single-celled people take whole cells of the class, at their cheapest lawful bed.
        whole = None
        for rk in singles:
            prices = [ix.cost[rk][k] for k, _ in signature if ix.lawful[rk][k]]
            if not prices:
                continue
            if whole is None:
                whole = nodes
                nodes += 1
                size = sum(count for _, count in signature)
                whole_cells[whole] = [(arc(whole, cell_node[c], size, 0), c) for c in members]
            room = sum(count for _, count in signature) * len(members)
            a = arc(kind_node[rk], whole, room, share(rk, min(prices)) - alone(rk))
            whole_arcs.append((a, rk, whole, units[rk]))
    for rk in range(len(ix.rkinds)):
        if pool_size[rk]:
            arc(kind_node[rk], sink, pool_size[rk] * units[rk], share(rk, rules.COST_UNPLACED))

    # Housed people: keep the bed, join their kind at the move price, or go unplaced.
    keep_arc: dict[int, int] = {}
    move_arc: dict[int, int] = {}
    person_node: dict[int, int] = {}
    # A paired person -> the arc through which their pair's gate lets them in.
    gate_arc: dict[int, int] = {}
    for i in range(people):
        if not ix.housed[i]:
            continue
        node = nodes
        nodes += 1
        rk = ix.res_kind[i]
        n = units[rk]
        person_node[i] = node
        if i not in paired:
            supply[node] = n
        bed = ix.current[i]
        if bed >= 0 and ix.lawful[rk][ix.bed_kind[bed]]:
            price = ix.cost[rk][ix.bed_kind[bed]]
            if ix.rkinds[rk].single_cell:
                target = cell_node[ix.bed_cell[bed]]
                keep_arc[i] = arc(node, target, n, share(rk, price) - alone(rk))
            else:
                target = slot_node[(ix.bed_cell[bed], ix.bed_kind[bed])]
                keep_arc[i] = arc(node, target, 1, scale * price)
        move_arc[i] = arc(node, kind_node[rk], n, share(rk, rules.COST_MOVE))
        arc(node, sink, n, share(rk, rules.COST_UNPLACED))
    # Two parties of a keep-separate order who can only sleep in one and the same
    # unit (or facility, for a facility-wide order) cannot both be housed: their two
    # units of supply pass a gate of capacity one, and the other pays the unplaced price.
    done: set[int] = set()
    for i in sorted(paired):
        if i in done:
            continue
        j = paired[i]
        done.update((i, j))
        pair, gate = nodes, nodes + 1
        nodes += 2
        supply[pair] = 2
        arc(pair, sink, 2, scale * rules.COST_UNPLACED)
        arc(pair, gate, 1, 0)
        for who in (i, j):
            entry = person_node[who] if ix.housed[who] else kind_node[ix.res_kind[who]]
            gate_arc[who] = arc(gate, entry, 1, 0)
    supply[sink] = -sum(supply.values())

    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int32),
        np.array(heads, dtype=np.int32),
        np.array(caps, dtype=np.int64),
        np.array(costs, dtype=np.int64),
    )
    supplied = sorted(supply)
    solver.set_nodes_supplies(
        np.array(supplied, dtype=np.int32), np.array([supply[n] for n in supplied], dtype=np.int64)
    )
    status = solver.solve()
    if status != solver.OPTIMAL:  # pragma: no cover - every person has the unplaced arc
        raise RuntimeError(f"min-cost flow failed: {status}")
    flows = solver.flows(np.arange(len(tails), dtype=np.int32)).tolist()
    lower_bound = -(-int(solver.optimal_cost()) // scale)

    return FlowPlan(
        lower_bound,
        pairs=len(paired) // 2,
        assignment=_disaggregate(
            ix,
            cell_kinds,
            flows,
            class_arcs,
            class_cells,
            keep_arc,
            move_arc,
            (whole_arcs, whole_cells),
            gate_arc,
        ),
    )


def _disaggregate(
    ix: Index,
    cell_kinds: list[list[tuple[int, list[int]]]],
    flows: list[int],
    class_arcs: list[tuple[int, int, int]],
    class_cells: dict[int, tuple[int, list[tuple[int, int]]]],
    keep_arc: dict[int, int],
    move_arc: dict[int, int],
    wholes: tuple[list[tuple[int, int, int, int]], dict[int, list[tuple[int, int]]]],
    gate_arc: dict[int, int],
) -> list[int]:
    """Turn the flow into beds: keepers first in their own bed, then the rest slot by slot."""
    assignment = [UNPLACED] * len(ix.residents)
    taken = [False] * len(ix.beds)
    # Keepers: in their own bed; a second claimant of one bed takes another of its kind there.
    extra_keepers: dict[tuple[int, int], list[int]] = {}
    for i in sorted(keep_arc):
        if flows[keep_arc[i]] <= 0:
            continue
        bed = ix.current[i]
        if not taken[bed]:
            taken[bed] = True
            assignment[i] = bed
        else:
            extra_keepers.setdefault((ix.bed_cell[bed], ix.bed_kind[bed]), []).append(i)
    kind_beds_in_cell = {(c, k): bs for c, kinds in enumerate(cell_kinds) for k, bs in kinds}
    for (c, k), waiting in sorted(extra_keepers.items()):
        free = [b for b in kind_beds_in_cell[(c, k)] if not taken[b]]
        for i, bed in zip(waiting, free, strict=False):
            taken[bed] = True
            assignment[i] = bed

    # Each kind of person's people: new bookings, then those the flow moved.
    pools: list[list[int]] = [[] for _ in ix.rkinds]
    admitted = {i for i, a in gate_arc.items() if flows[a] > 0}
    for i in range(len(ix.residents)):
        # Of a pair forced apart, the one the gate did not let in stays out.
        if i in gate_arc and i not in admitted:
            continue
        if not ix.housed[i]:
            pools[ix.res_kind[i]].append(i)
    for i in sorted(move_arc):
        if flows[move_arc[i]] > 0:
            pools[ix.res_kind[i]].append(i)
    next_person = [0] * len(ix.rkinds)

    # The single-celled first, each into one of the whole cells the flow kept for them.
    whole_arcs, whole_cells = wholes
    for a, rk, node, units in whole_arcs:
        wanted = flows[a] // units
        # The flow may stack several on one cell when their smallest lawful cell has
        # one bed; the class's untouched cells take the rest.
        kept_cells = [c for arc_in, c in whole_cells[node] if flows[arc_in] > 0]
        kept_cells += [c for arc_in, c in whole_cells[node] if flows[arc_in] <= 0]
        for c in kept_cells:
            if wanted <= 0 or next_person[rk] >= len(pools[rk]):
                break
            if any(taken[b] for _, bs in cell_kinds[c] for b in bs):
                continue
            beds = [b for k, bs in cell_kinds[c] if ix.lawful[rk][k] for b in bs]
            if not beds:
                continue
            bed = min(beds, key=lambda b: (ix.cost[rk][ix.bed_kind[b]], b))
            i = pools[rk][next_person[rk]]
            next_person[rk] += 1
            taken[bed] = True
            assignment[i] = bed
            wanted -= 1

    # Beds each class node hands out, cell by cell, then filled kind of person by kind.
    arcs_by_node: dict[int, list[tuple[int, int]]] = {}
    for a, rk, node in class_arcs:
        if flows[a] > 0:
            arcs_by_node.setdefault(node, []).append((rk, flows[a]))
    for node, (kind, cells) in class_cells.items():
        demand = arcs_by_node.get(node)
        if not demand:
            continue
        slots: list[int] = []
        for a, c in cells:
            if flows[a] > 0:
                free = [b for b in kind_beds_in_cell[(c, kind)] if not taken[b]]
                slots.extend(free[: flows[a]])
        cursor = 0
        for rk, amount in demand:
            for _ in range(amount):
                if next_person[rk] >= len(pools[rk]) or cursor >= len(slots):
                    break
                i = pools[rk][next_person[rk]]
                next_person[rk] += 1
                taken[slots[cursor]] = True
                assignment[i] = slots[cursor]
                cursor += 1
    return assignment
