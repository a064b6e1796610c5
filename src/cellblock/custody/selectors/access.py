"""Reads of zone and cell access: grants in force, the door log, zone rules, who works here."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Prefetch

from cellblock.accounts.models import Membership, User
from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import ROLE_PERMS, Perm
from cellblock.custody.models import DoorEvent, EntryGrant, ZoneAccess
from cellblock.custody.services.access import FLOOR_ROLES, grants_in_force_q
from cellblock.facilities.models import Cell, Facility, Zone

DOOR_LOG_LENGTH = 50


def staff_holding(facility: Facility, perm: Perm | None = None) -> list[User]:
    """Active staff of ``facility`` (holding ``perm`` there, when given), by name."""
    roles = [role for role, perms in ROLE_PERMS.items() if perm is None or perm in perms]
    return list(
        User.objects.filter(
            is_active=True,
            memberships__facility=facility,
            memberships__active=True,
            memberships__role__in=roles,
        )
        .distinct()
        .order_by("full_name", "username")
    )


def grants_in_force(facility: Facility, now: dt.datetime | None = None) -> list[EntryGrant]:
    """Grants running now or starting later, the soonest to end first (one query)."""
    now = now or clock.now()
    return list(
        EntryGrant.objects.filter(facility=facility, valid_until__gt=now, revoked_at__isnull=True)
        .select_related("staff", "granted_by", "cell__unit__zone", "zone")
        .order_by("valid_until", "pk")
    )


def grant_is_current(grant: EntryGrant, now: dt.datetime | None = None) -> bool:
    now = now or clock.now()
    return EntryGrant.objects.filter(grants_in_force_q(now), pk=grant.pk).exists()


def door_log(facility: Facility, limit: int = DOOR_LOG_LENGTH) -> list[DoorEvent]:
    """The latest door events, newest first, with who passed (three queries)."""
    return list(
        DoorEvent.objects.filter(facility=facility)
        .select_related("operated_by", "cell__unit__zone", "zone", "incident", "grant")
        .prefetch_related(
            Prefetch("staff_passed", queryset=User.objects.order_by("username")),
            Prefetch(
                "people_passed",
                queryset=Booking.objects.select_related("person").order_by("booking_number"),
            ),
        )
        .order_by("-at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class ZoneRule:
    zone: Zone
    # The roles named for the zone; empty: every floor role (FLOOR_ROLES).
    roles: list[str]

    @property
    def admits(self) -> str:
        if self.zone.restricted:
            return "nobody without a grant"
        return ", ".join(self.roles or sorted(FLOOR_ROLES))


def zone_rules(facility: Facility) -> list[ZoneRule]:
    """Each zone with who may enter it (two queries)."""
    roles: dict[int, list[str]] = {}
    for zone_id, role in (
        ZoneAccess.objects.filter(zone__facility=facility)
        .order_by("role")
        .values_list("zone_id", "role")
    ):
        roles.setdefault(zone_id, []).append(role)
    return [
        ZoneRule(zone=zone, roles=roles.get(zone.pk, []))
        for zone in Zone.objects.filter(facility=facility).order_by("code")
    ]


def cells_of(facility: Facility) -> list[Cell]:
    """The cells of a facility with their unit and zone, in the order staff walk them."""
    return list(
        Cell.objects.filter(unit__zone__facility=facility)
        .select_related("unit__zone")
        .order_by("unit__zone__code", "unit__code", "code")
    )


def grant_get_for_user(user: User, public_id: str | uuid.UUID) -> EntryGrant:
    """A grant at a facility where ``user`` sees who is held; else 404."""
    key = parse_public_id(public_id, what="entry grant")
    grant = (
        EntryGrant.objects.select_related("facility", "staff", "granted_by", "cell", "zone")
        .filter(public_id=key, facility_id__in=user.facilities_with(Perm.BOOKING_VIEW))
        .first()
    )
    if grant is None:
        raise NotFound(f"No entry grant with id {key}.")
    return grant


def member_of(facility: Facility, username: str) -> User | None:
    """The active member of staff of ``facility`` with that username, or None."""
    here = Membership.objects.filter(facility=facility, active=True)
    return (
        User.objects.filter(username=username.strip(), is_active=True, memberships__in=here)
        .distinct()
        .first()
    )


def zone_get_for_user(
    user: User, public_id: str | uuid.UUID, perm: Perm = Perm.BOOKING_VIEW
) -> Zone:
    key = parse_public_id(public_id, what="zone")
    zone = (
        Zone.objects.select_related("facility")
        .filter(public_id=key, facility_id__in=user.facilities_with(perm))
        .first()
    )
    if zone is None:
        raise NotFound(f"No zone with id {key}.")
    return zone
