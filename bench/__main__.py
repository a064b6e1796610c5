"""Run the registered benchmarks: ``python -m bench``."""

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
    print("Registered benchmarks:")
    for name in sorted(BENCHMARKS):
        print(f"  {name}")
    RESULTS_DIR.mkdir(exist_ok=True)
    for name in sorted(BENCHMARKS):
        result = BENCHMARKS[name]()
        path = RESULTS_DIR / f"{name}.json"
        path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        print(f"{name}: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
