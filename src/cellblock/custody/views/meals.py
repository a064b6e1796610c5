"""Pages: meals.

The meal sheet of a unit for one meal (the current one unless chosen): each
person with their diet and preference notes, the meals they went without in
a row, and one tap for served, refused or missed; a form for food brought
from outside.  Also the meals section of a person's profile.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.access import MISSING_ROLE, requires, user_has_perm
from cellblock.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import Perm
from cellblock.custody.models import MealOutcome
from cellblock.custody.schedule import Slot
from cellblock.custody.selectors.meals import (
    current_meal,
    diet_notes,
    meal_name,
    meal_sheet,
    meal_slot,
    meal_times,
    meals_in_a_row_without,
    meals_of,
)
from cellblock.custody.services.meals import meal_record
from cellblock.facilities.models import Facility, FacilityPolicy, HousingUnit

NO_FACILITY = "You have no role at any facility."
NO_UNITS = "{facility} has no housing units."
RECORDED = "{person}: {meal} of {day} recorded as {outcome}."
CHOOSE_PERSON = "choose the person."
NOT_HELD_HERE = "is not held here; choose from the list."
# One-tap outcomes on the sheet; outside food has its own form (who brought what).
TAP_OUTCOMES = (MealOutcome.SERVED, MealOutcome.REFUSED, MealOutcome.MISSED)
PROFILE_MEALS = 12


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _facility_for(request: HttpRequest, perm: Perm) -> Facility:
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    if not user_has_perm(request.user, perm, facility.pk):
        raise PermissionDenied(MISSING_ROLE.format(perm=perm.value), code="missing_role")
    return facility


def _htmx(request: HttpRequest) -> bool:
    return bool(
        request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    )


def _units(facility: Facility) -> list[HousingUnit]:
    return list(
        HousingUnit.objects.filter(zone__facility=facility)
        .select_related("zone")
        .order_by("zone__code", "code")
    )


def _chosen_unit(units: list[HousingUnit], wanted: str) -> HousingUnit:
    for unit in units:
        if str(unit.public_id) == wanted:
            return unit
    return units[0]


def _chosen_meal(facility: Facility, policy: FacilityPolicy, day_text: str, meal_text: str) -> Slot:
    """The meal asked for in the query, or the current one."""
    try:
        day = dt.date.fromisoformat(day_text)
        index = int(meal_text)
    except ValueError:
        return current_meal(facility, clock.now(), policy)
    if not 0 <= index < len(meal_times(policy)):
        return current_meal(facility, clock.now(), policy)
    return meal_slot(facility, day, index, policy)


def _sheet_url(unit: HousingUnit, slot: Slot) -> str:
    query = {"unit": str(unit.public_id), "date": slot.day.isoformat(), "meal": str(slot.index)}
    return f"{reverse('custody:meals')}?{urlencode(query)}"


def _context(
    request: HttpRequest, facility: Facility, unit: HousingUnit, slot: Slot
) -> dict[str, Any]:
    policy = policy_of(facility)
    times = meal_times(policy)
    now = clock.now()
    current = current_meal(facility, now, policy)
    return {
        "facility": facility,
        "unit": unit,
        "slot": slot,
        "meal_label": meal_name(slot.index, times),
        "meals": [(i, meal_name(i, times)) for i in range(len(times))],
        "is_current": (slot.day, slot.index) == (current.day, current.index),
        "rows": meal_sheet(facility, unit, slot, now),
        "referral": policy.meals_missed_referral,
        "hunger_strike": policy.hunger_strike_meals,
        "taps": [(o.value, o.label) for o in TAP_OUTCOMES],
        "can_record": user_has_perm(request.user, Perm.MEALS_RECORD, facility.pk),
        "tz": facility.timezone,
        "sheet_url": _sheet_url(unit, slot),
    }


@require_GET
@requires(Perm.HOUSING_VIEW)
def meals_page(request: HttpRequest) -> HttpResponse:
    """The meal sheet of a unit: the current meal unless another is chosen."""
    facility = _facility_for(request, Perm.HOUSING_VIEW)
    units = _units(facility)
    if not units:
        raise NotFound(NO_UNITS.format(facility=facility.name))
    unit = _chosen_unit(units, request.GET.get("unit", ""))
    slot = _chosen_meal(
        facility, policy_of(facility), request.GET.get("date", ""), request.GET.get("meal", "")
    )
    context = {**_context(request, facility, unit, slot), "units": units, "outside": {}}
    return render(request, "custody/meals/page.html", context)


def _booking_here(user: User, facility: Facility, number: str) -> Booking | None:
    if not number:
        return None
    try:
        booking = booking_get_for_user(user, number)
    except NotFound:
        return None
    return booking if booking.facility_id == facility.pk else None


@require_POST
@requires(Perm.MEALS_RECORD)
def record(request: HttpRequest) -> HttpResponse:
    """Record one meal of one person: a tap on the sheet (htmx swaps the row), or outside food."""
    user = _me(request)
    facility = _facility_for(request, Perm.MEALS_RECORD)
    units = _units(facility)
    if not units:
        raise NotFound(NO_UNITS.format(facility=facility.name))
    form = {name: request.POST.get(name, "").strip() for name in (
        "booking", "outcome", "unit", "date", "meal", "brought_by", "item", "note",
    )}  # fmt: skip
    unit = _chosen_unit(units, form["unit"])
    slot = _chosen_meal(facility, policy_of(facility), form["date"], form["meal"])
    booking = _booking_here(user, facility, form["booking"])
    row_only = _htmx(request) and form["outcome"] != MealOutcome.OUTSIDE_FOOD
    error, status = "", 400
    fields: dict[str, list[str]] = {}
    done = None
    try:
        if booking is None:
            raise ValidationFailed.for_fields(
                {"booking": [NOT_HELD_HERE if form["booking"] else CHOOSE_PERSON]}
            )
        done = meal_record(
            actor=user, booking=booking, outcome=form["outcome"], meal_date=slot.day,
            meal=slot.index, brought_by=form["brought_by"], item=form["item"], note=form["note"],
        )  # fmt: skip
    except DomainError as exc:
        error, status = exc.message, exc.status
        fields = exc.extra.get("fields", {})
    if row_only:
        context = _context(request, facility, unit, slot)
        rows = [row for row in context["rows"] if booking and row.booking.pk == booking.pk]
        if not rows:
            raise NotFound(error or "No such person on this sheet.")
        context.update(row=rows[0], row_error=error, just_recorded=done is not None)
        response = render(request, "custody/meals/page.html#row", context)
        response["Cache-Control"] = "no-store"
        patch_vary_headers(response, ["HX-Request"])
        return response
    if done is None or booking is None:
        if form["outcome"] == MealOutcome.OUTSIDE_FOOD:
            context = {
                **_context(request, facility, unit, slot), "units": units,
                "outside": {**form, "error": error, "fields": fields},
            }  # fmt: skip
            return render(request, "custody/meals/page.html", context, status=status)
        messages.error(request, error)
        return redirect(_sheet_url(unit, slot))
    meal = meal_name(slot.index, meal_times(policy_of(facility)))
    messages.success(
        request,
        RECORDED.format(
            person=booking.person.full_name, meal=meal, day=slot.day.isoformat(),
            outcome=done.get_outcome_display().lower(),
        ),
    )  # fmt: skip
    return redirect(_sheet_url(unit, slot))


def meals_profile_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    """The meals section of a person's profile: recent meals, diet notes, meals gone without."""
    count, since = meals_in_a_row_without([booking.pk]).get(booking.pk, (0, None))
    policy = policy_of(booking.facility)
    return {
        "lines": meals_of(booking, PROFILE_MEALS),
        "notes": diet_notes([booking.pk], clock.now()).get(booking.pk, []),
        "without": count,
        "without_since": since,
        "referral": policy.meals_missed_referral,
    }


urlpatterns = [
    path("meals/", meals_page, name="meals"),
    path("meals/record/", record, name="meals_record"),
]
