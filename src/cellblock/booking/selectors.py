"""Reads of bookings, limited to the user's facilities: roster, search, checklist, profile."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from math import ceil
from typing import Any

from django.db.models import (
    Case,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from cellblock.accounts.models import User
from cellblock.booking.checklist import StepState, step_state
from cellblock.booking.models import (
    OPEN_STATUSES,
    Booking,
    BookingStatus,
    CustodyLevel,
    IntakeStep,
)
from cellblock.classification.models import Flag, FlagKind
from cellblock.classification.selectors import active_flags_q
from cellblock.core import clock
from cellblock.core.errors import NotFound
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.housing.models import BedAssignment
from cellblock.people.models import PersonPhoto
from cellblock.people.names import name_key

ROSTER_PAGE_SIZE = 50
UNCLASSIFIED = "unclassified"


def bookings_for_user(user: User, *, open_only: bool = False) -> QuerySet[Booking]:
    bookings = Booking.objects.filter(
        facility_id__in=user.facilities_with(Perm.BOOKING_VIEW)
    ).select_related("person", "facility")
    if open_only:
        bookings = bookings.filter(status__in=OPEN_STATUSES)
    return bookings


def booking_get_for_user(user: User, booking_number: str) -> Booking:
    booking = bookings_for_user(user).filter(booking_number=booking_number.upper()).first()
    if booking is None:
        raise NotFound(f"No booking {booking_number}.")
    return booking


def booking_with_columns_for_user(user: User, booking_number: str) -> Booking:
    """One booking as the roster shows it (housing, flags, photo), for the user's facilities."""
    bookings = bookings_for_user(user).filter(booking_number=booking_number.upper())
    booking = with_roster_columns(bookings).first()
    if booking is None:
        raise NotFound(f"No booking {booking_number}.")
    return booking


# --- Roster and search -----------------------------------------------------


def _with_current_bed(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    """Join the open bed assignment (at most one per booking, by constraint) and name its place.

    A join, not a subquery per column: PostgreSQL would otherwise evaluate the
    subqueries for every row an OFFSET skips or a sort by housing reads.
    """
    return bookings.annotate(
        current_bed=FilteredRelation(
            "bed_assignments", condition=Q(bed_assignments__ended_at__isnull=True)
        ),
        unit_code=F("current_bed__bed__cell__unit__code"),
        cell_code=F("current_bed__bed__cell__code"),
        bed_label=F("current_bed__bed__code"),
    )


def agency_photos(person: Any, agency_id: Any) -> QuerySet[PersonPhoto]:
    """A person's photos that staff of ``agency_id`` may see, newest first.

    Photos taken at another agency's facility stay with that agency.
    """
    return PersonPhoto.objects.filter(
        Q(booking__isnull=True) | Q(booking__facility__agency_id=agency_id), person=person
    ).order_by("-taken_at", "-id")


def with_roster_columns(
    bookings: QuerySet[Booking], now: dt.datetime | None = None
) -> QuerySet[Booking]:
    """Each booking with its person and documents, current bed, active flags and photo.

    Three queries for any number of rows: the rows, their flags, their documents.
    """
    now = now or clock.now()
    current_photo = agency_photos(OuterRef("person_id"), OuterRef("facility__agency_id"))
    return (
        _with_current_bed(bookings.select_related("person"))
        .annotate(photo_id=Subquery(current_photo.values("public_id")[:1]))
        .prefetch_related(
            Prefetch(
                "flags",
                queryset=Flag.objects.filter(active_flags_q(now)).order_by("kind"),
                to_attr="active_flags",
            ),
            "person__identifiers",
        )
    )


_BOOKING_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,9}-\d{4}-\d{1,9}$")
# Day-first with dots as in much of the world; never slashes, which read
# day-first in one country and month-first in another.
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


def _as_date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    return None


def search_q(text: str) -> Q:
    """A booking number, a date of birth, or words that start the names (any order).

    "nar uzu", "Uzumaki Naruto" and "NARUTO" find Naruto Uzumaki; accents and
    case do not matter.
    """
    text = text.strip()
    if not text:
        return Q()
    if _BOOKING_NUMBER.match(text):
        # "kon-2026-42" is KON-2026-000042: the sequence is stored zero-padded.
        prefix, year, sequence = text.upper().rsplit("-", 2)
        return Q(booking_number=f"{prefix}-{year}-{int(sequence):06d}")
    born = _as_date(text)
    if born is not None:
        return Q(person__date_of_birth=born)
    words = name_key(text).split()
    if not words:
        # Punctuation alone names nobody: find nothing rather than everyone.
        return Q(pk__in=[])
    condition = Q()
    for word in words:
        condition &= (
            Q(person__family_key__startswith=word)
            | Q(person__given_key__startswith=word)
            | Q(person__family_key__contains=f" {word}")
            | Q(person__given_key__contains=f" {word}")
        )
    return condition


@dataclass(frozen=True)
class RosterFilters:
    q: str = ""
    unit: str = ""  # a housing unit's public id
    status: str = ""  # intake / in_custody; blank: both
    custody_level: str = ""  # a CustodyLevel, or "unclassified"
    flag: str = ""  # a FlagKind


ROSTER_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("person__family_key", "person__given_key", "booking_number"),
    "booking": ("booking_number",),
    "booked": ("booked_at", "booking_number"),
    "housing": ("cell_code", "bed_label", "booking_number"),
    "level": ("custody_level", "person__family_key", "booking_number"),
    "born": ("person__date_of_birth", "booking_number"),
}


@dataclass
class RosterPage:
    rows: list[Booking]
    count: int
    page: int
    pages: int
    sort: str
    descending: bool
    filters: RosterFilters
    per_page: int = ROSTER_PAGE_SIZE
    extra: dict[str, object] = field(default_factory=dict)


def roster_filter_errors(filters: RosterFilters) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if filters.status and filters.status not in (BookingStatus.INTAKE, BookingStatus.IN_CUSTODY):
        errors["status"] = ["must be intake or in_custody."]
    if filters.custody_level and filters.custody_level not in (
        *CustodyLevel.values,
        UNCLASSIFIED,
    ):
        errors["custody_level"] = [
            f"must be one of {', '.join((*CustodyLevel.values, UNCLASSIFIED))}."
        ]
    if filters.unit:
        try:
            uuid.UUID(filters.unit)
        except ValueError:
            errors["unit"] = ["must be the id of a housing unit."]
    if filters.flag and filters.flag not in FlagKind.values:
        errors["flag"] = [f"must be one of {', '.join(FlagKind.values)}."]
    return errors


def roster_page(
    facility: Facility,
    filters: RosterFilters,
    *,
    sort: str = "name",
    descending: bool = False,
    page: int = 1,
    per_page: int = ROSTER_PAGE_SIZE,
) -> RosterPage:
    """The current population of ``facility``: four queries whatever its size.

    One to count, one for the page (person, housing and photo joined in), and
    one each for the page's active flags and documents.  Filters are validated by the caller
    (``roster_filter_errors``); unknown values here simply match nothing.
    """
    now = clock.now()
    bookings = Booking.objects.filter(facility=facility, status__in=OPEN_STATUSES)
    if filters.status:
        bookings = bookings.filter(status=filters.status)
    if filters.custody_level == UNCLASSIFIED:
        bookings = bookings.filter(custody_level="")
    elif filters.custody_level:
        bookings = bookings.filter(custody_level=filters.custody_level)
    if filters.unit:
        try:
            unit_id = uuid.UUID(filters.unit)
        except ValueError:
            bookings = bookings.none()
        else:
            housed_there = BedAssignment.objects.filter(
                ended_at__isnull=True, bed__cell__unit__public_id=unit_id
            ).values("booking_id")
            bookings = bookings.filter(pk__in=housed_there)
    if filters.flag:
        flagged = Flag.objects.filter(active_flags_q(now), kind=filters.flag).values("booking_id")
        bookings = bookings.filter(pk__in=flagged)
    bookings = bookings.filter(search_q(filters.q))
    count = bookings.count()
    pages = max(1, ceil(count / per_page))
    page = min(max(1, page), pages)
    order = ROSTER_SORTS.get(sort) or ROSTER_SORTS["name"]
    if descending:
        order = tuple(f"-{name}" for name in order)
    # Choose the page's keys first, then decorate only those rows: the photo
    # subquery and the prefetches then run for 50 rows, not for every row skipped.
    page_keys = (
        _with_current_bed(bookings)
        .order_by(*order)
        .values("pk")[(page - 1) * per_page : page * per_page]
    )
    rows = list(with_roster_columns(Booking.objects.filter(pk__in=page_keys), now).order_by(*order))
    return RosterPage(
        rows=rows, count=count, page=page, pages=pages, sort=sort if sort in ROSTER_SORTS else
        "name", descending=descending, filters=filters, per_page=per_page,
    )  # fmt: skip


def booking_search(user: User, text: str, *, limit: int = 25) -> list[Booking]:
    """Bookings at the user's facilities matching ``text``, open ones first, newest first.

    Three queries: the bookings (housing and photo joined in), their flags and documents.
    """
    if not text.strip():
        return []
    now = clock.now()
    bookings = Booking.objects.filter(
        search_q(text), facility_id__in=user.facilities_with(Perm.BOOKING_VIEW)
    ).select_related("facility")
    # Open bookings first, then the newest (NULLs sort differently per engine).
    closed_last = Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1))
    return list(
        with_roster_columns(bookings, now)
        .annotate(closed=closed_last)
        .order_by("closed", "-booked_at", "booking_number")[:limit]
    )


# --- Checklist -------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistRow:
    step: IntakeStep
    state: str


def booking_checklist(booking: Booking) -> list[ChecklistRow]:
    now = clock.now()
    steps = IntakeStep.objects.filter(booking=booking).select_related("completed_by")
    return [ChecklistRow(step, step_state(step, now)) for step in steps]


@dataclass(frozen=True)
class OverdueBooking:
    booking: Booking
    overdue_steps: list[IntakeStep]


def _overdue_steps() -> QuerySet[IntakeStep]:
    from cellblock.booking.checklist import recorded_steps

    return IntakeStep.objects.filter(
        completed_at__isnull=True, due_at__lt=clock.now(), step__in=recorded_steps()
    ).order_by("due_at")


def _with_overdue_steps(facility: Facility) -> QuerySet[Booking]:
    return Booking.objects.filter(
        facility=facility, status__in=OPEN_STATUSES, pk__in=_overdue_steps().values("booking_id")
    )


def count_bookings_with_overdue_steps(facility: Facility) -> int:
    return _with_overdue_steps(facility).count()


def bookings_with_overdue_steps(facility: Facility, *, limit: int = 50) -> list[OverdueBooking]:
    """Open bookings with a step past its deadline that someone could have completed."""
    overdue = _overdue_steps()
    bookings = (
        _with_overdue_steps(facility)
        .select_related("person")
        .prefetch_related(Prefetch("intake_steps", queryset=overdue, to_attr="overdue_steps"))
        .order_by("booked_at")[:limit]
    )
    return [OverdueBooking(b, b.overdue_steps) for b in bookings]


def steps_due_before_housing(booking: Booking) -> list[str]:
    """Labels of the steps that must come before a bed and are not done.

    Only steps some installed app records count: until the medical module
    records the receiving screening, nobody could complete it.
    """
    from cellblock.booking.checklist import STEPS, recorded_steps

    required = [s.code for s in STEPS if s.before_housing and s.code in recorded_steps()]
    if not required:
        return []
    open_steps = IntakeStep.objects.filter(
        booking=booking, step__in=required, completed_at__isnull=True
    )
    return [step.get_step_display() for step in open_steps]


def checklist_summary(rows: list[ChecklistRow]) -> dict[str, int]:
    counts = {StepState.DONE: 0, StepState.OVERDUE: 0, StepState.OPEN: 0, StepState.PENDING: 0}
    for row in rows:
        counts[row.state] += 1
    return counts
