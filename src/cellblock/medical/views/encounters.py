"""Pages: scheduling an encounter, and one encounter.

Scheduling names the person, the provider, the kind, the time, the place and
the reason.  As the provider (or the reason) changes, htmx asks the services
for the warnings scheduling would run into: a refusal on record in amber, and
in red the staff-victim conflict that holds the encounter until a supervisor
acknowledges it.  Nothing is stored until the form is sent.

One encounter's page has two parts.  The custody part (``medical.view``) is
who, when, where and the status, the staff-victim conflict and its
acknowledgement: what an officer needs to escort the person or open the door.
The clinical part (reason, findings, treatment, notes, vitals, injuries) is
drawn only for a reader ``clinical_access`` lets in, and that read is audited;
its forms only for those who record clinical care.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES
from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.errors import DomainError, NotFound, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.medical.models import (
    BodyLocation,
    Encounter,
    EncounterKind,
    EncounterPlace,
    EncounterStatus,
    Injury,
    InjuryStatus,
    SickCall,
)
from cellblock.medical.rules import (
    STAFF_VICTIM_CONFLICT,
    SchedulingWarning,
    custody_warnings,
    stored_warnings,
)
from cellblock.medical.selectors.record import (
    encounter_get_for_user,
    injury_get_for_user,
    sick_call_get_for_user,
)
from cellblock.medical.services.access import clinical_read_audit
from cellblock.medical.services.encounters import (
    awaits_acknowledgement,
    encounter_acknowledge,
    encounter_cancel,
    encounter_complete,
    encounter_refuse,
    encounter_schedule,
    encounter_start,
    encounter_warnings,
    vitals_record,
)
from cellblock.medical.views import clinical_forms
from cellblock.medical.views.clinical_forms import VITAL_FIELDS, vitals_from
from cellblock.medical.views.common import (
    BAD_DATE,
    BAD_TIME,
    CHOOSE_PROVIDER,
    CHOOSE_WITNESS,
    ENCOUNTER_TONE,
    INJURY_TONE,
    booking_held_here,
    clinical_access_of,
    facility_for,
    field_errors,
    form_state,
    fragment,
    local_value,
    me,
    name_of,
    parse_date,
    parse_local,
    posted,
    posted_about,
    private,
    problem_text,
    require_perm_at,
    run_then_redirect,
    safe_next,
    staff_at,
    staff_named,
)

_T = TypeVar("_T")

NEW_PAGE = "medical/encounter_new.html"
PAGE = "medical/encounter.html"
SCHEDULED = "Encounter scheduled: {person} with {provider}, {when}."
AWAITING = (
    "Encounter booked for {person} with {provider}, {when}: it waits for a supervisor to "
    "acknowledge the staff conflict."
)
ACKNOWLEDGED = "Conflict acknowledged: the encounter of {person} with {provider} may go ahead."
STARTED = "Encounter started."
COMPLETED = "Encounter completed."
CANCELLED = "Encounter cancelled."
REFUSED = "Refusal recorded, witnessed by {witness}."
NOTE_ADDED = "Note added."
VITALS_RECORDED = "Vital signs recorded."
INJURY_RECORDED = "Injury recorded."
INJURY_UPDATED = "Injury updated: {status}."
CHOOSE_PERSON = "choose the person: type a booking number and pick from the list."
NOT_HELD_HERE = "is not a booking held here."
INCOMPLETE = "Choose the person and the provider to see what scheduling would run into."
NO_WARNING = "No refusal or staff conflict stands in the way of this provider."
SCHEDULE_FIELDS = (
    "booking", "provider", "kind", "scheduled_for", "place", "place_detail", "reason",
    "sick_call",
)  # fmt: skip


# --- Scheduling ---------------------------------------------------------------------------


def _sick_call_here(request: HttpRequest, value: str) -> SickCall | None:
    if not value:
        return None
    try:
        return sick_call_get_for_user(me(request), value)
    except NotFound:
        return None


def _default_time(facility: Facility) -> str:
    """The next quarter hour on the facility's clock."""
    now = clock.now()
    ahead = now + dt.timedelta(minutes=15 - now.minute % 15)
    return local_value(ahead.replace(second=0, microsecond=0), facility)


def _read(request: HttpRequest, facility: Facility, data: QueryDict) -> dict[str, Any]:
    """The schedule form as sent: the values, what they name, and what is wrong with them."""
    form = {name: data.get(name, "").strip() for name in SCHEDULE_FIELDS}
    errors: dict[str, str] = {}
    booking = booking_held_here(request, facility, form["booking"])
    if form["booking"] and booking is None:
        errors["booking"] = f"Person {form['booking']} {NOT_HELD_HERE}"
    providers = staff_at(facility, Perm.CLINICAL_RECORD)
    provider = staff_named(providers, form["provider"])
    if form["provider"] and provider is None:
        errors["provider"] = f"Provider: {CHOOSE_PROVIDER}"
    scheduled_for = None
    try:
        scheduled_for = parse_local(form["scheduled_for"], facility)
    except ValueError:
        errors["scheduled_for"] = f"Time {BAD_TIME}"
    return {
        "form": form,
        "errors": errors,
        "booking": booking,
        "provider": provider,
        "providers": providers,
        "scheduled_for": scheduled_for,
        "sick_call": _sick_call_here(request, form["sick_call"]),
    }


def _warnings(request: HttpRequest, chosen: dict[str, Any]) -> tuple[list[SchedulingWarning], str]:
    """What scheduling the chosen provider would run into; nothing is stored."""
    booking, provider = chosen["booking"], chosen["provider"]
    if booking is None or provider is None:
        return [], ""
    try:
        found = encounter_warnings(
            actor=me(request), booking=booking, provider=provider,
            treatment=chosen["form"]["reason"],
        )  # fmt: skip
    except DomainError as exc:
        return [], problem_text(exc)
    return found, ""


def _new_context(
    request: HttpRequest, facility: Facility, chosen: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    warnings, problem = _warnings(request, chosen)
    return {
        "facility": facility,
        "tz": facility.timezone,
        **chosen,
        "warnings": warnings,
        "warnings_checked": chosen["booking"] is not None and chosen["provider"] is not None,
        "warnings_problem": problem,
        "incomplete": INCOMPLETE,
        "no_warning": NO_WARNING,
        "kinds": EncounterKind.choices,
        "places": EncounterPlace.choices,
        "victim_code": STAFF_VICTIM_CONFLICT,
        **extra,
    }


@require_http_methods(["GET", "POST"])
@requires(Perm.CLINICAL_RECORD)
def encounter_new(request: HttpRequest) -> HttpResponse:
    """Schedule an encounter, with the warnings shown as the provider is chosen."""
    facility = facility_for(request, Perm.CLINICAL_RECORD)
    if request.method != "POST":
        data = request.GET.copy()
        if data.get("kind", "") not in EncounterKind.values:
            data["kind"] = EncounterKind.TREATMENT
        if data.get("place", "") not in EncounterPlace.values:
            data["place"] = EncounterPlace.CLINIC
        if not data.get("scheduled_for"):
            data["scheduled_for"] = _default_time(facility)
        chosen = _read(request, facility, data)
        return private(render(request, NEW_PAGE, _new_context(request, facility, chosen)))
    chosen = _read(request, facility, request.POST)
    errors = chosen["errors"]
    if chosen["booking"] is None and "booking" not in errors:
        errors["booking"] = f"Person: {CHOOSE_PERSON}"
    if chosen["provider"] is None and "provider" not in errors:
        errors["provider"] = f"Provider: {CHOOSE_PROVIDER}"
    if chosen["scheduled_for"] is None and "scheduled_for" not in errors:
        errors["scheduled_for"] = "Time is required."
    if errors:
        context = _new_context(request, facility, chosen)
        return private(render(request, NEW_PAGE, context, status=400))
    form = chosen["form"]
    try:
        done = encounter_schedule(
            actor=me(request), booking=chosen["booking"], kind=form["kind"],
            provider=chosen["provider"], scheduled_for=chosen["scheduled_for"],
            place=form["place"], place_detail=form["place_detail"], reason=form["reason"],
            sick_call=chosen["sick_call"],
        )  # fmt: skip
    except DomainError as exc:
        chosen["errors"] = field_errors(exc)
        context = _new_context(request, facility, chosen, refused=problem_text(exc))
        return private(render(request, NEW_PAGE, context, status=exc.status))
    encounter = done.encounter
    note = AWAITING if encounter.status == EncounterStatus.AWAITING_ACKNOWLEDGEMENT else SCHEDULED
    when = local_value(encounter.scheduled_for, facility).replace("T", " ")
    messages.success(
        request,
        note.format(
            person=chosen["booking"].person.full_name, provider=name_of(encounter.provider),
            when=when,
        ),
    )  # fmt: skip
    return redirect("medical:encounter", encounter_id=encounter.public_id)


@require_GET
@requires(Perm.CLINICAL_RECORD)
def encounter_check(request: HttpRequest) -> HttpResponse:
    """The warnings for the form as it stands (htmx; nothing is stored)."""
    facility = facility_for(request, Perm.CLINICAL_RECORD)
    chosen = _read(request, facility, request.GET)
    context = _new_context(request, facility, chosen)
    return fragment(render(request, f"{NEW_PAGE}#warnings", context))


# --- One encounter ------------------------------------------------------------------------


def _warning_lines(encounter: Encounter, clinical: bool) -> list[SchedulingWarning]:
    """The warnings stored when it was scheduled; custody staff see the conflict only."""
    lines = stored_warnings(encounter.warnings)
    if clinical:
        return lines
    return custody_warnings(lines)


def _clinical_part(encounter: Encounter) -> dict[str, Any]:
    """The encounter's clinical records: notes, vitals, the person's injuries, consents."""
    injuries = list(
        Injury.objects.filter(booking_id=encounter.booking_id).select_related(
            "recorded_by", "updated_by", "updated_in"
        )
    )
    return {
        "notes": list(encounter.notes.all()),
        "vitals": list(encounter.vitals.all()),
        "injuries": [(i, INJURY_TONE.get(i.status, "muted")) for i in injuries],
        "consents": list(encounter.consents.select_related("recorded_by", "witness")),
    }


def _context(
    request: HttpRequest,
    encounter: Encounter,
    *,
    action: str = "",
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
) -> dict[str, Any]:
    user = me(request)
    booking = encounter.booking
    facility = booking.facility
    perms = user.perms_at(facility.pk)
    clinical, access = clinical_access_of(request, booking)
    part: dict[str, Any] = {}
    if clinical:
        part = _clinical_part(encounter)
        clinical_read_audit(
            user=user, booking=booking, section="encounter", access=access, obj=encounter
        )
    record = Perm.CLINICAL_RECORD in perms
    status = encounter.status
    is_open = booking.status in OPEN_STATUSES
    can_do = {
        "acknowledge": Perm.MEDICAL_CONFLICT_ACKNOWLEDGE in perms
        # An emergency may go ahead first: the form stays until a supervisor acknowledges.
        and awaits_acknowledgement(encounter) and encounter.provider_id != user.pk,
        "start": record and is_open and (
            status == EncounterStatus.SCHEDULED
            or (status == EncounterStatus.AWAITING_ACKNOWLEDGEMENT
                and encounter.kind == EncounterKind.EMERGENCY)
        ),
        "complete": record and status == EncounterStatus.IN_PROGRESS,
        "refuse": record and is_open and status in (
            EncounterStatus.SCHEDULED, EncounterStatus.IN_PROGRESS
        ),
        "cancel": record and status in (
            EncounterStatus.SCHEDULED, EncounterStatus.AWAITING_ACKNOWLEDGEMENT
        ),
        "write": record and is_open and clinical,
    }  # fmt: skip
    return {
        "encounter": encounter,
        "booking": booking,
        "person": booking.person,
        "facility": facility,
        "tz": facility.timezone,
        "tone": ENCOUNTER_TONE.get(status, "muted"),
        "awaits_acknowledgement": awaits_acknowledgement(encounter),
        "warning_lines": _warning_lines(encounter, clinical),
        "victim_code": STAFF_VICTIM_CONFLICT,
        "door_events": list(encounter.door_events.select_related("operated_by").order_by("at")),
        "clinical": clinical,
        "access": access,
        **part,
        "can": can_do,
        "witnesses": staff_at(facility, Perm.DASHBOARD_VIEW, exclude=user)
        if can_do["refuse"]
        else [],
        "locations": BodyLocation.choices,
        "injury_statuses": InjuryStatus.choices,
        "vital_fields": VITAL_FIELDS,
        "today": local_value(clock.now(), facility)[:10],
        **form_state(action, form, errors, error),
        "self_url": reverse("medical:encounter", args=[encounter.public_id]),
        "record_url": reverse("medical:record", args=[booking.booking_number]),
    }


def _render(
    request: HttpRequest, encounter: Encounter, status: int = 200, **kw: Any
) -> HttpResponse:
    return private(render(request, PAGE, _context(request, encounter, **kw), status=status))


@require_GET
@requires(Perm.MEDICAL_VIEW)
def encounter_page(request: HttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """Who, when, where and the status for custody; the clinical record for medical staff."""
    encounter = encounter_get_for_user(me(request), encounter_id)
    require_perm_at(request, Perm.MEDICAL_VIEW, encounter.booking.facility_id)
    return _render(request, encounter)


def _act(
    request: HttpRequest,
    encounter: Encounter,
    action: str,
    run: Callable[[dict[str, str]], _T],
    note: Callable[[_T], str],
    form: dict[str, str] | None = None,
) -> HttpResponse:
    """Run the service's step on the form as posted (or as ``form`` already read it).

    Refused, the page comes back with the form as typed and the messages beside its
    fields; done, back to the page (or where it was posted from) with ``note``.
    """
    typed = form if form is not None else posted(request)
    return run_then_redirect(
        request, lambda: run(typed), note,
        done_url=safe_next(request, reverse("medical:encounter", args=[encounter.public_id])),
        # Drawn from the encounter as it stands: the refused step changed nothing.
        refused=lambda exc: _refused(
            request, encounter_get_for_user(me(request), encounter.public_id), action, typed, exc
        ),
    )  # fmt: skip


def _refused(
    request: HttpRequest,
    encounter: Encounter,
    action: str,
    form: dict[str, str],
    exc: DomainError,
) -> HttpResponse:
    return _render(
        request, encounter, status=exc.status, action=action, form=form,
        errors=field_errors(exc), error=problem_text(exc),
    )  # fmt: skip


def _invalid(
    request: HttpRequest, encounter: Encounter, action: str, errors: dict[str, list[str]]
) -> HttpResponse:
    """A form the page itself finds wrong (a witness not chosen, a number not a number)."""
    exc = ValidationFailed.for_fields(errors)
    return _refused(request, encounter, action, posted(request), exc)


def _encounter_for(request: HttpRequest, encounter_id: uuid.UUID, perm: Perm) -> Encounter:
    encounter = encounter_get_for_user(me(request), encounter_id)
    require_perm_at(request, perm, encounter.booking.facility_id)
    return encounter


@require_POST
@requires(Perm.MEDICAL_CONFLICT_ACKNOWLEDGE)
def acknowledge(request: HttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """A supervisor lets the encounter go ahead with the person's alleged victim as provider."""
    encounter = _encounter_for(request, encounter_id, Perm.MEDICAL_CONFLICT_ACKNOWLEDGE)
    return _act(
        request, encounter, "acknowledge",
        lambda form: encounter_acknowledge(
            actor=me(request), encounter=encounter, note=form.get("note", "")
        ),
        lambda done: ACKNOWLEDGED.format(
            person=done.booking.person.full_name, provider=name_of(done.provider)
        ),
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def start(request: HttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = _encounter_for(request, encounter_id, Perm.CLINICAL_RECORD)
    return _act(
        request, encounter, "start",
        lambda _: encounter_start(actor=me(request), encounter=encounter), lambda _: STARTED,
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def complete(request: HttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """The provider is done: findings, treatment and the follow-up."""
    encounter = _encounter_for(request, encounter_id, Perm.CLINICAL_RECORD)
    form = posted(request)
    try:
        due = parse_date(form.get("follow_up_due", ""))
    except ValueError:
        return _invalid(request, encounter, "complete", {"follow_up_due": [BAD_DATE]})
    return _act(
        request, encounter, "complete",
        lambda form: encounter_complete(
            actor=me(request), encounter=encounter, findings=form.get("findings", ""),
            treatment=form.get("treatment", ""), follow_up=form.get("follow_up", ""),
            follow_up_due=due,
        ),
        lambda _: COMPLETED, form,
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def cancel(request: HttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = _encounter_for(request, encounter_id, Perm.CLINICAL_RECORD)
    return _act(
        request, encounter, "cancel",
        lambda form: encounter_cancel(
            actor=me(request), encounter=encounter, reason=form.get("reason", "")
        ),
        lambda _: CANCELLED,
    )  # fmt: skip


def witness_from(facility: Facility, user: User, username: str) -> User | None:
    return staff_named(staff_at(facility, Perm.DASHBOARD_VIEW, exclude=user), username)


@require_POST
@requires(Perm.CLINICAL_RECORD)
def refuse(request: HttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """The person refuses the encounter when it comes: recorded, signed by a witness."""
    encounter = _encounter_for(request, encounter_id, Perm.CLINICAL_RECORD)
    user = me(request)
    form = posted(request)
    witness = witness_from(encounter.booking.facility, user, form.get("witness", ""))
    if witness is None:
        return _invalid(request, encounter, "refuse", {"witness": [CHOOSE_WITNESS]})
    return _act(
        request, encounter, "refuse",
        lambda form: encounter_refuse(
            actor=user, encounter=encounter, witness=witness,
            statement=form.get("statement", ""), person_signed=form.get("person_signed") == "1",
        ),
        lambda _: REFUSED.format(witness=name_of(witness)), form,
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def note_add(request: HttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = _encounter_for(request, encounter_id, Perm.CLINICAL_RECORD)
    return _act(
        request, encounter, "note",
        lambda form: clinical_forms.note_add(
            actor=me(request), booking=encounter.booking, form=form, encounter=encounter
        ),
        lambda _: NOTE_ADDED,
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def vitals(request: HttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = _encounter_for(request, encounter_id, Perm.CLINICAL_RECORD)
    values, errors = vitals_from(posted(request))
    if errors:
        return _invalid(request, encounter, "vitals", errors)
    return _act(
        request, encounter, "vitals",
        lambda _: vitals_record(
            actor=me(request), booking=encounter.booking, encounter=encounter, **values
        ),
        lambda _: VITALS_RECORDED,
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def injury_new(request: HttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """An injury seen in this encounter."""
    encounter = _encounter_for(request, encounter_id, Perm.CLINICAL_RECORD)
    return _act(
        request, encounter, "injury",
        lambda form: clinical_forms.injury_add(
            actor=me(request), booking=encounter.booking, form=form, encounter=encounter
        ),
        lambda _: INJURY_RECORDED,
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def injury_status(
    request: HttpRequest, encounter_id: uuid.UUID, injury_id: uuid.UUID
) -> HttpResponse:
    """How an injury stands now, as seen in this encounter."""
    encounter = _encounter_for(request, encounter_id, Perm.CLINICAL_RECORD)
    injury = injury_get_for_user(me(request), injury_id)
    return _act(
        request, encounter, "injury_status",
        lambda form: clinical_forms.injury_status_set(
            actor=me(request), injury=injury, form=form, encounter=encounter
        ),
        lambda done: INJURY_UPDATED.format(status=done.get_status_display().lower()),
        posted_about(request, "injury", injury.public_id),
    )  # fmt: skip


_ONE = "encounters/<uuid:encounter_id>/"

urlpatterns = [
    path("encounters/new/", encounter_new, name="encounter_new"),
    path("encounters/new/check/", encounter_check, name="encounter_check"),
    path(_ONE, encounter_page, name="encounter"),
    path(f"{_ONE}acknowledge/", acknowledge, name="encounter_acknowledge"),
    path(f"{_ONE}start/", start, name="encounter_start"),
    path(f"{_ONE}complete/", complete, name="encounter_complete"),
    path(f"{_ONE}cancel/", cancel, name="encounter_cancel"),
    path(f"{_ONE}refuse/", refuse, name="encounter_refuse"),
    path(f"{_ONE}notes/", note_add, name="encounter_note"),
    path(f"{_ONE}vitals/", vitals, name="encounter_vitals"),
    path(f"{_ONE}injuries/", injury_new, name="encounter_injury"),
    path(f"{_ONE}injuries/<uuid:injury_id>/", injury_status, name="encounter_injury_status"),
]
