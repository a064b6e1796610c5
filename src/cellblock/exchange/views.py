"""The import page: upload a roster, see each run and its report."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from cellblock.accounts.models import User
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, requires
from cellblock.core.errors import NotFound, PermissionDenied
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm
from cellblock.exchange.forms import RosterUploadForm
from cellblock.exchange.models import ImportRun
from cellblock.exchange.roster_csv import COLUMNS, example_csv
from cellblock.exchange.selectors import free_beds, import_run_get_for_user, recent_import_runs
from cellblock.exchange.services import roster_import
from cellblock.facilities.models import Facility

EXAMPLE_FILE_NAME = "roster-example.csv"


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _facility(request: HttpRequest) -> Facility:
    """The current facility, where the user must hold records.import."""
    facility = current_facility(request)
    if facility is None:
        raise NotFound("You have no role at any facility.")
    if Perm.RECORDS_IMPORT not in _me(request).perms_at(facility.pk):
        raise PermissionDenied(
            MISSING_ROLE.format(perm=Perm.RECORDS_IMPORT.value), code="missing_role"
        )
    return facility


def _report_context(run: ImportRun) -> dict[str, Any]:
    report = run.report or []
    return {
        "run": run,
        "errors": [entry for entry in report if entry.get("kind", "error") == "error"],
        "others": [entry for entry in report if entry.get("kind", "error") != "error"],
    }


@require_http_methods(["GET", "POST"])
@requires(Perm.RECORDS_IMPORT)
def imports(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    facility = _facility(request)
    htmx = bool(request.headers.get("HX-Request"))
    posted = request.method == "POST"
    form = RosterUploadForm(request.POST, request.FILES) if posted else RosterUploadForm()
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        # Checked and imported in this request: one transaction, so a rejected
        # file leaves nothing behind (docs/import-export.md).
        run = roster_import(
            actor=me,
            facility=facility,
            file_name=upload.name or "roster.csv",
            content=upload.read(),
            keep_good=form.cleaned_data["keep_good"],
        )
        if not htmx:
            return redirect("exchange:run", public_id=run.public_id)
        return render(
            request,
            "exchange/imports.html#result",
            {**_report_context(run), "runs": recent_import_runs(me, facility), "oob": True},
        )
    if posted and htmx:
        # 200, not 400: htmx swaps only successful answers into the page.
        return render(request, "exchange/imports.html#form_errors", {"form": form})
    return render(
        request,
        "exchange/imports.html",
        {"form": form, "columns": COLUMNS, "runs": recent_import_runs(me, facility)},
    )


@requires(Perm.RECORDS_IMPORT)
def run(request: HttpRequest, public_id: str) -> HttpResponse:
    found = import_run_get_for_user(_me(request), public_id)
    return render(request, "exchange/run.html", _report_context(found))


@requires(Perm.RECORDS_IMPORT)
def example(request: HttpRequest) -> HttpResponse:
    """A small roster that imports as it is into the current facility."""
    facility = _facility(request)
    response = HttpResponse(
        example_csv(_example_rows(facility)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{EXAMPLE_FILE_NAME}"'
    return response


def _example_rows(facility: Facility) -> list[dict[str, str]]:
    # A month ago on the facility's wall clock, as an old system would print it.
    booked = clock.local(clock.now() - dt.timedelta(days=30), facility.timezone)
    beds = free_beds(facility, limit=1)
    # A bed comes after the receiving screening: the old system screened whoever it housed.
    housed = (
        {
            "cell": beds[0].cell.code,
            "bed": beds[0].code,
            "steps_done": "identity;charges;medical_screening",
        }
        if beds
        else {}
    )
    return [
        {
            "external_id": "EXAMPLE-1001",
            "family_name": "Hatake",
            "given_name": "Kakashi",
            "date_of_birth": "1996-09-15",
            "sex": "male",
            "id_other": "EXAMPLE-ID-1001",
            "booked_at": booked.strftime("%Y-%m-%d %H:%M"),
            "source": "arrest",
            "legal_status": "pretrial",
            "committing_authority": "Konoha Police",
            "authority_reference": "W-1001",
            "charges": "KPC 211|Robbery|felony|1|CR-1001;KPC 594|Vandalism|misdemeanour",
            "status": "in_custody",
            **housed,
        },
        {
            "external_id": "EXAMPLE-1002",
            "family_name": "Haruno",
            "given_name": "Sakura",
            "date_of_birth": "1998-03-28",
            "sex": "female",
            "booked_at": booked.isoformat(timespec="seconds"),
            "source": "court_remand",
            "legal_status": "sentenced",
            "committing_authority": "Konoha Court",
            "authority_reference": "CO-77",
            "charges": "KPC 488|Theft|misdemeanour|2|CR-1002",
            "status": "intake",
        },
    ]
