"""Pages: zone and cell access — grants in force, issuing them, the door log and its form.

The door form records who passed a door.  When someone is refused, the page
says who and why and only then offers "they went in anyway": sent again with
it ticked (and a note), the event is stored as forced and an incident opens.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from cellblock.booking.models import Booking
from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.errors import DomainError, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.models import DoorAction, DoorOutcome
from cellblock.custody.selectors.access import (
    cells_of,
    door_log,
    grant_get_for_user,
    grants_in_force,
    staff_holding,
    zone_rules,
)
from cellblock.custody.services.access import (
    GRANT_MAX_HOURS,
    cell_condition_report,
    door_event_record,
    entry_grant_issue,
    entry_grant_revoke,
)
from cellblock.custody.views.restraints import (
    PageForm,
    facility_for,
    local_input,
    local_time,
    local_value,
    me,
    staff_from,
)
from cellblock.facilities.models import KNOWN_FEATURE_TAGS, Cell, Facility, FeatureStatus, Zone

GRANTED = "{staff} may enter {place} until {until}."
REVOKED = "Grant to {staff} revoked."
DOOR_LOGGED = "{place}: {action} logged."
DOOR_FORCED = "{place}: forced entry logged; incident {incident} opened and the commander alerted."
CONDITION_DONE = "{cell}: {tag} reported {status}."
CHOOSE_PLACE = "choose a cell or a zone."
CHOOSE_CELL = "choose a cell."
NOT_STAFF = "{username} is not on the staff here."
NOT_HELD = "{number} is not held here."
BAD_TIME = "enter a date and time."
# How long a grant runs unless the form says otherwise.
DEFAULT_GRANT_MINUTES = 60


class GrantForm(PageForm):
    staff = forms.CharField(label="Member of staff", required=False)
    place = forms.CharField(label="Cell or zone", required=False)
    valid_from = forms.CharField(label="From", required=False)
    valid_until = forms.CharField(label="Until", required=False)
    reason = forms.CharField(label="Reason", required=False, max_length=500)


class DoorForm(PageForm):
    place = forms.CharField(label="Door", required=False)
    action = forms.CharField(label="Action", required=False)
    staff_passed = forms.MultipleChoiceField(label="Staff who passed", required=False)
    people_passed = forms.CharField(label="People in custody who passed", required=False)
    note = forms.CharField(label="Note", required=False, max_length=1000)
    forced = forms.BooleanField(label="They went in anyway: record a forced entry", required=False)

    def __init__(self, *args: Any, staff: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.MultipleChoiceField, self.fields["staff_passed"])
        field.choices = [(u.username, str(u)) for u in staff or []]

    def usernames(self) -> list[str]:
        return list(getattr(self, "cleaned_data", {}).get("staff_passed") or [])


class ConditionForm(PageForm):
    cell = forms.CharField(label="Cell", required=False)
    tag = forms.CharField(label="Feature", required=False, max_length=40)
    status = forms.CharField(label="Condition", required=False)
    note = forms.CharField(label="Note", required=False, max_length=500)


def _place(facility: Facility, value: str) -> tuple[Cell | None, Zone | None]:
    """``cell:<id>`` or ``zone:<id>`` of this facility."""
    kind, _, key = value.partition(":")
    try:
        wanted = uuid.UUID(key)
    except ValueError:
        return None, None
    if kind == "cell":
        cell = (
            Cell.objects.select_related("unit__zone__facility")
            .filter(public_id=wanted, unit__zone__facility=facility)
            .first()
        )
        return cell, None
    if kind == "zone":
        return None, Zone.objects.filter(public_id=wanted, facility=facility).first()
    return None, None


def _people(facility: Facility, text: str) -> tuple[list[Booking], list[str]]:
    numbers = [n for n in re.split(r"[\s,;]+", text.upper()) if n]
    found = {
        b.booking_number: b
        for b in Booking.objects.filter(facility=facility, booking_number__in=numbers)
    }
    missing = [NOT_HELD.format(number=n) for n in numbers if n not in found]
    return [found[n] for n in numbers if n in found], missing


def _place_groups(zones: list[Zone], cells: list[Cell]) -> list[dict[str, Any]]:
    """Door and grant choices: per zone, the zone itself (its gate) and then its cells."""
    groups: dict[int, dict[str, Any]] = {
        zone.pk: {
            "label": f"{zone.name} (restricted)" if zone.restricted else zone.name,
            "options": [(f"zone:{zone.public_id}", f"{zone.name}: the zone itself")],
        }
        for zone in zones
    }
    for cell in cells:
        name = f" · {cell.name}" if cell.name else ""
        groups[cell.unit.zone_id]["options"].append(
            (f"cell:{cell.public_id}", f"Cell {cell.code}{name}")
        )
    return list(groups.values())


def _render(
    request: HttpRequest,
    facility: Facility,
    *,
    grant_form: GrantForm | None = None,
    door_form: DoorForm | None = None,
    condition_form: ConditionForm | None = None,
    refused: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    perms = me(request).perms_at(facility.pk)
    now = clock.now()
    staff = staff_holding(facility)
    cells = cells_of(facility)
    zones = zone_rules(facility)
    grant_form = grant_form or GrantForm()
    door_form = door_form or DoorForm(staff=staff)
    context = {
        "facility": facility,
        "tz": facility.timezone,
        "now": now,
        "place_groups": _place_groups([rule.zone for rule in zones], cells),
        "door_place": door_form.text("place"),
        "grant_place": grant_form.text("place"),
        "grants": grants_in_force(facility, now),
        "doors": door_log(facility),
        "zones": zones,
        "cells": cells,
        "staff": staff,
        "can_grant": Perm.ENTRY_GRANT in perms,
        "can_door": Perm.DOOR_OPERATE in perms,
        "can_report": Perm.CELL_CONDITION_REPORT in perms,
        "grant_form": grant_form,
        "door_form": door_form,
        "condition_form": condition_form or ConditionForm(),
        "refused": refused,
        "actions": DoorAction.choices,
        "statuses": FeatureStatus.choices,
        "tags": KNOWN_FEATURE_TAGS,
        "default_from": local_value(now, facility),
        "default_until": local_value(now + dt.timedelta(minutes=DEFAULT_GRANT_MINUTES), facility),
        "max_hours": GRANT_MAX_HOURS,
        "outcomes": DoorOutcome,
    }
    return render(request, "custody/access/page.html", context, status=status)


@require_GET
@requires(Perm.BOOKING_VIEW)
def access_page(request: HttpRequest) -> HttpResponse:
    """Grants in force, the door form and log, who may enter each zone."""
    return _render(request, facility_for(request, Perm.BOOKING_VIEW))


def _errors_to(form: PageForm, exc: DomainError) -> None:
    if isinstance(exc, ValidationFailed) and exc.extra.get("fields"):
        form.add_service_errors(exc.extra["fields"])
    else:
        form.add_error(None, exc.message)


@require_POST
@requires(Perm.ENTRY_GRANT)
def grant_issue(request: HttpRequest) -> HttpResponse:
    user = me(request)
    facility = facility_for(request, Perm.ENTRY_GRANT)
    form = GrantForm(request.POST)
    form.is_valid()
    cell, zone = _place(facility, form.text("place"))
    staff = staff_from(facility, form.text("staff"))
    problems: dict[str, list[str]] = {}
    if cell is None and zone is None:
        problems["place"] = [CHOOSE_PLACE]
    if staff is None:
        problems["staff"] = [NOT_STAFF.format(username=form.text("staff") or "Nobody")]
    valid_from = local_input(form.text("valid_from"), facility) if form.text("valid_from") else None
    if form.text("valid_from") and valid_from is None:
        problems["valid_from"] = [BAD_TIME]
    valid_until = local_input(form.text("valid_until"), facility)
    if valid_until is None:
        problems["valid_until"] = [BAD_TIME]
    try:
        if problems or staff is None or valid_until is None:
            raise ValidationFailed.for_fields(problems)
        grant = entry_grant_issue(
            actor=user, staff=staff, cell=cell, zone=zone, valid_from=valid_from,
            valid_until=valid_until, reason=form.text("reason"),
        )  # fmt: skip
    except DomainError as exc:
        _errors_to(form, exc)
        return _render(request, facility, grant_form=form, status=exc.status)
    place = f"cell {cell.code}" if cell else str(zone)
    messages.success(
        request,
        GRANTED.format(staff=staff, place=place, until=local_time(grant.valid_until, facility)),
    )
    return redirect(reverse("custody:access"))


@require_POST
@requires(Perm.ENTRY_GRANT)
def grant_revoke(request: HttpRequest, grant_id: uuid.UUID) -> HttpResponse:
    user = me(request)
    grant = grant_get_for_user(user, grant_id)
    entry_grant_revoke(actor=user, grant=grant, reason=request.POST.get("reason", ""))
    messages.success(request, REVOKED.format(staff=grant.staff))
    return redirect(reverse("custody:access"))


@require_POST
@requires(Perm.DOOR_OPERATE)
def door_record(request: HttpRequest) -> HttpResponse:
    """Log a door; a refusal comes back with who and why, and the choice to record it forced."""
    user = me(request)
    facility = facility_for(request, Perm.DOOR_OPERATE)
    staff = staff_holding(facility)
    form = DoorForm(request.POST, staff=staff)
    form.is_valid()
    cell, zone = _place(facility, form.text("place"))
    people, missing = _people(facility, form.text("people_passed"))
    problems: dict[str, list[str]] = {}
    if cell is None and zone is None:
        problems["place"] = [CHOOSE_PLACE]
    if missing:
        problems["people_passed"] = missing
    by_name = {u.username: u for u in staff}
    try:
        if problems:
            raise ValidationFailed.for_fields(problems)
        event = door_event_record(
            actor=user, action=form.text("action"), cell=cell, zone=zone,
            staff_passed=[by_name[name] for name in form.usernames() if name in by_name],
            people_passed=people, forced=request.POST.get("forced") == "on",
            note=form.text("note"),
        )  # fmt: skip
    except DomainError as exc:
        if exc.code == "no_entry_grant":
            return _render(request, facility, door_form=form, refused=exc, status=exc.status)
        _errors_to(form, exc)
        return _render(request, facility, door_form=form, status=exc.status)
    place = f"cell {cell.code}" if cell else str(zone)
    if event.incident is not None:
        messages.warning(request, DOOR_FORCED.format(place=place, incident=event.incident.number))
    else:
        messages.success(
            request, DOOR_LOGGED.format(place=place, action=event.get_action_display().lower())
        )
    return redirect(reverse("custody:access"))


@require_POST
@requires(Perm.CELL_CONDITION_REPORT)
def condition_report(request: HttpRequest) -> HttpResponse:
    """Report a cell's feature on shift: a light fitted, bars damaged."""
    user = me(request)
    facility = facility_for(request, Perm.CELL_CONDITION_REPORT)
    form = ConditionForm(request.POST)
    form.is_valid()
    cell, _ = _place(facility, f"cell:{form.text('cell')}")
    try:
        if cell is None:
            raise ValidationFailed.for_fields({"cell": [CHOOSE_CELL]})
        feature = cell_condition_report(
            actor=user, cell=cell, tag=form.text("tag"), status=form.text("status"),
            note=form.text("note"),
        )  # fmt: skip
    except DomainError as exc:
        _errors_to(form, exc)
        return _render(request, facility, condition_form=form, status=exc.status)
    messages.success(
        request, CONDITION_DONE.format(cell=cell.code, tag=feature.tag, status=feature.status)
    )
    return redirect(reverse("custody:access"))


urlpatterns = [
    path("access/", access_page, name="access"),
    path("access/grants/", grant_issue, name="grant_issue"),
    path("access/grants/<uuid:grant_id>/revoke/", grant_revoke, name="grant_revoke"),
    path("access/doors/", door_record, name="door_record"),
    path("access/condition/", condition_report, name="cell_condition"),
]
