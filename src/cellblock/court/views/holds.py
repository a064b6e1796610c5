"""Pages: the holds on a booking (warrants, detainers, orders to hold); place and lift.

A hold keeps the person held whatever their release date: the release
checklist's first step stays open while one is in force.  The court staff
place and lift holds; the booking desk may place one (a detainer that comes
in with the person).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from cellblock.booking.models import Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core.access import requires
from cellblock.core.errors import DomainError
from cellblock.core.roles import Perm
from cellblock.court.models import HoldKind
from cellblock.court.selectors import hold_get_for_user
from cellblock.court.services.holds import hold_lift, hold_place
from cellblock.court.views.common import (
    can,
    field_errors,
    form_state,
    fragment,
    me,
    posted,
    problem_text,
    require_perm_at,
    safe_next,
)

PLACED = "{kind} {reference} placed."
LIFTED = "{kind} {reference} lifted."
HOLDS_PAGE = "court/holds.html"


def holds_url(booking: Booking) -> str:
    return reverse("court:holds", args=[booking.booking_number])


def _context(request: HttpRequest, booking: Booking, **state: Any) -> dict[str, Any]:
    holds = list(booking.holds.select_related("placed_by", "lifted_by"))
    facility_id = booking.facility_id
    place = booking.is_open and (
        can(request, Perm.COURT_RECORD, facility_id)
        or can(request, Perm.BOOKING_CREATE, facility_id)
    )
    return {
        "booking": booking,
        "person": booking.person,
        "facility": booking.facility,
        "tz": booking.facility.timezone,
        "open": [hold for hold in holds if hold.lifted_at is None],
        "lifted": [hold for hold in holds if hold.lifted_at is not None],
        "kinds": HoldKind.choices,
        "can_place": place,
        "can_lift": can(request, Perm.COURT_RECORD, facility_id),
        "can_record": can(request, Perm.COURT_RECORD, facility_id),
        **form_state("", None, None, ""),
        **state,
    }


def _render(
    request: HttpRequest, booking: Booking, *, status: int = 200, **state: Any
) -> HttpResponse:
    return fragment(render(request, HOLDS_PAGE, _context(request, booking, **state), status=status))


@require_GET
@requires(Perm.COURT_VIEW)
def holds(request: HttpRequest, booking_number: str) -> HttpResponse:
    """The booking's holds: those in force first, then the lifted ones."""
    booking = booking_get_for_user(me(request), booking_number)
    require_perm_at(request, Perm.COURT_VIEW, booking.facility_id)
    return _render(request, booking)


@require_POST
@requires(Perm.COURT_VIEW)
def place(request: HttpRequest, booking_number: str) -> HttpResponse:
    """Place a warrant, a detainer or a court order to hold (the service checks who may)."""
    booking = booking_get_for_user(me(request), booking_number)
    if not can(request, Perm.BOOKING_CREATE, booking.facility_id):
        require_perm_at(request, Perm.COURT_RECORD, booking.facility_id)
    form = posted(request)
    try:
        hold = hold_place(
            actor=me(request), booking=booking, kind=form.get("kind", ""),
            issued_by=form.get("issued_by", ""), reference=form.get("reference", ""),
            reason=form.get("reason", ""),
        )  # fmt: skip
    except DomainError as exc:
        return _render(
            request, booking, status=exc.status,
            **form_state("place", form, field_errors(exc), problem_text(exc)),
        )  # fmt: skip
    messages.success(request, PLACED.format(kind=hold.get_kind_display(), reference=hold.reference))
    return redirect(safe_next(request, holds_url(booking)))


@require_POST
@requires(Perm.COURT_RECORD)
def lift(request: HttpRequest, hold_id: uuid.UUID) -> HttpResponse:
    """Lift a hold, with the reason (the warrant was served elsewhere, the order ended)."""
    hold = hold_get_for_user(me(request), hold_id)
    booking = hold.booking
    require_perm_at(request, Perm.COURT_RECORD, booking.facility_id)
    form = {**posted(request), "hold": str(hold.public_id)}
    try:
        done = hold_lift(actor=me(request), hold=hold, reason=form.get("reason", ""))
    except DomainError as exc:
        return _render(
            request, booking, status=exc.status,
            **form_state("lift", form, field_errors(exc), problem_text(exc)),
        )  # fmt: skip
    messages.success(request, LIFTED.format(kind=done.get_kind_display(), reference=done.reference))
    return redirect(safe_next(request, holds_url(booking)))


urlpatterns = [
    path("bookings/<str:booking_number>/holds/", holds, name="holds"),
    path("bookings/<str:booking_number>/holds/place/", place, name="hold_place"),
    path("holds/<uuid:hold_id>/lift/", lift, name="hold_lift"),
]
