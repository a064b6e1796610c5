"""Reads of staff accounts, limited to the facilities the reader may see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from cellblock.accounts.models import Membership, User
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm


def staff_for_user(
    user: User, *, perm: Perm = Perm.STAFF_VIEW, facility_id: int | None = None
) -> QuerySet[User]:
    """Staff holding a role at a facility where ``user`` holds ``perm``."""
    facility_ids = user.facilities_with(perm)
    if facility_id is not None:
        facility_ids = [fid for fid in facility_ids if fid == facility_id]
    active_here = Membership.objects.filter(active=True, facility_id__in=facility_ids)
    return (
        User.objects.filter(memberships__in=active_here)
        .distinct()
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=active_here.select_related("facility").order_by("role"),
                to_attr="visible_memberships",
            )
        )
        .order_by("full_name", "username")
    )


def staff_get_for_user(
    user: User, public_id: str | uuid.UUID, perm: Perm = Perm.STAFF_VIEW
) -> User:
    key = parse_public_id(public_id, what="member of staff")
    staff = staff_for_user(user, perm=perm).filter(public_id=key).first()
    if staff is None:
        raise NotFound(f"No member of staff with id {key}.")
    return staff


@dataclass(frozen=True)
class StaffRow:
    user: User
    roles: list[str]

    @property
    def state(self) -> str:
        if not self.user.is_active:
            return "inactive"
        if self.user.locked_at is not None:
            return "locked"
        return "active"


def staff_rows(user: User, facility_id: int) -> list[StaffRow]:
    """The staff list of one facility, two queries whatever its size."""
    return [
        StaffRow(user=member, roles=[m.role for m in member.visible_memberships])  # type: ignore[attr-defined]
        for member in staff_for_user(user, facility_id=facility_id)
    ]
