"""Pages: the count.

One page shows the live count per unit (refreshed by htmx every 30 seconds)
and the current or last formal count with its sheets.  Supervisors start,
reconcile, clear and cancel; officers enter figures, one small form per sheet
so a tablet's number pad and Enter are all it takes.  With htmx a form swaps
the formal count panel in place (errors beside the sheet, 200 so htmx swaps
it); without it the page answers with a redirect or the page and its error.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from cellblock.accounts.models import User
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, requires, user_has_perm
from cellblock.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm
from cellblock.custody.models import CountMethod, CountStatus, FormalCount, SheetStatus
from cellblock.custody.selectors import counts as reads
from cellblock.custody.services.counts import (
    COUNTED_NOT_A_NUMBER,
    count_cancel,
    count_clear,
    count_sheet_reconcile,
    count_sheet_record,
    count_start,
)
from cellblock.facilities.models import Facility

NO_FACILITY = "You have no role at any facility."
STARTED = (
    "{method} started: {sheets} sheet{plural} to count. Moves and releases wait until it clears."
)
FIGURE_MATCHED = "{unit}: {counted} counted, it matches."
FIGURE_RECOUNT = "{unit}: {counted} counted, it differs. Count again."
FIGURE_DISCREPANT = (
    "{unit}: the recount of {counted} still differs. A supervisor must reconcile it."
)
RECONCILED = "{unit} reconciled."
CLEARED = "Count cleared: movement resumes."
CANCELLED = "Count cancelled: movement resumes."
UNSCHEDULED = "unscheduled"

SHEET_TONES = {
    SheetStatus.PENDING: "muted",
    SheetStatus.MATCHED: "ok",
    SheetStatus.RECOUNT: "warn",
    SheetStatus.DISCREPANT: "bad",
    SheetStatus.RECONCILED: "info",
}
ROW_CLASSES = {
    SheetStatus.RECOUNT: "row-warn",
    SheetStatus.DISCREPANT: "row-bad",
    SheetStatus.MATCHED: "row-ok",
}
# The sheets an officer can still enter a figure on.
TO_COUNT = (SheetStatus.PENDING, SheetStatus.RECOUNT)


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _fragment(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["HX-Request"])
    return response


def _facility_for(request: HttpRequest) -> Facility:
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    if not user_has_perm(request.user, reads.READ_PERM, facility.pk):
        raise PermissionDenied(MISSING_ROLE.format(perm=reads.READ_PERM.value), code="missing_role")
    return facility


def _count_here(request: HttpRequest, count_id: uuid.UUID) -> FormalCount:
    return reads.count_get_for_user(_me(request), count_id)


def _slot_value(slot: reads.ScheduledCount) -> str:
    return slot.due_at.isoformat()


def _context(
    request: HttpRequest,
    facility: Facility,
    *,
    note: str = "",
    error: str = "",
    sheet_errors: dict[str, str] | None = None,
    cancel_error: str = "",
    live: reads.LiveCount | None = None,
) -> dict[str, Any]:
    perms = _me(request).perms_at(facility.pk)
    live = live or reads.live_count(facility)
    count = reads.latest_count(facility)
    sheets = reads.count_sheets(count) if count is not None else []
    in_cell_now = {u.unit.pk: u.in_cell for u in live.units}
    is_open = count is not None and count.status == CountStatus.OPEN
    sheet_errors = sheet_errors or {}
    rows = []
    focus_done = False
    for sheet in sheets:
        can_enter = is_open and sheet.status in TO_COUNT and Perm.COUNT_RECORD in perms
        # The first sheet left to count takes the focus, so figures go in one after another.
        focus = can_enter and not focus_done
        focus_done = focus_done or focus
        key = str(sheet.public_id)
        rows.append(
            {
                "sheet": sheet,
                "tone": SHEET_TONES[SheetStatus(sheet.status)],
                "row_class": ROW_CLASSES.get(SheetStatus(sheet.status), ""),
                "in_cell_now": in_cell_now.get(sheet.unit_id, 0) if is_open else None,
                "can_enter": can_enter,
                "can_reconcile": is_open
                and sheet.status == SheetStatus.DISCREPANT
                and Perm.COUNT_CLEAR in perms,
                "focus": focus or key in sheet_errors,
                "error": sheet_errors.get(key, ""),
            }
        )
    now = clock.now()
    today = clock.local(now, facility.timezone).date()
    schedule = reads.scheduled_counts(facility, today, now=now)
    startable = [s for s in schedule if s.state in (reads.DUE, reads.MISSED)]
    waiting = [sheet.unit.name for sheet in sheets if sheet.status not in _BALANCED]
    return {
        "facility": facility,
        "tz": facility.timezone,
        "live": live,
        "count": count,
        "is_open": is_open,
        "rows": rows,
        "waiting": waiting,
        "schedule": schedule,
        "startable": startable,
        "chosen_slot": _slot_value(startable[-1]) if startable else UNSCHEDULED,
        "methods": CountMethod.choices,
        "can_start": Perm.COUNT_CLEAR in perms and not is_open,
        "can_clear": Perm.COUNT_CLEAR in perms and is_open,
        "can_record": Perm.COUNT_RECORD in perms,
        "note": note,
        "error": error,
        "cancel_error": cancel_error,
        "unscheduled": UNSCHEDULED,
    }


_BALANCED = (SheetStatus.MATCHED, SheetStatus.RECONCILED)

PAGE = "custody/counts/page.html"


def _answer(
    request: HttpRequest,
    facility: Facility,
    *,
    note: str = "",
    error: str = "",
    status: int = 200,
    sheet_errors: dict[str, str] | None = None,
    cancel_error: str = "",
) -> HttpResponse:
    """After a write: the formal count panel for htmx, else a redirect or the page.

    ``error`` shows above the count; a sheet's error beside its sheet; the
    cancel form's in that form.
    """
    failed = bool(error or sheet_errors or cancel_error)
    if _is_htmx(request):
        context = _context(
            request, facility, note=note, error=error, sheet_errors=sheet_errors,
            cancel_error=cancel_error,
        )  # fmt: skip
        # htmx swaps only 2xx answers: the panel carries its own error.
        return _fragment(render(request, f"{PAGE}#formal", context))
    if not failed:
        messages.success(request, note)
        return redirect("custody:count")
    context = _context(
        request, facility, error=error, sheet_errors=sheet_errors, cancel_error=cancel_error
    )
    return render(request, PAGE, context, status=status)


@require_GET
@requires(Perm.HOUSING_VIEW)
def count_page(request: HttpRequest) -> HttpResponse:
    """The live count per unit and the formal count of the shift."""
    facility = _facility_for(request)
    return render(request, PAGE, _context(request, facility))


@require_GET
@requires(Perm.HOUSING_VIEW)
def live_fragment(request: HttpRequest) -> HttpResponse:
    """The live count table alone (htmx polls it)."""
    facility = _facility_for(request)
    context = {"live": reads.live_count(facility), "tz": facility.timezone, "facility": facility}
    return _fragment(render(request, f"{PAGE}#live", context))


def _scheduled_for(value: str) -> dt.datetime | None:
    if not value or value == UNSCHEDULED:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.for_fields(
            {"scheduled_for": ["is not a count time; choose one from the list."]}
        ) from None
    return moment


@require_POST
@requires(Perm.COUNT_CLEAR)
def start(request: HttpRequest) -> HttpResponse:
    """Start a formal count (a supervisor)."""
    facility = _facility_for(request)
    try:
        count = count_start(
            actor=_me(request), facility=facility, method=request.POST.get("method", ""),
            scheduled_for=_scheduled_for(request.POST.get("scheduled_for", "")),
        )  # fmt: skip
    except DomainError as exc:
        return _answer(request, facility, error=exc.message, status=exc.status)
    sheets = count.sheets.count()
    note = STARTED.format(
        method=count.get_method_display(), sheets=sheets, plural="" if sheets == 1 else "s"
    )
    return _answer(request, facility, note=note)


def _counted(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


@require_POST
@requires(Perm.COUNT_RECORD)
def figure(request: HttpRequest, count_id: uuid.UUID, sheet_id: uuid.UUID) -> HttpResponse:
    """An officer enters what was counted on a sheet."""
    sheet = reads.sheet_get_for_user(_me(request), count_id, sheet_id)
    facility = sheet.count.facility
    key = str(sheet.public_id)
    counted = _counted(request.POST.get("counted", ""))
    try:
        if counted is None:
            raise ValidationFailed.for_fields({"counted": [COUNTED_NOT_A_NUMBER]})
        done = count_sheet_record(actor=_me(request), sheet=sheet, counted=counted)
    except DomainError as exc:
        message = exc.message
        if isinstance(exc, ValidationFailed) and "counted" in exc.extra.get("fields", {}):
            message = "Counted " + " ".join(exc.extra["fields"]["counted"])
        if exc.code == "count_closed":
            # The count closed meanwhile: its sheets take no more forms, so say it on top.
            return _answer(request, facility, error=message, status=exc.status)
        return _answer(request, facility, status=exc.status, sheet_errors={key: message})
    words = {
        SheetStatus.MATCHED: FIGURE_MATCHED,
        SheetStatus.RECOUNT: FIGURE_RECOUNT,
        SheetStatus.DISCREPANT: FIGURE_DISCREPANT,
    }
    note = words[SheetStatus(done.status)].format(unit=done.unit.name, counted=counted)
    return _answer(request, facility, note=note)


@require_POST
@requires(Perm.COUNT_CLEAR)
def reconcile(request: HttpRequest, count_id: uuid.UUID, sheet_id: uuid.UUID) -> HttpResponse:
    """A supervisor explains a discrepancy."""
    sheet = reads.sheet_get_for_user(_me(request), count_id, sheet_id)
    facility = sheet.count.facility
    key = str(sheet.public_id)
    try:
        done = count_sheet_reconcile(
            actor=_me(request), sheet=sheet, explanation=request.POST.get("explanation", "")
        )
    except DomainError as exc:
        message = exc.message
        if isinstance(exc, ValidationFailed) and "explanation" in exc.extra.get("fields", {}):
            message = "Explanation " + " ".join(exc.extra["fields"]["explanation"])
        if exc.code == "count_closed":
            # The count closed meanwhile: its sheets take no more forms, so say it on top.
            return _answer(request, facility, error=message, status=exc.status)
        return _answer(request, facility, status=exc.status, sheet_errors={key: message})
    return _answer(request, facility, note=RECONCILED.format(unit=done.unit.name))


@require_POST
@requires(Perm.COUNT_CLEAR)
def clear(request: HttpRequest, count_id: uuid.UUID) -> HttpResponse:
    """A supervisor clears the count."""
    count = _count_here(request, count_id)
    try:
        count_clear(actor=_me(request), count=count)
    except DomainError as exc:
        return _answer(request, count.facility, error=exc.message, status=exc.status)
    return _answer(request, count.facility, note=CLEARED)


@require_POST
@requires(Perm.COUNT_CLEAR)
def cancel(request: HttpRequest, count_id: uuid.UUID) -> HttpResponse:
    """A supervisor cancels the count with a reason."""
    count = _count_here(request, count_id)
    try:
        count_cancel(actor=_me(request), count=count, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        message = exc.message
        if isinstance(exc, ValidationFailed) and "reason" in exc.extra.get("fields", {}):
            message = "Reason " + " ".join(exc.extra["fields"]["reason"])
        return _answer(request, count.facility, status=exc.status, cancel_error=message)
    return _answer(request, count.facility, note=CANCELLED)


_COUNT = "count/<uuid:count_id>/"

urlpatterns = [
    path("count/", count_page, name="count"),
    path("count/live/", live_fragment, name="count_live"),
    path("count/start/", start, name="count_start"),
    path(f"{_COUNT}clear/", clear, name="count_clear"),
    path(f"{_COUNT}cancel/", cancel, name="count_cancel"),
    path(f"{_COUNT}sheets/<uuid:sheet_id>/figure/", figure, name="count_figure"),
    path(f"{_COUNT}sheets/<uuid:sheet_id>/reconcile/", reconcile, name="count_reconcile"),
]
