"""Guard posts by shift: the post board (staffed or short) and who is on duty where.

Shifts are the facility's policy ``shift_starts`` (local times); shift ``n`` of
a day runs from its start until the next one (the last until the first of the
next day).  An assignment counts while it is not relieved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from cellblock.accounts.models import User
from cellblock.classification.selectors import policy_of
from cellblock.core.roles import Role
from cellblock.custody.models import PostAssignment
from cellblock.custody.schedule import Slot, parse_times, slot_at, slots_of_day
from cellblock.facilities.models import Cell, Facility, FacilityPolicy, GuardPost, Zone

# Roles that may stand a guard post.
CUSTODY_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.COMMANDER})

# Names of the shifts when a facility works three; otherwise "Shift 1", "Shift 2" ...
THREE_SHIFTS = ("Early", "Late", "Night")


def shift_times(policy: FacilityPolicy) -> tuple[dt.time, ...]:
    return parse_times(policy.shift_starts)


def shift_name(index: int, times: tuple[dt.time, ...]) -> str:
    """ "Late (14:00-22:00)", or "Shift 2 (...)" where a facility does not work three shifts."""
    base = THREE_SHIFTS[index] if len(times) == len(THREE_SHIFTS) else f"Shift {index + 1}"
    if not 0 <= index < len(times):
        return base
    ends = times[(index + 1) % len(times)]
    return f"{base} ({times[index]:%H:%M}-{ends:%H:%M})"


def current_shift(facility: Facility, at: dt.datetime) -> Slot:
    """The shift on duty at ``at``: before the day's first start it is yesterday's last."""
    return slot_at(at, shift_times(policy_of(facility)), facility.timezone)


def shift_slot(facility: Facility, day: dt.date, index: int) -> Slot:
    """Shift ``index`` of local ``day`` (IndexError for a shift the policy does not have)."""
    times = shift_times(policy_of(facility))
    if not 0 <= index < len(times):
        raise IndexError(index)
    return slots_of_day(day, times, facility.timezone)[index]


@dataclass
class PostRow:
    """A post on one shift: who stands it and whether that is enough."""

    post: GuardPost
    required: int
    assignments: list[PostAssignment] = field(default_factory=list)
    # Taken off this post during the shift (shown struck through).
    relieved: list[PostAssignment] = field(default_factory=list)

    @property
    def officers(self) -> list[User]:
        return [a.officer for a in self.assignments]

    @property
    def staffed(self) -> bool:
        return len(self.assignments) >= self.required

    @property
    def short_by(self) -> int:
        return max(self.required - len(self.assignments), 0)


@dataclass
class PostBoard:
    facility: Facility
    shift: Slot
    shift_name: str
    rows: list[PostRow]

    @property
    def short(self) -> list[PostRow]:
        return [row for row in self.rows if not row.staffed]


def post_board(facility: Facility, at: dt.datetime) -> PostBoard:
    """Every post of ``facility`` on the shift at ``at``: staffed, or short by how many.

    Three queries whatever the size: the policy, the posts, the assignments.
    """
    times = shift_times(policy_of(facility))
    shift = slot_at(at, times, facility.timezone)
    posts = list(
        GuardPost.objects.filter(facility=facility)
        .select_related("zone", "cell__unit")
        .order_by("code")
    )
    rows = {post.pk: PostRow(post=post, required=post.required_officers) for post in posts}
    for assignment in (
        PostAssignment.objects.filter(
            post__facility=facility, shift_date=shift.day, shift=shift.index
        )
        .select_related("officer", "relieved_by")
        .order_by("assigned_at", "pk")
    ):
        row = rows[assignment.post_id]
        (row.assignments if assignment.relieved_at is None else row.relieved).append(assignment)
    return PostBoard(
        facility=facility, shift=shift, shift_name=shift_name(shift.index, times),
        rows=list(rows.values()),
    )  # fmt: skip


def officers_on_duty_for(
    facility: Facility,
    at: dt.datetime,
    zone: Zone | None = None,
    cell: Cell | None = None,
) -> list[User]:
    """The officers on posts covering ``cell`` (the cell itself or its zone) or ``zone`` at ``at``.

    Posts with neither a zone nor a cell (a control room) cover no place in
    particular and are left out.  Ordered by username.
    """
    shift = current_shift(facility, at)
    covering = Q()
    if cell is not None:
        zone_id = (
            cell.unit.zone_id
            if "unit" in cell._state.fields_cache
            else Cell.objects.filter(pk=cell.pk).values_list("unit__zone_id", flat=True).first()
        )
        covering |= Q(post__cell=cell) | Q(post__zone_id=zone_id)
    if zone is not None:
        covering |= Q(post__zone=zone)
    if not covering:
        return []
    officer_ids = PostAssignment.objects.filter(
        covering,
        post__facility=facility,
        shift_date=shift.day,
        shift=shift.index,
        relieved_at__isnull=True,
    ).values("officer_id")
    return list(User.objects.filter(pk__in=officer_ids).order_by("username"))
