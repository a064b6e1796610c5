"""What the encounter, consent and sick-call services share: who may, when, and on which booking.

Clinical records are written by medical staff only (``clinical.record``; the
commander does not hold it) and only while the person is held (a booking at
intake or in custody); a record about someone released answers 409
``booking_closed``.  Audit entries of these services never carry clinical text:
ids, the booking number, kinds, statuses, usernames and times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.utils import timezone

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core import clock
from cellblock.core.errors import Conflict, PermissionDenied, ValidationFailed
from cellblock.core.roles import Perm
from cellblock.facilities.models import Facility
from cellblock.medical.models import Encounter

CLINICAL_DENIED = (
    "Recording clinical care at {facility} is for medical staff: it needs the clinical.record "
    "permission, which your roles there do not give."
)
BOOKING_CLOSED = "{person} ({booking}) is no longer held: {what} only while the booking is open."
AT_NAIVE = "must say its time zone."
AT_IN_FUTURE = "is in the future: record what has happened."
AT_BEFORE_BOOKING = "is before {booking} was booked ({when})."
TOO_LONG = "is too long: at most {limit} characters."
ENCOUNTER_OF_ANOTHER = "is an encounter of {booking}, not of {person} ({number})."
NOT_A_CHOICE = "'{value}' is not one of {choices}."


def local(moment: dt.datetime, facility: Facility) -> str:
    """``moment`` on the facility's wall clock, as messages give times."""
    return f"{clock.local(moment, facility.timezone):%Y-%m-%d %H:%M}"


def require(
    actor: User | None, facility: Facility, perms: Iterable[Perm], message: str = CLINICAL_DENIED
) -> None:
    """403 ``missing_role`` unless ``actor`` (None: the system) holds one of ``perms`` here."""
    if actor is None:
        return
    held = actor.perms_at(facility.pk)
    if not any(perm in held for perm in perms):
        raise PermissionDenied(message.format(facility=facility.name), code="missing_role")


def require_clinical(actor: User | None, facility: Facility) -> None:
    require(actor, facility, [Perm.CLINICAL_RECORD])


def is_clinician(user: User, facility: Facility) -> bool:
    """May ``user`` record clinical care at ``facility`` (a provider, an exception to refusal)?"""
    return user.is_active and Perm.CLINICAL_RECORD in user.perms_at(facility.pk)


def is_staff_at(user: User, facility: Facility) -> bool:
    return user.is_active and bool(user.roles_at(facility.pk))


def moment(
    at: dt.datetime | None, errors: dict[str, list[str]], *, field: str = "at",
    booking: Booking | None = None,
) -> dt.datetime:  # fmt: skip
    """When a fact happened: ``at`` or now; never in the future nor before the booking."""
    now = clock.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        errors.setdefault(field, []).append(AT_NAIVE)
        return now
    if at > now:
        errors.setdefault(field, []).append(AT_IN_FUTURE)
    elif booking is not None and at < booking.booked_at:
        errors.setdefault(field, []).append(
            AT_BEFORE_BOOKING.format(
                booking=booking.booking_number, when=local(booking.booked_at, booking.facility)
            )
        )
    return at


def text(value: str, limit: int | None, field: str, errors: dict[str, list[str]]) -> str:
    value = value.strip()
    if limit is not None and len(value) > limit:
        errors.setdefault(field, []).append(TOO_LONG.format(limit=limit))
    return value


def required_text(value: str, *, field: str, missing: str, limit: int | None = 500) -> str:
    """A short text a step cannot go without (why it is cancelled, closed, withdrawn): trimmed.

    400 naming ``field`` when it is blank (``missing`` says what to write) or too long.
    """
    errors: dict[str, list[str]] = {}
    value = text(value, limit, field, errors)
    if not value:
        errors.setdefault(field, []).append(missing)
    if errors:
        raise ValidationFailed.for_fields(errors)
    return value


def choice(value: str, choices: Sequence[str], field: str, errors: dict[str, list[str]]) -> None:
    if value not in choices:
        errors.setdefault(field, []).append(
            NOT_A_CHOICE.format(value=value, choices=", ".join(choices))
        )


def same_booking(
    encounter: Encounter | None, booking: Booking, errors: dict[str, list[str]],
    field: str = "encounter",
) -> None:  # fmt: skip
    """A record made in an encounter belongs to that encounter's person."""
    if encounter is not None and encounter.booking_id != booking.pk:
        errors.setdefault(field, []).append(
            ENCOUNTER_OF_ANOTHER.format(
                booking=encounter.booking.booking_number, person=booking.person.full_name,
                number=booking.booking_number,
            )
        )  # fmt: skip


def locked_open_booking(booking: Booking, what: str) -> Booking:
    """The booking row locked (records of one person queue up), refused once it is closed.

    ``what`` completes the refusal: "encounters are scheduled".
    """
    locked = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("person", "facility")
        .get(pk=booking.pk)
    )
    if locked.status not in OPEN_STATUSES:
        raise Conflict(
            BOOKING_CLOSED.format(
                person=locked.person.full_name, booking=locked.booking_number, what=what
            ),
            code="booking_closed",
        )
    return locked


def them(booking: Booking) -> str:
    """How a message refers to the person: him, her, or them."""
    return {"male": "him", "female": "her"}.get(booking.person.sex, "them")


def name(user: User) -> str:
    return user.full_name or user.get_username()
