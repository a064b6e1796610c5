"""Pages: one person's medical record, and the forms that add to it.

The record is read through ``selectors.record.medical_record``, which lets in
medical staff (and a commander with an open break-glass) and audits the read.
Anyone else gets a 403 page that says why, and offers the commander the
break-glass form; it never shows a word of the record.

The forms (a note, vital signs, an injury and its status, a consent or a
witnessed refusal, a care alert) each post to their own address; a refused
post draws the record again with the messages beside the fields, a recorded
one goes back to its section of the record.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.classification.models import ObservationLevel
from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.errors import DomainError, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.medical import screening as questions
from cellblock.medical.models import (
    BodyLocation,
    CareAlert,
    CareAlertKind,
    ConsentDecision,
    ConsentRecord,
    ConsentScope,
    Injury,
    InjuryStatus,
    ReceivingScreening,
)
from cellblock.medical.selectors.care import CARE_ALERT_TONE, in_force
from cellblock.medical.selectors.record import (
    MedicalRecord,
    care_alert_get_for_user,
    consent_get_for_user,
    injury_get_for_user,
    medical_record,
)
from cellblock.medical.services.care_alerts import care_alert_end, care_alert_set
from cellblock.medical.services.consent import consent_record, consent_withdraw
from cellblock.medical.services.encounters import vitals_record
from cellblock.medical.views import clinical_forms
from cellblock.medical.views.clinical_forms import VITAL_FIELDS, vitals_from
from cellblock.medical.views.common import (
    BAD_TIME,
    CHOOSE_PROVIDER,
    CHOOSE_WITNESS,
    ENCOUNTER_TONE,
    INJURY_TONE,
    SICK_CALL_TONE,
    URGENCY_TONE,
    can,
    field_errors,
    form_state,
    me,
    parse_local,
    posted,
    posted_about,
    private,
    problem_text,
    require_perm_at,
    run_then_redirect,
    staff_at,
    staff_named,
)

_T = TypeVar("_T")
# The parts of the record its forms reach by their own id rather than the booking number.
_ById = Injury | ConsentRecord | CareAlert

PAGE = "medical/record.html"
DENIED_PAGE = "medical/record_denied.html"
NOTE_ADDED = "Note added to the record of {person}."
VITALS_RECORDED = "Vital signs recorded for {person}."
INJURY_RECORDED = "Injury recorded: {location}."
INJURY_UPDATED = "Injury ({location}) updated: {status}."
CONSENT_RECORDED = "{decision} recorded for {person}."
CONSENT_WITHDRAWN = "The record no longer stands: withdrawn."
ALERT_SET = "Care alert set for {person}: {kind}. Custody staff see the instruction."
ALERT_ENDED = "Care alert ended: {kind}."
# Screening answers as the record shows them.
ANSWER_WORDS = {True: "Yes", False: "No", "": "—"}
LOCATION_ORDER = {value: n for n, value in enumerate(BodyLocation.values)}


def _answers(screening: ReceivingScreening) -> list[tuple[str, str, str]]:
    """The screening's answers in the order asked: (key, question, answer in words)."""
    shown = []
    answers: dict[str, object] = screening.answers or {}
    for question in questions.QUESTIONS:
        if question.key not in answers:
            continue
        value = answers[question.key]
        if isinstance(value, bool):
            word = ANSWER_WORDS[value]
        elif question.type == questions.CHOICE:
            word = str(value).replace("_", " ").capitalize() if value else "—"
        else:
            word = str(value) or "—"
        shown.append((question.key, question.label, word))
    return shown


def _context(
    request: HttpRequest,
    record: MedicalRecord,
    *,
    action: str = "",
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
) -> dict[str, Any]:
    user = me(request)
    booking = record.booking
    facility = booking.facility
    now = clock.now()
    write = Perm.CLINICAL_RECORD in user.perms_at(facility.pk) and booking.status in OPEN_STATUSES
    injuries = sorted(record.injuries, key=lambda i: (LOCATION_ORDER.get(i.location, 99), i.pk))
    return {
        "record": record,
        "booking": booking,
        "person": booking.person,
        "facility": facility,
        "tz": facility.timezone,
        "access": record.access,
        "screenings": [(s, _answers(s)) for s in reversed(record.screenings)],
        "alerts_in_force": [
            (a, CARE_ALERT_TONE.get(a.kind, "info")) for a in record.care_alerts if in_force(a, now)
        ],
        "alerts_past": [a for a in record.care_alerts if not in_force(a, now)],
        "injuries": [(i, INJURY_TONE.get(i.status, "muted")) for i in injuries],
        "encounters": [(e, ENCOUNTER_TONE.get(e.status, "muted")) for e in record.encounters],
        "loose_notes": [n for n in record.notes if n.encounter_id is None],
        "vitals": record.vitals,
        "consents": list(reversed(record.consents)),
        "sick_calls": [
            (c, URGENCY_TONE.get(c.urgency, "muted"), SICK_CALL_TONE.get(c.status, "muted"))
            for c in record.sick_calls
        ],
        "can": {"write": write, "screen": write},
        "witnesses": staff_at(facility, Perm.DASHBOARD_VIEW, exclude=user) if write else [],
        "providers": staff_at(facility, Perm.CLINICAL_RECORD) if write else [],
        "locations": BodyLocation.choices,
        "injury_statuses": InjuryStatus.choices,
        "vital_fields": VITAL_FIELDS,
        "decisions": ConsentDecision.choices,
        "scopes": ConsentScope.choices,
        "alert_kinds": CareAlertKind.choices,
        "levels": ObservationLevel.choices,
        **form_state(action, form, errors, error),
    }


def _denied(request: HttpRequest, booking: Booking, exc: PermissionDenied) -> HttpResponse:
    """Not medical staff: why not, and for a commander the way in by break-glass."""
    context = {
        "booking": booking,
        "person": booking.person,
        "facility": booking.facility,
        "error": exc,
        "can_break_glass": can(request, Perm.BREAK_GLASS, booking.facility_id),
        "form": {},
        "errors": {},
    }
    return private(render(request, DENIED_PAGE, context, status=exc.status))


def _booking(request: HttpRequest, booking_number: str, perm: Perm) -> Booking:
    booking = booking_get_for_user(me(request), booking_number)
    require_perm_at(request, perm, booking.facility_id)
    return booking


@require_GET
@requires(Perm.MEDICAL_VIEW)
def record_page(request: HttpRequest, booking_number: str) -> HttpResponse:
    """One person's whole medical record (an audited read), or why it may not be read."""
    booking = _booking(request, booking_number, Perm.MEDICAL_VIEW)
    try:
        record = medical_record(user=me(request), booking=booking)
    except PermissionDenied as exc:
        return _denied(request, booking, exc)
    return private(render(request, PAGE, _context(request, record)))


def _record_url(booking: Booking, section: str) -> str:
    return reverse("medical:record", args=[booking.booking_number]) + f"#section-{section}"


def _act(
    request: HttpRequest,
    booking: Booking,
    action: str,
    section: str,
    run: Callable[[dict[str, str]], _T],
    note: Callable[[_T], str],
    form: dict[str, str] | None = None,
) -> HttpResponse:
    """Run the service on the form as posted (or as ``form`` already read it).

    Refused, the record comes back with the form as typed; done, back to the
    section of the record with ``note`` on what was recorded.
    """
    typed = form if form is not None else posted(request)
    return run_then_redirect(
        request, lambda: run(typed), note, done_url=_record_url(booking, section),
        refused=lambda exc: _refused(request, booking, action, typed, exc),
    )  # fmt: skip


def _refused(
    request: HttpRequest, booking: Booking, action: str, form: dict[str, str], exc: DomainError
) -> HttpResponse:
    record = medical_record(user=me(request), booking=booking)
    context = _context(
        request, record, action=action, form=form, errors=field_errors(exc),
        error=problem_text(exc),
    )  # fmt: skip
    return private(render(request, PAGE, context, status=exc.status))


def _invalid(
    request: HttpRequest, booking: Booking, action: str, errors: dict[str, list[str]]
) -> HttpResponse:
    return _refused(request, booking, action, posted(request), ValidationFailed.for_fields(errors))


def _booking_of(request: HttpRequest, item: _ById) -> Booking:
    """The booking of a record reached by its id, where the user records clinical care."""
    require_perm_at(request, Perm.CLINICAL_RECORD, item.booking.facility_id)
    return item.booking


@require_POST
@requires(Perm.CLINICAL_RECORD)
def note_add(request: HttpRequest, booking_number: str) -> HttpResponse:
    booking = _booking(request, booking_number, Perm.CLINICAL_RECORD)
    return _act(
        request, booking, "note", "notes",
        lambda form: clinical_forms.note_add(actor=me(request), booking=booking, form=form),
        lambda _: NOTE_ADDED.format(person=booking.person.full_name),
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def vitals(request: HttpRequest, booking_number: str) -> HttpResponse:
    booking = _booking(request, booking_number, Perm.CLINICAL_RECORD)
    values, errors = vitals_from(posted(request))
    if errors:
        return _invalid(request, booking, "vitals", errors)
    return _act(
        request, booking, "vitals", "vitals",
        lambda _: vitals_record(actor=me(request), booking=booking, **values),
        lambda _: VITALS_RECORDED.format(person=booking.person.full_name),
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def injury_new(request: HttpRequest, booking_number: str) -> HttpResponse:
    booking = _booking(request, booking_number, Perm.CLINICAL_RECORD)
    return _act(
        request, booking, "injury", "injuries",
        lambda form: clinical_forms.injury_add(actor=me(request), booking=booking, form=form),
        lambda done: INJURY_RECORDED.format(location=done.get_location_display().lower()),
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def injury_status(request: HttpRequest, injury_id: uuid.UUID) -> HttpResponse:
    injury = injury_get_for_user(me(request), injury_id)
    return _act(
        request, _booking_of(request, injury), "injury_status", "injuries",
        lambda form: clinical_forms.injury_status_set(actor=me(request), injury=injury, form=form),
        lambda done: INJURY_UPDATED.format(
            location=done.get_location_display().lower(),
            status=done.get_status_display().lower(),
        ),
        posted_about(request, "injury", injury.public_id),
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def consent_new(request: HttpRequest, booking_number: str) -> HttpResponse:
    """A consent, or a refusal signed by a witness ("every provider except X" included)."""
    booking = _booking(request, booking_number, Perm.CLINICAL_RECORD)
    user = me(request)
    form = posted(request)
    facility = booking.facility
    errors: dict[str, list[str]] = {}
    witness = None
    if form.get("witness"):
        witness = staff_named(staff_at(facility, Perm.DASHBOARD_VIEW), form["witness"])
        if witness is None:
            errors["witness"] = [CHOOSE_WITNESS]
    except_provider = None
    if form.get("except_provider"):
        except_provider = staff_named(
            staff_at(facility, Perm.CLINICAL_RECORD), form["except_provider"]
        )
        if except_provider is None:
            errors["except_provider"] = [CHOOSE_PROVIDER]
    if errors:
        return _invalid(request, booking, "consent", errors)
    return _act(
        request, booking, "consent", "consents",
        lambda form: consent_record(
            actor=user, booking=booking, decision=form.get("decision", ""),
            scope=form.get("scope", ""), treatment=form.get("treatment", ""),
            except_provider=except_provider, statement=form.get("statement", ""),
            person_signed=form.get("person_signed") == "1", witness=witness,
        ),
        lambda done: CONSENT_RECORDED.format(
            decision="Consent" if done.decision == ConsentDecision.CONSENT else "Refusal",
            person=booking.person.full_name,
        ),
        form,
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def consent_end(request: HttpRequest, consent_id: uuid.UUID) -> HttpResponse:
    consent = consent_get_for_user(me(request), consent_id)
    return _act(
        request, _booking_of(request, consent), "consent_withdraw", "consents",
        lambda form: consent_withdraw(
            actor=me(request), record=consent, reason=form.get("reason", "")
        ),
        lambda _: CONSENT_WITHDRAWN, posted_about(request, "consent", consent.public_id),
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def care_alert_new(request: HttpRequest, booking_number: str) -> HttpResponse:
    """Tell custody staff what to do: the kind, the instruction in plain words, until when."""
    booking = _booking(request, booking_number, Perm.CLINICAL_RECORD)
    form = posted(request)
    try:
        until = parse_local(form.get("until", ""), booking.facility)
    except ValueError:
        return _invalid(request, booking, "care_alert", {"until": [BAD_TIME]})
    return _act(
        request, booking, "care_alert", "care-alerts",
        lambda form: care_alert_set(
            actor=me(request), booking=booking, kind=form.get("kind", ""),
            instruction=form.get("instruction", ""), level=form.get("level", ""), until=until,
        ),
        lambda done: ALERT_SET.format(
            person=booking.person.full_name, kind=done.get_kind_display().lower()
        ),
        form,
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def care_alert_stop(request: HttpRequest, alert_id: uuid.UUID) -> HttpResponse:
    alert = care_alert_get_for_user(me(request), alert_id)
    return _act(
        request, _booking_of(request, alert), "care_alert_end", "care-alerts",
        lambda form: care_alert_end(actor=me(request), alert=alert, reason=form.get("reason", "")),
        lambda _: ALERT_ENDED.format(kind=alert.get_kind_display().lower()),
        posted_about(request, "alert", alert.public_id),
    )  # fmt: skip


_BOOKING = "bookings/<str:booking_number>/"

urlpatterns = [
    path(_BOOKING, record_page, name="record"),
    path(f"{_BOOKING}notes/", note_add, name="note_add"),
    path(f"{_BOOKING}vitals/", vitals, name="vitals_record"),
    path(f"{_BOOKING}injuries/", injury_new, name="injury_record"),
    path(f"{_BOOKING}consents/", consent_new, name="consent_record"),
    path(f"{_BOOKING}care-alerts/", care_alert_new, name="care_alert_set"),
    path("injuries/<uuid:injury_id>/", injury_status, name="injury_update"),
    path("consents/<uuid:consent_id>/withdraw/", consent_end, name="consent_withdraw"),
    path("care-alerts/<uuid:alert_id>/end/", care_alert_stop, name="care_alert_end"),
]
