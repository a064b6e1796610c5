"""How fast writes can be audited, and how fast the facility tree reads at scale.

Every write in cellblock appends one hash-chained audit event in its own
transaction, so the append rate caps every write rate (DESIGN.md: a movement or
round check recorded at >= 1,000/s on PostgreSQL on 2 cores).  The tree reads
a 15,000-bed facility in a fixed number of queries.

Runs in a child process per engine, against a database made for the run.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from bench.engines import run_per_engine, setup_child_django

APPENDS = 3000
TREE_BEDS = 15_000


def run() -> dict[str, Any]:
    results: dict[str, Any] = {"appends": APPENDS, "tree_beds": TREE_BEDS, "engines": {}}
    results["engines"] = run_per_engine("bench.audit_append", "cellblock_bench")
    return results


def _child() -> None:
    setup_child_django()
    from django.db import connection, transaction

    from cellblock.audit.selectors import audit_chain_verify
    from cellblock.audit.services import audit_record
    from cellblock.facilities.models import Bed, Cell
    from cellblock.facilities.selectors import facility_tree
    from cellblock.facilities.services import (
        agency_create,
        cell_create,
        facility_create,
        unit_create,
        zone_create,
    )

    started = time.perf_counter()
    for n in range(APPENDS):
        with transaction.atomic():
            audit_record(actor=None, action="bench.append", changes={"n": n})
    append_seconds = time.perf_counter() - started

    started = time.perf_counter()
    verified = audit_chain_verify()
    verify_seconds = time.perf_counter() - started

    agency = agency_create(actor=None, code="BENCH", name="Bench agency")
    facility = facility_create(actor=None, agency=agency, code="BEN", name="Bench facility")
    zone = zone_create(actor=None, facility=facility, code="Z", name="Zone")
    unit = unit_create(actor=None, zone=zone, code="U", name="Unit")
    cell_create(actor=None, unit=unit, code="C0", beds=2)
    # Bulk rows for the rest: the tree is what is measured, not the set-up.
    cells = Cell.objects.bulk_create(
        Cell(unit=unit, code=f"C{n}") for n in range(1, TREE_BEDS // 2)
    )
    Bed.objects.bulk_create(Bed(cell=cell, code=f"B{k}") for cell in cells for k in (1, 2))
    facility_tree(facility)  # warm
    timings = []
    queries: list[str] = []

    def count(execute: Any, sql: str, *args: Any) -> Any:
        queries.append(sql)
        return execute(sql, *args)

    for _ in range(5):
        queries.clear()
        with connection.execute_wrapper(count):
            started = time.perf_counter()
            tree = facility_tree(facility)
            timings.append(time.perf_counter() - started)
    assert tree.capacity == TREE_BEDS, tree.capacity
    print(
        json.dumps(
            {
                "audit_appends_per_second": round(APPENDS / append_seconds),
                "audit_verify_events_per_second": round(verified.checked / verify_seconds),
                "chain_ok": verified.ok,
                "tree_15000_beds_ms_median": round(sorted(timings)[2] * 1000, 1),
                "tree_queries": len(queries),
            }
        )
    )


if __name__ == "__main__" and "--child" in sys.argv:
    _child()
