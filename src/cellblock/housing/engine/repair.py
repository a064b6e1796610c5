"""Make a placement lawful between people, at the least extra price.

The flow ignores the rules between people.  Here each person who breaks one
(keep-separate, PREA pairing, single cell, juveniles among adults) is first
swapped with someone of the same kind elsewhere, which changes nobody's price
and so keeps the flow's bound, and otherwise moved to the cheapest free
lawful bed, or left unplaced when none is left.  Every change only accepts a
bed where the person breaks no rule, so the number of people in breach only
goes down.
"""

from __future__ import annotations

from cellblock.housing import rules
from cellblock.housing.engine.eligibility import FACILITY_RANK, Index

UNPLACED = -1
RANKS = tuple(range(FACILITY_RANK + 1))
# How many people of the same kind a breach may try to swap with.
SWAP_CANDIDATES = 400
# How many lone occupants a single-celled person may try to have moved.
EJECTION_CANDIDATES = 200
# How many beds an unplaced person may try to clear by moving who stands in the way,
# and how many people may stand in the way of one bed.
CLEARING_CANDIDATES = 300
MAX_BLOCKERS = 3
# How many beds the clearing may try in all: over capacity most tries fail.
CLEARING_BUDGET = 20_000


class State:
    """Who sleeps where, with the counts the rules between people need."""

    def __init__(self, ix: Index, assignment: list[int]) -> None:
        self.ix = ix
        self.bed_of = [UNPLACED] * len(ix.residents)
        self.occupant = [UNPLACED] * len(ix.beds)
        self.cell_members: list[list[int]] = [[] for _ in ix.cell_beds]
        self.unit_juveniles = [0] * len(ix.unit_label)
        self.unit_adults = [0] * len(ix.unit_label)
        self.juvenile = [r.juvenile for r in ix.residents]
        self.single = [r.single_cell for r in ix.residents]
        self.prea = [r.prea_abuser or r.prea_victim for r in ix.residents]
        # Free beds by (bed kind, people in their cell): the cheapest free bed of a kind
        # is in the emptiest cell, so a search need not walk the taken or crowded ones.
        self.free: dict[tuple[int, int], set[int]] = {}
        for k, beds in enumerate(ix.kind_beds):
            self.free[(k, 0)] = set(beds)
        # Per bed kind, how many of its beds nobody sleeps in.
        self.free_count = [len(beds) for beds in ix.kind_beds]
        # Per bed kind, the most beds a cell holding one of them has.
        self.largest_cell = [0] * len(ix.kinds)
        for b, k in enumerate(ix.bed_kind):
            size = len(ix.cell_beds[ix.bed_cell[b]])
            self.largest_cell[k] = max(self.largest_cell[k], size)
        for i, bed in enumerate(assignment):
            if bed != UNPLACED:
                self.put(i, bed)

    def put(self, i: int, bed: int) -> None:
        ix = self.ix
        cell = ix.bed_cell[bed]
        self._unlist_free(cell)
        self.bed_of[i] = bed
        self.occupant[bed] = i
        self.free_count[ix.bed_kind[bed]] -= 1
        self.cell_members[cell].append(i)
        self._list_free(cell)
        if self.juvenile[i]:
            self.unit_juveniles[ix.cell_unit[cell]] += 1
        else:
            self.unit_adults[ix.cell_unit[cell]] += 1

    def take(self, i: int) -> None:
        ix = self.ix
        bed = self.bed_of[i]
        if bed == UNPLACED:
            return
        cell = ix.bed_cell[bed]
        self._unlist_free(cell)
        self.bed_of[i] = UNPLACED
        self.occupant[bed] = UNPLACED
        self.free_count[ix.bed_kind[bed]] += 1
        self.cell_members[cell].remove(i)
        self._list_free(cell)
        if self.juvenile[i]:
            self.unit_juveniles[ix.cell_unit[cell]] -= 1
        else:
            self.unit_adults[ix.cell_unit[cell]] -= 1

    def _unlist_free(self, cell: int) -> None:
        occupancy = len(self.cell_members[cell])
        for b in self.ix.cell_beds[cell]:
            if self.occupant[b] == UNPLACED:
                listed = self.free.get((self.ix.bed_kind[b], occupancy))
                if listed is not None:
                    listed.discard(b)

    def _list_free(self, cell: int) -> None:
        members = self.cell_members[cell]
        # Nobody may join a single-celled person: the rest of their cell is not free.
        if any(self.single[m] for m in members):
            return
        occupancy = len(members)
        for b in self.ix.cell_beds[cell]:
            if self.occupant[b] == UNPLACED:
                self.free.setdefault((self.ix.bed_kind[b], occupancy), set()).add(b)

    def company_ok(self, i: int, bed: int) -> bool:
        """Whether ``i`` in ``bed`` breaks no rule between people (``i`` itself not counted)."""
        ix = self.ix
        if self.occupant[bed] not in (UNPLACED, i):
            return False
        cell = ix.bed_cell[bed]
        mates = [m for m in self.cell_members[cell] if m != i]
        if mates and (self.single[i] or any(self.single[m] for m in mates)):
            return False
        if self.prea[i] and any(self.prea[m] and ix.prea_conflict(i, m) for m in mates):
            return False
        unit = ix.cell_unit[cell]
        if self.juvenile[i]:
            if self.unit_adults[unit] > 0:
                return False
        elif self.unit_juveniles[unit] > 0:
            return False
        for other, rank in ix.partners[i]:
            there = self.bed_of[other]
            if there != UNPLACED and ix.region(there, rank) == ix.region(bed, rank):
                return False
        return True

    def in_breach(self, i: int) -> bool:
        bed = self.bed_of[i]
        return bed != UNPLACED and not self.company_ok(i, bed)

    def crowding_delta(self, i: int, bed: int) -> int:
        """The extra crowding price of adding ``i`` to the cell of ``bed``."""
        cell = self.ix.bed_cell[bed]
        others = len(self.cell_members[cell])
        mine = self.bed_of[i]
        if mine != UNPLACED and self.ix.bed_cell[mine] == cell:
            others -= 1
        return 2 * rules.COST_PER_CELLMATE * others

    def leave_saving(self, i: int) -> int:
        """What taking ``i`` out of their bed saves (their price and the crowding they add)."""
        bed = self.bed_of[i]
        if bed == UNPLACED:
            return rules.COST_UNPLACED
        return self.ix.place_cost(i, bed) + self.crowding_delta(i, bed)

    def objective(self) -> int:
        """The engine's own account of the objective (the rule book's is the final word)."""
        ix = self.ix
        total = 0
        for i, bed in enumerate(self.bed_of):
            total += rules.COST_UNPLACED if bed == UNPLACED else ix.place_cost(i, bed)
        for members in self.cell_members:
            n = len(members)
            total += rules.COST_PER_CELLMATE * n * (n - 1)
        return total

    def assignment(self) -> list[int]:
        return list(self.bed_of)


def _best_free_bed(state: State, i: int) -> tuple[int, int]:
    """The cheapest free bed lawful for ``i`` in every respect: (price, bed) or (unplaced, -1)."""
    ix = state.ix
    best = (rules.COST_UNPLACED, UNPLACED)
    rk = ix.res_kind[i]
    mine = state.bed_of[i]
    # Their own bed, when free, is the one bed of its kind without the move price.
    own = ix.current[i]
    if own >= 0 and state.occupant[own] == UNPLACED and ix.lawful_at(i, own):
        price = ix.place_cost(i, own) + state.crowding_delta(i, own)
        if price < best[0] and state.company_ok(i, own):
            best = (price, own)
    move = rules.COST_MOVE if ix.housed[i] else 0
    # Where the keep-separate partners already are, by scope: beds there are skipped
    # before the full check, which matters for members of large rival groups.
    barred: set[tuple[int, int]] = set()
    for other, rank in ix.partners[i]:
        there = state.bed_of[other]
        if there != UNPLACED:
            barred.add((rank, ix.region(there, rank)))
    for k in ix.lawful_kinds[rk]:
        base = ix.cost[rk][k] + move
        if base >= best[0]:
            break
        if not state.free_count[k]:
            continue
        # A single-celled person needs an empty cell.
        for occupancy in range(1 if state.single[i] else state.largest_cell[k]):
            # ``i`` may be one of the occupants already, hence one cellmate fewer at best.
            if base + 2 * rules.COST_PER_CELLMATE * max(occupancy - 1, 0) >= best[0]:
                break
            free = state.free.get((k, occupancy))
            if not free:
                continue
            # Set order is fixed by the same puts and takes, so the choice is deterministic.
            for bed in free:
                if bed in (own, mine):
                    continue
                if barred and any((rank, ix.region(bed, rank)) in barred for rank in RANKS):
                    continue
                price = ix.place_cost(i, bed) + state.crowding_delta(i, bed)
                if price < best[0] and state.company_ok(i, bed):
                    best = (price, bed)
                    break
    return best


def _cached_free_bed(state: State, i: int, failed: set[tuple[int, int]]) -> int:
    """``_best_free_bed`` for someone being moved aside, remembering who found none.

    Within one search the placement changes only around the bed being cleared, so
    a person of the same kind and own bed with no keep-separate order would find
    none either: skipping them keeps the search short, and never makes it unlawful.
    """
    ix = state.ix
    key = (ix.res_kind[i], ix.current[i])
    plain = not ix.partners[i]
    if plain and key in failed:
        return UNPLACED
    _, bed = _best_free_bed(state, i)
    if bed == UNPLACED and plain:
        failed.add(key)
    return bed


def _best_swap(state: State, i: int, same_kind: list[int]) -> tuple[int, int]:
    """The cheapest swap of ``i`` with a lawful person of the same kind: (extra price, other)."""
    ix = state.ix
    mine = state.bed_of[i]
    best = (rules.COST_UNPLACED, UNPLACED)
    tried = 0
    for j in same_kind:
        theirs = state.bed_of[j]
        if j == i or theirs == UNPLACED or ix.bed_cell[theirs] == ix.bed_cell[mine]:
            continue
        tried += 1
        if tried > SWAP_CANDIDATES:
            break
        before = ix.place_cost(i, mine) + ix.place_cost(j, theirs)
        after = ix.place_cost(i, theirs) + ix.place_cost(j, mine)
        extra = after - before
        if extra >= best[0]:
            continue
        state.take(i)
        state.take(j)
        state.put(i, theirs)
        ok = state.company_ok(j, mine)
        if ok:
            state.put(j, mine)
            ok = state.company_ok(i, theirs)
            state.take(j)
        state.take(i)
        state.put(i, mine)
        state.put(j, theirs)
        if ok:
            best = (extra, j)
            if extra <= 0:
                break
    return best


def repair(state: State) -> None:
    """Clear every breach of a rule between people, cheapest remedy first."""
    ix = state.ix
    # The flow kept whole cells free for the single-celled: give them those first.
    fill_unplaced(state, only_single=True)
    by_kind: list[list[int]] = [[] for _ in ix.rkinds]
    for i in range(len(ix.residents)):
        by_kind[ix.res_kind[i]].append(i)
    breaches = [i for i in range(len(ix.residents)) if state.in_breach(i)]
    # Those who keep their own bed are moved last: moving them costs a move.
    breaches.sort(key=lambda i: (state.bed_of[i] == ix.current[i], i))
    for i in breaches:
        if not state.in_breach(i):
            continue
        mine = state.bed_of[i]
        saving = state.leave_saving(i)
        swap_extra, other = _best_swap(state, i, by_kind[ix.res_kind[i]])
        state.take(i)
        price, bed = _best_free_bed(state, i)
        move_extra = price - saving
        unplace_extra = rules.COST_UNPLACED - saving
        if other != UNPLACED and swap_extra <= min(move_extra, unplace_extra):
            theirs = state.bed_of[other]
            state.take(other)
            state.put(i, theirs)
            state.put(other, mine)
        elif bed != UNPLACED:
            state.put(i, bed)
    fill_unplaced(state)
    clear_for_unplaced(state)


def _blockers(state: State, i: int, bed: int) -> list[int] | None:
    """Who would have to leave for ``i`` to sleep lawfully in ``bed``.

    None when juveniles and adults would meet in the unit: clearing a whole unit
    of the other age group is never worth trying here.
    """
    ix = state.ix
    cell = ix.bed_cell[bed]
    unit = ix.cell_unit[cell]
    if (state.unit_adults if state.juvenile[i] else state.unit_juveniles)[unit] > 0:
        return None
    found: list[int] = []
    occupant = state.occupant[bed]
    if occupant != UNPLACED:
        found.append(occupant)
    for m in state.cell_members[cell]:
        if m == occupant:
            continue
        alone = state.single[i] or state.single[m]
        if alone or (state.prea[i] and state.prea[m] and ix.prea_conflict(i, m)):
            found.append(m)
    for other, rank in ix.partners[i]:
        there = state.bed_of[other]
        if there != UNPLACED and ix.region(there, rank) == ix.region(bed, rank):
            found.append(other)
    return sorted(set(found))


def _clear_bed_for(state: State, i: int, budget: list[int]) -> bool:
    """House unplaced ``i`` by moving the few who stand in the way of one bed elsewhere.

    Each of them must find a free bed where they break no rule, so the result is
    lawful; a move costs far less than leaving someone out, so any success pays.
    """
    ix = state.ix
    tried = 0
    failed: set[tuple[int, int]] = set()
    for k in ix.lawful_kinds[ix.res_kind[i]]:
        for bed in ix.kind_beds[k]:
            blockers = _blockers(state, i, bed)
            if not blockers or len(blockers) > MAX_BLOCKERS:
                continue
            tried += 1
            budget[0] -= 1
            if tried > CLEARING_CANDIDATES or budget[0] <= 0:
                return False
            before = [state.bed_of[b] for b in blockers]
            for b in blockers:
                state.take(b)
            if state.company_ok(i, bed):
                state.put(i, bed)
                moved: list[int] = []
                for b in blockers:
                    elsewhere = _cached_free_bed(state, b, failed)
                    if elsewhere == UNPLACED:
                        break
                    state.put(b, elsewhere)
                    moved.append(b)
                if len(moved) == len(blockers):
                    return True
                for b in moved:
                    state.take(b)
                state.take(i)
            for b, bed_before in zip(blockers, before, strict=True):
                state.put(b, bed_before)
    return False


def clear_for_unplaced(state: State) -> None:
    """Try to house each person still unplaced by clearing a bed for them.

    Over capacity many of the unplaced are alike: once one person of a kind,
    with no keep-separate order, found no bed to clear, the next of that kind
    is not tried (the placement around them has not changed).
    """
    ix = state.ix
    hopeless: set[int] = set()
    budget = [CLEARING_BUDGET]
    for i in range(len(ix.residents)):
        if budget[0] <= 0:
            return
        if state.bed_of[i] != UNPLACED:
            continue
        plain = not ix.partners[i] and not ix.housed[i]
        if plain and ix.res_kind[i] in hopeless:
            continue
        if _clear_bed_for(state, i, budget):
            hopeless.clear()
        elif plain:
            hopeless.add(ix.res_kind[i])


def fill_unplaced(state: State, *, only_single: bool = False) -> None:
    """Give each unplaced person the cheapest lawful bed still free, if any.

    A single-celled person who finds no empty cell may still get one by moving
    a lone occupant elsewhere: a move costs far less than leaving someone out.
    """
    for i in range(len(state.ix.residents)):
        if only_single and not state.single[i]:
            continue
        if state.bed_of[i] == UNPLACED:
            _, bed = _best_free_bed(state, i)
            if bed != UNPLACED:
                state.put(i, bed)
            elif state.single[i]:
                _empty_a_cell_for(state, i)


def _empty_a_cell_for(state: State, i: int) -> None:
    """Move the lone occupant of a cell lawful for ``i`` to a free bed elsewhere; house ``i``."""
    ix = state.ix
    tried = 0
    failed: set[tuple[int, int]] = set()
    for k in ix.lawful_kinds[ix.res_kind[i]]:
        for bed in ix.kind_beds[k]:
            members = state.cell_members[ix.bed_cell[bed]]
            if state.occupant[bed] != UNPLACED or len(members) != 1:
                continue
            tried += 1
            if tried > EJECTION_CANDIDATES:
                return
            lone = members[0]
            before = state.bed_of[lone]
            state.take(lone)
            if state.company_ok(i, bed):
                state.put(i, bed)
                elsewhere = _cached_free_bed(state, lone, failed)
                if elsewhere != UNPLACED:
                    state.put(lone, elsewhere)
                    return
                state.take(i)
            state.put(lone, before)
