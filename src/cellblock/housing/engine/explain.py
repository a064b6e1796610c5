"""Why each person got their bed, which beds lost and why, and why nobody got one.

Explanations are built per kind of person and kind of bed wherever possible
(the lawful kinds and their prices are already known), so explaining a whole
population costs a few rule-book calls per person, not one per bed.
"""

from __future__ import annotations

from dataclasses import replace

from cellblock.housing import rules
from cellblock.housing.engine.check import Judge
from cellblock.housing.engine.eligibility import Index
from cellblock.housing.engine.model import Alternative, Explanation
from cellblock.housing.engine.repair import UNPLACED, State

# Stands for a person's name in a message worded once for their whole kind.
LABEL_MARK = "\x00"

# What a failed person-and-bed rule asks for, in a few words.
REQUIREMENT_WORDS = {
    rules.OUT_OF_SERVICE: "a bed in service",
    rules.SEX_MISMATCH: "the unit's sex",
    rules.JUVENILE_IN_ADULT_UNIT: "a juvenile unit",
    rules.ADULT_IN_JUVENILE_UNIT: "an adult unit",
    rules.CUSTODY_ABOVE_RATING: "the custody rating",
    rules.RESTRICTIVE_HOUSING_REQUIRED: "restrictive housing",
    rules.RESTRICTIVE_HOUSING_UNAUTHORISED: "a unit that is not restrictive housing",
}


def requirement(violation: rules.Violation) -> str:
    """The requirement a hard violation says is unmet: "containment chakra-suppression" ..."""
    tail = violation.subject.split(":", 1)[1] if ":" in violation.subject else ""
    if violation.code == rules.CONTAINMENT_MISSING:
        return f"containment {tail}"
    if violation.code == rules.CARE_NEED_UNMET:
        return tail
    return REQUIREMENT_WORDS.get(violation.code, violation.code.replace("_", " "))


def _needs(resident: rules.Resident) -> str:
    parts = ["sex", "age group", "custody rating"]
    parts.extend(f"containment {tag}" for tag in sorted(resident.containment))
    parts.extend(
        need for need in sorted(resident.care_needs) if need not in rules.NEAR_MEDICAL_NEEDS
    )
    if resident.restrictive_housing:
        parts.append("restrictive housing")
    return ", ".join(parts)


class Explainer:
    def __init__(self, ix: Index, state: State, judge: Judge, alternatives: int) -> None:
        self.ix = ix
        self.state = state
        self.judge = judge
        self.alternatives = alternatives
        # Per (unit, bed kind): the free bed in the emptiest cell, and how many are free.
        groups: dict[tuple[int, int], list[int]] = {}
        for b in range(len(ix.beds)):
            groups.setdefault((ix.cell_unit[ix.bed_cell[b]], ix.bed_kind[b]), []).append(b)
        self.group_free: dict[tuple[int, int], tuple[int, int]] = {}
        for key, beds in groups.items():
            free = [b for b in beds if state.occupant[b] == UNPLACED]
            if free:
                best = min(free, key=lambda b: (len(state.cell_members[ix.bed_cell[b]]), b))
                self.group_free[key] = (best, len(free))
        self.lawful_groups: dict[int, list[tuple[int, tuple[int, int], int]]] = {}
        self.misses: dict[int, list[int]] = {}
        self.miss_words: dict[tuple[int, int], tuple[str, ...]] = {}

    def _lawful_groups(self, rk: int) -> list[tuple[int, tuple[int, int], int]]:
        """Free lawful beds for a kind of person, one per unit and bed kind, cheapest first."""
        if rk not in self.lawful_groups:
            ix, state = self.ix, self.state
            found = []
            lawful = ix.lawful[rk]
            for key, (bed, _) in self.group_free.items():
                if lawful[key[1]]:
                    crowd = 2 * rules.COST_PER_CELLMATE * len(state.cell_members[ix.bed_cell[bed]])
                    found.append((ix.cost[rk][key[1]] + crowd, key, bed))
            found.sort()
            self.lawful_groups[rk] = found[: self.alternatives + 1]
        return self.lawful_groups[rk]

    def _misses(self, rk: int) -> list[int]:
        """A sample bed of each kind a hard rule closes to this kind of person, nearest first."""
        if rk not in self.misses:
            ix = self.ix
            ranked = []
            for k, beds in enumerate(ix.kind_beds):
                if beds and not ix.lawful[rk][k]:
                    ranked.append((ix.hard_count[rk][k], k, beds[0]))
            ranked.sort()
            self.misses[rk] = [bed for _, _, bed in ranked[: self.alternatives]]
        return self.misses[rk]

    def placed(self, i: int, violations: list[rules.Violation]) -> Explanation:
        ix, state = self.ix, self.state
        resident = ix.residents[i]
        bed = state.bed_of[i]
        place = ix.beds[bed]
        cost = rules.price(violations)
        reasons: list[str] = []
        soft = {v.code: v for v in violations if not v.hard}
        if resident.current_bed and place.bed == resident.current_bed:
            reasons.append("keeps the bed they sleep in now")
        elif rules.MOVE in soft:
            reasons.append(f"moves from the bed they sleep in now (price {rules.COST_MOVE})")
        reasons.extend(f"has working {tag}, as required" for tag in sorted(resident.containment))
        if rules.NEED_LOWER_BUNK in resident.care_needs:
            reasons.append("a lower bunk, as needed")
        if rules.NEED_WHEELCHAIR in resident.care_needs:
            reasons.append("a wheelchair-accessible cell, as needed")
        if resident.restrictive_housing:
            reasons.append("a restrictive housing unit, as authorised")
        if resident.juvenile:
            reasons.append(f"{place.unit_label} holds no adults")
        if place.sex_served != rules.ANY:
            reasons.append(f"{place.unit_label} houses {place.sex_served} people")
        level = resident.custody_level or rules.UNASSESSED_LEVEL
        reasons.append(f"{place.unit_label} is rated {place.security_rating} for {level} custody")
        partners = ix.partners[i]
        if partners:
            reasons.append(f"apart from the {len(partners)} under keep-separate orders with them")
        crowding = soft.get(rules.CROWDING)
        if crowding is not None:
            mates = crowding.cost // rules.COST_PER_CELLMATE
            reasons.append(f"shares with {mates} (price {crowding.cost})")
        elif resident.single_cell:
            reasons.append("a cell to themselves, as required")
        else:
            reasons.append("has the cell to themselves")
        distance = soft.get(rules.MEDICAL_DISTANCE)
        if distance is not None:
            reasons.append(f"{place.minutes_to_medical} min from medical (price {distance.cost})")
        elif resident.care_needs & rules.NEAR_MEDICAL_NEEDS:
            reasons.append("next to medical, as needed")
        return Explanation(
            person=resident.key,
            bed=place.bed,
            cost=cost,
            reasons=tuple(reasons),
            alternatives=self._alternatives(i, bed),
        )

    def _alternatives(self, i: int, bed: int | None) -> tuple[Alternative, ...]:
        if self.alternatives <= 0:
            return ()
        ix, state = self.ix, self.state
        rk = ix.res_kind[i]
        resident = ix.residents[i]
        own_group = None
        here = 0
        if bed is not None and bed != UNPLACED:
            own_group = (ix.cell_unit[ix.bed_cell[bed]], ix.bed_kind[bed])
            here = ix.place_cost(i, bed) + state.crowding_delta(i, bed)
        lawful_room = self.alternatives - (1 if self._misses(rk) else 0)
        found: list[Alternative] = []
        for _, key, alt in self._lawful_groups(rk):
            if len(found) >= lawful_room:
                break
            if key == own_group:
                continue
            there = ix.place_cost(i, alt) + state.crowding_delta(i, alt)
            if not state.company_ok(i, alt):
                why = tuple(
                    v.message
                    for v in rules.company_violations(
                        resident, ix.beds[alt],
                        housed=self.judge.company(state, i, alt),
                        separations=self.judge.orders[i],
                    )
                    if v.hard
                )  # fmt: skip
            elif bed is None:
                why = (f"costs {there}",)
            else:
                why = (f"costs {there} in all against {here} here",)
            found.append(Alternative(bed=ix.beds[alt].bed, cost=there, why_not=why))
        # Beds a hard rule closes to them: the nearest misses (fewest rules broken) first.
        for sample in self._misses(rk)[: self.alternatives - len(found)]:
            why = tuple(
                message.replace(LABEL_MARK, resident.label)
                for message in self._miss_why(rk, sample)
            )
            found.append(Alternative(bed=ix.beds[sample].bed, cost=None, why_not=why))
        return tuple(found)

    def _miss_why(self, rk: int, sample: int) -> tuple[str, ...]:
        """The hard rules closing ``sample`` to a kind of person, worded with a mark for a name.

        The person-and-bed rules depend only on the kind of person, so they are asked
        once per kind and bed, and each person's name goes in where the mark stands.
        """
        key = (rk, sample)
        if key not in self.miss_words:
            someone = replace(self.ix.rkinds[rk], label=LABEL_MARK)
            self.miss_words[key] = tuple(
                v.message for v in rules.place_violations(someone, self.ix.beds[sample]) if v.hard
            )
        return self.miss_words[key]

    def unplaced_reason(self, i: int, forced: list[rules.Violation] | None) -> str:
        ix, state = self.ix, self.state
        resident = ix.residents[i]
        rk = ix.res_kind[i]
        if forced:
            return "No lawful bed left: " + " ".join(v.message for v in forced)
        lawful_beds = [b for k in ix.lawful_kinds[rk] for b in ix.kind_beds[k]]
        if not lawful_beds:
            if not ix.beds:
                return "No bed in the instance."
            unmet: list[set[str]] = []
            for k in range(len(ix.kinds)):
                if ix.kind_beds[k]:
                    found = rules.place_violations(ix.rkinds[rk], ix.kinds[k])
                    unmet.append({requirement(v) for v in found if v.hard})
            common = set.intersection(*unmet) if unmet else set()
            if common:
                return "No bed in the instance meets: " + ", ".join(sorted(common)) + "."
            every = set.union(*unmet)
            return "No bed in the instance meets all of: " + ", ".join(sorted(every)) + "."
        free = [b for b in lawful_beds if state.occupant[b] == UNPLACED]
        needs = _needs(resident)
        if not free:
            return f"No lawful bed left: {len(lawful_beds)} beds meet {needs}, all taken."
        sample = min(free)
        why = [
            v.message
            for v in rules.company_violations(
                resident, ix.beds[sample],
                housed=self.judge.company(state, i, sample),
                separations=self.judge.orders[i],
            )
            if v.hard
        ]  # fmt: skip
        return (
            f"No lawful bed left: {len(lawful_beds)} beds meet {needs}; the {len(free)} still free "
            "would break a rule between people, e.g. " + (why[0] if why else "a pair rule") + ""
        )

    def unplaced(self, i: int, reason: str) -> Explanation:
        return Explanation(
            person=self.ix.residents[i].key,
            bed=None,
            cost=rules.COST_UNPLACED,
            reasons=(),
            alternatives=self._alternatives(i, None),
            unplaced_reason=reason,
        )
