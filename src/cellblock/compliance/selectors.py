"""The alert board's reads: the facts of a facility gathered for the rule book.

``alerts(facility, now)`` reads everything the rules need in a fixed number of
queries, whatever the population (the people held with their cell, light,
last sighting, last visit and whether their health assessment was done in one
query; the solitary clock in two to four; restraints, overdue movements,
counts, posts, meals, forced entries, housing alerts, visits in progress,
waiting requests and unreviewed break-glass openings in one to three each;
release dates with what else holds the person, unreviewed release-date
changes and hearings waiting for their production in one each), hands plain
facts to ``compliance.rules.evaluate`` and names who must act (the medical
leads in one more query, only when an opening waits).  Nothing here decides a
rule.  Observation levels come from ``custody.selectors.rounds`` (level_for,
interval_for); posts, missed counts and meals from their own selectors
(post_board, missed_counts, meals_in_a_row_without).  The officers on duty
are read from the post board once, with the coverage of officers_on_duty_for,
rather than one query per alert.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)

from cellblock.accounts.models import Membership, User
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.classification.models import Flag
from cellblock.classification.selectors import active_flags_q, policy_of
from cellblock.compliance import rules
from cellblock.compliance.models import AlertEpisode
from cellblock.core import clock
from cellblock.core.roles import Role
from cellblock.court.models import (
    CaseCharge,
    CaseStatus,
    Hearing,
    HearingKind,
    HearingStatus,
    Hold,
    ReleaseDate,
    ReleaseDateChange,
    Verdict,
)
from cellblock.custody.models import (
    SEEN_STATUSES,
    Destination,
    Movement,
    Restraint,
    RestraintCheck,
    RoundCheck,
)
from cellblock.custody.schedule import day_bounds, local_date
from cellblock.custody.selectors import solitary
from cellblock.custody.selectors.counts import missed_counts
from cellblock.custody.selectors.meals import meals_in_a_row_without
from cellblock.custody.selectors.posts import PostBoard, post_board
from cellblock.custody.selectors.rounds import LEVEL_FLAGS, Level, interval_for, level_for
from cellblock.facilities.models import CellFeature, Facility, FacilityPolicy, FeatureStatus
from cellblock.housing.models import BedAssignment, HousingReview
from cellblock.incidents.models import Incident, IncidentKind, IncidentOrigin
from cellblock.medical.models import BreakGlass, Encounter, EncounterKind, EncounterStatus
from cellblock.medical.services.access import medical_leads
from cellblock.release.models import Release, ReleaseKind, ReleaseStatus
from cellblock.requests.models import WAITING_STATUSES, InmateRequest
from cellblock.visits.models import Visit, VisitStatus

# A row of ``.values()``.
Row = Mapping[str, Any]

# Suicide-watch checks older than this cannot be among the last few (15 min apart at most).
PATTERN_WINDOW = dt.timedelta(hours=24)
# The roles named on an alert, from the facility's memberships.
NAMED_ROLES = {
    rules.COMMANDER: Role.COMMANDER,
    rules.SUPERVISOR: Role.SUPERVISOR,
    rules.MEDIC: Role.MEDICAL,
    rules.CLASSIFICATION: Role.CLASSIFICATION,
    rules.COURT: Role.COURT,
}


def limits_of(policy: FacilityPolicy) -> rules.Limits:
    """The rule book's numbers from a facility's policy."""
    return rules.Limits(
        **{name: getattr(policy, name) for name in rules.Limits.__dataclass_fields__}
    )


# --- The people held ----------------------------------------------------------------


def _latest(queryset: QuerySet[Any], order: str, column: str) -> Subquery:
    return Subquery(queryset.order_by(order).values(column)[:1])


def held_bookings(facility: Facility, *, booking: Booking | None = None) -> QuerySet[Booking]:
    """The bookings held at ``facility`` now (or just ``booking``, if it is held there)."""
    found = Booking.objects.filter(facility=facility, status__in=OPEN_STATUSES)
    return found.filter(pk=booking.pk) if booking is not None else found


def held_people(facility: Facility, *, booking: Booking | None = None) -> list[Row]:
    """Everyone held at ``facility`` with their cell, light, sightings and visits: one query."""
    mine = OuterRef("pk")
    movements = Movement.objects.filter(booking_id=mine)
    seen = RoundCheck.objects.filter(booking_id=mine, status__in=SEEN_STATUSES)
    visits = Visit.objects.filter(booking_id=mine, started_at__isnull=False)
    return list(
        held_bookings(facility, booking=booking).annotate(
            bed_now=FilteredRelation(
                "bed_assignments", condition=Q(bed_assignments__ended_at__isnull=True)
            ),
            housed_since=F("bed_now__started_at"),
            cell_id=F("bed_now__bed__cell_id"),
            cell_code=F("bed_now__bed__cell__code"),
            unit_code=F("bed_now__bed__cell__unit__code"),
            zone_id=F("bed_now__bed__cell__unit__zone_id"),
            restrictive=F("bed_now__bed__cell__unit__restrictive_housing"),
            # Someone sharing a cell is not in solitary, however long they stay in it.
            shares_cell=Exists(
                BedAssignment.objects.filter(
                    bed__cell_id=OuterRef("cell_id"), ended_at__isnull=True
                ).exclude(booking_id=OuterRef("pk"))
            ),
            lit=Exists(
                CellFeature.objects.filter(
                    cell_id=OuterRef("cell_id"), tag="lighting", status=FeatureStatus.WORKING
                )
            ),
            last_seen=_latest(seen, "-checked_at", "checked_at"),
            last_return=_latest(
                movements.filter(returned_at__isnull=False), "-returned_at", "returned_at"
            ),
            out_since=_latest(movements.filter(returned_at__isnull=True), "-left_at", "left_at"),
            last_visit=_latest(
                movements.filter(destination=Destination.VISIT_ROOM), "-left_at", "left_at"
            ),
            # A visit in the person's own cell takes them nowhere: its start counts too.
            last_visit_started=_latest(visits, "-started_at", "started_at"),
            # The full health assessment, once completed, is not due again in this booking.
            assessed=Exists(
                Encounter.objects.filter(
                    booking_id=mine, kind=EncounterKind.HEALTH_ASSESSMENT,
                    status=EncounterStatus.COMPLETED,
                )
            ),
        )
        .values(
            "pk", "booking_number", "booked_at", "custody_level", "person__given_name",
            "person__family_name", "person__date_of_birth", "housed_since", "cell_id",
            "cell_code", "unit_code", "zone_id", "restrictive", "shares_cell", "lit", "last_seen",
            "last_return", "out_since", "last_visit", "last_visit_started", "assessed",
        )
        .order_by("booking_number")
    )  # fmt: skip


def _name(row: Row, prefix: str = "person__") -> str:
    parts = (row[f"{prefix}given_name"], row[f"{prefix}family_name"])
    return " ".join(part for part in parts if part)


def _where(row: Row) -> rules.Where | None:
    if row["cell_id"] is None:
        return None
    return rules.Where(f"{row['unit_code']} / {row['cell_code']}", row["zone_id"], row["cell_id"])


def _levels(people: Sequence[Row], held: QuerySet[Booking], now: dt.datetime) -> dict[int, Level]:
    """Each person's observation level (custody.selectors.rounds): one query for the flags."""
    flags: dict[int, list[Flag]] = defaultdict(list)
    for flag in Flag.objects.filter(active_flags_q(now), booking__in=held, kind__in=LEVEL_FLAGS):
        flags[flag.booking_id].append(flag)
    return {
        row["pk"]: level_for(
            flags.get(row["pk"], ()), row["custody_level"], bool(row["restrictive"])
        )
        for row in people
    }


def _watch_checks(watched: Sequence[int], now: dt.datetime) -> dict[int, tuple[dt.datetime, ...]]:
    """The recent check times of those on suicide watch, oldest first (one query, if any)."""
    times: dict[int, list[dt.datetime]] = defaultdict(list)
    if watched:
        for booking_id, at in (
            RoundCheck.objects.filter(
                booking_id__in=watched, checked_at__gt=now - PATTERN_WINDOW, checked_at__lte=now
            )
            .order_by("booking_id", "checked_at")
            .values_list("booking_id", "checked_at")
        ):
            times[booking_id].append(at)
    return {booking_id: tuple(found) for booking_id, found in times.items()}


def _people_facts(
    facility: Facility,
    policy: FacilityPolicy,
    people: Sequence[Row],
    now: dt.datetime,
    booking: Booking | None,
) -> list[rules.Held]:
    held = held_bookings(facility, booking=booking)
    levels = _levels(people, held, now)
    watch = _watch_checks([pk for pk, level in levels.items() if level == Level.SUICIDE_WATCH], now)
    streaks = solitary.facility_streaks(
        facility, now, {row["pk"]: row["booked_at"] for row in people},
        solitary.limits_of(policy), booking_id=booking.pk if booking else None,
    )  # fmt: skip
    meals = meals_in_a_row_without(held)
    assessment_within = dt.timedelta(days=policy.health_assessment_days)
    found: list[rules.Held] = []
    for row in people:
        level = levels[row["pk"]]
        housed = row["housed_since"]
        sightings = [at for at in (row["last_seen"], row["last_return"], housed) if at]
        run = streaks.get(row["pk"], solitary.Streaks())
        count, since = meals.get(row["pk"], (0, None))
        visits = [at for at in (row["last_visit"], row["last_visit_started"]) if at]
        found.append(
            rules.Held(
                booking=row["booking_number"], name=_name(row), booked_at=row["booked_at"],
                born=row["person__date_of_birth"], where=_where(row), housed_since=housed,
                cell_lit=bool(row["lit"]), out_of_cell=row["out_since"] is not None,
                last_seen_at=max(sightings) if housed else None,
                observation_level=str(level), observation_minutes=interval_for(level, policy),
                recent_checks=watch.get(row["pk"], ()),
                solitary=rules.NO_STREAK if row["shares_cell"] else run.solitary,
                exercise_missed=run.exercise_missed,
                last_visit_at=max(visits, default=None), meals_without=rules.Streak(count, since),
                health_assessment_due_at=None if row["assessed"]
                else row["booked_at"] + assessment_within,
            )
        )  # fmt: skip
    return found


# --- Restraints, movements, counts, posts, incidents, housing -------------------------


def _restraint_facts(
    facility: Facility, where: dict[str, rules.Where | None], booking: Booking | None
) -> list[rules.RestraintFact]:
    """Restraints in force, and removals without authority not yet reviewed: one query."""
    found = Restraint.objects.filter(booking__facility=facility).filter(
        Q(removed_at__isnull=True)
        | Q(removal_authorised_by__isnull=True, removal_reviewed_at__isnull=True)
    )
    if booking is not None:
        found = found.filter(booking=booking)
    last_check = RestraintCheck.objects.filter(restraint_id=OuterRef("pk"))
    rows = found.annotate(
        last_check=_latest(last_check, "-checked_at", "checked_at")
    ).values(
        "public_id", "kind", "applied_at", "extension_supervisor_id", "extension_medic_id",
        "removed_at", "removal_authorised_by_id", "removal_reviewed_at", "last_check",
        "booking__booking_number", "booking__person__given_name", "booking__person__family_name",
    )  # fmt: skip
    kinds = dict(Restraint._meta.get_field("kind").choices or [])
    return [
        rules.RestraintFact(
            key=str(row["public_id"]), booking=row["booking__booking_number"],
            name=_name(row, "booking__person__"), kind=str(kinds.get(row["kind"], row["kind"])),
            applied_at=row["applied_at"], where=where.get(row["booking__booking_number"]),
            last_check_at=row["last_check"],
            supervisor_approved=row["extension_supervisor_id"] is not None,
            medic_approved=row["extension_medic_id"] is not None, removed_at=row["removed_at"],
            removal_authorised=row["removal_authorised_by_id"] is not None,
            removal_reviewed=row["removal_reviewed_at"] is not None,
        )
        for row in rows
    ]  # fmt: skip


def _movement_facts(
    facility: Facility, where: dict[str, rules.Where | None], booking: Booking | None
) -> list[rules.OpenMovement]:
    """Open movements with an expected return (the rule decides which are late): one query."""
    found = Movement.objects.filter(
        booking__facility=facility, booking__status__in=OPEN_STATUSES, returned_at__isnull=True,
        expected_return_at__isnull=False,
    )  # fmt: skip
    if booking is not None:
        found = found.filter(booking=booking)
    labels = dict(Destination.choices)
    return [
        rules.OpenMovement(
            booking=row["booking__booking_number"], name=_name(row, "booking__person__"),
            destination=str(labels.get(row["destination"], row["destination"])),
            left_at=row["left_at"], expected_return_at=row["expected_return_at"],
            escort=row["escort__full_name"] or row["escort__username"] or "",
            where=where.get(row["booking__booking_number"]),
        )
        for row in found.values(
            "booking__booking_number", "booking__person__given_name",
            "booking__person__family_name", "destination", "left_at", "expected_return_at",
            "escort__full_name", "escort__username",
        )
    ]  # fmt: skip


def _count_facts(facility: Facility, now: dt.datetime) -> list[rules.CountSlot]:
    """Today's count times that passed their grace unanswered (custody.selectors.counts)."""
    today_starts = day_bounds(local_date(now, facility.timezone), facility.timezone)[0]
    return [
        rules.CountSlot(
            label=clock.local(scheduled.due_at, facility.timezone).strftime("%H:%M"),
            due_at=scheduled.due_at, answered=scheduled.count is not None,
        )
        for scheduled in missed_counts(facility, now, since=today_starts)
    ]  # fmt: skip


def _post_facts(board: PostBoard) -> list[rules.PostFact]:
    facts = []
    for row in board.rows:
        post = row.post
        place = (
            rules.Where(post.name, post.zone_id, post.cell_id)
            if post.zone_id or post.cell_id
            else None
        )
        facts.append(
            rules.PostFact(
                code=post.code, name=post.name, required=row.required,
                on_post=len(row.assignments), shift_started_at=board.shift.starts_at,
                where=place,
            )
        )  # fmt: skip
    return facts


def _incident_facts(facility: Facility) -> list[rules.IncidentFact]:
    """Forced entries the system opened that nobody has reviewed: one query."""
    rows = Incident.objects.filter(
        facility=facility, kind=IncidentKind.FORCED_ENTRY, origin=IncidentOrigin.AUTOMATIC,
        reviewed_at__isnull=True,
    ).values(
        "number", "occurred_at", "place", "cell_id", "cell__code", "cell__unit__code",
        "cell__unit__zone_id", "zone_id", "zone__name",
    )  # fmt: skip
    facts = []
    for row in rows.order_by("occurred_at"):
        if row["cell_id"] is not None:
            label = f"{row['cell__unit__code']} / {row['cell__code']}"
            where = rules.Where(label, row["cell__unit__zone_id"], row["cell_id"])
        elif row["zone_id"] is not None:
            where = rules.Where(row["zone__name"], row["zone_id"], None)
        else:
            where = None
        place = where.label if where else row["place"] or "an unnamed place"
        facts.append(rules.IncidentFact(row["number"], row["occurred_at"], place, where))
    return facts


def _review_facts(
    facility: Facility, where: dict[str, rules.Where | None], booking: Booking | None
) -> list[rules.ReviewFact]:
    """Open housing alerts (housing app): one query."""
    found = HousingReview.objects.filter(resolved_at__isnull=True, booking__facility=facility)
    if booking is not None:
        found = found.filter(booking=booking)
    return [
        rules.ReviewFact(
            booking=row["booking__booking_number"], name=_name(row, "booking__person__"),
            code=row["code"], subject=row["subject"], message=row["message"],
            raised_at=row["raised_at"], where=where.get(row["booking__booking_number"]),
        )
        for row in found.values(
            "booking__booking_number", "booking__person__given_name",
            "booking__person__family_name", "code", "subject", "message", "raised_at",
        )
    ]  # fmt: skip


def _visit_facts(
    facility: Facility, where: dict[str, rules.Where | None], booking: Booking | None
) -> list[rules.VisitFact]:
    """Visits in progress (the rule decides which are over their time): one query."""
    found = Visit.objects.filter(
        facility=facility, status=VisitStatus.IN_PROGRESS, started_at__isnull=False
    )
    if booking is not None:
        found = found.filter(booking=booking)
    facts = []
    for row in found.values(
        "public_id", "booking__booking_number", "booking__person__given_name",
        "booking__person__family_name", "starts_at", "ends_at", "started_at", "room__name",
        "room__zone_id", "cell__code", "escort__full_name", "escort__username",
    ).order_by("started_at"):  # fmt: skip
        started: dt.datetime | None = row["started_at"]
        if started is None:
            continue
        length = row["ends_at"] - row["starts_at"]
        number = row["booking__booking_number"]
        if row["room__name"] is not None:
            place = row["room__name"]
            at = rules.Where(place, row["room__zone_id"], None)
        else:
            # In the person's own cell.
            at = where.get(number)
            place = at.label if at else f"cell {row['cell__code']}"
        facts.append(
            rules.VisitFact(
                key=str(row["public_id"]), booking=number,
                name=_name(row, "booking__person__"), place=place,
                started_at=started, due_end_at=started + length,
                minutes=int(length.total_seconds() // 60),
                escort=row["escort__full_name"] or row["escort__username"] or "", where=at,
            )
        )  # fmt: skip
    return facts


def _request_facts(
    facility: Facility, where: dict[str, rules.Where | None], booking: Booking | None
) -> list[rules.RequestFact]:
    """Requests and grievances still waiting for staff (the rule reads the deadline): one query."""
    found = InmateRequest.objects.filter(facility=facility, status__in=WAITING_STATUSES)
    if booking is not None:
        found = found.filter(booking=booking)
    return [
        rules.RequestFact(
            number=row["number"], booking=row["booking__booking_number"],
            name=_name(row, "booking__person__"), subject=row["subject"], due_at=row["due_at"],
            addressee_role=row["addressee_role"],
            addressee=row["addressee__full_name"] or row["addressee__username"] or "",
            escalated=row["escalated_at"] is not None,
            where=where.get(row["booking__booking_number"]),
        )
        for row in found.values(
            "number", "booking__booking_number", "booking__person__given_name",
            "booking__person__family_name", "subject", "due_at", "addressee_role",
            "addressee__full_name", "addressee__username", "escalated_at",
        ).order_by("due_at", "number")
    ]  # fmt: skip


def _break_glass_facts(
    facility: Facility, where: dict[str, rules.Where | None], booking: Booking | None
) -> list[rules.BreakGlassFact]:
    """Break-glass openings nobody has reviewed yet: who opened whose record (never why)."""
    found = BreakGlass.objects.filter(facility=facility, reviewed_at__isnull=True)
    if booking is not None:
        found = found.filter(booking=booking)
    return [
        rules.BreakGlassFact(
            key=str(row["public_id"]), booking=row["booking__booking_number"],
            name=_name(row, "booking__person__"),
            opened_by=row["opened_by__full_name"] or row["opened_by__username"],
            opened_at=row["opened_at"],
            minutes=int((row["expires_at"] - row["opened_at"]).total_seconds() // 60),
            where=where.get(row["booking__booking_number"]),
        )
        for row in found.values(
            "public_id", "booking__booking_number", "booking__person__given_name",
            "booking__person__family_name", "opened_by__full_name", "opened_by__username",
            "opened_at", "expires_at",
        ).order_by("opened_at", "pk")
    ]  # fmt: skip


# --- Release dates and court ------------------------------------------------------------


def _held_here(facility: Facility, booking: Booking | None) -> Q:
    """Rows about a booking held at ``facility`` now (or about ``booking`` alone)."""
    held = Q(booking__facility=facility, booking__status__in=OPEN_STATUSES)
    return held & Q(booking=booking) if booking is not None else held


def _release_facts(
    facility: Facility, where: dict[str, rules.Where | None], booking: Booking | None
) -> list[rules.ReleaseDue]:
    """Release dates of the people held, what else holds them, a release prepared: one query."""
    mine = OuterRef("booking_id")
    preparing = Release.objects.filter(
        booking_id=mine, kind=ReleaseKind.TIME_SERVED, status=ReleaseStatus.PREPARING
    )
    rows = (
        ReleaseDate.objects.filter(_held_here(facility, booking), release_on__isnull=False)
        .annotate(
            open_hold=Exists(Hold.objects.filter(booking_id=mine, lifted_at__isnull=True)),
            # Charges of the person (any case, any court) still waiting for a verdict.
            pending_charge=Exists(
                CaseCharge.objects.filter(
                    case__person_id=OuterRef("booking__person_id"), case__status=CaseStatus.OPEN,
                    verdict=Verdict.PENDING,
                )
            ),
            away=Exists(Release.objects.filter(booking_id=mine, status=ReleaseStatus.AWAY)),
            preparing_id=_latest(preparing, "-requested_at", "public_id"),
            preparing_since=_latest(preparing, "-requested_at", "requested_at"),
        )
        .values(
            "release_on", "open_hold", "pending_charge", "away", "preparing_id",
            "preparing_since", "booking__booking_number", "booking__person__given_name",
            "booking__person__family_name",
        )
        .order_by("release_on", "booking__booking_number")
    )  # fmt: skip
    found = []
    for row in rows:
        release_on = row["release_on"]
        if release_on is None:  # filtered out above; the column itself is nullable
            continue
        found.append(
            rules.ReleaseDue(
                booking=row["booking__booking_number"], name=_name(row, "booking__person__"),
                release_on=release_on,
                overdue_from=day_bounds(release_on, facility.timezone)[1],
                open_hold=row["open_hold"], pending_charge=row["pending_charge"],
                away=row["away"],
                release_key=str(row["preparing_id"]) if row["preparing_id"] else "",
                release_requested_at=row["preparing_since"],
                where=where.get(row["booking__booking_number"]),
            )
        )  # fmt: skip
    return found


def _date_change_facts(
    facility: Facility, where: dict[str, rules.Where | None], booking: Booking | None
) -> list[rules.DateChangeFact]:
    """Release-date changes of the people held that nobody has reviewed yet: one query."""
    found = ReleaseDateChange.objects.filter(
        _held_here(facility, booking), reviewed_at__isnull=True
    )
    return [
        rules.DateChangeFact(
            key=str(row["public_id"]), booking=row["booking__booking_number"],
            name=_name(row, "booking__person__"), previous_on=row["previous_on"],
            new_on=row["new_on"], cause=row["cause"], cause_detail=row["cause_detail"],
            computed_at=row["computed_at"], where=where.get(row["booking__booking_number"]),
        )
        for row in found.values(
            "public_id", "previous_on", "new_on", "cause", "cause_detail", "computed_at",
            "booking__booking_number", "booking__person__given_name",
            "booking__person__family_name",
        ).order_by("computed_at", "pk")
    ]  # fmt: skip


def _hearing_facts(
    facility: Facility,
    now: dt.datetime,
    where: dict[str, rules.Where | None],
    booking: Booking | None,
) -> list[rules.HearingFact]:
    """Hearings of the people held, due by now, nobody produced for (the rule adds the grace)."""
    found = Hearing.objects.filter(
        _held_here(facility, booking),
        status=HearingStatus.SCHEDULED,
        production__isnull=True,
        scheduled_at__lte=now,
    )
    kinds = dict(HearingKind.choices)
    return [
        rules.HearingFact(
            key=str(row["public_id"]), booking=row["booking__booking_number"],
            name=_name(row, "booking__person__"), kind=str(kinds.get(row["kind"], row["kind"])),
            court=row["case__court__name"], docket=row["case__docket_number"],
            scheduled_at=row["scheduled_at"],
            when=clock.local(row["scheduled_at"], facility.timezone).strftime("%Y-%m-%d %H:%M"),
            where=where.get(row["booking__booking_number"]),
        )
        for row in found.values(
            "public_id", "kind", "scheduled_at", "case__court__name", "case__docket_number",
            "booking__booking_number", "booking__person__given_name",
            "booking__person__family_name",
        ).order_by("scheduled_at", "pk")
    ]  # fmt: skip


# --- Who must act -------------------------------------------------------------------


def _staff_by_role(facility: Facility, extra: Iterable[str] = ()) -> dict[str, tuple[str, ...]]:
    """Commanders, supervisors, medics, classification and court staff of the facility, by name.

    ``extra`` adds other roles by their code (the roles requests are addressed to).
    """
    names: dict[str, list[str]] = defaultdict(list)
    wanted: dict[str, str] = {role.value: code for code, role in NAMED_ROLES.items()}
    wanted |= {code: code for code in extra if code in Role.values}
    for role, full_name, username in (
        Membership.objects.filter(
            facility=facility, active=True, user__is_active=True, role__in=list(wanted)
        )
        .order_by("user__full_name", "user__username")
        .values_list("role", "user__full_name", "user__username")
    ):
        names[wanted[role]].append(full_name or username)
    return {code: tuple(found) for code, found in names.items()}


def _on_duty(board: PostBoard, where: rules.Where | None) -> tuple[str, ...]:
    """Officers on the posts covering the place this shift (as posts.officers_on_duty_for)."""
    if where is None:
        return ()
    officers: list[User] = []
    for row in board.rows:
        post = row.post
        covers = (where.cell_id is not None and post.cell_id == where.cell_id) or (
            where.zone_id is not None and post.zone_id == where.zone_id
        )
        if covers:
            officers += row.officers
    unique = {officer.pk: officer for officer in officers}
    return tuple(str(officer) for officer in sorted(unique.values(), key=lambda u: u.username))


def _named(
    found: Iterable[rules.Alert], staff: dict[str, tuple[str, ...]], board: PostBoard
) -> list[rules.Alert]:
    named = []
    # Alerts about the same place under the same rule name the same people: work it out once.
    known: dict[tuple[object, ...], tuple[rules.Responsible, ...]] = {}
    for alert in found:
        key = (alert.responsible, alert.where)
        if key not in known:
            known[key] = tuple(
                rules.Responsible(
                    person.role,
                    person.names
                    or (
                        _on_duty(board, alert.where)
                        if person.role == rules.OFFICERS_ON_DUTY
                        else staff.get(person.role, ())
                    ),
                )
                for person in alert.responsible
            )
        named.append(replace(alert, responsible=known[key]))
    return named


# --- The board ------------------------------------------------------------------------


def facts_of(
    facility: Facility, now: dt.datetime, *, booking: Booking | None = None
) -> tuple[rules.Facts, PostBoard]:
    """Everything the rule book needs about ``facility`` (or one person) at ``now``."""
    policy = policy_of(facility)
    people = held_people(facility, booking=booking)
    where = {row["booking_number"]: _where(row) for row in people}
    board = post_board(facility, now)
    facts = rules.Facts(
        now=now, today=local_date(now, facility.timezone), facility=facility.code,
        serves_adults=facility.serves_adults, limits=limits_of(policy),
        people=_people_facts(facility, policy, people, now, booking),
        restraints=_restraint_facts(facility, where, booking),
        movements=_movement_facts(facility, where, booking),
        # Counts, posts and forced entries are about places, not one person.
        counts=_count_facts(facility, now) if booking is None else (),
        posts=_post_facts(board) if booking is None else (),
        incidents=_incident_facts(facility) if booking is None else (),
        reviews=_review_facts(facility, where, booking),
        visits=_visit_facts(facility, where, booking),
        requests=_request_facts(facility, where, booking),
        break_glass=_break_glass_facts(facility, where, booking),
        releases=_release_facts(facility, where, booking),
        date_changes=_date_change_facts(facility, where, booking),
        hearings=_hearing_facts(facility, now, where, booking),
    )  # fmt: skip
    return facts, board


def alerts(
    facility: Facility, now: dt.datetime, *, booking: Booking | None = None
) -> list[rules.Alert]:
    """Every alert at ``facility`` now (or about one person), breaches first, then oldest first.

    Who must act is named: the facility's commanders, supervisors, medics,
    classification and court staff, the officers on the posts covering the person's cell
    or zone this shift, the escort of a movement or a visit, the staff a
    request is addressed to, the medical lead of a break-glass opening.
    """
    facts, board = facts_of(facility, now, booking=booking)
    addressed = {request.addressee_role for request in facts.requests if request.addressee_role}
    staff = _staff_by_role(facility, addressed)
    if facts.break_glass:
        # The named medical lead, or every medic: asked only when an opening waits for review.
        staff[rules.MEDICAL_LEAD] = tuple(str(lead) for lead in medical_leads(facility))
    return _named(rules.evaluate(facts), staff, board)


@dataclass(frozen=True)
class Summary:
    breaches: int
    warnings: int
    top: list[rules.Alert]
    # None: derived now; else the time of the sweep it was read from.
    as_of: dt.datetime | None = None

    @property
    def total(self) -> int:
        return self.breaches + self.warnings


def summary(found: Sequence[rules.Alert], top: int = 10) -> Summary:
    breaches = sum(1 for alert in found if alert.severity == rules.BREACH)
    return Summary(breaches=breaches, warnings=len(found) - breaches, top=list(found[:top]))


def alert_of_episode(episode: AlertEpisode) -> rules.Alert:
    """An open episode as the sweep last saw its alert (select_related ``booking__person``)."""
    rule = rules.RULES.get(episode.rule)
    return rules.Alert(
        rule=episode.rule, title=rule.title if rule else episode.rule, severity=episode.severity,
        number=episode.worst_number, unit=rule.unit if rule else "", limit=0,
        source=rule.source if rule else "", since=episode.since, subject=episode.subject,
        message=episode.message,
        booking=episode.booking.booking_number if episode.booking else None,
        person=episode.booking.person.full_name if episode.booking else "",
    )  # fmt: skip


def recorded_summary(facility: Facility, top: int = 10) -> Summary:
    """The alerts open at the last sweep, counted and the most urgent first: two queries.

    For facilities too large to derive every alert on each page view (the
    dashboard of a big jail); the board itself always derives them now.
    """
    open_now = AlertEpisode.objects.filter(facility=facility, cleared_at__isnull=True)
    totals = open_now.aggregate(
        breaches=Count("pk", filter=Q(severity=rules.BREACH)),
        warnings=Count("pk", filter=Q(severity=rules.WARNING)),
        as_of=Max("last_seen_at"),
    )
    urgent = (
        open_now.select_related("booking__person")
        .annotate(rank=Case(When(severity=rules.BREACH, then=0), default=1))
        .order_by("rank", "since", "subject")[:top]
    )
    return Summary(
        breaches=totals["breaches"], warnings=totals["warnings"],
        top=[alert_of_episode(episode) for episode in urgent], as_of=totals["as_of"],
    )  # fmt: skip


def filtered(
    found: Iterable[rules.Alert], *, severity: str = "", rule: str = ""
) -> list[rules.Alert]:
    return [
        alert
        for alert in found
        if (not severity or alert.severity == severity) and (not rule or alert.rule == rule)
    ]


# --- The report -----------------------------------------------------------------------


@dataclass(frozen=True)
class RuleTotals:
    rule: rules.Rule
    episodes: list[AlertEpisode]
    # Time the condition held inside the range, summed, in minutes.
    minutes_in_range: int
    longest_minutes: int
    still_open: int

    @property
    def count(self) -> int:
        return len(self.episodes)


def episode_minutes(episode: AlertEpisode, now: dt.datetime) -> int:
    """How long the condition held: from its ``since`` until it cleared (or now)."""
    return int(((episode.cleared_at or now) - episode.since).total_seconds() // 60)


def report(
    facility: Facility, starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime
) -> list[RuleTotals]:
    """Alert episodes that overlap [starts_at, ends_at), grouped by rule: one query."""
    episodes = list(
        AlertEpisode.objects.filter(facility=facility, since__lt=ends_at)
        .filter(Q(cleared_at__isnull=True) | Q(cleared_at__gte=starts_at))
        .select_related("booking__person")
        .order_by("rule", "since", "subject")
    )
    grouped: dict[str, list[AlertEpisode]] = defaultdict(list)
    for episode in episodes:
        grouped[episode.rule].append(episode)
    totals = []
    for code, rule in rules.RULES.items():
        found = grouped.get(code, [])
        if not found:
            continue
        in_range = sum(
            max(0.0, (min(e.cleared_at or now, ends_at) - max(e.since, starts_at)).total_seconds())
            for e in found
        )
        totals.append(
            RuleTotals(
                rule=rule, episodes=found, minutes_in_range=int(in_range // 60),
                longest_minutes=max(episode_minutes(e, now) for e in found),
                still_open=sum(1 for e in found if e.cleared_at is None),
            )
        )  # fmt: skip
    return totals


# --- One person's custody now (the profile's panel) --------------------------------


@dataclass(frozen=True)
class RestraintLine:
    kind: str
    applied_at: dt.datetime
    last_check_at: dt.datetime | None


@dataclass(frozen=True)
class MovementLine:
    destination: str
    detail: str
    left_at: dt.datetime
    expected_return_at: dt.datetime | None
    escort: str


@dataclass(frozen=True)
class CustodySummary:
    """Where a person stands now: how closely watched, restrained, out, and their days."""

    held: bool
    level: str = rules.GENERAL
    level_label: str = ""
    interval_minutes: int = 0
    last_seen_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    restraints: tuple[RestraintLine, ...] = ()
    movement: MovementLine | None = None
    today: solitary.Day | None = None
    yesterday: solitary.Day | None = None
    streaks: solitary.Streaks = field(default_factory=solitary.Streaks)
    solitary_alert_day: int = 12
    solitary_breach_day: int = 16
    # The next check is late (and the person is in their cell).
    overdue: bool = False


def _alone(streaks: solitary.Streaks, shares_cell: bool) -> solitary.Streaks:
    """A person with a cellmate has company: no solitary streak, whatever the clock says."""
    return replace(streaks, solitary=rules.NO_STREAK) if shares_cell else streaks


def custody_summary(booking: Booking, now: dt.datetime) -> CustodySummary:
    """The custody panel of one booking: a handful of queries, whatever its history."""
    if booking.status not in OPEN_STATUSES:
        return CustodySummary(held=False)
    facility = booking.facility
    policy = policy_of(facility)
    people = held_people(facility, booking=booking)
    if not people:
        return CustodySummary(held=False)
    row = people[0]
    level = _levels(people, held_bookings(facility, booking=booking), now)[booking.pk]
    interval = interval_for(level, policy)
    housed = row["housed_since"]
    sightings = [at for at in (row["last_seen"], row["last_return"], housed) if at]
    last_seen = max(sightings) if housed else None
    kinds = dict(Restraint._meta.get_field("kind").choices or [])
    restraints = tuple(
        RestraintLine(str(kinds.get(kind, kind)), applied_at, last_check)
        for kind, applied_at, last_check in Restraint.objects.filter(
            booking=booking, removed_at__isnull=True
        )
        .annotate(
            last_check=_latest(
                RestraintCheck.objects.filter(restraint_id=OuterRef("pk")), "-checked_at",
                "checked_at",
            )
        )
        .order_by("applied_at")
        .values_list("kind", "applied_at", "last_check")
    )  # fmt: skip
    out = (
        Movement.objects.filter(booking=booking, returned_at__isnull=True)
        .values(
            "destination", "destination_detail", "left_at", "expected_return_at",
            "escort__full_name", "escort__username",
        )
        .first()
    )  # fmt: skip
    labels = dict(Destination.choices)
    due_at = last_seen + dt.timedelta(minutes=interval) if last_seen else None
    movement = (
        MovementLine(
            destination=str(labels.get(out["destination"], out["destination"])),
            detail=out["destination_detail"], left_at=out["left_at"],
            expected_return_at=out["expected_return_at"],
            escort=out["escort__full_name"] or out["escort__username"] or "",
        )
        if out
        else None
    )  # fmt: skip
    limits = solitary.limits_of(policy)
    today = local_date(now, facility.timezone)
    days = solitary.days_out_of_cell(
        booking, today - dt.timedelta(days=1), today, now=now, limits=limits
    )
    return CustodySummary(
        held=True, level=str(level), level_label=Level(level).label, interval_minutes=interval,
        last_seen_at=last_seen, due_at=due_at,
        overdue=due_at is not None and movement is None and now > due_at,
        restraints=restraints, movement=movement, yesterday=days[0], today=days[1],
        streaks=_alone(solitary.booking_streaks(booking, now, limits), row["shares_cell"]),
        solitary_alert_day=policy.prolonged_solitary_alert_day,
        solitary_breach_day=policy.prolonged_solitary_breach_day,
    )  # fmt: skip
