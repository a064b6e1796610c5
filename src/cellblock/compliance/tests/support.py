"""Facts written straight into the records, as the shift's pages would leave them."""

from __future__ import annotations

import datetime as dt

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.conftest import SmallFacility, ready_for_bed
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
from cellblock.requests.models import FiledVia, InmateRequest, RequestKind
from cellblock.visits.models import RoomKind, Visit, VisitKind, VisitRoom, VisitStatus


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
    ready_for_bed(booking)
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


def visit_room(site: SmallFacility) -> VisitRoom:
    return VisitRoom.objects.get_or_create(
        facility=site.facility, code="VR1",
        defaults={"name": "Visit room 1", "kind": RoomKind.CONTACT, "capacity": 4},
    )[0]  # fmt: skip


def visiting(
    booking: Booking,
    *,
    started_at: dt.datetime,
    minutes: int = 20,
    escort: User | None = None,
    room: VisitRoom | None = None,
    status: str = VisitStatus.IN_PROGRESS,
) -> Visit:
    """A visit under way since ``started_at``, booked for ``minutes`` (in the cell if no room)."""
    cell = None if room else BedAssignment.objects.get(booking=booking, ended_at__isnull=True)
    return Visit.objects.create(
        facility=booking.facility, booking=booking,
        kind=VisitKind.CONTACT if room else VisitKind.IN_CELL, status=status, room=room,
        cell=cell.bed.cell if cell else None, starts_at=started_at,
        ends_at=started_at + dt.timedelta(minutes=minutes), requested_at=started_at,
        started_at=started_at, escort=escort,
    )  # fmt: skip


def request_filed(
    booking: Booking,
    *,
    filed_at: dt.datetime,
    days: int = 15,
    number: str = "TST-REQ-2026-0001",
    role: str = "commander",
    addressee: User | None = None,
) -> InmateRequest:
    """A request filed at ``filed_at``, due ``days`` later, addressed to a role or a person."""
    return InmateRequest.objects.create(
        facility=booking.facility, booking=booking, number=number, kind=RequestKind.REQUEST,
        subject="Speak with the Hokage", text="About my assignment.",
        addressee_role="" if addressee else role, addressee=addressee,
        filed_via=FiledVia.OFFICER, filed_at=filed_at,
        due_at=filed_at + dt.timedelta(days=days),
    )  # fmt: skip
