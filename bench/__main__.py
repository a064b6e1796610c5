"""Run the registered benchmarks: ``python -m bench`` (all) or ``python -m bench NAME ...``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import BENCHMARKS

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def main() -> int:
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
        result = BENCHMARKS[name]()
        path = RESULTS_DIR / f"{name}.json"
        path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        print(f"{name}: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
