"""Incident pages: the list (filter and sort), the report form, and one incident's follow-up.

The report form offers the chosen cell's own features as what was damaged
(htmx refreshes the list when the cell changes); people are typed by booking
number and staff by username, so the form works from the keyboard alone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, requires, user_has_perm
from cellblock.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm
from cellblock.custody.selectors.access import member_of
from cellblock.facilities.models import Cell, CellFeature, Facility, Zone
from cellblock.incidents.forms import (
    IncidentForm,
    ListFilterForm,
    NoteForm,
    ReviewForm,
    TransitionForm,
)
from cellblock.incidents.models import (
    AUTOMATIC_KINDS,
    Incident,
    IncidentKind,
    IncidentStatus,
)
from cellblock.incidents.selectors import (
    STATUS_TONES,
    VIEW,
    IncidentFilter,
    incident_get_for_user,
    incident_list,
    next_statuses,
)
from cellblock.incidents.services import (
    incident_note_add,
    incident_report,
    incident_review,
    incident_transition,
)

NO_FACILITY = "You have no role at any facility."
REPORTED = "Incident {number} reported."
REPORTED_WITH_DAMAGE = "Incident {number} reported: {damage}."
NOTE_ADDED = "Note added to {number}."
MOVED = "{number} is now {status}."
REVIEWED = "{number} reviewed."
NOT_HELD = "{number} is not held here."
NOT_STAFF = "{username} is not on the staff here."
BAD_TIME = "enter a date and time."
NOT_HERE = "choose one of this facility's."
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
STAFF_KINDS = [(v, label) for v, label in IncidentKind.choices if v not in AUTOMATIC_KINDS]


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _facility(request: HttpRequest, perm: Perm) -> Facility:
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    if not user_has_perm(request.user, perm, facility.pk):
        raise PermissionDenied(MISSING_ROLE.format(perm=perm.value), code="missing_role")
    return facility


def _local_value(moment: dt.datetime, facility: Facility) -> str:
    return clock.local(moment, facility.timezone).strftime(DATETIME_LOCAL)


def _day_start(day: dt.date, facility: Facility) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(facility.timezone))


# --- List ---------------------------------------------------------------------------------


@require_GET
@requires(VIEW)
def incident_list_page(request: HttpRequest) -> HttpResponse:
    """The facility's incidents: filter by status, kind and dates; sort by any column."""
    facility = _facility(request, VIEW)
    form = ListFilterForm(request.GET or None)
    form.is_valid()
    since = form.cleaned_data.get("since") if form.is_bound else None
    until = form.cleaned_data.get("until") if form.is_bound else None
    wanted = IncidentFilter(
        status=form.typed("status") if form.typed("status") in IncidentStatus.values else "",
        kind=form.typed("kind") if form.typed("kind") in IncidentKind.values else "",
        since=_day_start(since, facility) if since else None,
        until=_day_start(until + dt.timedelta(days=1), facility) if until else None,
    )
    incidents = incident_list(facility, wanted)
    context = {
        "facility": facility,
        "tz": facility.timezone,
        "incidents": [(i, STATUS_TONES[IncidentStatus(i.status)]) for i in incidents],
        "form": form,
        "wanted": wanted,
        "statuses": IncidentStatus.choices,
        "kinds": IncidentKind.choices,
        "can_report": user_has_perm(request.user, Perm.INCIDENT_REPORT, facility.pk),
    }
    return render(request, "incidents/list.html", context)


# --- Report -------------------------------------------------------------------------------


def _cells(facility: Facility) -> list[Cell]:
    return list(
        Cell.objects.filter(unit__zone__facility=facility)
        .select_related("unit__zone")
        .order_by("unit__zone__code", "unit__code", "code")
    )


def _features(cell: Cell | None) -> list[CellFeature]:
    if cell is None:
        return []
    return list(CellFeature.objects.filter(cell=cell).order_by("tag"))


def _cell_here(facility: Facility, value: str) -> Cell | None:
    try:
        key = uuid.UUID(value)
    except ValueError:
        return None
    return (
        Cell.objects.select_related("unit__zone__facility")
        .filter(public_id=key, unit__zone__facility=facility)
        .first()
    )


def _zone_here(facility: Facility, value: str) -> Zone | None:
    try:
        key = uuid.UUID(value)
    except ValueError:
        return None
    return Zone.objects.select_related("facility").filter(public_id=key, facility=facility).first()


def _render_new(
    request: HttpRequest, facility: Facility, form: IncidentForm, status: int = 200
) -> HttpResponse:
    chosen = _cell_here(facility, form.typed("cell")) if form.is_bound else None
    now = clock.now()
    context = {
        "facility": facility,
        "tz": facility.timezone,
        "form": form,
        "kinds": STAFF_KINDS,
        "cells": _cells(facility),
        "zones": list(Zone.objects.filter(facility=facility).order_by("code")),
        "features": _features(chosen),
        "chosen_cell": chosen,
        "now_value": _local_value(now, facility),
        "staff_names": list(
            User.objects.filter(memberships__facility=facility, memberships__active=True)
            .distinct()
            .order_by("username")
            .values_list("username", flat=True)
        ),
        "can_damage": bool(
            {Perm.CELL_CONDITION_REPORT, Perm.HOUSING_APPROVE, Perm.FACILITY_CONFIGURE}
            & _me(request).perms_at(facility.pk)
        ),
    }
    return render(request, "incidents/new.html", context, status=status)


def _people(facility: Facility, numbers: list[str]) -> tuple[list[Booking], list[str]]:
    wanted = [n.upper() for n in numbers]
    found = {
        b.booking_number: b
        for b in Booking.objects.filter(facility=facility, booking_number__in=wanted)
    }
    missing = [NOT_HELD.format(number=n) for n in wanted if n not in found]
    return [found[n] for n in dict.fromkeys(wanted) if n in found], missing


def _staff(facility: Facility, usernames: list[str]) -> tuple[list[User], list[str]]:
    found, missing = [], []
    for name in dict.fromkeys(usernames):
        member = member_of(facility, name)
        if member is None:
            missing.append(NOT_STAFF.format(username=name))
        else:
            found.append(member)
    return found, missing


@require_http_methods(["GET", "POST"])
@requires(Perm.INCIDENT_REPORT)
def incident_new(request: HttpRequest) -> HttpResponse:
    """Report an incident; damage marks the cell's feature or takes the cell out of service."""
    facility = _facility(request, Perm.INCIDENT_REPORT)
    if request.method != "POST":
        return _render_new(request, facility, IncidentForm())
    form = IncidentForm(request.POST)
    form.is_valid()
    problems: dict[str, list[str]] = {}
    cell = _cell_here(facility, form.typed("cell")) if form.typed("cell") else None
    zone = _zone_here(facility, form.typed("zone")) if form.typed("zone") else None
    if form.typed("cell") and cell is None:
        problems["cell"] = [NOT_HERE]
    if form.typed("zone") and zone is None:
        problems["zone"] = [NOT_HERE]
    occurred_at = None
    if form.typed("occurred_at"):
        try:
            occurred_at = dt.datetime.strptime(form.typed("occurred_at"), DATETIME_LOCAL).replace(
                tzinfo=ZoneInfo(facility.timezone)
            )
        except ValueError:
            problems["occurred_at"] = [BAD_TIME]
    people, missing_people = _people(facility, form.words("people"))
    staff, missing_staff = _staff(facility, form.words("staff"))
    if missing_people:
        problems["people"] = missing_people
    if missing_staff:
        problems["staff"] = missing_staff
    try:
        if problems:
            raise ValidationFailed.for_fields(problems)
        incident = incident_report(
            actor=_me(request), facility=facility, kind=form.typed("kind"),
            narrative=form.typed("narrative"), occurred_at=occurred_at, cell=cell, zone=zone,
            place=form.typed("place"), people=people, staff=staff,
            damaged_feature=form.typed("damaged_feature"),
            take_cell_out_of_service=bool(form.cleaned_data.get("take_cell_out_of_service")),
        )  # fmt: skip
    except DomainError as exc:
        if isinstance(exc, ValidationFailed) and exc.extra.get("fields"):
            form.add_service_errors(exc.extra["fields"])
        else:
            form.add_error(None, exc.message)
        return _render_new(request, facility, form, status=exc.status)
    damage = []
    if incident.damaged_feature:
        damage.append(f"{incident.damaged_feature} of {cell} marked compromised")
    if incident.cell_taken_out_of_service:
        damage.append(f"{cell} taken out of service")
    note = REPORTED_WITH_DAMAGE if damage else REPORTED
    messages.success(request, note.format(number=incident.number, damage="; ".join(damage)))
    return redirect(reverse("incidents:detail", args=[incident.public_id]))


@require_GET
@requires(Perm.INCIDENT_REPORT)
def features(request: HttpRequest) -> HttpResponse:
    """The damaged-feature choices for the chosen cell (htmx)."""
    facility = _facility(request, Perm.INCIDENT_REPORT)
    cell = _cell_here(facility, request.GET.get("cell", ""))
    context = {"features": _features(cell), "chosen_cell": cell, "form": IncidentForm()}
    response = render(request, "incidents/new.html#feature_options", context)
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- One incident -------------------------------------------------------------------------


def _render_detail(
    request: HttpRequest,
    incident: Incident,
    *,
    note_form: NoteForm | None = None,
    transition_form: TransitionForm | None = None,
    review_form: ReviewForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    perms = _me(request).perms_at(incident.facility_id)
    context: dict[str, Any] = {
        "incident": incident,
        "facility": incident.facility,
        "tz": incident.facility.timezone,
        "tone": STATUS_TONES[IncidentStatus(incident.status)],
        "next_statuses": next_statuses(incident),
        "can_note": Perm.INCIDENT_REPORT in perms,
        "can_review": Perm.INCIDENT_REVIEW in perms,
        "note_form": note_form or NoteForm(),
        "transition_form": transition_form or TransitionForm(),
        "review_form": review_form or ReviewForm(),
        "error": error,
    }
    return render(request, "incidents/detail.html", context, status=status)


@require_GET
@requires(VIEW)
def incident_detail(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    return _render_detail(request, incident_get_for_user(_me(request), incident_id))


@require_POST
@requires(Perm.INCIDENT_REPORT)
def incident_note(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    user = _me(request)
    incident = incident_get_for_user(user, incident_id)
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        incident_note_add(actor=user, incident=incident, text=form.typed("text"))
    except DomainError as exc:
        _form_errors(form, exc)
        return _render_detail(request, incident, note_form=form, status=exc.status)
    messages.success(request, NOTE_ADDED.format(number=incident.number))
    return redirect(reverse("incidents:detail", args=[incident.public_id]) + "#notes")


def _form_errors(form: Any, exc: DomainError) -> None:
    if isinstance(exc, ValidationFailed) and exc.extra.get("fields"):
        fields = {("note" if k == "outcome" else k): v for k, v in exc.extra["fields"].items()}
        form.add_service_errors(fields)
    else:
        form.add_error(None, exc.message)


@require_POST
@requires(Perm.INCIDENT_REVIEW)
def incident_move(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    user = _me(request)
    incident = incident_get_for_user(user, incident_id)
    form = TransitionForm(request.POST)
    form.is_valid()
    try:
        moved = incident_transition(
            actor=user, incident=incident, to=form.typed("to"), note=form.typed("note")
        )
    except DomainError as exc:
        _form_errors(form, exc)
        return _render_detail(request, incident, transition_form=form, status=exc.status)
    messages.success(
        request, MOVED.format(number=moved.number, status=moved.get_status_display().lower())
    )
    return redirect(reverse("incidents:detail", args=[incident.public_id]))


@require_POST
@requires(Perm.INCIDENT_REVIEW)
def incident_reviewed(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    user = _me(request)
    incident = incident_get_for_user(user, incident_id)
    form = ReviewForm(request.POST)
    form.is_valid()
    try:
        incident_review(actor=user, incident=incident, note=form.typed("note"))
    except DomainError as exc:
        _form_errors(form, exc)
        return _render_detail(request, incident, review_form=form, status=exc.status)
    messages.success(request, REVIEWED.format(number=incident.number))
    return redirect(reverse("incidents:detail", args=[incident.public_id]))
