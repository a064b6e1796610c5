"""Reads of restraints: what is in force, when the next check is due, what approval is missing."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.custody.models import Restraint, RestraintCheck
from cellblock.custody.services.restraints import MEDIC_SIDE, SUPERVISOR_SIDE
from cellblock.facilities.models import Facility
from cellblock.housing.models import BedAssignment

# Within this many minutes of the approval limit, the board asks for the approvals.
APPROVAL_WARNING_MINUTES = 30


@dataclass(frozen=True)
class RestraintRow:
    """A restraint as the board shows it, judged at ``now`` against the facility's policy."""

    restraint: Restraint
    now: dt.datetime
    check_minutes: int
    limit_minutes: int
    last_check_at: dt.datetime | None
    cell_code: str | None

    @property
    def in_force(self) -> bool:
        return self.restraint.removed_at is None

    @property
    def last_seen_at(self) -> dt.datetime:
        """The last check, or the application when none was recorded since."""
        applied = self.restraint.applied_at
        return max(applied, self.last_check_at) if self.last_check_at else applied

    @property
    def next_check_due(self) -> dt.datetime:
        return self.last_seen_at + dt.timedelta(minutes=self.check_minutes)

    @property
    def overdue(self) -> bool:
        """Past the due time (at the due minute itself the check is due, not late)."""
        return self.in_force and self.now > self.next_check_due

    @property
    def minutes_overdue(self) -> int:
        if not self.overdue:
            return 0
        return math.floor((self.now - self.next_check_due).total_seconds() / 60)

    @property
    def minutes_to_check(self) -> int:
        """Whole minutes left before the next check (0: due now)."""
        if self.overdue:
            return 0
        return math.ceil((self.next_check_due - self.now).total_seconds() / 60)

    @property
    def minutes_restrained(self) -> int:
        end = self.restraint.removed_at or self.now
        return math.floor((end - self.restraint.applied_at).total_seconds() / 60)

    @property
    def approval_due_at(self) -> dt.datetime:
        return self.restraint.applied_at + dt.timedelta(minutes=self.limit_minutes)

    @property
    def approvals_missing(self) -> list[str]:
        """The sides of an extension past the limit not approved yet: supervisor, medic."""
        missing = []
        if self.restraint.extension_supervisor_id is None:
            missing.append(SUPERVISOR_SIDE)
        if self.restraint.extension_medic_id is None:
            missing.append(MEDIC_SIDE)
        return missing

    @property
    def over_limit(self) -> bool:
        """On past the limit without both approvals."""
        return self.in_force and self.now > self.approval_due_at and bool(self.approvals_missing)

    @property
    def approval_soon(self) -> bool:
        warn_from = self.approval_due_at - dt.timedelta(minutes=APPROVAL_WARNING_MINUTES)
        return (
            self.in_force
            and not self.over_limit
            and bool(self.approvals_missing)
            and self.now >= warn_from
        )

    @property
    def unauthorised(self) -> bool:
        """Applied without a supervisor's authority (an emergency)."""
        return self.restraint.authorised_by_id is None

    @property
    def removed_without_authority(self) -> bool:
        r = self.restraint
        return r.removed_at is not None and r.removal_authorised_by_id is None

    @property
    def awaiting_review(self) -> bool:
        return self.removed_without_authority and self.restraint.removal_reviewed_at is None

    @property
    def tone(self) -> str:
        """bad: late or over the limit; warn: approval soon or no authority; ok otherwise."""
        if self.overdue or self.over_limit or self.awaiting_review:
            return "bad"
        if self.approval_soon or (self.in_force and self.unauthorised):
            return "warn"
        return "ok" if self.in_force else "muted"


def _with_columns(restraints: QuerySet[Restraint]) -> QuerySet[Restraint]:
    """Each restraint with its people, its last check and the cell the person sleeps in."""
    last_check = RestraintCheck.objects.filter(restraint=OuterRef("pk")).order_by("-checked_at")
    cell = BedAssignment.objects.filter(booking=OuterRef("booking_id"), ended_at__isnull=True)
    return restraints.select_related(
        "booking__person", "booking__facility", "applied_by", "assisted_by", "authorised_by",
        "extension_supervisor", "extension_medic", "removed_by", "removal_authorised_by",
        "removal_reviewed_by",
    ).annotate(
        last_check_at=Subquery(last_check.values("checked_at")[:1]),
        cell_code=Subquery(cell.values("bed__cell__code")[:1]),
    )  # fmt: skip


def _rows(
    facility: Facility, restraints: QuerySet[Restraint], now: dt.datetime | None
) -> list[RestraintRow]:
    policy = policy_of(facility)
    now = now or clock.now()
    return [
        RestraintRow(
            restraint=r,
            now=now,
            check_minutes=policy.restraint_check_minutes,
            limit_minutes=policy.restraint_max_minutes_without_approval,
            last_check_at=r.last_check_at,  # type: ignore[attr-defined]
            cell_code=r.cell_code,  # type: ignore[attr-defined]
        )
        for r in _with_columns(restraints)
    ]


def restraints_in_force(facility: Facility, now: dt.datetime | None = None) -> list[RestraintRow]:
    """Restraints on now, the next check due first (two queries, whatever the number)."""
    rows = _rows(
        facility,
        Restraint.objects.filter(booking__facility=facility, removed_at__isnull=True),
        now,
    )
    return sorted(rows, key=lambda row: (row.next_check_due, row.restraint.pk))


def restraints_of(booking: Booking, now: dt.datetime | None = None) -> list[RestraintRow]:
    """Every restraint of one booking, newest first."""
    rows = _rows(booking.facility, Restraint.objects.filter(booking=booking), now)
    return sorted(rows, key=lambda row: row.restraint.applied_at, reverse=True)


def removals_awaiting_review(
    facility: Facility, now: dt.datetime | None = None
) -> list[RestraintRow]:
    """Restraints taken off without authority that no supervisor has reviewed yet."""
    rows = _rows(
        facility,
        Restraint.objects.filter(
            booking__facility=facility, removed_at__isnull=False,
            removal_authorised_by__isnull=True, removal_reviewed_at__isnull=True,
        ),
        now,
    )  # fmt: skip
    return sorted(rows, key=lambda row: row.restraint.removed_at or row.now)


def restraint_checks(restraint: Restraint, limit: int = 20) -> list[RestraintCheck]:
    return list(restraint.checks.select_related("checked_by").order_by("-checked_at")[:limit])


def restraint_get_for_user(user: User, public_id: str | uuid.UUID) -> Restraint:
    """A restraint at a facility where ``user`` sees who is held; else 404."""
    key = parse_public_id(public_id, what="restraint")
    restraint = (
        Restraint.objects.select_related("booking__facility", "booking__person")
        .filter(public_id=key, booking__facility_id__in=user.facilities_with(Perm.BOOKING_VIEW))
        .first()
    )
    if restraint is None:
        raise NotFound(f"No restraint with id {key}.")
    return restraint


def restraint_row(restraint: Restraint, now: dt.datetime | None = None) -> RestraintRow:
    """One restraint with its columns, as the board shows it."""
    return _rows(restraint.booking.facility, Restraint.objects.filter(pk=restraint.pk), now)[0]
