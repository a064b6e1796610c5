"""What the medical pages share: the user, the facility, clinical access, forms and tones.

Two kinds of reader use these pages.  Custody staff (MEDICAL_VIEW) see who,
when, where and the status of appointments, sick calls and care alerts.
Medical staff (CLINICAL_READ) see clinical text too, and every page that shows
it records the read in the audit chain through the access service.  A view
never decides by itself who reads clinical text: it asks ``clinical_access``.
"""

from __future__ import annotations

import datetime as dt
from typing import cast
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from cellblock.accounts.models import User
from cellblock.booking.models import Booking
from cellblock.core.access import MISSING_ROLE, user_has_perm
from cellblock.core.errors import DomainError, NotFound, PermissionDenied
from cellblock.core.facility_scope import current_facility
from cellblock.core.roles import ROLE_PERMS, Perm
from cellblock.facilities.models import Facility
from cellblock.medical.models import (
    BreakGlass,
    EncounterStatus,
    InjuryStatus,
    SickCallStatus,
    SickCallUrgency,
)
from cellblock.medical.services.access import clinical_access

NO_FACILITY = "You have no role at any facility."
BAD_TIME = "is not a date and time (YYYY-MM-DD HH:MM)."
BAD_DATE = "is not a date (YYYY-MM-DD)."
BAD_NUMBER = "is not a number."
# What an <input type="datetime-local"> sends and shows: the facility's wall clock.
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"

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


def me(request: HttpRequest) -> User:
    # Only reached behind @requires, so somebody is signed in.
    return cast(User, request.user)


def facility_for(request: HttpRequest, perm: Perm) -> Facility:
    """The facility the user works at now, if they hold ``perm`` there."""
    facility = current_facility(request)
    if facility is None:
        raise NotFound(NO_FACILITY)
    require_perm_at(request, perm, facility.pk)
    return facility


def require_perm_at(request: HttpRequest, perm: Perm, facility_id: int) -> None:
    """The page decorator checks ``perm`` somewhere; a record's facility needs it too."""
    if not user_has_perm(request.user, perm, facility_id):
        raise PermissionDenied(MISSING_ROLE.format(perm=perm.value), code="missing_role")


def can(request: HttpRequest, perm: Perm, facility_id: int) -> bool:
    return user_has_perm(request.user, perm, facility_id)


def clinical_access_of(request: HttpRequest, booking: Booking) -> tuple[bool, BreakGlass | None]:
    """May the user read this person's clinical text (as a medic, or by break-glass)?"""
    try:
        return True, clinical_access(user=me(request), booking=booking)
    except PermissionDenied:
        return False, None


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


def local_value(moment: dt.datetime | None, facility: Facility) -> str:
    """``moment`` as a datetime-local field shows it (the facility's wall clock)."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(facility.timezone)).strftime(DATETIME_LOCAL)


def parse_local(value: str, facility: Facility) -> dt.datetime | None:
    """A datetime-local field as an aware moment in the facility's zone; "" is None.

    Raises ``ValueError`` for text that is not a date and time.
    """
    value = value.strip()
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(facility.timezone))
    return moment


def parse_date(value: str) -> dt.date | None:
    """A date field; "" is None.  Raises ``ValueError`` for text that is not a date."""
    value = value.strip()
    return dt.date.fromisoformat(value) if value else None


def field_errors(exc: DomainError) -> dict[str, str]:
    """A service's field messages, one line per field, for the form to show beside each."""
    fields: dict[str, list[str]] = exc.extra.get("fields", {}) if exc.extra else {}
    return {name: " ".join(messages) for name, messages in fields.items()}


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


def posted(request: HttpRequest) -> dict[str, str]:
    """What a form sent, each value trimmed (the CSRF token left out)."""
    return {
        name: (request.POST.get(name) or "").strip()
        for name in request.POST
        if name != "csrfmiddlewaretoken"
    }


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
