"""Pages: restraints — the board of restraints in force, with one-click checks, and its forms.

The board refreshes itself every 30 seconds (htmx) unless a form on it is
open, so the countdown to each next check stays true on a wall screen.
Writes go through ``custody.services.restraints``; a refusal is shown where
it happened (the apply form, or above the board).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from cellblock.accounts.models import User
from cellblock.booking.forms import ServiceErrorsMixin
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.access import requires
from cellblock.core.errors import DomainError, NotFound, ValidationFailed
from cellblock.core.page_access import facility_for, me
from cellblock.core.roles import Perm
from cellblock.custody.models import RestraintKind, RestraintPurpose
from cellblock.custody.selectors.access import member_of, staff_holding
from cellblock.custody.selectors.restraints import (
    removals_awaiting_review,
    restraint_get_for_user,
    restraints_in_force,
)
from cellblock.custody.services.restraints import (
    removal_incidents,
    restraint_apply,
    restraint_check_record,
    restraint_extension_approve,
    restraint_removal_review,
    restraint_remove,
)
from cellblock.facilities.models import Facility
from cellblock.medical.selectors.care import care_alerts_in_force

APPLIED = "{kind} on {person}: the first check is due at {due}."
CHECKED = "Check recorded for {person}: the next is due at {due}."
APPROVED = "{side} side of the extension approved for {person}."
REMOVED = "{kind} removed from {person} on the authority of {who}."
REMOVED_WITHOUT_AUTHORITY = (
    "{kind} removed from {person} without authority: recorded, incident {incident} opened, and "
    "a supervisor must review it."
)
REVIEWED = "Removal from {person} reviewed."
CHOOSE_PERSON = "type the booking number of the person held here."
NOT_HELD_HERE = "is not a booking held here."
NOT_STAFF = "{username} is not on the staff here."
# Above this many people held, the apply form offers no list to pick from (type the number).
PEOPLE_LIST_LIMIT = 300
# Purposes the form offers: a punishment is never one (the service refuses it anyway).
PURPOSE_CHOICES = [(v, label) for v, label in RestraintPurpose.choices if v != "discipline"]
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


# --- Helpers shared with the access pages -------------------------------------------------


def fragment(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["HX-Request"])
    return response


def local_input(text: str, facility: Facility) -> dt.datetime | None:
    """A ``datetime-local`` value read on the facility's wall clock (None if blank or bad)."""
    try:
        return dt.datetime.strptime(text.strip(), DATETIME_LOCAL).replace(
            tzinfo=ZoneInfo(facility.timezone)
        )
    except ValueError:
        return None


def local_value(moment: dt.datetime, facility: Facility) -> str:
    return clock.local(moment, facility.timezone).strftime(DATETIME_LOCAL)


def local_time(moment: dt.datetime, facility: Facility) -> str:
    return f"{clock.local(moment, facility.timezone):%H:%M}"


class PageForm(ServiceErrorsMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_errors = {}

    def text(self, name: str) -> str:
        value = getattr(self, "cleaned_data", {}).get(name)
        return "" if value is None else str(value).strip()


def _text(label: str, max_length: int = 500, **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=max_length,
        widget=forms.TextInput(attrs={"autocomplete": "off", **attrs}),
    )  # fmt: skip


def staff_from(facility: Facility, username: str) -> User | None:
    return member_of(facility, username) if username else None


# --- Forms ------------------------------------------------------------------------------


class ApplyForm(PageForm):
    booking = _text("Person (booking number)", max_length=32, list="restraint-people")
    kind = forms.CharField(label="Restraint", required=False)
    purpose = forms.CharField(label="Purpose", required=False)
    reason = _text("Reason", max_length=1000, placeholder="e.g. attacked a medic")
    assisted_by = forms.CharField(label="Second officer", required=False)
    authorised_by = forms.CharField(label="Authorised by", required=False)


# --- Pages ------------------------------------------------------------------------------


def _people_choices(facility: Facility) -> list[Booking]:
    """People held here to pick from, unless there are too many for a list."""
    found = list(
        Booking.objects.filter(facility=facility, status__in=OPEN_STATUSES)
        .select_related("person")
        .order_by("person__family_name", "person__given_name")[: PEOPLE_LIST_LIMIT + 1]
    )
    return found if len(found) <= PEOPLE_LIST_LIMIT else []


def _board_context(request: HttpRequest, facility: Facility, error: str = "") -> dict[str, Any]:
    perms = me(request).perms_at(facility.pk)
    now = clock.now()
    rows = restraints_in_force(facility, now)
    return {
        "facility": facility,
        "tz": facility.timezone,
        "rows": rows,
        # Medical's care alerts ("no restraints on the left arm") beside each person.
        "care": care_alerts_in_force([row.restraint.booking_id for row in rows], now),
        "authorities": staff_holding(facility, Perm.RESTRAINT_AUTHORISE),
        "can_check": Perm.RESTRAINT_APPLY in perms,
        "can_remove": Perm.RESTRAINT_REMOVE in perms,
        "can_approve_supervisor": Perm.RESTRAINT_AUTHORISE in perms,
        "can_approve_medic": Perm.RESTRAINT_MEDICAL_APPROVE in perms,
        "board_error": error,
    }


def _render(
    request: HttpRequest,
    facility: Facility,
    *,
    form: ApplyForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    perms = me(request).perms_at(facility.pk)
    policy = policy_of(facility)
    can_apply = Perm.RESTRAINT_APPLY in perms
    context = {
        **_board_context(request, facility, error),
        "awaiting": removals_awaiting_review(facility),
        "can_apply": can_apply,
        "can_review": Perm.RESTRAINT_AUTHORISE in perms,
        "form": form or ApplyForm(),
        "kinds": RestraintKind.choices,
        "purposes": PURPOSE_CHOICES,
        "people": _people_choices(facility) if can_apply else [],
        "assistants": staff_holding(facility, Perm.RESTRAINT_APPLY) if can_apply else [],
        "check_minutes": policy.restraint_check_minutes,
        "limit_minutes": policy.restraint_max_minutes_without_approval,
    }
    return render(request, "custody/restraints/page.html", context, status=status)


@require_GET
@requires(Perm.BOOKING_VIEW)
def restraints_page(request: HttpRequest) -> HttpResponse:
    """Restraints in force with the next check's countdown, and the forms to act on them."""
    return _render(request, facility_for(request, Perm.BOOKING_VIEW))


@require_GET
@requires(Perm.BOOKING_VIEW)
def restraints_board(request: HttpRequest) -> HttpResponse:
    """The board alone, for its own refresh (htmx)."""
    facility = facility_for(request, Perm.BOOKING_VIEW)
    context = _board_context(request, facility)
    return fragment(render(request, "custody/restraints/page.html#board", context))


def _back(
    request: HttpRequest, facility: Facility, error: str = "", status: int = 200
) -> HttpResponse:
    """After a row's action: the board (htmx) or the page."""
    if request.headers.get("HX-Request"):
        context = _board_context(request, facility, error)
        return fragment(
            render(request, "custody/restraints/page.html#board", context, status=status)
        )
    if error:
        return _render(request, facility, error=error, status=status)
    return redirect(reverse("custody:restraints"))


@require_POST
@requires(Perm.RESTRAINT_APPLY)
def apply(request: HttpRequest) -> HttpResponse:
    """Apply a restraint from the form."""
    user = me(request)
    facility = facility_for(request, Perm.RESTRAINT_APPLY)
    form = ApplyForm(request.POST)
    form.is_valid()
    number = form.text("booking")
    booking = None
    if number:
        try:
            booking = booking_get_for_user(user, number)
        except NotFound:
            booking = None
    if booking is None or booking.facility_id != facility.pk:
        form.add_error("booking", NOT_HELD_HERE if number else CHOOSE_PERSON)
        return _render(request, facility, form=form, status=400)
    problems: dict[str, list[str]] = {}
    helpers = {}
    for field in ("assisted_by", "authorised_by"):
        username = form.text(field)
        helpers[field] = staff_from(facility, username)
        if username and helpers[field] is None:
            problems[field] = [NOT_STAFF.format(username=username)]
    try:
        if problems:
            raise ValidationFailed.for_fields(problems)
        restraint = restraint_apply(
            actor=user, booking=booking, kind=form.text("kind"), purpose=form.text("purpose"),
            reason=form.text("reason"), assisted_by=helpers["assisted_by"],
            authorised_by=helpers["authorised_by"],
        )  # fmt: skip
    except DomainError as exc:
        if isinstance(exc, ValidationFailed):
            form.add_service_errors(exc.extra.get("fields", {}))
        else:
            form.add_error(None, exc.message)
        return _render(request, facility, form=form, status=exc.status)
    due = restraint.applied_at + dt.timedelta(minutes=policy_of(facility).restraint_check_minutes)
    messages.success(
        request,
        APPLIED.format(
            kind=restraint.get_kind_display(), person=booking.person.full_name,
            due=local_time(due, facility),
        ),
    )  # fmt: skip
    return redirect(reverse("custody:restraints"))


@require_POST
@requires(Perm.RESTRAINT_APPLY)
def check(request: HttpRequest, restraint_id: uuid.UUID) -> HttpResponse:
    """One click: the person was checked now and is well."""
    user = me(request)
    restraint = restraint_get_for_user(user, restraint_id)
    facility = restraint.booking.facility
    try:
        restraint_check_record(
            actor=user, restraint=restraint,
            circulation_ok=request.POST.get("circulation_ok", "1") == "1",
            note=request.POST.get("note", ""),
        )  # fmt: skip
    except DomainError as exc:
        return _back(request, facility, exc.message, exc.status)
    due = clock.now() + dt.timedelta(minutes=policy_of(facility).restraint_check_minutes)
    if not request.headers.get("HX-Request"):
        messages.success(
            request,
            CHECKED.format(
                person=restraint.booking.person.full_name, due=local_time(due, facility)
            ),
        )
    return _back(request, facility)


@require_POST
@requires(Perm.BOOKING_VIEW)
def extension(request: HttpRequest, restraint_id: uuid.UUID) -> HttpResponse:
    """Approve one side (supervisor or medic) of keeping it on past the limit."""
    user = me(request)
    restraint = restraint_get_for_user(user, restraint_id)
    facility = restraint.booking.facility
    side = request.POST.get("side") or None
    try:
        approved = restraint_extension_approve(actor=user, restraint=restraint, side=side)
    except DomainError as exc:
        return _back(request, facility, exc.message, exc.status)
    chosen = "Medic" if approved.extension_medic_id == user.pk else "Supervisor"
    messages.success(
        request, APPROVED.format(side=chosen, person=restraint.booking.person.full_name)
    )
    return redirect(reverse("custody:restraints"))


@require_POST
@requires(Perm.RESTRAINT_REMOVE)
def remove(request: HttpRequest, restraint_id: uuid.UUID) -> HttpResponse:
    """Take it off, on whose authority (none: recorded, an incident opens)."""
    user = me(request)
    restraint = restraint_get_for_user(user, restraint_id)
    facility = restraint.booking.facility
    username = request.POST.get("authorised_by", "").strip()
    authority = staff_from(facility, username)
    try:
        if username and authority is None:
            raise ValidationFailed.for_fields(
                {"authorised_by": [NOT_STAFF.format(username=username)]}
            )
        removed = restraint_remove(
            actor=user, restraint=restraint, authorised_by=authority,
            note=request.POST.get("note", ""),
        )  # fmt: skip
    except DomainError as exc:
        return _back(request, facility, exc.message, exc.status)
    person, kind = restraint.booking.person.full_name, removed.get_kind_display()
    if removed.removal_authorised_by is None:
        numbers = ", ".join(i.number for i in removal_incidents(removed))
        messages.warning(
            request, REMOVED_WITHOUT_AUTHORITY.format(kind=kind, person=person, incident=numbers)
        )
    else:
        messages.success(
            request, REMOVED.format(kind=kind, person=person, who=removed.removal_authorised_by)
        )
    return redirect(reverse("custody:restraints"))


@require_POST
@requires(Perm.RESTRAINT_AUTHORISE)
def review(request: HttpRequest, restraint_id: uuid.UUID) -> HttpResponse:
    """A supervisor reviews a removal made without authority."""
    user = me(request)
    restraint = restraint_get_for_user(user, restraint_id)
    facility = restraint.booking.facility
    try:
        restraint_removal_review(actor=user, restraint=restraint, note=request.POST.get("note", ""))
    except DomainError as exc:
        return _render(request, facility, error=exc.message, status=exc.status)
    messages.success(request, REVIEWED.format(person=restraint.booking.person.full_name))
    return redirect(reverse("custody:restraints"))


_ONE = "restraints/<uuid:restraint_id>/"

urlpatterns = [
    path("restraints/", restraints_page, name="restraints"),
    path("restraints/board/", restraints_board, name="restraints_board"),
    path("restraints/apply/", apply, name="restraint_apply"),
    path(f"{_ONE}check/", check, name="restraint_check"),
    path(f"{_ONE}extension/", extension, name="restraint_extension"),
    path(f"{_ONE}remove/", remove, name="restraint_remove"),
    path(f"{_ONE}review/", review, name="restraint_review"),
]
