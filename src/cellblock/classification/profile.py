"""The profile's "Classification" section, and the order rows it shares with the orders page.

The section shows the custody level in force and how it came about (scored
level, total, override and who decided it), when the next review is due, the
PREA result as flags only (never the answers), the orders at a glance and
the open housing alerts.  It reads a fixed number of rows whatever the
record holds: the latest assessment, the open review trigger, the latest
screening (without its answers), the three kinds of order, the other
parties' open bookings and the alerts.  Flags and the checklist come from
the profile's shared loaders (booking/profile.py), already read for the header.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES, Booking, IntakeStepCode
from cellblock.booking.profile import flag_is_active, profile_checklist, profile_flags
from cellblock.classification import services
from cellblock.classification.forms import LEVEL_LABELS, FlagForm
from cellblock.classification.models import (
    FLAG_TONE,
    AssessmentStatus,
    CareNeed,
    Flag,
    FlagKind,
    FlagOrigin,
    ObservationLevel,
    OrderStatus,
    PreaScreening,
    ProtectiveOrder,
    ReviewTrigger,
    SeparationOrder,
    StaffConflict,
)
from cellblock.classification.selectors import PersonOrders, latest_assessment, orders_of
from cellblock.core import clock
from cellblock.core.roles import Perm
from cellblock.facilities.models import CellFeature, Facility
from cellblock.housing.selectors import open_reviews
from cellblock.people.models import Person

# How an order's state shows: in force is a restriction (purple), upcoming needs a look.
ORDER_TONE = {
    OrderStatus.ACTIVE: "restricted",
    OrderStatus.UPCOMING: "warn",
    OrderStatus.EXPIRED: "muted",
    OrderStatus.ENDED: "muted",
}
ORDER_LABEL = {
    OrderStatus.ACTIVE: "In force",
    OrderStatus.UPCOMING: "Upcoming",
    OrderStatus.EXPIRED: "Expired",
    OrderStatus.ENDED: "Ended",
}
AS_MEMBER = "as a member of {group}"
PREA_KINDS = (FlagKind.PREA_VICTIM, FlagKind.PREA_ABUSER)


def level_label(level: str) -> str:
    return LEVEL_LABELS.get(level, level)


def derived_flag_message(flag: Flag) -> str:
    """Why a flag set from the date of birth or a screening is not lifted by hand.

    The same words ``flag_lift`` answers with when asked to.
    """
    if flag.origin == FlagOrigin.STAFF:
        return ""
    return services.FLAG_DERIVED.format(
        flag=flag.get_kind_display(),
        origin=flag.get_origin_display().lower(),
        how=services.HOW_DERIVED.get(FlagOrigin(flag.origin), ""),
    )


@dataclass(frozen=True)
class FlagRow:
    flag: Flag
    tone: str
    # Set from the date of birth or a PREA screening: shown, never lifted by hand.
    derived_message: str


def active_flag_rows(booking: Booking, now: dt.datetime) -> list[FlagRow]:
    return [
        FlagRow(flag, FLAG_TONE.get(flag.kind, "muted"), derived_flag_message(flag))
        for flag in sorted(profile_flags(booking), key=lambda f: (f.kind, f.set_at))
        if flag_is_active(flag, now)
    ]


# --- Orders ---------------------------------------------------------------------------


Order = SeparationOrder | ProtectiveOrder | StaffConflict


@dataclass(frozen=True)
class OrderRow:
    order: Order
    status: str
    # Who or what the person is kept from, and their open booking here if any.
    other: str
    other_booking: str = ""
    note: str = ""
    # Why ending it was just refused (the orders page).
    error: str = ""

    @property
    def tone(self) -> str:
        return ORDER_TONE[self.status]

    @property
    def status_label(self) -> str:
        return ORDER_LABEL[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in (OrderStatus.ACTIVE, OrderStatus.UPCOMING)


@dataclass(frozen=True)
class OrderRows:
    separations: list[OrderRow]
    protective: list[OrderRow]
    staff_conflicts: list[OrderRow]

    @property
    def count(self) -> int:
        return len(self.separations) + len(self.protective) + len(self.staff_conflicts)


def _separation_party(order: SeparationOrder, person: Person) -> tuple[Person | None, str, str]:
    """(the other person, a label, a note) as seen from ``person``."""
    if order.group is not None:
        if order.person_id == person.pk:
            return None, order.group.name, ""
        # ``person`` is bound as a member of the group; the order names someone else.
        return order.person, order.person.full_name, AS_MEMBER.format(group=order.group.name)
    other = order.other_person if order.person_id == person.pk else order.person
    return other, other.full_name if other else "", ""


def _open_bookings(user: User, person_ids: Collection[int], agency_id: int) -> dict[int, str]:
    """Person id -> open booking number, at facilities where ``user`` reads bookings."""
    if not person_ids:
        return {}
    return dict(
        Booking.objects.filter(
            person_id__in=list(person_ids),
            status__in=OPEN_STATUSES,
            facility__agency_id=agency_id,
            facility_id__in=user.facilities_with(Perm.BOOKING_VIEW),
        ).values_list("person_id", "booking_number")
    )


def order_rows(user: User, booking: Booking, orders: PersonOrders, now: dt.datetime) -> OrderRows:
    """The orders of ``booking``'s person as rows; one query for the other parties' bookings."""
    person = booking.person
    parties = {order.pk: _separation_party(order, person) for order in orders.separations}
    others = {other.pk for other, _, _ in parties.values() if other is not None}
    booked = _open_bookings(user, others, booking.facility.agency_id)
    separations = []
    for order in orders.separations:
        other, label, note = parties[order.pk]
        number = booked.get(other.pk, "") if other is not None else ""
        separations.append(OrderRow(order, order.status_at(now), label, number, note))
    return OrderRows(
        separations=separations,
        protective=[
            OrderRow(order, order.status_at(now), order.protected_person.full_name)
            for order in orders.protective
        ],
        staff_conflicts=[
            OrderRow(order, order.status_at(now), order.staff.full_name or order.staff.username)
            for order in orders.staff_conflicts
        ],
    )


# --- The section ------------------------------------------------------------------------


@dataclass(frozen=True)
class NextReview:
    due_at: dt.datetime
    what: str

    def overdue(self, now: dt.datetime) -> bool:
        return self.due_at < now


def _next_review(
    booking: Booking, latest_due: dt.datetime | None, trigger: ReviewTrigger | None
) -> NextReview | None:
    if latest_due is None:
        step = next(
            (
                row.step
                for row in profile_checklist(booking)
                if row.step.step == IntakeStepCode.CLASSIFICATION
            ),
            None,
        )
        if step is None or step.completed_at is not None:
            return None
        return NextReview(step.due_at, "Initial classification")
    if trigger is not None and trigger.due_at < latest_due:
        return NextReview(trigger.due_at, f"{trigger.get_reason_display()}: {trigger.detail}")
    return NextReview(latest_due, "Scheduled reassessment")


def _prea_step_due(booking: Booking) -> dt.datetime | None:
    for row in profile_checklist(booking):
        if row.step.step == IntakeStepCode.PREA_SCREENING and row.step.completed_at is None:
            return row.step.due_at
    return None


def latest_screening(booking: Booking) -> PreaScreening | None:
    """The latest screening without its answers: pages show its outcome only."""
    return (
        PreaScreening.objects.filter(booking=booking)
        .defer("answers")
        .select_related("screened_by")
        .order_by("-screened_at", "-id")
        .first()
    )


def classification_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    now = clock.now()
    perms = user.perms_at(booking.facility_id)
    assessment = latest_assessment(booking)
    trigger = (
        ReviewTrigger.objects.filter(booking=booking, satisfied_by__isnull=True)
        .order_by("due_at", "id")
        .first()
    )
    flags = active_flag_rows(booking, now)
    orders = order_rows(user, booking, orders_of(booking.person, booking.facility.agency_id), now)
    can_edit = booking.is_open and Perm.CLASSIFICATION_EDIT in perms
    return {
        "now": now,
        "assessment": assessment,
        "pending": assessment is not None
        and assessment.status == AssessmentStatus.OVERRIDE_PENDING,
        "scored_label": level_label(assessment.scored_level) if assessment else "",
        "override_label": level_label(assessment.override_level) if assessment else "",
        "next_review": _next_review(
            booking, assessment.review_due_at if assessment else None, trigger
        ),
        "screening": latest_screening(booking),
        "prea_due": _prea_step_due(booking),
        "prea_flags": [row for row in flags if row.flag.kind in PREA_KINDS],
        "orders": orders,
        "alerts": list(open_reviews(booking.facility).filter(booking=booking)),
        # Managing flags: set one, lift one (classification staff).
        "can_edit": can_edit,
        "can_screen": booking.is_open and Perm.PREA_SCREEN in perms,
        "can_approve": Perm.CLASSIFICATION_APPROVE in perms,
        "flag_rows": [(row, "", "") for row in flags] if can_edit else [],
        "flag_form": FlagForm(prefix="flag") if can_edit else None,
        "detail_rules": detail_rules(feature_tags(booking.facility)) if can_edit else [],
    }


# --- Flag details: what each kind asks for ----------------------------------------------


@dataclass(frozen=True)
class DetailRule:
    kind: str
    what: str
    suggestions: Sequence[tuple[str, str]]


DIET_SUGGESTIONS = [("no sweets", "No sweets"), ("vegetarian", "Vegetarian"),
                    ("halal", "Halal"), ("kosher", "Kosher")]  # fmt: skip


def feature_tags(facility: Facility) -> list[str]:
    """The cell-feature tags of the facility: what a containment need may ask for."""
    return list(
        CellFeature.objects.filter(cell__unit__zone__facility=facility)
        .order_by("tag")
        .values_list("tag", flat=True)
        .distinct()
    )


def detail_rules(tags: Sequence[str]) -> list[DetailRule]:
    """What each kind of flag takes as its detail, with suggestions (services.DETAIL_RULES)."""
    suggestions: dict[str, Sequence[tuple[str, str]]] = {
        FlagKind.SUICIDE_RISK: ObservationLevel.choices,
        FlagKind.MEDICAL_NEED: CareNeed.choices,
        FlagKind.DISABILITY_NEED: CareNeed.choices,
        FlagKind.CONTAINMENT: [(tag, tag) for tag in tags],
        FlagKind.DIET: DIET_SUGGESTIONS,
    }
    return [
        DetailRule(kind, what, suggestions.get(kind, []))
        for kind, (_, what) in services.DETAIL_RULES.items()
    ]
