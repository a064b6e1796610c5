"""Benchmarks for cellblock.

A benchmark is a function registered in ``BENCHMARKS`` under a short name; it
returns a dict of measurements. ``python -m bench`` runs them all and writes the
results to ``bench/results/<name>.json``.

The registry names modules rather than importing them, so that importing one
part of ``bench`` (the housing checker, from the tests) does not import every
benchmark with its Django set-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

Benchmark = Callable[[], dict[str, Any]]

# Name -> the module whose ``run()`` measures it.
BENCHMARKS: dict[str, str] = {
    "audit_append": "bench.audit_append",
    "classification_queue": "bench.classification_queue",
    "custody_count": "bench.custody_count",
    "housing_board": "bench.housing_board",
    "roster_search": "bench.roster_search",
}


def benchmark(name: str) -> Benchmark:
    run: Benchmark = importlib.import_module(BENCHMARKS[name]).run
    return run
