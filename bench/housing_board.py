"""How fast housing answers a shift with 15,000 held: a new booking's beds, a verdict, the boards.

DESIGN.md: one new booking with 15,000 held gets its top three beds with
reasons in < 50 ms; pages < 200 ms server time with a fixed number of queries.
Measured, on the classification benchmark's facility (15,000 held in 7,500
two-bed cells across 30 units, with their flags, orders and groups) plus a
reception unit of 300 empty two-bed cells (some lower bunks, a few with
chakra-suppression bars):

- ``bed_recommendations`` for one new booking (the selector the booking
  wizard, the bed board and the API call);
- ``placement_verdict`` for that person and one free bed (what the bed
  board's live verdict and every move run);
- the facility board ``/housing/`` and the board of a unit of 500 as a
  signed-in supervisor;
- ``facility_snapshot``: the engine's input for the whole facility (what
  ``cellblock housing solve`` reads before it solves).

Each figure is the median of 7 runs after 2 warm-ups, with the number of
queries of one run.  ``python -m bench.housing_board`` runs it alone;
``--held N`` runs a smaller facility without writing the result file.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from bench.engines import ROOT, run_per_engine, setup_child_django

HELD = 15_000
RECEPTION_CELLS = 300
TARGETS_MS = {"recommendation": 50, "page": 200}
DATABASE = "cellblock_bench_housing_board"
RESULT_FILE = ROOT / "bench" / "results" / "housing_board.json"
HELD_VARIABLE = "CELLBLOCK_BENCH_HELD"


def run() -> dict[str, Any]:
    held = int(os.environ.get(HELD_VARIABLE, HELD))
    return {
        "held": held,
        "reception_beds": RECEPTION_CELLS * 2,
        "targets_ms": TARGETS_MS,
        "engines": run_per_engine("bench.housing_board", DATABASE),
    }


def _reception(facility: Any) -> Any:
    """An empty reception unit, as a facility keeps for new arrivals."""
    from cellblock.facilities.models import Bed, Cell, CellFeature, FeatureStatus
    from cellblock.facilities.services import unit_create, zone_create

    zone = zone_create(actor=None, facility=facility, code="REC", name="Reception")
    unit = unit_create(
        actor=None, zone=zone, code="R1", name="Reception unit", security_rating="maximum"
    )
    cells = Cell.objects.bulk_create(
        Cell(unit=unit, code=f"R1-{c:03d}") for c in range(1, RECEPTION_CELLS + 1)
    )
    Bed.objects.bulk_create(
        Bed(cell=cell, code=f"B{k}", lower_bunk=k == 1) for cell in cells for k in (1, 2)
    )
    CellFeature.objects.bulk_create(
        CellFeature(cell=cell, tag="chakra-suppression", status=FeatureStatus.WORKING)
        for cell in cells[::50]
    )
    return unit


def _child() -> None:
    setup_child_django()
    from django.db import connection
    from django.test import Client

    from bench.classification_queue import _build
    from bench.roster_search import _measure
    from cellblock.booking.services import booking_open
    from cellblock.core import clock
    from cellblock.facilities.models import Bed, HousingUnit
    from cellblock.housing.recommend import bed_recommendations
    from cellblock.housing.selectors import placement_verdict
    from cellblock.housing.snapshot import facility_snapshot
    from cellblock.people.services import person_create

    held = int(os.environ.get(HELD_VARIABLE, HELD))
    started = time.perf_counter()
    fixture = _build(held)
    facility = fixture["facility"]
    reception = _reception(facility)
    person = person_create(
        actor=None, facility=None, given_name="Kakashi", family_name="Hatake", sex="male"
    )
    newcomer = booking_open(actor=None, facility=facility, person=person, source="arrest")
    build_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    free_bed = Bed.objects.filter(cell__unit=reception).order_by("pk").first()
    assert free_bed is not None
    busiest = HousingUnit.objects.get(pk=fixture["target"].bed_assignments.get().bed.cell.unit_id)
    measures: dict[str, Any] = {}
    measures["selector: bed_recommendations (top 3, new booking)"] = _measure(
        lambda: bed_recommendations(newcomer, limit=3), len
    )
    measures["selector: placement_verdict (new booking, free bed)"] = _measure(
        lambda: placement_verdict(newcomer, free_bed, clock.now()), lambda v: len(v.violations)
    )

    supervisor = Client()
    supervisor.force_login(fixture["supervisor"])

    def get(path: str) -> Any:
        def request() -> Any:
            response = supervisor.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        return request

    def html_rows(response: Any) -> int:
        return int(response.content.count(b"<tr"))

    measures["page: /housing/ facility board (supervisor)"] = _measure(get("/housing/"), html_rows)
    measures[f"page: /housing/units/<id>/ ({fixture['unit_housed']} housed, supervisor)"] = (
        _measure(get(f"/housing/units/{busiest.public_id}/"), html_rows)
    )
    measures["snapshot: facility_snapshot (engine input, daily)"] = _measure(
        lambda: facility_snapshot(facility, now=clock.now(), mode="daily"),
        lambda snap: len(snap.instance.residents),
    )

    def target_of(name: str) -> int | None:
        if name.startswith("selector: bed_recommendations"):
            return TARGETS_MS["recommendation"]
        if name.startswith("page:"):
            return TARGETS_MS["page"]
        return None

    print(
        json.dumps(
            {
                "build_seconds": round(build_seconds, 1),
                "measures": measures,
                "over_target": sorted(
                    name
                    for name, value in measures.items()
                    if (target := target_of(name)) is not None and value["ms"] >= target
                ),
            }
        )
    )


if __name__ == "__main__":
    if "--child" in sys.argv:
        _child()
    else:
        if "--held" in sys.argv:
            os.environ[HELD_VARIABLE] = sys.argv[sys.argv.index("--held") + 1]
        outcome = run()
        if outcome["held"] == HELD:
            RESULT_FILE.parent.mkdir(exist_ok=True)
            RESULT_FILE.write_text(json.dumps(outcome, indent=2, sort_keys=True) + "\n")
            print(f"housing_board: wrote {RESULT_FILE}")
        else:
            print(json.dumps(outcome, indent=2, sort_keys=True))
