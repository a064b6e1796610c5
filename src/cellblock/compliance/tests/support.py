"""Facts written straight into the records, as the shift's pages would leave them."""

from __future__ import annotations

import datetime as dt

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.conftest import SmallFacility, ready_for_bed
from cellblock.core import clock
from cellblock.court.models import (
    Case,
    CaseCharge,
    CaseStatus,
    Hearing,
    HearingKind,
    Hold,
    HoldKind,
    ReleaseDate,
    ReleaseDateChange,
    Sentence,
    Verdict,
)
from cellblock.court.testing import court_setup
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
from cellblock.release.models import Release, ReleaseKind, ReleaseStatus
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


# --- Court and release records, as the court and release desks leave them ----------------


def case_of(booking: Booking, *, docket: str, status: str = CaseStatus.OPEN) -> Case:
    setup = court_setup(booking.facility)
    return Case.objects.create(
        agency=booking.facility.agency, court=setup.court, docket_number=docket,
        person=booking.person, facility=booking.facility, status=status,
        presiding_authority="Judge Sarutobi", filed_at=clock.now(),
    )  # fmt: skip


def count_on(case: Case, *, verdict: str = Verdict.PENDING, number: int = 1) -> CaseCharge:
    return CaseCharge.objects.create(
        case=case, count_number=number, statute="KL 12", description="Theft of scrolls",
        severity="misdemeanour", verdict=verdict,
        verdict_at=None if verdict == Verdict.PENDING else clock.now(),
    )  # fmt: skip


def sentenced(booking: Booking, *, release_on: dt.date, docket: str = "") -> ReleaseDate:
    """A guilty count, its sentence, and the release date computed from it."""
    docket = docket or f"DK-{booking.booking_number}"
    case = case_of(booking, docket=docket, status=CaseStatus.DISPOSED)
    charge = count_on(case, verdict=Verdict.GUILTY)
    term = 30
    sentence = Sentence.objects.create(
        case=case, charge=charge, person=booking.person,
        jurisdiction=case.court.jurisdiction, imposed_on=release_on - dt.timedelta(days=term),
        starts_on=release_on - dt.timedelta(days=term), term_days=term,
        imposed_by=case.presiding_authority, recorded_at=clock.now(),
    )  # fmt: skip
    return ReleaseDate.objects.create(
        booking=booking, release_on=release_on, controlling_sentence=sentence,
        computed_at=clock.now(),
    )  # fmt: skip


def hold_placed(booking: Booking, *, kind: str = HoldKind.WARRANT) -> Hold:
    return Hold.objects.create(
        booking=booking, kind=kind, issued_by="Kiri police", reference="W-77",
        placed_at=clock.now(),
    )  # fmt: skip


def release_prepared(
    booking: Booking, *, kind: str = ReleaseKind.TIME_SERVED, status: str = ReleaseStatus.PREPARING
) -> Release:
    """A release started now; a temporary one is already away until tomorrow."""
    away = kind == ReleaseKind.FURLOUGH
    return Release.objects.create(
        booking=booking, kind=kind, status=status, requested_at=clock.now(),
        expected_return_at=clock.now() + dt.timedelta(days=1) if away else None,
    )  # fmt: skip


def date_moved(
    booking: Booking,
    *,
    previous_on: dt.date | None,
    new_on: dt.date | None,
    cause: str = "credit",
    detail: str = "10 days earned (kitchen work)",
) -> ReleaseDateChange:
    return ReleaseDateChange.objects.create(
        booking=booking, previous_on=previous_on, new_on=new_on, cause=cause,
        cause_detail=detail, computed_at=clock.now(),
    )  # fmt: skip


def hearing_set(
    booking: Booking, *, at: dt.datetime, kind: str = HearingKind.TRIAL, docket: str = "DK-1"
) -> Hearing:
    """A hearing of ``booking``'s person, scheduled for ``at``, nobody produced yet."""
    case = Case.objects.filter(docket_number=docket).first()
    if case is None:
        case = case_of(booking, docket=docket)
        count_on(case)
    return Hearing.objects.create(
        case=case, kind=kind, scheduled_at=at, booking=booking, courtroom="Courtroom 1",
        recorded_at=clock.now(),
    )  # fmt: skip
