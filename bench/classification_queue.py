"""How fast the classification queue, the dashboard and a housing check read 15,000 held.

DESIGN.md: pages < 200 ms server time with 15,000 held, in a fixed number of
queries.  Measured: the dashboard's overdue counts and the queue's most urgent
200 rows (the selectors alone), the queue page ``/classification/`` and the
dashboard ``/`` end to end as a signed-in supervisor, the profile of one
person with flags, assessments and orders as an officer, and the housing
check of that person in a full unit (what every new flag or order runs).
Each figure is the median of 7 runs after 2 warm-ups, with the number of
queries of one run.

The facility is bulk-loaded (the reads are what is measured, not the set-up):
15,000 people held in 7,500 two-bed cells across 30 units (500 to a unit),
booked over the past months (more of them recently, as in a jail).  Most are
assessed on the instrument, with a scheduled reassessment every 90 days; about
one in ten is unassessed past 48 h or overdue for review; a few PREA
screenings are overdue; a few hundred event triggers wait for a reassessment;
some overrides wait for approval.  About one in eight carries a flag, some
are under keep-separate or protective orders, some in security groups; a few
housing alerts are open.  3,000 released bookings with their own records sit
beside them.  The rows are made with ``bulk_create`` (the set-up is not
audited); the profile person's flags and orders go through the services.

Runs in a child process per engine (a temporary SQLite file; the
``cellblock_bench_classification`` database on the PostgreSQL that
``scripts/ensure-postgres`` finds), with DEBUG off as in production.
``python -m bench.classification_queue`` runs this benchmark alone;
``--held N`` runs it on a smaller facility without writing the result file.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from typing import Any

from bench.engines import ROOT, run_per_engine, setup_child_django
from bench.roster_search import FAMILY, GIVEN, _measure

HELD = 15_000
UNITS = 30
WARMUPS = 2
RUNS = 7
TARGET_MS = 200
QUEUE_LIMIT = 200
DATABASE = "cellblock_bench_classification"
RESULT_FILE = ROOT / "bench" / "results" / "classification_queue.json"
# How many are held in the child: the full facility unless a smaller one is asked for.
HELD_VARIABLE = "CELLBLOCK_BENCH_HELD"

# Shares of the population, as a facility with a classification backlog has them.
UNASSESSED_LATE = 0.04  # never assessed, past the 48 h deadline
REVIEW_LATE = 0.06  # of those held past 90 days: the scheduled review is overdue
PREA_INITIAL_LATE = 0.03  # no screening past 72 h
PREA_REASSESSMENT_LATE = 0.03  # no reassessment past 30 days
APPROVED_OVERRIDES = 0.02
# Counts for 15,000 held; a smaller facility gets its share.
OPEN_TRIGGERS = 250
SATISFIED_TRIGGERS = 100
PENDING_OVERRIDES = 25
SEPARATIONS = 300
PROTECTIVE = 200
GROUP_MEMBERS = 150
ALERT_PAIRS = 10

STAFF_FLAGS = (
    ("suicide_risk", "at_risk"),
    ("dangerous", ""),
    ("escape_risk", ""),
    ("medical_need", "lower-bunk"),
    ("diet", "no pork"),
    ("preference", "vegetarian"),
)
INSTRUMENT_ANSWERS = {
    "institutional_violence": ("none", "none", "none", "assault_no_weapon",
                               "assault_weapon_or_injury"),
    "current_offence": ("low", "moderate", "moderate", "high", "highest"),
    "prior_assaultive": ("none", "none", "low", "moderate", "high"),
    "escape_history": ("none", "none", "none", "minimum_old", "secure_recent"),
    "disciplinary": ("none", "none", "minor", "one_major", "several_major"),
    "detainers": ("none", "none", "misdemeanour", "felony", "violent_felony"),
    "prior_felonies": ("none", "none", "one", "two_or_more"),
    "special_needs": ("none",) * 20 + ("protective_custody", "serious_mental_illness"),
}  # fmt: skip


def run() -> dict[str, Any]:
    held = int(os.environ.get(HELD_VARIABLE, HELD))
    return {
        "held": held,
        "released": held // 5,
        "units": UNITS,
        "runs": RUNS,
        "warmups": WARMUPS,
        "target_ms": TARGET_MS,
        "engines": run_per_engine("bench.classification_queue", DATABASE),
    }


# --- The child: one engine ----------------------------------------------------------


def _build(held: int) -> dict[str, Any]:
    """Bulk-load the facility; return what the measurements need."""
    import datetime as dt

    from cellblock.accounts.services import membership_grant, user_create
    from cellblock.booking.checklist import STEPS
    from cellblock.booking.models import Booking, BookingSequence, IntakeStep
    from cellblock.classification import instrument as scoring
    from cellblock.classification import prea
    from cellblock.classification.models import (
        Assessment,
        AssessmentReason,
        AssessmentStatus,
        Flag,
        FlagOrigin,
        GroupMembership,
        Instrument,
        PreaKind,
        PreaScreening,
        ProtectiveOrder,
        ReviewTrigger,
        SecurityGroup,
        SeparationOrder,
    )
    from cellblock.classification.services import (
        flag_set,
        group_member_add,
        protective_order_create,
        separation_order_create,
        staff_conflict_create,
    )
    from cellblock.core import clock
    from cellblock.core.roles import Role
    from cellblock.facilities.models import Bed, Cell, FacilityPolicy, HousingUnit
    from cellblock.facilities.services import (
        agency_create,
        facility_create,
        unit_create,
        zone_create,
    )
    from cellblock.housing.models import BedAssignment
    from cellblock.people.models import Person
    from cellblock.people.names import name_key

    rng = random.Random(15_000)  # noqa: S311 (repeatable fixture data, not secrets)

    def share(count: int) -> int:
        return max(1, count * held // HELD)

    open_triggers, satisfied_triggers = share(OPEN_TRIGGERS), share(SATISFIED_TRIGGERS)
    pending_overrides, alert_pairs = share(PENDING_OVERRIDES), share(ALERT_PAIRS)

    now = clock.now()
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)

    def between(low: dt.timedelta, high: dt.timedelta) -> dt.timedelta:
        return low + (high - low) * rng.random()

    agency = agency_create(actor=None, code="BENCH", name="Bench agency")
    facility = facility_create(actor=None, agency=agency, code="BEN", name="Bench facility")
    policy = FacilityPolicy.objects.get(facility=facility)
    initial_due = dt.timedelta(hours=policy.classification_initial_hours)
    review_every = dt.timedelta(days=policy.classification_review_days)
    prea_due = dt.timedelta(hours=policy.prea_screening_hours)
    prea_again = dt.timedelta(days=policy.prea_reassessment_days)

    def staff(username: str, role: str) -> Any:
        user = user_create(
            actor=None, username=username, full_name=username.replace("_", " ").title(),
            password=f"{username} password 1", check_password_rules=False,
        )  # fmt: skip
        membership_grant(actor=None, user=user, facility=facility, role=role)
        return user

    supervisor = staff("bench_supervisor", Role.SUPERVISOR)
    officer = staff("bench_officer", Role.OFFICER)
    classifier = staff("bench_classifier", Role.CLASSIFICATION)

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
        (Bed(cell=cell, code=f"B{k}", lower_bunk=k == 1) for cell in cells for k in (1, 2)),
        batch_size=2000,
    )

    released = held // 5
    outside = share(PROTECTIVE)
    people = []
    for _ in range(held + released + outside):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 55 * 365))
        people.append(
            Person(
                given_name=given, family_name=family, given_key=name_key(given),
                family_key=name_key(family), date_of_birth=born, created_at=now,
                sex=rng.choice(("male", "female")),
            )
        )  # fmt: skip
    people = Person.objects.bulk_create(people, batch_size=2000)
    outsiders = people[held + released :]

    bookings = []
    for n, person in enumerate(people[: held + released]):
        if n < held:
            # A jail's population: many booked lately, a long tail held for years.
            age = dt.timedelta(minutes=60 + int(rng.expovariate(1 / (120 * 24 * 60))))
            booked_at = now - min(age, 2 * 365 * day)
            intake = age < 6 * hour
            status = "intake" if intake else "in_custody"
            released_at = None
        else:
            booked_at = now - between(100 * day, 3 * 365 * day)
            intake, status = False, "released"
            released_at = booked_at + between(3 * day, 60 * day)
        bookings.append(
            Booking(
                booking_number=f"BEN-{now.year}-{n + 1:06d}", person=person, facility=facility,
                status=status, source="arrest", booked_at=booked_at,
                in_custody_at=None if intake else booked_at + 2 * hour,
                released_at=released_at, release_type="bail" if released_at else "",
            )
        )  # fmt: skip
    bookings = Booking.objects.bulk_create(bookings, batch_size=2000)
    BookingSequence.objects.create(facility=facility, year=now.year, last_number=len(bookings))
    held_bookings = bookings[:held]
    housed = [booking for booking in held_bookings if booking.status == "in_custody"]
    BedAssignment.objects.bulk_create(
        (
            BedAssignment(booking=booking, bed=bed, started_at=booking.in_custody_at)
            for booking, bed in zip(housed, beds, strict=False)
        ),
        batch_size=2000,
    )
    # Cellmates sit side by side in ``housed``: beds 1 and 2 of a cell.
    cellmate = {b.pk: housed[i ^ 1].pk for i, b in enumerate(housed) if (i ^ 1) < len(housed)}
    unit_of = {b.pk: i // (2 * cells_per_unit) for i, b in enumerate(housed)}
    housed_ids = set(unit_of)
    # The person measured: in the first unit (full), held long enough to have a history.
    target = next(b for b in housed[9:] if now - b.booked_at > 100 * day)

    # The instrument and a pool of scorings to draw from.
    instrument = Instrument.objects.create(
        code=scoring.NIC_CUSTODY_V1["code"], version=scoring.NIC_CUSTODY_V1["version"],
        name=scoring.NIC_CUSTODY_V1["name"], definition=scoring.NIC_CUSTODY_V1,
        published_at=now - 3 * 365 * day,
    )  # fmt: skip
    parsed = scoring.parse_instrument(scoring.NIC_CUSTODY_V1)
    scorings = []
    for _ in range(60):
        answers = {code: rng.choice(choices) for code, choices in INSTRUMENT_ANSWERS.items()}
        scorings.append((answers, scoring.score(parsed, answers)))

    assessments: list[Assessment] = []
    latest: dict[int, Assessment] = {}
    first_assessed: dict[int, dt.datetime] = {}
    unassessed = review_late = 0
    for booking in bookings:
        end = booking.released_at or now
        is_target = booking.pk == target.pk
        open_ = booking.released_at is None
        late = open_ and not is_target and now - booking.booked_at > initial_due
        if late and rng.random() < UNASSESSED_LATE:
            unassessed += 1
            continue
        times = [booking.booked_at + between(2 * hour, 40 * hour)]
        if times[0] > end:
            continue
        while times[-1] + review_every <= end:
            times.append(times[-1] + review_every - between(0 * day, 5 * day))
        if (
            open_ and not is_target and len(times) > 1
            and times[-2] + review_every < now and rng.random() < REVIEW_LATE
        ):  # fmt: skip
            times.pop()
            review_late += 1
        first_assessed[booking.pk] = times[0]
        for k, at in enumerate(times):
            answers, result = rng.choice(scorings)
            assessment = Assessment(
                booking=booking, instrument=instrument,
                reason=AssessmentReason.INITIAL if k == 0 else AssessmentReason.SCHEDULED,
                answers=answers, item_points=result.item_points, total=result.total,
                scored_level=result.level, special_reasons=list(result.special_reasons),
                assessed_at=at, assessed_by=classifier, review_due_at=at + review_every,
            )  # fmt: skip
            assessments.append(assessment)
        latest[booking.pk] = assessment
    # Overrides: a few waiting for a supervisor, some approved (the target's among them).
    open_latest = [a for pk, a in latest.items() if pk in housed_ids and pk != target.pk]
    approved = int(APPROVED_OVERRIDES * len(open_latest))
    for k, assessment in enumerate(rng.sample(open_latest, pending_overrides + approved)):
        pending = k < pending_overrides
        assessment.override_level = "maximum" if assessment.scored_level != "maximum" else "medium"
        assessment.override_reason = "Gang intelligence not captured by the score."
        if pending:
            assessment.status = AssessmentStatus.OVERRIDE_PENDING
        else:
            assessment.status = AssessmentStatus.OVERRIDE_APPROVED
            assessment.decided_at = assessment.assessed_at + 5 * hour
            assessment.decided_by = supervisor
    mine = latest[target.pk]
    mine.override_level = "maximum" if mine.scored_level != "maximum" else "medium"
    mine.override_reason = "Threatened a cellmate at the last facility."
    mine.status = AssessmentStatus.OVERRIDE_APPROVED
    mine.decided_at, mine.decided_by = mine.assessed_at + 3 * hour, supervisor
    Assessment.objects.bulk_create(assessments, batch_size=2000)
    for booking in bookings:
        if booking.pk in latest:
            booking.custody_level = latest[booking.pk].level
    Booking.objects.bulk_update(bookings, ["custody_level"], batch_size=2000)

    # Review triggers: open ones (some overdue), and some a later assessment satisfied.
    reasons = (AssessmentReason.NEW_CHARGE, AssessmentReason.VERDICT, AssessmentReason.INCIDENT)
    triggers = []
    candidates = [a for pk, a in latest.items() if pk in housed_ids and pk != target.pk]
    for k, assessment in enumerate(rng.sample(candidates, min(len(candidates), 2 * open_triggers))):
        if k < satisfied_triggers:
            raised_at = assessment.assessed_at - between(1 * hour, 40 * hour)
            satisfied_by: Assessment | None = assessment
        else:
            raised_at = now - between(0 * day, 6 * day)
            satisfied_by = None
            if raised_at <= assessment.assessed_at:
                continue
            if len(triggers) >= open_triggers + satisfied_triggers:
                break
        triggers.append(
            ReviewTrigger(
                booking_id=assessment.booking_id, reason=reasons[k % 3],
                detail=f"Case CR-{k:05d}", raised_at=raised_at,
                due_at=raised_at + initial_due, satisfied_by=satisfied_by,
            )
        )  # fmt: skip
    ReviewTrigger.objects.bulk_create(triggers, batch_size=2000)

    # PREA screenings: victim and abuser risks never share a cell here.
    def criteria(*true: str) -> dict[str, bool]:
        return {code: code in true for code in [*prea.VICTIM_CRITERIA, *prea.ABUSER_CRITERIA]}

    plain = criteria()
    victim_answers, abuser_answers = criteria("prior_victimisation"), criteria("prior_sexual_abuse")
    victims = {b.pk for i, b in enumerate(housed) if i % 25 == 0}
    abusers = {b.pk for i, b in enumerate(housed) if i % 40 == 3} - {
        pk for pk in list(cellmate) if cellmate[pk] in victims
    }
    victims.discard(target.pk)
    abusers.discard(target.pk)
    screenings: list[PreaScreening] = []
    flags: list[Flag] = []
    first_screened: dict[int, dt.datetime] = {}
    prea_late = 0
    for booking in bookings:
        end = booking.released_at or now
        age = end - booking.booked_at
        open_ = booking.released_at is None
        late = open_ and booking.pk != target.pk
        if late and age > prea_due and rng.random() < PREA_INITIAL_LATE:
            prea_late += 1
            continue
        answers = (
            victim_answers if booking.pk in victims
            else abuser_answers if booking.pk in abusers else plain
        )  # fmt: skip
        result = prea.screen(answers)
        times = [booking.booked_at + between(1 * hour, 70 * hour)]
        if times[0] > end:
            continue
        again = booking.booked_at + between(18 * day, 29 * day)
        if late and age > prea_again and rng.random() < PREA_REASSESSMENT_LATE:
            prea_late += 1
        elif again <= end:
            times.append(again)
        first_screened[booking.pk] = times[0]
        for k, at in enumerate(times):
            screenings.append(
                PreaScreening(
                    booking=booking, kind=PreaKind.INITIAL if k == 0 else PreaKind.REASSESSMENT,
                    answers=answers, victim_score=result.victim_score,
                    abuser_score=result.abuser_score, victim_risk=result.victim_risk,
                    abuser_risk=result.abuser_risk, screened_at=at, screened_by=classifier,
                )
            )  # fmt: skip
        for kind, at_risk in (
            ("prea_victim", result.victim_risk),
            ("prea_abuser", result.abuser_risk),
        ):
            if at_risk and open_:
                flags.append(
                    Flag(
                        booking=booking, kind=kind, reason="PREA screening.",
                        set_at=times[0], origin=FlagOrigin.PREA_SCREENING,
                    )
                )  # fmt: skip
    PreaScreening.objects.bulk_create(screenings, batch_size=2000)

    for n, booking in enumerate(held_bookings):
        if booking.pk == target.pk or not (n % 8 == 0 or n % 33 == 0):
            continue
        for kind, detail in rng.sample(STAFF_FLAGS, 2 if n % 33 == 0 else 1):
            flags.append(
                Flag(
                    booking=booking, kind=kind, detail=detail, reason="Noted at intake.",
                    set_at=booking.booked_at + hour, set_by=classifier,
                )
            )  # fmt: skip
    Flag.objects.bulk_create(flags, batch_size=2000)

    done_steps = {"identity", "charges", "property", "medical_screening", "housing"}

    def completed(booking: Booking, step: str) -> dt.datetime | None:
        if step == "classification":
            return first_assessed.get(booking.pk)
        if step == "prea_screening":
            return first_screened.get(booking.pk)
        if booking.status != "intake" and step in done_steps:
            return booking.booked_at + hour
        return None

    IntakeStep.objects.bulk_create(
        (
            IntakeStep(
                booking=booking, step=spec.code, due_at=booking.booked_at + spec.allowed(policy),
                completed_at=completed(booking, spec.code),
            )
            for booking in bookings
            for spec in STEPS
        ),
        batch_size=5000,
    )  # fmt: skip

    # Groups, keep-separate orders (between units, so lawful) and protective orders.
    groups = SecurityGroup.objects.bulk_create(
        SecurityGroup(agency=agency, code=f"group-{g}", name=f"Group {g}", kind="gang",
                      created_at=now - 365 * day)
        for g in range(3)
    )  # fmt: skip
    others = [b for b in housed if b.pk != target.pk]
    members = rng.sample(others, min(len(others), 3 * share(GROUP_MEMBERS)))
    GroupMembership.objects.bulk_create(
        (
            GroupMembership(group=groups[k % 3], person_id=booking.person_id,
                            basis="Self-declared at intake.", started_at=booking.booked_at)
            for k, booking in enumerate(members)
        ),
        batch_size=2000,
    )  # fmt: skip
    separations: list[SeparationOrder] = []
    pairs: set[tuple[int, int]] = set()
    while len(separations) < min(share(SEPARATIONS), len(others) // 4):
        a, b = rng.sample(others, 2)
        if unit_of.get(a.pk) == unit_of.get(b.pk):
            continue
        pair = (min(a.person_id, b.person_id), max(a.person_id, b.person_id))
        if pair in pairs:
            continue
        pairs.add(pair)
        starts_at = max(a.booked_at, b.booked_at)
        separations.append(
            SeparationOrder(
                agency=agency, person_id=pair[0], other_person_id=pair[1],
                scope=rng.choice(("cell", "unit")),
                source=rng.choice(("staff", "co_defendant")), reason="Co-defendants.",
                starts_at=starts_at, recorded_at=starts_at, authorised_by=supervisor,
            )
        )  # fmt: skip
    SeparationOrder.objects.bulk_create(separations, batch_size=2000)
    protected = rng.sample(others, min(len(others), outside))
    ProtectiveOrder.objects.bulk_create(
        (
            ProtectiveOrder(
                agency=agency, person_id=booking.person_id, protected_person=person,
                protected_role="victim", source="court_order",
                scope=rng.choice(("visits", "all_contact")), issued_by="District court",
                reference=f"PO-{k:05d}", starts_at=booking.booked_at,
                recorded_at=booking.booked_at, expires_at=now + 180 * day,
            )
            for k, (booking, person) in enumerate(zip(protected, outsiders, strict=False))
        ),
        batch_size=2000,
    )  # fmt: skip

    # A few cellmates under a same-cell order: real alerts, raised by the service.
    step = len(housed) // (2 * alert_pairs + 2) * 2
    for i in range(step, step * (alert_pairs + 1), step):
        a, b = housed[i], housed[i + 1]
        if target.pk in (a.pk, b.pk):
            continue
        separation_order_create(
            actor=None, facility=facility, person=a.person, other_person=b.person,
            scope="cell", reason="Fought on the yard.",
        )  # fmt: skip

    # The person measured: flags and orders recorded through the services.
    flag_set(actor=None, booking=target, kind="suicide_risk", detail="suicide_watch",
             reason="Statements at intake.")  # fmt: skip
    flag_set(actor=None, booking=target, kind="medical_need", detail="lower-bunk",
             reason="Knee surgery.")  # fmt: skip
    flag_set(actor=None, booking=target, kind="diet", detail="no pork", reason="Religious diet.")
    rival = others[-7]
    separation_order_create(
        actor=None, facility=facility, person=target.person, other_person=rival.person,
        scope="unit", reason="Threats between them in court.", authorised_by=supervisor,
    )  # fmt: skip
    group_member_add(actor=None, facility=facility, group=groups[0], person=target.person,
                     basis="Tattoos.")  # fmt: skip
    protective_order_create(
        actor=None, facility=facility, person=target.person, protected_person=outsiders[-1],
        protected_role="victim", source="court_order", scope="all_contact",
        issued_by="District court", reference="PO-TARGET", expires_at=now + 90 * day,
    )  # fmt: skip
    staff_conflict_create(
        actor=None, facility=facility, person=target.person,
        staff=staff("bench_kitchen_officer", Role.OFFICER),
        kind="alleged_victim", reason="Alleged assault on this officer at intake.",
    )  # fmt: skip

    return {
        "facility": facility,
        "supervisor": supervisor,
        "officer": officer,
        "target": target,
        "unit_housed": sum(1 for pk in unit_of if unit_of[pk] == unit_of[target.pk]),
        "population": {
            "assessments": len(assessments),
            "unassessed_late": unassessed,
            "review_late": review_late,
            "prea_screenings": len(screenings),
            "prea_late": prea_late,
            "review_triggers": len(triggers),
            "flags": len(flags),
            "separation_orders": len(separations) + alert_pairs + 1,
        },
    }


def _child() -> None:
    setup_child_django()
    from django.db import connection, transaction
    from django.test import Client

    from cellblock.classification.selectors import classification_queue, overdue_counts
    from cellblock.core import clock
    from cellblock.housing.models import HousingReview
    from cellblock.housing.services import housing_recheck

    held = int(os.environ.get(HELD_VARIABLE, HELD))
    started = time.perf_counter()
    fixture = _build(held)
    build_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        # Autovacuum would gather these statistics soon after a bulk load.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    facility = fixture["facility"]
    target = fixture["target"]
    measures: dict[str, Any] = {}
    counts = overdue_counts(facility, clock.now())
    queue_all = classification_queue(facility, clock.now())

    measures["selector: overdue_counts"] = _measure(
        lambda: overdue_counts(facility, clock.now()), lambda c: c.total
    )
    measures[f"selector: classification_queue (limit {QUEUE_LIMIT})"] = _measure(
        lambda: classification_queue(facility, clock.now(), limit=QUEUE_LIMIT), len
    )

    def get(client: Any, path: str) -> Any:
        def request() -> Any:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        return request

    def html_rows(response: Any) -> int:
        return int(response.content.count(b"<tr"))

    supervisor = Client()
    supervisor.force_login(fixture["supervisor"])
    measures["page: /classification/ (supervisor)"] = _measure(
        get(supervisor, "/classification/"), html_rows
    )
    measures["page: / dashboard (supervisor)"] = _measure(get(supervisor, "/"), html_rows)
    officer = Client()
    officer.force_login(fixture["officer"])
    measures["page: /bookings/<n>/ profile (officer)"] = _measure(
        get(officer, f"/bookings/{target.booking_number}/"), html_rows
    )

    def recheck() -> Any:
        with transaction.atomic():
            return housing_recheck(actor=fixture["supervisor"], bookings=[target], cause="bench")

    measures[f"service: housing_recheck, one of {fixture['unit_housed']} in the unit"] = _measure(
        recheck, len
    )

    print(
        json.dumps(
            {
                "build_seconds": round(build_seconds, 1),
                "population": fixture["population"],
                "overdue": {"classification": counts.classification, "prea": counts.prea},
                "due_within_7_days": len(queue_all),
                "open_housing_alerts": HousingReview.objects.filter(
                    resolved_at__isnull=True
                ).count(),
                "measures": measures,
                "over_target": sorted(
                    name for name, value in measures.items() if value["ms"] >= TARGET_MS
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
            print(f"classification_queue: wrote {RESULT_FILE}")
        else:
            print(json.dumps(outcome, indent=2, sort_keys=True))
