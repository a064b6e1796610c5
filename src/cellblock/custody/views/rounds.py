"""Pages: observation rounds.

The rounds page shows a unit's cells as tiles coloured by the most urgent
check among their occupants; picking a cell opens its occupants, each marked
with one tap, and the round is recorded for the whole cell at once (htmx swaps
the tiles and the panel; without scripts the forms post and redirect).  The
due list shows everyone overdue or due soon across the facility.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, requires, user_has_perm
from cellblock.core.errors import DomainError, NotFound, PermissionDenied
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm
from cellblock.custody.models import CheckStatus
from cellblock.custody.selectors.rounds import (
    DUE_SOON,
    DUE_SOON_MINUTES,
    FINE,
    OUT,
    OVERDUE,
    ObservationRow,
    due_within,
    observation_board,
    span_label,
    worst_state,
)
from cellblock.custody.services.rounds import CheckEntry, cell_round_record
from cellblock.facilities.models import Cell, Facility, HousingUnit
from cellblock.facilities.selectors import cell_get_for_user
from cellblock.medical.models import CareAlert
from cellblock.medical.selectors.care import care_alerts_in_force

NO_FACILITY = "You have no role at any facility."
NO_UNITS = "{facility} has no housing units."
EMPTY = "empty"
ROUND_RECORDED = "{cell}: {count} check{s} recorded at {time}."
EMERGENCY_NOTE = "Emergency recorded for {people}: call medical and the supervisor now."
NOT_SEEN_NOTE = "Not seen: {people}. Start a search and tell the supervisor."
MARK_EVERYONE = "Mark everyone in {cell}, or press “Others: seen, well”."
MARK_THIS_PERSON = "choose how you found {person}."
NOBODY_TO_CHECK = "Nobody in {cell} can be checked now."
# The due list's windows, in minutes ahead of now.
WINDOWS = (5, 15, 30, 60)
DEFAULT_WINDOW = 15

# Tile words: what the worst state of a cell says.
TILE_TONE = {OVERDUE: "bad", DUE_SOON: "warn", FINE: "ok", OUT: "muted", EMPTY: "muted"}
STATUS_CHOICES = CheckStatus.choices


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _facility_for(request: HttpRequest, perm: Perm) -> Facility:
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    if not user_has_perm(request.user, perm, facility.pk):
        raise PermissionDenied(MISSING_ROLE.format(perm=perm.value), code="missing_role")
    return facility


def _htmx(request: HttpRequest) -> bool:
    return bool(
        request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    )


def _fragment(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["HX-Request"])
    return response


def _rounds_url(unit: HousingUnit | None, cell: Cell | None = None) -> str:
    query = {}
    if unit is not None:
        query["unit"] = str(unit.public_id)
    if cell is not None:
        query["cell"] = str(cell.public_id)
    url = reverse("custody:rounds")
    return f"{url}?{urlencode(query)}" if query else url


@dataclass
class CellTile:
    """A cell on the rounds page: its people and the most urgent of their states."""

    cell: Cell
    rows: list[ObservationRow]

    @property
    def state(self) -> str:
        return worst_state(self.rows) or EMPTY

    @property
    def tone(self) -> str:
        return TILE_TONE[self.state]

    @property
    def present(self) -> int:
        return sum(1 for row in self.rows if row.due_at is not None)

    @property
    def summary(self) -> str:
        """What the tile says in words (colour is never the only sign)."""
        state = self.state
        if state == EMPTY:
            return "Empty"
        if state == OUT:
            return "Everyone out of cell"
        due = [row for row in self.rows if row.due_at is not None]
        first = min(due, key=lambda row: row.due_at or row.now)
        if state == OVERDUE:
            late = max(row.minutes_overdue for row in due)
            return f"Overdue {span_label(late)}" if late else "Overdue"
        if state == DUE_SOON:
            return first.due_label.capitalize()
        local = clock.local(first.due_at or first.now, self.cell.unit.zone.facility.timezone)
        return f"Next at {local:%H:%M}"


@dataclass
class PanelLine:
    """One person in the cell panel, with what the officer chose (kept on an error)."""

    row: ObservationRow
    status: str = ""
    note: str = ""
    welfare: bool = False
    error: str = ""

    @property
    def key(self) -> str:
        return self.row.booking.booking_number


@dataclass
class CellPanel:
    cell: Cell
    lines: list[PanelLine]
    error: str = ""
    done: list[str] | None = None
    # Medical's care alerts by booking: what to do on the round ("look in at every round").
    care: dict[int, list[CareAlert]] = field(default_factory=dict)

    @property
    def present(self) -> list[PanelLine]:
        return [line for line in self.lines if line.row.due_at is not None]

    @property
    def away(self) -> list[PanelLine]:
        return [line for line in self.lines if line.row.due_at is None]


def _units(facility: Facility) -> list[HousingUnit]:
    return list(
        HousingUnit.objects.filter(zone__facility=facility)
        .select_related("zone")
        .order_by("zone__code", "code")
    )


def _chosen_unit(units: list[HousingUnit], wanted: str) -> HousingUnit | None:
    for unit in units:
        if str(unit.public_id) == wanted:
            return unit
    return units[0] if units else None


def _tiles(facility: Facility, unit: HousingUnit) -> tuple[list[CellTile], list[ObservationRow]]:
    rows = observation_board(facility, clock.now(), unit=unit)
    by_cell: dict[int, list[ObservationRow]] = {}
    for row in rows:
        by_cell.setdefault(row.cell.pk, []).append(row)
    cells = Cell.objects.filter(unit=unit).select_related("unit__zone__facility").order_by("code")
    return [CellTile(cell, by_cell.get(cell.pk, [])) for cell in cells], rows


def _care(rows: list[ObservationRow]) -> dict[int, list[CareAlert]]:
    """The care alerts of the people on the page: one query (none for an empty list).

    Everyone who sees the rounds (housing.view) also holds medical.view: care alerts are
    instructions for custody, never clinical text.
    """
    return care_alerts_in_force([row.booking.pk for row in rows], clock.now())


def _panel(facility: Facility, cell: Cell) -> CellPanel:
    rows = observation_board(facility, clock.now(), cell=cell)
    return CellPanel(cell=cell, lines=[PanelLine(row) for row in rows], care=_care(rows))


def _context(
    request: HttpRequest, facility: Facility, unit: HousingUnit, panel: CellPanel | None
) -> dict[str, Any]:
    tiles, rows = _tiles(facility, unit)
    return {
        "facility": facility,
        "unit": unit,
        "tiles": tiles,
        "panel": panel,
        "overdue": sum(1 for row in rows if row.state == OVERDUE),
        "due_soon": sum(1 for row in rows if row.state == DUE_SOON),
        "held": len(rows),
        "statuses": STATUS_CHOICES,
        "can_record": user_has_perm(request.user, Perm.ROUNDS_RECORD, facility.pk),
        "due_soon_minutes": DUE_SOON_MINUTES,
        "tz": facility.timezone,
        "self_url": _rounds_url(unit),
    }


@require_GET
@requires(Perm.HOUSING_VIEW)
def rounds_page(request: HttpRequest) -> HttpResponse:
    """A unit's cells as tiles (overdue red, due soon amber, fine green) and a cell's panel."""
    facility = _facility_for(request, Perm.HOUSING_VIEW)
    units = _units(facility)
    unit = _chosen_unit(units, request.GET.get("unit", ""))
    if unit is None:
        raise NotFound(NO_UNITS.format(facility=facility.name))
    panel = None
    wanted = request.GET.get("cell", "")
    if wanted:
        cell = cell_get_for_user(_me(request), wanted, Perm.HOUSING_VIEW)
        if cell.unit_id == unit.pk:
            panel = _panel(facility, cell)
    context = {**_context(request, facility, unit, panel), "units": units}
    if _htmx(request) and request.GET.get("part") == "tiles":
        return _fragment(render(request, "custody/rounds/page.html#tiles", context))
    return render(request, "custody/rounds/page.html", context)


@require_GET
@requires(Perm.HOUSING_VIEW)
def cell_panel(request: HttpRequest, cell_id: uuid.UUID) -> HttpResponse:
    """A cell's occupants with their level, last sighting and the round form (htmx)."""
    cell = cell_get_for_user(_me(request), cell_id, Perm.HOUSING_VIEW)
    facility = cell.unit.zone.facility
    if not _htmx(request):
        return redirect(_rounds_url(cell.unit, cell) + "#round-panel")
    context = {
        "panel": _panel(facility, cell),
        "unit": cell.unit,
        "statuses": STATUS_CHOICES,
        "can_record": user_has_perm(request.user, Perm.ROUNDS_RECORD, facility.pk),
        "tz": facility.timezone,
        "focus": True,
    }
    return _fragment(render(request, "custody/rounds/page.html#panel", context))


def _read_lines(request: HttpRequest, panel: CellPanel) -> bool:
    """Fill each present person's choice from the form; False if someone was left unmarked."""
    rest = request.POST.get("rest", "")
    complete = True
    for line in panel.present:
        key = line.key
        line.status = request.POST.get(f"status-{key}", "") or (
            rest if rest in CheckStatus.values else ""
        )
        line.note = request.POST.get(f"note-{key}", "").strip()
        line.welfare = request.POST.get(f"welfare-{key}") == "1"
        if not line.status:
            line.error = MARK_THIS_PERSON.format(person=line.row.booking.person.full_name)
            complete = False
    return complete


def _names(lines: list[PanelLine]) -> str:
    return ", ".join(line.row.booking.person.full_name for line in lines)


@require_POST
@requires(Perm.ROUNDS_RECORD)
def cell_record(request: HttpRequest, cell_id: uuid.UUID) -> HttpResponse:
    """Record the round of a cell: one status per person, all at once."""
    user = _me(request)
    cell = cell_get_for_user(user, cell_id, Perm.HOUSING_VIEW)
    facility = cell.unit.zone.facility
    if Perm.ROUNDS_RECORD not in user.perms_at(facility.pk):
        raise PermissionDenied(
            MISSING_ROLE.format(perm=Perm.ROUNDS_RECORD.value), code="missing_role"
        )
    panel = _panel(facility, cell)

    def again(error: str, status: int) -> HttpResponse:
        panel.error = error
        context = _context(request, facility, cell.unit, panel)
        if _htmx(request):
            return _fragment(render(request, "custody/rounds/page.html#work", context))
        return render(
            request, "custody/rounds/page.html", {**context, "units": _units(facility)},
            status=status,
        )  # fmt: skip

    if not panel.present:
        return again(NOBODY_TO_CHECK.format(cell=cell.code), 409)
    if not _read_lines(request, panel):
        return again(MARK_EVERYONE.format(cell=cell.code), 400)
    bookings: dict[str, Booking] = {line.key: line.row.booking for line in panel.present}
    entries = [
        CheckEntry(
            booking=bookings[line.key],
            status=line.status,
            note=line.note,
            welfare_contact=line.welfare,
        )
        for line in panel.present
    ]
    try:
        checks = cell_round_record(actor=user, cell=cell, checks=entries)
    except DomainError as exc:
        fields = exc.extra.get("fields", {})
        for i, line in enumerate(panel.present):
            problems = [
                m for name, msgs in fields.items() if name.startswith(f"checks[{i}]") for m in msgs
            ]
            if problems:
                line.error = " ".join(problems)
        return again(exc.message, exc.status)
    at = clock.local(checks[0].checked_at, facility.timezone)
    notes = [
        ROUND_RECORDED.format(
            cell=cell.code, count=len(checks), s="" if len(checks) == 1 else "s", time=f"{at:%H:%M}"
        )
    ]
    emergencies = [line for line in panel.present if line.status == CheckStatus.EMERGENCY]
    missing = [line for line in panel.present if line.status == CheckStatus.NOT_SEEN]
    if emergencies:
        notes.append(EMERGENCY_NOTE.format(people=_names(emergencies)))
    if missing:
        notes.append(NOT_SEEN_NOTE.format(people=_names(missing)))
    if _htmx(request):
        context = _context(request, facility, cell.unit, None)
        context["done"] = notes
        context["done_bad"] = bool(emergencies or missing)
        return _fragment(render(request, "custody/rounds/page.html#work", context))
    for note in notes:
        if note == notes[0]:
            messages.success(request, note)
        else:
            messages.error(request, note)
    return redirect(_rounds_url(cell.unit))


@require_GET
@requires(Perm.HOUSING_VIEW)
def due_list(request: HttpRequest) -> HttpResponse:
    """Everyone overdue or due soon at the facility, soonest first."""
    facility = _facility_for(request, Perm.HOUSING_VIEW)
    try:
        window = int(request.GET.get("within", DEFAULT_WINDOW))
    except ValueError:
        window = DEFAULT_WINDOW
    if window not in WINDOWS:
        window = DEFAULT_WINDOW
    rows = observation_board(facility, clock.now())
    due = due_within(rows, window)
    context = {
        "facility": facility,
        "rows": due,
        "window": window,
        "windows": WINDOWS,
        "overdue": sum(1 for row in due if row.overdue),
        "held": len(rows),
        "out": sum(1 for row in rows if row.due_at is None),
        "tz": facility.timezone,
        "rounds_url": reverse("custody:rounds"),
        "care": _care(due),
    }
    return render(request, "custody/rounds/due.html", context)


urlpatterns = [
    path("rounds/", rounds_page, name="rounds"),
    path("rounds/due/", due_list, name="rounds_due"),
    path("rounds/cells/<uuid:cell_id>/", cell_panel, name="rounds_cell"),
    path("rounds/cells/<uuid:cell_id>/record/", cell_record, name="rounds_record"),
]
