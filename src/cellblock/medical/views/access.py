"""Pages: break-glass, the commander's way into one medical record in an emergency.

The page lists the openings at the facility: who opened whose record, when,
until when, and whether it was reviewed.  Reviewers (the medical lead, other
medics, the auditor) see each reason and mark it reviewed; the commander opens
a record here (or from the record's own 403 page) and may close it early.
The reason is the commander's words, not clinical text, yet only reviewers
read it: it may say more about the emergency than the rest of the staff need.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from cellblock.booking.selectors import booking_get_for_user
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, requires
from cellblock.core.errors import DomainError, NotFound, PermissionDenied
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.medical.selectors.record import break_glass_get_for_user, break_glass_list
from cellblock.medical.services.access import (
    break_glass_close,
    break_glass_open,
    break_glass_review,
)
from cellblock.medical.views.common import (
    facility_for,
    field_errors,
    local_value,
    me,
    posted,
    private,
    problem_text,
    require_perm_at,
)

PAGE = "medical/break_glass.html"
OPENED = (
    "Break-glass open until {until}: the record of {person} is yours to read until then. "
    "The medical lead has been alerted."
)
CLOSED = "Break-glass closed: the record of {person} is shut again."
REVIEWED = "Break-glass access reviewed."
NOT_HELD_HERE = "is not a booking held here."
CHOOSE_PERSON = "is required: the booking number of the person whose record you need."


def _facility(request: HttpRequest) -> Facility:
    """The facility now, for someone who opens or reviews break-glass there."""
    facility = facility_for(request, Perm.MEDICAL_VIEW)
    perms = me(request).perms_at(facility.pk)
    if not {Perm.BREAK_GLASS, Perm.BREAK_GLASS_REVIEW} & perms:
        raise PermissionDenied(
            MISSING_ROLE.format(perm=Perm.BREAK_GLASS_REVIEW.value), code="missing_role"
        )
    return facility


def _context(
    request: HttpRequest,
    facility: Facility,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
    action: str = "",
) -> dict[str, Any]:
    user = me(request)
    perms = user.perms_at(facility.pk)
    reviewer = Perm.BREAK_GLASS_REVIEW in perms
    found = break_glass_list(facility)
    if not reviewer:
        # Someone who only opens sees their own openings.
        found = [access for access in found if access.opened_by_id == user.pk]
    now = clock.now()
    rows = [
        {
            "access": access,
            "open": access.closed_at is None and access.expires_at > now,
            "may_review": reviewer and access.reviewed_at is None
            and access.opened_by_id != user.pk,
            "may_close": access.opened_by_id == user.pk and access.closed_at is None
            and access.expires_at > now,
        }
        for access in found
    ]  # fmt: skip
    return {
        "facility": facility,
        "tz": facility.timezone,
        "now": now,
        "rows": rows,
        "unreviewed": sum(1 for a in found if a.reviewed_at is None),
        "reviewer": reviewer,
        "can_open": Perm.BREAK_GLASS in perms and Perm.CLINICAL_READ not in perms,
        "form": form or {},
        "errors": errors or {},
        "error": error,
        "action": action,
    }


@require_GET
@requires(Perm.MEDICAL_VIEW)
def break_glass_page(request: HttpRequest) -> HttpResponse:
    """The openings at the facility, the review of each, and the form that opens one."""
    facility = _facility(request)
    form = {"booking": request.GET.get("booking", "")}
    return private(render(request, PAGE, _context(request, facility, form=form)))


def _refused(
    request: HttpRequest, facility: Facility, exc: DomainError, action: str, form: dict[str, str]
) -> HttpResponse:
    context = _context(
        request, facility, form=form, errors=field_errors(exc), error=problem_text(exc),
        action=action,
    )  # fmt: skip
    return private(render(request, PAGE, context, status=exc.status))


@require_POST
@requires(Perm.BREAK_GLASS)
def open_record(request: HttpRequest) -> HttpResponse:
    """Open one person's medical record for the policy's minutes, with the reason."""
    facility = _facility(request)
    form = posted(request)
    number = form.get("booking", "")
    try:
        booking = booking_get_for_user(me(request), number) if number else None
    except NotFound:
        booking = None
    if booking is None or booking.facility_id != facility.pk:
        message = f"Person {number} {NOT_HELD_HERE}" if number else f"Person {CHOOSE_PERSON}"
        exc = DomainError(message, extra={"fields": {"booking": [message]}})
        return _refused(request, facility, exc, "open", form)
    try:
        access = break_glass_open(actor=me(request), booking=booking, reason=form.get("reason", ""))
    except DomainError as exc:
        return _refused(request, facility, exc, "open", form)
    until = local_value(access.expires_at, facility).replace("T", " ")
    messages.warning(request, OPENED.format(until=until, person=booking.person.full_name))
    return redirect("medical:record", booking_number=booking.booking_number)


def _access(request: HttpRequest, access_id: uuid.UUID, perm: Perm) -> Any:
    access = break_glass_get_for_user(me(request), access_id)
    require_perm_at(request, perm, access.facility_id)
    return access


@require_POST
@requires(Perm.BREAK_GLASS_REVIEW)
def review(request: HttpRequest, access_id: uuid.UUID) -> HttpResponse:
    """A reviewer says whether the opening was justified; once."""
    access = _access(request, access_id, Perm.BREAK_GLASS_REVIEW)
    form = {**posted(request), "access": str(access.public_id)}
    try:
        break_glass_review(actor=me(request), access=access, note=form.get("note", ""))
    except DomainError as exc:
        return _refused(request, access.facility, exc, "review", form)
    messages.success(request, REVIEWED)
    return redirect(reverse("medical:break_glass"))


@require_POST
@requires(Perm.BREAK_GLASS)
def close(request: HttpRequest, access_id: uuid.UUID) -> HttpResponse:
    """The opener shuts the record again before the time is up."""
    access = _access(request, access_id, Perm.BREAK_GLASS)
    try:
        break_glass_close(actor=me(request), access=access)
    except DomainError as exc:
        return _refused(request, access.facility, exc, "close", {})
    messages.success(request, CLOSED.format(person=access.booking.person.full_name))
    return redirect(reverse("medical:break_glass"))


urlpatterns = [
    path("break-glass/", break_glass_page, name="break_glass"),
    path("break-glass/open/", open_record, name="break_glass_open"),
    path("break-glass/<uuid:access_id>/review/", review, name="break_glass_review"),
    path("break-glass/<uuid:access_id>/close/", close, name="break_glass_close"),
]
