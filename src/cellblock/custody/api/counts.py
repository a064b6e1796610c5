"""Counts API: the live count, formal counts and their sheets, and the count schedule.

Facilities, counts and sheets are named by public id.  Reading needs
``housing.view``; entering a figure ``count.record``; starting, reconciling,
clearing and cancelling ``count.clear`` (supervisors).  A count, sheet or
facility outside the caller's facilities is 404.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from cellblock.accounts.models import User
from cellblock.core import clock
from cellblock.core.access import acting_user, api_requires
from cellblock.core.roles import Perm
from cellblock.custody.models import CountMethod, CountSheet, CountStatus, FormalCount, SheetStatus
from cellblock.custody.selectors import counts as reads
from cellblock.custody.services.counts import (
    count_cancel,
    count_clear,
    count_sheet_reconcile,
    count_sheet_record,
    count_start,
)
from cellblock.facilities.models import Facility, HousingUnit
from cellblock.facilities.selectors import facility_get_for_user

router = Router()

RECENT_COUNTS = 50


def _username(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def _facility(user: User, public_id: uuid.UUID) -> Facility:
    return facility_get_for_user(user, public_id, perm=reads.READ_PERM)


# --- The live count -------------------------------------------------------------------


class UnitRefOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    zone: str


class UnitCountOut(Schema):
    unit: UnitRefOut
    housed: int
    in_cell: int
    out_of_cell: int
    out_of_facility: int


class UnhousedOut(Schema):
    held: int = Field(description="Held without a bed (intake, waiting for a bed)")
    out_of_cell: int
    out_of_facility: int


class LiveCountOut(Schema):
    facility: uuid.UUID
    at: dt.datetime
    held: int = Field(description="Everyone held: housed plus held without a bed")
    housed: int
    in_cell: int
    out_of_cell: int = Field(description="Inside the walls but out of their cell, housed or not")
    out_of_facility: int
    unhoused: UnhousedOut
    units: list[UnitCountOut]


def unit_ref(unit: HousingUnit) -> UnitRefOut:
    """The unit with its zone (select_related ``zone``)."""
    return UnitRefOut(id=unit.public_id, code=unit.code, name=unit.name, zone=unit.zone.code)


def live_count_out(count: reads.LiveCount) -> LiveCountOut:
    return LiveCountOut(
        facility=count.facility.public_id, at=count.at, held=count.held, housed=count.housed,
        in_cell=count.in_cell, out_of_cell=count.out_of_cell,
        out_of_facility=count.out_of_facility,
        unhoused=UnhousedOut(
            held=count.unhoused.held, out_of_cell=count.unhoused.out_of_cell,
            out_of_facility=count.unhoused.out_of_facility,
        ),
        units=[
            UnitCountOut(
                unit=unit_ref(u.unit), housed=u.housed, in_cell=u.in_cell,
                out_of_cell=u.out_of_cell, out_of_facility=u.out_of_facility,
            )
            for u in count.units
        ],
    )  # fmt: skip


@router.get("/count", response=LiveCountOut, auth=api_requires(Perm.HOUSING_VIEW))
def get_live_count(request: HttpRequest, facility: uuid.UUID) -> LiveCountOut:
    """Who is where now: housed, in cell, out of cell, out of the facility, per unit."""
    return live_count_out(reads.live_count(_facility(acting_user(request), facility)))


# --- Formal counts ---------------------------------------------------------------------


class CountIn(Schema):
    facility: uuid.UUID
    method: CountMethod
    scheduled_for: dt.datetime | None = Field(
        default=None,
        description="The policy's count time it answers (UTC); null: a count off the schedule",
    )
    at: dt.datetime | None = Field(default=None, description="When it started; default now")


class FigureIn(Schema):
    counted: int = Field(ge=0, le=100_000, description="People counted in their cells")
    at: dt.datetime | None = None


class ReconcileIn(Schema):
    explanation: str = Field(max_length=1000)


class CancelIn(Schema):
    reason: str = Field(max_length=500)


class SheetOut(Schema):
    id: uuid.UUID
    unit: UnitRefOut
    status: SheetStatus
    expected: int = Field(description="In their cells when the count started")
    expected_out: int = Field(description="Out on a movement when the count started")
    in_cell_now: int | None = Field(
        description="What the sheet should find now (returns during the count included); "
        "null once the count is closed"
    )
    counted: int | None
    counted_by: str | None
    counted_at: dt.datetime | None
    recounted: int | None
    recounted_by: str | None
    recounted_at: dt.datetime | None
    reconciliation: str
    reconciled_by: str | None
    reconciled_at: dt.datetime | None


class CountOut(Schema):
    id: uuid.UUID
    facility: uuid.UUID
    method: CountMethod
    status: CountStatus
    scheduled_for: dt.datetime | None
    started_at: dt.datetime
    started_by: str | None
    cleared_at: dt.datetime | None
    cleared_by: str | None
    cancelled_at: dt.datetime | None
    cancel_reason: str
    sheets: list[SheetOut]


def sheet_out(sheet: CountSheet, in_cell_now: int | None) -> SheetOut:
    return SheetOut(
        id=sheet.public_id, unit=unit_ref(sheet.unit), status=SheetStatus(sheet.status),
        expected=sheet.expected, expected_out=sheet.expected_out, in_cell_now=in_cell_now,
        counted=sheet.counted, counted_by=_username(sheet.counted_by),
        counted_at=sheet.counted_at, recounted=sheet.recounted,
        recounted_by=_username(sheet.recounted_by), recounted_at=sheet.recounted_at,
        reconciliation=sheet.reconciliation, reconciled_by=_username(sheet.reconciled_by),
        reconciled_at=sheet.reconciled_at,
    )  # fmt: skip


def _now_by_unit(count: FormalCount) -> dict[int, int] | None:
    """Each unit's people in their cells now, while the count is open (one query)."""
    if count.status != CountStatus.OPEN:
        return None
    figures = reads.figures_by_unit(count.facility)
    return {unit_id: f.in_place for unit_id, f in figures.items()}


def count_out(count: FormalCount, sheets: list[CountSheet] | None = None) -> CountOut:
    now = _now_by_unit(count)
    sheets = reads.count_sheets(count) if sheets is None else sheets
    return CountOut(
        id=count.public_id, facility=count.facility.public_id, method=CountMethod(count.method),
        status=CountStatus(count.status), scheduled_for=count.scheduled_for,
        started_at=count.started_at, started_by=_username(count.started_by),
        cleared_at=count.cleared_at, cleared_by=_username(count.cleared_by),
        cancelled_at=count.cancelled_at, cancel_reason=count.cancel_reason,
        sheets=[
            sheet_out(s, None if now is None else now.get(s.unit_id, 0)) for s in sheets
        ],
    )  # fmt: skip


def _fresh(user: User, count: FormalCount) -> CountOut:
    return count_out(reads.count_get_for_user(user, count.public_id))


@router.post("/counts", response={201: CountOut}, auth=api_requires(Perm.COUNT_CLEAR))
def start_count(request: HttpRequest, payload: CountIn) -> Status[CountOut]:
    """Start a formal count: a sheet per unit, and moves, movements and releases frozen."""
    user = acting_user(request)
    facility = _facility(user, payload.facility)
    count = count_start(
        actor=user, facility=facility, method=payload.method,
        scheduled_for=payload.scheduled_for, at=payload.at,
    )  # fmt: skip
    return Status(201, _fresh(user, count))


class CountSummaryOut(Schema):
    id: uuid.UUID
    method: CountMethod
    status: CountStatus
    scheduled_for: dt.datetime | None
    started_at: dt.datetime
    started_by: str | None
    cleared_at: dt.datetime | None
    cancelled_at: dt.datetime | None


@router.get("/counts", response=list[CountSummaryOut], auth=api_requires(Perm.HOUSING_VIEW))
def list_counts(
    request: HttpRequest, facility: uuid.UUID, status: CountStatus | None = None
) -> list[CountSummaryOut]:
    """The facility's latest counts, newest first (at most 50)."""
    place = _facility(acting_user(request), facility)
    found = FormalCount.objects.filter(facility=place).select_related("started_by")
    if status is not None:
        found = found.filter(status=status)
    return [
        CountSummaryOut(
            id=c.public_id, method=CountMethod(c.method), status=CountStatus(c.status),
            scheduled_for=c.scheduled_for, started_at=c.started_at,
            started_by=_username(c.started_by), cleared_at=c.cleared_at,
            cancelled_at=c.cancelled_at,
        )
        for c in found.order_by("-started_at", "-id")[:RECENT_COUNTS]
    ]  # fmt: skip


class ScheduledCountOut(Schema):
    due_at: dt.datetime
    missed_at: dt.datetime = Field(description="Not started by then, the count is missed")
    state: str = Field(description="upcoming, due, in_progress, cleared, cleared_late, missed")
    count: uuid.UUID | None


def scheduled_out(slot: reads.ScheduledCount) -> ScheduledCountOut:
    return ScheduledCountOut(
        due_at=slot.due_at, missed_at=slot.missed_at, state=slot.state,
        count=slot.count.public_id if slot.count else None,
    )  # fmt: skip


@router.get(
    "/counts/schedule", response=list[ScheduledCountOut], auth=api_requires(Perm.HOUSING_VIEW)
)
def count_schedule(
    request: HttpRequest, facility: uuid.UUID, date: dt.date | None = None
) -> list[ScheduledCountOut]:
    """The policy's count times of a day (the facility's local date; default today)."""
    place = _facility(acting_user(request), facility)
    day = date or clock.local(clock.now(), place.timezone).date()
    return [scheduled_out(slot) for slot in reads.scheduled_counts(place, day)]


@router.get(
    "/counts/missed", response=list[ScheduledCountOut], auth=api_requires(Perm.HOUSING_VIEW)
)
def missed(
    request: HttpRequest, facility: uuid.UUID, since: dt.datetime | None = None
) -> list[ScheduledCountOut]:
    """Count times whose grace passed without a count (default: the last 24 hours)."""
    place = _facility(acting_user(request), facility)
    return [scheduled_out(slot) for slot in reads.missed_counts(place, clock.now(), since=since)]


@router.get("/counts/{count_id}", response=CountOut, auth=api_requires(Perm.HOUSING_VIEW))
def get_count(request: HttpRequest, count_id: uuid.UUID) -> CountOut:
    """A count with its sheets."""
    return count_out(reads.count_get_for_user(acting_user(request), count_id))


def _sheet_response(user: User, sheet: CountSheet) -> SheetOut:
    fresh = reads.sheet_get_for_user(user, sheet.count.public_id, sheet.public_id)
    now = _now_by_unit(fresh.count)
    return sheet_out(fresh, None if now is None else now.get(fresh.unit_id, 0))


@router.post(
    "/counts/{count_id}/sheets/{sheet_id}/figure",
    response=SheetOut,
    auth=api_requires(Perm.COUNT_RECORD),
)
def record_figure(
    request: HttpRequest, count_id: uuid.UUID, sheet_id: uuid.UUID, payload: FigureIn
) -> SheetOut:
    """Enter what was counted: a first figure, or the recount of one that differed."""
    user = acting_user(request)
    sheet = reads.sheet_get_for_user(user, count_id, sheet_id)
    count_sheet_record(actor=user, sheet=sheet, counted=payload.counted, at=payload.at)
    return _sheet_response(user, sheet)


@router.post(
    "/counts/{count_id}/sheets/{sheet_id}/reconcile",
    response=SheetOut,
    auth=api_requires(Perm.COUNT_CLEAR),
)
def reconcile_sheet(
    request: HttpRequest, count_id: uuid.UUID, sheet_id: uuid.UUID, payload: ReconcileIn
) -> SheetOut:
    """Explain a recount that still differs, so the count can clear."""
    user = acting_user(request)
    sheet = reads.sheet_get_for_user(user, count_id, sheet_id)
    count_sheet_reconcile(actor=user, sheet=sheet, explanation=payload.explanation)
    return _sheet_response(user, sheet)


@router.post("/counts/{count_id}/clear", response=CountOut, auth=api_requires(Perm.COUNT_CLEAR))
def clear_count(request: HttpRequest, count_id: uuid.UUID) -> CountOut:
    """Clear the count (every sheet matched or reconciled); movement resumes."""
    user = acting_user(request)
    count = count_clear(actor=user, count=reads.count_get_for_user(user, count_id))
    return _fresh(user, count)


@router.post("/counts/{count_id}/cancel", response=CountOut, auth=api_requires(Perm.COUNT_CLEAR))
def cancel_count(request: HttpRequest, count_id: uuid.UUID, payload: CancelIn) -> CountOut:
    """Abandon the count with a reason; movement resumes."""
    user = acting_user(request)
    count = count_cancel(
        actor=user, count=reads.count_get_for_user(user, count_id), reason=payload.reason
    )
    return _fresh(user, count)
