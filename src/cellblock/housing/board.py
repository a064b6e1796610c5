"""Reads for the bed board: a facility as unit tiles, a unit as its cells and beds.

Both reads cost a fixed number of queries whatever the size: the facility
board counts per unit in the database (a 15,000-bed facility is a few hundred
tiles, never 15,000 rows), and the unit board reads the unit's cells, beds,
features, occupants, their housing flags and open alerts in one query each.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Value

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES, Booking, CustodyLevel
from cellblock.classification.models import FLAG_TONE, HOUSING_FLAGS, Flag
from cellblock.classification.selectors import active_flags_q
from cellblock.core.errors import NotFound
from cellblock.core.ids import parse_public_id
from cellblock.core.roles import Perm
from cellblock.facilities.models import Bed, Cell, CellFeature, Facility, FeatureStatus, HousingUnit
from cellblock.housing.models import BedAssignment, HousingReview, MoveRequest, MoveRequestStatus

LEVEL_LABELS = dict(CustodyLevel.choices)
NOT_ASSESSED = "Not assessed"
# The facility board lists at most this many people waiting for a first bed.
UNHOUSED_SHOWN = 200

# What a bed row shows, most urgent first: its colour on the board and its word.
ALERT = "alert"
OUT_OF_SERVICE = "out"
COMPROMISED = "compromised"
OCCUPIED = "occupied"
VACANT = "vacant"
STATE_LABELS = {
    ALERT: "Alert",
    OUT_OF_SERVICE: "Out of service",
    COMPROMISED: "Feature compromised",
    OCCUPIED: "Occupied",
    VACANT: "Vacant",
}


def unit_get_for_user(user: User, public_id: str | uuid.UUID) -> HousingUnit:
    """The unit, if ``user`` may see the housing of its facility; otherwise 404 (never 403)."""
    key = parse_public_id(public_id, what="housing unit")
    unit = (
        HousingUnit.objects.select_related("zone__facility")
        .filter(public_id=key, zone__facility_id__in=user.facilities_with(Perm.HOUSING_VIEW))
        .first()
    )
    if unit is None:
        raise NotFound(f"No housing unit with id {key}.")
    return unit


def cell_get_for_user(user: User, public_id: str | uuid.UUID) -> Cell:
    key = parse_public_id(public_id, what="cell")
    cell = (
        Cell.objects.select_related("unit__zone__facility")
        .filter(public_id=key, unit__zone__facility_id__in=user.facilities_with(Perm.HOUSING_VIEW))
        .first()
    )
    if cell is None:
        raise NotFound(f"No cell with id {key}.")
    return cell


def bed_get_for_user(user: User, public_id: str | uuid.UUID) -> Bed:
    key = parse_public_id(public_id, what="bed")
    bed = (
        Bed.objects.select_related("cell__unit__zone__facility")
        .filter(
            public_id=key,
            cell__unit__zone__facility_id__in=user.facilities_with(Perm.HOUSING_VIEW),
        )
        .first()
    )
    if bed is None:
        raise NotFound(f"No bed with id {key}.")
    return bed


def move_request_get_for_user(user: User, public_id: str | uuid.UUID) -> MoveRequest:
    key = parse_public_id(public_id, what="move request")
    request = (
        MoveRequest.objects.select_related(
            "booking__person", "booking__facility", "from_bed__cell", "to_bed__cell__unit"
        )
        .filter(public_id=key, booking__facility_id__in=user.facilities_with(Perm.HOUSING_VIEW))
        .first()
    )
    if request is None:
        raise NotFound(f"No move request with id {key}.")
    return request


@dataclass(frozen=True)
class Badge:
    label: str
    tone: str
    title: str = ""


@dataclass
class Occupant:
    booking: Booking
    assignment: BedAssignment
    badges: list[Badge]
    alerts: list[HousingReview]

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.booking.custody_level, NOT_ASSESSED)


@dataclass
class BedRow:
    bed: Bed
    cell: Cell
    occupant: Occupant | None
    compromised: list[str]

    @property
    def out_of_service(self) -> bool:
        return self.bed.out_of_service or self.cell.out_of_service

    @property
    def state(self) -> str:
        if self.occupant is not None and self.occupant.alerts:
            return ALERT
        if self.out_of_service:
            return OUT_OF_SERVICE
        if self.compromised:
            return COMPROMISED
        return OCCUPIED if self.occupant is not None else VACANT

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def label(self) -> str:
        return f"{self.cell.code} / {self.bed.code}"


@dataclass
class CellRow:
    cell: Cell
    beds: list[BedRow] = field(default_factory=list)
    features: list[CellFeature] = field(default_factory=list)

    @property
    def compromised(self) -> list[str]:
        return [f.tag for f in self.features if f.status == FeatureStatus.COMPROMISED]

    @property
    def occupants(self) -> list[Occupant]:
        return [row.occupant for row in self.beds if row.occupant is not None]

    @property
    def capacity(self) -> int:
        if self.cell.out_of_service:
            return 0
        return sum(1 for row in self.beds if not row.bed.out_of_service)


@dataclass
class UnitBoard:
    unit: HousingUnit
    cells: list[CellRow]

    @property
    def beds(self) -> list[BedRow]:
        return [row for cell in self.cells for row in cell.beds]

    @property
    def occupants(self) -> list[Occupant]:
        return [occupant for cell in self.cells for occupant in cell.occupants]

    @property
    def capacity(self) -> int:
        return sum(cell.capacity for cell in self.cells)

    @property
    def occupied(self) -> int:
        return len(self.occupants)

    @property
    def vacant(self) -> int:
        return sum(1 for row in self.beds if row.occupant is None and not row.out_of_service)

    @property
    def out_of_service(self) -> int:
        return sum(1 for row in self.beds if row.out_of_service)

    @property
    def alerts(self) -> int:
        return sum(1 for occupant in self.occupants if occupant.alerts)

    @property
    def to_rehouse(self) -> list[Occupant]:
        """People whose bed is out of service or who break a rule where they sleep."""
        return [
            row.occupant
            for row in self.beds
            if row.occupant is not None and (row.out_of_service or row.occupant.alerts)
        ]


def badges_of(flags: list[Flag]) -> list[Badge]:
    return [
        Badge(flag.get_kind_display(), FLAG_TONE.get(flag.kind, "muted"), flag.detail)
        for flag in flags
    ]


def _open_here() -> QuerySet[BedAssignment]:
    return BedAssignment.objects.filter(ended_at__isnull=True, booking__status__in=OPEN_STATUSES)


def unit_board(unit: HousingUnit, now: dt.datetime) -> UnitBoard:
    """The unit's cells and beds with who sleeps where: six queries, whatever the count."""
    cells = list(Cell.objects.filter(unit=unit).order_by("code"))
    beds = list(Bed.objects.filter(cell__unit=unit).order_by("code"))
    features: dict[int, list[CellFeature]] = defaultdict(list)
    for feature in CellFeature.objects.filter(cell__unit=unit).order_by("tag"):
        features[feature.cell_id].append(feature)
    assignments = list(_open_here().filter(bed__cell__unit=unit).select_related("booking__person"))
    booking_ids = [a.booking_id for a in assignments]
    flags: dict[int, list[Flag]] = defaultdict(list)
    for flag in Flag.objects.filter(
        active_flags_q(now), booking_id__in=booking_ids, kind__in=HOUSING_FLAGS
    ).order_by("kind", "detail"):
        flags[flag.booking_id].append(flag)
    alerts: dict[int, list[HousingReview]] = defaultdict(list)
    for review in HousingReview.objects.filter(
        resolved_at__isnull=True, booking_id__in=booking_ids
    ).order_by("raised_at", "id"):
        alerts[review.booking_id].append(review)
    by_bed = {
        a.bed_id: Occupant(
            booking=a.booking, assignment=a, badges=badges_of(flags[a.booking_id]),
            alerts=alerts[a.booking_id],
        )
        for a in assignments
    }  # fmt: skip
    rows = {cell.pk: CellRow(cell=cell, features=features[cell.pk]) for cell in cells}
    for bed in beds:
        row = rows[bed.cell_id]
        bed.cell = row.cell
        row.beds.append(BedRow(bed, row.cell, by_bed.get(bed.pk), row.compromised))
    return UnitBoard(unit=unit, cells=list(rows.values()))


@dataclass
class UnitTile:
    unit: HousingUnit
    beds: int = 0
    out_of_service: int = 0
    occupied: int = 0
    alerts: int = 0
    cells_out_of_service: int = 0
    cells_compromised: int = 0

    @property
    def capacity(self) -> int:
        return self.beds - self.out_of_service

    @property
    def vacant(self) -> int:
        return max(self.capacity - self.occupied, 0)


@dataclass
class ZoneTiles:
    name: str
    code: str
    tiles: list[UnitTile] = field(default_factory=list)


@dataclass
class FacilityBoard:
    facility: Facility
    zones: list[ZoneTiles]
    # Open bookings with no bed yet, longest waiting first (at most UNHOUSED_SHOWN).
    unhoused: list[Booking]
    unhoused_count: int

    @property
    def tiles(self) -> list[UnitTile]:
        return [tile for zone in self.zones for tile in zone.tiles]

    def total(self, name: str) -> int:
        return sum(getattr(tile, name) for tile in self.tiles)


def facility_board(facility: Facility) -> FacilityBoard:
    """One tile per unit with its counts: seven queries, whatever the facility's size."""
    units = list(
        HousingUnit.objects.filter(zone__facility=facility)
        .select_related("zone")
        .order_by("zone__code", "code")
    )
    tiles = {unit.pk: UnitTile(unit=unit) for unit in units}
    in_facility = Q(cell__unit__zone__facility=facility)
    for unit_id, beds, out in (
        Bed.objects.filter(in_facility)
        .values("cell__unit_id")
        .annotate(
            beds=Count("id"),
            out=Count("id", filter=Q(out_of_service=True) | Q(cell__out_of_service=True)),
        )
        .values_list("cell__unit_id", "beds", "out")
    ):
        tiles[unit_id].beds, tiles[unit_id].out_of_service = beds, out
    alerted = HousingReview.objects.filter(
        booking_id=OuterRef("booking_id"), resolved_at__isnull=True
    )
    for unit_id, occupied, alerts in (
        _open_here()
        .filter(bed__cell__unit__zone__facility=facility)
        .values("bed__cell__unit_id")
        .annotate(occupied=Count("id"), alerts=Count("id", filter=Exists(alerted)))
        .values_list("bed__cell__unit_id", "occupied", "alerts")
    ):
        tiles[unit_id].occupied, tiles[unit_id].alerts = occupied, alerts
    for unit_id, out, compromised in (
        Cell.objects.filter(unit__zone__facility=facility)
        .values("unit_id")
        .annotate(
            out=Count("id", filter=Q(out_of_service=True), distinct=True),
            compromised=Count(
                "id", filter=Q(features__status=FeatureStatus.COMPROMISED), distinct=True
            ),
        )
        .values_list("unit_id", "out", "compromised")
    ):
        tiles[unit_id].cells_out_of_service, tiles[unit_id].cells_compromised = out, compromised
    zones: dict[int, ZoneTiles] = {}
    for unit in units:
        zone = zones.setdefault(unit.zone_id, ZoneTiles(unit.zone.name, unit.zone.code))
        zone.tiles.append(tiles[unit.pk])
    waiting = unhoused_bookings(facility)
    return FacilityBoard(
        facility=facility,
        zones=list(zones.values()),
        unhoused=list(waiting.select_related("person").order_by("booked_at")[:UNHOUSED_SHOWN]),
        unhoused_count=waiting.count(),
    )


def unhoused_bookings(facility: Facility) -> QuerySet[Booking]:
    housed = BedAssignment.objects.filter(booking_id=OuterRef("pk"), ended_at__isnull=True)
    return Booking.objects.filter(facility=facility, status__in=OPEN_STATUSES).filter(
        ~Exists(housed)
    )


def pending_requests(facility: Facility, *, unit: HousingUnit | None = None) -> list[MoveRequest]:
    """Moves waiting for a supervisor, oldest first; on a unit's board those into or out of it."""
    requests = MoveRequest.objects.filter(
        status=MoveRequestStatus.PENDING, booking__facility=facility
    )
    if unit is not None:
        requests = requests.filter(Q(to_bed__cell__unit=unit) | Q(from_bed__cell__unit=unit))
    return list(
        requests.select_related(
            "booking__person", "from_bed__cell__unit", "to_bed__cell__unit", "requested_by"
        ).order_by("requested_at", "id")
    )


@dataclass(frozen=True)
class PersonChoice:
    booking_number: str
    label: str
    group: str


def people_to_move(
    facility: Facility, *, unit: HousingUnit | None = None, text: str = "", limit: int = 200
) -> list[PersonChoice]:
    """The open bookings offered in the move panel: one query.

    Without a search, the people of ``unit`` come first, then those waiting for
    a bed; a search matches a name or booking number across the facility.
    """
    bookings = Booking.objects.filter(facility=facility, status__in=OPEN_STATUSES)
    current = BedAssignment.objects.filter(booking_id=OuterRef("pk"), ended_at__isnull=True)
    if text.strip():
        for word in text.split():
            bookings = bookings.filter(
                Q(booking_number__icontains=word)
                | Q(person__given_name__icontains=word)
                | Q(person__family_name__icontains=word)
            )
    else:
        wanted = Q(~Exists(current))
        if unit is not None:
            wanted |= Q(Exists(current.filter(bed__cell__unit=unit)))
        bookings = bookings.filter(wanted)
    rows = (
        bookings.annotate(
            in_unit=Exists(current.filter(bed__cell__unit=unit)) if unit else Value(False),
            housed=Exists(current),
        )
        .values_list(
            "booking_number", "person__given_name", "person__family_name", "in_unit", "housed"
        )
        .order_by("person__family_name", "person__given_name", "booking_number")[:limit]
    )
    groups = {(True, True): "In this unit", (False, True): "Housed elsewhere"}
    return sorted(
        (
            PersonChoice(
                number, f"{family}, {given} · {number}",
                groups.get((bool(in_unit), bool(housed)), "Waiting for a bed"),
            )
            for number, given, family, in_unit, housed in rows
        ),
        key=lambda choice: ("In this unit", "Waiting for a bed", "Housed elsewhere").index(
            choice.group
        ),
    )  # fmt: skip


def flag_kinds_of(booking: Booking, now: dt.datetime) -> list[Badge]:
    flags = Flag.objects.filter(active_flags_q(now), booking=booking, kind__in=HOUSING_FLAGS)
    return badges_of(list(flags.order_by("kind", "detail")))
