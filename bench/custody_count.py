"""How fast the live count answers at 15,000 held, and how fast movements are recorded.

DESIGN.md: the live count of a 15,000-person facility after a movement in
< 50 ms; a movement recorded at >= 1,000/s on PostgreSQL on 2 cores; pages
< 200 ms server time with a fixed number of queries.  Measured, on a seeded
facility bulk-loaded for the run (15,000 held in 7,500 two-bed cells across 30
units, 150 more in intake without a bed, 3,000 released with their past,
60,000 past movements and about 800 people out now: 5% out of their cells,
0.5% out of the facility):

- ``live_count`` right after a movement out and after a return, through the
  services (median of 9 runs after 2 warm-ups, with its queries);
- ``count_start``: the snapshot of a formal count's 30 sheets, and the count
  page ``/custody/count/`` and movements page ``/custody/movements/`` as a
  signed-in supervisor while that count is open (median of 7 after 2);
- movements recorded per second: ``movement_start`` then ``movement_return``
  through the services with the real hash-chained audit, one writer, then two
  and four writers on their own connections (each start or return is one
  recorded write; a "round trip" is both).

Runs in a child process per engine (a temporary SQLite file; the
``cellblock_bench_custody`` database on the PostgreSQL that
``scripts/ensure-postgres`` finds), with DEBUG off as in production.
``python -m bench.custody_count`` runs it alone; ``--held N`` runs a smaller
facility without writing the result file.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from bench.engines import ROOT, run_per_engine, setup_child_django

HELD = 15_000
UNITS = 30
UNHOUSED = 150
RELEASED = 3_000
PAST_MOVEMENTS = 60_000
OUT_OF_CELL = 0.05
OUT_OF_FACILITY = 0.005
WARMUPS = 2
RUNS = 9
PAGE_RUNS = 7
# Round trips (a start and a return) per writer in the rate measurement.
ROUND_TRIPS = 600
WRITERS = (1, 2, 4)
TARGETS = {"live_count_ms": 50, "page_ms": 200, "movements_per_second": 1000}
DATABASE = "cellblock_bench_custody"
RESULT_FILE = ROOT / "bench" / "results" / "custody_count.json"
HELD_VARIABLE = "CELLBLOCK_BENCH_HELD"


def run() -> dict[str, Any]:
    held = int(os.environ.get(HELD_VARIABLE, HELD))
    return {
        "held": held,
        "units": UNITS,
        "unhoused": UNHOUSED,
        "released": RELEASED * held // HELD,
        "past_movements": PAST_MOVEMENTS * held // HELD,
        "runs": RUNS,
        "warmups": WARMUPS,
        "targets": TARGETS,
        "engines": run_per_engine("bench.custody_count", DATABASE),
    }


# --- The child: one engine ----------------------------------------------------------


def _build(held: int) -> dict[str, Any]:
    """Bulk-load the facility (the set-up is not audited; the measured writes are)."""
    import datetime as dt

    from cellblock.accounts.services import membership_grant, user_create
    from cellblock.booking.models import Booking, BookingSequence
    from cellblock.core import clock
    from cellblock.core.roles import Role
    from cellblock.custody.models import (
        CONTACT_DESTINATIONS,
        OUTSIDE_DESTINATIONS,
        Destination,
        Movement,
        MovementKind,
    )
    from cellblock.facilities.models import Bed, Cell, HousingUnit
    from cellblock.facilities.services import (
        agency_create,
        facility_create,
        unit_create,
        zone_create,
    )
    from cellblock.housing.models import BedAssignment
    from cellblock.people.models import Person

    rng = random.Random(6)  # noqa: S311 (repeatable fixture data, not secrets)
    now = clock.now()
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
    released = RELEASED * held // HELD
    past = PAST_MOVEMENTS * held // HELD

    agency = agency_create(actor=None, code="BENCH", name="Bench agency")
    facility = facility_create(actor=None, agency=agency, code="BEN", name="Bench facility")

    def staff(username: str, role: str) -> Any:
        user = user_create(
            actor=None, username=username, full_name=username.replace("_", " ").title(),
            password=f"{username} password 1", check_password_rules=False,
        )  # fmt: skip
        membership_grant(actor=None, user=user, facility=facility, role=role)
        return user

    supervisor = staff("bench_supervisor", Role.SUPERVISOR)
    officers = [staff(f"bench_officer_{n}", Role.OFFICER) for n in range(max(WRITERS))]

    cells_per_unit = -(-held // 2 // UNITS)
    units: list[HousingUnit] = []
    for z in range(3):
        zone = zone_create(actor=None, facility=facility, code=f"Z{z}", name=f"Zone {z}")
        for u in range(UNITS // 3):
            code = f"U{z * (UNITS // 3) + u + 1:02d}"
            units.append(unit_create(actor=None, zone=zone, code=code, name=f"Unit {code}"))
    cells = Cell.objects.bulk_create(
        (Cell(unit=unit, code=f"{unit.code}-{c:03d}") for unit in units
         for c in range(1, cells_per_unit + 1)),
        batch_size=2000,
    )  # fmt: skip
    beds = Bed.objects.bulk_create(
        (Bed(cell=cell, code=f"B{k}") for cell in cells for k in (1, 2)), batch_size=2000
    )
    total = held + UNHOUSED + released
    people = Person.objects.bulk_create(
        (
            Person(given_name=f"Given{n}", family_name=f"Family{n}", given_key=f"given{n}",
                   family_key=f"family{n}", created_at=now - 3 * 365 * day)
            for n in range(total)
        ),
        batch_size=2000,
    )  # fmt: skip
    bookings = []
    for n, person in enumerate(people):
        if n < held:
            booked_at = now - dt.timedelta(minutes=600 + rng.randrange(0, 365 * 24 * 60))
            status, released_at = "in_custody", None
        elif n < held + UNHOUSED:
            booked_at = now - dt.timedelta(minutes=30 + rng.randrange(0, 300))
            status, released_at = "intake", None
        else:
            booked_at = now - dt.timedelta(days=100 + rng.randrange(0, 600))
            status, released_at = "released", booked_at + dt.timedelta(days=rng.randrange(2, 60))
        bookings.append(
            Booking(
                booking_number=f"BEN-{now.year}-{n + 1:06d}", person=person, facility=facility,
                status=status, source="arrest", booked_at=booked_at,
                in_custody_at=booked_at + hour if status != "intake" else None,
                released_at=released_at, release_type="bail" if released_at else "",
            )
        )  # fmt: skip
    bookings = Booking.objects.bulk_create(bookings, batch_size=2000)
    BookingSequence.objects.create(facility=facility, year=now.year, last_number=len(bookings))
    housed = bookings[:held]
    BedAssignment.objects.bulk_create(
        (
            BedAssignment(booking=booking, bed=bed, started_at=booking.in_custody_at)
            for booking, bed in zip(housed, beds, strict=False)
        ),
        batch_size=2000,
    )
    destinations = list(Destination)

    def movement(booking: Any, left_at: Any, returned_at: Any) -> Any:
        where = rng.choice(destinations)
        return Movement(
            booking=booking, destination=where,
            kind=(MovementKind.OUT_OF_FACILITY if where in OUTSIDE_DESTINATIONS
                  else MovementKind.OUT_OF_CELL),
            meaningful_contact=where in CONTACT_DESTINATIONS, left_at=left_at,
            expected_return_at=left_at + 2 * hour, returned_at=returned_at,
            destination_detail="bench" if where == Destination.OTHER else "",
            recorded_by=officers[0],
        )  # fmt: skip

    history = []
    for _ in range(past):
        booking = rng.choice(bookings)
        end = booking.released_at or now - 3 * hour
        left_at = booking.booked_at + (end - booking.booked_at) * rng.random()
        history.append(movement(booking, left_at, left_at + dt.timedelta(minutes=20)))
    # Out now: some in the yard, visits and clinic; a few at court or hospital.
    out = rng.sample(housed, int(held * (OUT_OF_CELL + OUT_OF_FACILITY)))
    in_walls = [d for d in destinations if d not in OUTSIDE_DESTINATIONS]
    for n, booking in enumerate(out):
        left_at = now - dt.timedelta(minutes=rng.randrange(5, 180))
        current = movement(booking, left_at, None)
        if n >= int(held * OUT_OF_FACILITY):
            current.destination = rng.choice(in_walls)
            current.kind = MovementKind.OUT_OF_CELL
            current.meaningful_contact = current.destination in CONTACT_DESTINATIONS
            current.destination_detail = "bench" if current.destination == "other" else ""
        history.append(current)
    Movement.objects.bulk_create(history, batch_size=2000)
    out_ids = {booking.pk for booking in out}
    return {
        "facility": facility,
        "supervisor": supervisor,
        "officers": officers,
        # Housed and in their cells: free to be taken out by the measurements.
        "in_cell": [b for b in housed if b.pk not in out_ids],
        "out_now": len(out),
    }


def _timed(action: Callable[[], Any], runs: int, warmups: int) -> tuple[float, int, Any]:
    """Median milliseconds of ``action`` and the queries of one run."""
    from django.db import connection

    queries: list[str] = []

    def record(execute: Any, sql: str, *args: Any) -> Any:
        queries.append(sql)
        return execute(sql, *args)

    timings = []
    result = None
    for n in range(warmups + runs):
        queries.clear()
        with connection.execute_wrapper(record):
            started = time.perf_counter()
            result = action()
            elapsed = time.perf_counter() - started
        if n >= warmups:
            timings.append(elapsed)
    return round(statistics.median(timings) * 1000, 2), len(queries), result


def _live_after_movements(fixture: dict[str, Any]) -> dict[str, Any]:
    """``live_count`` right after each movement out, then right after each return."""
    from django.db import connection

    from cellblock.custody.selectors.counts import live_count
    from cellblock.custody.services.movements import movement_return, movement_start

    facility, officer = fixture["facility"], fixture["officers"][0]
    people = fixture["in_cell"]
    results: dict[str, Any] = {}
    for label, step in (("after a movement out", "out"), ("after a return", "back")):
        timings, queries, counts = [], 0, None
        for n in range(WARMUPS + RUNS):
            booking = people[n]
            if step == "out":
                movement_start(actor=officer, booking=booking, destination="exercise_yard")
            else:
                movement = booking.movements.get(returned_at__isnull=True)
                movement.booking = booking
                movement_return(actor=officer, movement=movement)
            seen: list[str] = []

            def record(execute: Any, sql: str, *args: Any, seen: list[str] = seen) -> Any:
                seen.append(sql)
                return execute(sql, *args)

            with connection.execute_wrapper(record):
                started = time.perf_counter()
                counts = live_count(facility)
                elapsed = time.perf_counter() - started
            if n >= WARMUPS:
                timings.append(elapsed)
                queries = len(seen)
        assert counts is not None
        results[f"live_count {label}"] = {
            "ms": round(statistics.median(timings) * 1000, 2),
            "ms_max": round(max(timings) * 1000, 2),
            "queries": queries,
            "held": counts.held,
            "out_of_cell": counts.out_of_cell,
            "out_of_facility": counts.out_of_facility,
        }
    return results


def _rate(fixture: dict[str, Any], writers: int, people: list[Any]) -> dict[str, Any]:
    """Movements out and back through the services, ``writers`` at once on own connections.

    Each writer takes its own people out and back in turn (everyone is back
    before the next writer count is measured, so the people can be reused).
    """
    from django.db import connection

    from cellblock.custody.services.movements import movement_return, movement_start

    facility = fixture["facility"]
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []
    per_writer = ROUND_TRIPS // writers
    share = len(people) // writers

    def work(k: int) -> None:
        officer = fixture["officers"][k]
        mine = people[k * share : (k + 1) * share]
        try:
            officer.perms_at(facility.pk)  # roles read once, as in a request
            barrier.wait()
            for n in range(per_writer):
                booking = mine[n % len(mine)]
                movement = movement_start(actor=officer, booking=booking, destination="medical")
                movement_return(actor=officer, movement=movement)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    trips = per_writer * writers
    return {
        "writers": writers,
        "round_trips": trips,
        "seconds": round(seconds, 2),
        "movements_recorded_per_second": round(2 * trips / seconds),
        "round_trips_per_second": round(trips / seconds),
    }


AUDIT_APPENDS = 600


def _audit_appends_per_second() -> int:
    """Bare audit appends, one transaction each (as bench/audit_append.py measures)."""
    from django.db import transaction

    from cellblock.audit.services import audit_record

    started = time.perf_counter()
    for n in range(AUDIT_APPENDS):
        with transaction.atomic():
            audit_record(actor=None, action="bench.append", changes={"n": n})
    return round(AUDIT_APPENDS / (time.perf_counter() - started))


def _child() -> None:
    setup_child_django()
    from django.db import connection
    from django.test import Client

    from cellblock.audit.selectors import audit_chain_verify
    from cellblock.custody.services.counts import count_start

    held = int(os.environ.get(HELD_VARIABLE, HELD))
    started = time.perf_counter()
    fixture = _build(held)
    build_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    # How fast this machine is right now: a bare count of every booking row.
    def bare_count() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM booking_booking")
            return int(cursor.fetchone()[0])

    calibration_ms, _, _ = _timed(bare_count, RUNS, WARMUPS)
    measures: dict[str, Any] = _live_after_movements(fixture)
    facility, supervisor = fixture["facility"], fixture["supervisor"]

    # People the live count measurement did not take out (it leaves some out).
    free = fixture["in_cell"][2 * (WARMUPS + RUNS) :][:ROUND_TRIPS]
    rates = [_rate(fixture, writers, free) for writers in WRITERS]
    audit_reference = _audit_appends_per_second()

    # A count starts once (it stays open for the pages below): one timing, not a median.
    started_at = time.perf_counter()
    count = count_start(actor=supervisor, facility=facility, method="head")
    measures["count_start (30 sheets snapshotted)"] = {
        "ms": round((time.perf_counter() - started_at) * 1000, 2),
        "sheets": count.sheets.count(),
        "expected": sum(count.sheets.values_list("expected", flat=True)),
    }

    client = Client()
    client.force_login(supervisor)

    def get(path: str) -> Callable[[], Any]:
        def request() -> Any:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        return request

    for path in ("/custody/count/", "/custody/movements/"):
        ms, queries, response = _timed(get(path), PAGE_RUNS, WARMUPS)
        measures[f"page: {path} (supervisor, count open)"] = {
            "ms": ms,
            "queries": queries,
            "rows": int(response.content.count(b"<tr")),
        }

    verified = audit_chain_verify()
    print(
        json.dumps(
            {
                "build_seconds": round(build_seconds, 1),
                "out_now_at_start": fixture["out_now"],
                "measures": measures,
                "movement_rates": rates,
                # The bare hash-chained audit append on the same machine at the same time:
                # every movement write includes one, so it bounds the rate.
                "audit_appends_per_second_same_run": audit_reference,
                "audit_chain_ok": verified.ok,
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "calibration: SELECT COUNT(*) FROM booking_booking (ms)": calibration_ms,
                "over_target": sorted(
                    [
                        name
                        for name, value in measures.items()
                        if (
                            name.startswith("live_count")
                            and value["ms"] >= TARGETS["live_count_ms"]
                        )
                        or (name.startswith("page:") and value["ms"] >= TARGETS["page_ms"])
                    ]
                    + [
                        f"movements with {r['writers']} writer(s)"
                        for r in rates
                        if r["movements_recorded_per_second"] < TARGETS["movements_per_second"]
                    ]
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
            print(f"custody_count: wrote {RESULT_FILE}")
        else:
            print(json.dumps(outcome, indent=2, sort_keys=True))
