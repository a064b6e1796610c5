"""Reads of releases: one release for a user, a booking's releases, and the release board.

The board answers, for one facility and one moment: who is due out today,
who is due within the policy's days, who is held past their date (overdue:
the commander's red alert), which releases for time served are being
prepared before the date (early: refused without the commander's override),
which other releases are being prepared (an assignment, bail, a transfer:
under way, whatever the date), who is away on a furlough or an assignment,
and how many recomputed release dates wait for review.  It costs the same
few queries whatever the number of people (``BOARD_QUERIES``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F, FilteredRelation, Q, QuerySet

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.classification.selectors import policy_of
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.court.models import CaseCharge, CaseStatus, Hold, Verdict
from cellblock.court.services.release_dates import unreviewed_changes
from cellblock.facilities.models import Facility
from cellblock.release.models import OPEN_RELEASE_STATUSES, Release, ReleaseKind, ReleaseStatus
from cellblock.release.services.checklist import blockers_for, local_today

# Who may read releases and the board: everyone who sees court records.
READ_PERM = Perm.COURT_VIEW

# The policy, the bookings with a date, the releases in hand, their holds, their pending
# counts, the unreviewed date changes.
BOARD_QUERIES = 6


def releases_for_user(user: User) -> QuerySet[Release]:
    """Releases of bookings at the facilities where ``user`` may read them."""
    return Release.objects.filter(booking__facility_id__in=user.facilities_with(READ_PERM))


def with_details(releases: QuerySet[Release]) -> QuerySet[Release]:
    return releases.select_related(
        "booking__person", "booking__facility__agency", "requested_by", "authorised_by",
        "movement", "to_facility", "new_booking", "early_override_by", "completed_by",
        "cancelled_by",
    )  # fmt: skip


def release_get_for_user(user: User, public_id: str | uuid.UUID) -> Release:
    """The release, if ``user`` may read releases at its facility; otherwise 404."""
    key = parse_public_id(public_id, what="release")
    release = with_details(releases_for_user(user).filter(public_id=key)).first()
    if release is None:
        raise NotFound(f"No release with id {key}.")
    return release


def releases_of_booking(booking: Booking) -> list[Release]:
    """Every release of ``booking``, newest first."""
    return list(with_details(Release.objects.filter(booking=booking)))


# --- The board ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    booking_number: str
    name: str
    # The computed release date (None: none computed, e.g. someone away on a furlough).
    release_on: dt.date | None
    # Days from today to the date: negative once past it (overdue), positive before.
    # For someone away, days to their return (negative: late back).
    days: int | None
    legal_status: str
    blockers: list[str]
    release: Release | None
    cell: str | None
    # Someone away: when they are due back.
    due_back: dt.datetime | None = None


@dataclass(frozen=True)
class ReleaseBoard:
    facility: Facility
    at: dt.datetime
    today: dt.date
    due_soon_days: int
    due_today: list[BoardRow] = field(default_factory=list)
    due_soon: list[BoardRow] = field(default_factory=list)
    overdue: list[BoardRow] = field(default_factory=list)
    early: list[BoardRow] = field(default_factory=list)
    under_way: list[BoardRow] = field(default_factory=list)
    away: list[BoardRow] = field(default_factory=list)
    changes_unreviewed: int = 0


def _with_cell(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    """Join the open bed assignment (one at most, by constraint) for the cell's code."""
    return bookings.annotate(
        current_bed=FilteredRelation(
            "bed_assignments", condition=Q(bed_assignments__ended_at__isnull=True)
        ),
        cell_code=F("current_bed__bed__cell__code"),
    )


def _blockers_by_booking(bookings: list[Booking]) -> dict[int, list[str]]:
    """What holds each person against a release for time served: two queries for all."""
    holds: dict[int, list[Hold]] = defaultdict(list)
    for hold in Hold.objects.filter(
        booking_id__in=[b.pk for b in bookings], lifted_at__isnull=True
    ).order_by("placed_at", "id"):
        holds[hold.booking_id].append(hold)
    counts: dict[int, list[CaseCharge]] = defaultdict(list)
    for count in (
        CaseCharge.objects.filter(
            case__person_id__in={b.person_id for b in bookings},
            case__status=CaseStatus.OPEN,
            verdict=Verdict.PENDING,
        )
        .select_related("case")
        .order_by("case__filed_at", "case_id", "count_number")
    ):
        counts[count.case.person_id].append(count)
    return {
        booking.pk: blockers_for(
            ReleaseKind.TIME_SERVED, holds=holds[booking.pk], charges=counts[booking.person_id]
        )
        for booking in bookings
    }


def release_board(facility: Facility, now: dt.datetime) -> ReleaseBoard:
    """The release board of ``facility`` at ``now`` (see the module's docstring)."""
    policy = policy_of(facility)
    today = local_today(facility.timezone, now)
    horizon = today + dt.timedelta(days=policy.release_due_soon_days)
    dated = list(
        _with_cell(
            Booking.objects.filter(
                facility_id=facility.pk, status__in=OPEN_STATUSES,
                release_date__release_on__lte=horizon,
            )
        )
        .select_related("person", "release_date")
        .order_by("release_date__release_on", "person__family_name", "person__given_name", "id")
    )  # fmt: skip
    in_hand = list(
        Release.objects.filter(
            booking__facility_id=facility.pk, booking__status__in=OPEN_STATUSES,
            status__in=OPEN_RELEASE_STATUSES,
        )
        .annotate(
            current_bed=FilteredRelation(
                "booking__bed_assignments",
                condition=Q(booking__bed_assignments__ended_at__isnull=True),
            ),
            cell_code=F("current_bed__bed__cell__code"),
        )
        .select_related("booking__person", "booking__release_date", "requested_by")
        .order_by("requested_at", "id")
    )  # fmt: skip
    people = {booking.pk: booking for booking in dated}
    people.update({release.booking_id: release.booking for release in in_hand})
    blockers = _blockers_by_booking(list(people.values()))
    by_booking = {release.booking_id: release for release in in_hand}
    cells: dict[int, str | None] = {b.pk: getattr(b, "cell_code", None) for b in dated}
    cells.update({r.booking_id: getattr(r, "cell_code", None) for r in in_hand})

    def row(
        booking: Booking,
        release_on: dt.date | None,
        days: int | None,
        due_back: dt.datetime | None = None,
    ) -> BoardRow:
        return BoardRow(
            booking_number=booking.booking_number, name=booking.person.full_name,
            release_on=release_on, days=days, legal_status=booking.legal_status,
            blockers=blockers.get(booking.pk, []), release=by_booking.get(booking.pk),
            cell=cells.get(booking.pk), due_back=due_back,
        )  # fmt: skip

    due_today: list[BoardRow] = []
    due_soon: list[BoardRow] = []
    overdue: list[BoardRow] = []
    early: list[BoardRow] = []
    under_way: list[BoardRow] = []
    away: list[BoardRow] = []
    away_ids = {r.booking_id for r in in_hand if r.status == ReleaseStatus.AWAY}
    for booking in dated:
        if booking.pk in away_ids:
            continue
        release_on = booking.release_date.release_on
        assert release_on is not None  # noqa: S101 (filtered on it)
        days = (release_on - today).days
        if days < 0:
            # Held past the date with nothing holding them: the commander's red alert.
            if not blockers.get(booking.pk):
                overdue.append(row(booking, release_on, days))
        elif days == 0:
            due_today.append(row(booking, release_on, days))
        else:
            due_soon.append(row(booking, release_on, days))
    dated_ids = {booking.pk for booking in dated}
    for release in in_hand:
        booking = release.booking
        release_date = getattr(booking, "release_date", None)
        release_on = release_date.release_on if release_date is not None else None
        if release.status == ReleaseStatus.AWAY:
            back = release.expected_return_at
            days_back = (local_today(facility.timezone, back) - today).days if back else None
            away.append(row(booking, release_on, days_back, due_back=back))
        elif (
            release.kind == ReleaseKind.TIME_SERVED
            and release_on is not None
            and release_on > today
        ):
            early.append(row(booking, release_on, (release_on - today).days))
        elif booking.pk not in dated_ids:
            # Not due by date, yet leaving: the other releases staff are preparing.
            to_date = (release_on - today).days if release_on is not None else None
            under_way.append(row(booking, release_on, to_date))
    early.sort(key=lambda r: (r.release_on or today, r.name))
    away.sort(key=lambda r: (r.due_back is None, r.due_back or now, r.name))
    return ReleaseBoard(
        facility=facility, at=now, today=today, due_soon_days=policy.release_due_soon_days,
        due_today=due_today, due_soon=due_soon, overdue=overdue, early=early,
        under_way=under_way, away=away,
        changes_unreviewed=unreviewed_changes(facility).count(),
    )  # fmt: skip
