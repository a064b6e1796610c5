"""What the court and release pages share: the user, the facility, forms, tones, lookups.

The court pages show cases, hearings, sentences, holds and recomputed release
dates; the release pages (release/views/) import these helpers too, since a
release reads the court record (holds, the release date) at every step.
Views call services only; a refusal shows the service's message, and what was
typed comes back in the form.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.core import clock
from cellblock.core.errors import DomainError
from cellblock.core.page_access import can, facility_for, me, require_perm_at  # noqa: F401  (the views import them from here)

# Shared with the visit and medical pages.
from cellblock.core.page_forms import field_errors as field_errors
from cellblock.core.page_forms import local_value as local_value
from cellblock.core.page_forms import parse_local as parse_local
from cellblock.core.page_forms import posted as posted
from cellblock.core.roles import ROLE_PERMS, Perm
from cellblock.court.models import (
    CaseStatus,
    HearingStatus,
    ReleaseDate,
    Sentence,
    SentenceStatus,
    Verdict,
)
from cellblock.court.sentencing import SentencingError, Term
from cellblock.facilities.models import Facility
from cellblock.people.models import Person

BAD_TIME = "is not a date and time (YYYY-MM-DD HH:MM)."
BAD_DATE = "is not a date (YYYY-MM-DD)."
BAD_NUMBER = "is not a whole number."
# People offered by the person search at most; a longer name narrows it.
PEOPLE_SHOWN = 20

# The tone of each status on the page (a colour, always with the status in words).
CASE_TONE: dict[str, str] = {CaseStatus.OPEN: "info", CaseStatus.DISPOSED: "muted"}
VERDICT_TONE: dict[str, str] = {
    Verdict.PENDING: "warn",
    Verdict.GUILTY: "info",
    Verdict.NOT_GUILTY: "ok",
    Verdict.DISMISSED: "ok",
}
HEARING_TONE: dict[str, str] = {
    HearingStatus.SCHEDULED: "info",
    HearingStatus.HELD: "ok",
    HearingStatus.ADJOURNED: "warn",
    HearingStatus.CANCELLED: "muted",
}
SENTENCE_TONE: dict[str, str] = {
    SentenceStatus.ACTIVE: "info",
    SentenceStatus.VACATED: "muted",
    SentenceStatus.DISCHARGED: "ok",
}


def is_htmx(request: HttpRequest) -> bool:
    return bool(
        request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    )


def fragment(response: HttpResponse) -> HttpResponse:
    """Never cached, and never mistaken for the whole page when htmx asked for a part."""
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["HX-Request"])
    return response


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where a form posted from another page goes back to (on this site only)."""
    wanted = request.POST.get("next", "") or request.GET.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


# Field messages that read on from the field's name ("Reason is required ...").
_CONTINUES = ("is ", "are ", "must ", "cannot ", "has ", "was ", "may ")


def field_sentence(name: str, message: str) -> str:
    """A service's message about one field, as a sentence naming the field."""
    label = name.replace("_", " ").replace(".", " ").strip().capitalize()
    return f"{label} {message}" if message.startswith(_CONTINUES) else f"{label}: {message}"


def problem_text(exc: DomainError) -> str:
    """What went wrong, in words: the fields named one by one, or the service's message."""
    fields: dict[str, list[str]] = exc.extra.get("fields", {}) if exc.extra else {}
    if not fields:
        return exc.message
    return " ".join(
        field_sentence(name, message) for name, messages in fields.items() for message in messages
    )


def refusal(message: str, fields: dict[str, str]) -> DomainError:
    """A form's own refusal (a date that is not a date) in the shape services use."""
    return DomainError(
        message or "Please check the form.",
        code="validation_failed",
        extra={"fields": {name: [text] for name, text in fields.items()}},
    )


def form_state(
    action: str, form: dict[str, str] | None, errors: dict[str, str] | None, error: str
) -> dict[str, Any]:
    """What a page of many forms needs to draw again the one refused: which, as typed, why.

    ``forms`` and ``errors`` are keyed by the action, so every other form on the page
    stays empty and closed.
    """
    return {
        "action": action,
        "form": form or {},
        "forms": {action: form or {}} if action else {},
        "errors": {action: errors or {}} if action else {},
        "error": error,
    }


def breakdown_by_sentence(release: ReleaseDate | None) -> dict[str, list[str]]:
    """The computation's lines for each sentence (by the sentence's public id)."""
    if release is None or not isinstance(release.breakdown, list):
        return {}
    found: dict[str, list[str]] = {}
    for item in release.breakdown:
        if not isinstance(item, dict):
            continue
        key = item.get("key") or item.get("sentence") or item.get("public_id") or ""
        found[str(key)] = [str(line) for line in item.get("lines", [])]
    return found


def term_text(sentence: Sentence) -> str:
    try:
        return str(Term(sentence.term_years, sentence.term_months, sentence.term_days))
    except SentencingError:
        return "no term"


# --- Parsing what forms send -----------------------------------------------------------


def parse_date(value: str) -> dt.date | None:
    """A date field; "" is None.  Raises ``ValueError`` for text that is not a date."""
    value = value.strip()
    return dt.date.fromisoformat(value) if value else None


def parse_count(value: str) -> int | None:
    """A whole number field (0 or more); "" is None.  Raises ``ValueError`` otherwise."""
    value = value.strip()
    if not value:
        return None
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class FormProblems:
    """Field messages gathered while reading a form, before any service is called."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def date(self, form: dict[str, str], name: str) -> dt.date | None:
        try:
            return parse_date(form.get(name, ""))
        except ValueError:
            self.fields[name] = BAD_DATE
            return None

    def moment(self, form: dict[str, str], name: str, facility: Facility) -> dt.datetime | None:
        try:
            return parse_local(form.get(name, ""), facility)
        except ValueError:
            self.fields[name] = BAD_TIME
            return None

    def count(self, form: dict[str, str], name: str) -> int | None:
        try:
            return parse_count(form.get(name, ""))
        except ValueError:
            self.fields[name] = BAD_NUMBER
            return None

    def require(self, form: dict[str, str], name: str, message: str) -> str:
        value = form.get(name, "")
        if not value:
            self.fields[name] = message
        return value

    def __bool__(self) -> bool:
        return bool(self.fields)

    def error(self) -> DomainError:
        return refusal(
            " ".join(field_sentence(name, text) for name, text in self.fields.items()),
            self.fields,
        )


# --- Lookups the pages need ----------------------------------------------------------


def staff_at(facility: Facility, perm: Perm | None = None) -> list[User]:
    """Active staff of ``facility`` (whose roles there grant ``perm``, when given): one query."""
    found = User.objects.filter(
        is_active=True, memberships__facility_id=facility.pk, memberships__active=True
    )
    if perm is not None:
        roles = [role for role, perms in ROLE_PERMS.items() if perm in perms]
        found = found.filter(memberships__role__in=roles)
    return list(found.distinct().order_by("full_name", "username"))


def staff_named(staff: list[User], username: str) -> User | None:
    return next((user for user in staff if user.username == username), None)


def name_of(user: User | None) -> str:
    if user is None:
        return "the system"
    return user.full_name or user.username


def people_matching(facility: Facility, text: str) -> list[Person]:
    """People on record in the facility's agency (or never booked) whose names hold every word.

    A case may be opened against someone not held (a remand opens the booking
    from the court record), so the search is wider than the roster.  One query;
    each person's open booking comes with them (``open_booking_number``).
    """
    words = [word for word in text.split() if word]
    if not words:
        return []
    on_record = Q(bookings__facility__agency_id=facility.agency_id) | Q(bookings__isnull=True)
    found = Person.objects.filter(on_record)
    for word in words:
        found = found.filter(Q(given_name__icontains=word) | Q(family_name__icontains=word))
    people = list(found.distinct().order_by("family_name", "given_name", "id")[:PEOPLE_SHOWN])
    numbers = dict(
        Booking.objects.filter(person__in=people, status__in=OPEN_STATUSES).values_list(
            "person_id", "booking_number"
        )
    )
    for person in people:
        person.open_booking_number = numbers.get(person.pk, "")  # type: ignore[attr-defined]
    return people


def person_on_record(facility: Facility, public_id: str) -> Person | None:
    """The person a form picked, if the search could have offered them here."""
    try:
        key = uuid.UUID(public_id.strip())
    except ValueError:
        return None
    on_record = Q(bookings__facility__agency_id=facility.agency_id) | Q(bookings__isnull=True)
    return Person.objects.filter(on_record, public_id=key).distinct().first()


def open_booking_of(person: Person) -> Booking | None:
    return (
        Booking.objects.filter(person=person, status__in=OPEN_STATUSES)
        .select_related("facility")
        .first()
    )


def local_today(facility: Facility) -> dt.date:
    """Today on the facility's wall clock: release dates are local dates."""
    return clock.local(clock.now(), facility.timezone).date()
