"""Run the benchmarks: ``python -m bench`` (all, then housing) or ``python -m bench NAME ...``.

``python -m bench housing [options]`` runs the housing benchmark (bench/housing/run.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import BENCHMARKS, benchmark

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def main() -> int:
    if sys.argv[1:2] == ["housing"]:
        # The housing benchmark takes its own options and writes its own results.
        from bench.housing.run import main as housing

        return housing(sys.argv[2:])
    if not BENCHMARKS:
        print("No benchmarks yet: the registry in bench/__init__.py is empty.")
        return 0
    chosen = sys.argv[1:] or sorted(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(sorted(BENCHMARKS))}")
        return 2
    print("Running: " + ", ".join(chosen))
    RESULTS_DIR.mkdir(exist_ok=True)
    for name in chosen:
        result = benchmark(name)()
        path = RESULTS_DIR / f"{name}.json"
        path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        print(f"{name}: wrote {path}")
    if not sys.argv[1:]:
        from bench.housing.run import main as housing

        return housing([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
