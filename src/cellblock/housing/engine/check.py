"""The last word on a placement: the rule book itself, asked about every person.

The engine's own bookkeeping decides quickly; this asks
``rules.placement_violations`` for each person with exactly the company the
rules look at (cellmates, unit mates of the other age group, the other parties
of their keep-separate orders), so the answer is the rule book's at a fraction
of the cost of handing it the whole population each time.  Anyone it still
finds in breach of a hard rule is left unplaced: the engine never proposes an
unlawful bed.
"""

from __future__ import annotations

from collections.abc import Sequence

from cellblock.housing import rules
from cellblock.housing.engine.eligibility import Index
from cellblock.housing.engine.repair import UNPLACED, State


class Judge:
    def __init__(self, ix: Index, separations: Sequence[rules.Separation]) -> None:
        self.ix = ix
        self.unit_cells: list[list[int]] = [[] for _ in ix.unit_label]
        for c, u in enumerate(ix.cell_unit):
            self.unit_cells[u].append(c)
        by_person: dict[str, list[rules.Separation]] = {}
        by_group: dict[str, list[rules.Separation]] = {}
        for order in sorted(separations, key=lambda s: s.key):
            by_person.setdefault(order.person, []).append(order)
            if order.other_person is not None:
                by_person.setdefault(order.other_person, []).append(order)
            if order.group is not None:
                by_group.setdefault(order.group, []).append(order)
        self.orders: list[list[rules.Separation]] = []
        for resident in ix.residents:
            found = {o.key: o for o in by_person.get(resident.person, [])}
            for group in sorted(resident.groups):
                found.update({o.key: o for o in by_group.get(group, [])})
            self.orders.append([found[key] for key in sorted(found)])

    def company(self, state: State, i: int, bed: int) -> list[tuple[rules.Resident, rules.Place]]:
        """Everyone the rules between people need to judge ``i`` in ``bed``."""
        ix = self.ix
        cell = ix.bed_cell[bed]
        unit = ix.cell_unit[cell]
        chosen = [m for m in state.cell_members[cell] if m != i]
        young = ix.residents[i].juvenile
        if (state.unit_adults if young else state.unit_juveniles)[unit] > 0:
            for c in self.unit_cells[unit]:
                if c == cell:
                    continue
                chosen.extend(m for m in state.cell_members[c] if state.juvenile[m] != young)
        chosen.extend(other for other, _ in ix.partners[i] if state.bed_of[other] != UNPLACED)
        seen: set[int] = set()
        company = []
        for m in chosen:
            if m not in seen and m != i:
                seen.add(m)
                company.append((ix.residents[m], ix.beds[state.bed_of[m]]))
        return company

    def verdict(self, state: State, i: int, bed: int) -> list[rules.Violation]:
        ix = self.ix
        return rules.placement_violations(
            ix.residents[i],
            ix.beds[bed],
            housed=self.company(state, i, bed),
            separations=self.orders[i],
        )


def enforce(
    state: State, judge: Judge
) -> tuple[dict[int, list[rules.Violation]], dict[int, list[rules.Violation]]]:
    """Judge everyone by the rule book; unplace anyone in breach until nobody is.

    Returns each placed person's violations (all soft), and for anyone it had to
    unplace, the hard violations that forced it.
    """
    ix = state.ix
    verdicts: dict[int, list[rules.Violation]] = {}
    forced: dict[int, list[rules.Violation]] = {}
    while True:
        verdicts = {}
        culprit = UNPLACED
        for i in range(len(ix.residents)):
            if state.bed_of[i] == UNPLACED:
                continue
            found = judge.verdict(state, i, state.bed_of[i])
            verdicts[i] = found
            if not rules.is_lawful(found):
                culprit = i
                break
        if culprit == UNPLACED:
            return verdicts, forced
        # One at a time: the other side of a broken pair rule is usually lawful once this one goes.
        forced[culprit] = [v for v in verdicts[culprit] if v.hard]
        state.take(culprit)
