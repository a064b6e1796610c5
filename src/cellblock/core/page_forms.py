"""What the server-rendered forms of several apps share: what was posted, local times, messages.

A ``<input type="datetime-local">`` speaks the facility's wall clock while the
services take aware moments; a refused post shows a service's field messages
beside the fields they name.  The visit pages and the medical pages both
rely on these, so they live here rather than in either app.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.http import HttpRequest

from cellblock.core.errors import DomainError

if TYPE_CHECKING:
    # Type only: core is imported by the apps, never the other way round at run time.
    from cellblock.facilities.models import Facility

# What an <input type="datetime-local"> sends and shows: the facility's wall clock.
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def posted(request: HttpRequest) -> dict[str, str]:
    """What a form sent, each value trimmed (the CSRF token left out)."""
    return {
        name: (request.POST.get(name) or "").strip()
        for name in request.POST
        if name != "csrfmiddlewaretoken"
    }


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


def field_errors(exc: DomainError) -> dict[str, str]:
    """A service's field messages, one line per field, for the form to show beside each."""
    fields: dict[str, list[str]] = exc.extra.get("fields", {}) if exc.extra else {}
    return {name: " ".join(messages) for name, messages in fields.items()}
