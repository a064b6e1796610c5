"""Run the housing benchmark: our engine, HiGHS and greedy first fit on the same instances.

``python -m bench housing [--families S,M,L,XL] [--scenarios cold_start,daily]
[--seed 1] [--solvers engine,highs,greedy]``.  Each solver runs in a child
process of its own (memory is measured per process; HiGHS never shares a
process with OR-Tools).  Every answer is judged by the independent checker:
hard violations, unplaced people and the objective are the checker's, never
the solver's own word.  The default run (every family and scenario, XXL as a
cold start for the engine and greedy only) writes ``bench/results/housing.json``
and the table in bench/README.md; a narrower run writes
``bench/results/housing-partial.json`` and leaves the README alone.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.housing import checker, mip_highs

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
README = ROOT / "bench" / "README.md"
FAMILIES = ("S", "M", "L", "XL")
SOLVERS = ("engine", "highs", "greedy")
SCENARIOS = ("cold_start", "daily", "closure", "over_capacity", "dense")


# DESIGN.md "Performance targets": the engine's time limit and what it must reach.
TARGETS: dict[str, dict[str, Any]] = {
    "S": {"seconds": 0.1, "gap": 0.0, "text": "proven optimal < 0.1 s"},
    "M": {"seconds": 1.0, "gap": 0.0, "text": "proven optimal < 1 s"},
    "L": {"seconds": 10.0, "gap": 0.005, "text": "within 0.5 % in 10 s"},
    "XL": {"seconds": 30.0, "gap": 0.01, "memory_mb": 4096, "text": "within 1 % in 30 s, 4 GB"},
    "XL daily": {"seconds": 10.0, "gap": 0.001, "text": "within 0.1 % in 10 s"},
    "XXL": {"seconds": 60.0, "gap": None, "text": "stress run, no target"},
}
# HiGHS's time limit per family, and the scenarios it runs at XL (the whole run must
# fit in about 20 minutes on two cores); it does not run at XXL.
HIGHS_SECONDS = {"S": 20.0, "M": 30.0, "L": 60.0, "XL": 120.0}
HIGHS_XL_SCENARIOS = ("cold_start",)
# How long a child may run: five times its time limit, plus a minute for loading.
CHILD_SECONDS_FACTOR = 5
CHILD_SECONDS_SLACK = 60.0


def target_for(family: str, scenario: str) -> dict[str, Any]:
    if family == "XL" and scenario == "daily":
        return TARGETS["XL daily"]
    return TARGETS[family]


# --- Children ---------------------------------------------------------------------


def _child(
    solver: str, source: Path, answer: Path, time_limit: float, gap: float, seed: int
) -> None:
    """Run one solver on the pickled instance and write its answer as JSON."""
    if solver == "engine":
        from cellblock.housing.engine import Options, solve

        with source.open("rb") as stream:
            instance = pickle.load(stream)  # noqa: S301 - written by our parent
        events: list[tuple[float, str, float]] = []
        started = time.perf_counter()

        def progress(stage: str, fraction: float) -> None:
            events.append((time.perf_counter() - started, stage, fraction))

        options = Options(seed=seed, time_limit=time_limit, relative_gap=gap, progress=progress)
        solution = solve(instance, options)
        wall = time.perf_counter() - started
        result = {
            "assignment": dict(solution.assignment),
            "unplaced": list(solution.unplaced),
            "unplaced_reasons": sum(1 for reason in solution.unplaced.values() if reason),
            "explained": len(solution.explanations),
            "claimed_objective": solution.objective,
            "bound": solution.lower_bound,
            "claimed_gap": solution.gap,
            "status": solution.status,
            "engine_seconds": solution.seconds,
            "seconds": wall,
            "stats": {key: value for key, value in solution.stats.items()},
            "progress": events[-50:],
        }
    else:
        from bench.housing.greedy import first_fit

        beds, people, orders = mip_highs.read_instance(source)
        started = time.perf_counter()
        plain = _Plain(beds, people, orders)
        found = first_fit(plain)
        wall = time.perf_counter() - started
        result = {
            "assignment": found.assignment,
            "unplaced": found.unplaced,
            "kept": found.kept,
            "seconds": wall,
        }
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    answer.write_text(json.dumps(result))


class _Plain:
    """The instance as the greedy child reads it: plain records with the same attributes."""

    def __init__(self, places: list[Any], residents: list[Any], separations: list[Any]) -> None:
        self.places = places
        self.residents = residents
        self.separations = separations


def _run_child(
    solver: str, tmp: Path, *, time_limit: float = 0.0, gap: float = 0.0, seed: int = 1
) -> dict[str, Any]:
    source = tmp / ("instance.pickle" if solver == "engine" else "plain.pickle")
    answer = tmp / f"{solver}.json"
    started = time.perf_counter()
    command = [
        sys.executable, "-m", "bench.housing.run", "--child", solver, str(source), str(answer),
        "--time-limit", str(time_limit), "--gap", str(gap), "--seed", str(seed),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
    # A solver far past its time limit is stopped, so one run cannot hold up the rest.
    allowed = CHILD_SECONDS_FACTOR * time_limit + CHILD_SECONDS_SLACK
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=allowed
        )
    except subprocess.TimeoutExpired:
        return {"error": [f"no answer in {allowed:.0f} s (time limit {time_limit:g} s)"]}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-5:] or [f"exit {done.returncode}"]}
    result: dict[str, Any] = json.loads(answer.read_text())
    result["process_seconds"] = time.perf_counter() - started
    return result


# --- One instance -----------------------------------------------------------------


def run_instance(family: str, scenario: str, seed: int, solvers: tuple[str, ...]) -> dict[str, Any]:
    # Imported here: the greedy child needs neither the generator nor the engine it loads.
    from bench.housing import generate

    started = time.perf_counter()
    instance = generate.instance(family, scenario, seed)
    row: dict[str, Any] = {
        "family": family,
        "scenario": scenario,
        "seed": seed,
        "beds": len(instance.places),
        "beds_in_service": sum(1 for place in instance.places if not place.out_of_service),
        "people": len(instance.residents),
        "housed_before": sum(1 for resident in instance.residents if resident.current_bed),
        "orders": len(instance.separations),
        "generate_seconds": round(time.perf_counter() - started, 2),
        "solvers": {},
    }
    target = target_for(family, scenario)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        with (tmp / "instance.pickle").open("wb") as stream:
            pickle.dump(instance, stream, protocol=pickle.HIGHEST_PROTOCOL)
        mip_highs.write_instance(instance, tmp / "plain.pickle")
        for solver in solvers:
            print(f"  {family} {scenario}: {solver} ...", file=sys.stderr, flush=True)
            if solver == "engine":
                result = _run_child(
                    "engine", tmp, time_limit=target["seconds"], gap=target["gap"] or 0.0,
                    seed=seed,
                )  # fmt: skip
            elif solver == "greedy":
                result = _run_child("greedy", tmp)
            else:
                if family not in HIGHS_SECONDS:
                    row["solvers"]["highs"] = {"skipped": "not run at this size"}
                    continue
                if family == "XL" and scenario not in HIGHS_XL_SCENARIOS:
                    row["solvers"]["highs"] = {"skipped": "run at XL for the cold start only"}
                    continue
                try:
                    result = mip_highs.solve_in_child(
                        instance, time_limit=HIGHS_SECONDS[family], seed=seed
                    )
                except subprocess.CalledProcessError as error:
                    result = {"error": [f"HiGHS process failed: exit {error.returncode}"]}
            row["solvers"][solver] = _judged(instance, result)
    _compare(row, target)
    return row


def _judged(instance: Any, result: dict[str, Any]) -> dict[str, Any]:
    """The solver's figures with the checker's verdict; the assignment itself is dropped."""
    if "error" in result:
        return result
    assignment = result.pop("assignment")
    unplaced = result.pop("unplaced")
    verdict = checker.summary(instance, assignment, unplaced)
    result.update(verdict)
    return result


def _compare(row: dict[str, Any], target: dict[str, Any]) -> None:
    """Gaps to the best proven bound, times to 1 %, and whether the engine met its target."""
    answers = {
        name: figures
        for name, figures in row["solvers"].items()
        if "objective" in figures and figures.get("hard_violations") == 0
    }
    best_objective = min((f["objective"] for f in answers.values()), default=None)
    bounds = {}
    for name, figures in answers.items():
        bound = figures.get("bound")
        if bound is None or bound == float("-inf"):
            continue
        valid = figures.get("bound_valid", True)
        # A claimed bound above a lawful answer's price is no bound at all.
        if best_objective is not None and bound > best_objective + 1e-6:
            figures["bound_refuted"] = True
            valid = False
        if valid:
            bounds[name] = bound
    best_bound = max(bounds.values(), default=None)
    row["best_objective"] = best_objective
    row["best_bound"] = best_bound
    row["best_bound_from"] = max(bounds, key=lambda name: bounds[name]) if bounds else None
    reference = best_bound if best_bound is not None else best_objective
    for figures in row["solvers"].values():
        if "objective" not in figures:
            continue
        objective = figures["objective"]
        figures["gap_to_best_bound"] = (
            None if best_bound is None else (objective - best_bound) / max(objective, 1)
        )
        if figures.get("trajectory") and reference is not None:
            figures["one_percent_seconds"] = next(
                (t for t, value, _ in figures["trajectory"] if value <= reference * 1.01 + 1e-6),
                None,
            )
        figures.pop("trajectory", None)
    engine = row["solvers"].get("engine")
    if engine and "objective" in engine:
        row["target"] = _target_verdict(engine, target, best_bound)
    elif engine:
        row["target"] = {"text": target["text"], "met": False, "missed": ["no answer"]}


def _target_verdict(
    engine: dict[str, Any], target: dict[str, Any], best_bound: float | None
) -> dict[str, Any]:
    reasons = []
    if engine["hard_violations"]:
        reasons.append("hard violations")
    if target["gap"] is None:
        return {"text": target["text"], "met": None, "missed": reasons}
    if engine["seconds"] > target["seconds"]:
        reasons.append(f"took {engine['seconds']:.2f} s")
    if target["gap"] == 0.0:
        proven = engine.get("bound") is not None and engine["objective"] <= engine["bound"]
        if not proven or engine.get("bound_refuted"):
            reasons.append("not proven optimal")
    elif best_bound is None or engine["gap_to_best_bound"] > target["gap"]:
        shown = "no proven bound" if best_bound is None else f"{engine['gap_to_best_bound']:.3%}"
        reasons.append(f"gap {shown}")
    if "memory_mb" in target and engine["peak_rss_mb"] > target["memory_mb"]:
        reasons.append(f"{engine['peak_rss_mb']:.0f} MB")
    return {"text": target["text"], "met": not reasons, "missed": reasons}


# --- Report -----------------------------------------------------------------------


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| family | scenario | people / beds | solver | hard | unplaced | moves | objective "
        "| gap to best bound | first feasible | within 1 % | proof | peak RSS | target |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        size = f"{row['people']:,} / {row['beds']:,}"
        for name, figures in row["solvers"].items():
            lead = f"| {row['family']} | {row['scenario']} | {size} | {name} "
            if "objective" not in figures:
                why = figures.get("skipped") or "; ".join(figures.get("error", ["failed"]))
                verdict = "missed: no answer" if name == "engine" else ""
                lines.append(lead + f"| {why} |  |  |  |  |  |  |  |  | {verdict} |")
                continue
            gap = figures.get("gap_to_best_bound")
            shown_gap = "-" if gap is None else f"{gap:.3%}"
            if name == "highs" and figures.get("model", {}).get("pruned_to_cells"):
                shown_gap += f" (pruned to {figures['model']['pruned_to_cells']} cells)"
            first, one, proof = _times(name, figures)
            verdict = ""
            if name == "engine" and "target" in row:
                met = row["target"]
                verdict = "met" if met["met"] else "missed: " + ", ".join(met["missed"])
                if met["met"] is None:
                    verdict = "no target" + (
                        ": " + ", ".join(met["missed"]) if met["missed"] else ""
                    )
            lines.append(
                lead + f"| {figures['hard_violations']} | {figures['unplaced']:,} "
                f"| {figures['moves']:,} | {figures['objective']:,} | {shown_gap} | {first} "
                f"| {one} | {proof} | {figures['peak_rss_mb']:.0f} MB | {verdict} |"
            )
    return "\n".join(lines)


def _times(name: str, figures: dict[str, Any]) -> tuple[str, str, str]:
    if name == "greedy":
        shown = _seconds(figures["seconds"])
        return shown, "-", "-"
    if name == "highs":
        return (
            _seconds(figures.get("first_feasible_seconds")),
            _seconds(figures.get("one_percent_seconds")),
            _seconds(figures.get("proof_seconds")),
        )
    stats = figures.get("stats", {})
    first = stats.get("seconds_first_solution")
    total = figures["seconds"]
    gap = figures.get("gap_to_best_bound")
    one = _seconds(total) if gap is not None and gap <= 0.01 else "-"
    proven = figures.get("status") == "optimal" and not figures.get("bound_refuted")
    return (
        _seconds(first) if first is not None else f"<= {_seconds(total)}",
        f"<= {one}" if one != "-" else one,
        _seconds(total) if proven else "-",
    )


def write_readme(rows: list[dict[str, Any]], command: str) -> None:
    text = README.read_text()
    start, end = "<!-- housing:results:start -->", "<!-- housing:results:end -->"
    body = f"{start}\n\n`{command}`\n\n{table(rows)}\n\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: body, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + body + "\n"
    README.write_text(text)


def render() -> int:
    """Judge the stored results again (targets, gaps) and rewrite the README table."""
    path = RESULTS / "housing.json"
    result = json.loads(path.read_text())
    for row in result["runs"]:
        _compare(row, target_for(row["family"], row["scenario"]))
    path.write_text(json.dumps(result, indent=2, sort_keys=True, default=str) + "\n")
    write_readme(result["runs"], result["command"])
    print(table(result["runs"]))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench housing", description=__doc__)
    parser.add_argument("--families", default=",".join(FAMILIES) + ",XXL")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--solvers", default=",".join(SOLVERS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", nargs=3, metavar=("SOLVER", "SOURCE", "ANSWER"))
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--gap", type=float, default=0.0)
    parser.add_argument(
        "--render", action="store_true", help="rewrite the README table from housing.json"
    )
    args = parser.parse_args(argv)
    if args.render:
        return render()
    if args.child:
        solver, source, answer = args.child
        _child(solver, Path(source), Path(answer), args.time_limit, args.gap, args.seed)
        return 0

    families = [name for name in args.families.split(",") if name]
    scenarios = [name for name in args.scenarios.split(",") if name]
    solvers = tuple(name for name in args.solvers.split(",") if name)
    full = (
        args.families == parser.get_default("families")
        and args.scenarios == parser.get_default("scenarios")
        and args.solvers == parser.get_default("solvers")
    )
    rows = []
    started = time.perf_counter()
    for family in families:
        # The stress run: one scenario, our engine and greedy only.
        chosen = ["cold_start"] if family == "XXL" else scenarios
        for scenario in chosen:
            used = tuple(s for s in solvers if family != "XXL" or s != "highs")
            rows.append(run_instance(family, scenario, args.seed, used))
            print(table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    command = "python -m bench housing" + ("" if full else " " + " ".join(argv or sys.argv[1:]))
    result = {
        "command": command,
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
        },
        "seconds": round(time.perf_counter() - started, 1),
        "engine_targets": TARGETS,
        "highs_seconds": HIGHS_SECONDS,
        "runs": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / ("housing.json" if full else "housing-partial.json")
    path.write_text(json.dumps(result, indent=2, sort_keys=True, default=str) + "\n")
    print(f"housing: wrote {path} in {result['seconds']} s", file=sys.stderr)
    if full:
        write_readme(rows, command)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
