"""Pages: the medical work list, and the sick-call forms.

The work list is for everyone who holds ``medical.view``: the sick-call queue,
the encounters of today and the week ahead (awaiting a supervisor's
acknowledgement first, highlighted, with the Acknowledge form for those who
may give it), the screenings and health assessments due, and the care alerts
in force.  Custody staff see who, when, where and the status; the complaint
column is drawn only for medical staff, whose reading of it is audited once
per page with the booking numbers shown.

A sick call is filed by whoever hears it (an officer, the visits desk, a
medic); medical staff triage it, schedule an encounter for it or close it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cellblock.booking.models import OPEN_STATUSES
from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.errors import DomainError
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.housing.board import people_to_move
from cellblock.medical.models import (
    CareAlert,
    SickCall,
    SickCallUrgency,
    SickCallVia,
)
from cellblock.medical.selectors.care import CARE_ALERT_TONE, in_force_q
from cellblock.medical.selectors.clinic import (
    encounters_awaiting_acknowledgement,
    encounters_between,
    health_assessments_due,
    screenings_due,
    sick_call_queue,
)
from cellblock.medical.selectors.record import sick_call_get_for_user
from cellblock.medical.services.access import clinical_list_read_audit
from cellblock.medical.services.sick_calls import sick_call_close as close
from cellblock.medical.services.sick_calls import sick_call_file
from cellblock.medical.services.sick_calls import sick_call_triage as triage
from cellblock.medical.views.common import (
    ENCOUNTER_TONE,
    SICK_CALL_TONE,
    URGENCY_TONE,
    booking_held_here,
    can,
    facility_for,
    field_errors,
    fragment,
    me,
    posted,
    private,
    problem_text,
    require_perm_at,
    safe_next,
)

# The encounters shown ahead of today.
DAYS_AHEAD = 7
# A health assessment this close to its due time shows amber.
ASSESSMENT_SOON = dt.timedelta(days=2)
SICK_CALL_FILED = "Sick call filed for {person}; medical staff will triage it."
TRIAGED = "Sick call of {person} triaged: {urgency}."
CLOSED = "Sick call of {person} closed."
CHOOSE_PERSON = "Person: type the booking number of someone held here."
NOT_HELD_HERE = "Person: {number} is not a booking held here."
SICK_CALL_PAGE = "medical/sick_call_new.html"
# How a sick call came in, as the filing form offers it.
VIA_CHOICES = SickCallVia.choices
TRIAGE_CHOICES = [
    (value, label) for value, label in SickCallUrgency.choices if value != SickCallUrgency.UNTRIAGED
]


def _assessment_tone(due: dt.datetime, now: dt.datetime) -> tuple[str, str]:
    """The colour and the word of a health assessment due at ``due``."""
    if due <= now:
        return "bad", "Overdue"
    if due - now <= ASSESSMENT_SOON:
        return "warn", "Due soon"
    return "ok", "Due"


def _care_alerts_here(facility: Facility, now: dt.datetime) -> list[CareAlert]:
    """Every care alert in force at the facility, with the person and who set it: one query."""
    return list(
        CareAlert.objects.filter(
            in_force_q(now), booking__facility=facility, booking__status__in=OPEN_STATUSES
        )
        .select_related("booking__person", "set_by")
        .order_by("booking__person__family_name", "booking__person__given_name", "set_at", "id")
    )


def worklist_context(request: HttpRequest, facility: Facility) -> dict[str, Any]:
    """Everything the work list shows, in a fixed number of queries however many are held."""
    user = me(request)
    now = clock.now()
    perms = user.perms_at(facility.pk)
    clinical = Perm.CLINICAL_READ in perms
    local_now = clock.local(now, facility.timezone)
    start_of_day = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    until = start_of_day + dt.timedelta(days=DAYS_AHEAD + 1)
    queue = sick_call_queue(facility)
    if clinical and queue:
        # The complaints are clinical text: one audited read names whose were shown.
        clinical_list_read_audit(
            user=user, facility=facility, section="sick_call_queue",
            bookings=[call.booking for call in queue],
        )  # fmt: skip
    # Held back by a conflict, whenever they are for, then the days ahead.
    awaiting = encounters_awaiting_acknowledgement(facility)
    waiting = {e.pk for e in awaiting}
    encounters = sorted(
        [*awaiting, *(e for e in encounters_between(facility, start_of_day, until)
                      if e.pk not in waiting)],
        key=lambda e: (e.pk not in waiting, e.scheduled_for, e.pk),
    )  # fmt: skip
    alerts = _care_alerts_here(facility, now)
    return {
        "facility": facility,
        "tz": facility.timezone,
        "now": now,
        "days_ahead": DAYS_AHEAD,
        "clinical": clinical,
        "can_record": Perm.CLINICAL_RECORD in perms,
        "can_acknowledge": Perm.MEDICAL_CONFLICT_ACKNOWLEDGE in perms,
        "can_file": Perm.REQUEST_FILE in perms,
        "can_break_glass": bool({Perm.BREAK_GLASS, Perm.BREAK_GLASS_REVIEW} & perms),
        "queue": [
            (call, URGENCY_TONE.get(call.urgency, "muted"), SICK_CALL_TONE.get(call.status, ""))
            for call in queue
        ],
        "encounters": [
            (e, ENCOUNTER_TONE.get(e.status, "muted"), e.pk in waiting) for e in encounters
        ],
        "awaiting": awaiting,
        "screenings": screenings_due(facility),
        "assessments": [
            (booking, due, *_assessment_tone(due, now))
            for booking, due in health_assessments_due(facility, now)
        ],
        "alerts": [(alert, CARE_ALERT_TONE.get(alert.kind, "info")) for alert in alerts],
        "triage_choices": TRIAGE_CHOICES,
        "self_url": reverse("medical:worklist"),
    }


@require_GET
@requires(Perm.MEDICAL_VIEW)
def worklist(request: HttpRequest) -> HttpResponse:
    """The medical work list of the facility the user works at now."""
    facility = facility_for(request, Perm.MEDICAL_VIEW)
    context = worklist_context(request, facility)
    # A medic's page holds complaints: never cached.
    return private(render(request, "medical/worklist.html", context))


# --- Sick calls ---------------------------------------------------------------------------


def _sick_call_context(
    facility: Facility, form: dict[str, str], errors: dict[str, str], refused: str = ""
) -> dict[str, Any]:
    return {
        "facility": facility,
        "tz": facility.timezone,
        "form": form,
        "errors": errors,
        "refused": refused,
        "vias": VIA_CHOICES,
    }


@require_http_methods(["GET", "POST"])
@requires(Perm.REQUEST_FILE)
def sick_call_new(request: HttpRequest) -> HttpResponse:
    """File a sick call for a person held here: their complaint, in their words."""
    facility = facility_for(request, Perm.REQUEST_FILE)
    if request.method != "POST":
        form = {
            "booking": request.GET.get("booking", ""),
            "via": SickCallVia.MEDICAL if can(request, Perm.CLINICAL_RECORD, facility.pk)
            else SickCallVia.OFFICER,
            "next": request.GET.get("next", ""),
        }  # fmt: skip
        return private(render(request, SICK_CALL_PAGE, _sick_call_context(facility, form, {})))
    form = posted(request)
    booking = booking_held_here(request, facility, form.get("booking", ""))
    if booking is None:
        number = form.get("booking", "")
        error = NOT_HELD_HERE.format(number=number) if number else CHOOSE_PERSON
        context = _sick_call_context(facility, form, {"booking": error})
        return private(render(request, SICK_CALL_PAGE, context, status=400))
    try:
        sick_call_file(
            actor=me(request), booking=booking, complaint=form.get("complaint", ""),
            via=form.get("via", ""),
        )  # fmt: skip
    except DomainError as exc:
        context = _sick_call_context(facility, form, field_errors(exc), problem_text(exc))
        return private(render(request, SICK_CALL_PAGE, context, status=exc.status))
    messages.success(request, SICK_CALL_FILED.format(person=booking.person.full_name))
    return redirect(safe_next(request, reverse("medical:worklist")))


def _sick_call(request: HttpRequest, sick_call_id: uuid.UUID) -> SickCall:
    call = sick_call_get_for_user(me(request), sick_call_id)
    require_perm_at(request, Perm.CLINICAL_RECORD, call.booking.facility_id)
    return call


def _back(request: HttpRequest, note: str = "", error: DomainError | None = None) -> HttpResponse:
    if error is not None:
        messages.error(request, problem_text(error))
    elif note:
        messages.success(request, note)
    return redirect(safe_next(request, reverse("medical:worklist")))


@require_POST
@requires(Perm.CLINICAL_RECORD)
def sick_call_triage(request: HttpRequest, sick_call_id: uuid.UUID) -> HttpResponse:
    """Medical staff say how urgent a sick call is."""
    call = _sick_call(request, sick_call_id)
    urgency = request.POST.get("urgency", "")
    try:
        done = triage(actor=me(request), sick_call=call, urgency=urgency)
    except DomainError as exc:
        return _back(request, error=exc)
    label = done.get_urgency_display().lower()
    return _back(request, TRIAGED.format(person=call.booking.person.full_name, urgency=label))


@require_POST
@requires(Perm.CLINICAL_RECORD)
def sick_call_close(request: HttpRequest, sick_call_id: uuid.UUID) -> HttpResponse:
    """Close a sick call without an encounter, with the reason (not clinical)."""
    call = _sick_call(request, sick_call_id)
    try:
        close(actor=me(request), sick_call=call, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _back(request, error=exc)
    return _back(request, CLOSED.format(person=call.booking.person.full_name))


@require_GET
@requires(Perm.MEDICAL_VIEW)
def people(request: HttpRequest) -> HttpResponse:
    """The people held here offered in a person field as someone types (htmx)."""
    facility = facility_for(request, Perm.MEDICAL_VIEW)
    text = request.GET.get("booking", request.GET.get("q", "")).strip()
    found = people_to_move(facility, text=text, limit=20) if text else []
    return fragment(render(request, "medical/_people.html", {"people": found}))


urlpatterns = [
    path("", worklist, name="worklist"),
    path("people/", people, name="people"),
    path("sick-calls/new/", sick_call_new, name="sick_call_new"),
    path("sick-calls/<uuid:sick_call_id>/triage/", sick_call_triage, name="sick_call_triage"),
    path("sick-calls/<uuid:sick_call_id>/close/", sick_call_close, name="sick_call_close"),
]
