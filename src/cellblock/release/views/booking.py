"""Pages: a booking's release page: start a release, work its checklist, complete it, return.

With no release in hand, the page offers the start form: the kind of release
and the fields that kind needs (an assignment's rank, conditions and
expected return; a furlough's return; a transfer's destination), which the
kind select narrows to (htmx asks for the part again; without it every set
shows).  With one in hand it shows the checklist, each step with what it
needs done (return the property, signed for; hand over the money; the medic's
discharge note; call off the visits) and the Complete button.  A refused
completion comes back with the service's message naming every step still
open; an early release for time served shows the commander the override.
A person away on a furlough or an assignment is brought back from here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from cellblock.booking.models import Booking, BookingStatus, PropertyItem
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.errors import DomainError
from cellblock.core.roles import Perm
from cellblock.court.services.release_dates import release_date_of
from cellblock.facilities.models import Facility
from cellblock.release.models import (
    OPEN_RELEASE_STATUSES,
    Release,
    ReleaseKind,
    ReleaseStatus,
    ReleaseStepCode,
)
from cellblock.release.selectors import release_get_for_user, releases_of_booking
from cellblock.release.services.checklist import (
    StepState,
    release_steps,
    required_steps,
    step_label,
)
from cellblock.release.services.releases import (
    release_cancel,
    release_complete,
    release_return,
    release_start,
)
from cellblock.release.services.steps import (
    cash_on_record,
    release_medical_discharge,
    release_money_return,
    release_property_return,
    release_visits_cancel,
    visits_to_cancel,
)
from cellblock.release.views.common import (
    RELEASE_TONE,
    FormProblems,
    can,
    field_errors,
    form_state,
    fragment,
    is_htmx,
    me,
    posted,
    problem_text,
    require_perm_at,
    safe_next,
)

_T = TypeVar("_T")

RELEASE_PAGE = "release/booking.html"
STARTED = "{kind} started for {person}: work through the checklist."
RECORDED_AT_ONCE = "{kind} of {person} recorded; the booking is closed."
STEP_DONE = "{label}: done."
COMPLETED = "{person} released: {kind}. The bed is free and the count is updated."
GONE_AWAY = "{person} has left: {kind}, due back {when}. The bed is kept."
TRANSFERRED = "{person} transferred to {facility}: booking {number} opened there."
RETURNED = "{person} is back: {kind} ended."
CANCELLED = "Release cancelled."
CHOOSE_DESTINATION = "choose the receiving facility from the list."
# The form field of each kind's expected return.
RETURN_FIELD: dict[str, str] = {
    ReleaseKind.ASSIGNMENT: "assignment_return_at",
    ReleaseKind.FURLOUGH: "furlough_return_at",
}
# The kinds that close the booking at once, with a reason and no checklist.
AT_ONCE = (ReleaseKind.ESCAPE, ReleaseKind.DEATH)


def release_page_url(booking: Booking) -> str:
    return reverse("release:booking", args=[booking.booking_number])


@dataclass(frozen=True)
class StepRow:
    """One checklist step as the page draws it: its state and the form that completes it."""

    state: StepState
    # Did the last completion refuse because of this step?
    refused: bool

    @property
    def tone(self) -> str:
        if self.state.done:
            return "ok"
        if not self.state.required:
            return "muted"
        return "bad" if self.refused or self.state.blockers else "warn"


def destinations(facility: Facility) -> list[Facility]:
    """Where a transfer may go: the agency's other facilities."""
    return list(
        Facility.objects.filter(agency_id=facility.agency_id)
        .exclude(pk=facility.pk)
        .order_by("name")
    )


def _kinds(request: HttpRequest, facility_id: int) -> list[tuple[str, str]]:
    """The kinds of release the user may start: an assignment is the commander's."""
    assign = can(request, Perm.RELEASE_ASSIGNMENT, facility_id)
    return [
        (value, label)
        for value, label in ReleaseKind.choices
        if value != ReleaseKind.ASSIGNMENT or assign
    ]


def _context(
    request: HttpRequest, booking: Booking, shown: Release | None = None, **state: Any
) -> dict[str, Any]:
    facility = booking.facility
    perms = me(request).perms_at(facility.pk)
    every = releases_of_booking(booking)
    release = shown or next((r for r in every if r.status in OPEN_RELEASE_STATUSES), None)
    if release is None and not booking.is_open and every:
        # A closed booking shows the release that closed it.
        release = every[0]
    history = [r for r in every if release is None or r.pk != release.pk]
    steps = release_steps(release) if release is not None else []
    refused_steps = set(state.get("refused_steps", []))
    dated = release_date_of(booking)
    today = clock.local(clock.now(), facility.timezone).date()
    release_on = dated.release_on if dated is not None else None
    preparing = release is not None and release.status == ReleaseStatus.PREPARING
    start_form = state.get("forms", {}).get("start") or {}
    kind = start_form.get("kind") or request.GET.get("kind", "")
    kind = kind if kind in ReleaseKind.values else ""
    early_days = (
        (release_on - today).days
        if release is not None
        and release.kind == ReleaseKind.TIME_SERVED
        and release_on is not None
        and release_on > today
        else 0
    )
    return {
        "booking": booking,
        "person": booking.person,
        "facility": facility,
        "tz": facility.timezone,
        "release": release,
        "tone": RELEASE_TONE.get(release.status, "muted") if release is not None else "",
        "steps": [StepRow(s, s.code in refused_steps) for s in steps],
        "required_count": sum(1 for s in steps if s.required),
        "done_count": sum(1 for s in steps if s.required and s.done),
        "history": [(r, RELEASE_TONE.get(r.status, "muted")) for r in history],
        "release_date": dated,
        "release_on": release_on,
        "days_left": (release_on - today).days if release_on is not None else None,
        "early_days": early_days,
        "kinds": _kinds(request, facility.pk),
        "kind": kind,
        "kind_steps": [
            (value, [step_label(code, value) for code in required_steps(value)])
            for value, _ in ReleaseKind.choices
        ],
        "destinations": destinations(facility) if kind in ("", ReleaseKind.TRANSFER) else [],
        "cash": cash_on_record(booking) if preparing else None,
        "items_held": PropertyItem.objects.filter(booking=booking, returned_at__isnull=True).count()
        if preparing
        else 0,
        "visits_waiting": visits_to_cancel(release).count() if preparing and release else 0,
        "can_start": Perm.BOOKING_RELEASE in perms
        and booking.status == BookingStatus.IN_CUSTODY
        and (release is None or release.status not in OPEN_RELEASE_STATUSES),
        "can_process": Perm.RELEASE_PROCESS in perms and preparing,
        "can_clinical": Perm.CLINICAL_RECORD in perms and preparing,
        "can_complete": Perm.BOOKING_RELEASE in perms and preparing,
        "can_override": Perm.RELEASE_OVERRIDE in perms,
        "can_return": Perm.MOVEMENT_RECORD in perms
        and release is not None
        and release.status == ReleaseStatus.AWAY,
        "show_override": preparing
        and Perm.RELEASE_OVERRIDE in perms
        and (early_days > 0 or state.get("early", False)),
        "early_refused": state.get("early", False),
        "now": clock.now(),
        **form_state("", None, None, ""),
        **state,
    }


def _render(
    request: HttpRequest,
    booking: Booking,
    shown: Release | None = None,
    *,
    status: int = 200,
    **state: Any,
) -> HttpResponse:
    context = _context(request, booking, shown, **state)
    if is_htmx(request) and request.GET.get("part") == "start":
        return fragment(render(request, f"{RELEASE_PAGE}#start_fields", context, status=status))
    return fragment(render(request, RELEASE_PAGE, context, status=status))


def _booking_for(request: HttpRequest, booking_number: str) -> Booking:
    booking = booking_get_for_user(me(request), booking_number)
    require_perm_at(request, Perm.COURT_VIEW, booking.facility_id)
    return booking


@require_GET
@requires(Perm.COURT_VIEW)
def booking_release(request: HttpRequest, booking_number: str) -> HttpResponse:
    """The release in hand (or the start form), and the booking's past releases."""
    return _render(request, _booking_for(request, booking_number))


@require_GET
@requires(Perm.COURT_VIEW)
def release_detail(request: HttpRequest, release_id: uuid.UUID) -> HttpResponse:
    """One release, past or in hand, on its booking's page."""
    release = release_get_for_user(me(request), release_id)
    return _render(request, release.booking, release)


@require_POST
@requires(Perm.BOOKING_RELEASE)
def start(request: HttpRequest, booking_number: str) -> HttpResponse:
    """Start a release of the kind chosen; an escape or a death is recorded at once."""
    booking = _booking_for(request, booking_number)
    require_perm_at(request, Perm.BOOKING_RELEASE, booking.facility_id)
    form = posted(request)
    kind = form.get("kind", "")
    problems = FormProblems()
    # Each kind's set of fields names its own return time, so both sets can show at once.
    expected = None
    if kind in RETURN_FIELD:
        expected = problems.moment(form, RETURN_FIELD[kind], booking.facility)
    to_facility = None
    if kind == ReleaseKind.TRANSFER and form.get("to_facility"):
        to_facility = next(
            (f for f in destinations(booking.facility) if str(f.public_id) == form["to_facility"]),
            None,
        )
        if to_facility is None:
            problems.fields["to_facility"] = CHOOSE_DESTINATION
    if problems:
        return _refused(request, booking, "start", form, problems.error())
    # Fields of another kind's set are left out: the service refuses what does not apply.
    assignment = kind == ReleaseKind.ASSIGNMENT
    try:
        release = release_start(
            actor=me(request), booking=booking, kind=kind, authority=form.get("authority", ""),
            reason=form.get("reason", ""),
            assignment_rank=form.get("assignment_rank", "") if assignment else "",
            conditions=form.get("conditions", "") if assignment else "",
            expected_return_at=expected, to_facility=to_facility,
        )  # fmt: skip
    except DomainError as exc:
        if kind in RETURN_FIELD and "expected_return_at" in exc.extra.get("fields", {}):
            fields = dict(exc.extra["fields"])
            fields[RETURN_FIELD[kind]] = fields.pop("expected_return_at")
            exc.extra = {**exc.extra, "fields": fields}
        return _refused(request, booking, "start", form, exc)
    person = booking.person.full_name
    note = RECORDED_AT_ONCE if kind in AT_ONCE else STARTED
    messages.success(request, note.format(kind=release.get_kind_display(), person=person))
    return redirect(release_page_url(booking))


def _refused(
    request: HttpRequest,
    booking: Booking,
    action: str,
    form: dict[str, str],
    exc: DomainError,
    **state: Any,
) -> HttpResponse:
    fresh = booking_get_for_user(me(request), booking.booking_number)
    return _render(
        request, fresh, status=exc.status,
        **form_state(action, form, field_errors(exc), problem_text(exc)), **state,
    )  # fmt: skip


def _step(
    request: HttpRequest,
    release_id: uuid.UUID,
    action: str,
    run: Callable[[Release, dict[str, str]], _T],
    code: str,
) -> HttpResponse:
    release = release_get_for_user(me(request), release_id)
    booking = release.booking
    form = posted(request)
    try:
        run(release, form)
    except DomainError as exc:
        return _refused(request, booking, action, form, exc)
    messages.success(request, STEP_DONE.format(label=step_label(code, release.kind)))
    return redirect(safe_next(request, release_page_url(booking)))


@require_POST
@requires(Perm.RELEASE_PROCESS)
def property_step(request: HttpRequest, release_id: uuid.UUID) -> HttpResponse:
    """Hand back everything still held; the person (or a transfer's escort) signs for it."""
    return _step(
        request, release_id, "property",
        lambda release, form: release_property_return(
            actor=me(request), release=release, signed=form.get("signed") == "1",
            note=form.get("note", ""),
        ),
        ReleaseStepCode.PROPERTY_RETURNED,
    )  # fmt: skip


@require_POST
@requires(Perm.RELEASE_PROCESS)
def money_step(request: HttpRequest, release_id: uuid.UUID) -> HttpResponse:
    """Hand over the person's money (an amount other than the cash on record needs a note)."""
    return _step(
        request, release_id, "money",
        lambda release, form: release_money_return(
            actor=me(request), release=release, amount=form.get("amount", ""),
            note=form.get("note", ""),
        ),
        ReleaseStepCode.MONEY_RETURNED,
    )  # fmt: skip


@require_POST
@requires(Perm.CLINICAL_RECORD)
def medical_step(request: HttpRequest, release_id: uuid.UUID) -> HttpResponse:
    """A medic writes the discharge note; the checklist only records that it exists."""
    return _step(
        request, release_id, "medical",
        lambda release, form: release_medical_discharge(
            actor=me(request), release=release, text=form.get("text", ""),
            medication=form.get("medication", ""), follow_up=form.get("follow_up", ""),
        ),
        ReleaseStepCode.MEDICAL_DISCHARGE,
    )  # fmt: skip


@require_POST
@requires(Perm.RELEASE_PROCESS)
def visits_step(request: HttpRequest, release_id: uuid.UUID) -> HttpResponse:
    """Call off the visits still to come."""
    return _step(
        request, release_id, "visits",
        lambda release, form: release_visits_cancel(actor=me(request), release=release),
        ReleaseStepCode.VISITS_CANCELLED,
    )  # fmt: skip


@require_POST
@requires(Perm.BOOKING_RELEASE)
def complete(request: HttpRequest, release_id: uuid.UUID) -> HttpResponse:
    """Complete the release: refused, naming every step still open, or early without override."""
    release = release_get_for_user(me(request), release_id)
    booking = release.booking
    require_perm_at(request, Perm.BOOKING_RELEASE, booking.facility_id)
    form = posted(request)
    try:
        done = release_complete(
            actor=me(request), release=release, override_reason=form.get("override_reason", ""),
            emergency_reason=form.get("emergency_reason", ""),
        )  # fmt: skip
    except DomainError as exc:
        refused_steps = (
            exc.extra.get("steps", []) if exc.code == "release_checklist_incomplete" else []
        )
        early = exc.code in ("early_release", "override_not_allowed")
        return _refused(
            request, booking, "complete", form, exc,
            refused_steps=refused_steps, early=early, refusal_code=exc.code,
        )  # fmt: skip
    person, kind = booking.person.full_name, done.get_kind_display()
    if done.status == ReleaseStatus.AWAY:
        back = done.expected_return_at
        when = (
            clock.local(back, booking.facility.timezone).strftime("%Y-%m-%d %H:%M")
            if back
            else "when the mission ends"
        )
        messages.success(request, GONE_AWAY.format(person=person, kind=kind, when=when))
    elif done.kind == ReleaseKind.TRANSFER and done.new_booking is not None:
        messages.success(
            request,
            TRANSFERRED.format(
                person=person, facility=done.to_facility.name if done.to_facility else "",
                number=done.new_booking.booking_number,
            ),
        )  # fmt: skip
    else:
        messages.success(request, COMPLETED.format(person=person, kind=kind.lower()))
    return redirect(release_page_url(booking))


@require_POST
@requires(Perm.MOVEMENT_RECORD)
def come_back(request: HttpRequest, release_id: uuid.UUID) -> HttpResponse:
    """The person is back from a furlough or an assignment."""
    release = release_get_for_user(me(request), release_id)
    booking = release.booking
    require_perm_at(request, Perm.MOVEMENT_RECORD, booking.facility_id)
    try:
        done = release_return(actor=me(request), release=release)
    except DomainError as exc:
        messages.error(request, problem_text(exc))
        return redirect(safe_next(request, release_page_url(booking)))
    messages.success(
        request,
        RETURNED.format(person=booking.person.full_name, kind=done.get_kind_display().lower()),
    )
    return redirect(safe_next(request, release_page_url(booking)))


@require_POST
@requires(Perm.BOOKING_RELEASE)
def cancel(request: HttpRequest, release_id: uuid.UUID) -> HttpResponse:
    """Call off a release still in preparation, with the reason."""
    release = release_get_for_user(me(request), release_id)
    booking = release.booking
    require_perm_at(request, Perm.BOOKING_RELEASE, booking.facility_id)
    form = posted(request)
    try:
        release_cancel(actor=me(request), release=release, reason=form.get("reason", ""))
    except DomainError as exc:
        return _refused(request, booking, "cancel", form, exc)
    messages.success(request, CANCELLED)
    return redirect(release_page_url(booking))


urlpatterns = [
    path("bookings/<str:booking_number>/", booking_release, name="booking"),
    path("bookings/<str:booking_number>/start/", start, name="start"),
    path("<uuid:release_id>/", release_detail, name="detail"),
    path("<uuid:release_id>/steps/property/", property_step, name="step_property"),
    path("<uuid:release_id>/steps/money/", money_step, name="step_money"),
    path("<uuid:release_id>/steps/medical-discharge/", medical_step, name="step_medical"),
    path("<uuid:release_id>/steps/visits/", visits_step, name="step_visits"),
    path("<uuid:release_id>/complete/", complete, name="complete"),
    path("<uuid:release_id>/return/", come_back, name="return"),
    path("<uuid:release_id>/cancel/", cancel, name="cancel"),
]
