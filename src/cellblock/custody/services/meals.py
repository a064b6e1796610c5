"""The meals log: each meal of each person served, refused, missed or brought from outside.

One record per person per meal (the facility's policy ``meal_times``,
numbered from 0 each local day).  Refused and missed meals in a row are what
the compliance board counts towards a medical referral and a hunger strike.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from cellblock.accounts.models import User
from cellblock.audit.services import audit_record
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.classification.selectors import policy_of
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.custody.models import MealOutcome, MealRecord
from cellblock.custody.schedule import Slot, local_date
from cellblock.custody.selectors.meals import (
    MEAL_LEAD,
    current_meal,
    meal_name,
    meal_slot,
    meal_times,
)
from cellblock.custody.services.rounds import recorded_moment

NEEDS_MEALS = "Recording meals at {facility} needs the meals.record permission."
UNKNOWN_OUTCOME = "must be one of: {choices}."
OUTSIDE_FOOD_NEEDS = "say {what} for outside food."
ONLY_OUTSIDE_FOOD = "is only recorded for outside food."
TOO_LONG = "must be at most {limit} characters."
NAME_THE_MEAL = "name the meal as well as its date."
NO_SUCH_MEAL = "must be from 0 to {last} ({names})."
NOT_SERVED_YET = "{meal} of {day} is not served yet."
BEFORE_BOOKING = "{meal} of {day} was over before {booking} was booked."
BOOKING_CLOSED = "{booking} is no longer held: meals are recorded for people in custody."
MEAL_RECORDED = "{meal} of {day} is already recorded for {person}: {outcome}."


def _slot_for(
    booking: Booking, when: dt.datetime, meal_date: dt.date | None, meal: int | None
) -> Slot:
    """The meal meant: the one given, or the one current at ``when``."""
    facility = booking.facility
    policy = policy_of(facility)
    times = meal_times(policy)
    if meal is None:
        if meal_date is not None:
            raise ValidationFailed.for_fields({"meal": [NAME_THE_MEAL]})
        return current_meal(facility, when, policy)
    if not 0 <= meal < len(times):
        names = ", ".join(f"{i}: {meal_name(i, times)}" for i in range(len(times)))
        raise ValidationFailed.for_fields(
            {"meal": [NO_SUCH_MEAL.format(last=len(times) - 1, names=names)]}
        )
    day = meal_date or local_date(when, facility.timezone)
    slot = meal_slot(facility, day, meal, policy)
    name = meal_name(meal, times)
    if slot.starts_at - MEAL_LEAD > clock.now():
        raise ValidationFailed.for_fields(
            {"meal": [NOT_SERVED_YET.format(meal=name, day=day.isoformat())]}
        )
    if slot.ends_at <= booking.booked_at:
        raise ValidationFailed.for_fields(
            {"meal_date": [BEFORE_BOOKING.format(meal=name, day=day.isoformat(), booking=booking)]}
        )
    return slot


def _errors(outcome: str, brought_by: str, item: str, note: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if outcome not in MealOutcome.values:
        errors["outcome"] = [UNKNOWN_OUTCOME.format(choices=", ".join(MealOutcome.values))]
    outside = outcome == MealOutcome.OUTSIDE_FOOD
    for name, value, what, limit in (
        ("brought_by", brought_by, "who brought it", 200),
        ("item", item, "what it was", 200),
    ):
        if outside and not value:
            errors[name] = [OUTSIDE_FOOD_NEEDS.format(what=what)]
        elif value and not outside and outcome in MealOutcome.values:
            errors[name] = [ONLY_OUTSIDE_FOOD]
        elif len(value) > limit:
            errors[name] = [TOO_LONG.format(limit=limit)]
    if len(note) > 500:
        errors["note"] = [TOO_LONG.format(limit=500)]
    return errors


def meal_record(
    *,
    actor: User,
    booking: Booking,
    outcome: str,
    meal_date: dt.date | None = None,
    meal: int | None = None,
    brought_by: str = "",
    item: str = "",
    note: str = "",
    at: dt.datetime | None = None,
) -> MealRecord:
    """Record how one meal of ``booking`` went (the meal current at ``at`` unless named).

    Outside food says who brought what.  A meal already recorded is a 409
    ``meal_recorded`` naming the outcome on file.
    """
    facility = booking.facility
    if Perm.MEALS_RECORD not in actor.perms_at(facility.pk):
        raise PermissionDenied(NEEDS_MEALS.format(facility=facility.name), code="missing_role")
    brought_by, item, note = brought_by.strip(), item.strip(), note.strip()
    errors = _errors(outcome, brought_by, item, note)
    if errors:
        raise ValidationFailed.for_fields(errors)
    when = recorded_moment(at, booking)
    slot = _slot_for(booking, when, meal_date, meal)
    times = meal_times(policy_of(facility))
    name = meal_name(slot.index, times)
    with transaction.atomic():
        # Read afresh and locked: the caller's copy may predate a release.
        status = (
            Booking.objects.select_for_update()
            .filter(pk=booking.pk)
            .values_list("status", flat=True)
        ).first()
        if status not in OPEN_STATUSES:
            raise Conflict(BOOKING_CLOSED.format(booking=booking), code="booking_closed")
        existing = (
            MealRecord.objects.filter(booking=booking, meal_date=slot.day, meal=slot.index)
            .select_related("recorded_by")
            .first()
        )
        if existing is not None:
            raise _already(booking, existing, name)
        try:
            with transaction.atomic():
                record = MealRecord.objects.create(
                    booking=booking, meal_date=slot.day, meal=slot.index, outcome=outcome,
                    brought_by=brought_by, item=item, note=note, recorded_at=when,
                    recorded_by=actor,
                )  # fmt: skip
        except IntegrityError:
            # Recorded a moment ago by someone else at the same meal.
            existing = MealRecord.objects.get(booking=booking, meal_date=slot.day, meal=slot.index)
            raise _already(booking, existing, name) from None
        audit_record(
            actor=actor, action="meals.record", obj=booking, facility=facility,
            changes={
                "meal_date": slot.day, "meal": slot.index, "outcome": outcome,
                **({"brought_by": brought_by, "item": item} if brought_by else {}),
                **({"note": note} if note else {}),
                "recorded_at": when,
            },
        )  # fmt: skip
    return record


def _already(booking: Booking, existing: MealRecord, name: str) -> Conflict:
    zone = ZoneInfo(booking.facility.timezone)
    return Conflict(
        MEAL_RECORDED.format(
            meal=name, day=existing.meal_date.isoformat(), person=booking.person.full_name,
            outcome=existing.get_outcome_display().lower(),
        ),
        code="meal_recorded",
        extra={
            "outcome": existing.outcome,
            "meal_date": existing.meal_date.isoformat(),
            "meal": existing.meal,
            "recorded_at": existing.recorded_at.astimezone(zone).isoformat(),
        },
    )  # fmt: skip
