"""The solver entry point: bound, place, repair, prove, check, explain.

1. Kinds of people and beds are judged once per pair by the rule book
   (``eligibility``).
2. A min-cost flow over those kinds gives a proven lower bound and a first
   placement that ignores the rules between people (``bound``).
3. Breaches of those rules are repaired by swaps that keep the price, or by
   the cheapest lawful move (``repair``).
4. When the instance is small enough, CP-SAT solves the exact model from that
   start and proves its optimum, or a bound (``exact``).
5. The rule book judges every final placement; nobody leaves in breach of a
   hard rule (``check``), and everyone gets an explanation (``explain``).
"""

from __future__ import annotations

import time

from cellblock.housing import rules
from cellblock.housing.engine.bound import flow_plan
from cellblock.housing.engine.check import Judge, enforce
from cellblock.housing.engine.eligibility import build_index
from cellblock.housing.engine.exact import model_size, solve_exact
from cellblock.housing.engine.explain import Explainer
from cellblock.housing.engine.model import Explanation, Instance, Options, Solution
from cellblock.housing.engine.repair import UNPLACED, State, repair

# The exact model is tried when it has at most this many placement variables.
EXACT_LIMIT = 40_000
# The most people for whom a second placement is repaired (see ``flow_plan``).
SECOND_REPAIR_LIMIT = 5_000
# Share of the time limit kept for checking and explaining.
RESERVE = 0.15


def _report(options: Options, stage: str, fraction: float) -> None:
    if options.progress is not None:
        options.progress(stage, fraction)


def solve(instance: Instance, options: Options | None = None) -> Solution:
    options = options or Options()
    started = time.perf_counter()

    def elapsed() -> float:
        return time.perf_counter() - started

    _report(options, "bound", 0.0)
    ix = build_index(instance)
    plan = flow_plan(ix)
    lower_bound = plan.lower_bound
    seconds_bound = elapsed()

    _report(options, "repair", 0.2)
    state = State(ix, plan.assignment)
    repair(state)
    objective = state.objective()
    if plan.alternative is not None and len(ix.residents) <= SECOND_REPAIR_LIMIT:
        # Which party of a forced pair stays out changes what the repair can do:
        # on instances small enough, repair the gated flow's placement too.
        other = State(ix, plan.alternative)
        repair(other)
        if other.objective() < objective:
            state = other
            objective = other.objective()
    seconds_first = elapsed()

    search_left = options.time_limit * (1 - RESERVE) - elapsed()
    exact_ran = False
    if objective > lower_bound and search_left > 0 and model_size(ix) <= EXACT_LIMIT:
        _report(options, "search", 0.3)
        exact_ran = True
        result = solve_exact(
            ix,
            state.assignment(),
            seed=options.seed,
            time_limit=search_left,
            relative_gap=options.relative_gap,
        )
        lower_bound = max(lower_bound, result.bound)
        if result.assignment is not None:
            candidate = State(ix, result.assignment)
            if candidate.objective() < objective and not any(
                candidate.in_breach(i) for i in range(len(ix.residents))
            ):
                state = candidate
                objective = candidate.objective()

    _report(options, "check", 0.85)
    judge = Judge(ix, instance.separations)
    verdicts, forced = enforce(state, judge)

    _report(options, "explain", 0.9)
    explainer = Explainer(ix, state, judge, options.alternatives)
    assignment: dict[str, str] = {}
    unplaced: dict[str, str] = {}
    explanations: dict[str, Explanation] = {}
    total = 0
    moves = 0
    for i, resident in enumerate(ix.residents):
        bed = state.bed_of[i]
        if bed == UNPLACED:
            reason = explainer.unplaced_reason(i, forced.get(i))
            unplaced[resident.key] = reason
            explanations[resident.key] = explainer.unplaced(i, reason)
            total += rules.COST_UNPLACED
            continue
        place = ix.beds[bed]
        assignment[resident.key] = place.bed
        total += rules.price(verdicts[i])
        if resident.current_bed and resident.current_bed != place.bed:
            moves += 1
        explanations[resident.key] = explainer.placed(i, verdicts[i])

    gap = (total - lower_bound) / max(total, 1) if total > lower_bound else 0.0
    status = "optimal" if total <= lower_bound else "feasible"
    seconds = elapsed()
    _report(options, "done", 1.0)
    return Solution(
        assignment=assignment,
        unplaced=unplaced,
        explanations=explanations,
        objective=total,
        lower_bound=lower_bound,
        gap=gap,
        status=status,
        seconds=seconds,
        stats={
            "people": len(ix.residents),
            "beds": len(ix.beds),
            "moves": moves,
            "unplaced": len(unplaced),
            "kinds_of_people": len(ix.rkinds),
            "kinds_of_beds": len(ix.kinds),
            "exact_model": int(exact_ran),
            "seconds_bound": round(seconds_bound, 4),
            "seconds_first_solution": round(seconds_first, 4),
            "seconds_total": round(seconds, 4),
        },
    )
