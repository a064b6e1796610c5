"""Reads of classification: flags and orders in force, the instrument, the queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

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

    An override left pending when a newer assessment was recorded can no longer
    be decided (the newer one is in force), so it is not waiting for anyone.
    """
    newest = (
        Assessment.objects.filter(booking=OuterRef("booking"))
        .order_by("-assessed_at", "-id")
        .values("pk")[:1]
    )
    return (
        Assessment.objects.filter(
            status=AssessmentStatus.OVERRIDE_PENDING,
            booking__facility=facility,
            booking__status__in=OPEN_STATUSES,
            pk=Subquery(newest),
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
        .select_related("person", "other_person", "group", "authorised_by", "recorded_by")
        .distinct()
    )
    protective = ProtectiveOrder.objects.filter(in_force, agency_id=agency_id, person=person)
    conflicts = StaffConflict.objects.filter(in_force, agency_id=agency_id, person=person)
    return PersonOrders(
        separations=list(separations),
        protective=list(protective.select_related("protected_person", "recorded_by")),
        staff_conflicts=list(conflicts.select_related("staff", "recorded_by")),
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


def classification_queue(
    facility: Facility, now: dt.datetime, *, horizon: dt.timedelta = dt.timedelta(days=7)
) -> list[QueueRow]:
    """Everyone whose classification or PREA screening is overdue or due within ``horizon``.

    A fixed number of queries: one per kind of due work.
    """
    policy = policy_of(facility)
    until = now + horizon
    held = Booking.objects.filter(facility=facility, status__in=OPEN_STATUSES).select_related(
        "person"
    )
    rows: list[QueueRow] = []
    step_due = IntakeStep.objects.filter(
        booking=OuterRef("pk"), step=IntakeStepCode.CLASSIFICATION
    ).values("due_at")[:1]
    for unassessed in (
        held.filter(~Exists(Assessment.objects.filter(booking=OuterRef("pk"))))
        .annotate(due=Subquery(step_due))
        .order_by("booked_at")
    ):
        booking = unassessed
        due = unassessed.due or booking.booked_at + dt.timedelta(
            hours=policy.classification_initial_hours
        )
        if due <= until:
            rows.append(QueueRow(booking, DueKind.INITIAL, due, "", due < now))
    latest_due = (
        Assessment.objects.filter(booking=OuterRef("pk"))
        .order_by("-assessed_at", "-id")
        .values("review_due_at")[:1]
    )
    for reviewed in held.annotate(review_due=Subquery(latest_due)).filter(review_due__lte=until):
        rows.append(
            QueueRow(reviewed, DueKind.REVIEW, reviewed.review_due, "", reviewed.review_due < now)
        )
    for trigger in (
        ReviewTrigger.objects.filter(satisfied_by__isnull=True, booking__in=held, due_at__lte=until)
        .select_related("booking__person")
        .order_by("due_at")
    ):
        rows.append(
            QueueRow(
                trigger.booking,
                DueKind.EVENT,
                trigger.due_at,
                f"{trigger.get_reason_display()}: {trigger.detail}",
                trigger.due_at < now,
            )
        )
    prea_hours = dt.timedelta(hours=policy.prea_screening_hours)
    for unscreened in held.filter(
        ~Exists(PreaScreening.objects.filter(booking=OuterRef("pk"))),
        booked_at__lte=until - prea_hours,
    ):
        due = unscreened.booked_at + prea_hours
        rows.append(QueueRow(unscreened, DueKind.PREA_INITIAL, due, "", due < now))
    prea_days = dt.timedelta(days=policy.prea_reassessment_days)
    for screened in held.filter(
        Exists(PreaScreening.objects.filter(booking=OuterRef("pk"), kind=PreaKind.INITIAL)),
        ~Exists(
            PreaScreening.objects.filter(booking=OuterRef("pk")).exclude(kind=PreaKind.INITIAL)
        ),
        booked_at__lte=until - prea_days,
    ):
        due = screened.booked_at + prea_days
        rows.append(QueueRow(screened, DueKind.PREA_REASSESSMENT, due, "", due < now))
    rows.sort(key=lambda row: (not row.overdue, row.due_at, row.booking.booking_number))
    return rows


@dataclass(frozen=True)
class OverdueCounts:
    classification: int
    prea: int


def overdue_counts(facility: Facility, now: dt.datetime) -> OverdueCounts:
    """How many classifications and PREA screenings are overdue (the dashboard's numbers)."""
    rows = [
        row for row in classification_queue(facility, now, horizon=dt.timedelta()) if row.overdue
    ]
    prea = sum(1 for row in rows if row.kind in (DueKind.PREA_INITIAL, DueKind.PREA_REASSESSMENT))
    return OverdueCounts(classification=len(rows) - prea, prea=prea)
