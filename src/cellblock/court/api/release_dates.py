"""Court API: release dates, and the changes of them waiting for review.

A booking's date answers with its worked computation (each sentence's lines
and the rule versions used) and every change of it; the review list is per
facility, unreviewed by default.  People in custody are named by booking
number, changes by opaque id; another facility's records are 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Schema
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.errors import NotFound, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.court.api import router
from cellblock.court.models import ReleaseDateChange
from cellblock.court.services.release_dates import (
    NOTE_MAX,
    days_between,
    release_date_change_get_for_user,
    release_date_change_review,
    release_date_changes,
    release_date_of,
    unreviewed_changes,
)
from cellblock.facilities.models import Facility
from cellblock.facilities.selectors import facility_get_for_user

WHICH_FACILITY = "say which facility: you see court records at more than one."
# Reviewed changes listed at most, newest first (the unreviewed ones are all listed).
REVIEWED_LISTED = 200


# --- Schemas ----------------------------------------------------------------------------------


class ReleaseDateChangeOut(Schema):
    id: uuid.UUID
    booking_number: str
    person: str
    previous_on: dt.date | None
    new_on: dt.date | None
    days: int | None = Field(
        description="New minus previous (negative: earlier); null if either is"
    )
    cause: str
    cause_detail: str
    computed_at: dt.datetime
    computed_by: str | None
    reviewed_at: dt.datetime | None
    reviewed_by: str | None
    review_note: str


class ReleaseDateOut(Schema):
    booking_number: str
    person: str
    release_on: dt.date | None = Field(description="Null: no active sentence")
    days_left: int | None = Field(description="From the facility's local today; negative: past")
    controlling_sentence: uuid.UUID | None
    computed_at: dt.datetime | None
    breakdown: list[dict[str, Any]] = Field(
        description="One entry per active sentence: the rule version, the dates and the lines"
    )
    rule_versions: list[str]
    changes: list[ReleaseDateChangeOut]


class ReviewIn(Schema):
    note: str = Field(default="", max_length=NOTE_MAX)


def _name(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def change_out(change: ReleaseDateChange, booking: Booking | None = None) -> ReleaseDateChangeOut:
    booking = booking or change.booking
    return ReleaseDateChangeOut(
        id=change.public_id, booking_number=booking.booking_number,
        person=booking.person.full_name, previous_on=change.previous_on, new_on=change.new_on,
        days=days_between(change.previous_on, change.new_on), cause=change.cause,
        cause_detail=change.cause_detail, computed_at=change.computed_at,
        computed_by=_name(change.computed_by), reviewed_at=change.reviewed_at,
        reviewed_by=_name(change.reviewed_by), review_note=change.review_note,
    )  # fmt: skip


def booking_for_court(user: User, number: str) -> Booking:
    """A booking of a facility where the user sees court records; else 404."""
    booking = booking_get_for_user(user, number)
    if Perm.COURT_VIEW not in user.perms_at(booking.facility_id):
        raise NotFound(f"No booking {number}.")
    return booking


def court_facility(user: User, facility: uuid.UUID | None) -> Facility:
    """The facility asked for, or the caller's only one with court records; else 400."""
    if facility is not None:
        return facility_get_for_user(user, facility, perm=Perm.COURT_VIEW)
    mine = user.facilities_with(Perm.COURT_VIEW)
    if len(mine) != 1:
        raise ValidationFailed.for_fields({"facility": [WHICH_FACILITY]})
    return Facility.objects.get(pk=mine[0])


# --- Operations -------------------------------------------------------------------------------


@router.get(
    "/bookings/{booking_number}/release-date", response=ReleaseDateOut,
    auth=api_requires(Perm.COURT_VIEW),
)  # fmt: skip
def booking_release_date(request: HttpRequest, booking_number: str) -> ReleaseDateOut:
    """The date, how it was worked out, the versions used and every change: four queries."""
    booking = booking_for_court(acting_user(request), booking_number)
    stored = release_date_of(booking)
    release_on = stored.release_on if stored is not None else None
    today = clock.local(clock.now(), booking.facility.timezone).date()
    controlling = stored.controlling_sentence if stored is not None else None
    return ReleaseDateOut(
        booking_number=booking.booking_number, person=booking.person.full_name,
        release_on=release_on, days_left=days_between(today, release_on),
        controlling_sentence=controlling.public_id if controlling is not None else None,
        computed_at=stored.computed_at if stored is not None else None,
        breakdown=list(stored.breakdown) if stored is not None else [],
        rule_versions=list(stored.rule_versions) if stored is not None else [],
        changes=[change_out(change, booking) for change in release_date_changes(booking)],
    )  # fmt: skip


@router.get(
    "/release-date-changes", response=list[ReleaseDateChangeOut],
    auth=api_requires(Perm.COURT_VIEW),
)  # fmt: skip
def list_release_date_changes(
    request: HttpRequest, facility: uuid.UUID | None = None, reviewed: bool = False
) -> list[ReleaseDateChangeOut]:
    """Unreviewed changes, oldest first; ``reviewed=true``: the latest reviewed ones."""
    chosen = court_facility(acting_user(request), facility)
    if not reviewed:
        changes = list(unreviewed_changes(chosen).select_related("reviewed_by"))
    else:
        changes = list(
            ReleaseDateChange.objects.filter(booking__facility=chosen, reviewed_at__isnull=False)
            .select_related("booking__person", "computed_by", "reviewed_by")
            .order_by("-reviewed_at", "-id")[:REVIEWED_LISTED]
        )
    return [change_out(change) for change in changes]


@router.post(
    "/release-date-changes/{uuid:change_id}/review", response=ReleaseDateChangeOut,
    auth=api_requires(Perm.RELEASE_DATE_REVIEW),
)  # fmt: skip
def review_release_date_change(
    request: HttpRequest, change_id: uuid.UUID, payload: ReviewIn
) -> ReleaseDateChangeOut:
    """Mark the change looked at, with a note (409 ``already_reviewed``)."""
    user = acting_user(request)
    change = release_date_change_get_for_user(user, change_id)
    reviewed = release_date_change_review(actor=user, change=change, note=payload.note)
    return change_out(reviewed, change.booking)
