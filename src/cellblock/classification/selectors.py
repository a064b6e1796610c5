"""Reads of classification: flags and orders in force, the instrument, the queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from cellblock.booking.models import OPEN_STATUSES, Booking, IntakeStep, IntakeStepCode
from cellblock.classification import instrument as scoring
from cellblock.classification.models import (
    Assessment,
    AssessmentStatus,
    Flag,
    Instrument,
    PreaKind,
    PreaScreening,
    ProtectiveOrder,
    ReviewTrigger,
    SeparationOrder,
    StaffConflict,
)
from cellblock.core import clock
from cellblock.core.errors import NotFound
from cellblock.facilities.models import Facility, FacilityPolicy
from cellblock.people.models import Person


def active_flags_q(now: dt.datetime, prefix: str = "") -> Q:
    """Flags in force at ``now``: not lifted, and not past their ``until``."""
    return Q(**{f"{prefix}lifted_at__isnull": True}) & (
        Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gt": now})
    )


def active_flags(now: dt.datetime) -> QuerySet[Flag]:
    return Flag.objects.filter(active_flags_q(now))


def orders_in_force_q(now: dt.datetime, prefix: str = "") -> Q:
    """Orders in force at ``now``: started, not ended, and not past their expiry."""
    return Q(**{f"{prefix}ended_at__isnull": True, f"{prefix}starts_at__lte": now}) & (
        Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": now})
    )


def policy_of(facility: Facility) -> FacilityPolicy:
    """The facility's policy, or the cited defaults when it has none yet."""
    policy = FacilityPolicy.objects.filter(facility_id=facility.pk).first()
    return policy or FacilityPolicy(facility=facility)


SHIPPED = {scoring.NIC_CUSTODY_V1["code"]: scoring.NIC_CUSTODY_V1}


def instrument_in_force(code: str) -> Instrument:
    """The newest published version of ``code``.

    Before anything is published, the default shipped with cellblock is
    returned unsaved; the first assessment publishes it.
    """
    stored = Instrument.objects.filter(code=code).order_by("-version").first()
    if stored is not None:
        return stored
    definition = SHIPPED.get(code)
    if definition is None:
        raise NotFound(f"No classification instrument '{code}' is published.")
    return Instrument(
        code=code, version=definition["version"], name=definition["name"], definition=definition
    )


def parsed_instrument(instrument: Instrument) -> scoring.Instrument:
    return scoring.parse_instrument(instrument.definition)


def latest_assessment(booking: Booking) -> Assessment | None:
    return (
        Assessment.objects.filter(booking=booking)
        .select_related("assessed_by", "decided_by", "instrument")
        .order_by("-assessed_at", "-id")
        .first()
    )


def pending_overrides(facility: Facility) -> QuerySet[Assessment]:
    """Overrides waiting for a supervisor or commander, oldest first.

    A newer assessment marks an override left pending as superseded, so every
    pending one is the newest of its booking.
    """
    return (
        Assessment.objects.filter(
            status=AssessmentStatus.OVERRIDE_PENDING,
            booking__facility=facility,
            booking__status__in=OPEN_STATUSES,
        )
        .select_related("booking__person", "assessed_by")
        .order_by("assessed_at", "id")
    )


# --- Orders of one person ------------------------------------------------------------


@dataclass
class PersonOrders:
    separations: list[SeparationOrder] = field(default_factory=list)
    protective: list[ProtectiveOrder] = field(default_factory=list)
    staff_conflicts: list[StaffConflict] = field(default_factory=list)


def orders_of(person: Person, agency_id: int, *, include_past: bool = False) -> PersonOrders:
    """Every order naming ``person`` in the agency; only those in force unless ``include_past``."""
    now = clock.now()
    in_force = (
        Q()
        if include_past
        else orders_in_force_q(now) | Q(ended_at__isnull=True, starts_at__gt=now)
    )
    separations = (
        SeparationOrder.objects.filter(in_force, agency_id=agency_id)
        .filter(
            Q(person=person)
            | Q(other_person=person)
            | Q(group__memberships__person=person, group__memberships__ended_at__isnull=True)
        )
        .select_related(
            "person", "other_person", "group", "authorised_by", "recorded_by", "ended_by"
        )
        .distinct()
    )
    protective = ProtectiveOrder.objects.filter(in_force, agency_id=agency_id, person=person)
    conflicts = StaffConflict.objects.filter(in_force, agency_id=agency_id, person=person)
    return PersonOrders(
        separations=list(separations),
        protective=list(
            protective.select_related("person", "protected_person", "recorded_by", "ended_by")
        ),
        staff_conflicts=list(
            conflicts.select_related("person", "staff", "recorded_by", "ended_by")
        ),
    )


def protective_orders_between(
    person: Person, other: Person, now: dt.datetime
) -> QuerySet[ProtectiveOrder]:
    """Protective orders in force that forbid ``person`` (in custody) contact with ``other``."""
    return ProtectiveOrder.objects.filter(
        orders_in_force_q(now), person=person, protected_person=other
    )


def staff_conflicts_for(person: Person, now: dt.datetime) -> QuerySet[StaffConflict]:
    return StaffConflict.objects.filter(orders_in_force_q(now), person=person).select_related(
        "staff"
    )


# --- The queue: who is due or overdue ---------------------------------------------------


class DueKind:
    INITIAL = "initial"
    REVIEW = "review"
    EVENT = "event"
    PREA_INITIAL = "prea_initial"
    PREA_REASSESSMENT = "prea_reassessment"


DUE_LABELS = {
    DueKind.INITIAL: "Initial classification",
    DueKind.REVIEW: "Scheduled reassessment",
    DueKind.EVENT: "Reassessment after an event",
    DueKind.PREA_INITIAL: "PREA screening (72 h)",
    DueKind.PREA_REASSESSMENT: "PREA reassessment (30 days)",
}


@dataclass(frozen=True)
class QueueRow:
    booking: Booking
    kind: str
    due_at: dt.datetime
    detail: str
    overdue: bool

    @property
    def label(self) -> str:
        return DUE_LABELS[self.kind]


@dataclass(frozen=True)
class _DueSources:
    """The five kinds of due work, each filtered on its due time in the database.

    The first classification and the first PREA screening are the open intake
    steps (their due time is on the step, indexed); a scheduled review is the
    latest assessment's ``review_due_at``; the 30-day PREA reassessment is due
    a fixed time after booking, so it is filtered and ordered on ``booked_at``.
    """

    initial: QuerySet[IntakeStep]
    review: QuerySet[Booking]
    events: QuerySet[ReviewTrigger]
    prea_initial: QuerySet[IntakeStep]
    prea_reassessment: QuerySet[Booking]
    prea_days: dt.timedelta


def _due_sources(facility: Facility, *, due_before: dt.datetime, inclusive: bool) -> _DueSources:
    """Work due before (or at, when ``inclusive``) ``due_before``."""
    policy = policy_of(facility)
    held = Booking.objects.filter(facility=facility, status__in=OPEN_STATUSES)
    before = "lte" if inclusive else "lt"

    def open_steps(code: str) -> QuerySet[IntakeStep]:
        return IntakeStep.objects.filter(
            step=code,
            completed_at__isnull=True,
            booking__facility=facility,
            booking__status__in=OPEN_STATUSES,
            **{f"due_at__{before}": due_before},
        ).order_by("due_at", "booking__booking_number")

    latest_due = (
        Assessment.objects.filter(booking=OuterRef("pk"))
        .order_by("-assessed_at", "-id")
        .values("review_due_at")[:1]
    )
    screened = PreaScreening.objects.filter(booking=OuterRef("pk"))
    prea_days = dt.timedelta(days=policy.prea_reassessment_days)
    return _DueSources(
        initial=open_steps(IntakeStepCode.CLASSIFICATION),
        review=held.annotate(due=Subquery(latest_due))
        .filter(**{f"due__{before}": due_before})
        .order_by("due", "booking_number"),
        events=ReviewTrigger.objects.filter(
            satisfied_by__isnull=True, booking__in=held, **{f"due_at__{before}": due_before}
        ).order_by("due_at", "id"),
        prea_initial=open_steps(IntakeStepCode.PREA_SCREENING),
        prea_reassessment=held.filter(
            Exists(screened.filter(kind=PreaKind.INITIAL)),
            ~Exists(screened.exclude(kind=PreaKind.INITIAL)),
            **{f"booked_at__{before}": due_before - prea_days},
        ).order_by("booked_at", "booking_number"),
        prea_days=prea_days,
    )


def classification_queue(
    facility: Facility,
    now: dt.datetime,
    *,
    horizon: dt.timedelta = dt.timedelta(days=7),
    limit: int | None = None,
) -> list[QueueRow]:
    """Everyone whose classification or PREA screening is overdue or due within ``horizon``.

    Overdue first, then soonest due.  With ``limit``, only that many rows: each
    kind of work is cut at ``limit`` in the database before they are merged,
    which keeps the most urgent rows exactly.  One query per kind of work.
    """
    sources = _due_sources(facility, due_before=now + horizon, inclusive=True)

    def cut(queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset[:limit] if limit is not None else queryset

    rows: list[QueueRow] = []
    for kind, steps in (
        (DueKind.INITIAL, sources.initial),
        (DueKind.PREA_INITIAL, sources.prea_initial),
    ):
        for step in cut(steps.select_related("booking__person")):
            rows.append(QueueRow(step.booking, kind, step.due_at, "", step.due_at < now))
    for booking in cut(sources.review.select_related("person")):
        rows.append(QueueRow(booking, DueKind.REVIEW, booking.due, "", booking.due < now))
    for booking in cut(sources.prea_reassessment.select_related("person")):
        due = booking.booked_at + sources.prea_days
        rows.append(QueueRow(booking, DueKind.PREA_REASSESSMENT, due, "", due < now))
    for trigger in cut(sources.events.select_related("booking__person")):
        rows.append(
            QueueRow(
                trigger.booking,
                DueKind.EVENT,
                trigger.due_at,
                f"{trigger.get_reason_display()}: {trigger.detail}",
                trigger.due_at < now,
            )
        )
    rows.sort(key=lambda row: (not row.overdue, row.due_at, row.booking.booking_number))
    return rows if limit is None else rows[:limit]


@dataclass(frozen=True)
class OverdueCounts:
    classification: int
    prea: int

    @property
    def total(self) -> int:
        return self.classification + self.prea


def overdue_counts(facility: Facility, now: dt.datetime) -> OverdueCounts:
    """How many classifications and PREA screenings are overdue (the dashboard's numbers).

    Counted in the database, one query per kind of work, whatever the population.
    """
    sources = _due_sources(facility, due_before=now, inclusive=False)
    return OverdueCounts(
        classification=sources.initial.count() + sources.review.count() + sources.events.count(),
        prea=sources.prea_initial.count() + sources.prea_reassessment.count(),
    )
