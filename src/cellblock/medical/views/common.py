"""What the medical pages share: the user, the facility, clinical access, forms and tones.

Two kinds of reader use these pages.  Custody staff (MEDICAL_VIEW) see who,
when, where and the status of appointments, sick calls and care alerts.
Medical staff (CLINICAL_READ) see clinical text too, and every page that shows
it records the read in the audit chain through the access service.  A view
never decides by itself who reads clinical text: it asks ``clinical_access``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from cellblock.accounts.models import User
from cellblock.booking.models import OPEN_STATUSES, Booking
from cellblock.booking.selectors import booking_get_for_user
from cellblock.core.errors import DomainError, NotFound
from cellblock.core.page_access import can, facility_for, me, require_perm_at  # noqa: F401  (the views import them from here)

# Shared with the visit pages; the medical views import them from here.
from cellblock.core.page_forms import field_errors as field_errors
from cellblock.core.page_forms import local_value as local_value
from cellblock.core.page_forms import parse_local as parse_local
from cellblock.core.page_forms import posted as posted
from cellblock.core.roles import ROLE_PERMS, Perm
from cellblock.facilities.models import Facility
from cellblock.medical.models import (
    BreakGlass,
    EncounterStatus,
    InjuryStatus,
    SickCallStatus,
    SickCallUrgency,
)
from cellblock.medical.services.access import clinical_access_or_none

_T = TypeVar("_T")

BAD_TIME = "is not a date and time (YYYY-MM-DD HH:MM)."
BAD_DATE = "is not a date (YYYY-MM-DD)."
BAD_NUMBER = "is not a number."
CHOOSE_PROVIDER = "choose the provider from the medical staff here."
CHOOSE_WITNESS = "choose the witness from the staff here."

# The tone of each status on the page (a colour, always with the status in words).
ENCOUNTER_TONE: dict[str, str] = {
    EncounterStatus.AWAITING_ACKNOWLEDGEMENT: "bad",
    EncounterStatus.SCHEDULED: "info",
    EncounterStatus.IN_PROGRESS: "ok",
    EncounterStatus.COMPLETED: "muted",
    EncounterStatus.REFUSED: "warn",
    EncounterStatus.CANCELLED: "muted",
}
URGENCY_TONE: dict[str, str] = {
    SickCallUrgency.EMERGENCY: "bad",
    SickCallUrgency.URGENT: "warn",
    SickCallUrgency.UNTRIAGED: "info",
    SickCallUrgency.ROUTINE: "muted",
}
SICK_CALL_TONE: dict[str, str] = {
    SickCallStatus.WAITING: "warn",
    SickCallStatus.SCHEDULED: "info",
    SickCallStatus.SEEN: "ok",
    SickCallStatus.CLOSED: "muted",
}
INJURY_TONE: dict[str, str] = {
    InjuryStatus.UNTREATED: "bad",
    InjuryStatus.TREATED: "info",
    InjuryStatus.HEALING: "warn",
    InjuryStatus.HEALED: "ok",
}


def clinical_access_of(request: HttpRequest, booking: Booking) -> tuple[bool, BreakGlass | None]:
    """May the user read this person's clinical text (as a medic, or by break-glass)?"""
    return clinical_access_or_none(user=me(request), booking=booking)


def fragment(response: HttpResponse) -> HttpResponse:
    """Never cached, and never mistaken for the whole page when htmx asked for a part."""
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["HX-Request"])
    return response


def private(response: HttpResponse) -> HttpResponse:
    """A page with clinical text: never kept by a browser or a proxy."""
    response["Cache-Control"] = "no-store, private"
    patch_vary_headers(response, ["HX-Request"])
    return response


def booking_held_here(request: HttpRequest, facility: Facility, text: str) -> Booking | None:
    """The booking a person field names, if that person is held at ``facility`` now."""
    # What the list offers is "Name · NUMBER": the number is the last word.
    number = text.strip().split(" ")[-1] if text.strip() else ""
    if not number:
        return None
    try:
        booking = booking_get_for_user(me(request), number)
    except NotFound:
        return None
    if booking.facility_id != facility.pk or booking.status not in OPEN_STATUSES:
        return None
    return booking


def parse_date(value: str) -> dt.date | None:
    """A date field; "" is None.  Raises ``ValueError`` for text that is not a date."""
    value = value.strip()
    return dt.date.fromisoformat(value) if value else None


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


def run_then_redirect(
    request: HttpRequest,
    run: Callable[[], _T],
    note: Callable[[_T], str],
    *,
    done_url: str,
    refused: Callable[[DomainError], HttpResponse],
) -> HttpResponse:
    """Run a service step for a posted form.

    Refused, ``refused`` draws the page again with the service's messages; done, the
    browser goes to ``done_url`` (post, redirect, get) with ``note`` on what was done.
    """
    try:
        done = run()
    except DomainError as exc:
        return refused(exc)
    messages.success(request, note(done))
    return redirect(done_url)


def problem_text(exc: DomainError) -> str:
    """What went wrong, in words: the service's message, or its field messages one by one."""
    fields: dict[str, list[str]] = exc.extra.get("fields", {}) if exc.extra else {}
    if not fields:
        return exc.message
    return " ".join(
        f"{name.replace('_', ' ').capitalize()}: {message}"
        for name, messages in fields.items()
        for message in messages
    )


def posted_about(request: HttpRequest, key: str, public_id: uuid.UUID) -> dict[str, str]:
    """The form as posted, naming the row it is about under ``key``.

    A page with one such form per row (an injury's status, a consent's withdrawal) opens
    the refused one again, and only that one.
    """
    return {**posted(request), key: str(public_id)}


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where a form posted from another page goes back to (on this site only)."""
    wanted = request.POST.get("next", "") or request.GET.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


def staff_at(facility: Facility, perm: Perm, *, exclude: User | None = None) -> list[User]:
    """Active staff of ``facility`` whose roles there grant ``perm``: one query."""
    roles = [role for role, perms in ROLE_PERMS.items() if perm in perms]
    found = User.objects.filter(
        is_active=True,
        memberships__facility_id=facility.pk,
        memberships__active=True,
        memberships__role__in=roles,
    )
    if exclude is not None:
        found = found.filter(~Q(pk=exclude.pk))
    return list(found.distinct().order_by("full_name", "username"))


def staff_named(staff: list[User], username: str) -> User | None:
    return next((user for user in staff if user.username == username), None)


def name_of(user: User | None) -> str:
    if user is None:
        return "the system"
    return user.full_name or user.username
