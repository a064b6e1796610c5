"""Facts written straight into the custody records, as the shift's pages would leave them."""

from __future__ import annotations

import datetime as dt

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.conftest import SmallFacility
from cellblock.custody.models import (
    CONTACT_DESTINATIONS,
    OUTSIDE_DESTINATIONS,
    CheckStatus,
    Movement,
    MovementKind,
    Restraint,
    RestraintKind,
    RestraintPurpose,
    RoundCheck,
)
from cellblock.facilities import services as facility_services
from cellblock.facilities.models import Cell
from cellblock.housing.models import BedAssignment
from cellblock.housing.services import bed_assign


def lower_level(site: SmallFacility) -> Cell:
    fs = facility_services
    zone = fs.zone_create(
        actor=None, facility=site.facility, code="L", name="Lower level", restricted=True
    )
    unit = fs.unit_create(
        actor=None, zone=zone, code="ISO", name="Isolation", security_rating="special",
        restrictive_housing=True,
    )  # fmt: skip
    return fs.cell_create(actor=None, unit=unit, code="ISO-1", beds=1, features=["iron-door"])


def put_in_isolation(booking: Booking, cell: Cell) -> BedAssignment:
    """House against the rule book (a child among adults), as the commander once did."""
    return bed_assign(
        actor=None, booking=booking, bed=cell.beds.get(), override_reason="dangerous to others"
    )


def restrain(
    booking: Booking, *, at: dt.datetime, by: User, kind: str = RestraintKind.CHAINS
) -> Restraint:
    return Restraint.objects.create(
        booking=booking, kind=kind, purpose=RestraintPurpose.SAFETY,
        reason="fox chakra", applied_at=at, applied_by=by,
    )  # fmt: skip


def out(
    booking: Booking,
    destination: str,
    left_at: dt.datetime,
    returned_at: dt.datetime | None = None,
    *,
    expected: dt.datetime | None = None,
    escort: User | None = None,
) -> Movement:
    return Movement.objects.create(
        booking=booking, destination=destination, left_at=left_at, returned_at=returned_at,
        expected_return_at=expected, escort=escort,
        kind=MovementKind.OUT_OF_FACILITY if destination in OUTSIDE_DESTINATIONS
        else MovementKind.OUT_OF_CELL,
        meaningful_contact=destination in CONTACT_DESTINATIONS,
    )  # fmt: skip


def seen(
    booking: Booking, at: dt.datetime, by: User, *, welfare: bool = False, cell: Cell | None = None
) -> RoundCheck:
    cell = cell or BedAssignment.objects.get(booking=booking, ended_at__isnull=True).bed.cell
    return RoundCheck.objects.create(
        booking=booking, cell=cell, checked_at=at, checked_by=by, status=CheckStatus.SEEN_WELL,
        welfare_contact=welfare,
    )  # fmt: skip
