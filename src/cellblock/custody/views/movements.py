"""Pages: movements.

Who is out now (overdue returns in red, refreshed by htmx every 30 seconds),
a form to take someone out (the person found by booking number or name) and
a "Returned" button per row.  Writes go through the
movement services; with htmx the open list swaps in place.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, requires, user_has_perm
from cellblock.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm
from cellblock.custody.freeze import open_count
from cellblock.custody.models import OUTSIDE_DESTINATIONS, Destination, Movement
from cellblock.custody.selectors import movements as reads
from cellblock.custody.services.movements import movement_return, movement_start
from cellblock.facilities.models import Facility, HousingUnit
from cellblock.housing.board import people_to_move

NO_FACILITY = "You have no role at any facility."
SENT_OUT = "{person} is out: {destination}."
RETURNED = "{person} is back from {destination}."
CHOOSE_PERSON = "choose the person: type a booking number or a name and pick from the list."
NOT_HELD_HERE = "is not a booking held here; pick from the list."
CHOOSE_DESTINATION = "choose where they go."
NO_SUCH_ESCORT = "is not an officer of this facility; choose from the list."
BAD_TIME = "is not a date and time (YYYY-MM-DD HH:MM)."
PAGE = "custody/movements/page.html"
# The people offered as someone types in the person field.
PEOPLE_OFFERED = 20
# A large facility has hundreds out at once: the page lists the most urgent.
OPEN_SHOWN = 100


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _fragment(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["HX-Request"])
    return response


def _facility_for(request: HttpRequest) -> Facility:
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    if not user_has_perm(request.user, reads.READ_PERM, facility.pk):
        raise PermissionDenied(MISSING_ROLE.format(perm=reads.READ_PERM.value), code="missing_role")
    return facility


@dataclass
class Row:
    """One person out, with the times as the facility's wall clock shows them."""

    movement: Movement
    overdue: bool
    overdue_since: dt.datetime | None
    zone: ZoneInfo

    def _hm(self, moment: dt.datetime | None) -> str:
        # Formatted here, not with template filters: a list of hundreds renders fast.
        return moment.astimezone(self.zone).strftime("%H:%M") if moment else ""

    @property
    def left(self) -> str:
        return self._hm(self.movement.left_at)

    @property
    def expected(self) -> str:
        return self._hm(self.movement.expected_return_at)

    @property
    def overdue_from(self) -> str:
        return self._hm(self.overdue_since)

    @property
    def minutes_out(self) -> int:
        end = self.movement.returned_at or clock.now()
        return int((end - self.movement.left_at).total_seconds() // 60)


def _open_rows(
    facility: Facility, now: dt.datetime, grace: dt.timedelta, unit: HousingUnit | None
) -> list[Row]:
    """Who is out, overdue first, then longest out (at most ``OPEN_SHOWN``)."""
    found = reads.open_movements(
        facility, unit_id=unit.pk if unit else None, overdue_first_at=now, grace=grace,
        limit=OPEN_SHOWN,
    )  # fmt: skip
    zone = ZoneInfo(facility.timezone)
    return [
        Row(m, reads.is_overdue(m, grace, now), reads.overdue_since(m, grace), zone) for m in found
    ]


def _unit_chosen(
    request: HttpRequest, facility: Facility
) -> tuple[list[HousingUnit], HousingUnit | None]:
    units = list(
        HousingUnit.objects.filter(zone__facility_id=facility.pk).order_by("zone__code", "code")
    )
    code = request.GET.get("unit", "")
    return units, next((u for u in units if u.code == code), None)


INSIDE = [(d.value, d.label) for d in Destination if d not in OUTSIDE_DESTINATIONS]
OUTSIDE = [(d.value, d.label) for d in Destination if d in OUTSIDE_DESTINATIONS]


def _context(
    request: HttpRequest,
    facility: Facility,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
    note: str = "",
    row_errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    now = clock.now()
    perms = _me(request).perms_at(facility.pk)
    can_record = Perm.MOVEMENT_RECORD in perms
    grace = reads.return_grace(facility)
    units, unit = _unit_chosen(request, facility)
    rows = _open_rows(facility, now, grace, unit)
    totals = reads.out_now(facility, now, grace)
    return {
        "facility": facility,
        "tz": facility.timezone,
        "rows": rows,
        "out": totals.out,
        "overdue": totals.overdue,
        "units": units,
        "unit": unit,
        "shown_all": unit is not None or totals.out <= len(rows),
        "can_record": can_record,
        "escorts": reads.escorts_at(facility) if can_record else [],
        "counting": open_count(facility),
        "inside": INSIDE,
        "outside": OUTSIDE,
        "form": form or {},
        "errors": errors or {},
        "error": error,
        "note": note,
        "row_errors": row_errors or {},
        "urls": _row_urls(),
    }


_ANY_ID = uuid.UUID(int=0)


def _row_urls() -> dict[str, str]:
    """The links every row repeats, reversed once rather than per row."""
    return {
        "profile": reverse("booking:profile", args=["0"]).removesuffix("0/"),
        "movements": reverse("custody:movement_return", args=[_ANY_ID]).removesuffix(
            f"{_ANY_ID}/return/"
        ),
    }


@require_GET
@requires(Perm.HOUSING_VIEW)
def movements_page(request: HttpRequest) -> HttpResponse:
    """Who is out now, and taking someone out."""
    facility = _facility_for(request)
    return render(request, PAGE, _context(request, facility))


@require_GET
@requires(Perm.HOUSING_VIEW)
def open_fragment(request: HttpRequest) -> HttpResponse:
    """The list of who is out (htmx polls it)."""
    facility = _facility_for(request)
    return _fragment(render(request, f"{PAGE}#open", _context(request, facility)))


@require_GET
@requires(Perm.HOUSING_VIEW)
def people(request: HttpRequest) -> HttpResponse:
    """The people offered in the person field as someone types (htmx)."""
    facility = _facility_for(request)
    text = request.GET.get("booking", request.GET.get("q", "")).strip()
    found = people_to_move(facility, text=text, limit=PEOPLE_OFFERED) if text else []
    return _fragment(render(request, f"{PAGE}#people", {"people": found}))


def _local_time(value: str, facility: Facility) -> dt.datetime | None:
    """A datetime-local field (the facility's wall clock) as an aware moment; "" is None."""
    value = value.strip()
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(facility.timezone))
    return moment


def _booking_here(user: User, facility: Facility, number: str) -> Booking | None:
    # What the list offers is "Name · NUMBER": the number is the last word.
    number = number.strip().split(" ")[-1] if number.strip() else ""
    if not number:
        return None
    try:
        booking = booking_get_for_user(user, number)
    except NotFound:
        return None
    return booking if booking.facility_id == facility.pk and booking.is_open else None


FIELDS = (
    "booking", "destination", "destination_detail", "escort", "expected_return_at", "reason",
    "emergency_reason",
)  # fmt: skip


def _again(
    request: HttpRequest, facility: Facility, form: dict[str, str], errors: dict[str, str],
    error: str, status: int,
) -> HttpResponse:  # fmt: skip
    context = _context(request, facility, form=form, errors=errors, error=error)
    return render(request, PAGE, context, status=status)


@require_POST
@requires(Perm.MOVEMENT_RECORD)
def start(request: HttpRequest) -> HttpResponse:
    """Take someone out of their cell or the facility (a plain form: the page comes back)."""
    user = _me(request)
    facility = _facility_for(request)
    form = {name: request.POST.get(name, "").strip() for name in FIELDS}
    errors: dict[str, str] = {}
    booking = _booking_here(user, facility, form["booking"])
    if booking is None:
        errors["booking"] = "Person " + (NOT_HELD_HERE if form["booking"] else CHOOSE_PERSON)
    if not form["destination"]:
        errors["destination"] = "Destination " + CHOOSE_DESTINATION
    escort = None
    if form["escort"]:
        escort = next((u for u in reads.escorts_at(facility) if u.username == form["escort"]), None)
        if escort is None:
            errors["escort"] = "Escort " + NO_SUCH_ESCORT
    expected: dt.datetime | None = None
    try:
        expected = _local_time(form["expected_return_at"], facility)
    except ValueError:
        errors["expected_return_at"] = "Expected return " + BAD_TIME
    if errors or booking is None:
        return _again(request, facility, form, errors, "", 400)
    try:
        movement = movement_start(
            actor=user, booking=booking, destination=form["destination"],
            destination_detail=form["destination_detail"], escort=escort,
            expected_return_at=expected, reason=form["reason"],
            emergency_reason=form["emergency_reason"],
        )  # fmt: skip
    except ValidationFailed as exc:
        labels = {"destination_detail": "Where", "expected_return_at": "Expected return"}
        for name, problems in exc.extra.get("fields", {}).items():
            label = labels.get(name, name.replace("_", " ").capitalize())
            errors[name] = f"{label} {' '.join(problems)}"
        return _again(request, facility, form, errors, "", exc.status)
    except DomainError as exc:
        return _again(request, facility, form, {}, exc.message, exc.status)
    note = SENT_OUT.format(
        person=booking.person.full_name, destination=movement.get_destination_display()
    )
    messages.success(request, note)
    return redirect("custody:movements")


@require_POST
@requires(Perm.MOVEMENT_RECORD)
def returned(request: HttpRequest, movement_id: uuid.UUID) -> HttpResponse:
    """Record a return ("Returned" on a row)."""
    movement = reads.movement_get_for_user(_me(request), movement_id)
    facility = movement.booking.facility
    person = movement.booking.person.full_name
    try:
        movement_return(actor=_me(request), movement=movement)
    except DomainError as exc:
        row_errors = {str(movement.public_id): exc.message}
        context = _context(request, facility, row_errors=row_errors)
        if _is_htmx(request):
            return _fragment(render(request, f"{PAGE}#open", context))
        return render(request, PAGE, context, status=exc.status)
    note = RETURNED.format(person=person, destination=movement.get_destination_display())
    if _is_htmx(request):
        return _fragment(render(request, f"{PAGE}#open", _context(request, facility, note=note)))
    messages.success(request, note)
    return redirect("custody:movements")


urlpatterns = [
    path("movements/", movements_page, name="movements"),
    path("movements/open/", open_fragment, name="movements_open"),
    path("movements/people/", people, name="movement_people"),
    path("movements/start/", start, name="movement_start"),
    path("movements/<uuid:movement_id>/return/", returned, name="movement_return"),
]
