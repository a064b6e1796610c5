"""Benchmarks for cellblock.

A benchmark is a function registered in ``BENCHMARKS`` under a short name; it
returns a dict of measurements. ``python -m bench`` runs them all and writes the
results to ``bench/results/<name>.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Benchmark = Callable[[], dict[str, Any]]

BENCHMARKS: dict[str, Benchmark] = {}


def _register() -> None:
    from bench import audit_append, classification_queue, roster_search

    BENCHMARKS["audit_append"] = audit_append.run
    BENCHMARKS["classification_queue"] = classification_queue.run
    BENCHMARKS["roster_search"] = roster_search.run


_register()
