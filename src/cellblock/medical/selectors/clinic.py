"""The clinic's worklists: the sick-call queue, the day's encounters, what is due.

Each returns rows with what the lists show already joined (the person, the
provider, the cell), in a fixed number of queries whatever the length.  These
are facts of who, when and where: a page or schema that shows clinical fields
of the rows (complaint, reason, findings) audits that read itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q

from cellblock.booking.models import OPEN_STATUSES, Booking, IntakeStep, IntakeStepCode
from cellblock.classification.selectors import policy_of
from cellblock.facilities.models import Facility
from cellblock.medical.models import (
    URGENCY_ORDER,
    Encounter,
    EncounterKind,
    EncounterStatus,
    SickCall,
    SickCallStatus,
    SickCallUrgency,
)

# Waiting to be seen: the queue.
QUEUED = (SickCallStatus.WAITING, SickCallStatus.SCHEDULED)
# Not started yet: what "next appointment" means.
UPCOMING = (EncounterStatus.AWAITING_ACKNOWLEDGEMENT, EncounterStatus.SCHEDULED)


def sick_call_queue(facility: Facility) -> list[SickCall]:
    """Sick calls waiting or scheduled: emergencies first, then urgent, untriaged, routine;
    within each in the order filed (one query)."""
    calls = SickCall.objects.filter(booking__facility=facility, status__in=QUEUED).select_related(
        "booking__person", "encounter__provider"
    )
    return sorted(
        calls, key=lambda s: (URGENCY_ORDER[SickCallUrgency(s.urgency)], s.filed_at, s.pk)
    )


def encounters_between(
    facility: Facility,
    start: dt.datetime,
    end: dt.datetime,
    statuses: Iterable[str] | None = None,
) -> list[Encounter]:
    """Encounters scheduled from ``start`` (included) to ``end`` (excluded), in time order."""
    rows = Encounter.objects.filter(
        booking__facility=facility, scheduled_for__gte=start, scheduled_for__lt=end
    )
    if statuses is not None:
        rows = rows.filter(status__in=list(statuses))
    return list(
        rows.select_related("provider", "booking__person", "cell").order_by("scheduled_for", "id")
    )


def encounters_awaiting_acknowledgement(facility: Facility) -> list[Encounter]:
    """Encounters held back by a staff-victim conflict, and emergencies that went ahead before
    a supervisor acknowledged theirs (one query)."""
    rows = Encounter.objects.filter(booking__facility=facility).filter(
        Q(status=EncounterStatus.AWAITING_ACKNOWLEDGEMENT)
        | (
            Q(conflict__isnull=False, acknowledged_at__isnull=True)
            & ~Q(status=EncounterStatus.CANCELLED)
        )
    )
    return list(
        rows.select_related("provider", "booking__person", "cell", "conflict").order_by(
            "scheduled_for", "id"
        )
    )


def _assessed() -> Exists:
    return Exists(
        Encounter.objects.filter(
            booking_id=OuterRef("pk"), kind=EncounterKind.HEALTH_ASSESSMENT,
            status=EncounterStatus.COMPLETED,
        )
    )  # fmt: skip


def health_assessment_due(booking: Booking) -> dt.datetime | None:
    """When the full health assessment is due (booked + policy days); None once one is done."""
    done = Encounter.objects.filter(
        booking=booking, kind=EncounterKind.HEALTH_ASSESSMENT, status=EncounterStatus.COMPLETED
    ).exists()
    if done:
        return None
    days = policy_of(booking.facility).health_assessment_days
    return booking.booked_at + dt.timedelta(days=days)


def health_assessments_due(
    facility: Facility, now: dt.datetime
) -> list[tuple[Booking, dt.datetime]]:
    """Everyone held at ``now`` whose health assessment is outstanding, soonest due first
    (those due before ``now`` are overdue); two queries."""
    days = dt.timedelta(days=policy_of(facility).health_assessment_days)
    bookings = (
        Booking.objects.filter(facility=facility, status__in=OPEN_STATUSES, booked_at__lte=now)
        .exclude(_assessed())
        .select_related("person")
        .order_by("booked_at", "id")
    )
    return [(booking, booking.booked_at + days) for booking in bookings]


def screenings_due(facility: Facility) -> list[Booking]:
    """People held whose receiving screening is still open on the intake checklist."""
    open_step = IntakeStep.objects.filter(
        booking_id=OuterRef("pk"), step=IntakeStepCode.MEDICAL_SCREENING,
        completed_at__isnull=True,
    )  # fmt: skip
    return list(
        Booking.objects.filter(facility=facility, status__in=OPEN_STATUSES)
        .filter(Exists(open_step))
        .select_related("person")
        .order_by("booked_at", "id")
    )


def next_encounters(booking_ids: Iterable[int], now: dt.datetime) -> dict[int, Encounter]:
    """Each booking's next encounter: the one under way, else the soonest not yet started
    from ``now`` on (one query)."""
    ids = list(booking_ids)
    rows = (
        Encounter.objects.filter(booking_id__in=ids)
        .filter(
            Q(status=EncounterStatus.IN_PROGRESS) | Q(status__in=UPCOMING, scheduled_for__gte=now)
        )
        .select_related("provider", "cell")
        .order_by("scheduled_for", "id")
    )
    found: dict[int, Encounter] = {}
    for encounter in rows:
        current = found.get(encounter.booking_id)
        if current is None or (
            encounter.status == EncounterStatus.IN_PROGRESS
            and current.status != EncounterStatus.IN_PROGRESS
        ):
            found[encounter.booking_id] = encounter
    return found
